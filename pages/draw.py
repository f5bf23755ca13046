"""Draw & explore: draw (or upload, or pick) a digit and watch LeNet-5 read it, layer by layer.

The drawing and everything computed from it live in one `st.fragment`, so a stroke reruns only
that part; the kernels, which depend only on the model, are drawn once outside it from a cache.

Tests cannot drive the canvas, so two session-state keys stand in for it:
`draw_injected_rgba` (an RGBA array, read instead of the canvas) and `draw_injected_upload`
(a file's bytes, read instead of the uploader). The Evaluate page opens an MNIST test digit here
by setting `draw_sample` to its index in the test set.
"""

from __future__ import annotations

import hashlib
import html
import time

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

import ui
from lenet import checkpoints
from lenet.data import normalise, picker_digits
from lenet.explain import Inspection
from lenet.figures import markup, theme
from lenet.figures.draw_view import DrawView, draw_view, png_size
from lenet.i18n import STRINGS
from lenet.images import load_image
from lenet.preprocess import Preprocessed, canvas_to_input, preprocess

ui.ensure_shell()

CANVAS = 280  # px; MNIST's 28 px times ten, so a finger or a mouse has room
BRUSH = (6, 40, 18)  # min, max, default px: the default gives MNIST-like strokes after scaling
SOURCES = {"draw": ":material/draw:", "upload": ":material/upload_file:", "mnist": ":material/dataset:"}
STEP_PX = 160  # the box each preprocessing step is shown in
SCALE = 4  # screen px per activation px: one scale for every map, so pooling visibly halves them
UNSURE = 0.5  # below this top probability the answer is called a guess
FAIRLY = 0.8  # below this it is "probably"
CLOSE = 0.25  # a runner-up this close to the top is named too

_PAGE_CSS = f"""
<style>
  .draw-digit {{ font-size: 8rem; font-weight: 700; line-height: 1; color: {theme.PRIMARY}; text-align: center; }}
  .draw-digit.draw-none {{ color: {theme.MUTED}; }}
  .draw-verdict {{ font-size: 1.4rem; text-align: center; }}
  .draw-verdict.draw-none {{ font-size: 1.1rem; color: {theme.REFERENCE}; }}
</style>
"""
# The canvas component draws its toolbar (undo, redo, reset, ...) invisibly over the canvas's
# top-right corner until hovered, so a stroke starting there, and every touch stroke on a tablet,
# hits the toolbar instead of the canvas. The toolbar lives in the component's shadow DOM, which
# page CSS cannot reach, so a script adds the rule inside it; the page has its own buttons.
_PAGE_SCRIPT = """
<script>
(() => {
  const ID = "lenet-hide-canvas-toolbar";
  function patch(tries) {
    for (const host of document.querySelectorAll('.st-key-canvas [data-testid="stBidiComponentIsolated"]')) {
      const root = host.shadowRoot;
      if (!root) {
        if ((tries || 0) < 40) setTimeout(() => patch((tries || 0) + 1), 50);  // mounted, not attached yet
        continue;
      }
      if (!root.getElementById(ID)) {
        const style = document.createElement("style");
        style.id = ID;
        style.textContent = ".dc-toolbar { display: none !important; }";
        root.appendChild(style);
      }
    }
  }
  patch(0);
  if (!window.__lenetCanvasToolbarObserver) {
    // The canvas remounts when the input source changes: patch every new one.
    window.__lenetCanvasToolbarObserver = new MutationObserver(() => patch(0));
    window.__lenetCanvasToolbarObserver.observe(document.body, {childList: true, subtree: true});
  }
})();
</script>
"""


def _init_state() -> None:
    """Defaults, and the Evaluate page's hand-over of an MNIST test digit."""
    # Only state that is not a widget's: Streamlit forgets a widget's value while it is not shown
    # (the brush while an upload is shown), and fragment reruns do not come through here.
    defaults = {"draw_canvas_nonce": 0, "draw_canvas_objects": [], "draw_canvas_stale": None}
    for key, value in defaults.items():
        if key not in st.session_state:
            st.session_state[key] = value
    sample = st.session_state.pop("draw_sample", None)
    if sample is not None:
        st.session_state["draw_source"] = "mnist"
        st.session_state["draw_mnist_index"] = int(sample)


def _reset_canvas(objects: list) -> None:
    """Load `objects` into the canvas (clear: none; undo: all but the last stroke).

    The canvas keeps sending its previous picture until it has loaded the new drawing; remember
    that picture's checksum so the page can ignore it meanwhile.
    """
    st.session_state["draw_canvas_objects"] = objects
    st.session_state["draw_canvas_nonce"] += 1
    st.session_state["draw_canvas_stale"] = st.session_state.get("draw_canvas_md5")


def source_ui() -> str:
    """The input picker; returns "draw", "upload" or "mnist"."""
    names = ui.option_labels("draw.source.", SOURCES)
    return st.radio(
        ui.tr("draw.source"),
        list(SOURCES),
        key="draw_source",
        horizontal=True,
        format_func=lambda s: f"{SOURCES[s]} {names[s]}",
        label_visibility="collapsed",
    )


def canvas_ui() -> tuple[np.ndarray | None, float]:
    """The drawing canvas with its brush and buttons; returns the drawing as RGBA (None if blank), and
    perf_counter() from before it was decoded."""
    objects = st.session_state["draw_canvas_objects"]
    result = st_canvas(
        stroke_color="#ffffff",
        background_color="#000000",
        stroke_width=st.session_state.get("draw_brush", BRUSH[2]),
        height=CANVAS,
        width=CANVAS,
        drawing_mode="freedraw",
        update_streamlit=True,
        return_image_data=True,
        # The nonce makes a clear or an undo a new drawing to load, even when the
        # objects are the same as last time (two clears in a row).
        initial_drawing={"objects": objects, "nonce": st.session_state["draw_canvas_nonce"]},
        key="canvas",
    )
    drawn = list((result.json_data or {}).get("objects") or [])
    left, right = st.columns(2)
    left.button(
        ui.tr("draw.clear"),
        key="draw_clear",
        icon=":material/delete:",
        on_click=_reset_canvas,
        args=([],),
        width="stretch",
    )
    right.button(
        ui.tr("draw.undo"),
        key="draw_undo",
        icon=":material/undo:",
        on_click=_reset_canvas,
        args=(drawn[:-1],),
        disabled=not drawn,
        width="stretch",
    )
    st.slider(ui.tr("draw.brush"), BRUSH[0], BRUSH[1], BRUSH[2], key="draw_brush")
    st.caption(ui.tr("draw.canvas_help"))

    started = time.perf_counter()
    injected = st.session_state.get("draw_injected_rgba")
    if injected is not None:
        return np.asarray(injected), started
    png = result.image_bytes
    if not png:
        return None, started
    digest = hashlib.md5(png).hexdigest()
    st.session_state["draw_canvas_md5"] = digest
    if digest == st.session_state["draw_canvas_stale"]:
        if not objects:
            return None, started  # cleared: the old picture is still on its way out
    else:
        st.session_state["draw_canvas_stale"] = None
    return result.image_data, started


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
    started = time.perf_counter()
    if data is None:
        st.info(ui.tr("draw.upload.none"))
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
    st.subheader(ui.tr("draw.prediction.title"))
    insp = view.insp
    with st.container(key="prediction", border=True):
        if insp is None:
            # Nothing to read: no digit characters at all in this container (tests rely on it).
            st.markdown('<div class="draw-digit draw-none">?</div>', unsafe_allow_html=True)
            # A reason this page has no words for yet still reads as "nothing to read".
            reason = view.reason if f"draw.prediction.{view.reason}" in STRINGS else "blank"
            st.markdown(
                f'<div class="draw-verdict draw-none">{_esc(ui.tr(f"draw.prediction.{reason}"))}</div>',
                unsafe_allow_html=True,
            )
        else:
            st.markdown(f'<div class="draw-digit">{insp.prediction}</div>', unsafe_allow_html=True)
            st.markdown(f'<div class="draw-verdict">{_esc(verdict(insp))}</div>', unsafe_allow_html=True)
    if insp is not None and view.label is not None:
        key = "draw.prediction.right" if insp.prediction == view.label else "draw.prediction.wrong"
        (st.success if insp.prediction == view.label else st.warning)(ui.tr(key, label=view.label))
    probs = insp.probs if insp is not None else np.zeros(10)
    close = insp is not None and insp.confidence - insp.runner_up()[1] < CLOSE
    st.caption(ui.tr("draw.probs.title"))
    st.html(
        markup.probability_bars(
            probs, insp.prediction if insp else None, runner_up=insp.runner_up()[0] if close else None
        )
    )


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


def why_ui(view: DrawView) -> None:
    """The saliency overlay: which pixels pushed the network towards its answer."""
    st.subheader(ui.tr("draw.why.title"))
    if view.insp is None:
        st.caption(ui.tr("draw.why.nothing"))
        return
    st.html(_scaled(view.images["saliency"], 8, alt=ui.tr("draw.why.title")))
    st.caption(ui.tr("draw.why.text"))


def steps_ui(view: DrawView) -> None:
    """The preprocessing steps, left to right; the last one is exactly the network's input."""
    st.subheader(ui.tr("draw.steps.title"))
    st.caption(ui.tr("draw.steps.intro"))
    if view.prep is None:
        return
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
            f'color:#495057;margin-top:0.3rem">{_esc(caption)}</figcaption></figure>'
        )
    arrow = '<div style="font-size:2rem;color:#adb5bd;align-self:center">→</div>'
    st.html(f'<div style="display:flex;gap:1rem;flex-wrap:wrap;align-items:flex-start">{arrow.join(cells)}</div>')


def _layer_text(name: str, act: np.ndarray, prev: np.ndarray | None, config) -> tuple[str, str]:
    """The title and the explanation of one layer, from the model's config (variants differ)."""
    act_name = {"relu": "ReLU", "tanh": "tanh", "sigmoid": "sigmoid"}[config.activation]
    act_sentence = ui.tr(f"draw.net.act.{config.activation}")
    if name == "input":
        return ui.tr("draw.net.input"), ui.tr("draw.net.input.text", h=act.shape[1], w=act.shape[2])
    if name == "output":
        return ui.tr("draw.net.title.output"), ui.tr("draw.net.output.text")
    if name in ("S2", "S4"):
        title = ui.tr(f"draw.net.title.pool.{config.pool}", name=name, act=act_name)
        text = ui.tr(f"draw.net.pool.{config.pool}.text", p=config.pool_size)
        if name == "S4":
            text += " " + ui.tr("draw.net.S4.text")
        return title, text
    if name == "F6":
        return (
            ui.tr("draw.net.title.fc", name=name, act=act_name),
            ui.tr("draw.net.F6.text", c=act.size, m=prev.size) + " " + act_sentence,
        )
    title = ui.tr("draw.net.title.conv", name=name, act=act_name)
    channels = act.shape[0]
    if name == "C1":
        text = ui.tr("draw.net.C1.text", c=channels, k=config.c1_kernel)
    elif name == "C5" and act.ndim == 3 and act.shape[1] * act.shape[2] == 1:
        text = ui.tr("draw.net.C5.text", c=channels, n=prev.size)
    else:
        text = ui.tr("draw.net.C3.text", c=channels, m=prev.shape[0])
    return title, text + " " + act_sentence


def network_ui(view: DrawView, model, cmap: str) -> None:
    """Every layer's output for this input, each with its shape and a sentence or two, as one HTML grid."""
    st.header(ui.tr("draw.net.title"))
    if view.insp is None:
        st.info(ui.tr("draw.why.nothing"))
        return
    st.caption(ui.tr("draw.net.intro") + " " + ui.tr("draw.net.colours", cmap=cmap))
    rows = [("input", view.prep.image[None]), *view.insp.activations.items()]
    cells, prev = [], None
    for name, act in rows:
        title, text = _layer_text(name, act, prev, model.config)
        shape = ui.tr("draw.net.shape", shape=" × ".join(str(n) for n in act.shape))
        picture = markup.score_bars(act) if name == "output" else _scaled(view.images[name], alt=title)
        cells.append(
            f'<div><div style="font-weight:600;font-size:1.05rem">{_esc(title)} '
            f'<span style="font-weight:400;color:#6c757d">· {_esc(shape)}</span></div>'
            f'<div style="color:#6c757d;font-size:0.92rem;margin-top:0.2rem">{_esc(text)}</div></div>'
            f'<div style="max-width:720px">{picture}</div>'
        )
        prev = act
    st.html(
        '<div style="display:grid;grid-template-columns:minmax(240px,2fr) 3fr;gap:1.6rem 2.5rem;'
        f'align-items:center">{"".join(cells)}</div>'
    )


def kernels_ui(path: str) -> None:
    """The learned filters of C1 and C3, as signed mosaics."""
    st.header(ui.tr("draw.kernels.title"))
    st.caption(ui.tr("draw.kernels.intro"))
    try:
        pictures = ui.kernel_pngs(path)
    except checkpoints.CheckpointError:
        return  # deleted meanwhile: the sidebar already says so
    for layer, png, shape in pictures:
        out_c, in_c, k, _ = shape
        caption = ui.tr(f"draw.kernels.{layer}", c=out_c, m=in_c, k=k)
        st.markdown(caption)
        # C1's few kernels shown larger than C3's many, so both are readable and fit the width.
        st.html(_scaled(png, 16 if layer == "C1" else 8, alt=caption))


@st.fragment
def explore(model, model_path: str | None) -> None:
    """Input, prediction, preprocessing steps and the inside of the network: what one stroke reruns."""
    cmap = ui.colormap()
    # The canvas needs 280 px: enough at 1280 px with the sidebar open, or 1024 px with it closed.
    input_col, predict_col, why_col = st.columns([1.3, 1.2, 0.8], gap="medium")
    label = None
    with input_col:
        source = source_ui()
        if source != "draw":
            # The canvas is unmounted: it will come back empty, so an undo's leftovers must not reload.
            st.session_state["draw_canvas_objects"] = []
        if source == "draw":
            rgba, started = canvas_ui()
            prep = canvas_to_input(rgba) if rgba is not None else None
        elif source == "upload":
            prep, started = upload_ui()
        else:
            prep, label = mnist_ui(model_path)
            started = None
    view = draw_view(prep, model, cmap, label, started, canvas=source == "draw", step_px=STEP_PX)
    with predict_col:
        prediction_ui(view)
    with why_col:
        why_ui(view)
    steps_ui(view)
    if view.prep is not None:
        st.caption(ui.tr("draw.timing", ms=view.compute_ms))
    st.divider()
    if model is not None:
        network_ui(view, model, cmap)


_init_state()
st.html(_PAGE_CSS + _PAGE_SCRIPT, unsafe_allow_javascript=True)
st.title(ui.tr("draw.title"))
st.markdown(ui.tr("draw.intro"))
loaded = ui.current_model()
model_path = ui.current_model_path() if loaded else None
explore(loaded[0] if loaded else None, model_path)
if model_path:
    st.divider()
    kernels_ui(model_path)
