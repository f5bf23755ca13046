"""Convolution lab: one layer's output size and why, the window sliding, filters on a digit, a whole network.

UI only: the numbers come from lenet.conv's arithmetic, explain and network, the pictures from lenet.figures.lab
and the kernels and PyTorch runs from lenet.conv.ops. The single
layer's settings live in the URL query (DESIGN §4.2), so a link reproduces what the teacher projects.
"""

from __future__ import annotations

import dataclasses
import random
import re

import numpy as np
import pandas as pd
import streamlit as st

import ui
from lenet import netspec
from lenet.conv import exercise, export, ops
from lenet.conv.arithmetic import OPS, TRANSPOSED
from lenet.conv.explain import check_latex, explain_layer
from lenet.conv.query import LIMITS, LabSettings, settings_from_query
from lenet.figures import designer, lab_notes
from lenet.figures.lab import TRANSPOSED_VIEW, maps_figure, transposed_figure, window_figure
from lenet.netspec import NetSpec, NetSpecError

ui.ensure_shell()

PADDING_MODES = ("number", "same", "valid")
PRESET_DEFAULT = "edge_horizontal"
KERNEL_COLORSCALE = "PuOr_r"  # diverging, colour-blind safe: negative purple, zero white, positive orange


def show_notes(notes: list[lab_notes.Note]) -> None:
    """Explanations built by lenet.figures.lab_notes, each in the element its kind names."""
    for kind, text in notes:
        getattr(st, kind)(text)


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
    query = {k: v for k, v in st.query_params.to_dict().items() if k != "net"}  # the designer reads its own
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
    st.session_state["lab_seen"] = st.session_state["lab_last_query"] = dict(query)
    if "net" in st.query_params:  # the designer's network (network_tab) stays in the link too
        query["net"] = st.query_params["net"]
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)


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
        labels = lab_notes.picture_labels(ui.lang())
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
        st.markdown(lab_notes.question_text(ex, ui.lang()))
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


# --- the whole network: a list of layers (lenet.netspec), designed row by row ----------------------------------

NET_DEFAULT = netspec.NETWORKS[netspec.DEFAULT_NETWORK]
NET_KINDS = netspec.KINDS
NET_SETTINGS = {  # the settings each kind has, in the order they are shown
    "conv": ("size", "kernel", "stride", "padding", "same", "dilation"),
    "maxpool": ("kernel", "stride"),
    "avgpool": ("kernel", "stride"),
    "dropout": ("p",),
    "fc": ("size",),
}
NET_BOUNDS = {
    "size": netspec.LIMITS["channels"],
    "kernel": netspec.LIMITS["kernel"],
    "stride": netspec.LIMITS["stride"],
    "padding": netspec.LIMITS["padding"],
    "dilation": netspec.LIMITS["dilation"],
}


def net_entries() -> list[str]:
    return st.session_state["lab_net_entries"]


def set_entries(entries: list[str], selected: int = 0) -> None:
    st.session_state["lab_net_entries"] = list(entries)
    st.session_state["lab_net_selected"] = min(max(selected, 0), len(entries) - 1)


def read_net_link() -> None:
    """Start from the link's `net` when it holds a design this session has not seen (a shared link, a teacher's
    "follow me"); a list that cannot be read falls back to LeNet-5, and the page says why."""
    state = st.session_state
    if "lab_net_entries" not in state:
        set_entries(designer.split_entries(NET_DEFAULT))
    link = st.query_params.get("net")
    if link is None or link == state.get("lab_net_url"):
        return
    state["lab_net_url"] = link
    try:
        spec = netspec.parse(link)
    except NetSpecError as exc:
        set_entries(designer.split_entries(NET_DEFAULT))
        state["lab_net_problem"] = (net_entries().copy(), ui.tr("lab.net.url_bad", reason=ui.tr_error(exc)))
        return
    set_entries([layer.text for layer in spec.layers])


def write_net_link() -> None:
    """The design into the link: `net` holds the list (left out for LeNet-5, the default)."""
    text = ",".join(net_entries())
    if text == NET_DEFAULT:
        if "net" in st.query_params:
            del st.query_params["net"]
    elif st.query_params.get("net") != text:
        st.query_params["net"] = text
    st.session_state["lab_net_url"] = text


def text_changed() -> None:
    """The typed list replaces the design; a list too long to be a design is refused and the design kept."""
    text = str(st.session_state.get("lab_net_text", ""))
    text = netspec.NETWORKS.get(text.strip().lower(), text)
    try:
        netspec.parse_layers(text)  # only the whole-list limits matter here: length, number of layers, empty
    except NetSpecError as exc:
        if exc.code in ("net_too_long", "net_too_many", "net_empty"):
            st.session_state["lab_net_text_error"] = (net_entries().copy(), ui.tr_error(exc))
            return
    set_entries(designer.canonical(designer.split_entries(text)), st.session_state.get("lab_net_selected", 0))


def preset_changed() -> None:
    name = st.session_state.get("lab_net_preset")
    if name:
        set_entries(designer.split_entries(netspec.NETWORKS[name]))


def edit(operation, *args) -> None:
    """A button's change to the list (lenet.figures.designer's insert, remove, duplicate, move)."""
    entries, selected = operation(net_entries(), *args)
    set_entries(entries, selected)


def add_layer() -> None:
    kind = st.session_state.get("lab_net_add_kind") or "conv"
    edit(designer.insert, st.session_state["lab_net_selected"], designer.NEW_LAYER[kind])


def layer_picked() -> None:
    st.session_state["lab_net_selected"] = int(st.session_state["lab_net_layer"])


def kind_changed() -> None:
    kind = st.session_state.get("lab_net_kind")
    if kind:
        entries = net_entries().copy()
        entries[st.session_state["lab_net_selected"]] = designer.NEW_LAYER[kind]
        set_entries(entries, st.session_state["lab_net_selected"])


def setting_changed() -> None:
    """The picked layer rewritten from its settings' widgets."""
    state = st.session_state
    values = {field: state.get(f"lab_net_{field}") for field in designer.SETTING_FIELDS}
    layer = designer.layer_from_settings(state["lab_net_kind"], values)
    entries = net_entries().copy()
    entries[state["lab_net_selected"]] = layer.text
    set_entries(entries, state["lab_net_selected"])


def sync_widgets(design: designer.Design) -> None:
    """Show the design in the widgets before they are drawn: the text, the preset, the picked layer's settings."""
    state = st.session_state
    text = design.text
    kept = state.get("lab_net_text_error")
    if kept is not None and kept[0] != list(design.entries):
        state.pop("lab_net_text_error")
    if state.get("lab_net_text_error") is None:
        state["lab_net_text"] = text
    state["lab_net_preset"] = next((n for n, t in netspec.NETWORKS.items() if t == text), None)
    selected = state["lab_net_selected"]
    state["lab_net_layer"] = selected
    picked = design.rows[selected]
    if state.get("lab_net_editing") == (selected, picked.text):
        return
    state["lab_net_editing"] = (selected, picked.text)
    layer = picked.layer
    state["lab_net_kind"] = None if layer is None else layer.kind
    if layer is not None:
        state.update({f"lab_net_{field}": value for field, value in designer.settings_of(layer).items()})


def preset_and_text_ui() -> None:
    names = list(netspec.NETWORKS)
    st.pills(
        ui.tr("lab.net.preset"),
        names,
        key="lab_net_preset",
        on_change=preset_changed,
        format_func=ui.option_labels("lab.net.preset.", names).get,
        help=ui.tr("lab.net.preset_help"),
    )
    st.text_area(
        ui.tr("lab.net.text"), key="lab_net_text", on_change=text_changed, help=ui.tr("lab.net.text_help"), height=68
    )
    kept = st.session_state.get("lab_net_text_error")
    if kept is not None:
        st.error(ui.tr("lab.net.text_kept", reason=kept[1]))
    problem = st.session_state.get("lab_net_problem")
    if problem is not None:
        if problem[0] == net_entries():
            st.warning(problem[1])
        else:  # shown until the design changes
            st.session_state.pop("lab_net_problem")


def layer_settings_ui(design: designer.Design) -> None:
    """The picked layer: its kind and the settings that kind has."""
    selected = st.session_state["lab_net_selected"]
    options = list(range(len(design.rows)))
    labels = {i: ui.tr("lab.net.layer_option", index=i + 1, text=design.rows[i].text or "∅") for i in options}
    left, right = st.columns(2)
    left.selectbox(ui.tr("lab.net.layer"), options, key="lab_net_layer", format_func=labels.get, on_change=layer_picked)
    kind = right.selectbox(
        ui.tr("lab.net.kind"),
        NET_KINDS,
        key="lab_net_kind",
        format_func=ui.option_labels("lab.net.kind.", NET_KINDS).get,
        on_change=kind_changed,
    )
    if kind is None:
        st.info(ui.tr("lab.net.not_a_layer", index=selected + 1))
        return
    fields = NET_SETTINGS.get(kind, ())
    if not fields:
        st.caption(ui.tr("lab.net.no_settings"))
        return
    same = kind == "conv" and st.session_state.get("lab_net_same")
    for column, field in zip(st.columns(len(fields)), fields, strict=True):
        key = f"lab_net_{field}"
        if field == "same":
            column.checkbox(ui.tr("lab.net.same"), key=key, on_change=setting_changed)
        elif field == "p":
            column.number_input(ui.tr("lab.net.p"), 0.0, 0.95, step=0.05, key=key, on_change=setting_changed)
        else:
            label = ui.tr(f"lab.net.size.{kind}") if field == "size" else ui.tr(f"lab.net.{field}")
            low, high = netspec.POOL_STRIDE if field == "stride" and kind in netspec.POOLS else NET_BOUNDS[field]
            if field == "size" and kind == "fc":
                low, high = netspec.LIMITS["units"]
            column.number_input(
                label, low, high, step=1, key=key, on_change=setting_changed, disabled=field == "padding" and same
            )


def layer_buttons_ui(count: int) -> None:
    selected = st.session_state["lab_net_selected"]
    up, down, copy, drop = st.columns(4)
    up.button(ui.tr("lab.net.up"), key="lab_net_up", on_click=edit, args=(designer.move, selected, -1),
              disabled=selected == 0, icon=":material/arrow_upward:")  # fmt: skip
    down.button(ui.tr("lab.net.down"), key="lab_net_down", on_click=edit, args=(designer.move, selected, 1),
                disabled=selected == count - 1, icon=":material/arrow_downward:")  # fmt: skip
    full = count >= netspec.MAX_LAYERS
    copy.button(ui.tr("lab.net.duplicate"), key="lab_net_duplicate", on_click=edit, args=(designer.duplicate, selected),
                disabled=full, icon=":material/content_copy:")  # fmt: skip
    drop.button(ui.tr("lab.net.remove"), key="lab_net_remove", on_click=edit, args=(designer.remove, selected),
                disabled=count == 1, icon=":material/delete:")  # fmt: skip
    kind, add = st.columns(2)
    kind.selectbox(
        ui.tr("lab.net.add_kind"),
        NET_KINDS,
        key="lab_net_add_kind",
        format_func=ui.option_labels("lab.net.kind.", NET_KINDS).get,
    )
    add.button(ui.tr("lab.net.add", index=selected + 1), key="lab_net_add", on_click=add_layer, disabled=full,
               icon=":material/add:")  # fmt: skip


def row_sentence(row: designer.DesignRow) -> str:
    """A row's error in the page's language: the list's own refusal, or the arithmetic's reason behind it."""
    if isinstance(row.error, NetSpecError):
        return ui.tr_error(row.error)
    return ui.tr("lab.net.row_fails", index=row.index, layer=row.text, reason=ui.tr_error(row.error))


def network_table_ui(design: designer.Design) -> None:
    columns = ("index", "layer", "block", "output", "params", "macs", "receptive", "memory")
    labels = {c: ui.tr(f"lab.net.col.{c}") for c in columns}
    labels |= {"input": ui.tr("lab.net.input"), "total": ui.tr("lab.net.totals"), "region": ui.tr("lab.net.region")}
    sentences = {r.index: row_sentence(r) for r in design.rows if r.error is not None}
    with st.container(key="lab_network"):
        st.html(designer.table_html(design, labels, sentences, st.session_state["lab_net_selected"]))
        if design.error is not None and not design.error.index:  # a refusal of the whole list, on no one row
            st.error(ui.tr_error(design.error))
        params, macs, memory = design.totals()
        st.caption(ui.tr("lab.net.costs", params=f"{params:,}", macs=f"{macs:,}", memory=designer.memory_text(memory)))


def send_to_train(spec: NetSpec) -> None:
    """The list to the Train page (`train_net`); a LeNet-shaped one also as the LeNetConfig it reads today."""
    st.session_state["train_net"] = spec.text
    config = designer.lenet_config(spec)
    if config is not None:
        st.session_state["train_config"] = config.to_dict()
    st.switch_page("pages/train.py")


def pytorch_check(design: designer.Design) -> None:
    with st.expander(ui.tr("lab.net.check")):
        st.caption(ui.tr("lab.net.check_intro"))
        if design.spec is None:
            st.info(ui.tr("lab.net.check_invalid"))
            return
        if not st.button(ui.tr("lab.net.check_run"), key="lab_net_check"):
            return
        shapes = ops.pytorch_shapes(design.spec)
        ours = {r.row.name: r.row.output for r in design.rows}  # each block's output: after its last entry
        names = list(design.spec.names)
        table = pd.DataFrame(
            {
                ui.tr("lab.net.col.name"): names,
                ui.tr("lab.net.col.arithmetic"): [designer.shape_text(ours[n]) for n in names],
                ui.tr("lab.net.col.pytorch"): [designer.shape_text(shapes.get(n)) for n in names],
            }
        )
        st.dataframe(table, hide_index=True, width="stretch")
        different = [n for n in names if shapes.get(n) != ours[n]]
        if different:
            st.error(ui.tr("lab.net.check_diff", names=", ".join(different)))
        else:
            st.success(ui.tr("lab.net.check_ok"))


def export_ui(spec: NetSpec | None) -> None:
    """The designed network as a self-contained PyTorch file (st.code has a copy button)."""
    with st.expander(ui.tr("lab.net.export")):
        if spec is None:
            st.info(ui.tr("lab.net.export_invalid"))
            return
        source = export.network_source(spec)
        st.caption(ui.tr("lab.net.export_help"))
        st.code(source, language="python")
        st.download_button(
            ui.tr("lab.net.export_download"),
            source,
            file_name="lenet_network.py",
            mime="text/x-python",
            key="lab_net_download",
        )


@st.fragment
def network_tab() -> None:
    """The designer: a change reruns only this part of the page."""
    st.caption(ui.tr("lab.net.intro"))
    read_net_link()
    design = designer.measure(net_entries())
    sync_widgets(design)
    preset_and_text_ui()
    st.markdown(f"**{ui.tr('lab.net.edit')}**")
    layer_settings_ui(design)
    layer_buttons_ui(len(design.rows))
    network_table_ui(design)
    write_net_link()
    if design.spec is None:
        st.caption(ui.tr("lab.net.train_invalid"))
    if st.button(
        ui.tr("lab.net.train"),
        type="primary",
        disabled=design.spec is None,
        help=ui.tr("lab.net.train_help"),
        key="lab_net_train",
    ):
        send_to_train(design.spec)
    pytorch_check(design)
    export_ui(design.spec)


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
    network_tab()
if not shared_exercises:
    with tabs[3]:
        exercise_ui()
