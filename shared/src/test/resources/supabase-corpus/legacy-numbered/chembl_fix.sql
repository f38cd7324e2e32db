UPDATE molecules SET name = trim(name);
