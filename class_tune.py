"""Teach it our handwriting (class mode): the fine-tuning run a teacher starts on the class's digits.

Glue, as class_glue.py: pages/class.py shows `tune_ui` in the teacher's tab and `before_after_ui` on the wall;
class_lesson.py starts the same run from the led lesson. The run (lenet.classmode.tune's recipe) goes through the
server's shared queue; its dataset file, the students' handwriting, is deleted as soon as the run ends.
"""

from __future__ import annotations

import streamlit as st

import class_glue as glue
import ui
from lenet import settings
from lenet.classmode import tune
from lenet.classmode.store import ClassInfo, Store
from lenet.errors import CodedError

PROGRESS_REFRESH_S = 1.0  # the run's progress, as often as the wall refreshes


def start_tuning(store: Store, token: str) -> None:
    """Write the class's digits to a dataset file and queue a run that fine-tunes the current model on them.

    Once per click: while this session's fine-tuning is queued or trains, a second start does nothing (a click
    can reach the server twice under load, see class_lesson's buttons)."""
    state = st.session_state.get("class_tune_run")
    running = ui.registry().get(state["run"]) if state else None
    if running is not None and running.active:
        return
    start = ui.current_model_path()
    dataset = None
    try:
        info = store.teacher_class(token)
        images, labels = store.dataset(info.id)
        if len(labels) < tune.MIN_DIGITS:
            st.warning(ui.tr("class.tune.too_few", n=len(labels), min=tune.MIN_DIGITS))
            return
        dataset = tune.write_dataset(images, labels, info.code, settings.current().class_ttl_hours)
        run = ui.registry().submit(
            ui.train_owner(),
            tune.run_name(info.code),
            tune.model_config(start),
            tune.train_config(start, dataset, len(labels)),
        )
    except (CodedError, OSError) as exc:
        tune.forget_dataset(dataset)
        glue.error(exc)
        return
    st.session_state["class_tune_run"] = {"run": run.id, "file": str(dataset)}


def tuning_run():
    """The class's fine-tuning run while it is queued or trains, else None; once it ended, its dataset file (the
    students' handwriting) goes, and its error is kept to show."""
    state = st.session_state.get("class_tune_run")
    run = ui.registry().get(state["run"]) if state else None
    if run is not None and run.active:
        return run
    if state:
        tune.forget_dataset(state["file"])
        st.session_state.pop("class_tune_run")
        if run is not None and run.error is not None:
            st.session_state["class_tune_error"] = ui.tr_error(run.error)
    return None


@st.fragment(run_every=PROGRESS_REFRESH_S)
def tune_status_ui(code: str) -> None:
    """The fine-tuning run's progress while it trains; then what it learned, and the new model to use."""
    run = tuning_run()
    if run is not None:
        label = ui.tr("class.tune.running", pct=f"{run.fraction:.0%}") if run.status == "running" else None
        st.progress(run.fraction, text=label or ui.tr("class.tune.queued"))
        return
    if "class_tune_error" in st.session_state:
        st.error(ui.plain(st.session_state["class_tune_error"]))
    result = tune.latest_result(code)  # its figures are on the wall
    if result is not None:
        st.caption(ui.plain(ui.tr("class.tune.in_picker", name=ui.checkpoint_label(result))))
        if st.session_state.get("model") != str(result.path):
            st.button(ui.tr("class.tune.use"), key="class_tune_use", on_click=ui.use_model, args=(str(result.path),))


def before_after_ui(result) -> None:
    """Accuracy on the class's held-back digits before and after fine-tuning, and the new model's name."""
    extra = result.metrics["extra"]
    before, after = extra.get("before"), extra.get("after")
    with st.container(key="class_tune_result"):
        if before is not None and after is not None:
            st.metric(
                ui.tr("class.tune.after", n=extra.get("n_test", 0)),
                f"{after:.0%}",
                delta=ui.tr("class.tune.delta", before=f"{before:.0%}", points=f"{(after - before) * 100:+.0f}"),
            )


def tune_ui(store: Store, token: str, info: ClassInfo) -> None:
    """Teach it our handwriting: fine-tune the current model on the class's digits, MNIST mixed in."""
    st.caption(ui.tr("class.tune.text", pct=f"{tune.HOLDOUT:.0%}"))
    busy = bool(st.session_state.get("class_tune_run"))
    if st.button(ui.tr("class.tune.start"), key="class_tune", type="primary", icon=":material/school:", disabled=busy):
        st.session_state.pop("class_tune_error", None)
        start_tuning(store, token)
    tune_status_ui(info.code)
