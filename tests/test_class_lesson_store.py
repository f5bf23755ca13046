"""The lesson a teacher leads (issue 30) in the class store, on SQLite and on a real PostgreSQL server, and its
report (lenet.classmode.lessons): the step and reveal every student follows, the answers, the counts, the CSV.

The store fixtures are test_class_store.py's (each PostgreSQL test gets a new database on the session's server,
so the migrations, 0004 included, run on both databases).
"""

# ruff: noqa: F811 (the tests take test_class_store's fixtures, imported below, as arguments)

from __future__ import annotations

import csv
import io
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from test_class_store import TTL_HOURS, Clock, clock, db, postgres, store  # noqa: F401 (fixtures)

from lenet.classmode import lessons
from lenet.classmode.lessons import LessonAnswer
from lenet.classmode.schema import class_lessons
from lenet.classmode.store import ClassError, Store
from lenet.figures.class_lesson import report_page
from lenet.lesson import load_lesson

LESSON = load_lesson()
HEADERS = {c: c for c in (*lessons.REPORT_COLUMNS, "measure", "value", "student", "answer", "correct")}


def _code(excinfo) -> str:
    return excinfo.value.code


def test_a_student_sending_the_same_answer_at_once_from_two_tabs_counts_once(store):
    code, token = store.start_class()
    pupil = store.join(code, "twice")
    store.start_lesson(token, "why")
    with ThreadPoolExecutor(8) as pool:  # the same student's Send, eight times at once: one answer, no error
        list(pool.map(lambda i: store.lesson_answer(pupil, "why", str(i % 3), i % 3 == 1), range(8)))
    kept = store.lesson_answers(pupil.class_id)
    assert len(kept) == 1 and kept[0].answer in {"0", "1", "2"}


def test_the_teacher_steers_and_students_answer(store):
    code, token = store.start_class()
    info = store.class_for_code(code)
    students = [store.join(code, f"s{i}") for i in range(3)]
    assert store.lesson_state(info.id, max_age_s=0) is None
    with pytest.raises(ClassError) as not_started:
        store.lesson_go(token, 1, "x")
    assert _code(not_started) == "lesson_not_started"
    with pytest.raises(ClassError) as stranger:
        store.start_lesson("not-the-token", "why")
    assert _code(stranger) == "not_teacher"

    first = store.start_lesson(token, "why")
    assert (first.step, first.step_id, first.revealed) == (0, "why", False)
    store.lesson_answer(students[0], "why", "1", True)
    store.lesson_answer(students[1], "why", "0", False)
    store.lesson_answer(students[1], "why", "2", False)  # a change of mind replaces the answer
    with pytest.raises(ClassError) as elsewhere:
        store.lesson_answer(students[2], "architecture", "2", True)  # not the step the class is on
    assert _code(elsewhere) == "lesson_moved"
    assert [(a.nickname, a.answer, a.correct) for a in store.lesson_answers(info.id)] == [
        ("s0", "1", True),
        ("s1", "2", False),
    ]

    revealed = store.lesson_reveal(token)
    assert revealed.revealed and revealed.version > first.version
    with pytest.raises(ClassError) as closed:
        store.lesson_answer(students[2], "why", "1", True)
    assert _code(closed) == "question_closed"

    second = store.lesson_go(token, 1, "architecture")
    assert (second.step, second.step_id, second.revealed) == (1, "architecture", False)
    assert second.version > revealed.version
    store.lesson_answer(students[2], "architecture", "2", True)
    assert len(store.lesson_answers(info.id)) == 3
    assert [(a.step_id, a.answer) for a in store.member_lesson_answers(students[1])] == [("why", "2")]
    assert [(a.step_id, a.answer) for a in store.member_lesson_answers(students[2])] == [("architecture", "2")]

    store.stop_lesson(token)
    assert store.lesson_state(info.id, max_age_s=0) is None
    assert len(store.lesson_answers(info.id)) == 3, "the answers stay for the report"
    store.start_lesson(token, "why")  # starting again starts afresh
    assert store.lesson_answers(info.id) == []


def test_students_see_a_step_at_once_from_this_process_and_within_max_age_from_another(store, db, clock):
    code, token = store.start_class()
    info = store.class_for_code(code)
    other = Store.open(db.url, db.state_dir, TTL_HOURS, clock=clock)
    store.start_lesson(token, "why")
    assert store.lesson_state(info.id).step == 0
    other.lesson_go(token, 3, "window")  # a teacher action through any store of this process: seen at once
    assert store.lesson_state(info.id, max_age_s=600).step_id == "window"
    with other.engine.begin() as conn:  # another replica's write, past this process's methods
        conn.execute(class_lessons.update().where(class_lessons.c.class_id == info.id).values(step=4, step_id="x"))
    assert store.lesson_state(info.id, max_age_s=600).step == 3, "one read serves the class"
    assert store.lesson_state(info.id, max_age_s=0).step == 4
    other.close()


def test_ending_the_class_deletes_its_lesson_and_answers(store):
    code, token = store.start_class()
    keep_code, keep_token = store.start_class()
    info, kept = store.class_for_code(code), store.class_for_code(keep_code)
    for c, t in ((code, token), (keep_code, keep_token)):
        store.start_lesson(t, "why")
        store.lesson_answer(store.join(c, "ana"), "why", "1", True)
    store.end_class(token)
    with store.engine.connect() as conn:
        for table in ("class_lessons", "lesson_answers"):
            left = conn.scalar(sa.text(f"SELECT count(*) FROM {table} WHERE class_id = :c"), {"c": info.id})
            assert left == 0, table
    assert len(store.lesson_answers(kept.id)) == 1 and store.lesson_state(kept.id, max_age_s=0) is not None


def test_answer_keys_are_language_free_and_judged_as_the_lesson_judges():
    choice = next(s.question for s in LESSON.steps if s.question.kind == "choice")
    size = next(s.question for s in LESSON.steps if s.question.kind == "size")
    assert lessons.answer_key(choice, 1) == "1" and lessons.answer_key(choice, None) is None
    assert lessons.answer_key(choice, len(choice.options)) is None and lessons.answer_key(choice, True) is None
    assert lessons.answer_key(size, " 24 x 24 ") == "24x24" and lessons.answer_key(size, "24") == "24x24"
    assert lessons.answer_key(size, "doesn't fit") == "none" and lessons.answer_key(size, "banana") is None
    right = lessons.answer_key_of_right(size)
    assert lessons.key_correct(size, right) and not lessons.key_correct(size, "1x1")
    assert lessons.key_correct(choice, str(choice.answer))
    assert lessons.answer_label(size, "none", "en", "doesn't fit") == "doesn't fit"


def _answers() -> list[LessonAnswer]:
    """Five students on the first two steps: step 1 three right and two wrong (twice option 0), step 2 none."""
    why = LESSON.steps[0]
    right = str(why.question.answer)
    wrong = [str(i) for i in range(len(why.question.options)) if str(i) != right]
    given = [right, right, right, wrong[0], wrong[0]] if len(wrong) == 1 else [right] * 3 + [wrong[1], wrong[1]]
    names = ['=HYPERLINK("http://x")', "ana", "ben", "<b>cy</b>", "dee"]
    return [LessonAnswer(i, names[i], why.id, g, g == right) for i, g in enumerate(given)]


def test_the_report_counts_each_question_and_its_most_common_mistake():
    answers = _answers()
    rows = lessons.report(LESSON, answers)
    assert len(rows) == len(LESSON.steps)
    first = rows[0]
    assert (first.answered, first.right, first.wrong_count) == (5, 3, 2)
    assert first.share_right == pytest.approx(0.6) and first.wrong == answers[-1].answer
    assert (rows[1].answered, rows[1].share_right, rows[1].wrong) == (0, None, None)


def test_the_csv_holds_nicknames_only_when_asked_and_none_runs_as_a_formula():
    answers = _answers()
    accuracy = {"before": 0.5, "after": 0.75, "mnist": None}
    plain = lessons.report_csv(LESSON, answers, "en", HEADERS, "doesn't fit", accuracy)
    for nickname in ("ana", "HYPERLINK", "cy"):
        assert nickname not in plain
    table = list(csv.reader(io.StringIO(plain)))
    assert table[0][:2] == ["step", "title"]
    assert table[1][4:7] == ["5", "3", "0.600"] and table[1][8] == "2"
    assert ["before", "0.5000"] in table and ["after", "0.7500"] in table and ["mnist", ""] in table
    named = list(csv.reader(io.StringIO(lessons.report_csv(LESSON, answers, "zh", HEADERS, "放不下", accuracy, True))))
    students = named[named.index(["student", "step", "answer", "correct"]) + 1 :]
    assert len(students) == 5 and {row[0] for row in students} >= {"ana", "<b>cy</b>"}
    assert ['\'=HYPERLINK("http://x")', "1", LESSON.steps[0].question.options[0]["zh"], "1"] not in students
    assert any(row[0] == '\'=HYPERLINK("http://x")' for row in students), "a formula is shown as text"
    assert named[1][1] == LESSON.steps[0].title["zh"]


def test_the_page_to_print_shows_typed_text_as_text():
    page = report_page("Lesson <i>", "zh", [("Answers", ["student", "answer"], [["<img src=x onerror=alert(1)>", 3]])])
    assert page.startswith("<!doctype html>") and 'lang="zh"' in page
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page and "<i>" not in page


def test_a_teacher_click_that_reaches_the_server_twice_acts_once(store):
    """Streamlit 1.67 can run a button's callback in two runs of a fragment (seen in the 10-student browser test:
    one Next took the class from step 12 to 14). Every teacher action names the step it was clicked on."""
    code, token = store.start_class()
    info = store.class_for_code(code)
    pupil = store.join(code, "ana")
    store.start_lesson(token, "why", restart=False)
    store.lesson_answer(pupil, "why", "1", True)
    again = store.start_lesson(token, "why", restart=False)  # Start, twice: the answer given since stays
    assert (again.step, len(store.lesson_answers(info.id))) == (0, 1)
    moved = store.lesson_go(token, 1, "architecture", from_step=0)
    twice = store.lesson_go(token, 1, "architecture", from_step=0)
    assert (moved.step, twice.step, twice.version) == (1, 1, moved.version)
    late = store.lesson_go(token, 2, "window", from_step=0)  # a click made on step 0, arriving on step 1
    assert (late.step, late.step_id) == (1, "architecture")
    assert not store.lesson_reveal(token, step=0).revealed, "a late Reveal never shows the next step's answer"
    assert store.lesson_reveal(token, step=1).revealed
    assert store.lesson_go(token, 2, "window", from_step=1).step == 2
    assert store.lesson_state(info.id, max_age_s=0).step_id == "window"
