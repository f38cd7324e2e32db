-- The first schema of the app.
CREATE EXTENSION IF NOT EXISTS "uuid-ossp";

CREATE TABLE molecules (
    id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    name VARCHAR(255) NOT NULL,
    smiles TEXT,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW()
);
CREATE TABLE experiments (
    id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    molecule_id UUID REFERENCES molecules(id),
    created_by UUID REFERENCES auth.users(id),
    result JSONB
);
