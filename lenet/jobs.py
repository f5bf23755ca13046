"""Background training runs shared by every session of one server: a FIFO queue, a limit, owners, stop.

One `Registry` per server process (the Train page holds it with `st.cache_resource`). A run is a thread
with its own stop Event that runs `train.fit` in a child process (lenet.worker: the training's Python then
never competes with the pages for the server's interpreter lock) and saves the result. The thread only
writes into the registry, under its lock; pages read immutable `RunView` snapshots when they poll.
No streamlit here: a training thread must never touch the UI, and the engine stays testable without a server.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from lenet import checkpoints
from lenet.data import MNIST, DataError
from lenet.errors import CodedError
from lenet.model import LeNetConfig
from lenet.train import TrainConfig, TrainError, default_threads, fit, pick_device
from lenet.worker import fit_in_process

log = logging.getLogger(__name__)

STATUSES = ("queued", "running", "finished", "stopped", "failed")
ACTIVE = ("queued", "running")
DEFAULT_MAX_EPOCHS = 20
GPU_CONCURRENT_RUNS = 4  # LeNet leaves a GPU mostly idle, so a few runs share one without slowing much
MAX_LOSS_POINTS = 2000  # per run; beyond this, neighbouring points are averaged (the chart smooths anyway)
KEEP_FINISHED = 50  # ended runs kept in memory; their checkpoints stay on disk regardless
MAX_QUEUED = 100
# A queued run whose owner has not polled for this long is dropped: the tab was probably closed. Generous,
# because the owner may be on another page while waiting (only the Train page polls).
HEARTBEAT_TIMEOUT_S = 600.0


class _Abandoned(Exception):
    """Raised from fit's callback to end a stopped run at once when its model will not be kept.

    fit itself, when stopped, first scores the model on the whole test set (a second or more on a CPU);
    a run whose model is thrown away does not need that, and the user sees "stopped" within one batch.
    """


class JobError(CodedError, RuntimeError):
    """A request the registry refuses. `code` is a stable key for translation ("not_owner", ...)."""


def _env_int(name: str, default: int) -> int:
    """A positive whole number from the environment; a bad value is logged and ignored."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        log.warning("%s=%r is not a whole number of at least 1; using %d", name, raw, default)
        return default
    return value


def default_max_concurrent() -> int:
    """$LENET_MAX_CONCURRENT_RUNS, else 1 on a CPU (a second run would only halve both) and a few on a GPU."""
    import torch

    return _env_int("LENET_MAX_CONCURRENT_RUNS", GPU_CONCURRENT_RUNS if torch.cuda.is_available() else 1)


def default_max_epochs() -> int:
    """$LENET_MAX_EPOCHS, else 20: the most epochs a run from the app may ask for."""
    return _env_int("LENET_MAX_EPOCHS", DEFAULT_MAX_EPOCHS)


@dataclass(frozen=True)
class RunView:
    """A consistent snapshot of one run, safe to read on any thread."""

    id: str
    name: str
    owner: str
    status: str
    position: int | None  # 1-based place in the queue while queued
    model_config: LeNetConfig
    train_config: TrainConfig
    created: float
    started: float | None
    ended: float | None
    stopping: bool
    device: str
    step: int
    total_steps: int
    epoch: float
    samples_per_s: float
    elapsed_s: float
    losses: tuple[tuple[float, float], ...]  # (epoch, training loss)
    evals: tuple[dict, ...]  # {"step", "epoch", "train_loss", "test_acc", "elapsed_s"}
    test_acc: float | None
    checkpoint: str | None
    error_code: str | None
    error_params: dict
    error_message: str | None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def fraction(self) -> float:
        """How much of the run is done, 0 to 1."""
        if self.status == "finished":
            return 1.0
        return min(1.0, self.step / self.total_steps) if self.total_steps else 0.0

    @property
    def error(self) -> JobError | None:
        """Why the run failed (or was dropped), as an exception the UI can translate by its code."""
        if self.error_code is None:
            return None
        return JobError(self.error_message or self.error_code, self.error_code, **self.error_params)

    @property
    def eta_s(self) -> float | None:
        """Seconds left at the pace so far, or None before the first steps."""
        if self.status != "running" or self.step < 5 or not self.total_steps:
            return None
        return self.elapsed_s / self.step * (self.total_steps - self.step)


@dataclass
class _Run:
    id: str
    name: str
    owner: str
    model_config: LeNetConfig
    train_config: TrainConfig
    keep_on_stop: bool
    created: float
    stop_event: threading.Event = field(default_factory=threading.Event)
    status: str = "queued"
    started: float | None = None
    ended: float | None = None
    device: str = ""
    step: int = 0
    total_steps: int = 0
    epoch: float = 0.0
    samples_per_s: float = 0.0
    elapsed_s: float = 0.0
    losses: list = field(default_factory=list)
    evals: list = field(default_factory=list)
    test_acc: float | None = None
    checkpoint: str | None = None
    error_code: str | None = None
    error_params: dict = field(default_factory=dict)
    error_message: str | None = None
    loss_stride: int = 1  # raw steps per stored loss point
    pending: list = field(default_factory=list)  # raw (epoch, loss) not yet averaged into a point

    def add_loss(self, epoch: float, loss: float) -> None:
        """Store the loss, averaging when the curve gets long so memory stays bounded on long runs."""
        self.pending.append((epoch, loss))
        if len(self.pending) < self.loss_stride:
            return
        n = len(self.pending)
        self.losses.append((sum(e for e, _ in self.pending) / n, sum(v for _, v in self.pending) / n))
        self.pending.clear()
        if len(self.losses) >= MAX_LOSS_POINTS:
            pairs = zip(self.losses[0::2], self.losses[1::2])
            self.losses = [((a[0] + b[0]) / 2, (a[1] + b[1]) / 2) for a, b in pairs]
            self.loss_stride *= 2


class Registry:
    """Every training run of this server: the queue, the running threads and the recently ended runs.

    Args:
        max_concurrent: runs that train at once; default `default_max_concurrent()`.
        max_epochs: the most epochs one run may ask for; default `default_max_epochs()`.
        runs_dir: where checkpoints go; default `checkpoints.runs_dir()` at save time.
        data: MNIST to train on; default `load_mnist()` (tests pass a tiny set).
        keep_finished: how many ended runs to keep in memory.
        heartbeat_timeout_s: drop a queued run whose owner has been silent this long.
        clock: the time source (tests pass a fake one).
        isolation: "process" trains in a child process (the app's choice: see lenet.worker); "thread"
            trains on the run's own thread, in this process (tests of the queue pass a fake fit).
    """

    def __init__(self, max_concurrent: int | None = None, max_epochs: int | None = None,
                 runs_dir: str | os.PathLike | None = None, data: MNIST | None = None,
                 keep_finished: int = KEEP_FINISHED, heartbeat_timeout_s: float = HEARTBEAT_TIMEOUT_S,
                 clock: Callable[[], float] = time.monotonic, isolation: str = "process") -> None:
        if isolation not in ("process", "thread"):
            raise ValueError(f"isolation must be 'process' or 'thread', not {isolation!r}")
        self.isolation = isolation
        self.max_concurrent = max_concurrent or default_max_concurrent()
        self.max_epochs = max_epochs or default_max_epochs()
        self._runs_dir = Path(runs_dir) if runs_dir is not None else None
        self._data = data
        self._keep_finished = keep_finished
        self._heartbeat_timeout_s = heartbeat_timeout_s
        self._clock = clock
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._runs: dict[str, _Run] = {}
        self._queue: deque[str] = deque()
        self._threads: dict[str, threading.Thread] = {}
        self._last_seen: dict[str, float] = {}

    @property
    def runs_dir(self) -> Path:
        return self._runs_dir if self._runs_dir is not None else checkpoints.runs_dir()

    def submit(self, owner: str, name: str, model_config: LeNetConfig | None = None,
               train_config: TrainConfig | None = None, keep_on_stop: bool = False) -> RunView:
        """Queue a run; it starts at once when a slot is free.

        Args:
            owner: the session that may stop it.
            name: the user's name for it (sanitised for the file name).
            model_config: the network; default LeNet-5.
            train_config: how to train; the CPU thread count defaults to all cores but one.
            keep_on_stop: save the model when the run is stopped early, too.
        Returns:
            the run's snapshot.
        Raises:
            JobError: "already_running" (this owner has a queued or running run), "too_many_epochs",
                "queue_full".
            TrainError: "bad_setting", "device_unavailable", "device_unknown".
        """
        tc = dataclasses.replace(train_config or TrainConfig())
        tc.validate()
        if tc.epochs > self.max_epochs:
            raise JobError(f"{tc.epochs} epochs is more than this server allows ({self.max_epochs})",
                           "too_many_epochs", epochs=tc.epochs, max=self.max_epochs)
        if pick_device(tc.device).type == "cpu" and tc.threads is None:
            tc.threads = default_threads(leave_one=True)  # the Draw page's inference keeps a core
        with self._lock:
            self._last_seen[owner] = self._clock()
            mine = [r for r in self._runs.values() if r.owner == owner and r.status in ACTIVE]
            if mine:
                raise JobError(f"you already have a run ({mine[0].name}) {mine[0].status}", "already_running",
                               name=mine[0].name, status=mine[0].status)
            if len(self._queue) >= MAX_QUEUED:
                raise JobError(f"the queue is full ({MAX_QUEUED} runs); try again later", "queue_full",
                               max=MAX_QUEUED)
            run = _Run(id=uuid.uuid4().hex[:8], name=str(name).strip()[:80] or "run", owner=owner,
                       model_config=model_config or LeNetConfig(), train_config=tc, keep_on_stop=keep_on_stop,
                       created=time.time())
            self._runs[run.id] = run
            self._queue.append(run.id)
            self._schedule()
            return self._view(run)

    def stop(self, run_id: str, owner: str, keep: bool | None = None) -> RunView:
        """Stop a run: a queued one leaves the queue, a running one stops after its current batch.

        Args:
            keep: save what a running run has learned (None: what was chosen at submit).
        Raises:
            JobError: "unknown_run", or "not_owner" when `owner` did not start it.
        """
        with self._lock:
            run = self._get(run_id)
            if run.owner != owner:
                raise JobError("only the person who started this run can stop it", "not_owner", name=run.name)
            if keep is not None:
                run.keep_on_stop = keep
            if run.status == "queued":
                self._queue.remove(run.id)
                self._end(run, "stopped")
                self._schedule()
            elif run.status == "running":
                run.stop_event.set()
            return self._view(run)

    def heartbeat(self, owner: str) -> None:
        """Note that `owner` is still there (the Train page calls this each time it polls)."""
        with self._lock:
            self._last_seen[owner] = self._clock()
            self._schedule()

    def get(self, run_id: str) -> RunView | None:
        """A snapshot of one run, or None when it is unknown (or long forgotten)."""
        with self._lock:
            run = self._runs.get(run_id)
            return self._view(run) if run is not None else None

    def runs(self, owner: str | None = None) -> list[RunView]:
        """Snapshots of the runs (of one owner, or all), newest first."""
        with self._lock:
            chosen = [r for r in self._runs.values() if owner is None or r.owner == owner]
            return [self._view(r) for r in sorted(chosen, key=lambda r: r.created, reverse=True)]

    def wait(self, run_id: str, timeout: float | None = None) -> RunView | None:
        """Block until the run has ended (or `timeout` seconds); returns its snapshot."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._changed:
            while (run := self._runs.get(run_id)) is not None and run.status in ACTIVE:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    break
                self._changed.wait(left)
            return self._view(run) if run is not None else None

    def stop_all(self, timeout: float = 10.0) -> None:
        """Stop every run without saving and wait for the threads (server shutdown, tests)."""
        with self._lock:
            for run_id in list(self._queue):
                self._end(self._runs[run_id], "stopped")
            self._queue.clear()
            for run in self._runs.values():
                run.keep_on_stop = False
                run.stop_event.set()
            threads = list(self._threads.values())
        for thread in threads:
            thread.join(timeout)

    def _get(self, run_id: str) -> _Run:
        run = self._runs.get(run_id)
        if run is None:
            raise JobError(f"no run {run_id!r}", "unknown_run", run=run_id)
        return run

    def _view(self, run: _Run) -> RunView:
        position = self._queue.index(run.id) + 1 if run.status == "queued" else None
        return RunView(
            id=run.id, name=run.name, owner=run.owner, status=run.status, position=position,
            model_config=run.model_config, train_config=dataclasses.replace(run.train_config),
            created=run.created, started=run.started, ended=run.ended,
            stopping=run.stop_event.is_set() and run.status == "running", device=run.device, step=run.step,
            total_steps=run.total_steps, epoch=run.epoch, samples_per_s=run.samples_per_s,
            elapsed_s=run.elapsed_s, losses=tuple(run.losses), evals=tuple(dict(e) for e in run.evals),
            test_acc=run.test_acc, checkpoint=run.checkpoint, error_code=run.error_code,
            error_params=dict(run.error_params), error_message=run.error_message)

    def _schedule(self) -> None:
        """Drop abandoned queued runs, then start queued runs while there is a free slot. Holds the lock."""
        now = self._clock()
        waiting = {self._runs[run_id].owner for run_id in self._queue}
        for owner, seen in list(self._last_seen.items()):
            if owner not in waiting and now - seen > self._heartbeat_timeout_s:
                del self._last_seen[owner]  # keeps the map as small as the set of recent sessions
        for run_id in list(self._queue):
            run = self._runs[run_id]
            if now - self._last_seen.get(run.owner, now) > self._heartbeat_timeout_s:
                self._queue.remove(run_id)
                self._end(run, "stopped", "owner_gone", {}, "nobody was watching this queued run")
        while self._queue and len(self._threads) < self.max_concurrent:
            run = self._runs[self._queue.popleft()]
            run.status, run.started = "running", time.time()
            thread = threading.Thread(target=self._work, args=(run,), name=f"lenet-run-{run.id}", daemon=True)
            self._threads[run.id] = thread
            thread.start()
        self._changed.notify_all()

    def _end(self, run: _Run, status: str, code: str | None = None, params: dict | None = None,
             message: str | None = None) -> None:
        """Mark a run as ended and forget the oldest ended runs beyond the limit. Holds the lock."""
        run.status, run.ended = status, time.time()
        run.error_code, run.error_params, run.error_message = code, params or {}, message
        ended = sorted((r for r in self._runs.values() if r.status not in ACTIVE), key=lambda r: r.ended)
        for old in ended[:max(0, len(ended) - self._keep_finished)]:
            del self._runs[old.id]
        self._changed.notify_all()

    def _on_event(self, run: _Run, kind: str, info: dict) -> None:
        """fit's callback, on the training thread: copy the figures in, quickly, under the lock."""
        with self._lock:
            if run.stop_event.is_set() and not run.keep_on_stop:
                raise _Abandoned
            if kind == "start":
                run.total_steps, run.device = info["total_steps"], info["device"]
            elif kind == "step":
                run.step, run.total_steps, run.epoch = info["step"], info["total_steps"], info["epoch"]
                run.samples_per_s, run.elapsed_s = info["samples_per_s"], info["elapsed_s"]
                run.add_loss(info["epoch"], info["loss"])
            elif kind == "eval":
                run.evals.append(dict(info))
                run.test_acc = info["test_acc"]

    def _work(self, run: _Run) -> None:
        """The training thread: fit, then save, then free the slot for the next queued run."""
        try:
            train = fit_in_process if self.isolation == "process" else fit
            result = train(run.model_config, run.train_config, stop_event=run.stop_event, data=self._data,
                         callback=lambda kind, info: self._on_event(run, kind, info))
            with self._lock:
                run.test_acc = result.test_acc
                keep = not result.stopped or (run.keep_on_stop and result.steps > 0)
            if keep:
                path = self._save(run, result)
            with self._lock:
                if keep:
                    run.checkpoint = str(path)
                self._end(run, "stopped" if result.stopped else "finished")
        except _Abandoned:
            with self._lock:
                self._end(run, "stopped")
        except (TrainError, DataError, JobError, checkpoints.CheckpointError) as exc:
            with self._lock:
                self._end(run, "failed", exc.code, exc.params, str(exc))
        except OSError as exc:  # the disk is full or the runs folder is not writable
            with self._lock:
                self._end(run, "failed", "save_failed", {"reason": exc.strerror or str(exc)}, str(exc))
        except Exception as exc:  # a bug must not kill the thread silently and block the queue forever
            log.exception("training run %s failed", run.id)
            with self._lock:
                self._end(run, "failed", "train_failed", {"reason": str(exc)}, str(exc))
        finally:
            with self._lock:
                self._threads.pop(run.id, None)
                self._schedule()

    def _save(self, run: _Run, result) -> Path:
        """Write the run's checkpoint atomically into the runs folder; the name can never escape it."""
        folder = self.runs_dir
        # Spelled as list_checkpoints() spells it, so the sidebar's picker finds this exact path string.
        path = folder / f"{checkpoints.sanitize_name(run.name)}-{run.id}.safetensors"
        if path.resolve().parent != folder.resolve():
            raise JobError(f"refusing to save outside {folder}", "bad_name", name=run.name)
        metrics = {**result.metrics(run.train_config), "name": run.name,
                   "history": [{k: round(v, 5) if isinstance(v, float) else v for k, v in row.items()}
                               for row in result.history]}
        # save_checkpoint writes a temporary file and renames it: a crash or a stop mid-save leaves no
        # half-written .safetensors behind, and the model picker never lists a partial file.
        return checkpoints.save_checkpoint(result.model, path, metrics)
