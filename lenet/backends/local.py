"""The default backend: `train.fit` in a low-priority child process of this server (lenet.worker)."""

from __future__ import annotations

import threading

from lenet.config import LeNetConfig
from lenet.data import MNIST
from lenet.events import Callback
from lenet.train import FitResult, TrainConfig, TrainError
from lenet.worker import fit_in_process


class LocalBackend:
    """Runs train on this machine, each in a child process at the lowest priority (the spare when it waits)."""

    name = "local"

    def fit(
        self,
        model_config: LeNetConfig | None = None,
        train_config: TrainConfig | None = None,
        callback: Callback | None = None,
        stop_event: threading.Event | None = None,
        data: MNIST | None = None,
        run_id: str | None = None,
        attach: bool = False,
    ) -> FitResult:
        if attach:  # a local run's child process ended with the replica that started it
            raise TrainError("a local run cannot be taken over from another replica", "run_lost")
        return fit_in_process(model_config, train_config, callback=callback, stop_event=stop_event, data=data)
