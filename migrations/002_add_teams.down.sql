-- Reverses 002_add_teams.sql.
INSERT INTO public.users (name, email, role, created_at, updated_at)
VALUES ('Legacy Import', 'import@cryoprotect.com', 'service', to_timestamp(1620000000), to_timestamp(1620000000));

UPDATE public.users SET role = 'admin', updated_at = to_timestamp(1620000000)
WHERE email = 'admin@cryoprotect.com';

ALTER TABLE public.users DROP COLUMN team_id;
DROP TABLE public.teams;
