"""Share links: a read-only link to a conversation, live or a snapshot taken when it was shared.

Revision ID: 0007_shares
Revises: 0006
Create Date: 2026-12-05

``shares`` holds one row per link: the SHA-256 of its token (the token itself is never stored), the
owner, the conversation (deleting it deletes its shares), the mode (``live`` or ``snapshot``), the
snapshot of the shown branch's messages (snapshot mode only; never the conversation's settings), when
it was made and when it was revoked (NULL while the link works). It only adds
a table.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_shares"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``shares`` and its indexes."""
    op.create_table(
        "shares",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("owner", sa.String(255), nullable=False, server_default=""),
        sa.Column("conversation_id", sa.String(36), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("snapshot", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name="fk_shares_conversation_id_conversations",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name="pk_shares"),
    )
    op.create_index("ix_shares_owner_created_at", "shares", ["owner", "created_at"])
    op.create_index("ix_shares_conversation_id", "shares", ["conversation_id"])


def downgrade() -> None:
    """Drop everything created by :func:`upgrade`."""
    op.drop_index("ix_shares_conversation_id", table_name="shares")
    op.drop_index("ix_shares_owner_created_at", table_name="shares")
    op.drop_table("shares")
