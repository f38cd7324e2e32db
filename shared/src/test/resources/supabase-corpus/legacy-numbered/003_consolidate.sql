-- Relies on running inside a transaction: a savepoint with no BEGIN of its own.
SAVEPOINT consolidate;

CREATE TABLE calculations (id UUID PRIMARY KEY DEFAULT uuid_generate_v4(), molecule_id UUID, value NUMERIC);
CREATE OR REPLACE FUNCTION auth.is_service_role() RETURNS BOOLEAN LANGUAGE sql STABLE AS $$
  SELECT coalesce(auth.jwt() ->> 'role', '') = 'service_role'
$$;
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
    CREATE EXTENSION pg_trgm WITH SCHEMA extensions;
  END IF;
END
$$;

RELEASE SAVEPOINT consolidate;
