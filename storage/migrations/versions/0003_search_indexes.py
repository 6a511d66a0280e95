"""Substring indexes for conversation search: FTS5 trigram tables (SQLite), pg_trgm GIN (PostgreSQL).

Revision ID: 0003
Revises: 0002
Create Date: 2025-02-01

Why: the sidebar searches titles and message text as a case-insensitive literal substring
(``ILIKE '%x%'``), which no B-tree can serve; with a million messages a search that matches few
conversations scanned every message (1.4 s on SQLite, measured by ``python -m bench``).
``storage/search.py`` uses these indexes to find candidates and re-checks them with the same
ILIKE, so results do not change.

* SQLite: ``messages_fts`` (external content over ``messages``, rowid = message id) and
  ``conversations_fts`` (its own copy of each title, keyed by ``conversation_id``; the
  conversations table has no integer key, and VACUUM may renumber its rowids), both with the
  ``trigram`` tokenizer (SQLite 3.34+) and kept in sync by triggers. Without trigram support
  nothing is created and search keeps scanning.
* PostgreSQL: ``pg_trgm`` GIN indexes on ``messages.content`` and ``conversations.title``, which
  serve ILIKE directly. The extension is created in ``public`` when missing (so dropping an app
  schema never drops an extension other schemas' indexes depend on) and its operator class is
  named with its schema. Without the extension (not installed on the server, or no privilege to
  create it) nothing is created and search keeps scanning.

FTS5's automatic segment merging is switched off (see storage/maintenance.py). Building the index on
an existing large history takes a while once (about 50 s per million
messages on two cores), inside the migration's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SQLITE_UP = (
    "CREATE VIRTUAL TABLE messages_fts USING fts5(content, content='messages', content_rowid='id', tokenize='trigram')",
    "INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')",
    # Segment merges run in the app's background upkeep (storage/maintenance.py), not inside the
    # commit that happens to cross FTS5's automerge threshold (15-40 ms); the crisis merge, raised
    # from 16 to 64 segments a level, stays as the safety net for processes without the upkeep.
    "INSERT INTO messages_fts(messages_fts, rank) VALUES ('automerge', 0)",
    "INSERT INTO messages_fts(messages_fts, rank) VALUES ('crisismerge', 64)",
    """CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content);
    END""",
    """CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
    END""",
    """CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
        INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content);
    END""",
    "CREATE VIRTUAL TABLE conversations_fts USING fts5(conversation_id UNINDEXED, title, tokenize='trigram')",
    "INSERT INTO conversations_fts(conversation_id, title) SELECT id, title FROM conversations",
    """CREATE TRIGGER conversations_fts_insert AFTER INSERT ON conversations BEGIN
        INSERT INTO conversations_fts(conversation_id, title) VALUES (new.id, new.title);
    END""",
    # conversation_id is not indexed: find the old row through its own title (a phrase that
    # matches itself), and scan only for titles too short to have a trigram.
    """CREATE TRIGGER conversations_fts_delete AFTER DELETE ON conversations BEGIN
        DELETE FROM conversations_fts WHERE length(old.title) >= 3 AND conversation_id = old.id AND rowid IN (
            SELECT rowid FROM conversations_fts WHERE conversations_fts MATCH '"' || replace(old.title, '"', '""') || '"');
        DELETE FROM conversations_fts WHERE length(old.title) < 3 AND conversation_id = old.id;
    END""",
    """CREATE TRIGGER conversations_fts_update AFTER UPDATE OF title ON conversations BEGIN
        DELETE FROM conversations_fts WHERE length(old.title) >= 3 AND conversation_id = old.id AND rowid IN (
            SELECT rowid FROM conversations_fts WHERE conversations_fts MATCH '"' || replace(old.title, '"', '""') || '"');
        DELETE FROM conversations_fts WHERE length(old.title) < 3 AND conversation_id = old.id;
        INSERT INTO conversations_fts(conversation_id, title) VALUES (new.id, new.title);
    END""",
)
_SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS conversations_fts_update",
    "DROP TRIGGER IF EXISTS conversations_fts_delete",
    "DROP TRIGGER IF EXISTS conversations_fts_insert",
    "DROP TABLE IF EXISTS conversations_fts",
    "DROP TRIGGER IF EXISTS messages_fts_update",
    "DROP TRIGGER IF EXISTS messages_fts_delete",
    "DROP TRIGGER IF EXISTS messages_fts_insert",
    "DROP TABLE IF EXISTS messages_fts",
)


def _sqlite_has_trigram(bind: sa.Connection) -> bool:
    options = {row[0] for row in bind.exec_driver_sql("PRAGMA compile_options")}
    if "ENABLE_FTS5" not in options:
        return False
    version = tuple(int(part) for part in bind.exec_driver_sql("SELECT sqlite_version()").scalar_one().split("."))
    return version >= (3, 34, 0)  # the trigram tokenizer


def _pg_trgm_schema(bind: sa.Connection) -> str | None:
    """The schema holding pg_trgm, creating the extension in ``public`` (or here) when it is missing."""
    find = sa.text(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
    )
    schema = bind.execute(find).scalar()
    if schema is not None:
        return schema
    if bind.execute(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")).scalar() is None:
        return None
    for statement in ("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public", "CREATE EXTENSION IF NOT EXISTS pg_trgm"):
        try:
            with bind.begin_nested():  # a failed CREATE (no privilege, no public schema) must not abort the migration
                bind.execute(sa.text(statement))
        except sa.exc.DBAPIError:
            continue
        return bind.execute(find).scalar()
    return None


def upgrade() -> None:
    """Create the search indexes the server supports (none is an acceptable outcome)."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        if _sqlite_has_trigram(bind):
            for statement in _SQLITE_UP:
                bind.exec_driver_sql(statement)
    elif bind.dialect.name == "postgresql":
        schema = _pg_trgm_schema(bind)
        if schema is None:
            return
        opclass = f'"{schema}".gin_trgm_ops'
        bind.execute(sa.text("SET LOCAL maintenance_work_mem = '256MB'"))  # the GIN build is several times faster
        bind.execute(sa.text(f"CREATE INDEX ix_messages_content_trgm ON messages USING gin (content {opclass})"))
        bind.execute(sa.text(f"CREATE INDEX ix_conversations_title_trgm ON conversations USING gin (title {opclass})"))


def downgrade() -> None:
    """Drop the search indexes (the pg_trgm extension stays: other schemas may use it)."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in _SQLITE_DOWN:
            bind.exec_driver_sql(statement)
    elif bind.dialect.name == "postgresql":
        bind.execute(sa.text("DROP INDEX IF EXISTS ix_conversations_title_trgm"))
        bind.execute(sa.text("DROP INDEX IF EXISTS ix_messages_content_trgm"))
