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

Layout only: the session state, the callbacks and what is computed before the layout are in draw_glue.py (the
page's glue), the HTML and the page's CSS in lenet/figures/draw_view.py and trace_html.py.
"""

from __future__ import annotations

import functools
import time

import numpy as np
import streamlit as st
from streamlit_image_coordinates import streamlit_image_coordinates

import draw_glue
import surface
import ui
from lenet import sandbox
from lenet.data import normalise, picker_digits
from lenet.figures import draw_view as draw_figures
from lenet.figures import markup, mosaics, trace_html
from lenet.figures import trace as trace_figures
from lenet.figures.draw_view import DrawView
from lenet.preprocess import Preprocessed, canvas_to_input
from lenet.trace import Cell

ui.ensure_shell()

BRUSH = (6, 40, 18)  # min, max, default px: the default gives MNIST-like strokes after scaling
SOURCES = {
    "draw": ":material/draw:",
    "upload": ":material/upload_file:",
    "camera": ":material/photo_camera:",
    "mnist": ":material/dataset:",
}


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


def canvas_ui(drawn: list) -> None:
    """The drawing canvas with its buttons (its value was read by canvas_value)."""
    surface.surface(
        key="canvas",
        nonce=st.session_state["draw_canvas_nonce"],
        strokes=st.session_state["draw_canvas_objects"],
        brush=st.session_state.get("draw_brush", BRUSH[2]),
        history=True,  # the training scrubber, draw_history
    )
    buttons = st.container(key="draw_buttons", horizontal=True)
    buttons.button(
        ui.tr("draw.clear"),
        key="draw_clear",
        icon=":material/delete:",
        on_click=draw_glue.reset_canvas,
        args=([],),
        width="stretch",
    )
    buttons.button(
        ui.tr("draw.undo"),
        key="draw_undo",
        icon=":material/undo:",
        on_click=draw_glue.reset_canvas,
        args=(drawn[:-1],),
        disabled=not drawn,
        width="stretch",
    )


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
    prep, error = draw_glue.read_upload(data)
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
    prep, error = draw_glue.read_upload(data)
    if error:
        st.error(error, icon=":material/block:")
    return prep, started


def mnist_ui(model_path: str | None) -> tuple[Preprocessed, int]:
    """The MNIST test-digit picker; returns the digit as the model's input, and its true label."""
    images, labels, indices, _ = picker_digits()
    left, right = st.columns(2)
    left.button(
        ui.tr("draw.mnist.random"),
        key="draw_mnist_random",
        icon=":material/casino:",
        on_click=draw_glue.pick_random,
        args=(indices,),
        width="stretch",
    )
    if model_path:
        right.button(
            ui.tr("draw.mnist.wrong"),
            key="draw_mnist_wrong",
            icon=":material/error:",
            on_click=draw_glue.pick_wrong,
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


def prediction_ui(view: DrawView) -> None:
    """The verdict: the digit, large, with honest words about how sure the network is; then all ten bars."""
    st.html(markup.heading(ui.tr("draw.prediction.title"), 3))
    insp = view.insp
    with st.container(key="prediction", border=True):  # no digit characters in it when there is nothing to read
        st.markdown(draw_figures.answer_html(view, ui.lang()), unsafe_allow_html=True)
    if insp is not None and view.label is not None:
        key = "draw.prediction.right" if insp.prediction == view.label else "draw.prediction.wrong"
        (st.success if insp.prediction == view.label else st.warning)(ui.tr(key, label=view.label))
    st.html(draw_figures.answer_bars_html(insp, ui.lang()))


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
            draw_figures.scaled(view.images["saliency"], 8, alt=ui.tr("draw.why.title"))
            + markup.caption(ui.tr("draw.why.text"))
        )
        return
    result = sandbox.integrated_gradients(model, view.prep.image, view.insp.prediction)
    overlay = markup.png_bytes(mosaics.saliency_overlay(view.prep.image, result.pixels))
    st.html(draw_figures.scaled(overlay, 8, alt=ui.tr("draw.why.title")))
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


def trace_layer_ui(names: list[str]) -> None:
    """The layer to trace a number from, as pills (one widget instead of a switch and a radio: docs/ARCHITECTURE.md
    §6); picking the picked one again switches tracing off."""
    st.pills(ui.tr("trace.layer"), names, key="trace_layer", on_change=draw_glue.trace_layer_changed)


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


def trace_pick_ui(picture: trace_html.PickPicture) -> set[str]:
    """The layer's picture, clickable (a click or a tap sets the session-state key `trace`), and the tools under
    it; returns the tools chosen."""
    streamlit_image_coordinates(
        draw_glue.EncodedPNG(picture.png),
        key=trace_html.pick_key(picture.layer),
        width="stretch",  # as wide as its element, which trace_html.pick_css keeps at most the picture's own width
        on_click=functools.partial(draw_glue.on_pick, picture.layer, picture.layout, len(picture.shape) == 1),
        cursor="crosshair",
    )
    tools = trace_tools_ui()
    if "keys" in tools:
        keyboard_pick_ui(picture.layer, picture.shape, picture.selected)
    return tools


def keyboard_pick_ui(layer: str, shape: tuple[int, ...], selected: Cell | None) -> None:
    """The same pick with the keyboard: the map (or unit), row and column as numbers, then a button."""
    limits = draw_glue.keys_pick_limits(shape, selected)
    with st.form("trace_keys", border=False):
        columns = st.columns(len(limits) + 1, vertical_alignment="bottom")
        labels = ("trace.keys.channel" if len(limits) == 3 else "trace.keys.unit", "trace.keys.row", "trace.keys.col")
        for column, key, label, limit in zip(columns, draw_glue.KEYS_PICK, labels, limits, strict=False):
            column.number_input(ui.tr(label, top=limit - 1), 0, limit - 1, key=key, step=1)
        columns[-1].form_submit_button(ui.tr("trace.keys.go"), on_click=draw_glue.on_keys_pick, args=(layer,))


def trace_ui(view: DrawView, explained: trace_html.Explained | None, model, cmap: str, player: bool = False) -> None:
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
            player_ui(view, model, explained, cmap)
        elif player:
            st.caption(ui.tr("trace.player.maps_only"))


def player_ui(view: DrawView, model, explained: trace_html.Explained, cmap: str) -> None:
    """The window stepping across the map the cell is on, building it, animated in the browser."""
    st.markdown(f"#### {ui.tr('trace.player.title')}")
    figure, notes = trace_html.player(view, model, explained, cmap, ui.lang())
    for note in notes:
        st.caption(note)
    st.plotly_chart(figure, key="trace_player_chart", config={"displayModeBar": False})


# --- what would change its mind: the perturbation sandbox (lenet.sandbox), computed only while it is open ---

AMPLIFY = 5  # the nudge's change is drawn this many times stronger: as it is, it is too faint to see
PICTURE_PX = 168  # how wide the sandbox's pictures are drawn


def sandbox_ui(view: DrawView, model) -> None:
    """Occlusion, small transforms and an adversarial nudge, behind a toggle: strokes pay nothing while it is off."""
    if not st.toggle(ui.tr("sandbox.show"), key="sandbox"):
        return
    image, pred = view.prep.image, view.insp.prediction
    st.markdown(f"#### {ui.tr('sandbox.occlusion.title')}")
    drop = sandbox.occlusion(model, image, pred)
    st.html(markup.figure(mosaics.saliency_overlay(image, drop), ui.tr("sandbox.occlusion.title"), PICTURE_PX))
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
    pictures.html(markup.figure(np.repeat(changed[..., None], 3, axis=2), ui.tr("sandbox.transform.title"), 140))
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
        change = mosaics.colorize_signed(result.change * AMPLIFY, 1.0)
        st.html(draw_figures.nudge_html(view.prep.image, result.image, change, AMPLIFY, PICTURE_PX, ui.lang()))
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


@st.fragment
def explore(model, model_path: str | None, source: str) -> None:
    """Input, prediction, preprocessing steps and the inside of the network: what one stroke reruns."""
    cmap = ui.colormap()
    done = None
    if source == "draw":
        # The canvas's value is read from its state first: a stroke's whole update then leaves in one burst.
        rgba, started, drawn, seen = draw_glue.canvas_value()
        prep = surface.browser_input(canvas_to_input(rgba), seen) if rgba is not None else None
        # The browser read the drawing (seen): its overview paints every layer's maps, so the server draws none.
        done = draw_glue.compute(prep, model, cmap, None, started, canvas=True, maps=seen is None)
    # The canvas needs 280 px. draw_figures.PAGE_CSS lets the three columns wrap instead of squeezing it (a tablet,
    # or the sidebar open), and on a phone puts the answer right under the canvas.
    with st.container(key="draw_top"):
        input_col, predict_col, why_col = st.columns([1.3, 1.2, 0.8], gap="medium")
    with input_col:
        draw_glue.canvas_shown(source == "draw")
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
        done = draw_glue.compute(prep, model, cmap, label, started, canvas=False)
    view = done.view
    with predict_col, st.container(key="draw_answer"):
        prediction_ui(view)
    with why_col, st.container(key="draw_why"):
        why_ui(view, model)
    if source == "draw" and model is not None:
        # The whole network in one picture, painted in the browser from the surface's live reading; a unit
        # selected in it sets `trace`, explained below as a click on a layer's picture is.
        surface.overview(key="overview", selected=st.session_state.get("trace"))
    st.html(draw_figures.steps_html(view, ui.lang()) + done.network)
    if model is None:
        return
    trace_layer_ui(list(done.activations))
    if done.picture is not None:
        tools = trace_pick_ui(done.picture)
        trace_ui(view, done.explained, model, cmap, player="player" in tools)
    if view.insp is not None:
        sandbox_ui(view, model)


draw_glue.init_state()
st.title(ui.tr("draw.title"))
st.container(key="draw_intro").markdown(ui.tr("draw.intro"))
loaded = ui.current_model()
model_path = ui.current_model_path() if loaded else None
page_css = trace_figures.GRID_CSS + draw_figures.ANSWER_CSS + draw_figures.PAGE_CSS
pick_css = trace_html.pick_css(ui.blank_activations(loaded[0])) if loaded else ""
st.html(f"<style>{page_css}</style>{pick_css}")  # one element (docs/ARCHITECTURE.md §6)
explore(loaded[0] if loaded else None, model_path, tools_ui())
if model_path:
    st.html(draw_glue.kernels_html(model_path))
