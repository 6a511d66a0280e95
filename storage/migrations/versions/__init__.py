"""Individual Alembic revisions, applied in order by ``storage.migrate``."""
