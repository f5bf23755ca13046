"""The lesson a teacher leads (issue 30): the class's current step and reveal, and each student's answers.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create class_lessons and lesson_answers."""
    op.create_table(
        "class_lessons",
        sa.Column("class_id", sa.Integer, nullable=False),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("step_id", sa.String(64), nullable=False),
        sa.Column("revealed", sa.Boolean, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("started_at", sa.Double, nullable=False),
        sa.Column("updated_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("class_id", name="pk_class_lessons"),
        sa.ForeignKeyConstraint(
            ["class_id"], ["classes.id"], name="fk_class_lessons_class_id_classes", ondelete="CASCADE"
        ),
    )
    op.create_table(
        "lesson_answers",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("class_id", sa.Integer, nullable=False),
        sa.Column("member_id", sa.Integer, nullable=False),
        sa.Column("step_id", sa.String(64), nullable=False),
        sa.Column("answer", sa.String(32), nullable=False),
        sa.Column("correct", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_lesson_answers"),
        sa.ForeignKeyConstraint(
            ["class_id"], ["classes.id"], name="fk_lesson_answers_class_id_classes", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name="fk_lesson_answers_member_id_members", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("member_id", "step_id", name="uq_lesson_answers_member_step"),
    )
    op.create_index("ix_lesson_answers_class_id", "lesson_answers", ["class_id"])


def downgrade() -> None:
    """Drop them, answers first."""
    op.drop_table("lesson_answers")
    op.drop_table("class_lessons")
