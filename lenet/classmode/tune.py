"""Teach it our handwriting: fine-tuning the current model on a class's digits, with MNIST mixed in.

The class's digits are written to a dataset file (an .npz, as the class's download) in the runs folder's
`datasets/`, which every replica and training node can read; a run starts from the current checkpoint, mixes
`MNIST_MIX` MNIST digits with the class's (seen `repeat` times each, augmented anew each time), and holds a
quarter of the class's digits back to score the model on them before and after. The file is deleted once the
run has read it and ended (`forget_dataset`), and any left by a crash are swept after the class TTL: a class's
handwriting outlives its class only as what the new model learned from it.
"""

from __future__ import annotations

import os
from pathlib import Path

from lenet import checkpoints
from lenet.config import LeNetConfig
from lenet.data import save_dataset
from lenet.netspec import NetSpec
from lenet.train import TrainConfig

MIN_DIGITS = 10  # fewer than this: nothing to learn from, and nothing left to hold back
HOLDOUT = 0.25  # the share of the class's digits kept back to score before and after
MNIST_MIX = 6000  # MNIST digits mixed in, so the network does not forget what it knew
CLASS_SHARE = 0.2  # the class's digits are about this share of what the run sees
EPOCHS = 2
LR = 1e-3  # a quarter of a fresh run's peak: the weights are already good


def run_name(code: str) -> str:
    """The run's (and so the new checkpoint's) name: how the wall finds the class's fine-tuned model."""
    return f"class-{code}"


def write_dataset(images, labels, code: str, ttl_hours: float) -> Path:
    """Write the class's digits for the run (lenet.data.save_dataset); files older than the class TTL go first."""
    return save_dataset(images, labels, run_name(code), max_age_s=ttl_hours * 3600)


def forget_dataset(path: str | os.PathLike | None) -> None:
    """Delete a class's dataset file once its run has ended (it holds the students' handwriting)."""
    if path:
        Path(path).unlink(missing_ok=True)


def train_config(init_from: str | os.PathLike, dataset: str | os.PathLike, n_digits: int) -> TrainConfig:
    """The fine-tuning recipe for `n_digits` class digits, starting from the checkpoint `init_from`."""
    n_train = n_digits - round(n_digits * HOLDOUT)
    repeat = max(1, min(100, round(MNIST_MIX * CLASS_SHARE / (1 - CLASS_SHARE) / max(n_train, 1))))
    return TrainConfig(
        epochs=EPOCHS,
        lr=LR,
        # Unsmoothed targets, as the shipped model was trained: the class's model keeps its confidence, so the
        # wall's before/after probabilities compare like with like.
        label_smoothing=0.0,
        augment=True,
        init_from=str(init_from),
        extra_data=str(dataset),
        extra_holdout=HOLDOUT,
        extra_repeat=repeat,
        mnist_mix=MNIST_MIX,
    )


def model_config(init_from: str | os.PathLike) -> LeNetConfig | NetSpec:
    """The network the run trains: the starting checkpoint's own (a LeNetConfig or a list of layers)."""
    return checkpoints.read_info(init_from).model_config


def latest_result(code: str) -> checkpoints.CheckpointInfo | None:
    """The class's newest fine-tuned checkpoint with its before/after figures (metrics["extra"]), or None."""
    prefix = checkpoints.sanitize_name(run_name(code)) + "-"
    for info in checkpoints.list_checkpoints(include_default=False):  # newest first
        if info.name.startswith(prefix) and isinstance(info.metrics.get("extra"), dict):
            return info
    return None
