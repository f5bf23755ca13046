"""Class mode's glue for pages/class.py: the session's state, the buttons' callbacks and the store's calls.

Glue, as ui.py and class_lesson.py: the page lays out the teacher's, the student's and the landing view and calls
these. Who a session is lives in its state: a teacher's token (`class_token`) or a student's Member
(`class_member`), never both. Every teacher action hands the token to the store, which checks it on the server.
A student's digit waits in `class_pending` under its send_key until the database has it, so a retry never sends
it twice. A message meant for after a rerun is kept (`notice`) and shown once (`show_notice`).
"""

from __future__ import annotations

import hashlib
import uuid

import numpy as np
import streamlit as st
from streamlit.errors import StreamlitAPIException

import surface
import ui
from lenet.classmode import codes
from lenet.classmode.reading import Reading, read
from lenet.classmode.store import ClassError, ClassInfo, DatabaseUnavailable, Member, Question, Store, Wall
from lenet.images import load_image
from lenet.preprocess import Preprocessed, canvas_to_input, preprocess

GONE = {"class_ended", "class_expired", "class_unknown", "member_unknown"}  # codes that end a student's membership
PER_DIGIT = 12  # thumbnails per digit meant on the wall; the rest are counted


# The page's own state and messages


def init_state() -> None:
    """Defaults of the page's own state (not widgets')."""
    defaults = {"class_canvas_nonce": 0, "class_pending": None, "class_last_sent": None}
    for key, value in defaults.items():
        if key not in st.session_state:
            st.session_state[key] = value


def notice(kind: str, text: str) -> None:
    """Keep a message for the next place that shows notices (after a rerun)."""
    st.session_state["class_notice"] = (kind, text)


def show_notice() -> None:
    """Show the kept message once, as text."""
    kept = st.session_state.pop("class_notice", None)
    if kept:
        getattr(st, kept[0])(ui.plain(kept[1]))


def error(exc: BaseException) -> None:
    """Say, as text, why a call failed."""
    st.error(ui.plain(ui.tr_error(exc)))


def shown_name(nickname: str) -> str:
    """How a nickname reads: as typed, or "anonymous" when there is nothing to read."""
    return nickname if nickname.strip() else ui.tr("class.anonymous")


def page_url(page: str = "class") -> str:
    """A page's address beside this one, as the browser has this page's (http://10.0.0.5:8501/class, and with
    page="lesson" http://10.0.0.5:8501/lesson), or the path alone (/class) where none is known."""
    url = (st.context.url or "").split("?")[0].split("#")[0].rstrip("/")
    return f"{url.removesuffix('/class')}/{page}"


# Who this session is


def adopt_links(store: Store) -> None:
    """Take the teacher link's token, or join the class of a join link, once per link."""
    token = st.query_params.get("teach")
    if token:
        del st.query_params["teach"]  # off the address bar, which the projector shows
        try:
            info = store.teacher_class(token)
        except ClassError as exc:
            notice("error", ui.tr_error(exc))
        else:
            st.session_state["class_token"] = token
            st.session_state.pop("class_member", None)
            notice("success", ui.tr("class.teacher_adopted", code=info.code))
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
        notice("error", ui.tr_error(exc))
        return False
    _become_member(member, codes.normalise_code(code))
    # The student's own link now names their seat: a reload, or the server restarting, rejoins as this member.
    st.query_params.update(join=codes.normalise_code(code), seat=seat)
    return True


def _become_member(member: Member, code: str) -> None:
    """This session is `member` of the class with `code`, with nothing sent yet."""
    st.session_state.update(class_member=member, class_joined_code=code, class_pending=None, class_last_sent=None)
    st.session_state["class_name"] = member.nickname


def forget_member(reason: str | None = None) -> None:
    """Leave the class in this session; the join link, if any, is dropped so it does not join again."""
    st.session_state.pop("class_member", None)
    st.session_state.pop("class_joined_code", None)
    st.session_state.pop("class_send_here", None)
    st.session_state.update(class_pending=None, class_last_sent=None)
    for key in ("join", "seat"):
        if key in st.query_params:
            del st.query_params[key]
    if reason:
        notice("info", reason)


def join_typed(store: Store) -> None:
    """The join button's callback: the typed code, remembered in the link so a reload finds the class again."""
    code = st.session_state.get("class_join_code", "").strip()
    if not code:
        notice("warning", ui.tr("class.join.no_code"))
    elif join(store, code):
        st.query_params["join"] = st.session_state["class_joined_code"]


def start_class(store: Store) -> None:
    """The start button's callback: a new class, whose teacher this session is."""
    try:
        _code, token = store.start_class()
    except ClassError as exc:
        notice("error", ui.tr_error(exc))
        return
    forget_member()
    st.session_state["class_token"] = token


# The student


def clear_canvas() -> None:
    """Load an empty drawing: a new nonce, so the canvas's last value (which names the old one) reads as blank."""
    st.session_state["class_canvas_nonce"] += 1


def canvas_drawing() -> tuple[str, object] | None:
    """The student's drawing as (a key naming the picture, a function giving its preprocessed input), or None
    while there is none: a test's injected pixels, else the canvas's own."""
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


def read_photo(uploaded) -> Preprocessed | None:
    """The photo chosen (`uploaded`, or a test's injected bytes), decoded as safely as on the Draw page; None when
    there is none, or after saying why it cannot be read."""
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


def photo_reading(photo: Preprocessed, model) -> Reading:
    """The network's answer for a photo, kept per picture."""
    return _reading("photo:" + hashlib.md5(photo.image.tobytes()).hexdigest(), model, lambda: _read(photo, model))


def _photo_data(uploaded=None) -> bytes | None:
    """The photo's bytes: a test's injected ones, or the uploader's file (`uploaded`, or from its state)."""
    data = st.session_state.get("draw_injected_upload")
    uploaded = uploaded if uploaded is not None else st.session_state.get("class_upload")
    if data is None and uploaded is not None:
        data = uploaded.getvalue()
    return data


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
        notice("warning", ui.tr_error(exc))
        return False
    st.session_state["class_pending"] = None
    st.session_state["class_last_sent"] = {
        "id": digit_id,
        "label": pending["label"],
        "prediction": pending["prediction"],
    }
    clear_canvas()
    return True


def retry_pending(store: Store) -> None:
    """Send again the digit the database has not taken yet; acknowledged (or refused), the canvas part shows it."""
    pending = st.session_state["class_pending"]
    if pending is not None:
        submit(store, pending)


def refused_live(exc: ClassError) -> None:
    """A refusal while reading what the teacher pushes: the database away for a moment is said (the next refresh
    tries again); a class that is over sends the student back to the start, saying so."""
    if exc.code not in GONE:
        error(exc)
        return
    forget_member(ui.tr_error(exc))
    st.rerun()


def rename(store: Store) -> None:
    """The nickname box's callback, and a check before each Send: the store keeps the name the box shows."""
    member = st.session_state.get("class_member")
    name = st.session_state.get("class_name", "")
    if member is None or name == member.nickname:
        return
    try:
        st.session_state["class_member"] = store.rename(member, name)
    except ClassError as exc:
        notice("warning", ui.tr_error(exc))


def send(store: Store, view: Reading, label, rerun: bool = True) -> None:
    """The Send button: a new digit under a fresh send_key, or the one still pending, never both. `rerun`: rerun
    the student's part once sent (not from a callback, which runs before it)."""
    rename(store)
    pending = st.session_state["class_pending"]
    if pending is None:
        if view.probs is None:
            notice("warning", ui.tr("class.nothing"))
            return
        if label is None:
            notice("warning", ui.tr("class.pick_label"))
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


def draw_reading(drawing: tuple[str, object] | None, model) -> Reading:
    """The network's answer for the canvas's drawing (canvas_ui's), kept per picture."""
    if drawing is None:
        return _read(None, model, canvas=True)
    return _reading(drawing[0], model, lambda: _read(drawing[1](), model, canvas=True))


def send_clicked(store: Store, model) -> None:
    """Send's callback, before the student's part reruns: the drawing that came with it is read (the browser's
    28 x 28, one forward pass) and sent here, so that one run shows the acknowledgement and the cleared canvas.
    A photo, or a drawing a test injects, is sent by the run itself (draw_ui), which reads it first and then
    reruns."""
    if st.session_state.get("draw_injected_rgba") is not None or _photo_data() is not None:
        st.session_state["class_send_here"] = True
        return
    view = draw_reading(_as_input(_drawing()), model)
    send(store, view, st.session_state.get("class_label"), rerun=False)


def _read(prep: Preprocessed | None, model, canvas: bool = False) -> Reading:
    """The network's answer alone (lenet.classmode.reading): this page shows no pictures of the layers."""
    return read(prep, model, canvas)


def answer(store: Store, question_id: int) -> None:
    choice = st.session_state.get(f"class_answer_{question_id}")
    if choice is None:
        return
    try:
        store.answer(st.session_state["class_member"], question_id, int(choice))
    except ClassError as exc:
        notice("warning", ui.tr_error(exc))


# The teacher


def teacher_class(store: Store, token: str) -> ClassInfo:
    """The teacher's class; one that ended or expired meanwhile (or a token that is no teacher's) is forgotten,
    and the page runs again, saying why."""
    try:
        return store.teacher_class(token)
    except ClassError as exc:
        st.session_state.pop("class_token", None)
        notice("error", ui.tr_error(exc))
        st.rerun()


def mnist_accuracy() -> float | None:
    """The current model's accuracy on MNIST's test set, or None without a model."""
    loaded = ui.current_model()
    return loaded[1].test_acc if loaded else None


def wall_state(store: Store, token: str) -> tuple[ClassInfo, Wall, Question | None, list[int]] | None:
    """What the wall shows, read whole from the database: the class, its digits, the current question and its
    answers' counts; None after saying why it cannot be read."""
    try:
        info = store.teacher_class(token)
        data = store.wall(info.id)
        question = store.current_question(info.id)
        counts = store.histogram(info.id, question.id) if question is not None else []
    except ClassError as exc:
        error(exc)
        return None
    return info, data, question, counts


def gallery_rows(data: Wall) -> list[tuple[str, list[str]]]:
    """The wall's gallery: a row per digit meant (its heading, its newest figures, the rest counted)."""
    rows = []
    for label, group in data.by_label().items():
        figures = [
            figure(d, ui.tr("class.wall.caption", id=d.id, name=shown_name(d.nickname))) for d in group[:PER_DIGIT]
        ]
        if len(group) > PER_DIGIT:
            figures.append(f"<span>{ui.tr('class.wall.more', n=len(group) - PER_DIGIT)}</span>")
        rows.append((ui.tr("class.wall.meant", digit=label, n=len(group)), figures))
    return rows


def figure(digit, caption: str) -> str:
    alt = ui.tr("class.wall.digit_alt", id=digit.id, label=digit.label, prediction=digit.prediction)
    return ui.class_digit_figure(digit.image.tobytes(), caption, alt, digit.prediction != digit.label)


def open_in_draw(digit, caption: str) -> None:
    """Hand a wall digit to Draw & explore, with its output unit traced (the score it was read as)."""
    st.session_state["draw_open_digit"] = {"image": digit.image, "caption": caption}
    st.session_state["trace"] = {"layer": "output", "channel": int(digit.prediction)}
    st.switch_page("pages/draw.py")


def act(action, *args, done: str | None = None, then=None) -> None:
    """Run one teacher action against the store (which checks the token), then rerun so the wall above shows
    its effect at once, with a toast (it outlives the rerun); or say why not. `then` runs before the rerun."""
    try:
        action(*args)
    except ClassError as exc:
        error(exc)
        return
    st.toast(done or ui.tr("class.done"))
    if then is not None:
        then()
    st.rerun()


def quiz_options() -> list[str]:
    """The teacher's typed options, one a line, blank lines left out."""
    return [line.strip() for line in st.session_state.get("class_quiz_options", "").splitlines() if line.strip()]


def ask(store: Store, token: str, options: list[str], correct: int | None) -> None:
    """Ask the typed question, which needs its text and two options at least."""
    text = st.session_state.get("class_quiz_text", "").strip()
    if not text or len(options) < 2:
        st.warning(ui.tr("class.quiz.need"))
    else:
        act(store.ask, token, text, options, correct)


def ask_digit(store: Store, token: str, digit_id: int) -> None:
    """Ask which digit the network says for one digit on the wall; its answer is the model's reading."""
    try:
        info = store.teacher_class(token)
        digit = next((d for d in store.digits(info.id) if d.id == digit_id), None)
    except ClassError as exc:
        error(exc)
        return
    if digit is None:
        error(ClassError("no such digit", "digit_unknown", digit_id=digit_id))
        return
    text = ui.tr("class.quiz.digits_text", id=digit_id)
    act(store.ask, token, text, [str(d) for d in range(10)], digit.prediction)


def leave_teaching() -> None:
    """After the class ended: this session teaches no class any more."""
    st.session_state.pop("class_token", None)
    st.session_state.pop("class_end_confirm", None)
