"""Class mode (/class): a lesson the teacher leads, with the class's own handwriting on the projector.

The session and the link choose the view:
- the teacher's projector, for a session holding a teacher token (after "Start a class", or opened with
  /class?teach=TOKEN): the join code, link and QR code, the live wall, and the controls that steer the class;
- a student's, for a session that joined (/class?join=CODE, or the code typed): the canvas (read live in the
  browser), the digit meant and Send in one form, so the drawing reaches the server with Send and not stroke by
  stroke; and what the teacher pushes;
- otherwise the choice of joining a class or starting one.

Every teacher action hands the token to the store, which checks it on the server; a student's session only ever
holds its Member. Tests inject a drawing as on the Draw page: `draw_injected_rgba` is read instead of the canvas.
"""

from __future__ import annotations

import hashlib
import html
import uuid

import numpy as np
import streamlit as st
from streamlit.errors import StreamlitAPIException

import class_lesson
import surface
import ui
from lenet import settings
from lenet.classmode import codes, limits, tune
from lenet.classmode.reading import Reading, read
from lenet.classmode.store import ClassError, ClassInfo, DatabaseUnavailable, Member, Question, Store, Wall
from lenet.errors import CodedError
from lenet.figures import markup, theme, wall
from lenet.images import load_image
from lenet.preprocess import Preprocessed, canvas_to_input, preprocess

ui.ensure_shell()

WALL_REFRESH_S = 1.0  # the wall shows a digit within 2 s of its acknowledgement: one refresh plus the read
STUDENT_REFRESH_S = 3.0  # prompts, pushed links and questions reach the students; pending sends are retried
CANVAS = 280  # px, as on the Draw page
BRUSH = 18  # px: the Draw page's default brush, MNIST-like strokes after scaling
PER_DIGIT = 12  # thumbnails per digit meant on the wall; the rest are counted
FOOLED = 10  # mistakes shown, largest first
FOOLED_PER_ROW = 5
NAMES = 60  # nicknames listed under "who is here"; the rest are counted
GONE = {"class_ended", "class_expired", "class_unknown", "member_unknown"}  # codes that end a student's membership
FOLLOW_PAGES = {"/": "nav.draw", "/conv_lab": "nav.conv_lab", "/train": "nav.train", "/evaluate": "nav.evaluate"}

_PAGE_CSS = f"""
<style>
  .st-key-class_count p {{ font-size: 4rem; font-weight: 700; line-height: 1.1; margin: 0; color: {theme.PRIMARY}; }}
  .class-code {{ font-size: 5rem; font-weight: 700; letter-spacing: 0.4rem; font-family: monospace; line-height: 1.1;
    color: {theme.PRIMARY}; }}
  .class-link {{ font-size: 1.3rem; word-break: break-all; }}
  .class-prompt {{ font-size: 1.8rem; font-weight: 600; padding: 0.6rem 1rem; border-radius: 8px;
    background: #edf2ff; color: #1c1e21; overflow-wrap: anywhere; }}
  .class-read-title {{ font-size: 1.5rem; font-weight: 600; margin: 0 0 0.5rem 0; padding: 0; }}
  .class-read-caption {{ font-size: 0.875rem; opacity: .7; margin: 0.25rem 0 0.5rem 0; }}
  .class-read {{ font-size: 4rem; font-weight: 700; line-height: 1; color: {theme.PRIMARY}; }}
</style>
"""


def _init_state() -> None:
    """Defaults of the page's own state (not widgets')."""
    defaults = {"class_canvas_nonce": 0, "class_pending": None, "class_last_sent": None}
    for key, value in defaults.items():
        if key not in st.session_state:
            st.session_state[key] = value


def _notice(kind: str, text: str) -> None:
    """Keep a message for the next place that shows notices (after a rerun)."""
    st.session_state["class_notice"] = (kind, text)


def show_notice() -> None:
    """Show the kept message once, as text."""
    kept = st.session_state.pop("class_notice", None)
    if kept:
        getattr(st, kept[0])(ui.plain(kept[1]))


def _error(exc: BaseException) -> None:
    st.error(ui.plain(ui.tr_error(exc)))


def _name(nickname: str) -> str:
    """How a nickname reads: as typed, or "anonymous" when there is nothing to read."""
    return nickname if nickname.strip() else ui.tr("class.anonymous")


def _page_url() -> str:
    """This page's address as the browser has it (http://10.0.0.5:8501/class), or /class where none is known."""
    url = (st.context.url or "").split("?")[0].split("#")[0].rstrip("/")
    if not url:
        return "/class"
    return url if url.endswith("/class") else url + "/class"


# Who this session is


def adopt_links(store: Store) -> None:
    """Take the teacher link's token, or join the class of a join link, once per link."""
    token = st.query_params.get("teach")
    if token:
        del st.query_params["teach"]  # off the address bar, which the projector shows
        try:
            info = store.teacher_class(token)
        except ClassError as exc:
            _notice("error", ui.tr_error(exc))
        else:
            st.session_state["class_token"] = token
            st.session_state.pop("class_member", None)
            _notice("success", ui.tr("class.teacher_adopted", code=info.code))
        return
    code = st.query_params.get("join")
    joined = st.session_state.get("class_joined_code")
    wanted = code and not st.session_state.get("class_token") and codes.normalise_code(code) != joined
    if wanted and not join(store, code):
        st.session_state["class_join_code"] = code[: codes.CODE_LENGTH * 2]  # ready to correct
        del st.query_params["join"]  # a wrong link is said once, not retried (and counted) on every run


def join(store: Store, code: str) -> bool:
    """Join the class with `code` under the nickname typed so far; False after keeping the reason to show."""
    seat = str(st.query_params.get("seat") or "")[:100] or codes.new_token()
    try:
        member = store.join(code, st.session_state.get("class_name", ""), session_key=ui.session_key(), seat=seat)
    except ClassError as exc:
        _notice("error", ui.tr_error(exc))
        return False
    _become_member(member, codes.normalise_code(code))
    # The student's own link now names their seat: a reload, or the server restarting, rejoins as this member.
    st.query_params.update(join=codes.normalise_code(code), seat=seat)
    return True


def _become_member(member: Member, code: str) -> None:
    st.session_state.update(class_member=member, class_joined_code=code, class_pending=None, class_last_sent=None)
    st.session_state["class_name"] = member.nickname


def _forget_member(reason: str | None = None) -> None:
    """Leave the class in this session; the join link, if any, is dropped so it does not join again."""
    st.session_state.pop("class_member", None)
    st.session_state.pop("class_joined_code", None)
    st.session_state.pop("class_send_here", None)
    st.session_state.update(class_pending=None, class_last_sent=None)
    for key in ("join", "seat"):
        if key in st.query_params:
            del st.query_params[key]
    if reason:
        _notice("info", reason)


def _join_typed(store: Store) -> None:
    """The join button's callback: the typed code, remembered in the link so a reload finds the class again."""
    code = st.session_state.get("class_join_code", "").strip()
    if not code:
        _notice("warning", ui.tr("class.join.no_code"))
    elif join(store, code):
        st.query_params["join"] = st.session_state["class_joined_code"]


def _start(store: Store) -> None:
    """The start button's callback: a new class, whose teacher this session is."""
    try:
        _code, token = store.start_class()
    except ClassError as exc:
        _notice("error", ui.tr_error(exc))
        return
    _forget_member()
    st.session_state["class_token"] = token


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
        st.button(ui.tr("class.join.button"), key="class_join", type="primary", on_click=_join_typed, args=(store,))
    with teach_col:
        st.subheader(ui.tr("class.teach.title"))
        st.markdown(ui.tr("class.teach.intro"))
        st.button(ui.tr("class.start"), key="class_start", icon=":material/co_present:", on_click=_start, args=(store,))


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


def _clear_canvas() -> None:
    """Load an empty drawing: a new nonce, so the canvas's last value (which names the old one) reads as blank."""
    st.session_state["class_canvas_nonce"] += 1


def canvas_ui() -> tuple[str, object] | None:
    """The drawing canvas and its Clear button, inside the student's form; returns the drawing as (a key naming
    the picture, a function giving its preprocessed input), or None while there is none."""
    surface.surface(key="canvas", nonce=st.session_state["class_canvas_nonce"], strokes=[], brush=BRUSH)
    st.form_submit_button(ui.tr("class.clear"), key="class_clear", icon=":material/delete:", on_click=_clear_canvas)
    injected = st.session_state.get("draw_injected_rgba")
    if injected is not None:
        pixels = np.ascontiguousarray(injected)
        return "injected:" + hashlib.md5(pixels.tobytes()).hexdigest(), lambda: canvas_to_input(pixels)
    return _as_input(_drawing())


def _as_input(drawing: surface.Drawing | None) -> tuple[str, object] | None:
    """(a key naming the picture, a function giving its preprocessed input: the browser's 28 x 28, the one
    truth with what the canvas showed), or None for no drawing."""
    if drawing is None:
        return None
    return drawing.png_digest, lambda: surface.browser_input(canvas_to_input(drawing.rgba), drawing.image)


def _drawing() -> surface.Drawing | None:
    """The canvas's drawing since the last Send or Clear, or None (nothing drawn, or its value names an older
    nonce: the picture already sent, which the student part's refreshes then do not decode again)."""
    value = st.session_state.get("canvas")
    sent = value.get("drawing") if isinstance(value, dict) else None
    if not isinstance(sent, dict) or sent.get("nonce") != st.session_state["class_canvas_nonce"]:
        return None
    drawing = surface.read_drawing(value)
    return drawing if drawing.rgba is not None else None


def _reading(key: str | None, model, make) -> Reading:
    """The network's answer for one picture (`make()` reads it), kept while the picture and the model stay: the
    student's part reruns every few seconds, and a picture is read once."""
    kept = st.session_state.get("class_reading")
    if key is not None and kept is not None and kept[0] == (key, id(model)):
        return kept[1]
    view = make()
    st.session_state["class_reading"] = ((key, id(model)), view)
    return view


def upload_ui() -> Preprocessed | None:
    """A photo of a digit instead of the drawing (a phone's camera), decoded as safely as on the Draw page;
    None when there is none, or after saying why it cannot be read."""
    with st.expander(ui.tr("class.upload"), icon=":material/photo_camera:"):
        uploaded = st.file_uploader(ui.tr("draw.upload"), type=["png", "jpg", "jpeg"], key="class_upload")
    data = _photo_data(uploaded)
    if data is None:
        return None
    try:
        return preprocess(load_image(data))
    # Image decoders fail on hostile bytes in more ways than ImageError covers (PIL plugins raise what they
    # like); whatever happens, the student gets a sentence, not a traceback.
    except Exception as exc:
        st.error(ui.plain(ui.tr_error(exc, fallback="draw.upload.failed")), icon=":material/block:")
        return None


def _photo_data(uploaded=None) -> bytes | None:
    """The photo's bytes: a test's injected ones, or the uploader's file (`uploaded`, or from its state)."""
    data = st.session_state.get("draw_injected_upload")
    uploaded = uploaded if uploaded is not None else st.session_state.get("class_upload")
    if data is None and uploaded is not None:
        data = uploaded.getvalue()
    return data


def read_ui(view: Reading) -> None:
    """What the network reads in a photo (a drawing's reading is the canvas's own, live): the digit, large, and
    its ten probabilities, as on the Draw page; one element, as the student's part is sent again on every
    refresh."""
    if view.probs is None:
        digit = '<div class="class-read" style="opacity:.6">?</div>'
        caption = ui.tr("class.read.none")
    else:
        digit = f'<div class="class-read">{view.prediction}</div>'
        caption = ui.tr("class.read.digit", digit=view.prediction, pct=f"{view.confidence:.0%}")
    bars = markup.probability_bars(view.probs if view.probs is not None else np.zeros(10), view.prediction, height=90)
    title = html.escape(ui.tr("class.read"))
    st.html(
        f'<h3 class="class-read-title">{title}</h3>{digit}'
        f'<p class="class-read-caption">{html.escape(caption)}</p>{bars}'
    )


def submit(store: Store, pending: dict) -> bool:
    """Send the pending digit (again, under its send_key); True once the database has committed it.

    A database that does not answer leaves it pending, to be retried with the same send_key (never sent twice);
    any other refusal (too fast, class ended) drops it and keeps the reason to show.
    """
    member = st.session_state["class_member"]
    try:
        digit_id = store.submit_digit(
            member,
            pending["image"],
            pending["label"],
            pending["prediction"],
            pending["confidence"],
            send_key=pending["send_key"],
        )
    except DatabaseUnavailable:
        return False
    except ClassError as exc:
        st.session_state["class_pending"] = None
        _notice("warning", ui.tr_error(exc))
        return False
    st.session_state["class_pending"] = None
    st.session_state["class_last_sent"] = {
        "id": digit_id,
        "label": pending["label"],
        "prediction": pending["prediction"],
    }
    _clear_canvas()
    return True


def _rename(store: Store) -> None:
    """The nickname box's callback, and a check before each Send: the store keeps the name the box shows."""
    member = st.session_state.get("class_member")
    name = st.session_state.get("class_name", "")
    if member is None or name == member.nickname:
        return
    try:
        st.session_state["class_member"] = store.rename(member, name)
    except ClassError as exc:
        _notice("warning", ui.tr_error(exc))


def send(store: Store, view: Reading, label, rerun: bool = True) -> None:
    """The Send button: a new digit under a fresh send_key, or the one still pending, never both. `rerun`: rerun
    the student's part once sent (not from a callback, which runs before it)."""
    _rename(store)
    pending = st.session_state["class_pending"]
    if pending is None:
        if view.probs is None:
            _notice("warning", ui.tr("class.nothing"))
            return
        if label is None:
            _notice("warning", ui.tr("class.pick_label"))
            return
        pending = {
            "send_key": uuid.uuid4().hex,
            "image": view.prep.image.copy(),
            "label": int(label),
            "prediction": view.prediction,
            "confidence": view.confidence,
        }
        st.session_state["class_pending"] = pending
    if submit(store, pending) and rerun:
        _rerun_fragment()  # the cleared canvas and the acknowledgement


def _rerun_fragment() -> None:
    """Rerun the fragment that is running, or everything when it runs as part of a whole run (as in AppTest),
    where Streamlit refuses a fragment's rerun."""
    try:
        st.rerun(scope="fragment")
    except StreamlitAPIException:
        st.rerun()


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
            on_click=_send_clicked,
            args=(store, model),
        )
    photo = upload_ui()
    view = None
    if photo is not None:
        view = _reading("photo:" + hashlib.md5(photo.image.tobytes()).hexdigest(), model, lambda: _read(photo, model))
        read_ui(view)
    if st.session_state.pop("class_send_here", False):
        if view is None:
            view = _draw_reading(drawing, model)
        send(store, view, label)
    show_notice()
    sent_ui()


def _draw_reading(drawing: tuple[str, object] | None, model) -> Reading:
    """The network's answer for the canvas's drawing (canvas_ui's), kept per picture."""
    if drawing is None:
        return _read(None, model, canvas=True)
    return _reading(drawing[0], model, lambda: _read(drawing[1](), model, canvas=True))


def _send_clicked(store: Store, model) -> None:
    """Send's callback, before the student's part reruns: the drawing that came with it is read (the browser's
    28 x 28, one forward pass) and sent here, so that one run shows the acknowledgement and the cleared canvas.
    A photo, or a drawing a test injects, is sent by the run itself (draw_ui), which reads it first and then
    reruns."""
    if st.session_state.get("draw_injected_rgba") is not None or _photo_data() is not None:
        st.session_state["class_send_here"] = True
        return
    view = _draw_reading(_as_input(_drawing()), model)
    send(store, view, st.session_state.get("class_label"), rerun=False)


def _read(prep: Preprocessed | None, model, canvas: bool = False) -> Reading:
    """The network's answer alone (lenet.classmode.reading): this page shows no pictures of the layers."""
    return read(prep, model, canvas)


def prompt_ui(info: ClassInfo) -> None:
    """The teacher's prompt and pushed link, as text."""
    if info.prompt:
        st.caption(ui.tr("class.prompt.shown"))
        st.html(f'<div class="class-prompt">{wall.text_html(info.prompt)}</div>')
    if info.pushed_link:
        st.info(ui.tr("class.follow.shown"), icon=":material/near_me:")
        label = f"{ui.tr('class.follow.go')}: {ui.plain(info.pushed_link)}"
        st.link_button(label, info.pushed_link, icon=":material/open_in_new:")


def _answer(store: Store, question_id: int) -> None:
    choice = st.session_state.get(f"class_answer_{question_id}")
    if choice is None:
        return
    try:
        store.answer(st.session_state["class_member"], question_id, int(choice))
    except ClassError as exc:
        _notice("warning", ui.tr_error(exc))


def answer_ui(store: Store, question: Question, class_id: int) -> None:
    """A quick question: the student's answer until the reveal, then the class's answers and the right one."""
    st.subheader(ui.tr("class.quiz.title"))
    st.html(f'<div style="font-size:1.3rem">{wall.text_html(question.text)}</div>')
    if not question.revealed:
        st.radio(
            ui.tr("class.quiz.your_answer"),
            list(range(len(question.options))),
            index=None,
            format_func=lambda i: ui.plain(question.options[i]),
            key=f"class_answer_{question.id}",
            on_change=_answer,
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
    pending = st.session_state["class_pending"]
    if pending is not None:
        submit(store, pending)  # acknowledged (or refused): the canvas part below shows it
    try:
        info, question = store.live_view(member.class_id)
        prompt_ui(info)
        if question is not None:
            answer_ui(store, question, info.id)
    except ClassError as exc:
        if exc.code not in GONE:
            _error(exc)  # the database is away for a moment: the next refresh tries again
            return True
        _forget_member(ui.tr_error(exc))  # the class is over: back to the start, saying so
        st.rerun()
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
    _name_input(on_change=_rename, args=(store,))
    class_lesson.student_ui(store, member)  # the lesson the teacher leads, when one runs
    st.markdown(ui.tr("class.student.draw"))
    loaded = ui.current_model()
    student_live_ui(store, loaded[0] if loaded else None)
    st.caption(ui.tr("class.other_pages"))
    st.button(ui.tr("class.leave"), key="class_leave", icon=":material/logout:", on_click=_forget_member)


# The teacher


def code_ui(info: ClassInfo, token: str) -> None:
    """The projector's head: the join code, the join link and its QR code; the private teacher link below."""
    link = f"{_page_url()}?join={info.code}"
    with st.container(key="class_code", border=True):
        text_col, qr_col = st.columns([3, 2], gap="large")
        with text_col:
            st.subheader(ui.tr("class.code.title"))
            st.html(f'<div class="class-code">{info.code}</div>')
            st.html(f'<div class="class-link">{wall.text_html(ui.tr("class.code.link", link=link))}</div>')
        with qr_col:
            st.html(wall.qr_html(link, ui.tr("class.code.qr_alt", link=link)))
    with st.expander(ui.tr("class.teacher_link.title"), icon=":material/key:"):
        st.caption(ui.tr("class.teacher_link.text"))
        st.code(f"{_page_url()}?teach={token}", language=None)


def _figure(digit, caption: str) -> str:
    alt = ui.tr("class.wall.digit_alt", id=digit.id, label=digit.label, prediction=digit.prediction)
    return ui.class_digit_figure(digit.image.tobytes(), caption, alt, digit.prediction != digit.label)


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
    rows = []
    for label, group in data.by_label().items():
        figures = [_figure(d, ui.tr("class.wall.caption", id=d.id, name=_name(d.nickname))) for d in group[:PER_DIGIT]]
        if len(group) > PER_DIGIT:
            figures.append(f"<span>{ui.tr('class.wall.more', n=len(group) - PER_DIGIT)}</span>")
        rows.append((ui.tr("class.wall.meant", digit=label, n=len(group)), figures))
    st.html(wall.gallery_html(rows, ui.tr("class.wall.row_empty")))


def _open_in_draw(digit, caption: str) -> None:
    """Hand a wall digit to Draw & explore, with its output unit traced (the score it was read as)."""
    st.session_state["draw_open_digit"] = {"image": digit.image, "caption": caption}
    st.session_state["trace"] = {"layer": "output", "channel": int(digit.prediction)}
    st.switch_page("pages/draw.py")


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
            column.html(_figure(d, f"#{d.id} {caption}"))
            if column.button(ui.tr("class.wall.open"), key=f"class_open_{d.id}", icon=":material/search:"):
                _open_in_draw(d, f"#{d.id} {caption}")
    st.subheader(ui.tr("class.wall.confusion"))
    meant, read = ui.tr("class.wall.meant_axis"), ui.tr("class.wall.read_axis")
    st.html(wall.confusion_html(data.confusion(), meant, read))


def who_ui(data: Wall) -> None:
    """The students' nicknames, as text."""
    st.subheader(ui.tr("class.wall.who"))
    names = " · ".join(wall.text_html(_name(name)) for name in data.names[:NAMES])
    if len(data.names) > NAMES:
        names += " · " + ui.tr("class.wall.more", n=len(data.names) - NAMES)
    st.html(f"<div>{names}</div>")


def question_ui(store: Store, token: str, question: Question, counts: list[int]) -> None:
    """The current quick question: the live histogram of answers, and the reveal."""
    st.subheader(ui.tr("class.quiz.title"))
    st.html(f'<div style="font-size:1.3rem">{wall.text_html(question.text)}</div>')
    st.caption(ui.tr("class.quiz.answered", n=sum(counts)))
    st.html(wall.histogram_html(question.options, counts, question.correct if question.revealed else None))
    if question.revealed:
        if question.correct is not None:
            st.success(ui.plain(ui.tr("class.quiz.right", option=question.options[question.correct])))
    elif st.button(ui.tr("class.quiz.reveal"), key="class_quiz_reveal", icon=":material/visibility:"):
        _act(store.reveal, token, question.id)


@st.fragment(run_every=WALL_REFRESH_S)
def wall_ui(store: Store, token: str, mnist_acc: float | None) -> None:
    """The projector's wall, reread whole from the database every refresh (so every replica's digits show)."""
    try:
        info = store.teacher_class(token)
        data = store.wall(info.id)
        question = store.current_question(info.id)
        counts = store.histogram(info.id, question.id) if question is not None else []
    except ClassError as exc:
        _error(exc)
        return
    with st.container(key="class_wall"):
        stats_ui(data, mnist_acc)
        tuned = tune.latest_result(info.code)
        if tuned is not None:
            before_after_ui(tuned)
        gallery_col, mistakes_col = st.columns([3, 2], gap="large")
        with gallery_col:
            gallery_ui(data)
        with mistakes_col:
            mistakes_ui(data)
        if question is not None:
            question_ui(store, token, question, counts)
        who_ui(data)


def _act(action, *args, done: str | None = None, then=None) -> None:
    """Run one teacher action against the store (which checks the token), then rerun so the wall above shows
    its effect at once, with a toast (it outlives the rerun); or say why not. `then` runs before the rerun."""
    try:
        action(*args)
    except ClassError as exc:
        _error(exc)
        return
    st.toast(done or ui.tr("class.done"))
    if then is not None:
        then()
    st.rerun()


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
        _act(store.set_prompt, token, st.session_state.get("class_prompt", ""))
    if clear_col.button(ui.tr("class.prompt.clear"), key="class_prompt_clear", width="stretch"):
        _act(store.set_prompt, token, None)
    if info.prompt:
        st.html(f'<div class="class-prompt">{wall.text_html(info.prompt)}</div>')


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
        _act(store.push_link, token, page + (f"?{query}" if query else ""))
    if stop_col.button(ui.tr("class.follow.stop"), key="class_follow_stop", width="stretch"):
        _act(store.push_link, token, None)
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
    options = [line.strip() for line in st.session_state.get("class_quiz_options", "").splitlines() if line.strip()]
    correct = st.selectbox(
        ui.tr("class.quiz.correct"),
        [None, *range(len(options))],
        format_func=lambda i: ui.tr("class.quiz.poll") if i is None else options[i],
        key="class_quiz_correct",
    )
    if st.button(ui.tr("class.quiz.ask"), key="class_quiz_ask", type="primary"):
        text = st.session_state.get("class_quiz_text", "").strip()
        if not text or len(options) < 2:
            st.warning(ui.tr("class.quiz.need"))
        else:
            _act(store.ask, token, text, options, correct)
    st.divider()
    digit_id = st.number_input(ui.tr("class.quiz.digit_id"), min_value=1, step=1, key="class_quiz_digit")
    if st.button(ui.tr("class.quiz.digits"), key="class_quiz_digits"):
        _ask_digit(store, token, int(digit_id))


def _ask_digit(store: Store, token: str, digit_id: int) -> None:
    """Ask which digit the network says for one digit on the wall; its answer is the model's reading."""
    try:
        info = store.teacher_class(token)
        digit = next((d for d in store.digits(info.id) if d.id == digit_id), None)
    except ClassError as exc:
        _error(exc)
        return
    if digit is None:
        _error(ClassError("no such digit", "digit_unknown", digit_id=digit_id))
        return
    text = ui.tr("class.quiz.digits_text", id=digit_id)
    _act(store.ask, token, text, [str(d) for d in range(10)], digit.prediction)


def digits_steer_ui(store: Store, token: str, info: ClassInfo) -> None:
    """Delete a digit; download the class's digits as an MNIST-format dataset."""
    st.subheader(ui.tr("class.delete.title"))
    digit_id = st.number_input(ui.tr("class.delete.id"), min_value=1, step=1, key="class_delete_id")
    if st.button(ui.tr("class.delete.button"), key="class_delete", icon=":material/delete:"):
        _act(store.delete_digit, token, int(digit_id), done=ui.tr("class.delete.done", id=int(digit_id)))
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


def _start_tuning(store: Store, token: str) -> None:
    """Write the class's digits to a dataset file and queue a run that fine-tunes the current model on them."""
    start = ui.current_model_path()
    dataset = None
    try:
        info = store.teacher_class(token)
        images, labels = store.dataset(info.id)
        if len(labels) < tune.MIN_DIGITS:
            st.warning(ui.tr("class.tune.too_few", n=len(labels), min=tune.MIN_DIGITS))
            return
        dataset = tune.write_dataset(images, labels, info.code, settings.current().class_ttl_hours)
        run = ui.registry().submit(
            ui.train_owner(),
            tune.run_name(info.code),
            tune.model_config(start),
            tune.train_config(start, dataset, len(labels)),
        )
    except (CodedError, OSError) as exc:
        tune.forget_dataset(dataset)
        _error(exc)
        return
    st.session_state["class_tune_run"] = {"run": run.id, "file": str(dataset)}


@st.fragment(run_every=WALL_REFRESH_S)
def tune_status_ui(code: str) -> None:
    """The fine-tuning run's progress while it trains; then what it learned, and the new model to use."""
    state = st.session_state.get("class_tune_run")
    run = ui.registry().get(state["run"]) if state else None
    if run is not None and run.active:
        label = ui.tr("class.tune.running", pct=f"{run.fraction:.0%}") if run.status == "running" else None
        st.progress(run.fraction, text=label or ui.tr("class.tune.queued"))
        return
    if state:  # the run ended: its dataset file (the students' handwriting) goes
        tune.forget_dataset(state["file"])
        st.session_state.pop("class_tune_run")
        if run is not None and run.error is not None:
            st.session_state["class_tune_error"] = ui.tr_error(run.error)
    if "class_tune_error" in st.session_state:
        st.error(ui.plain(st.session_state["class_tune_error"]))
    result = tune.latest_result(code)  # its figures are on the wall
    if result is not None:
        st.caption(ui.plain(ui.tr("class.tune.in_picker", name=ui.checkpoint_label(result))))
        if st.session_state.get("model") != str(result.path):
            st.button(ui.tr("class.tune.use"), key="class_tune_use", on_click=ui.use_model, args=(str(result.path),))


def before_after_ui(result) -> None:
    """Accuracy on the class's held-back digits before and after fine-tuning, and the new model's name."""
    extra = result.metrics["extra"]
    before, after = extra.get("before"), extra.get("after")
    with st.container(key="class_tune_result"):
        if before is not None and after is not None:
            st.metric(
                ui.tr("class.tune.after", n=extra.get("n_test", 0)),
                f"{after:.0%}",
                delta=ui.tr("class.tune.delta", before=f"{before:.0%}", points=f"{(after - before) * 100:+.0f}"),
            )


def tune_ui(store: Store, token: str, info: ClassInfo) -> None:
    """Teach it our handwriting: fine-tune the current model on the class's digits, MNIST mixed in."""
    st.caption(ui.tr("class.tune.text", pct=f"{tune.HOLDOUT:.0%}"))
    busy = bool(st.session_state.get("class_tune_run"))
    if st.button(ui.tr("class.tune.start"), key="class_tune", type="primary", icon=":material/school:", disabled=busy):
        st.session_state.pop("class_tune_error", None)
        _start_tuning(store, token)
    tune_status_ui(info.code)


def end_ui(store: Store, token: str) -> None:
    """End the class now, after a confirmation: its digits and nicknames are deleted."""
    st.checkbox(ui.tr("class.end.confirm"), key="class_end_confirm")
    confirmed = st.session_state.get("class_end_confirm", False)
    if st.button(ui.tr("class.end.button"), key="class_end", icon=":material/stop_circle:", disabled=not confirmed):
        _act(store.end_class, token, done=ui.tr("class.end.done"), then=_leave_teaching)


def _leave_teaching() -> None:
    st.session_state.pop("class_token", None)
    st.session_state.pop("class_end_confirm", None)


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
        tune_ui(store, token, info)
    with digits_tab:
        digits_steer_ui(store, token, info)
    with end_tab:
        end_ui(store, token)


def teacher_ui(store: Store, token: str) -> None:
    """The teacher's view: code and QR code, the live wall, and the controls."""
    try:
        info = store.teacher_class(token)
    except ClassError as exc:  # ended or expired meanwhile, or not a teacher token at all
        st.session_state.pop("class_token", None)
        _notice("error", ui.tr_error(exc))
        st.rerun()
    code_ui(info, token)
    loaded = ui.current_model()
    class_lesson.teacher_ui(store, token, info, loaded[1].test_acc if loaded else None, _start_tuning)
    wall_ui(store, token, loaded[1].test_acc if loaded else None)
    st.divider()
    steer_ui(store, token, info)


def main() -> None:
    _init_state()
    st.html(_PAGE_CSS)
    st.title(ui.tr("class.title"))
    store = ui.class_store()
    if store is None:
        return
    adopt_links(store)
    token = st.session_state.get("class_token")
    member = st.session_state.get("class_member")
    show_notice()
    if token:
        teacher_ui(store, token)
    elif member is not None:
        student_ui(store, member)
    else:
        st.markdown(ui.tr("class.intro"))
        landing_ui(store)


main()
