"""Convolution lab: one layer's output size and why, the window sliding, filters on a digit, a whole network.

Layout only: the numbers come from lenet.conv's arithmetic, explain and network, the pictures from lenet.figures.lab
and the kernels and PyTorch runs from lenet.conv.ops; the settings kept in the session and the link, and the
callbacks, are lab_glue's; the network designer's tab is lab_network's. The single layer's settings live in the URL
query (DESIGN §4.2), so a link reproduces what the teacher projects.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import streamlit as st

import lab_glue as glue
import lab_network
import ui
from lenet.conv import exercise, ops
from lenet.conv.arithmetic import OPS, TRANSPOSED
from lenet.conv.explain import check_latex, explain_layer
from lenet.conv.query import LIMITS, LabSettings
from lenet.figures import lab_notes
from lenet.figures.lab import TRANSPOSED_VIEW, maps_figure, transposed_figure, window_figure

ui.ensure_shell()

PADDING_MODES = ("number", "same", "valid")
KERNEL_COLORSCALE = "PuOr_r"  # diverging, colour-blind safe: negative purple, zero white, positive orange


def show_notes(notes: list[lab_notes.Note]) -> None:
    """Explanations built by lenet.figures.lab_notes, each in the element its kind names."""
    for kind, text in notes:
        getattr(st, kind)(text)


# --- settings <-> URL --------------------------------------------------------------------------


def settings_widgets() -> LabSettings:
    """The single-layer controls; returns what they show."""
    c1, c2, c3, c4 = st.columns(4)
    c1.number_input(ui.tr("lab.height"), *LIMITS["height"], step=1, key="lab_height")
    c2.number_input(ui.tr("lab.width"), *LIMITS["width"], step=1, key="lab_width")
    c3.number_input(
        ui.tr("lab.channels"), *LIMITS["in_channels"], step=1, key="lab_channels", help=ui.tr("lab.channels.help")
    )
    op = c4.selectbox(ui.tr("lab.op"), OPS, format_func=ui.option_labels("lab.op.", OPS).get, key="lab_op")
    c1, c2, c3, c4 = st.columns(4)
    c1.number_input(ui.tr("lab.kernel"), *LIMITS["kernel"], step=1, key="lab_kernel", help=ui.tr("lab.kernel.help"))
    c2.number_input(
        ui.tr("lab.filters"),
        *LIMITS["out_channels"],
        step=1,
        key="lab_filters",
        help=ui.tr("lab.filters.help"),
        disabled=op not in glue.LEARNED,
    )
    c3.number_input(ui.tr("lab.stride"), *LIMITS["stride"], step=1, key="lab_stride", help=ui.tr("lab.stride.help"))
    c4.number_input(
        ui.tr("lab.dilation"), *LIMITS["dilation"], step=1, key="lab_dilation", help=ui.tr("lab.dilation.help")
    )
    return glue.widget_settings(op, padding_widgets(op))


def padding_widgets(op: str) -> str:
    """The padding, ceil-mode and output-padding controls; returns the padding mode."""
    c1, c2, c3, c4 = st.columns(4)
    mode = c1.selectbox(
        ui.tr("lab.padding_mode"),
        PADDING_MODES,
        key="lab_padding_mode",
        format_func=ui.option_labels("lab.padding_mode.", PADDING_MODES).get,
    )
    c2.number_input(
        ui.tr("lab.padding"),
        *LIMITS["padding"],
        step=1,
        key="lab_padding",
        help=ui.tr("lab.padding.help"),
        disabled=mode != "number",
    )
    ceil_help = {"conv": "lab.ceil.conv", TRANSPOSED: "lab.ceil.transposed"}.get(op, "lab.ceil.help")
    c3.checkbox(ui.tr("lab.ceil"), key="lab_ceil", disabled=op in glue.LEARNED, help=ui.tr(ceil_help))
    c4.number_input(
        ui.tr("lab.output_padding"),
        *LIMITS["output_padding"],
        step=1,
        key="lab_output_padding",
        help=ui.tr("lab.output_padding.help"),
        disabled=op != TRANSPOSED,
    )
    return mode


def show_query_problems(settings: LabSettings) -> None:
    shown_for, problems = st.session_state.get("lab_problems", ({}, []))
    if shown_for != settings.to_query():
        return
    for p in problems:
        st.warning(ui.tr(f"lab.query.{p.code}", setting=p.key, value=p.value, used=p.used))


# --- the result -----------------------------------------------------------------------------------


def show_result(report, settings: LabSettings) -> None:
    with st.container(key="lab_output", border=True):
        if not report.ok:
            st.error(ui.tr("lab.invalid", reason=ui.tr_error(report.error)))
            show_notes(lab_notes.suggestion_notes(report, ui.lang()))
            return
        channels, out_h, out_w = report.output
        st.subheader(ui.tr("lab.result", h=out_h, w=out_w, c=channels))
        st.caption(ui.tr("lab.result.input", h=settings.height, w=settings.width, c=settings.in_channels))
        if report.transposed:  # its formula next to the conv it undoes, and why output_padding exists
            show_notes(lab_notes.transposed_notes(report, settings, ui.lang()))
            cost_metrics(report, settings)
            return
        show_notes(lab_notes.formula_notes(report, settings, ui.lang()))
        if settings.op == "conv":
            cost_metrics(report, settings)
        else:
            left, right = st.columns(2)
            left.metric(ui.tr("lab.params"), "0", help=ui.tr("lab.params.pool"))
            right.metric(ui.tr(f"lab.reads.{settings.op}"), f"{report.macs:,}")
        show_notes(lab_notes.fit_notes(report, ui.lang()) + lab_notes.suggestion_notes(report, ui.lang()))


def cost_metrics(report, settings: LabSettings) -> None:
    """A learned layer's parameters and multiply-adds, with how they are counted."""
    _, out_h, out_w = report.output
    # a transposed conv multiplies every input pixel by every filter: count over the input, not the output
    h, w = (settings.height, settings.width) if report.transposed else (out_h, out_w)
    k, c, f = settings.kernel, settings.in_channels, settings.out_channels
    left, right = st.columns(2)
    left.metric(ui.tr("lab.params"), f"{report.params:,}", help=ui.tr("lab.params.help", f=f, c=c, k=k))
    right.metric(ui.tr("lab.macs"), f"{report.macs:,}", help=ui.tr("lab.macs.help", h=h, w=w, f=f, c=c, k=k))


def show_ideas() -> None:
    with st.expander(ui.tr("lab.learn.title")):
        for idea in ("filter", "depth", "stride", "padding", "same_valid", "pooling", "strided", "transposed"):
            st.markdown(ui.tr(f"lab.learn.{idea}"))


# --- the digit and the picture ----------------------------------------------------------------------


def choose_kernels(settings: LabSettings) -> np.ndarray:
    """The filters for the digit demo, from the preset picked (conv only), with notes on what is shown."""
    preset = st.selectbox(
        ui.tr("lab.preset"), ops.PRESETS, format_func=ui.option_labels("lab.preset.", ops.PRESETS).get, key="lab_preset"
    )
    shown = min(settings.out_channels, ops.MAX_MAPS)
    if preset == "trained":
        loaded = ui.current_model()  # says itself why there is none
        weights = loaded[0].kernels("C1") if loaded else None
        if weights is None:
            st.info(ui.tr("lab.preset.no_model"))
        elif weights.shape[-1] != settings.kernel:
            st.info(ui.tr("lab.preset.trained_size", k=weights.shape[-1]))
            st.button(
                ui.tr("lab.preset.use_size", k=weights.shape[-1]),
                on_click=glue.use_trained_size,
                args=(int(weights.shape[-1]),),
                key="lab_use_trained_size",
            )
        else:
            if weights.shape[0] < shown:
                st.caption(ui.tr("lab.preset.trained_fewer", n=weights.shape[0]))
            return ops.preset_kernels("trained", settings.kernel, shown, trained=weights)
        preset = "random"
    if preset in ops.SINGLE_PRESETS and settings.out_channels > 1:
        st.caption(ui.tr("lab.preset.single", depth=settings.out_channels))
    return ops.preset_kernels(preset, settings.kernel, shown)


def digit_tab(report, settings: LabSettings) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The layer on a real digit. Returns (input image, first output map) for the picture, or Nones."""
    if not report.ok:
        st.info(ui.tr("lab.picture.invalid"))
        return None, None
    if max(settings.height, settings.width) > ops.DIGIT_LIMIT:
        st.info(ui.tr("lab.digit.too_big", n=ops.DIGIT_LIMIT))
        return None, None
    if max(report.output[1:]) > ops.DIGIT_OUTPUT_LIMIT:  # a transposed conv can grow a map many times over
        st.info(ui.tr("lab.digit.too_big_output", h=report.output[1], w=report.output[2]))
        return None, None
    digits, real = ui.example_digits()
    if not real:
        st.caption(ui.tr("lab.digit.synthetic"))
    if st.session_state.get("lab_digit") not in digits:
        st.session_state["lab_digit"] = next(iter(digits))
    left, right = st.columns(2)
    with left:
        label = st.selectbox(ui.tr("lab.digit.pick"), list(digits), key="lab_digit")
    image = ops.fit_image(digits[label], settings.height, settings.width)
    if (settings.height, settings.width) != (28, 28):
        st.caption(ui.tr("lab.digit.resized", h=settings.height, w=settings.width))
    if settings.op in glue.LEARNED:
        with right:
            kernels = choose_kernels(settings)
        if settings.in_channels > 1:
            st.caption(ui.tr("lab.digit.one_channel"))
        maps = ops.apply_layer(image, settings, kernels)
        titles = [ui.tr("lab.digit.map", i=i + 1) for i in range(len(maps))]
    else:
        kernels = None
        maps = ops.apply_layer(image, settings)
        titles = [ui.tr("lab.digit.pooled")]
    st.plotly_chart(maps_figure([image, *maps], [ui.tr("lab.digit.input"), *titles], ui.colormap()), width="stretch")
    if len(maps) == ops.MAX_MAPS < settings.out_channels:
        st.caption(ui.tr("lab.digit.more", shown=len(maps), total=settings.out_channels))
    if kernels is not None:
        st.markdown(ui.tr("lab.kernels"))
        st.plotly_chart(
            maps_figure(
                kernels, [ui.tr("lab.kernel_n", i=i + 1) for i in range(len(kernels))], KERNEL_COLORSCALE, zmid=0.0
            ),
            width="stretch",
        )
    return image, maps[0]


def transposed_picture(report) -> None:
    """Which output cells each input pixel paints, and the input spread out by the stride."""
    st.caption(ui.tr("lab.picture.tr.caption"))
    labels = lab_notes.picture_labels(ui.lang(), ("spread", "padding", "play", "pause", "position"))
    labels |= {"input": ui.tr("lab.digit.input"), "output": ui.tr("lab.picture.painted")}
    view = transposed_figure(report, labels, ui.colormap())
    if view is None:
        st.info(ui.tr("lab.picture.tr.too_big"))
        return
    if view.clipped:
        st.caption(
            ui.tr("lab.picture.tr.clipped", h=min(report.height, TRANSPOSED_VIEW), w=min(report.width, TRANSPOSED_VIEW))
        )
    st.plotly_chart(view.figure, width="stretch")


def picture_tab(report, settings: LabSettings, image, output) -> None:
    if not report.ok:
        st.info(ui.tr("lab.picture.invalid"))
        return
    if report.transposed:
        transposed_picture(report)
        return
    st.caption(ui.tr("lab.picture.caption"))
    if image is None:  # too large for the digit demo: the grid and the window's path are the point here
        image = np.zeros((settings.height, settings.width), dtype=np.float32)
        output = np.zeros(report.output[1:], dtype=np.float32)
    view = window_figure(report, image, output, lab_notes.picture_labels(ui.lang()), ui.colormap())
    if view is None:
        st.info(ui.tr("lab.picture.too_big", span=max(report.rows.span, report.cols.span)))
        return
    if view.clipped:
        h, w = (len(view.figure.data[0].z), len(view.figure.data[0].z[0]))
        st.caption(ui.tr("lab.picture.clipped", h=h, w=w, n=view.positions))
    st.plotly_chart(view.figure, width="stretch")


# --- guess, then reveal ---------------------------------------------------------------------------


def reveal(ex: exercise.Exercise, verdict) -> None:
    """Right or wrong, then the formula and the picture (or why the layer cannot work)."""
    report = ex.report()
    with st.container(key="lab_result", border=True):
        if not verdict.readable:
            st.warning(ui.tr("lab.ex.unreadable"))
            return
        answer = ui.tr("lab.ex.no_fit") if ex.answer is None else f"{ex.answer[0]}×{ex.answer[1]}"
        (st.success if verdict.correct else st.error)(
            ui.tr("lab.ex.right" if verdict.correct else "lab.ex.wrong", answer=answer)
        )
        if not report.ok:
            st.markdown(ui.tr("lab.ex.why_not", reason=ui.tr_error(report.error)))
            return
        st.markdown(ui.tr("lab.formula"))
        for formula in report.formulas():
            st.latex(formula)
        if not report.exact:
            st.caption(ui.tr("lab.ex.rounded"))
            st.latex(check_latex(report.cols))
        shape = report.output[1:]
        labels = lab_notes.picture_labels(ui.lang())
        view = window_figure(report, np.zeros((ex.size, ex.size)), np.zeros(shape), labels, ui.colormap())
        if view is not None:
            st.plotly_chart(view.figure, width="stretch", key="lab_ex_picture")


def exercise_ui() -> None:
    """A layer to size up, a box for the guess, the score, and the reveal once checked."""
    seed, shared = glue.exercise_seed()
    st.caption(ui.tr("lab.ex.intro"))
    level = st.radio(
        ui.tr("lab.ex.level"),
        exercise.LEVELS,
        horizontal=True,
        key="lab_ex_level",
        format_func=ui.option_labels("lab.ex.level.", exercise.LEVELS).get,
    )
    index = st.session_state.get("lab_ex_index", {}).get(level, 0)
    ex = exercise.make_exercise(seed, level, index)
    with st.container(key="lab_exercise", border=True):
        st.markdown(lab_notes.question_text(ex, ui.lang()))
    st.text_input(ui.tr("lab.ex.answer"), key="lab_answer", placeholder=ui.tr("lab.ex.placeholder"))
    left, right = st.columns(2)
    left.button(ui.tr("lab.ex.check"), key="lab_check", type="primary", on_click=glue.check_clicked, args=(ex,))
    right.button(ui.tr("lab.ex.next"), key="lab_next", on_click=glue.next_exercise, args=(level,))
    scored = st.session_state.get("lab_ex_scored", {})
    st.metric(ui.tr("lab.ex.score"), f"{sum(scored.values())} / {len(scored)}")
    last = st.session_state.get("lab_ex_verdict")
    if last is not None and last[0] == ex:
        reveal(*last)
    st.caption(ui.tr("lab.ex.shared" if shared else "lab.ex.share", seed=seed))


# --- the page -------------------------------------------------------------------------------------

st.title(ui.tr("nav.conv_lab"))
st.caption(ui.tr("lab.intro"))

shared_exercises = "exercise" in st.query_params
if shared_exercises:  # a teacher's link: the class starts with the exercises
    st.subheader(ui.tr("lab.ex.title"))
    exercise_ui()
glue.load_settings_into_widgets()
st.subheader(ui.tr("lab.layer.title"))
settings = settings_widgets()
glue.write_query(settings)
show_query_problems(settings)
report = explain_layer(**dataclasses.asdict(settings))
show_result(report, settings)
st.caption(ui.tr("lab.link"))
show_ideas()

titles = [ui.tr("lab.picture.title"), ui.tr("lab.digit.title"), ui.tr("lab.net.title")]
tabs = st.tabs(titles if shared_exercises else [*titles, ui.tr("lab.ex.title")])
with tabs[1]:  # first, so the picture can show the digit and the filter picked here
    digit_image, first_map = digit_tab(report, settings)
with tabs[0]:
    picture_tab(report, settings, digit_image, first_map)
with tabs[2]:
    lab_network.network_tab()
if not shared_exercises:
    with tabs[3]:
        exercise_ui()
