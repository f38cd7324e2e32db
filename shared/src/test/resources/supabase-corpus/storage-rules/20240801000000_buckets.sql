insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types, avif_autodetection, owner,
                             owner_id, created_at, updated_at)
values ('documents', 'documents', false, 52428800, array['application/pdf', 'image/png'], false, null, null, now(), now())
on conflict (id) do update set allowed_mime_types = excluded.allowed_mime_types;

create policy "Users read their own documents" on storage.objects
  for select to authenticated
  using (bucket_id = 'documents' and owner_id = (select auth.uid()::text));
create policy "Only PDFs and PNGs" on storage.objects
  for insert to authenticated
  with check (bucket_id = 'documents' and storage.extension(name) in ('pdf', 'png')
              and storage.filename(name) not like '.%');

create table public.document_index (object_id uuid primary key, path text[]);
create function public.index_document() returns trigger language plpgsql security definer set search_path = '' as $$
begin
  insert into public.document_index (object_id, path) values (new.id, new.path_tokens);
  return new;
end $$;
create trigger on_document_uploaded after insert on storage.objects
  for each row when (new.bucket_id = 'documents') execute function public.index_document();

create view public.my_documents with (security_invoker = on) as
  select id, name, created_at, metadata ->> 'size' as size from storage.objects where bucket_id = 'documents';
