-- Reverses 001_initial_schema.sql.
DROP TABLE public.users;
