"""Train: pick a network and settings, start a background run, watch it learn live, compare runs.

The run itself lives in lenet.jobs (one registry per server); this page only submits, stops and polls it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from pathlib import Path

import numpy as np
import streamlit as st

import ui
from lenet import checkpoints, data, jobs, netspec, onnx_import
from lenet.config import ACTIVATIONS, POOLS, LeNetConfig
from lenet.conv import export
from lenet.device import DeviceError, available_devices
from lenet.errors import CodedError
from lenet.figures import run_status
from lenet.figures.charts import Curve, accuracy_figure, loss_figure
from lenet.i18n.glossary import glossary_markdown
from lenet.model import LeNet
from lenet.netspec import NETWORKS, NetSpec, NetSpecError
from lenet.train import DEFAULT_LR, TrainConfig, TrainError

ui.ensure_shell()

# the words the page explains, from the one glossary (lenet/i18n/glossary.py)
GLOSSARY = ("epoch", "batch", "learning_rate", "loss", "test_accuracy", "optimizer", "augmentation", "label_smoothing")

POLL_S = 1.0  # how often the live panel refreshes while a run is queued or running
EVALS_PER_EPOCH = 4  # test-set checks per epoch: a live accuracy curve for about 5 % of the time
BATCH_SIZES = (16, 32, 64, 128, 256, 512, 1024)
OPTIMIZER_CHOICES = ("adamw", "sgd")  # the two a class compares; the CLI offers plain Adam too


def owner() -> str:
    """This session's owner id: runs it starts can be stopped only from here."""
    return ui.train_owner()


def network_ui() -> LeNetConfig | NetSpec | None:
    """The network to train: LeNet-5 or the conv lab's, with the activation and pooling to try, or any list of
    layers (a preset, the lab designer's list, a typed one); None if invalid."""
    sent = st.session_state.get("train_config")
    options = ["lenet5", "lab", "list"] if sent else ["lenet5", "list"]
    # the lab's designer hands on its list as `train_net`: open on it, unless it is LeNet-shaped (train_config)
    opened = "lab" if sent else ("list" if st.session_state.get("train_net") else "lenet5")
    choice = st.radio(
        ui.tr("train.network"),
        options,
        index=options.index(opened),
        horizontal=True,
        format_func=ui.option_labels("train.network_", options).get,
        key="train_network",
    )
    if choice == "list":
        return list_ui()
    try:
        base = LeNetConfig.from_dict(sent) if choice == "lab" else LeNetConfig()
    except (ValueError, TypeError) as exc:
        st.error(ui.tr("train.lab_invalid", reason=str(exc)))
        return None
    left, right = st.columns(2)
    # Keyed by the network choice, so switching networks shows that network's own activation and pooling.
    activation = left.selectbox(
        ui.tr("train.activation"),
        ACTIVATIONS,
        index=ACTIVATIONS.index(base.activation),
        format_func=ui.option_labels("train.activation_", ACTIVATIONS).get,
        help=ui.tr("train.activation_help"),
        key=f"train_activation_{choice}",
    )
    pool = right.selectbox(
        ui.tr("train.pool"),
        POOLS,
        index=POOLS.index(base.pool),
        format_func=ui.option_labels("train.pool_", POOLS).get,
        help=ui.tr("train.pool_help"),
        key=f"train_pool_{choice}",
    )
    try:
        config = dataclasses.replace(base, activation=activation, pool=pool)
    except ValueError as exc:
        st.error(ui.tr("train.network_invalid", reason=str(exc)))
        return None
    st.caption(ui.tr("train.network_params", n=sum(p.numel() for p in LeNet(config).parameters())))
    return config


def _use_preset() -> None:
    """A preset picked fills the list's text, which stays editable."""
    st.session_state["train_net"] = NETWORKS[st.session_state["train_net_preset"]]


def list_ui() -> NetSpec | None:
    """Any network as a list of layers (docs/ARCHITECTURE.md §4.7): a preset to start from, the text to edit."""
    st.session_state.setdefault("train_net", NETWORKS["allconv"])
    st.selectbox(ui.tr("train.net_preset"), list(NETWORKS), index=None, key="train_net_preset", on_change=_use_preset)
    text = st.text_input(ui.tr("train.net_text"), key="train_net", help=ui.tr("train.net_help"))
    try:
        spec = netspec.parse(text)
    except NetSpecError as exc:
        st.error(ui.tr_error(exc))  # names the layer, what is wrong and what would fit
        return None
    params = sum(row.params for row in spec.table())
    st.caption(ui.tr("train.network_params", n=params) + " " + ui.tr("train.net_blocks", names=", ".join(spec.names)))
    return spec


def _reset_lr() -> None:
    """A new optimizer gets its own sensible learning rate."""
    st.session_state["train_lr"] = DEFAULT_LR[st.session_state["train_optimizer"]]


def training_ui(max_epochs: int) -> tuple[TrainConfig, str, bool]:
    """How to train, the run's name, and whether to keep a stopped run's model."""
    st.session_state.setdefault("train_lr", DEFAULT_LR[OPTIMIZER_CHOICES[0]])
    st.subheader(ui.tr("train.settings"))
    c1, c2, c3 = st.columns(3)
    optimizer = c1.selectbox(
        ui.tr("train.optimizer"),
        OPTIMIZER_CHOICES,
        key="train_optimizer",
        format_func=ui.option_labels("train.optimizer_", OPTIMIZER_CHOICES).get,
        on_change=_reset_lr,
    )
    # min 0 on purpose: a zero rate is refused with an explanation rather than silently clamped.
    lr = c2.number_input(
        ui.tr("train.lr"),
        min_value=0.0,
        max_value=10.0,
        step=0.001,
        format="%.4f",
        help=ui.tr("train.lr_help"),
        key="train_lr",
    )
    batch = c3.select_slider(
        ui.tr("train.batch"), BATCH_SIZES, value=128, help=ui.tr("train.batch_help"), key="train_batch"
    )
    c4, c5, c6 = st.columns(3)
    epochs = c4.number_input(
        ui.tr("train.epochs", max=max_epochs),
        min_value=1,
        max_value=max_epochs,
        value=1,
        help=ui.tr("train.epochs_help"),
        key="train_epochs",
    )
    devices = available_devices()
    device = c5.selectbox(
        ui.tr("train.device"),
        devices,
        key="train_device",
        format_func=ui.option_labels("train.device_", devices, device=ui.device_name()).get,
    )
    name = c6.text_input(ui.tr("train.name"), value=ui.tr("train.default_name"), max_chars=40, key="train_name")
    augment = st.checkbox(ui.tr("train.augment"), key="train_augment")
    keep = st.checkbox(ui.tr("train.keep"), key="train_keep")
    config = TrainConfig(
        epochs=int(epochs),
        batch_size=int(batch),
        lr=float(lr),
        optimizer=optimizer,
        augment=augment,
        device=device,
        evals_per_epoch=EVALS_PER_EPOCH,
    )
    return config, name, keep


OWN_HOLDOUT = 0.2  # the share of one's own digits held back to score before and after


def own_digits_ui(
    model_config: LeNetConfig | NetSpec | None, config: TrainConfig
) -> tuple[LeNetConfig | NetSpec | None, TrainConfig]:
    """Digits of one's own (a class's download) mixed into MNIST, optionally fine-tuning the sidebar's model."""
    with st.expander(ui.tr("train.own.title"), icon=":material/upload_file:"):
        st.caption(ui.tr("train.own.text", pct=f"{OWN_HOLDOUT:.0%}"))
        upload = st.file_uploader(ui.tr("train.own.upload"), type=["npz", "zip"], key="train_dataset")
        raw = st.session_state.get("train_injected_dataset") or (upload.getvalue() if upload is not None else None)
        if not raw:
            return model_config, config
        try:
            images, labels = data.read_dataset(raw)
            path = data.save_dataset(images, labels, "upload")
        except (data.DataError, OSError) as exc:
            st.error(ui.tr_error(exc))
            return model_config, config
        counts = ", ".join(f"{d}: {n}" for d, n in enumerate(np.bincount(labels, minlength=10)))
        st.success(ui.tr("train.own.read", n=len(labels), counts=counts))
        config = dataclasses.replace(config, extra_data=str(path), extra_holdout=OWN_HOLDOUT)
        start = ui.current_model_path()
        if start and st.checkbox(ui.tr("train.own.fine_tune"), key="train_fine_tune", value=True):
            try:
                model_config = checkpoints.read_info(start).model_config  # a LeNetConfig or a list
            except checkpoints.CheckpointError as exc:
                st.error(ui.tr_error(exc))
                return model_config, config
            config = dataclasses.replace(config, init_from=start)
    return model_config, config


def _show_status(run: jobs.RunView | None) -> None:
    text = run_status.status_text(run, ui.lang())
    status = run.status if run else None
    show = {"queued": st.info, "finished": st.success, "failed": st.error, "stopped": st.warning}
    show.get(status, st.markdown)(text)
    if status == "running" and run.total_steps:
        eta = run.eta_s
        bar = (
            ui.tr("train.progress", rate=run.samples_per_s, eta=run_status.duration(eta, ui.lang()))
            if eta is not None
            else ui.tr("train.progress_start", rate=run.samples_per_s)
        )
        st.progress(run.fraction, text=bar)


def _curves(run: jobs.RunView, label: str) -> tuple[Curve, Curve]:
    """(loss curve, accuracy curve) of one run."""
    loss = Curve(label, [e for e, _ in run.losses], [v for _, v in run.losses])
    acc = Curve(label, [row.epoch for row in run.evals], [row.test_acc for row in run.evals])
    return loss, acc


def _reference() -> tuple[str, float] | None:
    shipped = ui.shipped_record()
    if shipped is None or shipped.test_acc is None:
        return None
    return ui.tr("sidebar.shipped"), shipped.test_acc


def _charts(loss_curves: list[Curve], acc_curves: list[Curve], key: str, x_max: float, raw: bool) -> None:
    left, right = st.columns(2)
    with left:
        st.plotly_chart(
            loss_figure(
                loss_curves,
                ui.tr("train.loss_title"),
                ui.tr("train.epoch_axis"),
                ui.tr("train.loss_axis"),
                ui.tr("train.loss_raw") if raw else None,
                x_max,
            ),
            key=f"{key}_loss",
        )
    with right:
        st.plotly_chart(
            accuracy_figure(
                acc_curves,
                ui.tr("train.acc_title"),
                ui.tr("train.epoch_axis"),
                ui.tr("train.acc_axis"),
                _reference(),
                x_max,
            ),
            key=f"{key}_acc",
        )


def live_panel(
    config: LeNetConfig | NetSpec | None, train_config: TrainConfig, name: str, keep: bool, was_active: bool
) -> None:
    """Start and stop, the status and the live charts. Polled by st.fragment while a run is active."""
    reg = ui.registry()
    me = owner()
    reg.heartbeat(me)
    run_id = st.session_state.get("train_run")
    run = reg.get(run_id) if run_id else None
    if was_active and (run is None or not run.active):
        st.rerun()  # the run has ended: rerun the whole app so every model picker lists its checkpoint
    mine = run is not None and run.active and run.owner == me
    buttons = st.container(horizontal=True)
    if buttons.button(ui.tr("train.start"), key="start_training", type="primary", disabled=config is None):
        try:
            run = reg.submit(me, name, config, train_config, keep_on_stop=keep)
        except (jobs.JobError, TrainError, DeviceError) as exc:
            st.error(ui.tr_error(exc))
        else:
            st.session_state["train_run"] = run.id
            st.rerun()  # a full rerun turns on the polling
    if buttons.button(ui.tr("train.stop"), key="stop_training", disabled=not mine):
        try:
            reg.stop(run.id, me)
        except jobs.JobError as exc:
            st.error(ui.tr_error(exc))
        # A run not kept ends within a batch: wait for it briefly, so the click itself shows "stopped".
        run = reg.wait(run.id, timeout=1.0)
        if run is not None and not run.active:
            st.rerun()
    with st.container(key="train_status"):
        _show_status(run)
    if run is not None and (run.losses or run.evals):
        loss, acc = _curves(run, run.name)
        _charts([loss], [acc], "live", run.train_config.epochs, raw=True)
        left, right = st.columns(2)
        left.caption(ui.tr("train.loss_caption"))
        right.caption(ui.tr("train.acc_caption", n=run.train_config.evals_per_epoch))


def use_model_ui(run: jobs.RunView | None) -> None:
    """Offer the run's checkpoint to the sidebar's model picker."""
    if run is None or run.active or not run.checkpoint or not Path(run.checkpoint).exists():
        return
    try:
        extra = checkpoints.read_info(run.checkpoint).metrics.get("extra") or {}
    except checkpoints.CheckpointError:
        extra = {}
    if extra.get("n_test") and extra.get("before") is not None and extra.get("after") is not None:
        before, after = f"{extra['before']:.0%}", f"{extra['after']:.0%}"
        st.info(ui.tr("train.own.result", n=extra["n_test"], before=before, after=after))
    if st.session_state.get("model") == run.checkpoint:
        st.info(ui.tr("train.using_model"))
    else:
        st.button(ui.tr("train.use_model"), key="use_model", on_click=ui.use_model, args=(run.checkpoint,))


def download_script_ui(run: jobs.RunView | None) -> None:
    """A finished run as one standalone script that retrains it with torch and torchvision (lenet.conv.export)."""
    if run is None or run.status != "finished":
        return
    st.download_button(
        ui.tr("export.script"),
        export.training_script(run.model_config, run.train_config, run.name),
        file_name=export.script_filename(run.name),
        mime="text/x-python",
        help=ui.tr("export.script_help"),
        key="train_download_script",
    )


COMPARE_MAX = 4  # runs on one chart: more curves than this no longer read apart


def compare_ui(runs: list[jobs.RunView]) -> None:
    """Finished runs side by side (`train_compare_runs`: this session's and saved ones, up to COMPARE_MAX), and
    this session's runs in a table next to the shipped model's figures."""
    st.subheader(ui.tr("train.compare"))
    st.caption(ui.tr("train.compare_help"))
    ordered = list(reversed(runs))  # oldest first: the newest run gets the primary colour
    curves = ui.run_curves(ordered, _curves)
    st.multiselect(
        ui.tr("train.compare_runs"),
        list(curves),
        format_func=lambda key: curves[key][0].label,
        max_selections=COMPARE_MAX,
        help=ui.tr("train.compare_runs_help", n=COMPARE_MAX),
        key="train_compare_runs",
    )
    picked = [curves[key] for key in st.session_state["train_compare_runs"] if key in curves]
    if picked:
        _charts(
            [loss for loss, _ in picked if loss.values],
            [acc for _, acc in picked if acc.values],
            "compare",
            max([epoch for loss, acc in picked for epoch in (*loss.epochs, *acc.epochs)] or [1]),
            raw=False,
        )
    else:
        st.caption(ui.tr("train.compare_none"))
    rows = [
        {
            ui.tr("train.col_run"): f"{k}. {r.name}",
            ui.tr("train.col_status"): ui.tr(f"train.state_{r.status}"),
            ui.tr("train.col_settings"): _settings_text(dataclasses.asdict(r.train_config)),
            ui.tr("train.col_epochs"): round(r.epoch, 2),
            ui.tr("train.col_seconds"): round(r.elapsed_s, 1),
            ui.tr("train.col_acc"): f"{r.test_acc:.2%}" if r.test_acc is not None else "",
        }
        for k, r in enumerate(ordered, 1)
    ]
    record = ui.shipped_record()
    shipped = record.metrics if record is not None else {}
    if shipped:
        rows.append(
            {
                ui.tr("train.col_run"): ui.tr("sidebar.shipped"),
                ui.tr("train.col_status"): ui.tr("train.state_finished"),
                ui.tr("train.col_settings"): _settings_text(shipped.get("train_config") or {}),
                ui.tr("train.col_epochs"): shipped.get("epochs"),
                ui.tr("train.col_seconds"): shipped.get("elapsed_s"),
                ui.tr("train.col_acc"): f"{shipped['test_acc']:.2%}" if shipped.get("test_acc") else "",
            }
        )
    st.dataframe(rows, hide_index=True, key="compare_table")


def _watch() -> None:
    # A callback: only a new pick changes the run watched (the user's own next run replaces it later).
    if st.session_state.get("train_watch"):
        st.session_state["train_run"] = st.session_state["train_watch"]


def every_run_ui(runs: list[jobs.RunView]) -> None:
    """Every replica's runs (a shared queue only): who, where it stands, the result; pick one to watch or use."""
    st.subheader(ui.tr("train.all_runs"))
    st.caption(ui.tr("train.all_runs_help"))
    rows = [
        {
            ui.tr("train.col_run"): r.name,
            ui.tr("train.col_status"): ui.tr(f"train.state_{r.status}"),
            ui.tr("train.col_progress"): f"{r.fraction:.0%}",
            ui.tr("train.col_acc"): f"{r.test_acc:.2%}" if r.test_acc is not None else "",
        }
        for r in runs
    ]
    st.dataframe(rows, hide_index=True, key="runs_table")
    names = {r.id: f"{r.name} · {ui.tr(f'train.state_{r.status}')}" for r in runs}
    st.selectbox(
        ui.tr("train.watch"), list(names), index=None, format_func=names.get, key="train_watch", on_change=_watch
    )


def _settings_text(tc: dict) -> str:
    """A run's training settings in a few words, from TrainConfig fields (as stored in checkpoints)."""
    text = f"{tc.get('optimizer')}, lr {tc.get('lr', 0):g}, batch {tc.get('batch_size')}"
    return text + (", augment" if tc.get("augment") else "")


# --- bring your own model (issue 29): an ONNX file or another server's checkpoint, saved as a run -------------
IMPORT_NORMS = ("file", "mnist", "unit", "custom")  # how the model's pixels were normalised: lenet.onnx_import


def import_ui() -> None:
    """Upload a model (lenet.onnx_import): refused in words, or saved into the runs folder and offered to the picker."""
    with st.expander(ui.tr("train.import.title"), icon=":material/input:"):
        st.caption(ui.tr("train.import.text"))
        upload = st.file_uploader(ui.tr("train.import.upload"), type=None, key="train_import")
        labels = ui.option_labels("train.import.norm.", IMPORT_NORMS)
        choice = st.radio(
            ui.tr("train.import.norm"), IMPORT_NORMS, format_func=labels.get, key="train_import_norm", horizontal=True
        )
        norm = None if choice == "file" else choice
        if choice == "custom":
            norm = st.text_input(ui.tr("train.import.custom"), key="train_import_norm_custom", max_chars=40) or None
        injected = st.session_state.get("train_injected_model")
        if injected is not None:
            name, raw = (injected["name"], injected["data"]) if isinstance(injected, dict) else ("model.onnx", injected)
        elif upload is not None:
            name, raw = upload.name, upload.getvalue()
        else:
            return
        if choice == "custom" and norm is None:
            return
        done = st.session_state.setdefault("train_imported", {})  # one import per file and normalisation
        key = (hashlib.sha256(raw).hexdigest(), norm)
        try:
            if key not in done:
                done[key] = onnx_import.import_bytes(raw, name, norm)
        except CodedError as exc:
            st.error(ui.plain(ui.tr_error(exc)))
            return
        except Exception:  # hostile bytes that a library trips over: a sentence, never a traceback
            logging.getLogger(__name__).warning("import of %s failed", name, exc_info=True)
            st.error(ui.tr("train.import.failed"))
            return
        path, net, _ = done[key]
        st.success(ui.tr("train.import.done", name=ui.plain(name), n=len(net.split(","))))
        st.code(net, language=None)
        if Path(path).exists() and st.session_state.get("model") != str(path):
            st.button(ui.tr("train.import.use"), key="train_import_use", on_click=ui.use_model, args=(str(path),))


st.title(ui.tr("train.title"))
st.write(ui.tr("train.intro"))
with st.expander(ui.tr("train.glossary_title")):
    st.markdown(glossary_markdown(GLOSSARY, ui.lang()))
import_ui()

if not data.is_available():
    ui.mnist_missing_ui("train_download")
    st.stop()

if ui.registry().backend_problem is not None:  # e.g. the Ray cluster is unreachable: runs train here instead
    st.warning(ui.tr("train.cluster_fallback", reason=ui.tr_error(ui.registry().backend_problem)))

model_config = network_ui()
train_config, run_name, keep_stopped = training_ui(ui.registry().max_epochs)
model_config, train_config = own_digits_ui(model_config, train_config)
current_id = st.session_state.get("train_run")
current = ui.registry().get(current_id) if current_id else None
active = current is not None and current.active
st.fragment(live_panel, run_every=POLL_S if active else None)(
    model_config, train_config, run_name, keep_stopped, active
)
use_model_ui(current)
download_script_ui(current)
if ui.registry().shared:
    every_run_ui(ui.registry().runs())
ended = [r for r in ui.registry().runs(owner()) if not r.active]
if ended or ui.saved_runs():
    compare_ui(ended)
