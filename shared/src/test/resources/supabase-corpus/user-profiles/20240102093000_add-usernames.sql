begin;

alter table public.profiles add column username text unique;
alter table public.profiles add constraint username_length check (char_length(username) >= 3);
comment on column public.profiles.username is 'chosen at sign-up; lower case';

commit;
