"""Compare: a second model reads the same drawing beside the first, layer by layer where their shapes allow.

Two pickers (`compare_model_a`, `compare_model_b`; a link's ?a=NAME&b=NAME, a checkpoint's file stem) offer every
model the sidebar offers. The drawing surface `compare_canvas` reads the digit live in the browser with model A;
at the end of a stroke both models read the browser's 28x28 (`draw_injected_rgba` stands in for it in AppTest).
`lenet.figures.compare` aligns their blocks and draws the rows.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import streamlit as st

import surface
import ui
from lenet import checkpoints, netspec
from lenet.errors import CodedError
from lenet.explain import explain
from lenet.figures import compare, markup
from lenet.figures.theme import PRIMARY
from lenet.preprocess import Preprocessed, canvas_to_input

ui.ensure_shell()

BRUSH = 18  # px, the Draw page's default brush


def pickers_ui() -> tuple[str, str] | None:
    """The two models, side by side; None when there is no model at all."""
    infos = ui.model_choices()
    if not infos:
        st.warning(ui.tr("sidebar.no_models"))
        return None
    labels = {str(info.path): ui.checkpoint_label(info) for info in infos}
    ui.compare_picks(list(labels))
    left, right = st.columns(2)
    a = left.selectbox(ui.tr("compare.model_a"), list(labels), format_func=labels.get, key="compare_model_a")
    b = right.selectbox(ui.tr("compare.model_b"), list(labels), format_func=labels.get, key="compare_model_b")
    ui.compare_link(a, b)
    return a, b


def _name(path: str) -> str:
    """How a sentence names a model: the picker's name without its accuracy."""
    return ui.tr("sidebar.shipped") if path == str(checkpoints.DEFAULT_CHECKPOINT) else Path(path).stem


def load(path: str, side: str):
    """(model, info), or None after saying in the page's language why it cannot be read."""
    try:
        return ui.load_model(path)
    except (CodedError, ValueError, OSError) as exc:
        reason = ui.tr_error(exc, fallback="compare.unreadable")
        st.error(ui.plain(ui.tr("compare.load_failed", model=ui.tr(f"compare.model_{side}"), reason=reason)))
        return None


def strides_note(spec_a: netspec.NetSpec, spec_b: netspec.NetSpec, names: tuple[str, str]) -> None:
    """The tutorial's point about strides, when one model pools and the other strides instead."""
    for first, second, (pooled, strided) in ((spec_a, spec_b, names), (spec_b, spec_a, names[::-1])):
        if compare.pools(first) and compare.pools_by_striding(second):
            st.info(ui.tr("compare.strides", pooled=pooled, strided=strided), icon=":material/compare_arrows:")
            return


def _clear() -> None:
    st.session_state["compare_canvas_nonce"] += 1


def drawing() -> Preprocessed | None:
    """The digit both models read: the browser's 28x28 of the last stroke (or a test's injected picture)."""
    injected = st.session_state.get("draw_injected_rgba")
    if injected is not None:
        return canvas_to_input(np.asarray(injected))
    drawn = surface.read_drawing(st.session_state.get("compare_canvas"))
    if drawn.rgba is None or drawn.nonce != st.session_state["compare_canvas_nonce"]:
        return None  # blank, or from before the last Clear
    return surface.browser_input(canvas_to_input(drawn.rgba), drawn.image)


def answer_html(insp, name: str) -> str:
    """One model's answer: its name, the digit, how sure, and the ten bars."""
    pct = f"{insp.confidence:.0%}"
    return (
        markup.heading(name, 4)
        + f'<div class="compare-digit" style="color:{PRIMARY}">{insp.prediction}</div>'
        + markup.caption(ui.tr("compare.answer.reads", digit=insp.prediction, pct=pct), "lenet-text")
        + markup.probability_bars(insp.probs, insp.prediction, height=110)
    )


def _read(model, prep: Preprocessed):
    return explain(model, prep.input)


@st.fragment
def compare_ui(paths: tuple[str, str], loaded, names: tuple[str, str]) -> None:
    """The canvas, both answers and the layers: what one stroke reruns."""
    st.session_state.setdefault("compare_canvas_nonce", 0)
    prep = drawing()
    canvas_col, answer_col = st.columns([1, 2], gap="large")
    with canvas_col:
        st.html(markup.heading(ui.tr("compare.canvas.title"), 3) + markup.caption(ui.tr("compare.canvas.help")))
        surface.surface(
            key="compare_canvas",
            nonce=st.session_state["compare_canvas_nonce"],
            strokes=[],
            brush=BRUSH,
            model_path=paths[0],
        )
        st.button(ui.tr("compare.clear"), key="compare_clear", icon=":material/delete:", on_click=_clear)
    readable = prep is not None and not prep.empty and all(loaded)
    digest = hashlib.md5(np.ascontiguousarray(prep.input).tobytes()).hexdigest() if readable else None
    key = (loaded[0][0] if loaded[0] else None, loaded[1][0] if loaded[1] else None, digest, ui.colormap(), ui.lang())
    with answer_col, st.container(key="compare_answer"):
        st.html(markup.heading(ui.tr("compare.answer.title"), 3))
        if not readable:
            st.html(markup.caption(ui.tr("compare.answer.nothing"), "lenet-text"))
        else:
            comparison = ui.session_memo(
                "compare",
                key,
                lambda: compare.compare(
                    loaded[0][0], _read(loaded[0][0], prep), loaded[1][0], _read(loaded[1][0], prep)
                ),
            )
            a, b = comparison.a, comparison.b
            verdict = (
                ui.tr("compare.answer.agree", digit=a.prediction)
                if comparison.agree
                else ui.tr("compare.answer.disagree", a=names[0], da=a.prediction, b=names[1], db=b.prediction)
            )
            left, right = st.columns(2)
            left.html(answer_html(a, names[0]))
            right.html(answer_html(b, names[1]))
            (st.success if comparison.agree else st.warning)(ui.plain(verdict))
    with st.container(key="compare_layers"):
        head = '<hr class="lenet-rule">' + markup.heading(ui.tr("compare.layers.title"), 2)
        if not readable:
            st.html(head + markup.caption(ui.tr("compare.layers.nothing"), "lenet-text"))
            return
        body = compare.rows_html(comparison, names, ui.colormap(), ui.tr)
        st.html(head + markup.caption(ui.tr("compare.layers.intro")) + body)


st.title(ui.tr("compare.title"))
st.markdown(ui.tr("compare.intro"))
st.html(compare.CSS)
picked = pickers_ui()
if picked is not None:
    model_names = (f"A ({_name(picked[0])})", f"B ({_name(picked[1])})")
    models = (load(picked[0], "a"), load(picked[1], "b"))
    if picked[0] == picked[1]:
        st.info(ui.tr("compare.same_model"))
    if all(models):
        strides_note(netspec.parse(models[0][0].net), netspec.parse(models[1][0].net), model_names)
    compare_ui(picked, models, model_names)
