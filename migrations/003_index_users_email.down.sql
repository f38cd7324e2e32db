-- migrate:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS public.users_email_lower;
