"""Evaluate: how well a checkpoint reads the 10,000 MNIST test digits, and which ones it gets wrong."""

from __future__ import annotations

import streamlit as st

import ui
from lenet import checkpoints, data, evaluation
from lenet.figures.charts import confusion_figure, per_class_figure
from lenet.figures.mosaics import digit_tile

ui.ensure_shell()

GALLERY_COLUMNS = 8
GALLERY_ROWS = 5


def checkpoint_ui() -> checkpoints.CheckpointInfo | None:
    """The checkpoint to evaluate: the sidebar's pick unless the user picks another one here."""
    choices = {str(info.path): info for info in ui.model_choices()}
    if not choices:
        st.warning(ui.tr("sidebar.no_models"))
        return None
    sidebar = ui.current_model_path()
    default = sidebar if sidebar in choices else next(iter(choices))
    # Follow the sidebar whenever it changes; between its changes, a pick made here stays.
    if st.session_state.get("eval_follows") != sidebar or st.session_state.get("eval_model") not in choices:
        st.session_state["eval_follows"] = sidebar
        st.session_state["eval_model"] = default
    labels = {p: ui.checkpoint_label(info) for p, info in choices.items()}
    path = st.selectbox(ui.tr("eval.checkpoint"), list(choices), format_func=labels.get, key="eval_model")
    return choices[path]


def summary_ui(result: evaluation.Evaluation, info: checkpoints.CheckpointInfo) -> None:
    left, right = st.columns(2)
    left.metric(ui.tr("eval.accuracy"), f"{result.accuracy:.2%}")
    right.metric(
        ui.tr("eval.mistakes_metric"), ui.tr("eval.mistakes_value", wrong=result.n - result.correct, n=result.n)
    )
    epochs, device = info.metrics.get("epochs"), info.metrics.get("device")
    if isinstance(epochs, (int, float)) and device:
        st.caption(ui.tr("eval.trained", epochs=epochs, device=device))


def charts_ui(result: evaluation.Evaluation) -> None:
    st.subheader(ui.tr("eval.per_class"))
    st.caption(ui.tr("eval.per_class_help"))
    st.plotly_chart(
        per_class_figure(result.per_class, "", ui.tr("eval.digit_axis"), ui.tr("eval.right_axis")),
        key="per_class_chart",
    )
    st.subheader(ui.tr("eval.confusion"))
    st.caption(ui.tr("eval.confusion_help"))
    st.plotly_chart(
        confusion_figure(
            result.confusion,
            ui.tr("eval.pred_axis"),
            ui.tr("eval.true_axis"),
            ui.tr("eval.hover"),
            ui.tr("eval.hover_right"),
            colormap=ui.colormap(),
        ),
        key="confusion_chart",
    )


def _digit_filter(label: str, key: str) -> int | None:
    labels = {None: ui.tr("eval.any"), **{d: str(d) for d in range(10)}}
    return st.selectbox(label, list(labels), format_func=labels.get, key=key)


def gallery_ui(result: evaluation.Evaluation, images) -> None:
    """The mistakes, most confident first; each opens in Draw & explore."""
    st.subheader(ui.tr("eval.gallery"))
    st.caption(ui.tr("eval.gallery_help"))
    left, right = st.columns(2)
    with left:
        true = _digit_filter(ui.tr("eval.filter_true"), "eval_true")
    with right:
        pred = _digit_filter(ui.tr("eval.filter_pred"), "eval_pred")
    mistakes = result.mistakes(true, pred)
    if not mistakes:
        st.info(ui.tr("eval.no_mistakes"))
        return
    shown = mistakes[: GALLERY_COLUMNS * GALLERY_ROWS]
    st.caption(ui.tr("eval.gallery_count", shown=len(shown), total=len(mistakes)))
    for row in range(0, len(shown), GALLERY_COLUMNS):
        for col, m in zip(st.columns(GALLERY_COLUMNS), shown[row : row + GALLERY_COLUMNS], strict=False):
            with col:
                st.image(
                    digit_tile(images[m.index]),
                    caption=ui.tr("eval.tile", true=m.true, pred=m.pred, conf=m.confidence),
                    alt=ui.tr("eval.tile_alt", index=m.index, true=m.true, pred=m.pred),
                )
                # The button says which digit it opens: ten "Open"s read the same to a screen reader.
                if st.button(
                    ui.tr("eval.open"), key=f"open_{m.index}", help=ui.tr("eval.open_help", index=m.index, true=m.true)
                ):
                    st.session_state["draw_sample"] = m.index
                    st.switch_page("pages/draw.py")


st.title(ui.tr("eval.title"))
st.write(ui.tr("eval.intro"))
if not data.is_available():
    ui.mnist_missing_ui("eval_download")
    st.stop()
picked = checkpoint_ui()
if picked is None:
    st.stop()
try:
    with st.spinner(ui.tr("eval.computing")):
        outcome = ui.evaluation(picked)
    mnist = data.load_mnist()
except (checkpoints.CheckpointError, data.DataError) as exc:
    st.error(ui.tr_error(exc))
    st.stop()
summary_ui(outcome, picked)
charts_ui(outcome)
gallery_ui(outcome, mnist.test_images)
