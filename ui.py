"""Streamlit glue shared by app.py and the pages: language, translated labels and errors, the colour map,
the picked model, cached engine calls.

The engine (lenet/) never imports streamlit; this module is the one place that caches it for the UI.
"""

from __future__ import annotations

import functools
import gc
import re
import sys
import uuid
import weakref
from pathlib import Path

# Imported here, once, before sessions run in parallel: plotly imports pandas lazily, and two sessions
# doing that at the same moment saw a half-imported pandas ("no attribute 'Series'") under load.
import pandas  # noqa: F401
import plotly.graph_objects  # noqa: F401
import streamlit as st

from lenet import checkpoints, data, explain, jobs, netspec, settings
from lenet.conv import ops
from lenet.device import describe_device, pick_device
from lenet.errors import CodedError
from lenet.evaluation import Evaluation, evaluate_model
from lenet.figures import markup, mosaics
from lenet.figures.theme import COLORMAPS
from lenet.i18n import DEFAULT_LANGUAGE, LANGUAGES, t, t_error

__all__ = [
    "LANGUAGES",
    "checkpoint_label",
    "class_store",
    "colormap",
    "compare_link",
    "compare_picks",
    "current_model",
    "device_name",
    "ensure_shell",
    "evaluation",
    "example_digits",
    "freeze_startup_heap",
    "kernel_pngs",
    "lang",
    "load_model",
    "mnist_missing_ui",
    "model_choices",
    "option_labels",
    "plain",
    "projector",
    "registry",
    "relabel_choices",
    "run_curves",
    "saved_runs",
    "session_key",
    "shell_chrome",
    "shipped_record",
    "shorten_switch_interval",
    "tr",
    "tr_error",
]

# Every ASCII punctuation character: CommonMark lets a backslash escape any of them, and markdown needs no other.
_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def ensure_shell() -> None:
    """Make deep links such as /train work on a freshly started server. Every page calls it first.

    Streamlit treats a folder named pages/ as an old-style (v1) multipage app until st.navigation runs
    once, so the very first request for /train would run pages/train.py alone, without the shell
    (no sidebar, no language, no model). Switching the flag off and rerunning sends that request
    through app.py and st.navigation like every later one. It runs at the top of a page, never during
    an import: a rerun raised inside an import left other sessions a half-imported module.

    Streamlit has no public switch for this (no config option; renaming pages/ would, but users expect
    that folder), so the flag is a private one: requirements.txt pins the Streamlit series this was
    tested on, and tests/test_streamlit_internals.py fails loudly if the flag moves or changes meaning.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        # Once per session is enough on a server (the flag stays off). AppTest turns it back on before
        # every run; rerunning each time there would swallow the button clicks that the run carries.
        if not st.session_state.get("_shell_rerun"):
            st.session_state["_shell_rerun"] = True
            st.rerun()


def relabel_choices() -> None:
    """The language selector's on_change: make every open choice widget keep its value in the new language.

    Streamlit 1.67 sends a selectbox's or radio's value between browser and server as its label. After a
    language change the browser still holds the old label ("Adam (W)"), which none of the new labels
    ("Adam（W）") match, so the server read the label itself as the value: the optimizer became
    "Adam (W)", the network radio lost its choice, and the Train page crashed. Re-assigning each value
    through the session-state API, here before the rerun, makes Streamlit send it to the browser again
    under its new label. Only text values are touched: every choice in this app is a string, and the
    widgets whose values may not be set (buttons, uploaders, the canvas) hold something else.
    """
    for key in list(st.session_state):
        if isinstance(key, str) and key != "language" and isinstance(st.session_state[key], str):
            st.session_state[key] = st.session_state[key]


def lang() -> str:
    """The current UI language code ("en" or "zh")."""
    value = st.session_state.get("language", DEFAULT_LANGUAGE)
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def tr(key: str, **params) -> str:
    """Translate `key` into the current language."""
    return t(key, lang(), **params)


def tr_error(exc: BaseException, fallback: str | None = None) -> str:
    """Any engine error as one sentence in the current language: the one way pages report an exception.

    Args:
        exc: the error; a CodedError reads as its `error.<code>` string filled with its params.
        fallback: the key of a sentence for anything else (a library's own exception on hostile input);
            without it, the exception's own message.
    """
    if fallback is not None and not isinstance(exc, CodedError):
        return tr(fallback)
    return t_error(exc, lang())


def option_labels(prefix: str, options, **params) -> dict:
    """Translated labels for a choice widget's options: {option: tr(prefix + option)}; pass `.get` as format_func.

    They are made now, during the script run: a format_func that called tr later would run outside it
    (AppTest, serialisation) and miss the session's language.
    """
    return {option: tr(f"{prefix}{option}", **params) for option in options}


def checkpoint_label(info: checkpoints.CheckpointInfo) -> str:
    """How a model picker names a checkpoint: the shipped one by that name, a run by its own, with its accuracy."""
    name = tr("sidebar.shipped") if info.path == checkpoints.DEFAULT_CHECKPOINT else info.name
    return name + (f" · {info.test_acc:.2%}" if info.test_acc is not None else "")


def colormap() -> str:
    """The colour map picked in the sidebar, or the first one when none (or an unknown one) is picked."""
    picked = st.session_state.get("colormap")
    return picked if picked in COLORMAPS else COLORMAPS[0]


@st.cache_resource(show_spinner=False, max_entries=16)
def _load_model(path: str, version: int):
    """One model per checkpoint version (path, version) for the whole server: every session shares it."""
    model, info = checkpoints.load_checkpoint(path, device="cpu")
    model.requires_grad_(False)  # shared by all sessions: nobody trains it, saliency needs only input grads
    return model, info


def load_model(path: str | Path):
    """(model, info) for the checkpoint at `path`, cached by its record's version. Raises CheckpointError."""
    info = checkpoints.read_info(path)
    return _load_model(str(info.path), info.version)


_BLANK_ACTIVATIONS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def blank_activations(model):
    """lenet.explain.blank_activations, once per loaded model (the Draw page asks on every blank rerun)."""
    found = _BLANK_ACTIVATIONS.get(model)
    if found is None:
        found = _BLANK_ACTIVATIONS[model] = explain.blank_activations(model)
    return found


@st.cache_resource(scope="session", show_spinner=False)
def _session_memos() -> dict:
    """This session's memo slots (session_memo): a session-scoped cache, which Streamlit drops when the browser
    disconnects. Session state would stay: Streamlit keeps a disconnected session (its state, up to 128 of them)
    for `server.disconnectedSessionTTL` (120 s) in case the browser comes back, and the Draw page's view (its
    pictures, the preprocessing steps, every layer's output) was most of what a student who had left still held
    (bench/soak.py --profile)."""
    return {}


def session_memo(name: str, key: tuple, make):
    """`make()`, or what it returned last time in this session for an equal `key`: one entry per name, kept while
    the session's browser is connected. A key holds plain values and objects that compare by identity (a loaded
    model), never arrays.

    The Draw page keeps the view of the input it showed last: a click on a cell or a layer's pill reruns the page
    with the same drawing, which then is neither computed nor sent to the browser again (docs/ARCHITECTURE.md §6).
    """
    memos = _session_memos()
    kept = memos.get(name)
    if kept is not None and kept[0] == key:
        return kept[1]
    value = make()
    memos[name] = (key, value)
    return value


def model_choices() -> list[checkpoints.CheckpointInfo]:
    """Every checkpoint the picker offers: the shipped one, then this server's runs, newest first."""
    return checkpoints.list_checkpoints()


def current_model_path() -> str | None:
    """The path picked in the sidebar, or the shipped default."""
    picked = st.session_state.get("model")
    if picked:
        return picked
    return str(checkpoints.DEFAULT_CHECKPOINT) if checkpoints.DEFAULT_CHECKPOINT.exists() else None


def use_model(path: str) -> None:
    """A button's callback: make `path` the sidebar picker's model (a callback runs before the sidebar is drawn)."""
    st.session_state["model"] = path


def current_model():
    """(model, info) for the sidebar's pick, or None after showing a friendly error."""
    path = current_model_path()
    if path is None:
        st.warning(tr("sidebar.no_models"))
        return None
    try:
        return load_model(path)
    except checkpoints.CheckpointError as exc:
        st.error(tr_error(exc))
        return None


# --- the Compare page: two pickers that a link can set (?a=NAME&b=NAME, a checkpoint's file stem) --------------


def compare_picks(paths: list[str]) -> tuple[str, str]:
    """The Compare page's two models (session keys `compare_model_a`, `compare_model_b`), first from the link, then
    the sidebar's model against another network (an all-conv one beside a pooling one, where there is one)."""
    by_name = {Path(path).stem: path for path in paths}
    if not st.session_state.get("compare_link_read"):  # a link is read once per session
        st.session_state["compare_link_read"] = True
        for side in ("a", "b"):
            found = by_name.get(st.query_params.get(side, ""))
            if found:
                st.session_state[f"compare_model_{side}"] = found
    if st.session_state.get("compare_model_a") not in paths:
        sidebar = current_model_path()
        st.session_state["compare_model_a"] = sidebar if sidebar in paths else paths[0]
    if st.session_state.get("compare_model_b") not in paths:
        st.session_state["compare_model_b"] = _compare_partner(st.session_state["compare_model_a"], paths)
    return st.session_state["compare_model_a"], st.session_state["compare_model_b"]


def _compare_partner(first: str, paths: list[str]) -> str:
    """Another model for B: one that shrinks its maps the other way (strides against pooling), else any other."""
    from lenet.figures.compare import pools_by_striding

    def strides(path: str) -> bool | None:
        try:
            return pools_by_striding(netspec.parse(checkpoints.read_info(path).net))
        except (checkpoints.CheckpointError, netspec.NetSpecError):
            return None

    others = [path for path in paths if path != first]
    mine = strides(first)
    return next((path for path in others if strides(path) not in (None, mine)), others[0] if others else first)


def compare_link(a: str, b: str) -> None:
    """Keep ?a=..&b=.. in the address bar (the models' file stems), so the comparison can be shared."""
    for side, path in (("a", a), ("b", b)):
        if st.query_params.get(side) != Path(path).stem:
            st.query_params[side] = Path(path).stem


# --- the Train page: finished runs side by side ---------------------------------------------------------------


def saved_runs() -> list[checkpoints.CheckpointInfo]:
    """Saved runs whose checkpoints carry their learning history (the registry writes it), newest first."""
    return [info for info in model_choices() if isinstance(info.metrics.get("history"), list)]


def run_curves(runs: list, curves_of, most: int = 4) -> dict:
    """key -> (loss curve, accuracy curve) of every finished run the Train page can compare: this session's ended
    runs (`run:<id>`, every stored step; `curves_of(run, label)` draws them) and saved runs that are not among them
    (their checkpoint's path, from the evaluations in its history). This session's newly ended runs join the pick
    `train_compare_runs` while it has room; with none, it opens on the two newest saved runs."""
    from lenet.figures.charts import Curve

    found = {f"run:{run.id}": curves_of(run, f"{k}. {run.name}") for k, run in enumerate(runs, 1)}
    mine = {run.checkpoint for run in runs}
    for info in saved_runs():
        if str(info.path) in mine:
            continue
        rows = [row for row in info.metrics["history"] if isinstance(row, dict)]
        epochs = [float(row.get("epoch", 0)) for row in rows]
        label = checkpoint_label(info)
        found[str(info.path)] = (
            Curve(label, epochs, [float(row.get("train_loss", 0)) for row in rows]),
            Curve(label, epochs, [float(row.get("test_acc", 0)) for row in rows]),
        )
    picked = [key for key in st.session_state.get("train_compare_runs", []) if key in found]
    seen = st.session_state.setdefault("train_compare_seen", set())
    fresh = [key for key in found if key.startswith("run:") and key not in seen]
    if "train_compare_runs" not in st.session_state and not fresh:
        fresh = [key for key in found if not key.startswith("run:")][:2]
    picked += [key for key in fresh if key not in picked][: max(0, most - len(picked))]
    seen.update(found)
    st.session_state["train_compare_runs"] = picked
    return found


def evaluation(info: checkpoints.CheckpointInfo) -> Evaluation:
    """The checkpoint's results on the pickers' test digits (all of MNIST's when it is there, else the shipped
    sample): one evaluation per checkpoint version, shared by the Evaluate page and the Draw page's mistakes."""
    folder = str(data.data_dir().resolve())
    return _evaluation(str(info.path), info.version, folder, data.picker_digits(folder)[3])


@st.cache_data(show_spinner=False, max_entries=16)
def _evaluation(path: str, version: int, folder: str, full_set: bool) -> Evaluation:
    """`folder` and `full_set` only key the cache: MNIST moved, or appearing in place of the sample, is new."""
    model, info = _load_model(path, version)
    images, labels, indices, _ = data.picker_digits(folder)
    return evaluate_model(model, images, labels, info.num_classes, indices)


def kernel_layers(model) -> list[str]:
    """The blocks whose kernels the Draw page shows: the first two convolutions that slide one pixel at a time
    (LeNet's C1 and C3; a learned stride-2 pooling's 2x2 kernels say little), else the first two of any stride."""
    convs = [
        (name, block[0])
        for name, block in zip(model.names, netspec.parse(model.net).block_layers, strict=True)
        if block[0].kind == "conv"
    ]
    sliding = [name for name, layer in convs if layer.stride == 1]
    return (sliding if len(sliding) >= 2 else [name for name, _ in convs])[:2]


def kernel_pngs(path: str | Path) -> list[tuple[str, bytes, tuple[int, ...]]]:
    """(layer, PNG, weight shape) for C1's and C3's kernels of the checkpoint at `path`. Raises CheckpointError."""
    info = checkpoints.read_info(path)
    return _kernel_pngs(str(info.path), info.version)


@st.cache_data(show_spinner=False, max_entries=16)
def _kernel_pngs(path: str, version: int) -> list[tuple[str, bytes, tuple[int, ...]]]:
    """Once per checkpoint version."""
    model, _ = _load_model(path, version)
    out = []
    for layer in kernel_layers(model):
        weights = model.kernels(layer)
        out.append((layer, markup.png_bytes(mosaics.kernel_mosaic(weights)), weights.shape))
    return out


def shipped_record() -> checkpoints.CheckpointInfo | None:
    """The shipped checkpoint's record (its accuracy and training metrics), or None when it is unreadable.

    Not cached: reading the header is what a cache would need to do to know the version anyway.
    """
    try:
        return checkpoints.read_info(checkpoints.DEFAULT_CHECKPOINT)
    except checkpoints.CheckpointError:
        return None


@st.cache_resource(show_spinner=False)
def registry() -> jobs.Registry:
    """The server's one job registry, shared by every session.

    With `LENET_DATABASE_URL` or `LENET_RAY_ADDRESS` set, its queue is every replica's: run records live in the
    class-mode database (lenet.classmode.runs). When that database cannot be reached the registry keeps a queue
    of this server's own, and the Train page says why.
    """
    from lenet.classmode.store import ClassError

    config = settings.current()
    if not (config.database_url or config.ray_address):
        return jobs.Registry()
    try:
        from lenet.classmode.runs import RunStore

        store = RunStore(_class_store(config.database_url, str(config.state_dir), config.class_ttl_hours))
    except ClassError as exc:
        registry = jobs.Registry()
        registry.backend_problem = registry.backend_problem or exc
        return registry
    return jobs.Registry(store=store)


@st.cache_resource(show_spinner=False)
def example_digits():
    """MNIST's first test image of each digit (or a drawn 7), loaded once per server: ops.example_digits."""
    return ops.example_digits()


@st.cache_resource(show_spinner=False)
def freeze_startup_heap() -> None:
    """Exempt everything alive after the first full run (modules, torch, plotly, ...) from garbage collection.

    Streamlit runs a full `gc.collect(2)` after every script run. With torch loaded that walks
    hundreds of thousands of objects on every stroke of the Draw page, holding the GIL while the answer
    waits to be sent (bench/draw_latency.py measures the update). Frozen objects are skipped. Once per
    process: a later freeze would also keep that run's garbage forever.
    """
    gc.collect()
    gc.freeze()


GIL_SWITCH_S = 0.001  # the server's interpreter switch interval (Python's default is 5 ms)


@st.cache_resource(show_spinner=False)
def shorten_switch_interval() -> None:
    """Hand the interpreter lock over sooner, once per server process (app.py calls it on every run).

    Every session's runs share one interpreter lock with the event loop, and each message a run sends wakes the
    loop through a socket: the thread that did so waits for the lock again, up to the switch interval, many times
    per run (the Draw page sends about 40 messages a stroke). With 30 students that waiting was most of Send's
    latency (bench/class_load.py: ack median 0.95 s -> 0.34 s, back to back); 1 ms costs a few more switches.
    """
    sys.setswitchinterval(GIL_SWITCH_S)


@st.cache_resource(show_spinner=False)
def device_name() -> str:
    """The human name of the device "auto" trains on."""
    return describe_device(pick_device("auto"))


def mnist_missing_ui(key: str) -> None:
    """Say where MNIST belongs and how to get it, with a download button and a progress bar."""
    st.subheader(tr("train.data_title"))
    st.warning(tr("error.data_missing", folder=str(data.data_dir())))
    if st.button(tr("train.data_download"), key=key, type="primary"):
        bar = st.progress(0.0, text=tr("train.data_downloading"))
        try:
            data.fetch(progress=lambda fraction, _message: bar.progress(fraction, text=tr("train.data_downloading")))
        except data.DataError as exc:
            st.error(tr_error(exc))
            return
        st.toast(tr("train.data_done"))  # a toast survives the rerun that follows
        st.rerun()


def plain(text: str) -> str:
    """Text for a markdown element (st.error, a radio's options, ...) that shows exactly as written.

    Every ASCII punctuation character is backslash-escaped (CommonMark allows it for all of them), so links,
    images, emphasis or HTML that someone typed appear as the characters they typed.
    """
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", str(text))


def train_owner() -> str:
    """This session's owner id for training runs: its runs can be stopped only from here, one at a time."""
    if "train_owner" not in st.session_state:
        st.session_state["train_owner"] = uuid.uuid4().hex
    return st.session_state["train_owner"]


def session_key() -> str:
    """This browser session's random id: the class store rate-limits wrong join codes per session with it."""
    if "_session_key" not in st.session_state:
        st.session_state["_session_key"] = uuid.uuid4().hex
    return st.session_state["_session_key"]


@st.cache_resource(show_spinner=False, max_entries=4)
def _class_store(url: str | None, state_dir: str, ttl_hours: float):
    """One class store per server and settings: every session shares its connection pool."""
    from lenet.classmode.store import Store  # SQLAlchemy and Alembic load only when a class page opens

    return Store.open(url, Path(state_dir), ttl_hours)


def class_store():
    """The server's class-mode store (lenet.classmode.store.Store), or None after saying why there is none.

    Expired classes are swept from here now and then (Store.cleanup_if_due), so a server that nobody restarts
    still deletes a class's digits and nicknames once its time is up.
    """
    from lenet.classmode.store import ClassError

    config = settings.current()
    try:
        store = _class_store(config.database_url, str(config.state_dir), config.class_ttl_hours)
        store.cleanup_if_due()
    except ClassError as exc:  # the database is unreachable: a sentence, and the page tries again on its next run
        st.error(plain(tr_error(exc)))
        return None
    return store


@functools.lru_cache(maxsize=4096)
def class_digit_figure(image: bytes, caption: str, alt: str, wrong: bool) -> str:
    """A digit on the class wall (lenet.figures.wall.digit_figure of the 28 x 28 image's bytes), made once: the
    wall shows the same digits again every second, and each is a PNG to encode."""
    import numpy as np

    from lenet.figures import wall

    return wall.digit_figure(np.frombuffer(image, np.uint8).reshape(28, 28), caption, alt, wrong=wrong)


CLASS_BANNER_REFRESH_S = 2.0  # a student on another page sees the teacher's prompt or link within this


def class_banner() -> None:
    """On every page but the Class page, a student in a class sees what the teacher pushes: the prompt and
    the "Follow me" link, refreshed every CLASS_BANNER_REFRESH_S (container `class_banner`)."""
    if st.session_state.get("class_member") is not None:
        _class_banner()


@st.fragment(run_every=CLASS_BANNER_REFRESH_S)
def _class_banner() -> None:
    from lenet.classmode.store import ClassError

    member = st.session_state.get("class_member")
    store = class_store() if member is not None else None
    if store is None:
        return
    try:
        info, _question = store.live_view(member.class_id)  # one read per class and second, for every student
    except ClassError:
        return  # away for a moment, or the class is over: the Class page says which
    if not info.prompt and not info.pushed_link:
        return
    with st.container(key="class_banner", border=True):
        if info.prompt:
            st.markdown(f"**{plain(tr('class.prompt.shown'))}:** {plain(info.prompt)}")
        if info.pushed_link:
            label = f"{tr('class.follow.go')}: {plain(info.pushed_link)}"
            st.link_button(label, info.pushed_link, icon=":material/open_in_new:")


# --- every device a class has: the shell's CSS and script, the projector view (the one home of its CSS) ---

# On every page. Captions: Streamlit's faded grey fell under WCAG AA's 4.5:1 (axe's color-contrast, on every
# page); the theme's own text colour, softened a little, passes in the light and the dark theme alike. A slider's
# value: the primary colour on the dark theme's background was 3.3:1.
# Buttons: a narrow column wraps a label instead of cutting it to "Cl…". Phones: a compact title.
SHELL_CSS = """
<style>
  [data-testid="stCaptionContainer"] { color: inherit !important; opacity: 0.8; }
  [data-testid="stSliderThumbValue"] { color: inherit !important; }
  .lenet-h2, .lenet-h3, .lenet-h4 { font-weight: 600; line-height: 1.2; margin: 0; scroll-margin-top: 3.75rem; }
  .lenet-h2 { font-size: 2.25rem; padding: 1rem 0; letter-spacing: -0.005em; }
  .lenet-h3 { font-size: 1.75rem; padding: 0.5rem 0 1rem; }
  .lenet-h4 { font-size: 1.5rem; padding: 0.5rem 0 1rem; }
  .lenet-caption { font-size: 0.875rem; opacity: 0.8; margin: 0 0 0.5rem; }
  .lenet-text { margin: 0 0 1rem; }
  /* Long sections that every stroke redraws: off screen, the browser skips their layout and paint until they
     scroll near (the Draw page's layers and a traced cell's sums); `auto` keeps their last size for the scrollbar. */
  .lenet-lazy { content-visibility: auto; contain-intrinsic-size: auto 900px; }
  hr.lenet-rule { margin: 2rem 0; border: none; border-bottom: 1px solid rgba(128, 128, 128, 0.3); }
  [data-testid="stMain"] button p { white-space: normal !important; overflow: visible !important;
    text-overflow: clip !important; }
  /* A short screen (a tablet held sideways, a school laptop at 1366x768): a compact header, so that the Draw
     page's canvas and its Clear and Undo fit on the first screen (tests/test_browser_devices.py). */
  @media (max-height: 900px) and (min-width: 641px) {
    .stMainBlockContainer { padding-top: 4rem !important; }
    .stMainBlockContainer h1 { font-size: 2.1rem !important; padding: 0.25rem 0 0.5rem !important; }
  }
  @media (max-width: 640px) {
    .stMainBlockContainer { padding-top: 3.9rem !important; }
    .stMainBlockContainer h1 { font-size: 1.5rem !important; padding: 0.2rem 0 !important; }
    .lenet-h2 { font-size: 1.6rem; }
    .lenet-h3 { font-size: 1.35rem; }
  }
</style>
"""

# The projector view (?view=projector, or the sidebar's toggle): no sidebar, the pages' links along the top,
# larger type and pictures, readable from the back of a room at 1280x720. The class page's wall has its own
# large type (pages/class.py) and looks the same in both views.
PROJECTOR_CSS = """
<style>
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"]
    { display: none !important; }
  html { font-size: 20px; }
  .stMainBlockContainer { max-width: none !important; padding: 3.6rem 2rem 4rem !important; }
  .st-key-projector_exit { position: fixed; top: 0.45rem; right: 4rem; z-index: 1000001; width: auto !important; }
  [data-testid="stMain"] img { zoom: 1.3; }
</style>
"""

# Keyboard users can reach every scrollable region (a wide formula; axe's scrollable-region-focusable), and a
# tablet (768-1024 px wide) opens with the sidebar closed the first time in a tab, leaving the page its width
# (Streamlit closes it by itself only up to 768 px). The sidebar's button opens it again.
SHELL_SCRIPT = """
<script>
(() => {
  const focusable = () => {
    for (const el of document.querySelectorAll(".katex-display")) {
      if (!el.hasAttribute("tabindex")) el.setAttribute("tabindex", "0");
    }
  };
  focusable();
  if (!window.__lenetShellObserver) {
    window.__lenetShellObserver = new MutationObserver(focusable);
    window.__lenetShellObserver.observe(document.body, {childList: true, subtree: true});
  }
  if (window.innerWidth <= 1024 && !sessionStorage.getItem("lenet-sidebar-auto")) {
    sessionStorage.setItem("lenet-sidebar-auto", "1");
    const collapse = (tries) => {
      const bar = document.querySelector('[data-testid="stSidebar"]');
      const button = bar && bar.querySelector('[data-testid="stSidebarCollapseButton"] button, '
        + 'button[data-testid="stBaseButton-headerNoPadding"]');
      if (button && bar.getAttribute("data-collapsed") === "false") button.click();
      else if (tries < 50) setTimeout(() => collapse(tries + 1), 100);
    };
    collapse(0);
  }
})();
</script>
"""


def projector() -> bool:
    """Whether this session shows the projector view (the sidebar's toggle `projector`, or ?view=projector)."""
    return bool(st.session_state.get("projector"))


def sync_view_param() -> None:
    """The projector toggle's on_change: the address bar says ?view=projector while it is on (a link to share)."""
    if st.session_state.get("projector"):
        st.query_params["view"] = "projector"
    elif "view" in st.query_params:
        del st.query_params["view"]


def leave_projector() -> None:
    st.session_state["projector"] = False
    sync_view_param()


def shell_chrome() -> None:
    """The shell's CSS and script on every page; in the projector view its CSS and a button to leave it."""
    st.html(SHELL_CSS)
    st.html(SHELL_SCRIPT, unsafe_allow_javascript=True)
    if projector():
        st.html(PROJECTOR_CSS)
        st.button(
            tr("projector.exit"), key="projector_exit", icon=":material/close_fullscreen:", on_click=leave_projector
        )
