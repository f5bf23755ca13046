"""Class mode's first schema: classes, members, digits, questions, answers.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _create_classes() -> None:
    op.create_table(
        "classes",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("code", sa.String(6), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("expires_at", sa.Double, nullable=False),
        sa.Column("ended_at", sa.Double),
        sa.Column("prompt", sa.Text),
        sa.Column("pushed_link", sa.Text),
        sa.Column("pushed_at", sa.Double),
        sa.PrimaryKeyConstraint("id", name="pk_classes"),
        sa.UniqueConstraint("code", name="uq_classes_code"),
        sa.UniqueConstraint("token_hash", name="uq_classes_token_hash"),
    )


def _create_members() -> None:
    op.create_table(
        "members",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("class_id", sa.Integer, nullable=False),
        sa.Column("nickname", sa.Text, nullable=False),
        sa.Column("joined_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_members"),
        sa.ForeignKeyConstraint(["class_id"], ["classes.id"], name="fk_members_class_id_classes", ondelete="CASCADE"),
    )
    op.create_index("ix_members_class_id", "members", ["class_id"])


def _create_digits() -> None:
    op.create_table(
        "digits",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("class_id", sa.Integer, nullable=False),
        sa.Column("member_id", sa.Integer, nullable=False),
        sa.Column("image", sa.LargeBinary, nullable=False),
        sa.Column("label", sa.SmallInteger, nullable=False),
        sa.Column("prediction", sa.SmallInteger, nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("send_key", sa.String(64)),
        sa.PrimaryKeyConstraint("id", name="pk_digits"),
        sa.ForeignKeyConstraint(["class_id"], ["classes.id"], name="fk_digits_class_id_classes", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name="fk_digits_member_id_members", ondelete="CASCADE"),
        sa.UniqueConstraint("member_id", "send_key", name="uq_digits_member_send_key"),
    )
    op.create_index("ix_digits_class_id", "digits", ["class_id"])
    op.create_index("ix_digits_member_created", "digits", ["member_id", "created_at"])


def _create_questions() -> None:
    op.create_table(
        "questions",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("class_id", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("options", sa.JSON, nullable=False),
        sa.Column("correct", sa.SmallInteger),
        sa.Column("revealed", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_questions"),
        sa.ForeignKeyConstraint(["class_id"], ["classes.id"], name="fk_questions_class_id_classes", ondelete="CASCADE"),
    )
    op.create_index("ix_questions_class_id", "questions", ["class_id"])


def _create_answers() -> None:
    op.create_table(
        "answers",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("class_id", sa.Integer, nullable=False),
        sa.Column("question_id", sa.Integer, nullable=False),
        sa.Column("member_id", sa.Integer, nullable=False),
        sa.Column("choice", sa.SmallInteger, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_answers"),
        sa.ForeignKeyConstraint(["class_id"], ["classes.id"], name="fk_answers_class_id_classes", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["question_id"], ["questions.id"], name="fk_answers_question_id_questions", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name="fk_answers_member_id_members", ondelete="CASCADE"),
        sa.UniqueConstraint("question_id", "member_id", name="uq_answers_question_member"),
    )
    op.create_index("ix_answers_class_id", "answers", ["class_id"])


def upgrade() -> None:
    """Create the five tables, parents first."""
    _create_classes()
    _create_members()
    _create_digits()
    _create_questions()
    _create_answers()


def downgrade() -> None:
    """Drop the five tables, children first."""
    for table in ("answers", "questions", "digits", "members", "classes"):
        op.drop_table(table)
