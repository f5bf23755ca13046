"""The Lesson page (/lesson) through AppTest: every step in both languages, every question right and wrong, the
step in the link, the score and the summary, and a broken lesson file named on the page."""

from __future__ import annotations

import re
import time

import pytest
import streamlit as st
import strokes
from apptest import block_text, open_app
from streamlit.testing.v1 import AppTest

import lenet.lesson
from lenet.i18n import t
from lenet.lesson import load_lesson

PAGE = "pages/lesson.py"
LESSON = load_lesson()
DRAWN_3 = strokes.render(strokes.digit_strokes(3))


def lesson_at(language: str, query: dict | None = None, **state) -> AppTest:
    at = open_app(PAGE, language, query=query, **state)
    assert not at.exception, at.exception
    return at


def rerun(at: AppTest, language: str) -> AppTest:
    """One more run in `language`: AppTest runs a switched-to page without the sidebar's language widget."""
    at.session_state["language"] = language
    at.run()
    assert not at.exception, at.exception
    return at


def wrong_answer(question):
    if question.kind == "choice":
        return (question.answer + 1) % len(question.options)
    return "3x3" if question.expected is None else "doesn't fit"


def right_answer(question):
    if question.kind == "choice":
        return question.answer
    return "doesn't fit" if question.expected is None else "{}x{}".format(*question.expected)


def answer(at: AppTest, question, given, language: str) -> str:
    """Give an answer, press Check, and return the result container's text."""
    if question.kind == "choice":
        at.radio(key="lesson_answer").set_value(given)
    else:
        at.text_input(key="lesson_answer").input(given)
    at.session_state["language"] = language
    at.button(key="lesson_check").click().run()
    assert not at.exception, at.exception
    return block_text(at, "lesson_result") or ""


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_step_renders_and_every_question_is_checked_right_and_wrong(language):
    at = lesson_at(language, draw_injected_rgba=DRAWN_3)
    right_first = 0
    for number, step in enumerate(LESSON.steps, 1):
        assert block_text(at, "lesson_step").startswith(f"{number}. {step.title[language]}")
        assert at.query_params["step"] == [str(number)] or at.query_params["step"] == str(number)
        assert step.question.prompt[language] in block_text(at, "lesson_question")
        assert block_text(at, "lesson_result") is None  # predict first: nothing is revealed before Check
        question = step.question
        if number % 2:  # odd steps: wrong, then right; even steps: right at once
            result = answer(at, question, wrong_answer(question), language)
            assert t("lesson.wrong", language).split("{")[0] in result, result
            assert question.why[language].split("\n")[0][:20] in result
        else:
            right_first += 1
        result = answer(at, question, right_answer(question), language)
        assert t("lesson.right", language) in result
        assert question.why[language].split("\n")[0][:20] in result
        if number < len(LESSON.steps):
            at.session_state["language"] = language
            at.button(key="lesson_next").click().run()
            assert not at.exception, at.exception
    # the last step scores the first tries
    assert f"{right_first} / {len(LESSON.steps)}" in block_text(at, "lesson_score")
    summary = at.get("download_button")
    assert summary, "no downloads"


def test_the_live_parts_use_the_students_digit():
    at = lesson_at("en", draw_injected_rgba=DRAWN_3)
    assert at.session_state["lesson_digit"].shape == (28, 28)
    own = t("lesson.digit.own", "en")
    at.query_params["step"] = "4"  # the window on the student's digit
    rerun(at, "en")
    assert own in " ".join(c.value for c in at.caption)


@pytest.mark.parametrize(("asked", "shown"), [("5", 5), ("0", 1), ("99", len(LESSON.steps)), ("seven", 1)])
def test_a_link_opens_its_step_clamped(asked, shown):
    at = lesson_at("en", query={"step": asked})
    assert block_text(at, "lesson_step").startswith(f"{shown}. ")
    assert at.query_params["step"] in (str(shown), [str(shown)])


def test_back_and_next_keep_the_answers():
    at = lesson_at("en", query={"step": "4"})
    question = LESSON.steps[3].question
    answer(at, question, "24 x 24", "en")
    at.button(key="lesson_next").click()
    rerun(at, "en")
    assert block_text(at, "lesson_step").startswith("5. ")
    assert block_text(at, "lesson_result") is None
    at.button(key="lesson_prev").click()
    rerun(at, "en")
    assert block_text(at, "lesson_step").startswith("4. ")
    assert t("lesson.right", "en") in block_text(at, "lesson_result")
    assert at.text_input(key="lesson_answer").value == "24 x 24"


def test_an_unreadable_answer_is_asked_again_not_scored():
    at = lesson_at("en", query={"step": "4"})
    at.text_input(key="lesson_answer").input("<b>big</b>")
    at.button(key="lesson_check").click()
    rerun(at, "en")
    assert block_text(at, "lesson_result") is None
    assert t("lesson.unreadable_size", "en") in " ".join(w.value for w in at.warning)
    assert at.session_state["lesson_answers"] == {}
    at.query_params["step"] = "1"
    rerun(at, "en")
    at.button(key="lesson_check").click()  # no option picked
    rerun(at, "en")
    assert t("lesson.unreadable_choice", "en") in " ".join(w.value for w in at.warning)


def test_a_broken_lesson_file_is_named_on_the_page(tmp_path, monkeypatch):
    text = lenet.lesson.LESSON_FILE.read_text(encoding="utf-8").replace('live = "pooling"', 'live = "slides"')
    (tmp_path / "cnn.toml").write_text(text, encoding="utf-8")
    monkeypatch.setattr(lenet.lesson, "LESSON_FILE", tmp_path / "cnn.toml")
    for language in ("en", "zh"):
        at = lesson_at(language)
        shown = re.sub(r"\\(.)", r"\1", " ".join(e.value for e in at.error))
        assert "9 (pooling)" in shown and "live" in shown, shown
        assert "slides" not in shown


@pytest.fixture
def tiny_env(tmp_path, monkeypatch):
    """A tiny MNIST, an empty runs folder and a fresh job registry (the registry is per process)."""
    from tiny_mnist import write_tiny_mnist

    monkeypatch.setenv("LENET_DATA_DIR", str(write_tiny_mnist(tmp_path / "mnist")))
    monkeypatch.setenv("LENET_RUNS_DIR", str(tmp_path / "runs"))
    st.cache_resource.clear()
    yield tmp_path
    st.cache_resource.clear()


def test_the_training_step_trains_through_the_registry_and_shows_the_run(tiny_env):
    number = next(i for i, step in enumerate(LESSON.steps, 1) if step.live == "train")
    at = lesson_at("en", query={"step": str(number)})
    at.button(key="lesson_train_start").click()
    rerun(at, "en")
    finished = t("train.state_finished", "en")
    deadline = time.monotonic() + 120
    while finished not in (block_text(at, "lesson_train_status") or "") and time.monotonic() < deadline:
        time.sleep(0.5)
        rerun(at, "en")
    status = block_text(at, "lesson_train_status")
    assert finished in status, status
    assert re.search(r"test accuracy \d+\.\d%", status), status
    # watch it learn your digit: the feature-maps step offers the drawing surface with the run's history
    maps = next(i for i, step in enumerate(LESSON.steps, 1) if step.live == "feature_maps")
    at.query_params["step"] = str(maps)
    rerun(at, "en")
    assert t("lesson.learn.text", "en") in block_text(at, "lesson_learn")
    assert "lesson_learn_canvas" in element_keys(at), "no drawing surface with the run's scrubber"


def element_keys(at: AppTest) -> set[str]:
    """The keys of every element and keyed container on the page."""
    found, todo = set(), [at._tree]
    while todo:
        node = todo.pop()
        proto_id = str(getattr(getattr(node, "proto", None), "id", ""))
        found |= {getattr(node, "key", None), proto_id.rsplit("-", 1)[-1]} - {None, ""}
        todo += list(getattr(node, "children", {}).values())
    return found


def test_the_feature_maps_step_offers_the_scrubber_on_the_shipped_history():
    maps = next(i for i, step in enumerate(LESSON.steps, 1) if step.live == "feature_maps")
    at = lesson_at("en", query={"step": str(maps)})
    assert t("lesson.learn.text", "en") in block_text(at, "lesson_learn")  # the shipped model keeps its history
    assert "lesson_learn_canvas" in element_keys(at)
