-- SQL-language bodies are checked at creation: these need auth.mfa_factors, auth.sessions, auth.refresh_tokens.
create or replace function public.has_verified_totp(p_user uuid) returns boolean
language sql stable security definer set search_path = '' as $$
  select exists (select 1 from auth.mfa_factors f
                 where f.user_id = p_user and f.factor_type = 'totp' and f.status = 'verified');
$$;

create or replace function public.sign_out_everywhere(p_user uuid) returns void
language sql security definer set search_path = '' as $$
  delete from auth.refresh_tokens where user_id = p_user::text;
  delete from auth.sessions where user_id = p_user;
$$;

create or replace function public.on_session_created() returns trigger language plpgsql as $$
begin
  update auth.users set last_sign_in_at = now() where id = new.user_id;
  return new;
end $$;
create trigger on_session_created after insert on auth.sessions for each row execute function public.on_session_created();

-- A seed account, as projects insert one (only some columns given: the others have defaults).
insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
  raw_app_meta_data, raw_user_meta_data, created_at, updated_at, confirmation_token, recovery_token,
  email_change_token_new, email_change, is_sso_user)
values ('00000000-0000-0000-0000-000000000000', 'a0000000-0000-4000-8000-000000000001', 'authenticated',
  'authenticated', 'seed@example.com', extensions.crypt('not-a-secret', extensions.gen_salt('bf')), now(),
  '{"provider": "email", "providers": ["email"]}', '{}', now(), now(), '', '', '', '', false);
insert into auth.identities (id, provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
values (gen_random_uuid(), 'a0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000001',
  '{"sub": "a0000000-0000-4000-8000-000000000001", "email": "seed@example.com"}', 'email', now(), now(), now());
