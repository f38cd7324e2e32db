-- migrate:no-transaction
create index concurrently if not exists cities_name_idx on public.cities (name);
