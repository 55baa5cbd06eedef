"""Django's SQLite backend, with ``flush`` emptying tables as PostgreSQL's TRUNCATE does.

See ``base.py``."""
