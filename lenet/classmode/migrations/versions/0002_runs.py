"""The shared training queue: one row per run (lenet.classmode.runs), read and written by every replica.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the runs table and its two indexes."""
    op.create_table(
        "runs",
        sa.Column("id", sa.String(16), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("owner", sa.String(128), nullable=False),
        sa.Column("backend", sa.String(16), nullable=False),
        sa.Column("replica", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("stop_requested", sa.Boolean, nullable=False),
        sa.Column("keep_on_stop", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("started_at", sa.Double),
        sa.Column("ended_at", sa.Double),
        sa.Column("updated_at", sa.Double, nullable=False),
        sa.Column("model_config", sa.JSON, nullable=False),
        sa.Column("train_config", sa.JSON, nullable=False),
        sa.Column("progress", sa.JSON, nullable=False),
        sa.Column("test_acc", sa.Float),
        sa.Column("checkpoint", sa.Text),
        sa.Column("error_code", sa.String(64)),
        sa.Column("error_params", sa.JSON),
        sa.Column("error_message", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
    )
    op.create_index("ix_runs_owner", "runs", ["owner"])
    op.create_index("ix_runs_status", "runs", ["status"])


def downgrade() -> None:
    """Drop the runs table."""
    op.drop_table("runs")
