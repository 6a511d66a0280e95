"""Tests of the ``storage`` package, run on SQLite and PostgreSQL."""
