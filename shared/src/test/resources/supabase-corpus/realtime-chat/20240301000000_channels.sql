create type public.message_kind as enum ('text', 'image', 'system');

create table public.channels (
  id bigint generated always as identity primary key,
  slug text not null unique,
  created_by uuid references auth.users (id)
);

create table public.messages (
  id bigint generated always as identity primary key,
  channel_id bigint not null references public.channels on delete cascade,
  author uuid not null default auth.uid() references auth.users (id),
  kind public.message_kind not null default 'text',
  body text,
  inserted_at timestamptz not null default timezone('utc'::text, now())
);
alter table public.channels enable row level security;
alter table public.messages enable row level security;
create policy "Members read messages" on public.messages for select to authenticated using (true);

-- The classic snippet: recreate the publication in its own block, then add tables outside it.
begin;
  drop publication if exists supabase_realtime;
  create publication supabase_realtime;
commit;
alter publication supabase_realtime add table public.messages;
alter publication supabase_realtime add table only public.channels;
