create extension if not exists vector with schema extensions;

create table public.document_sections (
  id bigint primary key generated always as identity,
  content text not null,
  embedding extensions.vector(3)
);

create index on public.document_sections using hnsw (embedding extensions.vector_ip_ops);

create or replace function public.match_document_sections(embedding extensions.vector(3), match_threshold float)
returns setof public.document_sections
language plpgsql
as $$
#variable_conflict use_variable
begin
  return query
  select * from public.document_sections
  where document_sections.embedding <#> embedding < -match_threshold
  order by document_sections.embedding <#> embedding;
end;
$$;
