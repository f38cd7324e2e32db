-- migrate:no-transaction
-- 003_index_users_email: case-insensitive e-mail lookups. CONCURRENTLY does not block writes to users, and
-- cannot run inside a transaction, hence the marker on the first line.
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_lower ON public.users (lower(email));
