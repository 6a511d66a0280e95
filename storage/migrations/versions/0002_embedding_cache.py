"""The embedding cache: one float32 vector per (owner, model, dimensions, input type, text hash).

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-15

Spelled out explicitly (not ``metadata.create_all``) so this revision stays fixed when
``storage.models`` evolves.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``embedding_cache`` and its unique key index."""
    op.create_table(
        "embedding_cache",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
            autoincrement=True,
        ),
        sa.Column("owner", sa.String(255), nullable=False, server_default=""),
        sa.Column("model_key", sa.String(500), nullable=False),
        sa.Column("dimensions", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("input_type", sa.String(16), nullable=False, server_default=""),
        sa.Column("text_hash", sa.String(64), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_embedding_cache"),
    )
    op.create_index(
        "ux_embedding_cache_key",
        "embedding_cache",
        ["owner", "model_key", "dimensions", "input_type", "text_hash"],
        unique=True,
    )


def downgrade() -> None:
    """Drop everything created by :func:`upgrade`."""
    op.drop_index("ux_embedding_cache_key", table_name="embedding_cache")
    op.drop_table("embedding_cache")
