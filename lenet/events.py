"""What a training run reports as it goes: `train.fit` calls its callback with one of these.

Frozen dataclasses of plain numbers, so they pickle across the pipe from the training process
(lenet.worker) and can be kept as they are (the run's history, the Train page's live charts).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Start:
    """The run has its data on the device and is about to take its first step."""

    total_steps: int
    steps_per_epoch: int
    device: str  # a human name: describe_device()


@dataclass(frozen=True)
class Step:
    """One batch was trained on."""

    step: int  # 1-based
    total_steps: int
    epoch: float  # epochs done, fractional
    loss: float  # this batch's training loss
    lr: float  # the learning rate this step used
    samples_per_s: float
    elapsed_s: float  # since the first step (loading the data not counted)


@dataclass(frozen=True)
class Eval:
    """The model was scored on the test set: one point of the accuracy curve, one row of the history."""

    step: int
    epoch: float
    train_loss: float  # the last batch's training loss
    test_acc: float
    elapsed_s: float


@dataclass(frozen=True)
class End:
    """The run is over (finished or stopped)."""

    test_acc: float | None  # None when it was stopped before any evaluation
    stopped: bool
    elapsed_s: float
    steps: int


Event = Start | Step | Eval | End
Callback = Callable[[Event], None]
