"""The Draw page's glue, as class_lesson.py is the class lesson's: its session state, its callbacks and what it
computes before anything is laid out, so that pages/draw.py keeps the layout only (its *_ui() functions and the
fragment).

Session state (docs/ARCHITECTURE.md §4.2, §4.3): `draw_canvas_nonce` and `draw_canvas_objects` are the drawing
the canvas loads (Clear, Undo); `draw_canvas_away` says the canvas was unmounted (another source); `draw_sample`
and `draw_open_digit` are hand-overs from the Evaluate and Class pages; `trace` is the cell explained, set by a
click on a layer's picture (`on_pick`), the keyboard's fields (`on_keys_pick`) or the overview.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import streamlit as st

import surface
import ui
from lenet import checkpoints
from lenet.data import picker_digits
from lenet.figures import draw_view as draw_figures
from lenet.figures import trace as trace_figures
from lenet.figures import trace_html
from lenet.figures.draw_view import DrawView, draw_view
from lenet.images import load_image
from lenet.preprocess import Preprocessed, preprocess
from lenet.trace import Cell, parse_cell, shapes

KEYS_PICK = ("trace_keys_channel", "trace_keys_row", "trace_keys_col")  # the keyboard's way to pick a cell


def init_state() -> None:
    """Defaults, and the Evaluate page's hand-over of an MNIST test digit."""
    # Only state that is not a widget's: Streamlit forgets a widget's value while it is not shown
    # (the brush while an upload is shown), and fragment reruns do not come through here.
    defaults = {"draw_canvas_nonce": 0, "draw_canvas_objects": []}
    for key, value in defaults.items():
        if key not in st.session_state:
            st.session_state[key] = value
    sample = st.session_state.pop("draw_sample", None)
    if sample is not None:
        st.session_state["draw_source"] = "mnist"
        st.session_state["draw_mnist_index"] = int(sample)
    opened = st.session_state.pop("draw_open_digit", None)
    if opened is not None:  # a digit from the class wall: shown as an upload that is already the input
        st.session_state["draw_source"] = "upload"
        st.session_state["draw_opened"] = opened


# --- the canvas -------------------------------------------------------------------------------------------


def reset_canvas(objects: list) -> None:
    """Load `objects` (strokes) into the canvas (clear: none; undo: all but the last stroke).

    The canvas's value names the nonce of the drawing it had loaded: until it sends one with the new nonce
    (an undo's remaining strokes, read again), the page reads its own `objects` instead.
    """
    st.session_state["draw_canvas_objects"] = objects
    st.session_state["draw_canvas_nonce"] += 1


def canvas_value() -> tuple[np.ndarray | None, float, list, np.ndarray | None]:
    """The drawing as RGBA (None if blank), perf_counter() from before it was decoded, its strokes, and the
    browser's 28x28 when it read one: read from the canvas's state before anything is drawn, so the whole update
    goes to the browser in one burst."""
    drawing = surface.read_drawing(st.session_state.get("canvas"))
    started = time.perf_counter()
    injected = st.session_state.get("draw_injected_rgba")
    if injected is not None:
        return np.asarray(injected), started, drawing.strokes, None
    objects = st.session_state["draw_canvas_objects"]
    if drawing.nonce != st.session_state["draw_canvas_nonce"]:
        # From before the last Clear or Undo: cleared reads blank; an undo shows the old picture until the
        # canvas sends what is left.
        return (drawing.rgba if objects else None), started, objects, None
    return drawing.rgba, started, drawing.strokes, drawing.image


def canvas_shown(shown: bool) -> None:
    """Say whether the canvas is mounted. Unmounted (another source), it will come back empty, so neither an
    undo's leftovers nor its last value may come back with it: a new nonce, once."""
    if shown:
        st.session_state["draw_canvas_away"] = False
    elif not st.session_state.get("draw_canvas_away"):
        st.session_state["draw_canvas_away"] = True
        reset_canvas([])


# --- the other sources ----------------------------------------------------------------------------------


def read_upload(data: bytes) -> tuple[Preprocessed | None, str | None]:
    """Decode and preprocess an uploaded file.

    Args:
        data: the file's bytes.
    Returns:
        (the preprocessed image, None), or (None, a message for the user) when it cannot be read.
    """
    try:
        return preprocess(load_image(data)), None
    # Image decoders fail on hostile bytes in more ways than ImageError covers (PIL plugins raise
    # what they like); whatever happens, the student gets a sentence, not a traceback.
    except Exception as exc:
        return None, ui.tr_error(exc, fallback="draw.upload.failed")


def pick_random(indices: np.ndarray) -> None:
    """Show a random test digit."""
    st.session_state["draw_mnist_index"] = int(np.random.default_rng().choice(indices))


def pick_wrong(path: str) -> None:
    """Show a random test digit the model reads wrongly, and say how many there are."""
    try:
        wrong = ui.evaluation(checkpoints.read_info(path)).wrong_index
    except checkpoints.CheckpointError:
        return  # deleted meanwhile: the sidebar already says so
    st.session_state["draw_mnist_note"] = (len(wrong), len(picker_digits()[2]))
    if len(wrong):
        st.session_state["draw_mnist_index"] = int(np.random.default_rng().choice(wrong))


def kernels_html(path: str) -> str:
    """The learned filters of C1 and C3 under the section's title, one HTML block (draw_figures.kernels_html)."""
    try:
        pictures = ui.kernel_pngs(path)
    except checkpoints.CheckpointError:
        pictures = None  # deleted meanwhile: the sidebar already says so
    return draw_figures.kernels_html(pictures, ui.lang())


# --- tracing one number: the session-state key `trace` selects a cell, a click on a layer's picture sets it ---


def on_pick(layer: str, layout: trace_figures.PickLayout, unit: bool) -> None:
    """A click on a layer's picture selects the cell under it; a gutter, a blank tile or the margin selects nothing."""
    click = st.session_state.get(trace_html.pick_key(layer))
    try:
        hit = trace_figures.cell_at(
            layout, float(click["x"]), float(click["y"]), float(click["width"]), float(click["height"])
        )
    except (KeyError, TypeError, ValueError):
        return  # no click (a cleared value) or one from another version of the component
    if hit is not None:
        st.session_state["trace"] = Cell(layer, *hit).as_key(unit)
        for key, value in zip(KEYS_PICK, hit, strict=True):
            st.session_state[key] = value  # the keyboard's fields show the cell a click picked


def trace_layer_changed() -> None:
    """Unpicking the layer switches tracing off and forgets the pick, or the next run would pick it again."""
    if st.session_state.get("trace_layer") is None:
        st.session_state.pop("trace", None)


def trace_layer_state(names: list[str]) -> str | None:
    """The layer whose picture to show, before its pills are drawn (the page computes first, then draws): None
    while none is picked, so tracing is off and strokes pay nothing for it.

    A pick made elsewhere (a test's or the keyboard's `trace` key) shows its own layer, once: after that the
    student may look at another layer's picture while the pick stays explained."""
    picked = st.session_state.get("trace")
    if picked is not None and not (isinstance(picked, dict) and picked.get("layer") in names):
        del st.session_state["trace"]  # nonsense, or a layer this model lacks: dropped quietly
    elif picked != st.session_state.get("trace_seen"):
        st.session_state["trace_seen"] = dict(picked) if picked is not None else None  # a copy: edits show
        if picked is not None:
            st.session_state["trace_layer"] = picked["layer"]
    if st.session_state.get("trace_layer") not in (None, *names):
        st.session_state["trace_layer"] = None  # a layer this model does not have: quietly off
    return st.session_state.get("trace_layer")


class EncodedPNG:
    """A PNG encoded already, for streamlit_image_coordinates, which takes any object with a `save` method: it
    then only writes these bytes instead of encoding the picture again."""

    def __init__(self, png: bytes):
        self.png = png

    def save(self, buffer, **_options) -> None:
        buffer.write(self.png)


def on_keys_pick(layer: str) -> None:
    """The keyboard's fields' cell becomes `trace`."""
    values = [st.session_state.get(key) for key in KEYS_PICK]
    st.session_state["trace"] = {"layer": layer, **dict(zip(("channel", "row", "col"), values, strict=True))}


def keys_pick_limits(shape: tuple[int, ...], selected: Cell | None) -> tuple[int, ...]:
    """The keyboard's fields for a layer of `shape`: their upper limits (channel, row, col; a unit alone for a
    flat layer), each field's value brought into its range first (another layer: its own range, never an error)."""
    spatial = len(shape) == 3 and shape[1] * shape[2] > 1
    limits = (shape[0], shape[1], shape[2]) if spatial else (shape[0],)
    current = (selected.channel, selected.row, selected.col) if selected else (0, 0, 0)
    for key, limit, value in zip(KEYS_PICK, limits, current, strict=False):
        if not 0 <= (st.session_state.get(key) or 0) < limit:
            st.session_state[key] = min(value, limit - 1)
    if not spatial:
        st.session_state["trace_keys_row"] = st.session_state["trace_keys_col"] = 0
    return limits


def selected_cell(view: DrawView) -> Cell | None:
    """The cell the session-state key `trace` names, if this model and input have it; a stale one is dropped."""
    raw = st.session_state.get("trace")
    if raw is None or view.insp is None:
        return None  # nothing to read: no trace, but the selection waits for the next digit
    cell = parse_cell(raw, shapes(view.insp.activations))
    if cell is None:
        del st.session_state["trace"]  # another model, or nonsense: dropped quietly
    return cell


# --- everything below the input, computed before any of it is drawn ---------------------------------------


@dataclass(frozen=True)
class Computed:
    """Everything below the input, computed before any of it is drawn."""

    view: DrawView
    network: str = ""
    activations: dict | None = None
    picture: trace_html.PickPicture | None = None
    explained: trace_html.Explained | None = None


def compute(prep, model, cmap: str, label, started, canvas: bool, maps: bool = True) -> Computed:
    """The view and what lies below the input: pure functions of the input and the session state, so the
    browser gets the whole update in one burst and lays it out once (docs/ARCHITECTURE.md §6). The view is kept
    while the input stays the same (a click on a cell): nothing above the trace changes, so nothing is re-sent.
    `maps` False: the browser's overview painted every layer's maps from its own reading, so the server draws
    none (draw_view's `maps`)."""
    key = (model, cmap, label, canvas, maps, draw_figures.input_digest(prep))
    view = ui.session_memo(
        "draw_view", key, lambda: draw_view(prep, model, cmap, label, started, canvas=canvas, maps=maps)
    )
    if model is None:
        return Computed(view)
    # Blank, the picture is there too (all dark): a Clear does not remount it, and a pick can come first.
    activations = view.insp.activations if view.insp is not None else ui.blank_activations(model)
    layer = trace_layer_state(list(activations))
    return Computed(
        view,
        draw_figures.network_html(view, model, cmap, ui.lang()) + trace_html.trace_intro_html(ui.lang()),
        activations,
        trace_html.pick_picture(layer, activations, cmap, st.session_state.get("trace")) if layer is not None else None,
        trace_html.explain_cell(view, selected_cell(view), model, cmap, ui.lang()) if layer is not None else None,
    )
