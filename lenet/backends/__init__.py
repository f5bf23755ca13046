"""Where a training run trains: one interface (`Backend`), two implementations, chosen in one place (`choose`).

- `local` (the default, lenet.backends.local): a low-priority child process on this server (lenet.worker),
  with its spare started ahead. `make run` needs nothing else.
- `ray` (lenet.backends.ray): an actor on a Ray cluster, when `LENET_RAY_ADDRESS` is set. Ray is optional
  (requirements-cluster.txt); this package never imports it unless that setting asks for it.

Both have `fit(model_config, train_config, callback, stop_event, data, run_id, attach)` with `train.fit`'s contract:
the callback gets the same typed events (lenet.events) on the calling thread, setting `stop_event` stops the
run after its batch, a callback that raises abandons the run, failures raise `CodedError`s, and the result is a
`FitResult` whose model the caller saves (lenet.jobs saves it atomically). The registry and the pages never
know which backend runs. `attach` drives a run that another replica started and can no longer drive (it died):
Ray finds the run's actor by its `run_id`; a local run cannot be taken over (TrainError "run_lost").
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Protocol

from lenet import settings
from lenet.config import LeNetConfig
from lenet.data import MNIST
from lenet.events import Callback
from lenet.train import FitResult, TrainConfig

log = logging.getLogger(__name__)


class Backend(Protocol):
    """What the registry (lenet.jobs) and the CLI train through."""

    name: str  # "local" or "ray": shown nowhere on the pages, kept in the run's record

    def fit(
        self,
        model_config: LeNetConfig | None = None,
        train_config: TrainConfig | None = None,
        callback: Callback | None = None,
        stop_event: threading.Event | None = None,
        data: MNIST | None = None,
        run_id: str | None = None,
        attach: bool = False,
    ) -> FitResult: ...


@dataclass(frozen=True)
class Choice:
    """The backend chosen, and why another was not (a CodedError to show on the Train page), if any."""

    backend: Backend
    problem: Exception | None = None  # e.g. the Ray cluster is unreachable and runs fall back to local


def choose(config: settings.Settings | None = None) -> Choice:
    """The one place that decides where runs train.

    Args:
        config: the settings; default `settings.current()`.
    Returns:
        Ray when `LENET_RAY_ADDRESS` is set and the cluster answers; else local, with the reason when Ray was
        asked for. With `LENET_RAY_FALLBACK=none` an unreachable cluster raises instead of falling back.
    """
    from lenet.backends.local import LocalBackend

    config = config or settings.current()
    if not config.ray_address:
        return Choice(LocalBackend())
    from lenet.backends.ray import RayBackend, RayError

    try:
        backend = RayBackend(config.ray_address, config.ray_gpus_per_run, config.ray_cpus_per_run)
        backend.connect()
        return Choice(backend)
    except RayError as exc:
        if config.ray_fallback != "local":
            raise
        log.warning("training locally: %s", exc)
        return Choice(LocalBackend(), exc)
