create extension if not exists pg_trgm with schema extensions;
create index profiles_username_idx on public.profiles using gin (username extensions.gin_trgm_ops);
