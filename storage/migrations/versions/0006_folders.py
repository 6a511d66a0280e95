"""Folders (projects) for conversations: nested, named per owner and parent, with chat defaults.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05

* ``folders``: one row per folder, owned like a conversation. ``parent_id`` nests it (NULL = top
  level; a foreign key, so a parent cannot vanish under its children). A name is unique among the
  folders of one owner with one parent: the unique index is on ``COALESCE(parent_id, '')``, since
  NULLs never collide in a unique index (SQLite and PostgreSQL alike). ``system_prompt`` and
  ``model`` are the defaults a new chat started in the folder takes (NULL = none).
* ``conversations.folder_id``: the folder a conversation is in (NULL = none). A plain column with an
  index, no foreign key: adding one on SQLite would copy the table (batch mode), which drops the search
  triggers of 0003. The repository keeps it consistent (deleting a folder moves its conversations
  out first), and every read joins by owner, so a stale id would only hide nothing.

Existing conversations stay where they were: in no folder.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``folders`` and its indexes, and add ``conversations.folder_id``."""
    op.create_table(
        "folders",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("owner", sa.String(255), nullable=False, server_default=""),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("parent_id", sa.String(36), nullable=True),
        sa.Column("system_prompt", sa.Text(), nullable=True),
        sa.Column("model", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_folders"),
        sa.ForeignKeyConstraint(["parent_id"], ["folders.id"], name="fk_folders_parent_id_folders"),
    )
    op.create_index("ix_folders_owner_parent_id", "folders", ["owner", "parent_id"])
    op.create_index(
        "ux_folders_owner_parent_name",
        "folders",
        ["owner", sa.text("COALESCE(parent_id, '')"), "name"],
        unique=True,
    )
    # Plain ADD COLUMN (no batch copy on SQLite: that would drop the search triggers of 0003).
    op.add_column("conversations", sa.Column("folder_id", sa.String(36), nullable=True))
    op.create_index(
        "ix_conversations_owner_folder_id_pinned_updated_at", "conversations", ["owner", "folder_id", "pinned", "updated_at"]
    )


def downgrade() -> None:
    """Drop everything created by :func:`upgrade`."""
    op.drop_index("ix_conversations_owner_folder_id_pinned_updated_at", table_name="conversations")
    # Native DROP COLUMN (SQLite 3.35+), not a batch copy, which would drop the search triggers of 0003.
    op.execute("ALTER TABLE conversations DROP COLUMN folder_id")
    op.drop_index("ux_folders_owner_parent_name", table_name="folders")
    op.drop_index("ix_folders_owner_parent_id", table_name="folders")
    op.drop_table("folders")
