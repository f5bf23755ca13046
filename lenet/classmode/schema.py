"""The class-mode tables (SQLAlchemy Core). Alembic's migrations build them; keep the two in step.

Times are seconds since the epoch (float), the same on SQLite and PostgreSQL and easy to compare with
`time.time()`. Every child row names its class, so a class's data is deleted with one statement per table.
"""

from __future__ import annotations

import sqlalchemy as sa

# Named constraints and indexes: the migrations create the same names, and later migrations can alter them by name.
NAMING = {
    "pk": "pk_%(table_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ix": "ix_%(table_name)s_%(column_0_name)s",
}
metadata = sa.MetaData(naming_convention=NAMING)

classes = sa.Table(
    "classes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(6), nullable=False, unique=True),  # two replicas never hand out the same code
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),  # sha256 hex; the token is never stored
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("expires_at", sa.Double, nullable=False),
    sa.Column("ended_at", sa.Double),
    sa.Column("prompt", sa.Text),
    sa.Column("pushed_link", sa.Text),
    sa.Column("pushed_at", sa.Double),
)

members = sa.Table(
    "members",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("class_id", sa.Integer, sa.ForeignKey("classes.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("nickname", sa.Text, nullable=False),
    sa.Column("joined_at", sa.Double, nullable=False),
    # The hash of the seat secret in the student's own link (?join=CODE&seat=SECRET): a reload rejoins this member.
    sa.Column("seat_hash", sa.String(64), index=True),
)

digits = sa.Table(
    "digits",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("class_id", sa.Integer, sa.ForeignKey("classes.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    sa.Column("image", sa.LargeBinary, nullable=False),  # 784 bytes: 28 x 28 uint8, row-major, 255 = ink
    sa.Column("label", sa.SmallInteger, nullable=False),  # the digit the student meant
    sa.Column("prediction", sa.SmallInteger, nullable=False),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    # The page's id for one "Send": a retry after a lost acknowledgement finds the digit instead of adding it twice.
    sa.Column("send_key", sa.String(64)),
    sa.UniqueConstraint("member_id", "send_key", name="uq_digits_member_send_key"),
    sa.Index("ix_digits_member_created", "member_id", "created_at"),  # the flood check
)

questions = sa.Table(
    "questions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("class_id", sa.Integer, sa.ForeignKey("classes.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("options", sa.JSON, nullable=False),  # a list of strings
    sa.Column("correct", sa.SmallInteger),  # index into options, or NULL when the question has no right answer
    sa.Column("revealed", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", sa.Double, nullable=False),
)

answers = sa.Table(
    "answers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("class_id", sa.Integer, sa.ForeignKey("classes.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("question_id", sa.Integer, sa.ForeignKey("questions.id", ondelete="CASCADE"), nullable=False),
    sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    sa.Column("choice", sa.SmallInteger, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.UniqueConstraint("question_id", "member_id", name="uq_answers_question_member"),  # one answer each
)

# The lesson a teacher leads (issue 30; lenet.classmode.lessons): at most one per class, the step every student's
# page shows, whether its answer is revealed, and a version that every teacher action raises (what pages poll).
class_lessons = sa.Table(
    "class_lessons",
    metadata,
    sa.Column("class_id", sa.Integer, sa.ForeignKey("classes.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("step", sa.Integer, nullable=False),  # 0-based, into the lesson's steps (lenet.lesson)
    sa.Column("step_id", sa.String(64), nullable=False),  # that step's id: an answer names the step it answers
    sa.Column("revealed", sa.Boolean, nullable=False, default=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("started_at", sa.Double, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
)

# A student's answer to one step's question: the answer as lenet.classmode.lessons.answer_key writes it ("2" for
# the third option, "12x12", "none" for "doesn't fit") and whether it was right, judged by the server.
lesson_answers = sa.Table(
    "lesson_answers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("class_id", sa.Integer, sa.ForeignKey("classes.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    sa.Column("step_id", sa.String(64), nullable=False),
    sa.Column("answer", sa.String(32), nullable=False),
    sa.Column("correct", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.UniqueConstraint("member_id", "step_id", name="uq_lesson_answers_member_step"),  # one answer each
)

# The training queue every replica shares (lenet.jobs with a RunStore, lenet.classmode.runs): one row per run,
# who started it, where it stands, how it ended. Not class data: a class's TTL does not sweep it.
RUN_COLUMNS = (
    sa.Column("id", sa.String(16), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("owner", sa.String(128), nullable=False, index=True),  # the session that may stop it
    sa.Column("backend", sa.String(16), nullable=False),  # "local" or "ray"
    sa.Column("replica", sa.String(128), nullable=False),  # the replica that drives it (and saves its model)
    sa.Column("status", sa.String(16), nullable=False, index=True),  # lenet.jobs.STATUSES
    sa.Column("stop_requested", sa.Boolean, nullable=False, default=False),
    sa.Column("keep_on_stop", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("started_at", sa.Double),
    sa.Column("ended_at", sa.Double),
    sa.Column("updated_at", sa.Double, nullable=False),  # the driving replica's last sign of life
    sa.Column("model_config", sa.JSON, nullable=False),
    sa.Column("train_config", sa.JSON, nullable=False),
    sa.Column("progress", sa.JSON, nullable=False),  # step, total_steps, epoch, rates, losses, evals, device
    sa.Column("test_acc", sa.Float),
    sa.Column("checkpoint", sa.Text),
    sa.Column("error_code", sa.String(64)),
    sa.Column("error_params", sa.JSON),
    sa.Column("error_message", sa.Text),
)
runs = sa.Table("runs", metadata, *RUN_COLUMNS)
