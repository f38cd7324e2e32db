-- Unqualified names again: this file starts from the database's own search_path ("$user", public, extensions).
create table audit_entries (
  id uuid primary key default uuid_generate_v4(),
  order_id bigint references orders (id),
  secret bytea default gen_random_bytes(16),
  at timestamptz not null default now()
);
create function recent_audit() returns setof audit_entries language sql stable as $$
  select * from audit_entries where at > now() - interval '1 day'
$$;
