"""Members keep their seat: a secret in the student's own link, so a reload rejoins as the same student.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("members") as batch:  # batch: SQLite alters a table by copying it
        batch.add_column(sa.Column("seat_hash", sa.String(64)))
        batch.create_index("ix_members_seat_hash", ["seat_hash"])


def downgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.drop_index("ix_members_seat_hash")
        batch.drop_column("seat_hash")
