"""Saved embeddings collections: one row per collection, its vectors as one float32 blob.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05

``collections`` holds an exploration saved by name (unique per owner): where its texts came from,
the model and options, the texts and labels (``contents``, zlib-compressed JSON) and the vectors
(``vectors``, ``text_count`` x ``dimensions`` little-endian float32), so a saved collection reopens
from one row. ``layout`` keeps the map as it was shown (opaque bytes the explorer writes: coordinates
and clusters), so a large collection reopens without projecting and clustering again.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``collections`` and its indexes."""
    op.create_table(
        "collections",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("owner", sa.String(255), nullable=False, server_default=""),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("source", sa.String(500), nullable=False, server_default=""),
        sa.Column("model", sa.String(500), nullable=False, server_default=""),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("text_count", sa.Integer(), nullable=False),
        sa.Column("dimensions", sa.Integer(), nullable=False),
        sa.Column("contents", sa.LargeBinary(), nullable=False),
        sa.Column("vectors", sa.LargeBinary(), nullable=False),
        sa.Column("layout", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_collections"),
    )
    op.create_index("ux_collections_owner_name", "collections", ["owner", "name"], unique=True)
    op.create_index("ix_collections_owner_updated_at", "collections", ["owner", "updated_at"])


def downgrade() -> None:
    """Drop everything created by :func:`upgrade`."""
    op.drop_index("ix_collections_owner_updated_at", table_name="collections")
    op.drop_index("ux_collections_owner_name", table_name="collections")
    op.drop_table("collections")
