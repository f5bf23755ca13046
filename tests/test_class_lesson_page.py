"""The lesson a teacher leads, on the Class page through AppTest (issue 30): the teacher's panel and a student's
view in both languages, one store (an SQLite file per test) between them.

A student's lesson and the teacher's answers are fragments polling the store; AppTest runs them with each whole
run, so a `.run()` stands for the next poll.
"""

# ruff: noqa: F811 (the tests take test_class_page's state_dir fixture, imported below, as arguments)

from __future__ import annotations

import re
import string
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from apptest import open_app
from test_class_page import (  # noqa: F401 (state_dir: a fixture)
    PAGE,
    block_text,
    messages,
    start_class,
    state_dir,
    student,
    unescaped,
)

from lenet.classmode import lessons
from lenet.classmode.store import Store
from lenet.i18n import STRINGS, t
from lenet.i18n import class_lesson as lesson_strings
from lenet.lesson import load_lesson

LESSON = load_lesson()
ROOT = Path(__file__).resolve().parent.parent


def run(at, language: str, key: str | None = None):
    """Click the button `key` (or none) and run; the language is set again first, as AppTest runs the page
    without the sidebar's language widget, whose session value a later run loses."""
    at.session_state["language"] = language
    if key is not None:
        at.button(key=key).click()
    at.run()
    assert not at.exception, at.exception
    return at


def right_answer(step):
    """What a student types or picks to be right."""
    return step.question.answer


def answer(pupil, step, given, language: str = "en") -> None:
    """Give `given` (an option's index, or a size as typed) and send it."""
    pupil.session_state["language"] = language
    if step.question.kind == "choice":
        pupil.radio(key="lesson_answer").set_value(given)
    else:
        pupil.text_input(key="lesson_answer").set_value(given)
    pupil.button(key="lesson_check").click().run()
    assert not pupil.exception, pupil.exception


def step_text(at, key: str = "lesson_step") -> str:
    text = block_text(at, key)
    assert text is not None, f"no {key}"
    return text


def part_link(at, key: str, language: str) -> tuple[str, dict]:
    """The link button `key` to the Lesson page (labelled in `language`): its address without the query, and the
    query's fields."""
    button = at.link_button(key=key)
    assert button.value == t("class_lesson.open_part", language)
    url = urlsplit(button.proto.url)
    assert url.path.endswith("/lesson"), button.proto.url
    return url._replace(query="").geturl(), {k: v[0] for k, v in parse_qs(url.query).items()}


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_teacher_leads_every_step_and_the_student_follows(state_dir, language):
    teacher, code = start_class(language)
    assert teacher.button(key="class_lesson_start")
    pupil = student(code, language)
    assert block_text(pupil, "lesson_step") is None, "no lesson yet: the student sees the class page alone"
    run(teacher, language, "class_lesson_start")
    total = len(LESSON.steps)
    for index, step in enumerate(LESSON.steps):
        number_title = f"{index + 1}. {step.title[language]}"
        assert step_text(teacher, "class_lesson_step").startswith(number_title)
        # the step's live part: a link to the Lesson page at the step (no address known here: the path alone)
        where = {"step": str(index + 1), "lang": language}
        assert part_link(teacher, "class_lesson_open", language) == ("/lesson", where)
        assert t("class_lesson.answers", language, n=0) in step_text(teacher, "class_lesson_answers")
        run(pupil, language)
        assert step_text(pupil).startswith(number_title), "the student's screen follows"
        assert part_link(pupil, "class_lesson_part", language) == ("/lesson", where)
        assert step.question.prompt[language][:20] in step_text(pupil, "lesson_question")
        answer(pupil, step, right_answer(step), language)
        assert block_text(pupil, "class_lesson_sent") is not None
        run(teacher, language)
        assert t("class_lesson.answers", language, n=1) in step_text(teacher, "class_lesson_answers")
        if step.live in ("draw", "network"):
            assert t("class_lesson.ours", language) in step_text(teacher, "class_lesson_ours")
        if step.live == "train":
            assert teacher.button(key="class_lesson_tune_start")
        run(teacher, language, "class_lesson_reveal")
        assert t("class_lesson.right_share", language, pct="100%") in step_text(teacher, "class_lesson_answers")
        run(pupil, language)
        result = step_text(pupil, "lesson_result")
        assert step.question.why[language].split("\n")[0][:20] in result
        label = lessons.answer_label(
            step.question, lessons.answer_key_of_right(step.question), language, t("lesson.no_fit", language)
        )
        assert t("class_lesson.yours_right", language, given=label) in unescaped(result)
        if index < total - 1:
            run(teacher, language, "class_lesson_next")
    assert teacher.button(key="class_lesson_next").disabled, "the last step has no next"
    assert {"class_lesson_report", "class_lesson_print"} <= {b.key for b in teacher.download_button}
    assert teacher.checkbox(key="class_lesson_names").value is False, "no nicknames unless the teacher asks"


@pytest.mark.parametrize(
    ("url", "lesson_url"),
    [
        ("http://10.0.0.5:8501/class", "http://10.0.0.5:8501/lesson"),
        ("https://school.example/lenet/class/", "https://school.example/lenet/lesson"),  # served under a path
    ],
)
def test_the_link_to_a_step_s_live_part_is_the_browser_s_address_and_follows_the_step(state_dir, url, lesson_url):
    teacher, code = start_class("zh")
    teacher.context = {"url": url}  # the address the browser has (st.context.url); reloads keep it
    pupil = student(code, "en")
    pupil.context = {"url": url}
    for number in (1, 2, 3):
        # the projector's view goes with the link (set before each run, as the language: AppTest has no sidebar)
        teacher.session_state["projector"] = True
        run(teacher, "zh", "class_lesson_start" if number == 1 else "class_lesson_next")
        assert part_link(teacher, "class_lesson_open", "zh") == (
            lesson_url,
            {"step": str(number), "lang": "zh", "view": "projector"},
        )
        run(pupil, "en")
        assert step_text(pupil).startswith(f"{number}. ")
        assert part_link(pupil, "class_lesson_part", "en") == (lesson_url, {"step": str(number), "lang": "en"})
    assert len(teacher.link_button) == 1 and len(pupil.link_button) == 1, "one link each, under the step"


def test_a_wrong_answer_a_late_joiner_and_the_store_s_counts(state_dir):
    teacher, code = start_class()
    teacher.button(key="class_lesson_start").click().run()
    teacher.button(key="class_lesson_next").click().run()  # step 2
    step = LESSON.steps[1]
    late = student(code)  # joins after the lesson started: lands on the current step
    assert step_text(late).startswith(f"2. {step.title['en']}")
    late.button(key="lesson_check").click().run()  # nothing picked: asked again, nothing sent
    assert t("lesson.unreadable_choice", "en") in messages(late)
    wrong = (step.question.answer + 1) % len(step.question.options)
    answer(late, step, wrong)
    teacher.run()
    bars = step_text(teacher, "class_lesson_answers")
    assert t("class_lesson.answers", "en", n=1) in bars
    teacher.button(key="class_lesson_reveal").click().run()
    late.run()
    result = step_text(late, "lesson_result")
    assert t("class_lesson.yours_wrong", "en", given=step.question.options[wrong]["en"]) in result
    assert "lesson_check" not in {b.key for b in late.button}, "a revealed question takes no more answers"
    store = Store.open(None, state_dir)
    info = store.class_for_code(code)
    assert [(a.step_id, a.answer, a.correct) for a in store.lesson_answers(info.id)] == [(step.id, str(wrong), False)]
    store.close()


def seat_of(pupil) -> str:
    seat = pupil.query_params["seat"]
    return seat[0] if isinstance(seat, list) else seat


@pytest.mark.parametrize("kind", ["choice", "size"])
def test_a_reload_shows_the_answer_sent_and_a_second_send_counts_once(state_dir, kind):
    teacher, code = start_class()
    teacher.button(key="class_lesson_start").click().run()
    index = next(i for i, s in enumerate(LESSON.steps) if s.question.kind == kind)
    for _ in range(index):
        teacher.button(key="class_lesson_next").click().run()
    step = LESSON.steps[index]
    pupil = student(code)
    given = (step.question.answer + 1) % len(step.question.options) if kind == "choice" else "7x7"
    answer(pupil, step, given)
    # the same student's link in a fresh session (a reload, or the phone's browser reopened)
    again = open_app(PAGE, "en", query={"join": code, "seat": seat_of(pupil)})
    assert not again.exception and again.session_state["class_member"] == pupil.session_state["class_member"]
    assert step_text(again).startswith(f"{index + 1}. ")
    label = lessons.answer_label(step.question, lessons.answer_key(step.question, given), "en", "doesn't fit")
    assert t("class_lesson.sent", "en", answer=label) in unescaped(step_text(again, "class_lesson_sent"))
    widget = again.radio(key="lesson_answer") if kind == "choice" else again.text_input(key="lesson_answer")
    assert widget.value == given, "the answer widget holds the answer sent"
    again.button(key="lesson_check").click().run()  # Send once more, unchanged: still one answer
    pupil.button(key="lesson_check").click().run()  # and from the first session too
    teacher.run()
    assert t("class_lesson.answers", "en", n=1) in step_text(teacher, "class_lesson_answers")
    store = Store.open(None, state_dir)
    kept = store.lesson_answers(store.class_for_code(code).id)
    store.close()
    assert [(a.step_id, a.answer) for a in kept] == [(step.id, lessons.answer_key(step.question, given))]
    teacher.button(key="class_lesson_reveal").click().run()
    again.run()
    assert t("class_lesson.yours_wrong", "en", given=label) in unescaped(step_text(again, "lesson_result"))


def test_a_size_question_reads_the_lab_s_way_and_refuses_what_it_cannot_read(state_dir):
    teacher, code = start_class("zh")
    run(teacher, "zh", "class_lesson_start")
    index = next(i for i, s in enumerate(LESSON.steps) if s.question.kind == "size")
    for _ in range(index):
        run(teacher, "zh", "class_lesson_next")
    pupil = student(code, "zh")
    step = LESSON.steps[index]
    assert step_text(pupil).startswith(f"{index + 1}. {step.title['zh']}")
    answer(pupil, step, "<b>banana</b>", "zh")
    assert t("lesson.unreadable_size", "zh") in messages(pupil)
    answer(pupil, step, "1x1", "zh")
    run(teacher, "zh")
    assert 'data-count="1"' in step_text(teacher, "class_lesson_answers")


def test_ending_the_lesson_returns_the_students_to_the_class_page(state_dir):
    teacher, code = start_class()
    teacher.button(key="class_lesson_start").click().run()
    pupil = student(code)
    assert block_text(pupil, "lesson_step") is not None
    teacher.button(key="class_lesson_stop").click().run()
    assert teacher.button(key="class_lesson_start"), "it can start again"
    pupil.run()
    assert block_text(pupil, "lesson_step") is None and pupil.button(key="class_submit")


def test_every_string_has_both_languages_and_every_key_used_has_words():
    fields = lambda text: {name for _, name, _, _ in string.Formatter().parse(text) if name}  # noqa: E731
    for key, entry in lesson_strings.STRINGS.items():
        assert entry.get("en") and entry.get("zh"), key
        assert fields(entry["en"]) == fields(entry["zh"]), key
    source = (ROOT / "class_lesson.py").read_text()
    keys = set(re.findall(r'ui\.tr\("([a-z0-9_.]+)"', source)) | set(re.findall(r'"(class_lesson\.[a-z_.]+)"', source))
    assert keys and not sorted(k for k in keys if k not in STRINGS)
    store_source = (ROOT / "lenet" / "classmode" / "lessons.py").read_text()
    raised = set(re.findall(r'_error\(\s*f?"[^"]*",\s*"([a-z_]+)"', store_source))
    assert {"lesson_moved", "lesson_not_started", "question_closed"} <= raised
    assert not sorted(c for c in raised if f"error.{c}" not in STRINGS)
