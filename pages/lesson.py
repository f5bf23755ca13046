"""Lesson (/lesson): the tutorial "Convolution Neural Network in PyTorch" as steps to follow, predict, then reveal.

UI only. The steps, their texts, questions, answers and explanations are data (lenet/lessons/cnn.toml, read and
checked by lenet.lesson); each step names one live part from lenet.lesson.LIVE_PARTS, and lesson_parts.LIVE has one
small function per part (the class view of a lesson a teacher leads embeds the same parts). The step is in the
URL (`?step=N`, 1-based, clamped) and the answers in the session; the last step scores them and offers a one-page
summary to print. Tests inject a drawing as on the Draw page: `draw_injected_rgba` is read instead of the canvas.
"""

from __future__ import annotations

import streamlit as st

import lesson_parts
import ui
from lenet.i18n.glossary import glossary_markdown
from lenet.lesson import Lesson, LessonError, Step, answer_text, check, load_lesson, step_number

ui.ensure_shell()

PAGES = {
    "draw": "pages/draw.py",
    "conv_lab": "pages/conv_lab.py",
    "train": "pages/train.py",
    "evaluate": "pages/evaluate.py",
    "class": "pages/class.py",
}
NAV = {
    "draw": "nav.draw",
    "conv_lab": "nav.conv_lab",
    "train": "nav.train",
    "evaluate": "nav.evaluate",
    "class": "nav.class",
}

# --- state --------------------------------------------------------------------------------------


def _init_state() -> None:
    for key, value in {"lesson_answers": {}, "lesson_canvas_nonce": 0, "lesson_index": 0}.items():
        if key not in st.session_state:
            st.session_state[key] = value


def current_index(lesson: Lesson) -> int:
    """The step shown: `?step=N` when the link brings a new one, else the session's; written back to the URL."""
    count = len(lesson.steps)
    asked = st.query_params.get("step")
    if asked is not None and asked != st.session_state.get("lesson_seen_step"):
        _go(step_number(asked, count), lesson)
    index = min(max(int(st.session_state["lesson_index"]), 0), count - 1)
    st.query_params["step"] = str(index + 1)
    st.session_state["lesson_seen_step"] = str(index + 1)
    return index


def _go(index: int, lesson: Lesson) -> None:
    """Show step `index`: the answer widget starts from that step's last answer, or empty."""
    st.session_state["lesson_index"] = index
    st.session_state.pop("lesson_answer", None)
    st.session_state.pop("lesson_unreadable", None)
    kept = st.session_state["lesson_answers"].get(lesson.steps[index].id)
    if kept is not None:
        st.session_state["lesson_answer"] = kept["given"]


def _check(step: Step) -> None:
    """lesson_check's callback: score the first readable answer, remember the latest."""
    given = st.session_state.get("lesson_answer")
    verdict = check(step.question, given)
    if not verdict.readable:
        st.session_state["lesson_unreadable"] = step.id
        return
    st.session_state.pop("lesson_unreadable", None)
    answers = st.session_state["lesson_answers"]
    first = answers.get(step.id, {}).get("first", verdict.correct)
    answers[step.id] = {"given": given, "correct": verdict.correct, "first": first}


# --- the step -----------------------------------------------------------------------------------


def step_ui(step: Step, number: int, total: int) -> None:
    """The step's title and text, and the words it uses."""
    lang = ui.lang()
    st.progress(number / total, text=ui.tr("lesson.progress", n=number, total=total))
    with st.container(key="lesson_step"):
        st.subheader(f"{number}. {step.title[lang]}")
        st.markdown(step.text[lang])
    if step.terms:
        with st.expander(ui.tr("lesson.words"), icon=":material/menu_book:"):
            st.markdown(glossary_markdown(step.terms, lang))


def question_ui(step: Step) -> None:
    """The question, the answer widget and Check; then whether it was right, and why."""
    lang, question = ui.lang(), step.question
    with st.container(key="lesson_question", border=True):
        st.markdown(f"**{ui.tr('lesson.predict')}** {question.prompt[lang]}")
        if question.kind == "choice":
            labels = {i: option[lang] for i, option in enumerate(question.options)}
            st.radio(ui.tr("lesson.choose"), list(labels), format_func=labels.get, index=None, key="lesson_answer")
        else:
            st.text_input(ui.tr("lesson.type"), key="lesson_answer", max_chars=40, placeholder="12x12")
        st.button(ui.tr("lesson.check"), key="lesson_check", on_click=_check, args=(step,), type="primary")
        if st.session_state.get("lesson_unreadable") == step.id:
            st.warning(ui.tr("lesson.unreadable_choice" if question.kind == "choice" else "lesson.unreadable_size"))
    kept = st.session_state["lesson_answers"].get(step.id)
    if kept is not None:
        result_ui(step, kept)


def result_ui(step: Step, kept: dict) -> None:
    """Right or wrong, the right answer, why, and where to explore further."""
    lang = ui.lang()
    with st.container(key="lesson_result", border=True):
        if kept["correct"]:
            st.success(ui.tr("lesson.right"), icon="✅")
        else:
            given = ui.plain(answer_text(step.question, kept["given"], lang))
            st.error(
                ui.tr("lesson.wrong", given=given, answer=lesson_parts.right_answer(step.question, lang)), icon="❌"
            )
        st.markdown(step.question.why[lang])
        page = PAGES[step.explore]
        st.page_link(
            page,
            label=ui.tr("lesson.explore", page=ui.tr(NAV[step.explore])),
            icon=":material/explore:",
            query_params=step.explore_query or None,
        )


def nav_ui(lesson: Lesson, index: int) -> None:
    buttons = st.container(horizontal=True, key="lesson_nav")
    buttons.button(
        ui.tr("lesson.prev"),
        key="lesson_prev",
        icon=":material/arrow_back:",
        disabled=index == 0,
        on_click=_go,
        args=(index - 1, lesson),
    )
    last = index == len(lesson.steps) - 1
    buttons.button(
        ui.tr("lesson.next"),
        key="lesson_next",
        icon=":material/arrow_forward:",
        disabled=last,
        on_click=_go,
        args=(index + 1, lesson),
    )


def main() -> None:
    _init_state()
    st.html(lesson_parts.CSS)
    try:
        lesson = load_lesson()
    except LessonError as exc:
        st.error(ui.plain(ui.tr_error(exc)))
        return
    st.title(lesson.title[ui.lang()])
    index = current_index(lesson)
    step = lesson.steps[index]
    step_ui(step, index + 1, len(lesson.steps))
    with st.container(key="lesson_live"):
        lesson_parts.LIVE[step.live](step)
    question_ui(step)
    nav_ui(lesson, index)


main()
