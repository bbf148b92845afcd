SELECT to_regclass('topic') IS NOT NULL
