"""Convolution lab: one layer's output size and why, the window sliding, filters on a digit, a whole network.

UI only: the numbers come from lenet.conv's arithmetic, explain and network, the pictures from lenet.figures.lab
and the kernels and PyTorch runs from lenet.conv.ops. The single
layer's settings live in the URL query (DESIGN §4.2), so a link reproduces what the teacher projects.
"""

from __future__ import annotations

import random
import re

import numpy as np
import pandas as pd
import streamlit as st

import ui
from lenet.config import POOLS, LeNetConfig
from lenet.conv import exercise, export, ops
from lenet.conv.arithmetic import OPS, TRANSPOSED, index_ranges, stride_fit
from lenet.conv.explain import check_latex, explain_layer, formula_latex, output_padding_choices
from lenet.conv.network import CHECK_PARAM_LIMIT, NETWORK_LIMITS, LayerRow, total_params, totals
from lenet.conv.query import LIMITS, LabSettings, settings_from_query
from lenet.figures.lab import TRANSPOSED_VIEW, maps_figure, transposed_figure, window_figure

ui.ensure_shell()

PADDING_MODES = ("number", "same", "valid")
PRESET_DEFAULT = "edge_horizontal"
KERNEL_COLORSCALE = "PuOr_r"  # diverging, colour-blind safe: negative purple, zero white, positive orange
INVALID_STYLE = "background-color: #fdb863; color: #000000; font-weight: bold"  # PuOr's orange: visible to every eye
UNREACHABLE_STYLE = "color: #767676; font-style: italic"  # 4.5:1 on white (WCAG AA)
MAX_RUNS_LISTED = 6  # "rows 3, 7, 11, …": enough to see the pattern on a projector

NET_LAYERS = ("c1", "c3", "c5")
NET_FIELDS = ("channels", "kernel", "stride", "padding")


def lines_text(indices) -> str:
    """Indices as 1-based runs for people: (26, 27) -> "27–28"."""
    runs = index_ranges(indices)
    parts = [str(a + 1) if a == b else f"{a + 1}–{b + 1}" for a, b in runs[:MAX_RUNS_LISTED]]
    return ", ".join(parts) + (", …" if len(runs) > MAX_RUNS_LISTED else "")


# --- settings <-> URL --------------------------------------------------------------------------

WIDGETS = {
    "height": "lab_height",
    "width": "lab_width",
    "in_channels": "lab_channels",
    "op": "lab_op",
    "kernel": "lab_kernel",
    "out_channels": "lab_filters",
    "stride": "lab_stride",
    "dilation": "lab_dilation",
    "ceil_mode": "lab_ceil",
    "output_padding": "lab_output_padding",
}
LEARNED = ("conv", TRANSPOSED)  # the ops with filters


def load_settings_into_widgets() -> None:
    """Fill the widgets from the URL when it holds something they do not show yet.

    That is the first run of a session (a shared link), or a return to this page, whose URL
    navigation has emptied: then the settings last shown in this session come back.
    """
    query = st.query_params.to_dict()
    if not query:
        query = st.session_state.get("lab_last_query", {})
    present = all(key in st.session_state for key in (*WIDGETS.values(), "lab_padding_mode", "lab_padding"))
    if present and query == st.session_state.get("lab_seen"):
        return
    settings, problems = settings_from_query(query)
    for field, key in WIDGETS.items():
        st.session_state[key] = getattr(settings, field)
    mode = settings.padding if isinstance(settings.padding, str) else "number"
    st.session_state["lab_padding_mode"] = mode
    st.session_state["lab_padding"] = settings.padding if mode == "number" else 0
    # the problems are shown for as long as the settings they led to stay unchanged
    st.session_state["lab_problems"] = (settings.to_query(), problems)


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
        disabled=op not in LEARNED,
    )
    c3.number_input(ui.tr("lab.stride"), *LIMITS["stride"], step=1, key="lab_stride", help=ui.tr("lab.stride.help"))
    c4.number_input(
        ui.tr("lab.dilation"), *LIMITS["dilation"], step=1, key="lab_dilation", help=ui.tr("lab.dilation.help")
    )
    mode = padding_widgets(op)
    state = st.session_state
    return LabSettings(
        height=int(state["lab_height"]),
        width=int(state["lab_width"]),
        kernel=int(state["lab_kernel"]),
        stride=int(state["lab_stride"]),
        padding=int(state["lab_padding"]) if mode == "number" else mode,
        dilation=int(state["lab_dilation"]),
        op=op,
        ceil_mode=bool(state["lab_ceil"]) and op not in LEARNED,
        in_channels=int(state["lab_channels"]),
        out_channels=int(state["lab_filters"]),
        output_padding=int(state["lab_output_padding"]) if op == TRANSPOSED else 0,
    )


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
    c3.checkbox(ui.tr("lab.ceil"), key="lab_ceil", disabled=op in LEARNED, help=ui.tr(ceil_help))
    c4.number_input(
        ui.tr("lab.output_padding"),
        *LIMITS["output_padding"],
        step=1,
        key="lab_output_padding",
        help=ui.tr("lab.output_padding.help"),
        disabled=op != TRANSPOSED,
    )
    return mode


def write_query(settings: LabSettings) -> None:
    query = settings.to_query()
    if "exercise" in st.query_params:  # a teacher's exercise link keeps its seed while the layer changes
        query["exercise"] = str(st.query_params["exercise"])[:20]
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)
    st.session_state["lab_seen"] = query
    st.session_state["lab_last_query"] = query


def show_query_problems(settings: LabSettings) -> None:
    shown_for, problems = st.session_state.get("lab_problems", ({}, []))
    if shown_for != settings.to_query():
        return
    for p in problems:
        st.warning(ui.tr(f"lab.query.{p.code}", setting=p.key, value=p.value, used=p.used))


# --- the result -----------------------------------------------------------------------------------


def show_suggestions(report) -> None:
    if not report.suggestions:
        return
    exact = any(s.exact for s in report.suggestions)
    items = []
    for s in report.suggestions:
        ((name, value),) = s.changes.items()
        change = ui.tr(f"lab.change.{name}", value=value)
        items.append("- " + ui.tr("lab.suggest.item", change=change, h=s.output[0], w=s.output[1]))
    st.markdown(ui.tr("lab.suggest" if exact else "lab.suggest.working") + "\n" + "\n".join(items))


def show_fit(report) -> None:
    """The tutorial's integer check for each axis that does not tile, and what is never read."""
    square = report.height == report.width  # one message for both axes: they tile alike
    axes = [(report.cols, "both")] if square else [(report.rows, "rows"), (report.cols, "cols")]
    if all(fit.exact for fit, _ in axes):
        st.success(ui.tr("lab.fit.exact"))
    for fit, axis in axes:
        if fit.exact:
            continue
        ceil = report.op != "conv" and report.ceil_mode
        st.info(ui.tr("lab.fit.ceil" if ceil else "lab.fit.not_exact", axis=ui.tr(f"lab.axis.{axis}"), out=fit.output))
        st.latex(check_latex(fit))
        if fit.trimmed:
            st.caption(ui.tr("lab.fit.trimmed"))
    for fit, axis in ((report.rows, "rows"), (report.cols, "cols")):
        if fit.uncovered_tail:
            st.warning(ui.tr(f"lab.uncovered.{axis}", lines=lines_text(fit.uncovered_tail)))
        elif fit.dropped and not fit.exact and not (square and axis == "rows"):
            st.caption(ui.tr("lab.uncovered.padding_only", axis=ui.tr(f"lab.axis.{'both' if square else axis}")))
        if fit.uncovered_gaps:
            if report.stride > fit.span:
                st.warning(ui.tr(f"lab.gaps.{axis}", lines=lines_text(fit.uncovered_gaps)))
            else:
                st.warning(
                    ui.tr(
                        "lab.gaps.dilation",
                        d=report.dilation,
                        axis=ui.tr(f"lab.axis.{axis}"),
                        lines=lines_text(fit.uncovered_gaps),
                    )
                )


def show_result(report, settings: LabSettings) -> None:
    with st.container(key="lab_output", border=True):
        if not report.ok:
            st.error(ui.tr("lab.invalid", reason=ui.tr_error(report.error)))
            show_suggestions(report)
            return
        channels, out_h, out_w = report.output
        st.subheader(ui.tr("lab.result", h=out_h, w=out_w, c=channels))
        st.caption(ui.tr("lab.result.input", h=settings.height, w=settings.width, c=settings.in_channels))
        if report.transposed:
            show_transposed(report, settings)
            return
        st.markdown(ui.tr("lab.formula"))
        for formula in report.formulas():
            st.latex(formula)
        if settings.padding == "same":
            fit = report.cols
            st.caption(ui.tr("lab.formula.same", total=fit.before + fit.after, before=fit.before, after=fit.after))
        if settings.dilation > 1:
            st.caption(ui.tr("lab.formula.dilation", span=report.cols.span))
        if settings.op == "conv":
            cost_metrics(report, settings)
        else:
            left, right = st.columns(2)
            left.metric(ui.tr("lab.params"), "0", help=ui.tr("lab.params.pool"))
            right.metric(ui.tr(f"lab.reads.{settings.op}"), f"{report.macs:,}")
        show_fit(report)
        show_suggestions(report)


def cost_metrics(report, settings: LabSettings) -> None:
    """A learned layer's parameters and multiply-adds, with how they are counted."""
    _, out_h, out_w = report.output
    # a transposed conv multiplies every input pixel by every filter: count over the input, not the output
    h, w = (settings.height, settings.width) if report.transposed else (out_h, out_w)
    k, c, f = settings.kernel, settings.in_channels, settings.out_channels
    left, right = st.columns(2)
    left.metric(ui.tr("lab.params"), f"{report.params:,}", help=ui.tr("lab.params.help", f=f, c=c, k=k))
    right.metric(ui.tr("lab.macs"), f"{report.macs:,}", help=ui.tr("lab.macs.help", h=h, w=w, f=f, c=c, k=k))


def choices_text(choices: list[tuple[int, int]]) -> str:
    """The choices as one phrase in the current language: output padding 0 gives 25 and output padding 1 gives 26."""
    items = [ui.tr("lab.tr.why.choice", op=op, size=size) for op, size in choices]
    text = items[0]
    for i, item in enumerate(items[1:], start=2):
        text = ui.tr("lab.tr.why.last" if i == len(items) else "lab.tr.why.more", rest=text, next=item)
    return text


def why_output_padding(report) -> None:
    """The sizes one convolution maps to the same output, every output padding that picks one, and this pick."""
    if report.stride == 1:
        st.markdown(ui.tr("lab.tr.why.stride1"))
        if report.output_padding:  # a dilation above 1 allows an output padding that no stride asks for
            _, out_h, out_w = report.output
            st.markdown(ui.tr("lab.tr.why.picked", op=report.output_padding, chosen=f"{out_h}×{out_w}"))
        return
    axes = (
        [(report.cols, "width")] if report.height == report.width else [(report.rows, "height"), (report.cols, "width")]
    )
    for axis, name in axes:
        choices = output_padding_choices(axis)
        text = ui.tr(
            "lab.tr.why",
            s=axis.stride,
            axis=ui.tr(f"lab.axis.{name}"),
            sizes=", ".join(str(size) for _, size in choices),
            n=axis.size,
            choices=choices_text(choices),
        )
        if axis.output_padding:
            picked = ui.tr("lab.tr.why.picked", op=axis.output_padding, chosen=axis.output)
            text = ui.tr("lab.tr.why.then", why=text, picked=picked)
        st.markdown(text)


def show_transposed(report, settings: LabSettings) -> None:
    """A transposed conv's formula, next to the conv it undoes, and why output_padding exists."""
    _, out_h, out_w = report.output
    back_h, back_w = report.undone
    # one under the other, not side by side: each formula needs the full width to be read on a phone
    st.markdown(ui.tr("lab.tr.formula"))
    for formula in report.formulas():
        st.latex(formula)
    st.markdown(ui.tr("lab.tr.undo"))
    conv = dict(kernel=settings.kernel, stride=settings.stride, padding=report.rows.padding, dilation=settings.dilation)
    axes = [(out_w, "W")] if settings.height == settings.width else [(out_h, "H"), (out_w, "W")]
    for size, symbol in axes:
        st.latex(formula_latex(stride_fit(size, **conv), symbol=symbol))
    if (back_h, back_w) == (settings.height, settings.width):
        st.success(ui.tr("lab.tr.back", h=settings.height, w=settings.width, oh=out_h, ow=out_w))
    else:
        st.info(
            ui.tr(
                "lab.tr.not_back",
                op=settings.output_padding,
                s=settings.stride,
                bh=back_h,
                bw=back_w,
                h=settings.height,
                w=settings.width,
            )
        )
    st.markdown(ui.tr("lab.tr.how", gap=settings.stride - 1, inner=report.rows.inner_padding))
    why_output_padding(report)
    cost_metrics(report, settings)


def show_ideas() -> None:
    with st.expander(ui.tr("lab.learn.title")):
        for idea in ("filter", "depth", "stride", "padding", "same_valid", "pooling", "strided", "transposed"):
            st.markdown(ui.tr(f"lab.learn.{idea}"))


# --- the digit and the picture ----------------------------------------------------------------------


def use_trained_size(size: int) -> None:
    st.session_state["lab_kernel"] = size


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
                on_click=use_trained_size,
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
    if settings.op in LEARNED:
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
    names = ("spread", "padding", "play", "pause", "position")
    labels = {name: ui.tr(f"lab.picture.{name}") for name in names}
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
    labels = {
        name: ui.tr(f"lab.picture.{name}") for name in ("input", "output", "padding", "play", "pause", "position")
    }
    view = window_figure(report, image, output, labels, ui.colormap())
    if view is None:
        st.info(ui.tr("lab.picture.too_big", span=max(report.rows.span, report.cols.span)))
        return
    if view.clipped:
        h, w = (len(view.figure.data[0].z), len(view.figure.data[0].z[0]))
        st.caption(ui.tr("lab.picture.clipped", h=h, w=w, n=view.positions))
    st.plotly_chart(view.figure, width="stretch")


# --- guess, then reveal ---------------------------------------------------------------------------


def exercise_seed() -> tuple[int, bool]:
    """(seed, shared): the teacher's `exercise=SEED` from the link, else this session's own random seed."""
    text = str(st.query_params.get("exercise", "")).strip()
    if re.fullmatch(r"\d{1,9}", text):
        return int(text), True
    if "lab_ex_seed" not in st.session_state:
        st.session_state["lab_ex_seed"] = random.randrange(exercise.SEED_LIMIT)
    return st.session_state["lab_ex_seed"], False


def next_exercise(level: str) -> None:
    positions = st.session_state.setdefault("lab_ex_index", {})
    positions[level] = positions.get(level, 0) + 1
    st.session_state["lab_answer"] = ""
    st.session_state.pop("lab_ex_verdict", None)


def question_text(ex: exercise.Exercise) -> str:
    padding = ui.tr("lab.ex.padding_same") if ex.padding == "same" else str(ex.padding)
    return ui.tr(
        "lab.ex.question",
        n=ex.index + 1,
        op=ui.tr(f"lab.op.{ex.op}").lower(),
        size=ex.size,
        k=ex.kernel,
        s=ex.stride,
        p=padding,
        d=ex.dilation,
    )


def check_clicked(ex: exercise.Exercise) -> None:
    """Score a readable answer once per exercise; an unreadable one is only pointed out."""
    verdict = exercise.check_answer(ex, st.session_state.get("lab_answer", ""))
    st.session_state["lab_ex_verdict"] = (ex, verdict)
    scored = st.session_state.setdefault("lab_ex_scored", {})
    key = (ex.level, ex.index)
    if verdict.readable and key not in scored:
        scored[key] = verdict.correct


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
        labels = {
            name: ui.tr(f"lab.picture.{name}") for name in ("input", "output", "padding", "play", "pause", "position")
        }
        view = window_figure(report, np.zeros((ex.size, ex.size)), np.zeros(shape), labels, ui.colormap())
        if view is not None:
            st.plotly_chart(view.figure, width="stretch", key="lab_ex_picture")


def exercise_ui() -> None:
    """A layer to size up, a box for the guess, the score, and the reveal once checked."""
    seed, shared = exercise_seed()
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
        st.markdown(question_text(ex))
    st.text_input(ui.tr("lab.ex.answer"), key="lab_answer", placeholder=ui.tr("lab.ex.placeholder"))
    left, right = st.columns(2)
    left.button(ui.tr("lab.ex.check"), key="lab_check", type="primary", on_click=check_clicked, args=(ex,))
    right.button(ui.tr("lab.ex.next"), key="lab_next", on_click=next_exercise, args=(level,))
    scored = st.session_state.get("lab_ex_scored", {})
    st.metric(ui.tr("lab.ex.score"), f"{sum(scored.values())} / {len(scored)}")
    last = st.session_state.get("lab_ex_verdict")
    if last is not None and last[0] == ex:
        reveal(*last)
    st.caption(ui.tr("lab.ex.shared" if shared else "lab.ex.share", seed=seed))


# --- the whole network ------------------------------------------------------------------------------


def net_key(layer: str, field: str) -> str:
    return f"lab_net_{layer}_{field}"


def reset_network() -> None:
    default = LeNetConfig()
    for layer in NET_LAYERS:
        for field in NET_FIELDS:
            st.session_state[net_key(layer, field)] = getattr(default, f"{layer}_{field}")
    st.session_state["lab_net_pool"] = default.pool
    st.session_state["lab_net_pool_size"] = default.pool_size
    st.session_state["lab_net_f6_units"] = default.f6_units


def network_controls() -> dict:
    """Per-layer controls; returns the LeNetConfig fields they set."""
    if any(net_key(layer, field) not in st.session_state for layer in NET_LAYERS for field in NET_FIELDS):
        reset_network()
    fields = {}
    for column, layer in zip(st.columns(3), NET_LAYERS, strict=True):
        for field in NET_FIELDS:
            fields[f"{layer}_{field}"] = int(
                column.number_input(
                    ui.tr(f"lab.net.layer_{field}", name=layer.upper()),
                    *NETWORK_LIMITS[field],
                    step=1,
                    key=net_key(layer, field),
                )
            )
    c1, c2, c3, c4 = st.columns(4)
    fields["pool"] = c1.selectbox(
        ui.tr("lab.net.pool"), POOLS, format_func=ui.option_labels("lab.net.pool.", POOLS).get, key="lab_net_pool"
    )
    fields["pool_size"] = int(
        c2.number_input(ui.tr("lab.net.pool_size"), *NETWORK_LIMITS["pool_size"], step=1, key="lab_net_pool_size")
    )
    fields["f6_units"] = int(
        c3.number_input(ui.tr("lab.net.f6"), *NETWORK_LIMITS["f6_units"], step=1, key="lab_net_f6_units")
    )
    c4.button(ui.tr("lab.net.reset"), on_click=reset_network)
    return fields


def row_what(row: LayerRow, fields: dict) -> str:
    if row.kind == "input":
        return ui.tr("lab.net.what.input")
    if row.kind == "fc":
        return ui.tr("lab.net.what.fc", n=fields.get("f6_units") if row.name == "F6" else LeNetConfig.num_classes)
    if row.kind == "pool":
        return ui.tr(f"lab.net.what.{fields['pool']}", k=fields["pool_size"])
    layer = row.name.lower()
    return ui.tr(
        "lab.net.what.conv",
        c=fields[f"{layer}_channels"],
        k=fields[f"{layer}_kernel"],
        s=fields[f"{layer}_stride"],
        p=fields[f"{layer}_padding"],
    )


def unreachable(row: LayerRow) -> bool:
    """Whether the row has no shapes because an earlier layer fails."""
    return row.error is not None and row.error.code == "unreachable"


def shape_text(shape) -> str:
    return "×".join(str(n) for n in shape) if shape else "—"


def memory_text(n: int) -> str:
    """Bytes for people: 3136 -> "3.1 kB"."""
    return f"{n:,} B" if n < 1000 else f"{n / 1000:,.1f} kB" if n < 1_000_000 else f"{n / 1_000_000:,.2f} MB"


def cost_text(row: LayerRow, value: int, text) -> str:
    """A cost cell: the value in words, or a dash when the layer has no shape to cost."""
    return text(value) if row.output is not None else "—"


def row_status(row: LayerRow) -> str:
    if row.error is None:
        return ui.tr("lab.net.ok")
    if unreachable(row):
        return ui.tr("lab.net.unreachable")
    return ui.tr("lab.net.bad", reason=ui.tr_error(row.error))


def network_table_view(rows: list[LayerRow], fields: dict) -> None:
    status = [row_status(r) for r in rows]
    frame = pd.DataFrame(
        {
            ui.tr("lab.net.col.layer"): [r.name for r in rows],
            ui.tr("lab.net.col.what"): [row_what(r, fields) for r in rows],
            ui.tr("lab.net.col.output"): [shape_text(r.output) for r in rows],
            ui.tr("lab.net.col.params"): [f"{r.params:,}" for r in rows],
            ui.tr("lab.net.col.receptive"): [cost_text(r, r.receptive, lambda n: f"{n}×{n}") for r in rows],
            ui.tr("lab.net.col.macs"): [cost_text(r, r.macs, "{:,}".format) for r in rows],
            ui.tr("lab.net.col.memory"): [cost_text(r, r.memory, memory_text) for r in rows],
            ui.tr("lab.net.col.status"): status,
        }
    )
    styles = ["" if r.error is None else UNREACHABLE_STYLE if unreachable(r) else INVALID_STYLE for r in rows]
    styled = frame.style.apply(lambda column: styles, axis=0)
    # the reason is the column people need to read in full; the layer name and numbers are short
    widths = {
        ui.tr("lab.net.col.layer"): "small",
        ui.tr("lab.net.col.params"): "small",
        ui.tr("lab.net.col.status"): "large",
    }
    st.dataframe(
        styled,
        hide_index=True,
        width="stretch",
        column_config={name: st.column_config.Column(width=w) for name, w in widths.items()},
    )


def pytorch_check(rows: list[LayerRow], config: LeNetConfig | None) -> None:
    with st.expander(ui.tr("lab.net.check")):
        st.caption(ui.tr("lab.net.check_intro"))
        if config is None:
            st.info(ui.tr("lab.net.check_invalid"))
            return
        params = total_params(rows)
        if params > CHECK_PARAM_LIMIT:
            st.info(ui.tr("lab.net.check_too_big", n=f"{params:,}"))
            return
        if not st.button(ui.tr("lab.net.check_run"), key="lab_net_check"):
            return
        shapes = ops.pytorch_shapes(config)
        table = pd.DataFrame(
            {
                ui.tr("lab.net.col.layer"): [r.name for r in rows[1:]],
                ui.tr("lab.net.col.arithmetic"): [shape_text(r.output) for r in rows[1:]],
                ui.tr("lab.net.col.pytorch"): [shape_text(shapes.get(r.name)) for r in rows[1:]],
            }
        )
        st.dataframe(table, hide_index=True, width="stretch")
        different = [r.name for r in rows[1:] if shapes.get(r.name) != r.output]
        if different:
            st.error(ui.tr("lab.net.check_diff", names=", ".join(different)))
        else:
            st.success(ui.tr("lab.net.check_ok"))


def export_ui(config: LeNetConfig | None) -> None:
    """The designed network as a self-contained PyTorch file (st.code has a copy button)."""
    with st.expander(ui.tr("lab.net.export")):
        if config is None:
            st.info(ui.tr("lab.net.export_invalid"))
            return
        source = export.network_source(config)
        st.caption(ui.tr("lab.net.export_help"))
        st.code(source, language="python")
        st.download_button(
            ui.tr("lab.net.export_download"),
            source,
            file_name="lenet_network.py",
            mime="text/x-python",
            key="lab_net_download",
        )


def network_tab() -> None:
    st.caption(ui.tr("lab.net.intro"))
    fields = network_controls()
    rows = LeNetConfig.unchecked(**fields).table()
    network_table_view(rows, fields)
    st.markdown(ui.tr("lab.net.total", n=f"{total_params(rows):,}"))
    params, macs, memory = totals(rows)
    st.caption(ui.tr("lab.net.costs", params=f"{params:,}", macs=f"{macs:,}", memory=memory_text(memory)))
    failed = next((r for r in rows if r.error is not None and not unreachable(r)), None)
    config = None
    if failed is not None:
        st.error(ui.tr("lab.net.failed", name=failed.name, reason=ui.tr_error(failed.error)))
    else:
        try:
            config = LeNetConfig(**fields)
        except ValueError as exc:  # the table found nothing, so this is a field it does not cover
            st.error(str(exc))
    if st.button(
        ui.tr("lab.net.train"),
        type="primary",
        disabled=config is None,
        help=ui.tr("lab.net.train_help"),
        key="lab_net_train",
    ):
        st.session_state["train_config"] = config.to_dict()
        st.switch_page("pages/train.py")
    pytorch_check(rows, config)
    export_ui(config)


# --- the page -------------------------------------------------------------------------------------

st.title(ui.tr("nav.conv_lab"))
st.caption(ui.tr("lab.intro"))

shared_exercises = "exercise" in st.query_params
if shared_exercises:  # a teacher's link: the class starts with the exercises
    st.subheader(ui.tr("lab.ex.title"))
    exercise_ui()
load_settings_into_widgets()
st.subheader(ui.tr("lab.layer.title"))
settings = settings_widgets()
write_query(settings)
show_query_problems(settings)
report = explain_layer(
    settings.height,
    settings.width,
    settings.kernel,
    settings.stride,
    settings.padding,
    settings.dilation,
    settings.op,
    settings.ceil_mode,
    settings.in_channels,
    settings.out_channels,
    output_padding=settings.output_padding,
)
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
    network_tab()
if not shared_exercises:
    with tabs[3]:
        exercise_ui()
