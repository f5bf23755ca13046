"""The training engine: the whole of MNIST as tensors on the device, shuffled by index, with callbacks.

No DataLoader and no per-sample PIL transforms: MNIST is 47 MB of uint8, so it lives on the device and
each batch is a slice of a permutation (normalised and, optionally, augmented as a batch).
That is what makes the quick recipe many times faster than the tutorial's DataLoader loop.
"""

from __future__ import annotations

import math
import random
import threading
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from lenet.config import LeNetConfig
from lenet.data import MNIST, load_mnist, normalise
from lenet.device import default_threads, describe_device, pick_device
from lenet.errors import CodedError
from lenet.events import Callback, End, Eval, Start, Step
from lenet.inference import predict
from lenet.model import LeNet
from lenet.netmodel import Net, build_model
from lenet.netspec import NetSpec
from lenet.netspec import model_config as read_model_config
from lenet.optim import FunctionalAdamW, OneCycle
from lenet.settings import DEVICES

OPTIMIZERS = ("adamw", "adam", "sgd")
EPOCHS_RANGE = (0.01, 1000)  # TrainConfig.epochs: a fraction of an epoch up to a thousand of them
# Cross-entropy over 10 classes starts near ln 10 = 2.3. A loss above 100 means the logits have blown
# up: the run has diverged even if it has not reached NaN yet (a dead ReLU net can sit there forever).
DIVERGED_LOSS = 100.0
# Weight snapshots a run keeps by default (TrainConfig.snapshots): the Draw page's "watch it learn" slider replays a
# drawing through them. Their accuracy is read on the first SNAPSHOT_TEST_DIGITS test digits: about 15 ms each on
# a CPU, where the whole test set costs 0.4 s. A network whose snapshots would take more than SNAPSHOT_MAX_BYTES
# keeps fewer of them, and none below 2 (LeNet-5: 12 x 0.25 MB).
SNAPSHOTS = 12
SNAPSHOT_TEST_DIGITS = 1000
SNAPSHOT_MAX_BYTES = 48 * 1024 * 1024
# Steps between two reads of the loss, by device type. Reading a number back from a GPU waits for all its
# queued work (a host sync); doing it every step would leave the GPU idle between LeNet's tiny steps. The
# CPU has no queue to wait for, so it reads every step and its events come one step at a time.
SYNC_STEPS = {"cpu": 1}
ACCELERATOR_SYNC_STEPS = 25


class TrainError(CodedError, RuntimeError):
    """A run that could not go on. `code` is a stable key for translation ("diverged", "oom", ...)."""

    default_code = "train_failed"


@dataclass
class TrainConfig:
    """How to train. The defaults are the quick classroom recipe: ≥ 98.5 % in a few CPU seconds.

    The shipped checkpoint's recipe is the "shipped" preset, which names every setting it used, so these defaults
    can change without changing it.
    """

    # One epoch (98.62 % with seed 0; seeds 0-4: 98.62-98.78 %). A fraction (1.2) ends the run part way through
    # an epoch, and the one-cycle schedule spans the steps it has.
    epochs: int | float = 1
    batch_size: int = 128
    lr: float = 4e-3  # the peak of the one-cycle schedule (Smith & Topin 2017, "Super-convergence")
    optimizer: str = "adamw"
    momentum: float = 0.9  # SGD only
    weight_decay: float = 1e-4
    schedule: str = "onecycle"  # "onecycle" or "constant"
    # Targets of 0.91 and 0.01 instead of 1 and 0 (Szegedy et al. 2016): +0.2 to +0.4 points after one epoch.
    label_smoothing: float = 0.1
    augment: bool = False  # random affine + stroke thickness: slower to converge, reads drawn digits better
    device: str = "auto"
    seed: int = 0
    evals_per_epoch: int = 1  # test-set evaluations per epoch (the live accuracy chart's points)
    max_steps: int | None = None  # stop after this many batches: the one-batch smoke mode
    threads: int | None = None  # CPU threads for training; None: every core
    # The network and each batch in NHWC memory ("channels_last"): oneDNN's faster convolutions on a CPU
    # (about 1.5x per step for LeNet-5 on 2 cores). Different kernels round differently: the shipped checkpoint's
    # recipe (the "shipped" preset) turns it off, as it was trained, to reproduce bit for bit.
    channels_last: bool = True
    # AdamW through torch.optim's functional API (lenet.optim): the same update, bit for bit, without the
    # Optimizer class, whose first use imports PyTorch's compiler (3.3 s before the first step of a fresh process).
    # AdamW only; SGD and Adam always use torch.optim. False: torch.optim.AdamW (the same weights, 3.3 s later).
    functional_optimizer: bool = True
    # The training forward in a cheaper order (LeNet.forward_fast: max-pooling before the activation, C5 as one
    # matrix product): the same function, rounded differently; 1.2-1.3x per step on a 2-core CPU (README).
    fast_kernels: bool = True
    # Fine-tuning (class mode's "teach it our handwriting", the Train page's own digits, the CLI's --extra-data):
    init_from: str | None = None  # a checkpoint to start from; its network is the one trained
    extra_data: str | None = None  # a digits dataset file (lenet.data.read_dataset) mixed into the training set
    extra_holdout: float = 0.0  # the share of those digits held back: accuracy on them before and after
    extra_repeat: int = 1  # how often each of those digits is seen per epoch (augmented anew each time)
    mnist_mix: int | None = None  # how many MNIST training images are mixed in; None: all of them
    # Weight snapshots kept from the start (step 0) to the end, geometrically spaced (`snapshot_steps`); 0: none.
    # Taking them changes nothing in the run: the final weights are the same bits with or without them.
    snapshots: int = SNAPSHOTS

    def validate(self) -> None:
        """Raise TrainError ("bad_setting", or "device_unknown") for a setting that cannot train."""
        for ok, name, expected in self._checks():
            if not ok:
                raise TrainError(
                    f"{name} = {getattr(self, name)!r} is not valid: use {expected}",
                    "bad_setting",
                    name=name,
                    value=getattr(self, name),
                    expected=expected,
                )
        # Only the name is checked here: whether this machine has the device is lenet.device's question.
        if str(self.device or "auto").lower() not in DEVICES:
            raise TrainError(
                f"unknown device {self.device!r}: use auto, cpu, cuda or mps", "device_unknown", device=self.device
            )

    def _checks(self) -> list[tuple[bool, str, str]]:
        """(whether it holds, the setting, what it takes) for every setting with a range."""
        return [
            (
                isinstance(self.epochs, (int, float))
                and not isinstance(self.epochs, bool)
                and EPOCHS_RANGE[0] <= self.epochs <= EPOCHS_RANGE[1],
                "epochs",
                "a number from {} to {}".format(*EPOCHS_RANGE),
            ),
            (
                isinstance(self.batch_size, int) and 1 <= self.batch_size <= 60000,
                "batch_size",
                "a whole number from 1 to 60000",
            ),
            (
                isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and 0 < self.lr <= 10,
                "lr",
                "a number above 0 and at most 10",
            ),
            (self.optimizer in OPTIMIZERS, "optimizer", " or ".join(OPTIMIZERS)),
            (self.schedule in ("onecycle", "constant"), "schedule", "onecycle or constant"),
            (0 <= self.momentum < 1, "momentum", "at least 0 and below 1"),
            (0 <= self.weight_decay < 1, "weight_decay", "at least 0 and below 1"),
            (0 <= self.label_smoothing < 1, "label_smoothing", "at least 0 and below 1"),
            (
                isinstance(self.evals_per_epoch, int) and 1 <= self.evals_per_epoch <= 100,
                "evals_per_epoch",
                "from 1 to 100",
            ),
            (
                self.max_steps is None or (isinstance(self.max_steps, int) and self.max_steps >= 1),
                "max_steps",
                "1 or more",
            ),
            (0 <= self.extra_holdout <= 0.9, "extra_holdout", "from 0 to 0.9"),
            (isinstance(self.extra_repeat, int) and 1 <= self.extra_repeat <= 100, "extra_repeat", "from 1 to 100"),
            (
                self.mnist_mix is None or (isinstance(self.mnist_mix, int) and 0 <= self.mnist_mix <= 60000),
                "mnist_mix",
                "from 0 to 60000",
            ),
            (self.mnist_mix != 0 or self.extra_data, "mnist_mix", "1 or more when no dataset of your own is added"),
            (
                isinstance(self.snapshots, int) and not isinstance(self.snapshots, bool) and 0 <= self.snapshots <= 64,
                "snapshots",
                "from 0 to 64",
            ),
        ]


# Each optimizer's default peak learning rate: the quick recipe's for Adam; SGD takes bigger steps for the
# same pace. The CLI and the Train page start from these.
DEFAULT_LR = {"adamw": TrainConfig.lr, "adam": TrainConfig.lr, "sgd": 0.05}

# Named recipes for `python -m lenet train --preset NAME`: TrainConfig fields, and the network's under "model".
# An option given on the command line beside the preset still wins.
PRESETS: dict[str, dict] = {
    # 99 % on MNIST's test set in as little time as a 2-core CPU allows (goal: 8 s from the command's start;
    # README, Performance, says where the seconds go). The quick recipe's settings with a peak rate 2.5x its own:
    # one epoch, 99.02 % with seed 0 (seeds 0-4: 98.94-99.02 %, mean 98.98 %). 1.2 epochs make 99.08 % (mean
    # 99.02 %) but cost about 0.8 s, which this noisy machine's slow minutes cannot spare (README). One evaluation,
    # at the end (the test set costs ~0.4 s).
    "fast99": {
        "epochs": 1,
        "batch_size": 128,
        "lr": 1e-2,
        "label_smoothing": 0.1,
        "evals_per_epoch": 1,
        "channels_last": True,
        "fast_kernels": True,
    },
    # The shipped checkpoint's recipe (`make checkpoint`), every setting named: 15 epochs with augmentation, the
    # plain layout and forward pass it was trained with, so it reproduces from its seed whatever the defaults are.
    "shipped": {
        "epochs": 15,
        "batch_size": 128,
        "lr": 4e-3,
        "optimizer": "adamw",
        "weight_decay": 1e-4,
        "schedule": "onecycle",
        "label_smoothing": 0.0,
        "augment": True,
        "seed": 0,
        "evals_per_epoch": 1,
        "channels_last": False,
        "fast_kernels": False,
    },
}


@dataclass
class Snapshot:
    """The weights at one step of a run, with how the model did there (plain numpy: it travels from a child)."""

    step: int
    epoch: float
    loss: float | None  # the training batch's loss at this step; None at step 0
    acc: float | None  # accuracy on the first SNAPSHOT_TEST_DIGITS test digits
    state: dict[str, np.ndarray]  # the model's state dict, float32 copies on the CPU


def snapshot_steps(total: int, count: int = SNAPSHOTS) -> list[int]:
    """`count` distinct steps from 0 to `total`, spaced geometrically after step 0 (0, 1, 2, 6, 14, 34, ... 7035
    for 12 of 7,035): the weights change fastest early on. Every step when the run has no more steps than that.
    """
    if count <= 0:
        return []
    if total + 1 <= count:
        return list(range(total + 1))
    steps = [0]
    for i in range(1, count):
        target = round(total ** ((i - 1) / (count - 2))) if count > 2 else total
        steps.append(min(max(target, steps[-1] + 1), total - (count - 1 - i)))
    return steps


@dataclass
class FitResult:
    """What a run produced: the trained model (on the CPU), its history and final figures."""

    model: LeNet | Net
    test_acc: float | None
    elapsed_s: float
    device: str
    stopped: bool
    steps: int
    epochs_done: float
    history: list[Eval] = field(default_factory=list)
    # With extra_data: {"n_train", "n_test", "before", "after"}, accuracy on the held-back digits (None: none held).
    extra: dict | None = None
    snapshots: list[Snapshot] = field(default_factory=list)  # TrainConfig.snapshots of them, step 0 to the end

    def metrics(self, train_config: TrainConfig) -> dict:
        """The metrics stored in a checkpoint's metadata."""
        return {
            **({"extra": self.extra} if self.extra else {}),
            "test_acc": self.test_acc,
            "epochs": round(self.epochs_done, 3),
            "elapsed_s": round(self.elapsed_s, 2),
            "device": self.device,
            "stopped": self.stopped,
            "train_config": asdict(train_config),
        }


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, numpy and torch; returns the generator that shuffles and augments."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def augment_batch(x01: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Random affine (rotation ±15°, scale ±12 %, shear, shift ±2 px) and stroke thickness on a batch in [0, 1].

    Drawn digits differ from MNIST mostly in slant, size and pen width; after our preprocessing they are
    already centred and 20 px tall, so small shifts are enough. Thickness changes are a 3x3 grey dilation
    or erosion (max-pooling), applied to a quarter of the batch each.
    """
    n, dev = x01.shape[0], x01.device

    def rand(lo: float, hi: float) -> torch.Tensor:
        return (torch.rand(n, generator=generator) * (hi - lo) + lo).to(dev)

    angle = rand(-15, 15) * math.pi / 180
    scale = rand(0.88, 1.12)
    shear = rand(-0.25, 0.25)
    tx, ty = rand(-2 / 14, 2 / 14), rand(-2 / 14, 2 / 14)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack(
        [torch.stack([cos, -sin + shear * cos, tx], 1), torch.stack([sin, cos + shear * sin, ty], 1)], 1
    )
    grid = F.affine_grid(theta, list(x01.shape), align_corners=False)
    out = F.grid_sample(x01, grid, align_corners=False, padding_mode="zeros")
    pick = torch.rand(n, generator=generator).to(dev)
    thick, thin = pick < 0.25, pick > 0.75
    if thick.any():
        out[thick] = F.max_pool2d(out[thick], 3, 1, 1) * 0.85 + out[thick] * 0.15
    if thin.any():
        out[thin] = -F.max_pool2d(-out[thin], 3, 1, 1) * 0.7 + out[thin] * 0.3
    return out


def make_optimizer(model: nn.Module, tc: TrainConfig) -> torch.optim.Optimizer | FunctionalAdamW:
    """The optimizer `tc` names, over the model's trainable parameters."""
    params = [p for p in model.parameters() if p.requires_grad]
    if tc.optimizer == "adamw" and tc.functional_optimizer:
        return FunctionalAdamW(params, lr=tc.lr, weight_decay=tc.weight_decay)
    if tc.optimizer == "sgd":
        return torch.optim.SGD(params, lr=tc.lr, momentum=tc.momentum, weight_decay=tc.weight_decay, nesterov=True)
    if tc.optimizer == "adam":
        return torch.optim.Adam(params, lr=tc.lr, weight_decay=tc.weight_decay)
    return torch.optim.AdamW(params, lr=tc.lr, weight_decay=tc.weight_decay)


def make_scheduler(opt: torch.optim.Optimizer | FunctionalAdamW, tc: TrainConfig, total_steps: int):
    """One-cycle over the run's steps, or None for a constant rate."""
    # One-cycle needs a few steps to warm up and anneal (with under 8 it divides by zero): constant below that.
    if tc.schedule != "onecycle" or total_steps < 8:
        return None
    one_cycle = OneCycle if isinstance(opt, FunctionalAdamW) else torch.optim.lr_scheduler.OneCycleLR
    return one_cycle(opt, max_lr=tc.lr, total_steps=total_steps, pct_start=0.25)


@torch.inference_mode()
def evaluate(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 2000) -> float:
    """Accuracy on uint8 images and their labels (tensors on the model's device)."""
    return (predict(model, images, batch_size).argmax(1) == labels).float().mean().item()


@dataclass
class _Loop:
    """One run's moving parts and progress, handed between the epoch, step and evaluation functions."""

    model: LeNet | Net
    opt: torch.optim.Optimizer | FunctionalAdamW
    sched: torch.optim.lr_scheduler.LRScheduler | OneCycle | None
    loss_fn: nn.Module
    tc: TrainConfig
    data: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]  # train images, labels; test images, labels
    gen: torch.Generator
    emit: Callback
    stop_event: threading.Event | None
    steps_per_epoch: int
    total: int
    eval_at: set[int]  # the steps after which the test set is scored
    snapshot_at: set[int] = field(default_factory=set)  # the steps after which the weights are kept
    step: int = 0
    seen: int = 0
    stopped: bool = False
    test_acc: float | None = None
    pending: list[tuple[int, torch.Tensor, float, int]] = field(default_factory=list)  # (step, loss, lr, seen)
    last_loss: float = math.nan
    history: list[Eval] = field(default_factory=list)
    snapshots: list[Snapshot] = field(default_factory=list)
    t_train: float = field(default_factory=time.perf_counter)


def _schedule(tc: TrainConfig, n: int) -> tuple[int, int, set[int]]:
    """(steps per epoch, total steps, the steps after which to evaluate) for `n` training images."""
    steps_per_epoch = math.ceil(n / tc.batch_size)
    planned = max(1, round(tc.epochs * steps_per_epoch))
    total = min(planned, tc.max_steps) if tc.max_steps else planned
    # evals_per_epoch points per whole epoch, evenly spaced over the planned run (a run of 1.2 or 1.5 epochs at 1
    # per epoch is scored once, at its end), and always at the end of the run.
    evals = max(1, math.floor(tc.epochs * tc.evals_per_epoch + 1e-9))
    eval_at = {round(planned * (k + 1) / evals) for k in range(evals)}
    return steps_per_epoch, total, {min(s, total) for s in eval_at} | {total}


def train_epoch(loop: _Loop) -> None:
    """One pass over a fresh permutation of the training set, until it ends, the run ends or a stop."""
    x_train, y_train = loop.data[0], loop.data[1]
    perm = torch.randperm(len(x_train), generator=loop.gen).to(x_train.device)
    sync_steps = SYNC_STEPS.get(x_train.device.type, ACCELERATOR_SYNC_STEPS)
    loop.model.train()
    for i in range(0, len(x_train), loop.tc.batch_size):
        if loop.step >= loop.total:
            break
        if loop.stop_event is not None and loop.stop_event.is_set():
            loop.stopped = True
            break
        idx = perm[i : i + loop.tc.batch_size]
        loss = train_step(loop, x_train[idx], y_train[idx])
        loop.seen += len(idx)
        loop.pending.append((loop.step, loss, loop.opt.param_groups[0]["lr"], loop.seen))
        if len(loop.pending) >= sync_steps or loop.step in loop.eval_at or loop.step in loop.snapshot_at:
            report_steps(loop)
        if loop.step in loop.eval_at:
            evaluate_now(loop, loop.last_loss)
            loop.model.train()
        if loop.step in loop.snapshot_at:
            take_snapshot(loop)
    report_steps(loop)


def train_step(loop: _Loop, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """One optimisation step on a batch of uint8 images; returns its loss, still on the device (no sync)."""
    tc = loop.tc
    augment = (lambda x01: augment_batch(x01, loop.gen)) if tc.augment else None
    x = normalise(images, augment)
    if tc.channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    logits = loop.model.forward_fast(x) if tc.fast_kernels else loop.model(x)
    loss = loop.loss_fn(logits, labels)
    loop.opt.zero_grad(set_to_none=True)
    loss.backward()
    loop.opt.step()
    if loop.sched is not None:
        loop.sched.step()
    loop.step += 1
    return loss.detach()


def report_steps(loop: _Loop) -> None:
    """Read the pending steps' losses back in one go, check them and report each step.

    Raises:
        TrainError: "diverged" when a loss is not finite or has blown up.
    """
    if not loop.pending:
        return
    tensors = [loss for _, loss, _, _ in loop.pending]
    losses = [tensors[0].item()] if len(tensors) == 1 else torch.stack(tensors).tolist()
    elapsed = time.perf_counter() - loop.t_train
    for (step, _, lr, seen), loss in zip(loop.pending, losses, strict=True):
        if not math.isfinite(loss) or loss > DIVERGED_LOSS:
            raise TrainError(
                f"the loss blew up to {loss:.3g} at step {step}: the learning rate ({loop.tc.lr:g}) is "
                "probably too high",
                "diverged",
                step=step,
                lr=loop.tc.lr,
            )
        loop.last_loss = loss
        loop.emit(
            Step(
                step=step,
                total_steps=loop.total,
                epoch=step / loop.steps_per_epoch,
                loss=loss,
                lr=lr,
                samples_per_s=seen / max(elapsed, 1e-9),
                elapsed_s=elapsed,
            )
        )
    loop.pending.clear()


def evaluate_now(loop: _Loop, train_loss: float) -> None:
    """Score the model on the test set and report it as one row of the history."""
    loop.test_acc = evaluate(loop.model, loop.data[2], loop.data[3])
    row = Eval(
        step=loop.step,
        epoch=loop.step / loop.steps_per_epoch,
        train_loss=train_loss,
        test_acc=loop.test_acc,
        elapsed_s=time.perf_counter() - loop.t_train,
    )
    loop.history.append(row)
    loop.emit(row)


def _snapshot_count(model: nn.Module, tc: TrainConfig) -> int:
    """How many snapshots this run keeps: TrainConfig.snapshots, fewer for a network too big for them all."""
    per = sum(t.numel() * 4 for t in model.state_dict().values())
    count = min(tc.snapshots, SNAPSHOT_MAX_BYTES // max(per, 1))
    return count if count >= 2 else 0


def take_snapshot(loop: _Loop) -> None:
    """Keep the weights as they are now, with the batch's loss and the accuracy on a few test digits.

    It reads and copies only: no random number is drawn and no weight changes, so a run's bits are the same with
    or without snapshots (tests/test_history.py).
    """
    test_images, test_labels = loop.data[2][:SNAPSHOT_TEST_DIGITS], loop.data[3][:SNAPSHOT_TEST_DIGITS]
    acc = evaluate(loop.model, test_images, test_labels) if len(test_images) else None
    loop.model.train()
    state = {k: v.detach().to("cpu").contiguous().numpy().copy() for k, v in loop.model.state_dict().items()}
    loss = None if loop.step == 0 or math.isnan(loop.last_loss) else loop.last_loss
    loop.snapshots.append(Snapshot(loop.step, loop.step / loop.steps_per_epoch, loss, acc, state))


def fit(
    model_config: LeNetConfig | NetSpec | str | None = None,
    train_config: TrainConfig | None = None,
    callback: Callback | None = None,
    stop_event: threading.Event | None = None,
    data: MNIST | None = None,
) -> FitResult:
    """Train a LeNet, or any network list, on MNIST.

    Args:
        model_config: the network: a LeNetConfig, or a list (a NetSpec, its text or a preset's name); default
            LeNet-5.
        train_config: how to train; default the quick recipe.
        callback: called with each lenet.events event (Start, Step, Eval, End). It runs on the training
            thread, so it must be quick and must never touch a UI.
        stop_event: when set, the run stops after the current batch and returns what it has learned.
        data: MNIST arrays; default load_mnist().
    Returns:
        a FitResult with the model on the CPU, in eval mode.
    Raises:
        TrainError: "diverged" for NaN/Inf loss, "oom" when the device runs out of memory, "bad_setting".
        DeviceError: the device asked for is unknown or not on this machine.
        DataError: MNIST missing or corrupt.
        NetSpecError: text that is no network.
    """
    model_config = read_model_config(model_config)
    tc = train_config or TrainConfig()
    tc.validate()
    device = pick_device(tc.device)
    if device.type == "cpu":
        torch.set_num_threads(tc.threads or default_threads())
    gen = seed_everything(tc.seed)
    data = data or load_mnist()
    try:
        return _fit(model_config or LeNetConfig(), tc, callback or (lambda event: None), stop_event, data, device, gen)
    except torch.cuda.OutOfMemoryError:
        torch.cuda.empty_cache()
        raise TrainError(
            f"the GPU ran out of memory; try a smaller batch than {tc.batch_size}", "oom", batch_size=tc.batch_size
        ) from None


def _fit(
    cfg: LeNetConfig | NetSpec,
    tc: TrainConfig,
    emit: Callback,
    stop_event: threading.Event | None,
    data: MNIST,
    device: torch.device,
    gen: torch.Generator,
) -> FitResult:
    """The run itself, once the settings are checked and everything is seeded."""
    t0 = time.perf_counter()
    model = initial_model(cfg, tc).to(device)
    if tc.channels_last:
        model = model.to(memory_format=torch.channels_last)
    tensors, held = training_tensors(data, tc, device)
    extra = None
    if tc.extra_data:
        before = evaluate(model, *held) if len(held[0]) else None
        extra = {"n_train": len(tensors[0]) - _mnist_count(data, tc), "n_test": len(held[0]), "before": before}
    opt = make_optimizer(model, tc)
    steps_per_epoch, total, eval_at = _schedule(tc, len(tensors[0]))
    loop = _Loop(
        model,
        opt,
        make_scheduler(opt, tc, total),
        nn.CrossEntropyLoss(label_smoothing=tc.label_smoothing),
        tc,
        tensors,
        gen,
        emit,
        stop_event,
        steps_per_epoch,
        total,
        eval_at,
    )
    loop.snapshot_at = set(snapshot_steps(total, _snapshot_count(model, tc)))
    emit(Start(total_steps=total, steps_per_epoch=steps_per_epoch, device=describe_device(device)))
    _train_to_the_end(loop)
    result = FitResult(
        model=model.eval(),
        test_acc=loop.test_acc,
        elapsed_s=time.perf_counter() - t0,
        device=describe_device(device),
        stopped=loop.stopped,
        steps=loop.step,
        epochs_done=loop.step / steps_per_epoch,
        history=loop.history,
        snapshots=loop.snapshots,
        extra=extra and {**extra, "after": evaluate(model, *held) if len(held[0]) else None},
    )
    result.model = model.to("cpu", memory_format=torch.contiguous_format)  # checkpoints store plain tensors
    emit(End(test_acc=loop.test_acc, stopped=loop.stopped, elapsed_s=result.elapsed_s, steps=loop.step))
    return result


def _train_to_the_end(loop: _Loop) -> None:
    """Every epoch until the last step or a stop, with the history's first and last snapshots; a run stopped after
    its last evaluation is scored on the test set where it stopped."""
    if 0 in loop.snapshot_at:
        take_snapshot(loop)
    loop.t_train = time.perf_counter()
    while loop.step < loop.total and not loop.stopped:
        train_epoch(loop)
    if loop.stopped and loop.step > 0 and (not loop.history or loop.history[-1].step != loop.step):
        loop.test_acc = evaluate(loop.model, loop.data[2], loop.data[3])
    if loop.snapshots and loop.snapshots[-1].step != loop.step:  # stopped early: its last weights end the history
        take_snapshot(loop)


def initial_model(cfg: LeNetConfig | NetSpec, tc: TrainConfig) -> LeNet | Net:
    """A fresh model of `cfg` (a LeNet or a Net), or with `init_from` that checkpoint's network and weights
    (fine-tuning)."""
    if not tc.init_from:
        return build_model(cfg)
    from lenet.checkpoints import load_checkpoint  # checkpoints imports the model; train is imported lazily there

    model, _ = load_checkpoint(tc.init_from)
    return model


def _mnist_count(data: MNIST, tc: TrainConfig) -> int:
    return len(data.train_images) if tc.mnist_mix is None else min(tc.mnist_mix, len(data.train_images))


def training_tensors(data: MNIST, tc: TrainConfig, device: torch.device) -> tuple[tuple, tuple]:
    """((train images, labels, test images, labels), (held-back images, labels)) on `device`.

    MNIST's training set (or `mnist_mix` of it, chosen by the seed) with `extra_data`'s digits added
    `extra_repeat` times, less the `extra_holdout` share held back to score before and after. The test set
    stays MNIST's, so the live chart shows whether the network forgets MNIST while it learns the new digits.
    """
    rng = np.random.default_rng(tc.seed)
    images, labels = data.train_images, data.train_labels
    if tc.mnist_mix is not None and tc.mnist_mix < len(images):
        keep = np.sort(rng.permutation(len(images))[: tc.mnist_mix])
        images, labels = images[keep], labels[keep]
    held = (np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.uint8))
    if tc.extra_data:
        from lenet.data import read_dataset

        extra_images, extra_labels = read_dataset(tc.extra_data)
        order = rng.permutation(len(extra_images))
        n_held = min(len(order) - 1, math.ceil(len(order) * tc.extra_holdout)) if tc.extra_holdout else 0
        held = (extra_images[order[:n_held]], extra_labels[order[:n_held]])
        train = order[n_held:]
        images = np.concatenate([images, *[extra_images[train]] * tc.extra_repeat])
        labels = np.concatenate([labels, *[extra_labels[train]] * tc.extra_repeat])
    # Copies: the cached arrays stay read-only.
    tensors = (
        torch.tensor(images, device=device),
        torch.tensor(labels, device=device).long(),
        torch.tensor(data.test_images, device=device),
        torch.tensor(data.test_labels, device=device).long(),
    )
    return tensors, (torch.tensor(held[0], device=device), torch.tensor(held[1], device=device).long())
