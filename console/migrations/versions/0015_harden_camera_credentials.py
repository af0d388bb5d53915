"""Camera credentials in their own (encrypted) columns, out of the stream URLs.

The split of existing URLs needs the server secret, which migrations do not have: the
cameras module does it at start-up (console/cameras/credentials.py), once per row.

Revision ID: 0009_harden
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_harden"
down_revision = "0009_health"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the sealed user name and password, and a marker for split rows."""
    with op.batch_alter_table("cameras") as batch:
        batch.add_column(sa.Column("username_enc", sa.Text(), nullable=True))
        batch.add_column(sa.Column("password_enc", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("credentials_split", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    """Drop the columns (credentials not yet put back into URLs are lost)."""
    with op.batch_alter_table("cameras") as batch:
        batch.drop_column("credentials_split")
        batch.drop_column("password_enc")
        batch.drop_column("username_enc")
