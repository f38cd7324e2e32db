create extension if not exists pg_net with schema extensions;

create table public.orders (id bigint primary key, total numeric);

create trigger "send order to the billing service"
  after insert on public.orders
  for each row execute function supabase_functions.http_request(
    'http://host.docker.internal:54321/functions/v1/billing', 'POST',
    '{"Content-type": "application/json"}', '{}', '5000');
