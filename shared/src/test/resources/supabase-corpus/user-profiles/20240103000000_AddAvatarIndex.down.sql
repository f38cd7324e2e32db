drop index public.profiles_username_idx;
