"""The training engine: the whole of MNIST as tensors on the device, shuffled by index, with callbacks.

No DataLoader and no per-sample PIL transforms: MNIST is 47 MB of uint8, so it lives on the device and
each batch is a slice of a permutation (normalised and, optionally, augmented as a batch).
That is what makes the quick recipe many times faster than the tutorial's DataLoader loop.
"""

from __future__ import annotations

import math
import os
import random
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from lenet.data import MEAN, STD, MNIST, load_mnist
from lenet.errors import CodedError
from lenet.model import LeNet, LeNetConfig

OPTIMIZERS = ("adamw", "adam", "sgd")
# Cross-entropy over 10 classes starts near ln 10 = 2.3. A loss above 100 means the logits have blown
# up: the run has diverged even if it has not reached NaN yet (a dead ReLU net can sit there forever).
DIVERGED_LOSS = 100.0


class TrainError(CodedError, RuntimeError):
    """A run that could not go on. `code` is a stable key for translation ("diverged", "oom", ...)."""

    default_code = "train_failed"


@dataclass
class TrainConfig:
    """How to train. The defaults are the quick classroom recipe: ≥ 98.5 % in a few CPU seconds."""

    epochs: int = 2
    batch_size: int = 128
    lr: float = 4e-3  # the peak of the one-cycle schedule (Smith & Topin 2017, "Super-convergence")
    optimizer: str = "adamw"
    momentum: float = 0.9  # SGD only
    weight_decay: float = 1e-4
    schedule: str = "onecycle"  # "onecycle" or "constant"
    label_smoothing: float = 0.0
    augment: bool = False  # random affine + stroke thickness: slower to converge, reads drawn digits better
    device: str = "auto"
    seed: int = 0
    evals_per_epoch: int = 1  # test-set evaluations per epoch (the live accuracy chart's points)
    max_steps: int | None = None  # stop after this many batches: the one-batch smoke mode
    threads: int | None = None  # CPU threads for training; None: every core

    def validate(self) -> None:
        """Raise TrainError("bad_setting") for a setting that cannot train."""
        checks = [
            (isinstance(self.epochs, int) and 1 <= self.epochs <= 1000, "epochs", "a whole number from 1 to 1000"),
            (isinstance(self.batch_size, int) and 1 <= self.batch_size <= 60000, "batch_size",
             "a whole number from 1 to 60000"),
            (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and 0 < self.lr <= 10, "lr",
             "a number above 0 and at most 10"),
            (self.optimizer in OPTIMIZERS, "optimizer", " or ".join(OPTIMIZERS)),
            (self.schedule in ("onecycle", "constant"), "schedule", "onecycle or constant"),
            (0 <= self.momentum < 1, "momentum", "at least 0 and below 1"),
            (0 <= self.weight_decay < 1, "weight_decay", "at least 0 and below 1"),
            (0 <= self.label_smoothing < 1, "label_smoothing", "at least 0 and below 1"),
            (isinstance(self.evals_per_epoch, int) and 1 <= self.evals_per_epoch <= 100, "evals_per_epoch",
             "from 1 to 100"),
            (self.max_steps is None or (isinstance(self.max_steps, int) and self.max_steps >= 1), "max_steps",
             "1 or more"),
        ]
        for ok, name, expected in checks:
            if not ok:
                raise TrainError(f"{name} = {getattr(self, name)!r} is not valid: use {expected}", "bad_setting",
                                 name=name, value=getattr(self, name), expected=expected)


@dataclass
class FitResult:
    """What a run produced: the trained model (on the CPU), its history and final figures."""

    model: LeNet
    test_acc: float | None
    elapsed_s: float
    device: str
    stopped: bool
    steps: int
    epochs_done: float
    history: list[dict] = field(default_factory=list)

    def metrics(self, train_config: TrainConfig) -> dict:
        """The metrics stored in a checkpoint's metadata."""
        return {"test_acc": self.test_acc, "epochs": round(self.epochs_done, 3), "elapsed_s": round(self.elapsed_s, 2),
                "device": self.device, "stopped": self.stopped, "train_config": asdict(train_config)}


def pick_device(name: str = "auto") -> torch.device:
    """cuda, then Apple mps, then cpu for "auto"; a named device must be available.

    Raises:
        TrainError: code "device_unavailable" when the named device is not there.
    """
    name = (name or "auto").lower()
    if name == "auto":
        name = os.environ.get("LENET_DEVICE", "auto").lower() or "auto"
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    available = {"cpu": True, "cuda": torch.cuda.is_available(),
                 "mps": getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()}
    if name not in available:
        raise TrainError(f"unknown device {name!r}: use auto, cpu, cuda or mps", "device_unknown", device=name)
    if not available[name]:
        raise TrainError(f"device {name!r} is not available on this machine", "device_unavailable", device=name)
    return torch.device(name)


def describe_device(device: torch.device) -> str:
    """A short human name: 'CPU (2 cores)', 'NVIDIA H100 80GB HBM3', 'Apple MPS'."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    if device.type == "mps":
        return "Apple MPS"
    return f"CPU ({os.cpu_count()} cores)"


def default_threads(leave_one: bool = False) -> int:
    """Threads to train with: every core, or all but one so that the app's inference keeps a core."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return max(1, cores - 1) if leave_one else max(1, cores)


def seed_everything(seed: int) -> torch.Generator:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def normalise(images_u8: torch.Tensor) -> torch.Tensor:
    """uint8 N x 28 x 28 (or N x 1 x 28 x 28) -> float N x 1 x 28 x 28 normalised with MNIST's statistics."""
    x = images_u8.float().div_(255.0)
    if x.dim() == 3:
        x = x.unsqueeze(1)
    return x.sub_(MEAN).div_(STD)


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
    theta = torch.stack([torch.stack([cos, -sin + shear * cos, tx], 1),
                         torch.stack([sin, cos + shear * sin, ty], 1)], 1)
    grid = F.affine_grid(theta, list(x01.shape), align_corners=False)
    out = F.grid_sample(x01, grid, align_corners=False, padding_mode="zeros")
    pick = torch.rand(n, generator=generator).to(dev)
    thick, thin = pick < 0.25, pick > 0.75
    if thick.any():
        out[thick] = F.max_pool2d(out[thick], 3, 1, 1) * 0.85 + out[thick] * 0.15
    if thin.any():
        out[thin] = -F.max_pool2d(-out[thin], 3, 1, 1) * 0.7 + out[thin] * 0.3
    return out


@torch.inference_mode()
def evaluate(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 2000) -> tuple[float, torch.Tensor]:
    """Accuracy on uint8 images, and the predictions (on the CPU)."""
    model.eval()
    preds = []
    for i in range(0, len(images), batch_size):
        preds.append(model(normalise(images[i:i + batch_size])).argmax(1))
    pred = torch.cat(preds)
    return (pred == labels).float().mean().item(), pred.cpu()


Callback = Callable[[str, dict], None]


def fit(model_config: LeNetConfig | None = None, train_config: TrainConfig | None = None,
        callback: Callback | None = None, stop_event: threading.Event | None = None,
        data: MNIST | None = None, model: LeNet | None = None) -> FitResult:
    """Train a LeNet on MNIST.

    Args:
        model_config: the network; default LeNet-5.
        train_config: how to train; default the quick recipe.
        callback: called as callback(kind, info) with kind "start", "step", "eval" or "end". It runs on the
            training thread, so it must be quick and must never touch a UI.
        stop_event: when set, the run stops after the current batch and returns what it has learned.
        data: MNIST arrays; default load_mnist().
        model: continue training this model instead of a new one.
    Returns:
        a FitResult with the model on the CPU, in eval mode.
    Raises:
        TrainError: "diverged" for NaN/Inf loss, "oom" when the device runs out of memory, "bad_setting".
        DataError: MNIST missing or corrupt.
    """
    tc = train_config or TrainConfig()
    tc.validate()
    cfg = model_config or (model.config if model is not None else LeNetConfig())
    emit = callback or (lambda kind, info: None)
    device = pick_device(tc.device)
    if device.type == "cpu":
        torch.set_num_threads(tc.threads or default_threads())
    gen = seed_everything(tc.seed)
    data = data or load_mnist()
    try:
        return _fit(cfg, tc, emit, stop_event, data, model, device, gen)
    except torch.cuda.OutOfMemoryError:
        torch.cuda.empty_cache()
        raise TrainError(f"the GPU ran out of memory; try a smaller batch than {tc.batch_size}", "oom",
                         batch_size=tc.batch_size) from None


def _fit(cfg: LeNetConfig, tc: TrainConfig, emit: Callback, stop_event, data: MNIST, model: LeNet | None,
         device: torch.device, gen: torch.Generator) -> FitResult:
    t0 = time.perf_counter()
    x_train = torch.tensor(data.train_images, device=device)  # a copy: the cached arrays stay read-only
    y_train = torch.tensor(data.train_labels, device=device).long()
    x_test = torch.tensor(data.test_images, device=device)
    y_test = torch.tensor(data.test_labels, device=device).long()
    model = (model or LeNet(cfg)).to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    if tc.optimizer == "sgd":
        opt = torch.optim.SGD(params, lr=tc.lr, momentum=tc.momentum, weight_decay=tc.weight_decay, nesterov=True)
    elif tc.optimizer == "adam":
        opt = torch.optim.Adam(params, lr=tc.lr, weight_decay=tc.weight_decay)
    else:
        opt = torch.optim.AdamW(params, lr=tc.lr, weight_decay=tc.weight_decay)
    n = len(x_train)
    steps_per_epoch = math.ceil(n / tc.batch_size)
    total = tc.epochs * steps_per_epoch
    if tc.max_steps:
        total = min(total, tc.max_steps)
    # One-cycle needs a few steps to warm up and anneal (with under 8 it divides by zero): constant below that.
    sched = (torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=tc.lr, total_steps=total, pct_start=0.25)
             if tc.schedule == "onecycle" and total >= 8 else None)
    eval_at = {round(steps_per_epoch * (e + (k + 1) / tc.evals_per_epoch)) for e in range(tc.epochs)
               for k in range(tc.evals_per_epoch)}
    eval_at = {min(s, total) for s in eval_at} | {total}
    loss_fn = nn.CrossEntropyLoss(label_smoothing=tc.label_smoothing)
    history: list[dict] = []
    emit("start", {"total_steps": total, "steps_per_epoch": steps_per_epoch, "device": describe_device(device)})
    step, acc, stopped = 0, None, False
    seen, t_train = 0, time.perf_counter()
    while step < total and not stopped:
        perm = torch.randperm(n, generator=gen).to(device)
        model.train()
        for i in range(0, n, tc.batch_size):
            if step >= total:
                break
            if stop_event is not None and stop_event.is_set():
                stopped = True
                break
            idx = perm[i:i + tc.batch_size]
            xb = x_train[idx].unsqueeze(1).float().div_(255.0)
            if tc.augment:
                xb = augment_batch(xb, gen)
            xb = xb.sub_(MEAN).div_(STD)
            loss = loss_fn(model(xb), y_train[idx])
            if not torch.isfinite(loss) or loss.item() > DIVERGED_LOSS:
                raise TrainError(f"the loss blew up to {loss.item():.3g} at step {step + 1}: the learning rate "
                                 f"({tc.lr:g}) is probably too high", "diverged", step=step + 1, lr=tc.lr)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if sched is not None:
                sched.step()
            step += 1
            seen += len(idx)
            elapsed = time.perf_counter() - t_train
            emit("step", {"step": step, "total_steps": total, "epoch": step / steps_per_epoch,
                          "loss": loss.item(), "lr": opt.param_groups[0]["lr"],
                          "samples_per_s": seen / max(elapsed, 1e-9), "elapsed_s": elapsed})
            if step in eval_at:
                acc, _ = evaluate(model, x_test, y_test)
                model.train()
                row = {"step": step, "epoch": step / steps_per_epoch, "train_loss": loss.item(), "test_acc": acc,
                       "elapsed_s": time.perf_counter() - t_train}
                history.append(row)
                emit("eval", row)
    if stopped and step > 0 and (not history or history[-1]["step"] != step):
        acc, _ = evaluate(model, x_test, y_test)
    model = model.to("cpu").eval()
    result = FitResult(model=model, test_acc=acc, elapsed_s=time.perf_counter() - t0,
                       device=describe_device(device), stopped=stopped, steps=step,
                       epochs_done=step / steps_per_epoch, history=history)
    emit("end", {"test_acc": acc, "stopped": stopped, "elapsed_s": result.elapsed_s, "steps": step})
    return result
