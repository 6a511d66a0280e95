"""Message branches (edit and regenerate fork a conversation) and pinned conversations.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04

* ``messages.parent_id``: the message this one follows (NULL for the first message of a
  conversation, or of a branch that forks at the start). Edit and resend adds a sibling of the edited
  message; regenerate adds a sibling of the reply. ``messages.depth`` is the message's position on
  its branch (0 for the first), so the latest N messages of a branch and its length are read without
  walking the whole branch.
* ``conversations.leaf_id``: the last message of the branch the conversation shows; NULL means the
  newest message (every append makes the new message the shown branch's end, and resets it).
* ``conversations.pinned``: pinned conversations come first in the sidebar.

Existing conversations become single branches: each message's parent is the message before it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# Window functions run on SQLite 3.25+ and PostgreSQL alike; UPDATE ... FROM on SQLite 3.33+.
_LINK_EXISTING = """
UPDATE messages SET parent_id = ordered.previous_id, depth = ordered.position
FROM (
    SELECT id,
           LAG(id) OVER (PARTITION BY conversation_id ORDER BY id) AS previous_id,
           ROW_NUMBER() OVER (PARTITION BY conversation_id ORDER BY id) - 1 AS position
    FROM messages
) AS ordered
WHERE messages.id = ordered.id
"""


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy on SQLite: that would drop the search triggers of 0003).
    op.add_column("messages", sa.Column("parent_id", MESSAGE_ID, nullable=True))
    op.add_column("messages", sa.Column("depth", sa.Integer(), nullable=False, server_default="0"))
    op.execute(_LINK_EXISTING)
    op.create_index("ix_messages_conversation_id_parent_id", "messages", ["conversation_id", "parent_id"])
    op.add_column("conversations", sa.Column("leaf_id", MESSAGE_ID, nullable=True))
    op.add_column("conversations", sa.Column("pinned", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_index("ix_conversations_owner_pinned_updated_at", "conversations", ["owner", "pinned", "updated_at"])


def downgrade() -> None:
    op.drop_index("ix_conversations_owner_pinned_updated_at", table_name="conversations")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("pinned")
        batch.drop_column("leaf_id")
    op.drop_index("ix_messages_conversation_id_parent_id", table_name="messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("depth")
        batch.drop_column("parent_id")
