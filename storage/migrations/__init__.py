"""Alembic migration scripts for the storage schema (see ``storage.migrate``)."""
