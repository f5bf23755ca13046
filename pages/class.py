"""Class mode (/class): a lesson the teacher leads, with the class's own handwriting on the projector.

The session and the link choose the view:
- the teacher's projector, for a session holding a teacher token (after "Start a class", or opened with
  /class?teach=TOKEN): the join code, link and QR code, the live wall, and the controls that steer the class;
- a student's, for a session that joined (/class?join=CODE, or the code typed): the canvas (read live in the
  browser), the digit meant and Send in one form, so the drawing reaches the server with Send and not stroke by
  stroke; and what the teacher pushes;
- otherwise the choice of joining a class or starting one.

Layout only: the session's state, the callbacks and the store's calls are class_glue's, fine-tuning class_tune's,
the led lesson class_lesson's, the HTML lenet.figures.wall's. Every teacher action hands the token to the store,
which checks it on the server; a student's session only ever holds its Member. Tests inject a drawing as on the
Draw page: `draw_injected_rgba` is read instead of the canvas.
"""

from __future__ import annotations

import streamlit as st

import class_glue as glue
import class_lesson
import class_tune
import surface
import ui
from lenet.classmode import codes, limits, tune
from lenet.classmode.reading import Reading
from lenet.classmode.store import ClassError, ClassInfo, Member, Question, Store, Wall
from lenet.figures import wall
from lenet.preprocess import Preprocessed

ui.ensure_shell()

WALL_REFRESH_S = 1.0  # the wall shows a digit within 2 s of its acknowledgement: one refresh plus the read
STUDENT_REFRESH_S = 3.0  # prompts, pushed links and questions reach the students; pending sends are retried
BRUSH = 18  # px: the Draw page's default brush, MNIST-like strokes after scaling
FOOLED = 10  # mistakes shown, largest first
FOOLED_PER_ROW = 5
NAMES = 60  # nicknames listed under "who is here"; the rest are counted
FOLLOW_PAGES = {"/": "nav.draw", "/conv_lab": "nav.conv_lab", "/train": "nav.train", "/evaluate": "nav.evaluate"}


# Joining or starting a class


def landing_ui(store: Store) -> None:
    """Join a class (code and nickname), or start one."""
    join_col, teach_col = st.columns(2, gap="large")
    with join_col:
        st.subheader(ui.tr("class.join.title"))
        if "class_join_code" not in st.session_state:  # a join link that failed: its code, ready to correct
            st.session_state["class_join_code"] = st.query_params.get("join", "")
        st.text_input(
            ui.tr("class.join.code"),
            key="class_join_code",
            max_chars=codes.CODE_LENGTH * 2,
            help=ui.tr("class.join.code_help"),
        )
        _name_input()
        st.button(ui.tr("class.join.button"), key="class_join", type="primary", on_click=glue.join_typed, args=(store,))
    with teach_col:
        st.subheader(ui.tr("class.teach.title"))
        st.markdown(ui.tr("class.teach.intro"))
        st.button(
            ui.tr("class.start"),
            key="class_start",
            icon=":material/co_present:",
            on_click=glue.start_class,
            args=(store,),
        )


def _name_input(on_change=None, args=()) -> None:
    st.text_input(
        ui.tr("class.name"),
        key="class_name",
        max_chars=limits.MAX_NICKNAME_CHARS,
        help=ui.tr("class.name_help"),
        on_change=on_change,
        args=args,
    )


# The student


def canvas_ui() -> tuple[str, object] | None:
    """The drawing canvas and its Clear button, inside the student's form; returns the drawing as (a key naming
    the picture, a function giving its preprocessed input), or None while there is none."""
    surface.surface(key="canvas", nonce=st.session_state["class_canvas_nonce"], strokes=[], brush=BRUSH)
    st.form_submit_button(ui.tr("class.clear"), key="class_clear", icon=":material/delete:", on_click=glue.clear_canvas)
    return glue.canvas_drawing()


def upload_ui() -> Preprocessed | None:
    """A photo of a digit instead of the drawing (a phone's camera), decoded as safely as on the Draw page;
    None when there is none, or after saying why it cannot be read."""
    with st.expander(ui.tr("class.upload"), icon=":material/photo_camera:"):
        uploaded = st.file_uploader(ui.tr("draw.upload"), type=["png", "jpg", "jpeg"], key="class_upload")
    return glue.read_photo(uploaded)


def read_ui(view: Reading) -> None:
    """What the network reads in a photo (a drawing's reading is the canvas's own, live): the digit, large, and
    its ten probabilities, as on the Draw page; one element, as the student's part is sent again on every
    refresh."""
    if view.probs is None:
        caption = ui.tr("class.read.none")
    else:
        caption = ui.tr("class.read.digit", digit=view.prediction, pct=f"{view.confidence:.0%}")
    st.html(wall.reading_html(view.probs, view.prediction, ui.tr("class.read"), caption))


def sent_ui() -> None:
    """The acknowledgement of the last send, or that one is waiting for the database."""
    if st.session_state["class_pending"] is not None:
        st.warning(ui.tr("class.retrying"), icon=":material/sync:")
    last = st.session_state["class_last_sent"]
    if last is not None:
        with st.container(key="class_sent"):
            st.success(ui.tr("class.sent", id=last["id"], label=last["label"], prediction=last["prediction"]))


def draw_ui(store: Store, model) -> None:
    """The canvas, the digit meant and Send in one form: the canvas reads the drawing in the browser as the pen
    moves, and its strokes and 28 x 28 reach the server with Send (or Clear), so a class's strokes cost the
    server nothing. A photo instead, read as soon as it is chosen; the acknowledgement."""
    with st.form("class_draw", border=False, enter_to_submit=False):
        drawing = canvas_ui()
        label = st.pills(ui.tr("class.label"), list(range(10)), key="class_label", format_func=str)
        st.form_submit_button(
            ui.tr("class.submit"),
            key="class_submit",
            type="primary",
            icon=":material/send:",
            on_click=glue.send_clicked,
            args=(store, model),
        )
    photo = upload_ui()
    view = None
    if photo is not None:
        view = glue.photo_reading(photo, model)
        read_ui(view)
    if st.session_state.pop("class_send_here", False):
        if view is None:
            view = glue.draw_reading(drawing, model)
        glue.send(store, view, label)
    glue.show_notice()
    sent_ui()


def prompt_ui(info: ClassInfo) -> None:
    """The teacher's prompt and pushed link, as text."""
    if info.prompt:
        st.caption(ui.tr("class.prompt.shown"))
        st.html(wall.prompt_html(info.prompt))
    if info.pushed_link:
        st.info(ui.tr("class.follow.shown"), icon=":material/near_me:")
        label = f"{ui.tr('class.follow.go')}: {ui.plain(info.pushed_link)}"
        st.link_button(label, info.pushed_link, icon=":material/open_in_new:")


def answer_ui(store: Store, question: Question, class_id: int) -> None:
    """A quick question: the student's answer until the reveal, then the class's answers and the right one."""
    st.subheader(ui.tr("class.quiz.title"))
    st.html(wall.question_html(question.text))
    if not question.revealed:
        st.radio(
            ui.tr("class.quiz.your_answer"),
            list(range(len(question.options))),
            index=None,
            format_func=lambda i: ui.plain(question.options[i]),
            key=f"class_answer_{question.id}",
            on_change=glue.answer,
            args=(store, question.id),
        )
        if st.session_state.get(f"class_answer_{question.id}") is not None:
            st.caption(ui.tr("class.quiz.recorded"))
        return
    counts = store.histogram(class_id, question.id)
    if question.correct is not None:
        st.success(ui.plain(ui.tr("class.quiz.right", option=question.options[question.correct])))
    st.html(wall.histogram_html(question.options, counts, question.correct))


def live_ui(store: Store) -> bool:
    """What the teacher pushes (prompt, link, question), and the retry of a send the database has not taken;
    False when the class is over for this student."""
    member = st.session_state.get("class_member")
    if member is None:
        return False
    glue.retry_pending(store)
    try:
        info, question = store.live_view(member.class_id)
        prompt_ui(info)
        if question is not None:
            answer_ui(store, question, info.id)
    except ClassError as exc:
        glue.refused_live(exc)
    return True


@st.fragment(run_every=STUDENT_REFRESH_S)
def student_live_ui(store: Store, model) -> None:
    """Everything of the student's that changes: what the teacher pushes, the canvas, the reading and Send.

    One fragment, rerun by every stroke and click and every STUDENT_REFRESH_S: each run shows all of it again,
    so a run whose messages Streamlit dropped (see docs/ARCHITECTURE.md, class mode) is made good by the next.
    """
    if live_ui(store):
        draw_ui(store, model)


def student_ui(store: Store, member: Member) -> None:
    """A student's view: the class, the nickname, what the teacher pushes, the canvas and Send."""
    st.markdown(ui.tr("class.student.in", code=st.session_state.get("class_joined_code", "")))
    _name_input(on_change=glue.rename, args=(store,))
    class_lesson.student_ui(store, member)  # the lesson the teacher leads, when one runs
    st.markdown(ui.tr("class.student.draw"))
    loaded = ui.current_model()
    student_live_ui(store, loaded[0] if loaded else None)
    st.caption(ui.tr("class.other_pages"))
    st.button(ui.tr("class.leave"), key="class_leave", icon=":material/logout:", on_click=glue.forget_member)


# The teacher


def code_ui(info: ClassInfo, token: str) -> None:
    """The projector's head: the join code, the join link and its QR code; the private teacher link below."""
    link = f"{glue.page_url()}?join={info.code}"
    with st.container(key="class_code", border=True):
        text_col, qr_col = st.columns([3, 2], gap="large")
        with text_col:
            st.subheader(ui.tr("class.code.title"))
            st.html(f'<div class="class-code">{info.code}</div>')
            st.html(wall.link_html(ui.tr("class.code.link", link=link)))
        with qr_col:
            st.html(wall.qr_html(link, ui.tr("class.code.qr_alt", link=link)))
    with st.expander(ui.tr("class.teacher_link.title"), icon=":material/key:"):
        st.caption(ui.tr("class.teacher_link.text"))
        st.code(f"{glue.page_url()}?teach={token}", language=None)


def stats_ui(data: Wall, mnist_acc: float | None) -> None:
    """How many digits and students, and the model's accuracy on the class's digits beside MNIST's."""
    sent_col, members_col, class_col, mnist_col = st.columns(4)
    with sent_col:
        with st.container(key="class_count"):
            st.markdown(str(data.sent))
        st.caption(ui.tr("class.wall.sent"))
    members_col.metric(ui.tr("class.wall.members"), data.members)
    acc = data.accuracy()
    class_col.metric(ui.tr("class.wall.acc_class"), f"{acc:.0%}" if acc is not None else ui.tr("class.wall.acc_none"))
    mnist = f"{mnist_acc:.2%}" if mnist_acc is not None else ui.tr("class.wall.acc_unknown")
    mnist_col.metric(ui.tr("class.wall.acc_mnist"), mnist)


def gallery_ui(data: Wall) -> None:
    """The class's digits grouped by the digit meant, newest first, each captioned with its number and sender."""
    st.subheader(ui.tr("class.wall.gallery"))
    if not data.digits:
        st.info(ui.tr("class.wall.empty"))
    st.html(wall.gallery_html(glue.gallery_rows(data), ui.tr("class.wall.row_empty")))


def mistakes_ui(data: Wall) -> None:
    """The digits that fooled the model, most confident mistakes first (each opens in Draw & explore with its
    trace), and the class's confusion matrix."""
    st.subheader(ui.tr("class.wall.fooled"))
    fooled = data.fooled()[:FOOLED]
    if not fooled:
        st.caption(ui.tr("class.wall.fooled_none"))
    for row in range(0, len(fooled), FOOLED_PER_ROW):
        columns = st.columns(FOOLED_PER_ROW)
        for column, d in zip(columns, fooled[row : row + FOOLED_PER_ROW], strict=False):
            caption = ui.tr(
                "class.wall.fooled_caption", label=d.label, prediction=d.prediction, pct=f"{d.confidence:.0%}"
            )
            column.html(glue.figure(d, f"#{d.id} {caption}"))
            if column.button(ui.tr("class.wall.open"), key=f"class_open_{d.id}", icon=":material/search:"):
                glue.open_in_draw(d, f"#{d.id} {caption}")
    st.subheader(ui.tr("class.wall.confusion"))
    meant, read = ui.tr("class.wall.meant_axis"), ui.tr("class.wall.read_axis")
    st.html(wall.confusion_html(data.confusion(), meant, read))


def who_ui(data: Wall) -> None:
    """The students' nicknames, as text."""
    st.subheader(ui.tr("class.wall.who"))
    more = ui.tr("class.wall.more", n=len(data.names) - NAMES) if len(data.names) > NAMES else None
    st.html(wall.names_html([glue.shown_name(name) for name in data.names[:NAMES]], more))


def question_ui(store: Store, token: str, question: Question, counts: list[int]) -> None:
    """The current quick question: the live histogram of answers, and the reveal."""
    st.subheader(ui.tr("class.quiz.title"))
    st.html(wall.question_html(question.text))
    st.caption(ui.tr("class.quiz.answered", n=sum(counts)))
    st.html(wall.histogram_html(question.options, counts, question.correct if question.revealed else None))
    if question.revealed:
        if question.correct is not None:
            st.success(ui.plain(ui.tr("class.quiz.right", option=question.options[question.correct])))
    elif st.button(ui.tr("class.quiz.reveal"), key="class_quiz_reveal", icon=":material/visibility:"):
        glue.act(store.reveal, token, question.id)


@st.fragment(run_every=WALL_REFRESH_S)
def wall_ui(store: Store, token: str, mnist_acc: float | None) -> None:
    """The projector's wall, reread whole from the database every refresh (so every replica's digits show)."""
    read = glue.wall_state(store, token)
    if read is None:
        return
    info, data, question, counts = read
    with st.container(key="class_wall"):
        stats_ui(data, mnist_acc)
        tuned = tune.latest_result(info.code)
        if tuned is not None:
            class_tune.before_after_ui(tuned)
        gallery_col, mistakes_col = st.columns([3, 2], gap="large")
        with gallery_col:
            gallery_ui(data)
        with mistakes_col:
            mistakes_ui(data)
        if question is not None:
            question_ui(store, token, question, counts)
        who_ui(data)


def prompt_steer_ui(store: Store, token: str, info: ClassInfo) -> None:
    """ "Everyone draw a 7": a prompt on every student's screen."""
    st.text_input(
        ui.tr("class.prompt.input"),
        key="class_prompt",
        max_chars=limits.MAX_PROMPT_CHARS,
        placeholder=ui.tr("class.prompt.placeholder"),
    )
    show_col, clear_col = st.columns(2)
    if show_col.button(ui.tr("class.prompt.set"), key="class_prompt_set", type="primary", width="stretch"):
        glue.act(store.set_prompt, token, st.session_state.get("class_prompt", ""))
    if clear_col.button(ui.tr("class.prompt.clear"), key="class_prompt_clear", width="stretch"):
        glue.act(store.set_prompt, token, None)
    if info.prompt:
        st.html(wall.prompt_html(info.prompt))


def follow_ui(store: Store, token: str, info: ClassInfo) -> None:
    """ "Follow me": invite every student to a page, with a setting (a Convolution lab layer) in its link."""
    labels = ui.option_labels("", FOLLOW_PAGES.values())
    page = st.selectbox(
        ui.tr("class.follow.page"),
        list(FOLLOW_PAGES),
        format_func=lambda p: labels[FOLLOW_PAGES[p]],
        key="class_follow_page",
    )
    query = st.text_input(ui.tr("class.follow.query"), key="class_follow_query", max_chars=limits.MAX_LINK_CHARS // 2)
    query = query.strip().lstrip("?")
    push_col, stop_col = st.columns(2)
    if push_col.button(ui.tr("class.follow.push"), key="class_follow_push", type="primary", width="stretch"):
        glue.act(store.push_link, token, page + (f"?{query}" if query else ""))
    if stop_col.button(ui.tr("class.follow.stop"), key="class_follow_stop", width="stretch"):
        glue.act(store.push_link, token, None)
    if info.pushed_link:
        st.caption(ui.plain(ui.tr("class.follow.now", link=info.pushed_link)))


def quiz_ui(store: Store, token: str) -> None:
    """A quick question of the teacher's own, or "which digit will the network say?" about a digit on the wall."""
    st.text_input(
        ui.tr("class.quiz.text"),
        key="class_quiz_text",
        max_chars=limits.MAX_QUESTION_CHARS,
        placeholder=ui.tr("class.quiz.text_placeholder"),
    )
    st.text_area(ui.tr("class.quiz.options"), key="class_quiz_options", height=120)
    options = glue.quiz_options()
    correct = st.selectbox(
        ui.tr("class.quiz.correct"),
        [None, *range(len(options))],
        format_func=lambda i: ui.tr("class.quiz.poll") if i is None else options[i],
        key="class_quiz_correct",
    )
    if st.button(ui.tr("class.quiz.ask"), key="class_quiz_ask", type="primary"):
        glue.ask(store, token, options, correct)
    st.divider()
    digit_id = st.number_input(ui.tr("class.quiz.digit_id"), min_value=1, step=1, key="class_quiz_digit")
    if st.button(ui.tr("class.quiz.digits"), key="class_quiz_digits"):
        glue.ask_digit(store, token, int(digit_id))


def digits_steer_ui(store: Store, token: str, info: ClassInfo) -> None:
    """Delete a digit; download the class's digits as an MNIST-format dataset."""
    st.subheader(ui.tr("class.delete.title"))
    digit_id = st.number_input(ui.tr("class.delete.id"), min_value=1, step=1, key="class_delete_id")
    if st.button(ui.tr("class.delete.button"), key="class_delete", icon=":material/delete:"):
        glue.act(store.delete_digit, token, int(digit_id), done=ui.tr("class.delete.done", id=int(digit_id)))
    st.subheader(ui.tr("class.export.title"))
    st.caption(ui.tr("class.export.text"))
    idx_col, npz_col = st.columns(2)
    # The data is made when the button is pressed, so it holds every digit sent until then.
    idx_col.download_button(
        ui.tr("class.export.idx"),
        data=lambda: store.export_idx(info.id),
        file_name=f"class-{info.code}-mnist.zip",
        mime="application/zip",
        key="class_export_idx",
        on_click="ignore",
    )
    npz_col.download_button(
        ui.tr("class.export.npz"),
        data=lambda: store.export_npz(info.id),
        file_name=f"class-{info.code}.npz",
        mime="application/octet-stream",
        key="class_export_npz",
        on_click="ignore",
    )


def end_ui(store: Store, token: str) -> None:
    """End the class now, after a confirmation: its digits and nicknames are deleted."""
    st.checkbox(ui.tr("class.end.confirm"), key="class_end_confirm")
    confirmed = st.session_state.get("class_end_confirm", False)
    if st.button(ui.tr("class.end.button"), key="class_end", icon=":material/stop_circle:", disabled=not confirmed):
        glue.act(store.end_class, token, done=ui.tr("class.end.done"), then=glue.leave_teaching)


def steer_ui(store: Store, token: str, info: ClassInfo) -> None:
    """The teacher's controls, one tab each."""
    st.header(ui.tr("class.steer.title"))
    names = (
        "class.prompt.input",
        "class.follow.title",
        "class.quiz.title",
        "class.tune.title",
        "class.export.title",
        "class.end.title",
    )
    prompt_tab, follow_tab, quiz_tab, tune_tab, digits_tab, end_tab = st.tabs([ui.tr(name) for name in names])
    with prompt_tab:
        prompt_steer_ui(store, token, info)
    with follow_tab:
        follow_ui(store, token, info)
    with quiz_tab:
        quiz_ui(store, token)
    with tune_tab:
        class_tune.tune_ui(store, token, info)
    with digits_tab:
        digits_steer_ui(store, token, info)
    with end_tab:
        end_ui(store, token)


def teacher_ui(store: Store, token: str) -> None:
    """The teacher's view: code and QR code, the live wall, and the controls."""
    info = glue.teacher_class(store, token)
    code_ui(info, token)
    mnist_acc = glue.mnist_accuracy()
    class_lesson.teacher_ui(store, token, info, mnist_acc, class_tune.start_tuning)
    wall_ui(store, token, mnist_acc)
    st.divider()
    steer_ui(store, token, info)


def main() -> None:
    glue.init_state()
    st.html(wall.PAGE_CSS)
    st.title(ui.tr("class.title"))
    store = ui.class_store()
    if store is None:
        return
    glue.adopt_links(store)
    token = st.session_state.get("class_token")
    member = st.session_state.get("class_member")
    glue.show_notice()
    if token:
        teacher_ui(store, token)
    elif member is not None:
        student_ui(store, member)
    else:
        st.markdown(ui.tr("class.intro"))
        landing_ui(store)


main()
