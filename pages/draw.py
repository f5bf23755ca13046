"""Draw & explore: draw (or upload, or pick) a digit and watch LeNet-5 read it, layer by layer.

The drawing and everything computed from it live in one `st.fragment`, so a stroke reruns only
that part; the kernels, which depend only on the model, are drawn once outside it from a cache.

The canvas is the app's own drawing surface (surface.py): it reads the drawing live in the browser while the
pen moves and sends the strokes, the picture and its 28x28 when a stroke ends. AppTest cannot drive it, so two
session-state keys stand in for it: `draw_injected_rgba` (an RGBA array, read instead of the canvas) and
`draw_injected_upload` (a file's bytes, read instead of the uploader; `draw_injected_camera`: a photo's bytes,
read instead of the camera). The Evaluate page opens an MNIST test digit here
by setting `draw_sample` to its index in the test set.

Below the layers, a click or a tap on a layer's picture sets `trace` ({"layer", "channel", "row", "col"}), and
the `trace` container explains that number (lenet.trace); tests set the key directly, as a click would.
"""

from __future__ import annotations

import functools
import hashlib
import html
import re
import time
from dataclasses import dataclass

import numpy as np
import streamlit as st
from streamlit_image_coordinates import streamlit_image_coordinates

import surface
import ui
from lenet import checkpoints, netspec, sandbox
from lenet.data import normalise, picker_digits
from lenet.explain import Inspection
from lenet.figures import markup, mosaics, theme
from lenet.figures import trace as trace_figures
from lenet.figures.draw_view import DrawView, draw_view, png_size
from lenet.i18n import STRINGS
from lenet.images import load_image
from lenet.preprocess import Preprocessed, canvas_to_input, preprocess
from lenet.trace import Cell, Trace, geometry, parse_cell, shapes, trace

ui.ensure_shell()

CANVAS = 280  # px; MNIST's 28 px times ten, so a finger or a mouse has room
BRUSH = (6, 40, 18)  # min, max, default px: the default gives MNIST-like strokes after scaling
SOURCES = {
    "draw": ":material/draw:",
    "upload": ":material/upload_file:",
    "camera": ":material/photo_camera:",
    "mnist": ":material/dataset:",
}
STEP_PX = 160  # the box each preprocessing step is shown in
SCALE = 4  # screen px per activation px: one scale for every map, so pooling visibly halves them
UNSURE = 0.5  # below this top probability the answer is called a guess
FAIRLY = 0.8  # below this it is "probably"
CLOSE = 0.25  # a runner-up this close to the top is named too

# The top row: input, answer, why. It wraps rather than squeeze the 280 px canvas (a tablet, an open sidebar),
# and on a phone the columns dissolve into one list ordered input, answer, why: the answer and a short
# probability strip right under the canvas, on one screen with it.
_ROW = (
    ':is(.st-key-draw_top > [data-testid="stHorizontalBlock"], '
    '.st-key-draw_top > [data-testid="stLayoutWrapper"] > [data-testid="stHorizontalBlock"])'
)
_PAGE_CSS = f"""
<style>
  {trace_figures.GRID_CSS}
  .draw-digit {{ font-size: 8rem; font-weight: 700; line-height: 1; color: {theme.PRIMARY}; text-align: center; }}
  .draw-digit.draw-none {{ color: inherit; opacity: 0.6; }}
  .draw-verdict {{ font-size: 1.4rem; text-align: center; }}
  .draw-verdict.draw-none {{ font-size: 1.1rem; opacity: 0.85; }}
  .st-key-sandbox {{ border-top: 1px solid rgba(128, 128, 128, 0.3); padding-top: 2rem; margin-top: 1rem; }}
  {_ROW} {{ flex-wrap: wrap; }}
  {_ROW} > [data-testid="stColumn"]:nth-child(1) {{ flex: 1.3 1 300px !important; min-width: 300px !important; }}
  {_ROW} > [data-testid="stColumn"]:nth-child(2) {{ flex: 1.2 1 230px !important; min-width: 230px !important; }}
  {_ROW} > [data-testid="stColumn"]:nth-child(3) {{ flex: 0.8 1 200px !important; min-width: 200px !important; }}
  .st-key-draw_top {{ container-type: inline-size; }}
  @container (max-width: 560px) {{
    {_ROW} {{ flex-direction: column; flex-wrap: nowrap; gap: 0.6rem; }}
    {_ROW} > [data-testid="stColumn"], {_ROW} > [data-testid="stColumn"] > [data-testid="stVerticalBlock"]
      {{ display: contents; }}
    {_ROW} [data-testid="stLayoutWrapper"]:has(> .st-key-draw_answer) {{ order: 1; }}
    {_ROW} [data-testid="stLayoutWrapper"]:has(> .st-key-draw_why) {{ order: 2; }}
    {_ROW} .st-key-draw_buttons {{ flex-wrap: nowrap; }}
  }}
  @media (max-width: 640px) {{
    .st-key-draw_intro p {{ font-size: 0.9rem; margin-bottom: 0; }}
    .st-key-draw_tools [data-testid="stElementContainer"]:has([data-testid="stCaptionContainer"]) {{ display: none; }}
    .st-key-draw_answer {{ gap: 0.3rem; }}
    .st-key-draw_answer h3 {{ font-size: 1rem; padding: 0; }}
    .st-key-prediction {{ flex-direction: row; align-items: center; padding: 0.3rem 0.8rem; }}
    .st-key-prediction > * {{ width: auto !important; flex: 0 1 auto; }}
    .st-key-prediction .draw-digit {{ font-size: 2.6rem; line-height: 1.15; }}
    .st-key-prediction .draw-verdict {{ font-size: 1rem; text-align: left; }}
    .st-key-draw_answer .lenet-bars {{ padding-top: 1rem !important; }}
    .st-key-draw_answer .lenet-bar-area {{ height: 34px !important; }}
    .st-key-draw_answer .lenet-bar-text {{ font-size: 0.62rem !important; }}
    .st-key-draw_answer .lenet-bar-digit {{ font-size: 0.95rem !important; }}
  }}
</style>
"""


def _init_state() -> None:
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


def _reset_canvas(objects: list) -> None:
    """Load `objects` (strokes) into the canvas (clear: none; undo: all but the last stroke).

    The canvas's value names the nonce of the drawing it had loaded: until it sends one with the new nonce
    (an undo's remaining strokes, read again), the page reads its own `objects` instead.
    """
    st.session_state["draw_canvas_objects"] = objects
    st.session_state["draw_canvas_nonce"] += 1


def source_ui() -> str:
    """The input picker; returns "draw", "upload", "camera" or "mnist"."""
    names = ui.option_labels("draw.source.", SOURCES)
    return st.radio(
        ui.tr("draw.source"),
        list(SOURCES),
        key="draw_source",
        horizontal=True,
        format_func=lambda s: f"{SOURCES[s]} {names[s]}",
        label_visibility="collapsed",
    )


def tools_ui() -> str:
    """The input source and, for drawing, the brush with its hint: above the row, outside the fragment, so a
    stroke does not re-send them (a slider and a radio are the costliest elements to redraw). Returns the source."""
    source = source_ui()
    if source == "draw":
        with st.container(key="draw_tools", horizontal=True, vertical_alignment="center", gap="medium"):
            st.slider(ui.tr("draw.brush"), BRUSH[0], BRUSH[1], BRUSH[2], key="draw_brush", width=280)
            st.caption(ui.tr("draw.canvas_help"))
    return source


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


def canvas_ui(drawn: list) -> None:
    """The drawing canvas with its buttons (its value was read by canvas_value)."""
    surface.surface(
        key="canvas",
        nonce=st.session_state["draw_canvas_nonce"],
        strokes=st.session_state["draw_canvas_objects"],
        brush=st.session_state.get("draw_brush", BRUSH[2]),
    )
    buttons = st.container(key="draw_buttons", horizontal=True)
    buttons.button(
        ui.tr("draw.clear"),
        key="draw_clear",
        icon=":material/delete:",
        on_click=_reset_canvas,
        args=([],),
        width="stretch",
    )
    buttons.button(
        ui.tr("draw.undo"),
        key="draw_undo",
        icon=":material/undo:",
        on_click=_reset_canvas,
        args=(drawn[:-1],),
        disabled=not drawn,
        width="stretch",
    )


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


def upload_ui() -> tuple[Preprocessed | None, float]:
    """The uploader; returns the preprocessed upload (or None after saying why there is none), and
    perf_counter() from before it was decoded."""
    uploaded = st.file_uploader(ui.tr("draw.upload"), type=["png", "jpg", "jpeg"], key="draw_upload")
    st.caption(ui.tr("draw.upload.hint"))
    data = st.session_state.get("draw_injected_upload")
    if data is None and uploaded is not None:
        data = uploaded.getvalue()
        st.session_state.pop("draw_opened", None)
    started = time.perf_counter()
    opened = st.session_state.get("draw_opened")
    if data is None and opened is not None:
        st.markdown(ui.tr("draw.opened", caption=ui.plain(opened["caption"])))
        image = np.asarray(opened["image"], dtype=np.uint8)
        return Preprocessed(steps=[("class", image)], image=image, input=normalise(image), empty=False), started
    if data is None:
        st.info(ui.tr("draw.upload.none"))
        return None, started
    prep, error = read_upload(data)
    if error:
        st.error(error, icon=":material/block:")
    return prep, started


def camera_ui() -> tuple[Preprocessed | None, float]:
    """Take a photo of a digit on paper (st.camera_input); read as an upload is, photo steps included.

    Returns the preprocessed photo (or None after saying why there is none), and perf_counter() from
    before it was decoded. Without a camera (absent, or denied) the caption says to upload instead.
    """
    shot = st.camera_input(ui.tr("draw.camera"), key="draw_camera")
    st.caption(ui.tr("draw.camera.hint"))
    data = st.session_state.get("draw_injected_camera")
    if data is None and shot is not None:
        data = shot.getvalue()
    started = time.perf_counter()
    if data is None:
        return None, started
    prep, error = read_upload(data)
    if error:
        st.error(error, icon=":material/block:")
    return prep, started


def _pick_random(indices: np.ndarray) -> None:
    """Show a random test digit."""
    st.session_state["draw_mnist_index"] = int(np.random.default_rng().choice(indices))


def _pick_wrong(path: str) -> None:
    """Show a random test digit the model reads wrongly, and say how many there are."""
    try:
        wrong = ui.evaluation(checkpoints.read_info(path)).wrong_index
    except checkpoints.CheckpointError:
        return  # deleted meanwhile: the sidebar already says so
    st.session_state["draw_mnist_note"] = (len(wrong), len(picker_digits()[2]))
    if len(wrong):
        st.session_state["draw_mnist_index"] = int(np.random.default_rng().choice(wrong))


def mnist_ui(model_path: str | None) -> tuple[Preprocessed, int]:
    """The MNIST test-digit picker; returns the digit as the model's input, and its true label."""
    images, labels, indices, _ = picker_digits()
    left, right = st.columns(2)
    left.button(
        ui.tr("draw.mnist.random"),
        key="draw_mnist_random",
        icon=":material/casino:",
        on_click=_pick_random,
        args=(indices,),
        width="stretch",
    )
    if model_path:
        right.button(
            ui.tr("draw.mnist.wrong"),
            key="draw_mnist_wrong",
            icon=":material/error:",
            on_click=_pick_wrong,
            args=(model_path,),
            width="stretch",
        )
    wanted = st.number_input(
        ui.tr("draw.mnist.index"), min_value=0, max_value=int(indices.max()), step=1, key="draw_mnist_index"
    )
    note = st.session_state.pop("draw_mnist_note", None)
    if note:
        st.caption(
            ui.tr("draw.mnist.wrong_count", n=note[0], total=note[1]) if note[0] else ui.tr("draw.mnist.none_wrong")
        )
    pos = int(np.abs(indices - int(wanted)).argmin())
    if int(indices[pos]) != int(wanted):
        st.caption(ui.tr("draw.mnist.sample_only", n=len(indices)))
    image = images[pos]
    st.markdown(ui.tr("draw.mnist.label", index=int(indices[pos]), label=int(labels[pos])))
    # A test digit is already in MNIST's format: it goes to the network exactly as it is.
    prep = Preprocessed(steps=[("mnist", image)], image=image, input=normalise(image), empty=False)
    return prep, int(labels[pos])


def _scaled(png: bytes, scale: int = SCALE, alt: str = "") -> str:
    """A small PNG as HTML, `scale` screen px per pixel, hard pixel edges."""
    return markup.image_html(png, png_size(png)[1] * scale, alt=alt)


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def prediction_ui(view: DrawView) -> None:
    """The verdict: the digit, large, with honest words about how sure the network is; then all ten bars."""
    st.html(markup.heading(ui.tr("draw.prediction.title"), 3))
    insp = view.insp
    with st.container(key="prediction", border=True):
        if insp is None:
            # Nothing to read: no digit characters at all in this container (tests rely on it).
            # A reason this page has no words for yet still reads as "nothing to read".
            reason = view.reason if f"draw.prediction.{view.reason}" in STRINGS else "blank"
            digit, faded, words = "?", " draw-none", ui.tr(f"draw.prediction.{reason}")
        else:
            digit, faded, words = str(insp.prediction), "", verdict(insp)
        # data-probs: the ten probabilities, which tests compare with the browser's live reading (surface.py)
        probs = "null" if insp is None else "[" + ",".join(f"{p:.6f}" for p in insp.probs) + "]"
        st.markdown(
            f'<div class="draw-digit{faded}" data-probs="{probs}">{digit}</div>'
            f'<div class="draw-verdict{faded}">{_esc(words)}</div>',
            unsafe_allow_html=True,
        )
    if insp is not None and view.label is not None:
        key = "draw.prediction.right" if insp.prediction == view.label else "draw.prediction.wrong"
        (st.success if insp.prediction == view.label else st.warning)(ui.tr(key, label=view.label))
    probs = insp.probs if insp is not None else np.zeros(10)
    close = insp is not None and insp.confidence - insp.runner_up()[1] < CLOSE
    bars = markup.probability_bars(
        probs, insp.prediction if insp else None, runner_up=insp.runner_up()[0] if close else None
    )
    st.html(markup.caption(ui.tr("draw.probs.title")) + bars)


def verdict(insp: Inspection) -> str:
    """How sure the network is, in words: confident, fairly sure, torn between two, or guessing."""
    pct = f"{insp.confidence:.0%}"
    other, other_p = insp.runner_up()
    if insp.confidence - other_p < CLOSE:
        return ui.tr("draw.prediction.close", pct=pct, other=other, other_pct=f"{other_p:.0%}")
    if insp.confidence < UNSURE:
        return ui.tr("draw.prediction.guess", pct=pct)
    if insp.confidence < FAIRLY:
        return ui.tr("draw.prediction.fairly", pct=pct)
    return ui.tr("draw.prediction.sure", pct=pct)


SALIENCY_METHODS = ("gradient", "integrated")


def why_ui(view: DrawView, model) -> None:
    """Which pixels pushed the network towards its answer: gradient x input (computed with the view), or
    integrated gradients (Captum, computed only when chosen), whose credits add up to the score."""
    st.html(markup.heading(ui.tr("draw.why.title"), 3))
    if view.insp is None:
        st.html(markup.caption(ui.tr("draw.why.nothing")))
        return
    labels = ui.option_labels("draw.why.method.", SALIENCY_METHODS)
    shown = st.session_state.get("draw_saliency_method")
    # In a popover named after the method in use: closed, the browser does not redraw the radio with every stroke
    # (a radio is among the costliest elements to redraw; bench/draw_latency.py).
    with st.popover(labels.get(shown, labels[SALIENCY_METHODS[0]]), icon=":material/tune:"):
        method = st.radio(
            ui.tr("draw.why.method"), SALIENCY_METHODS, format_func=labels.get, key="draw_saliency_method"
        )
    if method != "integrated":
        st.html(
            _scaled(view.images["saliency"], 8, alt=ui.tr("draw.why.title")) + markup.caption(ui.tr("draw.why.text"))
        )
        return
    result = sandbox.integrated_gradients(model, view.prep.image, view.insp.prediction)
    overlay = markup.png_bytes(mosaics.saliency_overlay(view.prep.image, result.pixels))
    st.html(_scaled(overlay, 8, alt=ui.tr("draw.why.title")))
    with st.container(key="draw_ig"):
        st.caption(
            ui.tr(
                "draw.why.ig_text",
                digit=view.insp.prediction,
                blank=f"{result.blank_score:.2f}",
                score=f"{result.score:.2f}",
                total=f"{result.pixels.sum():.2f}",
            )
        )


def steps_html(view: DrawView) -> str:
    """The preprocessing steps, left to right (the last one is exactly the network's input), and the time taken,
    as HTML (sent in one block with the layers under it: one element fewer)."""
    intro = markup.heading(ui.tr("draw.steps.title"), 3) + markup.caption(ui.tr("draw.steps.intro"))
    if view.prep is None:
        return intro
    cells = []
    for key, _ in view.prep.steps:
        png = view.images[f"step_{key}"]
        height, width = png_size(png)
        # Every step fits the same box; the small ones are scaled up with crisp pixels.
        shown = max(1, round(STEP_PX * width / max(height, width)))
        caption = ui.tr(f"draw.step.{key}")
        image = markup.image_html(png, shown, pixelated=max(height, width) <= 28, alt=caption)
        cells.append(
            f'<figure style="margin:0;width:{STEP_PX + 10}px">{image}<figcaption style="font-size:0.9rem;'
            f'opacity:.85;margin-top:0.3rem">{_esc(caption)}</figcaption></figure>'
        )
    arrow = '<div style="font-size:2rem;opacity:.6;align-self:center" aria-hidden="true">→</div>'
    row = f'<div style="display:flex;gap:1rem;flex-wrap:wrap;align-items:flex-start">{arrow.join(cells)}</div>'
    timing = markup.caption(ui.tr("draw.timing", ms=view.compute_ms))
    return f'{intro}{row}<div style="margin-top:0.6rem">{timing}</div>'


ACTIVATION_NAMES = {"relu": "ReLU", "tanh": "tanh", "sigmoid": "sigmoid", "gelu": "GELU"}


def _layer_text(name: str, act: np.ndarray, prev: np.ndarray | None, block: tuple) -> tuple[str, str]:
    """The title and the explanation of one block, from its layers in the network's list (any network)."""
    if name == "input":
        return ui.tr("draw.net.input"), ui.tr("draw.net.input.text", h=act.shape[1], w=act.shape[2])
    if name == "output":
        return ui.tr("draw.net.title.output"), ui.tr("draw.net.output.text")
    first = block[0]
    activation = next((layer.kind for layer in block if layer.kind in ACTIVATION_NAMES), None)
    act_name = ACTIVATION_NAMES.get(activation, "")
    act_sentence = " " + ui.tr(f"draw.net.act.{activation}") if activation else ""
    bare = "" if activation else ".bare"  # a block without an activation: its title names none
    if first.kind in ("maxpool", "avgpool"):
        pool = first.kind[:3]
        text = ui.tr(f"draw.net.pool.{pool}.text", p=first.kernel)
        if name == "S4":
            text += " " + ui.tr("draw.net.S4.text")
        return ui.tr(f"draw.net.title.pool.{pool}", name=name), text + act_sentence
    if first.kind == "fc":
        text = ui.tr("draw.net.F6.text", c=act.size, m=prev.size)
        return ui.tr(f"draw.net.title.fc{bare}", name=name, act=act_name), text + act_sentence
    if first.kind != "conv":  # a leading activation, bn or dropout: a block of its own
        return ui.tr("draw.net.title.other", name=name, layers=", ".join(str(layer) for layer in block)), ""
    if first.stride > 1 and name in ("S2", "S4"):  # LeNet's learned pooling (pool "none", allconv)
        return ui.tr("draw.net.title.pool.none", name=name, act=act_name), ui.tr(
            "draw.net.pool.none.text", p=first.stride
        )
    title = ui.tr(f"draw.net.title.conv{bare}", name=name, act=act_name)
    channels = act.shape[0]
    if prev is not None and prev.shape[0] == 1 and prev.ndim == 3:  # reads the picture itself
        text = ui.tr("draw.net.C1.text", c=channels, k=first.kernel)
    elif act.ndim == 3 and act.shape[1] * act.shape[2] == 1:
        text = ui.tr("draw.net.C5.text", c=channels, n=prev.size)
    else:
        text = ui.tr("draw.net.C3.text", c=channels, m=prev.shape[0])
    return title, text + act_sentence


def _section_head(title: str) -> str:
    """A section's rule and title inside an HTML block (st.divider and st.header would be two elements more)."""
    return '<hr class="lenet-rule">' + markup.heading(title, 2)


def network_html(view: DrawView, model, cmap: str) -> str:
    """Every layer's output for this input, each with its shape and a sentence or two, as one HTML grid under
    a rule and the section's title."""
    head = _section_head(ui.tr("draw.net.title"))
    if view.insp is None:
        return head + markup.caption(ui.tr("draw.why.nothing"), "lenet-text")
    intro = markup.caption(ui.tr("draw.net.intro") + " " + ui.tr("draw.net.colours", cmap=cmap))
    rows = [("input", view.prep.image[None]), *view.insp.activations.items()]
    blocks = dict(zip(model.names, netspec.parse(model.net).block_layers, strict=True))
    cells, prev = [], None
    for name, act in rows:
        title, text = _layer_text(name, act, prev, blocks.get(name, ()))
        shape = ui.tr("draw.net.shape", shape=" × ".join(str(n) for n in act.shape))
        picture = markup.score_bars(act) if name == "output" else _scaled(view.images[name], alt=title)
        cells.append(
            f'<div><div style="font-weight:600;font-size:1.05rem">{_esc(title)} '
            f'<span style="font-weight:400;opacity:.8">· {_esc(shape)}</span></div>'
            f'<div style="opacity:.85;font-size:0.92rem;margin-top:0.2rem">{_esc(text)}</div></div>'
            f'<div style="max-width:720px">{picture}</div>'
        )
        prev = act
    return (
        head
        + intro
        + (
            '<div class="lenet-lazy" style="display:grid;grid-template-columns:minmax(240px,2fr) 3fr;gap:1.6rem 2.5rem;'
            f'align-items:center">{"".join(cells)}</div>'
        )
    )


def kernels_html(path: str) -> str:
    """The learned filters of C1 and C3, as signed mosaics, under a rule and the section's title: one HTML block.

    Every element on the page costs the browser on every stroke, even outside the stroke's fragment (each one
    re-renders when a run starts and ends: docs/ARCHITECTURE.md §6), so this section that never changes while
    the student draws is one element, not eight."""
    head = _section_head(ui.tr("draw.kernels.title")) + markup.caption(ui.tr("draw.kernels.intro"))
    try:
        pictures = ui.kernel_pngs(path)
    except checkpoints.CheckpointError:
        return head  # deleted meanwhile: the sidebar already says so
    parts = [head]
    for i, (layer, png, shape) in enumerate(pictures):
        out_c, in_c, k, _ = shape
        caption = ui.tr("draw.kernels.deeper" if i else "draw.kernels.first", name=layer, c=out_c, m=in_c, k=k)
        # the first layer's few kernels shown larger than the next one's many, so both are readable and fit
        parts.append(markup.caption(caption, "lenet-text") + _scaled(png, 8 if i else 16, alt=caption))
    return "".join(parts)


# --- tracing one number: the session-state key `trace` selects a cell, a click on a layer's picture sets it ---

PICK_KEY = "trace_pick"  # + "_" + the layer: the clickable picture's value, the last click's x, y and its size


def _pick_key(layer: str) -> str:
    """One picture (and key) per layer, so that each has its own widest size (pick_css)."""
    return f"{PICK_KEY}_{re.sub(r'[^A-Za-z0-9_-]', '_', layer)}"


def pick_css(model) -> str:
    """Each layer's clickable picture is drawn as wide as its column allows, and at most its own width: on a
    desktop exactly its pixels, on a phone shrunk to the screen's width (never cut off at the right)."""
    rules = [
        f".st-key-{_pick_key(name)} {{ max-width: {trace_figures.pick_layout(act.shape).size[1]}px; }}"
        for name, act in ui.blank_activations(model).items()
    ]
    return "<style>" + "".join(rules) + "</style>"


SHOWN_CHANNELS = 3  # input maps of C3/C5 shown as grids; every map's sum is in the table
FIELD_PX = 140  # about how wide each receptive-field picture is drawn
PLAYER_SIDE = 10  # the player steps over at most this many rows and columns of the map, around the picked cell


def _num(x: float, decimals: int = 4) -> str:
    return f"{x:.{decimals}f}"


def _layer_label(name: str) -> str:
    return ui.tr("trace.input") if name == "input" else name


def _cell_name(cell: Cell, unit: bool) -> str:
    """The cell in words: a unit of a vector (`unit`: a fully connected block's), or a map's row and column."""
    if cell.layer == "output":
        return ui.tr("trace.cell.output", channel=cell.channel)
    if not unit:
        return ui.tr("trace.cell.map", layer=cell.layer, channel=cell.channel, row=cell.row, col=cell.col)
    return ui.tr("trace.cell.unit", layer=cell.layer, channel=cell.channel)


def _on_pick(layer: str, layout: trace_figures.PickLayout, unit: bool) -> None:
    """A click on a layer's picture selects the cell under it; a gutter, a blank tile or the margin selects nothing."""
    click = st.session_state.get(_pick_key(layer))
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


def _trace_layer_changed() -> None:
    """Unpicking the layer switches tracing off and forgets the pick, or the next run would pick it again."""
    if st.session_state.get("trace_layer") is None:
        st.session_state.pop("trace", None)


def trace_intro_html() -> str:
    """The tracing section's rule, title and introduction (sent with the layers' block: one element fewer)."""
    intro = markup.caption(ui.tr("trace.intro") + " " + ui.tr("trace.pick_help"))
    return _section_head(ui.tr("trace.title")) + intro


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


def trace_layer_ui(names: list[str]) -> None:
    """The layer to trace a number from, as pills (one widget instead of a switch and a radio: docs/ARCHITECTURE.md
    §6); picking the picked one again switches tracing off."""
    st.pills(ui.tr("trace.layer"), names, key="trace_layer", on_change=_trace_layer_changed)


TRACE_TOOLS = {
    "keys": (":material/keyboard:", "trace.keys.title"),
    "player": (":material/play_arrow:", "trace.player.show"),
}


def trace_tools_ui() -> set[str]:
    """Two optional tools as one row of pills (one widget, not two switches): "keys", the keyboard's way to pick,
    and "player", the window sliding across the map."""
    chosen = st.pills(
        ui.tr("trace.tools"),
        list(TRACE_TOOLS),
        selection_mode="multi",
        format_func=lambda tool: f"{TRACE_TOOLS[tool][0]} {ui.tr(TRACE_TOOLS[tool][1])}",
        key="trace_tools",
        label_visibility="collapsed",
    )
    return set(chosen or ())


class _EncodedPNG:
    """A PNG encoded already, for streamlit_image_coordinates, which takes any object with a `save` method: it
    then only writes these bytes instead of encoding the picture again."""

    def __init__(self, png: bytes):
        self.png = png

    def save(self, buffer, **_options) -> None:
        buffer.write(self.png)


@dataclass(frozen=True)
class PickPicture:
    """A layer's clickable picture, computed before anything below the input is drawn."""

    layer: str
    shape: tuple[int, ...]
    layout: trace_figures.PickLayout
    png: bytes
    selected: Cell | None


def pick_picture(layer: str, activations: dict, cmap: str) -> PickPicture:
    """The layer's outputs as one mosaic, the picked cell outlined, encoded as PNG."""
    act = activations[layer]
    layout = trace_figures.pick_layout(act.shape)
    picked = st.session_state.get("trace")
    selected = None
    if isinstance(picked, dict) and picked.get("layer") == layer:
        selected = parse_cell(picked, shapes(activations))
    outlined = (selected.channel, selected.row, selected.col) if selected else None
    png = markup.png_bytes(trace_figures.pick_image(act, cmap, layout, outlined))
    return PickPicture(layer, act.shape, layout, png, selected)


def trace_pick_ui(picture: PickPicture) -> set[str]:
    """The layer's picture, clickable (a click or a tap sets the session-state key `trace`), and the tools under
    it; returns the tools chosen."""
    streamlit_image_coordinates(
        _EncodedPNG(picture.png),
        key=_pick_key(picture.layer),
        width="stretch",  # as wide as its element, which pick_css keeps at most the picture's own width
        on_click=functools.partial(_on_pick, picture.layer, picture.layout, len(picture.shape) == 1),
        cursor="crosshair",
    )
    tools = trace_tools_ui()
    if "keys" in tools:
        keyboard_pick_ui(picture.layer, picture.shape, picture.selected)
    return tools


KEYS_PICK = ("trace_keys_channel", "trace_keys_row", "trace_keys_col")  # the keyboard's way to pick a cell


def _on_keys_pick(layer: str) -> None:
    values = [st.session_state.get(key) for key in KEYS_PICK]
    st.session_state["trace"] = {"layer": layer, **dict(zip(("channel", "row", "col"), values, strict=True))}


def keyboard_pick_ui(layer: str, shape: tuple[int, ...], selected: Cell | None) -> None:
    """The same pick with the keyboard: the map (or unit), row and column as numbers, then a button."""
    spatial = len(shape) == 3 and shape[1] * shape[2] > 1
    limits = (shape[0], shape[1], shape[2]) if spatial else (shape[0],)
    current = (selected.channel, selected.row, selected.col) if selected else (0, 0, 0)
    with st.form("trace_keys", border=False):
        columns = st.columns(len(limits) + 1, vertical_alignment="bottom")
        labels = ("trace.keys.channel" if spatial else "trace.keys.unit", "trace.keys.row", "trace.keys.col")
        for column, key, label, limit, value in zip(columns, KEYS_PICK, labels, limits, current, strict=False):
            if not 0 <= (st.session_state.get(key) or 0) < limit:
                st.session_state[key] = min(value, limit - 1)  # another layer: its own range, never an error
            column.number_input(ui.tr(label, top=limit - 1), 0, limit - 1, key=key, step=1)
        if not spatial:
            st.session_state["trace_keys_row"] = st.session_state["trace_keys_col"] = 0
        columns[-1].form_submit_button(ui.tr("trace.keys.go"), on_click=_on_keys_pick, args=(layer,))


def selected_cell(view: DrawView) -> Cell | None:
    """The cell the session-state key `trace` names, if this model and input have it; a stale one is dropped."""
    raw = st.session_state.get("trace")
    if raw is None or view.insp is None:
        return None  # nothing to read: no trace, but the selection waits for the next digit
    cell = parse_cell(raw, shapes(view.insp.activations))
    if cell is None:
        del st.session_state["trace"]  # another model, or nonsense: dropped quietly
    return cell


def _model_value(view: DrawView, cell: Cell) -> float:
    """The cell's value as the model computed it (the page shows that one; the trace adds up to it)."""
    act = view.insp.activations[cell.layer]
    return float(act[cell.channel] if act.ndim == 1 else act[cell.channel, cell.row, cell.col])


@dataclass(frozen=True)
class Explained:
    """The selected cell's explanation, computed before anything below the input is drawn."""

    cell: Cell
    prev: str  # the layer (or "input") it reads
    result: Trace
    value_md: str  # its name and value (and probability), markdown
    body_html: str  # where it looks and how it was computed, one HTML block


def explain_cell(view: DrawView, model, cmap: str) -> Explained | None:
    """The selected cell traced and put into words and grids; None when nothing is picked or there is nothing
    to read."""
    if view.insp is None:
        return None
    cell = selected_cell(view)
    if cell is None:
        return None
    result = trace(model, view.prep.input, view.insp.activations, cell)
    lines = [ui.tr("trace.value", value=_num(_model_value(view, cell)))]
    if cell.layer == "output":
        p = float(view.insp.probs[cell.channel])
        lines.append(ui.tr("trace.prob", digit=cell.channel, prob=_num(p), pct=f"{p:.1%}"))
    heading = _esc(ui.tr("trace.heading", cell=_cell_name(cell, view.insp.activations[cell.layer].ndim == 1)))
    value_md = f"### {heading}\n\n" + "  \n".join(f"**{_esc(line)}**" for line in lines)
    names = ["input", *view.insp.activations]
    prev = names[names.index(cell.layer) - 1]
    shape = view.prep.image.shape if prev == "input" else view.insp.activations[prev].shape[-2:]
    parts = [where_html(view, result, cmap), markup.heading(ui.tr("trace.how"), 4)]
    steps = {"conv": conv_step_html, "pool": pool_step_html, "fc": fc_step_html, "elementwise": element_step_html}
    parts.append(steps[result.step.kind](result.step, prev, shape))
    if result.step.kind == "fc" and result.step.softmax is not None:
        parts.append(softmax_html(result.step.softmax, cell.channel))
    return Explained(cell, prev, result, value_md, f'<div class="lenet-lazy">{"".join(parts)}</div>')


def trace_ui(view: DrawView, explained: Explained | None, model, cmap: str, player: bool = False) -> None:
    """The selected cell explained in the `trace` container: its value, where it looks, how it was computed.

    The value lines are one markdown element; where it looks and how it was computed are one HTML block, so that
    a stroke with a cell picked updates three elements, not twenty (docs/ARCHITECTURE.md §6)."""
    if explained is None:
        blank = view.insp is None and st.session_state.get("trace") is not None
        st.caption(ui.tr("trace.blank" if blank else "trace.none"))
        return
    with st.container(key="trace", border=True):
        st.markdown(explained.value_md)
        st.html(explained.body_html)
        if player and explained.result.step.kind in ("conv", "pool"):  # a window slides to make it
            player_ui(view, model, explained.cell, explained.prev, cmap, explained.result)
        elif player:
            st.caption(ui.tr("trace.player.maps_only"))


def _text(text: str) -> str:
    return markup.caption(text, "lenet-text")


def where_html(view: DrawView, result: Trace, cmap: str) -> str:
    """The receptive field outlined on the input and on every layer up to the cell's."""
    title = markup.heading(ui.tr("trace.where.title"), 4)
    if view.insp.activations[result.cell.layer].ndim != 3:  # a unit of a fully connected layer
        return title + markup.caption(ui.tr("trace.where.all"))
    channel_of = {result.cell.layer: result.cell.channel}
    pictures = trace_figures.field_pictures(
        view.prep.image, view.insp.activations, result.fields, cmap, channel_of, FIELD_PX
    )
    cells = []
    for name, (rgb, channel) in pictures.items():
        caption = ui.tr("trace.where.map", layer=name, channel=channel)
        if name == "input":
            caption = ui.tr("trace.where.input")
        image = markup.image_html(markup.png_bytes(rgb), rgb.shape[1], alt=caption)
        cells.append(
            f'<figure style="margin:0">{image}'
            f'<figcaption style="font-size:0.85rem">{_esc(caption)}</figcaption></figure>'
        )
    arrow = '<div style="font-size:1.6rem;opacity:.6;align-self:center" aria-hidden="true">→</div>'
    row = f'<div style="display:flex;gap:0.8rem;flex-wrap:wrap;align-items:flex-start">{arrow.join(cells)}</div>'
    return title + row + markup.caption(ui.tr("trace.where.text"))


def _window_text(key: str, step, prev: str, shape, **params) -> str:
    top, left, bottom, right = step.window
    height, width = shape
    return ui.tr(
        key,
        prev=_layer_label(prev),
        top=max(0, top),
        left=max(0, left),
        bottom=min(height - 1, bottom),
        right=min(width - 1, right),
        **params,
    )


def conv_step_html(step, prev: str, shape) -> str:
    """Patch × kernel = products for the maps that add the most, the per-map sums, bias, batch norm, activation."""
    k = step.kernels.shape[-1]
    parts = [_text(_window_text("trace.conv.text", step, prev, shape, k=k))]
    top, left, bottom, right = step.window
    if top < 0 or left < 0 or bottom >= shape[0] or right >= shape[1]:
        parts.append(markup.caption(ui.tr("trace.conv.padding", prev=_layer_label(prev))))
    n = len(step.partial_sums)
    order = np.argsort(-np.abs(step.partial_sums))[:SHOWN_CHANNELS]
    if n > 1:
        parts.append(
            _text(ui.tr("trace.conv.channels", n=n, prev=prev) + " " + ui.tr("trace.conv.shown", shown=len(order)))
        )
    for i in sorted(order):
        patch_title = ui.tr("trace.grid.input") if prev == "input" else ui.tr("trace.grid.patch", prev=prev, i=int(i))
        grids = [
            trace_figures.number_grid(step.patches[i], patch_title),
            trace_figures.number_grid(step.kernels[i], ui.tr("trace.grid.kernel")),
            trace_figures.number_grid(step.products[i], ui.tr("trace.grid.products")),
        ]
        parts.append(trace_figures.grids_row(grids, ["×", "="]))
        parts.append(markup.caption(ui.tr("trace.grid.sum", sum=_num(float(step.partial_sums[i])))))
    if n > 1:
        header = [ui.tr("trace.partial.map", prev=prev), ui.tr("trace.partial.sum")]
        parts.append(_table(header, [[str(i), _num(float(v))] for i, v in enumerate(step.partial_sums)]))
    return "".join(parts) + _finish_html(step)


def _post_line(post: dict) -> str:
    """One step after a block's conv, pooling or fc (lenet.trace.post_steps), in words."""
    x, value = post["input"], post["value"]
    if post["op"] == "bn":
        return ui.tr(
            "trace.bn",
            pre=_num(x),
            mean=_num(post["mean"]),
            var=_num(post["var"]),
            eps=f"{post['eps']:g}",
            weight=_num(post["weight"]),
            shift=_num(post["bias"]),
            out=_num(value),
        )
    if post["op"] == "relu":
        return ui.tr(f"trace.act.relu.{'on' if x > 0 else 'off'}", x=_num(x), value=_num(value))
    if post["op"] == "dropout":
        return ui.tr("trace.dropout", value=_num(value))
    return ui.tr(f"trace.act.{post['op']}", x=_num(x), value=_num(value))


def _finish_html(step) -> str:
    """The sum and the bias (a conv's, an fc's), then every step after them in the block (batch norm, activations,
    dropout), in words."""
    lines = []
    if step.kind in ("conv", "fc"):
        lines += [
            ui.tr("trace.sum", total=_num(step.total)),
            ui.tr("trace.bias", total=_num(step.total), bias=_num(step.bias), pre=_num(step.pre_activation)),
        ]
    lines += [_post_line(post) for post in step.post]
    if not lines:
        return ""
    items = "".join(f"<li>{_esc(line)}</li>" for line in lines)
    return f'<ul style="margin:0.6rem 0 1rem">{items}</ul>'


def pool_step_html(step, prev: str, shape) -> str:
    """The pooling window with the winner outlined (max), or the mean (avg)."""
    k = step.values.shape[0]
    title = ui.tr("trace.pool.window", prev=_layer_label(prev), i=step.cell.channel)
    grid = trace_figures.number_grid(step.values, title, decimals=3, marked=step.winner)
    finite = step.values[np.isfinite(step.values)]
    pooled = step.value if step.pooled is None else step.pooled
    params = dict(k=k, value=_num(pooled), n=step.values.size, sum=_num(float(finite.sum())))
    return grid + _text(_window_text(f"trace.pool.{step.op}", step, prev, shape, **params)) + _finish_html(step)


def element_step_html(step, prev: str, shape) -> str:
    """A block of batch norm or activations alone (at the start of a list): the number it reads, then each step."""
    text = ui.tr("trace.elementwise.text", layer=step.cell.layer, prev=_layer_label(prev), x=_num(step.source))
    return _text(text) + _finish_html(step)


def _table(header: list[str], rows: list[list[str]], bold: int | None = None) -> str:
    """A small HTML table; every cell is escaped. Row `bold` is highlighted."""
    head = "".join(f'<th style="padding:2px 8px;text-align:left">{_esc(h)}</th>' for h in header)
    body = []
    for i, row in enumerate(rows):
        style = "font-weight:700;background:#fff3e6;color:#212529" if i == bold else ""
        cells = "".join(f'<td style="padding:2px 8px;font-family:monospace">{_esc(c)}</td>' for c in row)
        body.append(f'<tr style="{style}">{cells}</tr>')
    style = "border-collapse:collapse;font-size:0.9rem;margin-bottom:0.6rem"
    return f'<table style="{style}"><tr>{head}</tr>{"".join(body)}</table>'


def fc_step_html(step, prev: str, shape) -> str:
    """The inputs that pushed a fully connected unit (F6, output, fc1, ...) up and down most, the others as one figure,
    the bias, then what follows in its block."""
    cell = step.cell
    parts = [_text(ui.tr("trace.output.text", digit=cell.channel))] if cell.layer == "output" else []
    n = len(step.up) + len(step.down) + step.others_count
    parts.append(_text(ui.tr("trace.fc.text", cell=_cell_name(cell, True), n=n, prev=_layer_label(prev))))
    header = [
        "",
        ui.tr("trace.fc.input"),
        ui.tr("trace.fc.in_value"),
        ui.tr("trace.fc.weight"),
        ui.tr("trace.fc.product"),
    ]
    rows = []
    for key, group in (("trace.fc.up", step.up), ("trace.fc.down", step.down)):
        for index, value, weight, product in group:
            rows.append(
                [
                    ui.tr(key),
                    ui.tr("trace.fc.unit", prev=_layer_label(prev), i=index),
                    _num(value),
                    _num(weight),
                    _num(product),
                ]
            )
    rows.append(["", ui.tr("trace.fc.others", n=step.others_count), "", "", _num(step.others)])
    return "".join(parts) + _table(header, rows) + _finish_html(step)


def softmax_html(softmax: dict, digit: int) -> str:
    """Softmax step by step, and why a small lead in score is a large lead in probability."""
    parts = [markup.heading(ui.tr("trace.softmax.title"), 4)]
    parts.append(_text(ui.tr("trace.softmax.steps", sum=f"{softmax['sum']:.6g}")))
    if softmax["shift"]:
        parts.append(markup.caption(ui.tr("trace.softmax.shift", shift=_num(softmax["shift"]))))
    header = [ui.tr(f"trace.softmax.{k}") for k in ("digit", "score", "exp", "prob")]
    rows = [
        [str(d), _num(float(s)), f"{e:.6g}", f"{p:.4f} ({p:.1%})"]
        for d, (s, e, p) in enumerate(zip(softmax["logits"], softmax["exp"], softmax["probs"], strict=True))
    ]
    parts.append(_table(header, rows, bold=digit))
    a, b = (int(i) for i in np.argsort(-softmax["logits"])[:2])
    diff = float(softmax["logits"][a] - softmax["logits"][b])
    why = ui.tr(
        "trace.softmax.why",
        a=a,
        b=b,
        la=_num(float(softmax["logits"][a]), 2),
        lb=_num(float(softmax["logits"][b]), 2),
        diff=_num(diff, 2),
        ratio=f"{np.exp(min(diff, 700)):.3g}",
    )
    return "".join(parts) + _text(why)


def _span(index: int, size: int, side: int) -> tuple[int, int]:
    """[start, stop) of at most `side` positions out of `size`, around `index`."""
    start = min(max(0, index - side // 2), max(0, size - side))
    return start, min(size, start + side)


def player_ui(view: DrawView, model, cell: Cell, prev: str, cmap: str, result: Trace) -> None:
    """The window stepping across the map the cell is on, building it, animated in the browser."""
    st.markdown(f"#### {ui.tr('trace.player.title')}")
    st.caption(ui.tr("trace.player.text", prev=_layer_label(prev), layer=cell.layer, channel=cell.channel))
    geo = geometry(model.named_layers()[cell.layer])
    output = view.insp.activations[cell.layer][cell.channel]
    if prev == "input":
        source = np.asarray(view.prep.input).reshape(view.prep.image.shape)
    else:
        maps = view.insp.activations[prev]
        step = result.step
        # a conv's window spans every input map: show the one that adds the most to the picked cell
        channel = cell.channel if step.kind == "pool" else int(np.argmax(np.abs(step.partial_sums)))
        source = maps[channel]
    # plotly checks every frame as the figure is built: at most PLAYER_SIDE² positions keep that under a second
    (r0, r1), (c0, c1) = (
        _span(i, n, PLAYER_SIDE) for i, n in ((cell.row, output.shape[0]), (cell.col, output.shape[1]))
    )
    if (r1 - r0, c1 - c0) != output.shape:
        st.caption(ui.tr("trace.player.part", top=r0, bottom=r1 - 1, left=c0, right=c1 - 1))
    output = output[r0:r1, c0:c1]
    windows = np.array([geo.window(r, c) for r in range(r0, r1) for c in range(c0, c1)])
    labels = {
        "input": ui.tr("trace.player.input", prev=_layer_label(prev)),
        "output": ui.tr("trace.player.output", layer=cell.layer, channel=cell.channel),
        "play": ui.tr("trace.player.play"),
        "pause": ui.tr("trace.player.pause"),
        "position": ui.tr("trace.player.position"),
    }
    st.plotly_chart(
        trace_figures.player_figure(source, output, windows, labels, cmap),
        key="trace_player_chart",
        config={"displayModeBar": False},
    )


# --- what would change its mind: the perturbation sandbox (lenet.sandbox), computed only while it is open ---

AMPLIFY = 5  # the nudge's change is drawn this many times stronger: as it is, it is too faint to see


def _picture(rgb: np.ndarray, caption: str, px: int = 168) -> str:
    image = markup.image_html(markup.png_bytes(rgb), px, alt=caption)
    return (
        f'<figure style="margin:0">{image}<figcaption style="font-size:0.85rem">{_esc(caption)}</figcaption></figure>'
    )


def sandbox_ui(view: DrawView, model) -> None:
    """Occlusion, small transforms and an adversarial nudge, behind a toggle: strokes pay nothing while it is off."""
    if not st.toggle(ui.tr("sandbox.show"), key="sandbox"):
        return
    image, pred = view.prep.image, view.insp.prediction
    st.markdown(f"#### {ui.tr('sandbox.occlusion.title')}")
    drop = sandbox.occlusion(model, image, pred)
    st.html(_picture(mosaics.saliency_overlay(image, drop), ui.tr("sandbox.occlusion.title")))
    st.caption(ui.tr("sandbox.occlusion.text", digit=pred, drop=f"{max(0.0, float(drop.max())):.0%}"))
    transform_ui(view, model)
    nudge_ui(view, model)


def transform_ui(view: DrawView, model) -> None:
    """Shift, turn, thicken or thin the digit and watch the probabilities move."""
    st.markdown(f"#### {ui.tr('sandbox.transform.title')}")
    left, right = st.columns(2)
    dx = left.slider(ui.tr("sandbox.shift_x"), -6, 6, 0, key="sandbox_dx")
    dy = left.slider(ui.tr("sandbox.shift_y"), -6, 6, 0, key="sandbox_dy")
    angle = right.slider(ui.tr("sandbox.angle"), -45, 45, 0, step=5, key="sandbox_angle")
    thickness = right.slider(ui.tr("sandbox.thickness"), -1, 2, 0, key="sandbox_thickness")
    changed = sandbox.transform(view.prep.image, (dx, dy), angle, thickness)
    probs = sandbox.probabilities(model, changed)
    digit = int(probs.argmax())
    pictures, bars = st.columns([1, 2])
    pictures.html(_picture(np.repeat(changed[..., None], 3, axis=2), ui.tr("sandbox.transform.title"), 140))
    bars.html(markup.probability_bars(probs, digit))
    st.caption(ui.tr("sandbox.transform.text", digit=digit, pct=f"{probs[digit]:.0%}", before=view.insp.prediction))


def nudge_ui(view: DrawView, model) -> None:
    """Find a small change that makes the network read a digit the student picks (Captum's PGD)."""
    st.markdown(f"#### {ui.tr('sandbox.nudge.title')}")
    left, right = st.columns([2, 1], vertical_alignment="bottom")
    target = left.selectbox(ui.tr("sandbox.nudge.target"), list(range(10)), key="sandbox_target")
    if not right.button(ui.tr("sandbox.nudge.go"), key="sandbox_nudge", width="stretch"):
        return
    result = sandbox.nudge(model, view.prep.image, int(target))
    with st.container(key="sandbox_result"):
        if result.status == "already":
            st.info(ui.tr("sandbox.nudge.already", digit=target))
            return
        if result.status == "not_found":
            st.warning(ui.tr("sandbox.nudge.not_found", digit=target, seconds=f"{result.seconds:.1f}"))
            return
        nudged = np.repeat((result.image * 255).astype(np.uint8)[..., None], 3, axis=2)
        change = mosaics.colorize_signed(result.change * AMPLIFY, 1.0)
        before = np.repeat(view.prep.image[..., None], 3, axis=2)
        st.html(
            '<div style="display:flex;gap:1rem;flex-wrap:wrap">'
            + _picture(before, ui.tr("sandbox.nudge.before"))
            + _picture(nudged, ui.tr("sandbox.nudge.after"))
            + _picture(change, ui.tr("sandbox.nudge.change", times=AMPLIFY))
            + "</div>"
        )
        p = float(result.probs[target])
        st.success(
            ui.tr(
                "sandbox.nudge.found",
                seconds=f"{result.seconds:.1f}",
                largest=f"{result.largest:.0%}",
                digit=target,
                pct=f"{p:.0%}",
            )
        )


@dataclass(frozen=True)
class Computed:
    """Everything below the input, computed before any of it is drawn."""

    view: DrawView
    network: str = ""
    activations: dict | None = None
    picture: PickPicture | None = None
    explained: Explained | None = None


def input_digest(prep: Preprocessed | None) -> str | None:
    """A digest of everything `draw_view` reads from a preprocessed input: equal digests, equal views."""
    if prep is None:
        return None
    digest = hashlib.md5(repr((prep.empty, prep.reason, [key for key, _ in prep.steps])).encode())
    for array in (*(image for _, image in prep.steps), prep.image, prep.input):
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def compute(prep, model, cmap: str, label, started, canvas: bool) -> Computed:
    """The view and what lies below the input: pure functions of the input and the session state, so the
    browser gets the whole update in one burst and lays it out once (docs/ARCHITECTURE.md §6). The view is kept
    while the input stays the same (a click on a cell): nothing above the trace changes, so nothing is re-sent."""
    key = (model, cmap, label, canvas, input_digest(prep))
    view = ui.session_memo(
        "draw_view", key, lambda: draw_view(prep, model, cmap, label, started, canvas=canvas, step_px=STEP_PX)
    )
    if model is None:
        return Computed(view)
    # Blank, the picture is there too (all dark): a Clear does not remount it, and a pick can come first.
    activations = view.insp.activations if view.insp is not None else ui.blank_activations(model)
    layer = trace_layer_state(list(activations))
    return Computed(
        view,
        network_html(view, model, cmap) + trace_intro_html(),
        activations,
        pick_picture(layer, activations, cmap) if layer is not None else None,
        explain_cell(view, model, cmap) if layer is not None else None,
    )


@st.fragment
def explore(model, model_path: str | None, source: str) -> None:
    """Input, prediction, preprocessing steps and the inside of the network: what one stroke reruns."""
    cmap = ui.colormap()
    done = None
    if source == "draw":
        # The canvas's value is read from its state first: a stroke's whole update then leaves in one burst.
        rgba, started, drawn, seen = canvas_value()
        prep = surface.browser_input(canvas_to_input(rgba), seen) if rgba is not None else None
        done = compute(prep, model, cmap, None, started, canvas=True)
    # The canvas needs 280 px. _PAGE_CSS lets the three columns wrap instead of squeezing it (a tablet, or the
    # sidebar open), and on a phone puts the answer right under the canvas.
    with st.container(key="draw_top"):
        input_col, predict_col, why_col = st.columns([1.3, 1.2, 0.8], gap="medium")
    with input_col:
        if source != "draw":
            # The canvas is unmounted: it will come back empty, so neither an undo's leftovers nor its last
            # value may come back with it (a new nonce).
            if not st.session_state.get("draw_canvas_away"):
                st.session_state["draw_canvas_away"] = True
                _reset_canvas([])
        else:
            st.session_state["draw_canvas_away"] = False
        label, started = None, None
        if source == "draw":
            canvas_ui(drawn)
        elif source == "upload":
            prep, started = upload_ui()
        elif source == "camera":
            prep, started = camera_ui()
        else:
            prep, label = mnist_ui(model_path)
    if done is None:  # another source: its input is read by its widget, inside the column
        done = compute(prep, model, cmap, label, started, canvas=False)
    view = done.view
    with predict_col, st.container(key="draw_answer"):
        prediction_ui(view)
    with why_col, st.container(key="draw_why"):
        why_ui(view, model)
    st.html(steps_html(view) + done.network)
    if model is None:
        return
    trace_layer_ui(list(done.activations))
    if done.picture is not None:
        tools = trace_pick_ui(done.picture)
        trace_ui(view, done.explained, model, cmap, player="player" in tools)
    if view.insp is not None:
        sandbox_ui(view, model)


_init_state()
st.title(ui.tr("draw.title"))
st.container(key="draw_intro").markdown(ui.tr("draw.intro"))
loaded = ui.current_model()
model_path = ui.current_model_path() if loaded else None
st.html(_PAGE_CSS + (pick_css(loaded[0]) if loaded else ""))  # one element (docs/ARCHITECTURE.md §6)
explore(loaded[0] if loaded else None, model_path, tools_ui())
if model_path:
    st.html(kernels_html(model_path))
