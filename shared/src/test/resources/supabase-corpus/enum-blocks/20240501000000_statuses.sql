create type public.ticket_status as enum ('open', 'closed');
create table public.tickets (id bigint generated always as identity primary key,
  status public.ticket_status not null default 'open');
