-- 001_initial_schema: the users table, as in Convex's 001_initial_schema.json.
CREATE TABLE public.users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  email text NOT NULL UNIQUE,
  password_hash text,
  role text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE public.users ENABLE ROW LEVEL SECURITY;

-- Signed-in users read the directory; only the service role writes (it bypasses RLS).
CREATE POLICY "Signed-in users can read users" ON public.users
  FOR SELECT TO authenticated USING (true);

INSERT INTO public.users (name, email, password_hash, role, created_at, updated_at) VALUES
  ('System Administrator', 'admin@cryoprotect.com', '5f4dcc3b5aa765d61d8327deb882cf99', 'admin',
   to_timestamp(1620000000), to_timestamp(1620000000)),
  ('Legacy Import', 'import@cryoprotect.com', NULL, 'service',
   to_timestamp(1620000000), to_timestamp(1620000000));
