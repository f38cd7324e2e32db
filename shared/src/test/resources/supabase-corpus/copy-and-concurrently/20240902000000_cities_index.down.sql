-- migrate:no-transaction
drop index concurrently if exists public.cities_name_idx;
