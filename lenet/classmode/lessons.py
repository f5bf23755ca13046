"""The lesson a teacher leads in class mode (issue 30): its state in the class store, and the lesson report.

The teacher's page moves the class from step to step and reveals each answer (`start_lesson`, `lesson_go`,
`lesson_reveal`); every student's page polls `lesson_state`, one cached read per class and process, and answers
with `lesson_answer`. An answer is stored as `answer_key` writes it, language-free ("2" for the third option,
"12x12", "none" for "doesn't fit"), with whether it was right: the server judges it with lenet.lesson.check.
`report` counts, per question, the answers, the share right and the most common wrong answer; `report_csv`
writes it (and, only when asked, who answered what). No streamlit.
"""

from __future__ import annotations

import csv
import io
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import exc

from lenet.classmode.schema import class_lessons, lesson_answers, members
from lenet.conv.exercise import read_answer
from lenet.errors import CodedError
from lenet.lesson import Lesson, Question, check

LESSON_MAX_AGE_S = 0.5  # lesson_state: one read per class per half second serves every student of this process
# lesson_state's reads by (database URL, class id): (when read, the state). A teacher action through any Store of
# this process drops them, so its students see it at their next poll.
_READS: dict[tuple[str, int], tuple[float, LessonState | None]] = {}
_LOCK = threading.Lock()
# The CSV's columns, one row per question (report_csv's `headers` names them, and measure, value, student, answer,
# correct for the rows after)
REPORT_COLUMNS = (
    "step",
    "title",
    "question",
    "right_answer",
    "answered",
    "right",
    "share_right",
    "wrong",
    "wrong_count",
)


@dataclass(frozen=True)
class LessonState:
    """Where the class's lesson stands: the step shown (0-based), its id, and whether its answer is revealed."""

    step: int
    step_id: str
    revealed: bool
    version: int  # raised by every teacher action


@dataclass(frozen=True)
class LessonAnswer:
    """One student's answer to one step's question."""

    member_id: int
    nickname: str
    step_id: str
    answer: str  # answer_key's form
    correct: bool


@dataclass(frozen=True)
class QuestionReport:
    """One question's line in the report."""

    number: int  # 1-based step number
    step_id: str
    answered: int
    right: int
    wrong: str | None  # the most common wrong answer (answer_key's form), None when nobody was wrong
    wrong_count: int

    @property
    def share_right(self) -> float | None:
        return self.right / self.answered if self.answered else None


def answer_key(question: Question, given) -> str | None:
    """An answer as stored: the option's 0-based index, or the size ("12x12", "none"); None when unreadable."""
    if question.kind == "choice":
        if isinstance(given, bool) or not isinstance(given, int) or not 0 <= given < len(question.options):
            return None
        return str(given)
    text = str(given or "").strip()
    readable, size = read_answer(text)
    if not text or not readable:
        return None
    return "none" if size is None else f"{size[0]}x{size[1]}"


def key_correct(question: Question, key: str) -> bool:
    """Whether a stored answer is the right one."""
    if question.kind == "choice":
        return check(question, int(key)).correct
    return check(question, "doesn't fit" if key == "none" else key).correct


def given_of_key(question: Question, key: str, no_fit: str = "doesn't fit"):
    """A stored answer as the answer widget holds it: the option's index, or the size as typed (`no_fit` for
    "none"): what a student's page shows again after a reload."""
    if question.kind == "choice":
        return int(key)
    return no_fit if key == "none" else key


def answer_label(question: Question, key: str, lang: str, no_fit: str) -> str:
    """A stored answer as a person reads it: the option's text, or the size ("12×12", or `no_fit`)."""
    if question.kind == "choice":
        return question.options[int(key)][lang]
    return no_fit if key == "none" else key.replace("x", "×")


def report(lesson: Lesson, answers: Sequence[LessonAnswer]) -> list[QuestionReport]:
    """Per step: how many answered, how many were right, and the most common wrong answer (ties: the smaller key)."""
    rows = []
    for number, step in enumerate(lesson.steps, 1):
        mine = [a for a in answers if a.step_id == step.id]
        wrong = Counter(a.answer for a in mine if not a.correct)
        top = min(wrong.items(), key=lambda item: (-item[1], item[0]), default=(None, 0))
        rows.append(QuestionReport(number, step.id, len(mine), sum(a.correct for a in mine), top[0], top[1]))
    return rows


def _cell(value) -> str:
    """A CSV cell a spreadsheet shows as text: one starting with = + - @ would otherwise run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def report_csv(
    lesson: Lesson,
    answers: Sequence[LessonAnswer],
    lang: str,
    headers: dict[str, str],
    no_fit: str,
    accuracy: dict[str, float | None],
    names: bool = False,
) -> str:
    """The lesson report as CSV: one row per question; then the class's accuracies; then, only with `names`,
    one row per student and answer.

    Args:
        headers: the column names, keyed step, title, question, right_answer, answered, right, share_right,
            wrong, wrong_count, measure, value, student, answer, correct.
        accuracy: named accuracies (e.g. class_before_finetuning), shares 0-1 or None when unknown.
        names: list who answered what (the students' nicknames).
    """
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers[c] for c in REPORT_COLUMNS)
    for row, step in zip(report(lesson, answers), lesson.steps, strict=True):
        question = step.question
        right = answer_label(question, answer_key_of_right(question), lang, no_fit)
        wrong = answer_label(question, row.wrong, lang, no_fit) if row.wrong is not None else ""
        share = f"{row.share_right:.3f}" if row.share_right is not None else ""
        cells = (row.number, step.title[lang], question.prompt[lang], right, row.answered, row.right, share, wrong)
        writer.writerow([*map(_cell, cells), row.wrong_count])
    writer.writerow([])
    writer.writerow([headers["measure"], headers["value"]])
    for name, value in accuracy.items():
        writer.writerow([name, "" if value is None else f"{value:.4f}"])
    if names:
        by_id = {step.id: (number, step) for number, step in enumerate(lesson.steps, 1)}
        writer.writerow([])
        writer.writerow([headers["student"], headers["step"], headers["answer"], headers["correct"]])
        for a in sorted(answers, key=lambda a: (a.member_id, by_id.get(a.step_id, (0,))[0])):
            if a.step_id in by_id:
                number, step = by_id[a.step_id]
                label = answer_label(step.question, a.answer, lang, no_fit)
                writer.writerow([_cell(a.nickname), number, _cell(label), int(a.correct)])
    return out.getvalue()


def answer_key_of_right(question: Question) -> str:
    """The right answer in answer_key's form."""
    if question.kind == "choice":
        return str(question.answer)
    return answer_key(question, question.answer)


class LessonStore:
    """The lesson's reads and writes; lenet.classmode.store.Store inherits them (its transaction and checks)."""

    def _lesson_write(self, token: str, values) -> LessonState:
        """Change the teacher's class's lesson row with `values(conn, class_id, row | None) -> dict | None`,
        raising its version; None leaves the row as it is (an action already done) and returns its state."""
        with self._transaction(write=True) as conn:
            info = self._live(self._teacher_row(conn, token, write=True))
            row = conn.execute(sa.select(class_lessons).where(class_lessons.c.class_id == info.id)).first()
            changes = values(conn, info.id, row)
            if changes is None:
                return _state(row)
            changes.update(version=(row.version if row else 0) + 1, updated_at=self.clock())
            if row is None:
                conn.execute(class_lessons.insert().values(class_id=info.id, started_at=self.clock(), **changes))
            else:
                conn.execute(class_lessons.update().where(class_lessons.c.class_id == info.id).values(**changes))
            state = _state(conn.execute(sa.select(class_lessons).where(class_lessons.c.class_id == info.id)).first())
        self._forget_lesson()
        return state

    def start_lesson(self, token: str, first_step_id: str, *, restart: bool = True) -> LessonState:
        """Start (or restart) the lesson for the teacher's class at its first step; earlier answers are deleted.

        restart=False (the Start button's click): a lesson that already runs is left as it is, so a click that
        reaches the server twice does not start it afresh and delete the answers given since."""

        def values(conn, class_id, row):
            if row is not None and not restart:
                return None
            conn.execute(lesson_answers.delete().where(lesson_answers.c.class_id == class_id))
            return {"step": 0, "step_id": first_step_id[:64], "revealed": False}

        return self._lesson_write(token, values)

    def lesson_go(self, token: str, step: int, step_id: str, *, from_step: int | None = None) -> LessonState:
        """Move the class to step `step` (0-based) whose id is `step_id`; its answer is hidden again.

        from_step: the step the teacher's screen showed (Next's click); when the class is no longer on it, the
        move was made already (the same click reaching the server twice, or the projector and a laptop both
        clicking) and nothing changes: one click never skips a step."""
        if isinstance(step, bool) or not isinstance(step, int) or step < 0:
            raise _error(f"No step {step!r}.", "lesson_not_started")

        def values(_conn, _class_id, row):
            if row is None:
                raise _not_started()
            if from_step is not None and row.step != from_step:
                return None
            return {"step": step, "step_id": step_id[:64], "revealed": False}

        return self._lesson_write(token, values)

    def lesson_reveal(self, token: str, *, step: int | None = None) -> LessonState:
        """Reveal the current step's answer on every screen; it takes no more answers.

        step: the step the teacher's screen showed (Reveal's click); on another step nothing changes, so a late
        click never reveals the next step's answer."""

        def values(_conn, _class_id, row):
            if row is None:
                raise _not_started()
            if step is not None and row.step != step:
                return None
            return {"revealed": True}

        return self._lesson_write(token, values)

    def stop_lesson(self, token: str) -> None:
        """End the lesson (students go back to the class page); its answers stay for the report until a restart."""
        with self._transaction(write=True) as conn:
            info = self._live(self._teacher_row(conn, token, write=True))
            conn.execute(class_lessons.delete().where(class_lessons.c.class_id == info.id))
        self._forget_lesson()

    def lesson_state(self, class_id: int, max_age_s: float = LESSON_MAX_AGE_S) -> LessonState | None:
        """The class's lesson as its students' pages poll it (None when there is none); one database read per
        class and `max_age_s` in this process, and a teacher action through this process is seen at once."""
        now = time.monotonic()
        where = (str(self.engine.url), class_id)
        with _LOCK:
            kept = _READS.get(where)
        if kept is None or now - kept[0] >= max_age_s:
            with self._transaction() as conn:
                row = conn.execute(sa.select(class_lessons).where(class_lessons.c.class_id == class_id)).first()
            kept = (now, _state(row) if row is not None else None)
            with _LOCK:
                _READS[where] = kept
        return kept[1]

    def _forget_lesson(self) -> None:
        url = str(self.engine.url)
        with _LOCK:
            for where in [where for where in _READS if where[0] == url]:
                del _READS[where]

    def lesson_answer(self, member, step_id: str, answer: str, correct: bool) -> None:
        """Record the member's answer to the current step (answering again replaces it).

        Raises ClassError "lesson_moved" when the class is on another step (or no lesson runs), "question_closed"
        once its answer is revealed; ClassError as a student's other operations do.
        """
        with self._transaction(write=True) as conn:
            self._member_row(conn, member)
            row = conn.execute(sa.select(class_lessons).where(class_lessons.c.class_id == member.class_id)).first()
            if row is None or row.step_id != step_id:
                raise _error("The class has moved on to another step.", "lesson_moved")
            if row.revealed:
                raise _error("The answer has been revealed; this question is closed.", "question_closed")
            mine = (lesson_answers.c.member_id == member.id) & (lesson_answers.c.step_id == step_id)
            values = {"answer": str(answer)[:32], "correct": bool(correct), "created_at": self.clock()}
            if conn.execute(lesson_answers.update().where(mine).values(**values)).rowcount:
                return
            try:
                with conn.begin_nested():  # a savepoint: the same student's concurrent first answer may win
                    conn.execute(
                        lesson_answers.insert().values(
                            class_id=member.class_id, member_id=member.id, step_id=step_id, **values
                        )
                    )
            except exc.IntegrityError:  # unique (member, step): that one is in; this one replaces it
                conn.execute(lesson_answers.update().where(mine).values(**values))

    def member_lesson_answers(self, member) -> list[LessonAnswer]:
        """The member's own answers (a reload shows them again), in the order given."""
        return self._answers((lesson_answers.c.member_id == member.id) & (lesson_answers.c.class_id == member.class_id))

    def lesson_answers(self, class_id: int) -> list[LessonAnswer]:
        """Every answer of the class's lesson, with the students' nicknames, in the order given."""
        return self._answers(lesson_answers.c.class_id == class_id)

    def _answers(self, where) -> list[LessonAnswer]:
        query = (
            sa.select(lesson_answers, members.c.nickname)
            .join(members, lesson_answers.c.member_id == members.c.id)
            .where(where)
            .order_by(lesson_answers.c.id)
        )
        with self._transaction() as conn:
            return [
                LessonAnswer(r.member_id, r.nickname, r.step_id, r.answer, bool(r.correct)) for r in conn.execute(query)
            ]


def _state(row) -> LessonState:
    return LessonState(row.step, row.step_id, bool(row.revealed), row.version)


def _not_started() -> CodedError:
    return _error("No lesson is running in this class; start it first.", "lesson_not_started")


def _error(message: str, code: str) -> CodedError:
    """A ClassError, which the pages already catch (imported here: the store module imports this one)."""
    from lenet.classmode.store import ClassError

    return ClassError(message, code)
