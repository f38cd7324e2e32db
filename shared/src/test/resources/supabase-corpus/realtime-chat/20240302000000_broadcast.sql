create policy "Authenticated users receive broadcasts of their channel" on realtime.messages
  for select to authenticated
  using (realtime.topic() like 'channel:%' and exists (
    select 1 from public.channels c where 'channel:' || c.slug = realtime.topic()));

create policy "Authenticated users can broadcast" on realtime.messages
  for insert to authenticated with check (extension = 'broadcast');

create or replace function public.broadcast_message() returns trigger
language plpgsql security definer as $$
begin
  perform realtime.broadcast_changes('channel:' || new.channel_id::text, TG_OP, TG_OP, TG_TABLE_NAME,
    TG_TABLE_SCHEMA, new, old);
  return null;
end
$$;

create trigger messages_broadcast after insert or update on public.messages
  for each row execute function public.broadcast_message();
