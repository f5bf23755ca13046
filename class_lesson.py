"""The lesson a teacher leads in class mode (issue 30): the teacher's panel and the student's view of /class.

Glue, as ui.py: pages/class.py calls `teacher_ui` and `student_ui` and stays layout only. The lesson is the
Lesson page's own (lenet/lessons/cnn.toml, read by lenet.lesson); its state (the step, the reveal, the answers)
is in the class store (lenet.classmode.lessons), so every replica's students follow. A student's part is a
fragment that polls the store's cached lesson state every LESSON_REFRESH_S while a lesson runs (IDLE_REFRESH_S
while none does): a step the teacher moves to shows
within one refresh plus a read. The teacher's panel is a fragment too, refreshed every second.

A step's live part (the canvas, the sliders, the maps) is not drawn here: the panel and the student's screen link
to the Lesson page at the step (`part_link`), which opens in a new tab (docs/ARCHITECTURE.md, the led lesson).
"""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

import class_glue
import ui
from lenet.classmode import lessons, tune
from lenet.classmode.store import ClassError, ClassInfo, Member, Store
from lenet.figures import class_lesson as figures
from lenet.lesson import Lesson, LessonError, Step, check, load_lesson

LESSON_REFRESH_S = 0.5  # a student's screen follows the teacher's within 2 s: one refresh, a read, a render
IDLE_REFRESH_S = 1.5  # no lesson runs: a start shows within 1.5 s plus a page run (the 2 s bound)
ANSWERS_REFRESH_S = 1.0  # the teacher's panel: the projector's histogram
NAMES_KEY = "class_lesson_names"  # the teacher's checkbox: the report lists nicknames only when ticked
COLUMNS = (*lessons.REPORT_COLUMNS, "measure", "value", "student", "answer", "correct")  # the report's headers


@st.cache_resource(show_spinner=False)
def _lesson() -> Lesson:
    """The shipped lesson, read and checked once per server (LessonError if it is broken)."""
    return load_lesson()


def lesson_or_error() -> Lesson | None:
    """The lesson, or None after saying (as text) what is wrong with its file."""
    try:
        return _lesson()
    except LessonError as exc:
        st.error(ui.plain(ui.tr_error(exc)))
        return None


def _no_fit() -> str:
    return ui.tr("lesson.no_fit")


def _right_label(step: Step) -> str:
    question = step.question
    return lessons.answer_label(question, lessons.answer_key_of_right(question), ui.lang(), _no_fit())


def step_ui(step: Step, number: int, total: int, key: str) -> None:
    """The step's number, title and text, in a container `key` whose text starts with "N. title"."""
    lang = ui.lang()
    with st.container(key=key):
        st.subheader(f"{number}. {step.title[lang]}")
        st.markdown(step.text[lang])
    st.caption(ui.tr("lesson.progress", n=number, total=total))


def part_link(number: int, key: str) -> None:
    """A link button to the Lesson page at step `number` (1-based), in a new tab, where the step's live part is:
    an absolute address built as class_glue.page_url builds /class's, in this session's language (and view)."""
    query = {"step": number, "lang": ui.lang()}
    if ui.projector():
        query["view"] = "projector"
    st.link_button(
        ui.tr("class_lesson.open_part"),
        f"{class_glue.page_url('lesson')}?{urlencode(query)}",
        key=key,
        icon=":material/open_in_new:",
        help=ui.tr("class_lesson.open_part_help"),
    )


def _act(action, *args, **kwargs) -> None:
    """A teacher button's callback: one store action (which checks the token); a refusal is kept to show."""
    try:
        action(*args, **kwargs)
    except ClassError as exc:
        st.session_state["class_lesson_error"] = ui.tr_error(exc)


# The teacher


def teacher_ui(store: Store, token: str, info: ClassInfo, mnist_acc: float | None, start_tuning) -> None:
    """The lesson on the projector: start it; then the step, the class's answers live, Next, Reveal, the
    class's own data where a step uses it, and the report. `start_tuning(store, token)` is the class page's
    fine-tuning (teach it our handwriting).

    The panel is one fragment, refreshed every second, as the student's part is: a button reruns the panel alone
    (not the wall), and a run whose messages Streamlit dropped (docs/ARCHITECTURE.md, class mode) is made good by
    the next. The report's downloads are made by the panel's run, not on the click (see report_ui).
    """
    lesson = lesson_or_error()
    if lesson is None:
        return
    _panel(store, token, info, lesson, mnist_acc, start_tuning)


@st.fragment(run_every=ANSWERS_REFRESH_S)
def _panel(store: Store, token: str, info: ClassInfo, lesson: Lesson, mnist_acc: float | None, start_tuning) -> None:
    """The step, the class's answers, the reveal and the controls, then the report made from the same answers
    (refreshed every second): a report downloaded after the bars counted an answer holds it (made by a fragment of
    its own, the report lagged the bars by seconds: a CI run of the browser test downloaded one two answers short)."""
    _lesson_ui(store, token, info, lesson, mnist_acc, start_tuning)
    with st.container(key="class_lesson_reports", border=True):
        report_ui(store, info, lesson, mnist_acc)


def _lesson_ui(
    store: Store, token: str, info: ClassInfo, lesson: Lesson, mnist_acc: float | None, start_tuning
) -> None:
    """The step, the class's answers, the reveal and the controls."""
    with st.container(key="class_lesson", border=True):
        st.subheader(ui.tr("class_lesson.title"))
        kept = st.session_state.pop("class_lesson_error", None)
        if kept:
            st.error(ui.plain(kept))
        try:
            state = store.lesson_state(info.id, max_age_s=0)
        except ClassError as exc:
            st.error(ui.plain(ui.tr_error(exc)))
            return
        if state is None:
            st.caption(ui.tr("class_lesson.intro", n=len(lesson.steps)))
            st.button(
                ui.tr("class_lesson.start"),
                key="class_lesson_start",
                type="primary",
                icon=":material/school:",
                on_click=_act,
                args=(store.start_lesson, token, lesson.steps[0].id),
                kwargs={"restart": False},
            )
            return
        index = min(state.step, len(lesson.steps) - 1)
        step = lesson.steps[index]
        step_ui(step, index + 1, len(lesson.steps), "class_lesson_step")
        part_link(index + 1, "class_lesson_open")
        class_data_ui(store, token, info, step, mnist_acc, start_tuning)
        st.markdown(f"**{ui.tr('lesson.predict')}** {step.question.prompt[ui.lang()]}")
        answers_ui(store, info.id)
        if state.revealed:
            with st.container(key="class_lesson_revealed"):
                st.success(ui.plain(ui.tr("class_lesson.right_is", answer=_right_label(step))))
                st.markdown(step.question.why[ui.lang()])
        controls_ui(store, token, lesson, index, state.revealed)


def controls_ui(store: Store, token: str, lesson: Lesson, index: int, revealed: bool) -> None:
    """Reveal, Next, and End the lesson."""
    buttons = st.container(horizontal=True, key="class_lesson_controls")
    buttons.button(
        ui.tr("class_lesson.reveal"),
        key="class_lesson_reveal",
        icon=":material/visibility:",
        disabled=revealed,
        on_click=_act,
        args=(store.lesson_reveal, token),
        kwargs={"step": index},
    )
    last = index == len(lesson.steps) - 1
    nxt = lesson.steps[min(index + 1, len(lesson.steps) - 1)]
    buttons.button(
        ui.tr("class_lesson.next"),
        key="class_lesson_next",
        type="primary",
        icon=":material/arrow_forward:",
        disabled=last,
        on_click=_act,
        args=(store.lesson_go, token, index + 1, nxt.id),
        kwargs={"from_step": index},
    )
    buttons.button(
        ui.tr("class_lesson.stop"),
        key="class_lesson_stop",
        icon=":material/stop:",
        on_click=_act,
        args=(store.stop_lesson, token),
    )


def answer_rows(step: Step, answers: list[lessons.LessonAnswer]) -> list[tuple[str, int, bool]]:
    """The histogram's bars: every option of a choice question in order; for a size question, the right answer
    and every answer given, the most given first."""
    question = step.question
    mine = [a.answer for a in answers if a.step_id == step.id]
    if question.kind == "choice":
        keys = [str(i) for i in range(len(question.options))]
    else:
        right = lessons.answer_key_of_right(question)
        keys = sorted(set(mine) | {right}, key=lambda k: (-mine.count(k), k))
    lang = ui.lang()
    return [
        (lessons.answer_label(question, k, lang, _no_fit()), mine.count(k), lessons.key_correct(question, k))
        for k in keys
    ]


def answers_ui(store: Store, class_id: int) -> None:
    """The class's answers to the current step, live: how many, and the histogram (the right one marked once shown)."""
    lesson = lesson_or_error()
    try:
        state = store.lesson_state(class_id, max_age_s=0)
        answers = store.lesson_answers(class_id)
        members = store.count_members(class_id)
    except ClassError as exc:
        st.error(ui.plain(ui.tr_error(exc)))
        return
    if lesson is None or state is None:
        return
    step = next((s for s in lesson.steps if s.id == state.step_id), None)
    if step is None:
        return
    rows = answer_rows(step, answers)
    received = sum(count for _, count, _ in rows)
    with st.container(key="class_lesson_answers"):
        st.markdown(f"**{ui.tr('class_lesson.answers', n=received)}**")
        st.caption(ui.tr("class_lesson.answers_of", n=received, members=members))
        st.html(figures.answers_html(rows, state.revealed))
        if state.revealed and received:
            right = sum(count for _, count, ok in rows if ok)
            st.caption(ui.tr("class_lesson.right_share", pct=f"{right / received:.0%}"))


def class_data_ui(store: Store, token: str, info: ClassInfo, step: Step, mnist_acc, start_tuning) -> None:
    """The class's own data where the step uses it: its digits' accuracy beside MNIST's on the steps that draw
    and read a digit; fine-tuning on them on the training step."""
    if step.live in ("draw", "network"):
        ours_ui(store, info.id, mnist_acc)
    elif step.live == "train":
        tune_ui(store, token, info, start_tuning)


def ours_ui(store: Store, class_id: int, mnist_acc: float | None) -> None:
    """How does the network do on our handwriting? The class's accuracy next to MNIST's (container
    class_lesson_ours)."""
    try:
        acc = store.wall(class_id).accuracy()
    except ClassError as exc:
        st.error(ui.plain(ui.tr_error(exc)))
        return
    with st.container(key="class_lesson_ours"):
        st.markdown(f"**{ui.tr('class_lesson.ours')}**")
        ours, mnist = st.columns(2)
        ours.metric(ui.tr("class.wall.acc_class"), f"{acc:.0%}" if acc is not None else ui.tr("class.wall.acc_none"))
        mnist_text = f"{mnist_acc:.2%}" if mnist_acc is not None else ui.tr("class.wall.acc_unknown")
        mnist.metric(ui.tr("class.wall.acc_mnist"), mnist_text)
        st.caption(ui.tr("class_lesson.ours_caption"))


def before_after(code: str) -> tuple[float | None, float | None]:
    """The class's held-back digits' accuracy before and after its latest fine-tuning, or Nones."""
    result = tune.latest_result(code)
    extra = result.metrics["extra"] if result is not None else {}
    return extra.get("before"), extra.get("after")


def tune_ui(store: Store, token: str, info: ClassInfo, start_tuning) -> None:
    """Teach it our handwriting: the class page's fine-tuning, started from the lesson, and what it changed."""
    with st.container(key="class_lesson_tune"):
        st.markdown(f"**{ui.tr('class_lesson.tune_title')}**")
        busy = bool(st.session_state.get("class_tune_run"))
        if st.button(ui.tr("class_lesson.tune"), key="class_lesson_tune_start", disabled=busy):
            start_tuning(store, token)
        tune_progress_ui(info.code)


def tune_progress_ui(code: str) -> None:
    """The run's progress while it trains (the class page's tune tab clears it up), then before and after."""
    state = st.session_state.get("class_tune_run")
    run = ui.registry().get(state["run"]) if state else None
    if run is not None and run.active:
        st.progress(run.fraction, text=ui.tr("class_lesson.tune_running", pct=f"{run.fraction:.0%}"))
        return
    before, after = before_after(code)
    if before is not None and after is not None:
        left, right = st.columns(2)
        left.metric(ui.tr("class_lesson.before"), f"{before:.0%}")
        right.metric(ui.tr("class_lesson.after"), f"{after:.0%}", delta=f"{(after - before) * 100:+.0f}")


def _accuracy(store: Store, info: ClassInfo, mnist_acc: float | None) -> dict[str, float | None]:
    before, after = before_after(info.code)
    return {
        ui.tr("class_lesson.acc.class_now"): store.wall(info.id).accuracy(),
        ui.tr("class_lesson.acc.mnist"): mnist_acc,
        ui.tr("class_lesson.acc.before"): before,
        ui.tr("class_lesson.acc.after"): after,
    }


def report_csv(store: Store, info: ClassInfo, lesson: Lesson, mnist_acc, names: bool) -> str:
    """The lesson report as CSV, in the page's language."""
    headers = {c: ui.tr(f"class_lesson.col.{c}") for c in COLUMNS}
    answers = store.lesson_answers(info.id)
    accuracy = _accuracy(store, info, mnist_acc)
    return lessons.report_csv(lesson, answers, ui.lang(), headers, _no_fit(), accuracy, names)


def report_html(store: Store, info: ClassInfo, lesson: Lesson, mnist_acc, names: bool) -> str:
    """The lesson report as a page to print: the same tables as the CSV."""
    lang, col = ui.lang(), lambda c: ui.tr(f"class_lesson.col.{c}")
    answers = store.lesson_answers(info.id)
    rows = []
    for row, step in zip(lessons.report(lesson, answers), lesson.steps, strict=True):
        wrong = lessons.answer_label(step.question, row.wrong, lang, _no_fit()) if row.wrong else "–"
        share = f"{row.share_right:.0%}" if row.share_right is not None else "–"
        rows.append((row.number, step.title[lang], _right_label(step), row.answered, share, wrong, row.wrong_count))
    accuracy = [(name, "–" if v is None else f"{v:.1%}") for name, v in _accuracy(store, info, mnist_acc).items()]
    columns = ("step", "title", "right_answer", "answered", "share_right", "wrong", "wrong_count")
    tables = [
        (ui.tr("class_lesson.report_questions"), [col(c) for c in columns], rows),
        (ui.tr("class_lesson.report_accuracy"), [col("measure"), col("value")], accuracy),
    ]
    if names:
        by_id = {step.id: (n, step) for n, step in enumerate(lesson.steps, 1)}
        students = [
            (
                a.nickname,
                by_id[a.step_id][0],
                lessons.answer_label(by_id[a.step_id][1].question, a.answer, lang, _no_fit()),
                "✓" if a.correct else "✗",
            )
            for a in answers
            if a.step_id in by_id
        ]
        tables.append(
            (
                ui.tr("class_lesson.report_students"),
                [col(c) for c in ("student", "step", "answer", "correct")],
                students,
            )
        )
    title = f"{ui.tr('class_lesson.report_title')}: {lesson.title[lang]} · {info.code}"
    return figures.report_page(title, lang, tables)


def report_ui(store: Store, info: ClassInfo, lesson: Lesson, mnist_acc: float | None) -> None:
    """The report: a CSV (class_lesson_report) and a page to print; nicknames only when the teacher ticks the box.

    Made on every refresh, not on the click (Streamlit's `data=callable`): a file made on the click is kept by no
    run, and the server deletes such a file at its second clean-up after any session's run; with a class polling
    that is within a fraction of a second, before the browser asks for it (headless Chromium's download came back
    "canceled"). A file made by the run is the run's until the next; an unchanged report keeps its address (the
    file's name is a hash of its bytes), so a refresh does not take it away under the teacher's click."""
    names = st.checkbox(ui.tr("class_lesson.names"), key=NAMES_KEY)
    downloads = (
        ("class_lesson_report", "csv", "text/csv", ":material/download:", report_csv),
        ("class_lesson_print", "html", "text/html", ":material/print:", report_html),
    )
    for column, (key, ext, mime, icon, make) in zip(st.columns(2), downloads, strict=True):
        try:
            made = make(store, info, lesson, mnist_acc, names)
        except ClassError as exc:
            st.error(ui.plain(ui.tr_error(exc)))
            return
        column.download_button(
            ui.tr("class_lesson.report" if ext == "csv" else "class_lesson.print"),
            data=made,
            file_name=f"lesson-{info.code}.{ext}",
            mime=mime,
            key=key,
            icon=icon,
            on_click="ignore",
        )


# The student


def _send(store: Store, step: Step) -> None:
    """lesson_check's callback: the student's answer, judged here and stored with whether it was right."""
    given = st.session_state.get("lesson_answer")
    key = lessons.answer_key(step.question, given)
    if key is None:
        st.session_state["class_lesson_unreadable"] = step.id
        return
    st.session_state.pop("class_lesson_unreadable", None)
    try:
        store.lesson_answer(st.session_state["class_member"], step.id, key, check(step.question, given).correct)
    except ClassError as exc:
        st.session_state["class_lesson_error"] = ui.tr_error(exc)
        return
    st.session_state["class_lesson_given"] = (step.id, key)


def _follow(store: Store, member: Member, step: Step) -> None:
    """A new step (or a page reloaded, a student joining late): the answer widget starts from the student's
    answer to it in the store, or empty."""
    if st.session_state.get("class_lesson_seen") == step.id:
        return
    st.session_state["class_lesson_seen"] = step.id
    for key in ("lesson_answer", "class_lesson_unreadable", "class_lesson_error", "class_lesson_given"):
        st.session_state.pop(key, None)
    try:
        mine = [a for a in store.member_lesson_answers(member) if a.step_id == step.id]
    except ClassError:
        return
    if mine:
        st.session_state["class_lesson_given"] = (step.id, mine[-1].answer)
        st.session_state["lesson_answer"] = lessons.given_of_key(step.question, mine[-1].answer, _no_fit())


def student_ui(store: Store, member: Member) -> None:
    """The lesson the teacher leads, when one runs: followed every LESSON_REFRESH_S; while none runs, a slower
    poll only waits for one (at 0.5 s, 60 students waiting were 120 server runs a second, and bench/class_load.py's
    acknowledgement p95 went from 0.57 s to 1.7 s)."""
    try:
        state = store.lesson_state(member.class_id)
    except ClassError:
        return  # the class page says why (its own part polls the class too)
    if state is None:
        st.session_state.pop("class_lesson_seen", None)
        _waiting(store, member)
    else:
        _following(store, member)


@st.fragment(run_every=IDLE_REFRESH_S)
def _waiting(store: Store, member: Member) -> None:
    """Nothing on screen: when the teacher starts a lesson, the whole page runs again and follows it."""
    try:
        if store.lesson_state(member.class_id) is not None:
            st.rerun()
    except ClassError:
        return


@st.fragment(run_every=LESSON_REFRESH_S)
def _following(store: Store, member: Member) -> None:
    """The step the teacher shows, its question and the student's answer; once revealed, the answer and why."""
    try:
        state = store.lesson_state(member.class_id)
    except ClassError:
        return
    if state is None:  # the teacher ended the lesson: back to waiting, at the slower pace
        st.session_state.pop("class_lesson_seen", None)
        st.rerun()
    lesson = lesson_or_error()
    if lesson is None:
        return
    index = min(state.step, len(lesson.steps) - 1)
    step = lesson.steps[index]
    _follow(store, member, step)
    with st.container(key="class_lesson_student", border=True):
        step_ui(step, index + 1, len(lesson.steps), "lesson_step")
        part_link(index + 1, "class_lesson_part")
        question_ui(store, step, state.revealed)


def question_ui(store: Store, step: Step, revealed: bool) -> None:
    """The question and the answer widget with Send; after the reveal, the answer, whether the student's was
    right, and why."""
    lang, question = ui.lang(), step.question
    given = st.session_state.get("class_lesson_given")
    mine = given[1] if given and given[0] == step.id else None
    with st.container(key="lesson_question"):
        st.markdown(f"**{ui.tr('lesson.predict')}** {question.prompt[lang]}")
        if not revealed:
            if question.kind == "choice":
                labels = {i: option[lang] for i, option in enumerate(question.options)}
                st.radio(ui.tr("lesson.choose"), list(labels), format_func=labels.get, index=None, key="lesson_answer")
            else:
                st.text_input(ui.tr("lesson.type"), key="lesson_answer", max_chars=40, placeholder="12x12")
            st.button(
                ui.tr("class_lesson.send"), key="lesson_check", type="primary", on_click=_send, args=(store, step)
            )
            if st.session_state.get("class_lesson_unreadable") == step.id:
                kind = "lesson.unreadable_choice" if question.kind == "choice" else "lesson.unreadable_size"
                st.warning(ui.tr(kind))
            kept = st.session_state.get("class_lesson_error")
            if kept:
                st.warning(ui.plain(kept))
            if mine is not None:
                with st.container(key="class_lesson_sent"):
                    label = lessons.answer_label(question, mine, lang, _no_fit())
                    st.caption(ui.plain(ui.tr("class_lesson.sent", answer=label)))
                    st.caption(ui.tr("class_lesson.wait"))
            return
    with st.container(key="lesson_result", border=True):
        st.success(ui.plain(ui.tr("class_lesson.right_is", answer=_right_label(step))))
        if mine is None:
            st.caption(ui.tr("class_lesson.none"))
        else:
            label = ui.plain(lessons.answer_label(question, mine, lang, _no_fit()))
            right = lessons.key_correct(question, mine)
            st.markdown(ui.tr("class_lesson.yours_right" if right else "class_lesson.yours_wrong", given=label))
        st.markdown(question.why[lang])
