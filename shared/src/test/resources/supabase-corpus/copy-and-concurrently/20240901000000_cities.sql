create table public.cities (id int primary key, name text not null, country char(2), population bigint);

COPY public.cities (id, name, country, population) FROM stdin WITH (FORMAT csv, NULL '');
1,Vienna,AT,2005760
2,"Brussels, capital",BE,
\.
