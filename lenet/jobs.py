"""Background training runs shared by every session of one server: a FIFO queue, a limit, owners, stop.

One `Registry` per server process (the Train page holds it with `st.cache_resource`). A run is a thread
with its own stop Event that runs `train.fit` in a child process (lenet.worker: the training's Python then
never competes with the pages for the server's interpreter lock) and saves the result. The thread only
writes into the registry, under its lock; pages read immutable `RunView` records when they poll.
No streamlit here: a training thread must never touch the UI, and the engine stays testable without a server.

Where a run trains is the backend's business (lenet.backends: a local child process, or an actor on a Ray
cluster), chosen once per registry. With a `RunStore` (lenet.classmode.runs: the shared database, which the app
passes when `LENET_DATABASE_URL` or `LENET_RAY_ADDRESS` is set) the queue is every replica's: see `_SharedQueue`.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from lenet import checkpoints, netspec, settings
from lenet.backends import Backend, choose
from lenet.config import LeNetConfig
from lenet.data import MNIST, DataError
from lenet.device import DeviceError, available_devices, default_threads, pick_device
from lenet.errors import CodedError
from lenet.events import End, Eval, Event, Start, Step
from lenet.netspec import NetSpec
from lenet.netspec import model_config as read_model_config
from lenet.train import FitResult, TrainConfig, TrainError, fit
from lenet.worker import prewarm

if TYPE_CHECKING:
    from lenet.classmode.runs import RunStore

log = logging.getLogger(__name__)

STATUSES = ("queued", "running", "finished", "stopped", "failed")
ACTIVE = ("queued", "running")
DEFAULT_MAX_EPOCHS = settings.Settings.max_epochs
GPU_CONCURRENT_RUNS = 4  # LeNet leaves a GPU mostly idle, so a few runs share one without slowing much
MAX_LOSS_POINTS = 2000  # per run; beyond this, neighbouring points are averaged (the chart smooths anyway)
KEEP_FINISHED = 50  # ended runs kept in memory; their checkpoints stay on disk regardless
MAX_QUEUED = 100
# A queued run whose owner has not polled for this long is dropped: the tab was probably closed. Generous,
# because the owner may be on another page while waiting (only the Train page polls).
HEARTBEAT_TIMEOUT_S = 600.0
MIN_ROUND_S = 0.05  # a shared queue: the least time between two rounds, however often it is woken
SYNC_S = 0.25  # a shared queue: how often a replica writes its runs' progress and reads stop requests
# A shared queue: an active run whose replica has written nothing for this long belongs to a replica that
# died. Another replica then takes it over: a run on Ray is driven on to the end, a local one is marked lost.
LOST_AFTER_S = 20.0


class _Abandoned(Exception):
    """Raised from fit's callback to end a stopped run at once when its model will not be kept.

    fit itself, when stopped, first scores the model on the whole test set (a second or more on a CPU);
    a run whose model is thrown away does not need that, and the user sees "stopped" within one batch.
    """


class JobError(CodedError, RuntimeError):
    """A request the registry refuses. `code` is a stable key for translation ("not_owner", ...)."""


def default_max_concurrent(backend=None) -> int:
    """$LENET_MAX_CONCURRENT_RUNS, else what the Ray cluster holds at the resources per run, else 1 on a CPU
    (a second run would only halve both) and a few on a GPU."""
    configured = settings.current().max_concurrent_runs
    if configured is not None:
        return configured
    capacity = getattr(backend, "capacity", None)
    if capacity is not None:
        return capacity()
    return GPU_CONCURRENT_RUNS if "cuda" in available_devices() else 1


def default_max_epochs() -> int:
    """$LENET_MAX_EPOCHS, else 20: the most epochs a run from the app may ask for."""
    return settings.current().max_epochs


@dataclass(frozen=True)
class RunView:
    """One run's record. The registry replaces it on every change, so a page may read it on any thread."""

    id: str
    name: str
    owner: str
    model_config: LeNetConfig | NetSpec  # a LeNet's config, or a network list (lenet.netspec)
    train_config: TrainConfig
    created: float
    status: str = "queued"
    position: int | None = None  # 1-based place in the queue while queued
    started: float | None = None
    ended: float | None = None
    stopping: bool = False  # asked to stop, still finishing its batch
    device: str = ""
    step: int = 0
    total_steps: int = 0
    epoch: float = 0.0
    samples_per_s: float = 0.0
    elapsed_s: float = 0.0
    losses: tuple[tuple[float, float], ...] = ()  # (epoch, training loss)
    evals: tuple[Eval, ...] = ()
    test_acc: float | None = None
    checkpoint: str | None = None
    error_code: str | None = None
    error_params: dict = field(default_factory=dict)
    error_message: str | None = None
    backend: str = "local"  # where it trains: "local" or "ray" (the pages do not show it)

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


class _LossCurve:
    """A run's training loss, averaged more coarsely as it grows, so memory stays bounded on long runs."""

    def __init__(self) -> None:
        self.points: list[tuple[float, float]] = []  # (epoch, loss)
        self.stride = 1  # raw steps per stored point
        self.pending: list[tuple[float, float]] = []  # raw (epoch, loss) not yet averaged into a point

    def add(self, epoch: float, loss: float) -> bool:
        """Store one step's loss; True when the points changed."""
        self.pending.append((epoch, loss))
        if len(self.pending) < self.stride:
            return False
        n = len(self.pending)
        self.points.append((sum(e for e, _ in self.pending) / n, sum(v for _, v in self.pending) / n))
        self.pending.clear()
        if len(self.points) >= MAX_LOSS_POINTS:
            pairs = zip(self.points[0::2], self.points[1::2], strict=False)  # an odd last point waits
            self.points = [((a[0] + b[0]) / 2, (a[1] + b[1]) / 2) for a, b in pairs]
            self.stride *= 2
        return True


@dataclass
class _Run:
    """What the registry keeps for one run: its public record and the controls only the registry touches."""

    record: RunView
    keep_on_stop: bool
    stop_event: threading.Event = field(default_factory=threading.Event)
    curve: _LossCurve = field(default_factory=_LossCurve)
    version: int = 0  # counts changes: the shared queue writes a run's row when it has changed
    attach: bool = False  # a run taken over from a replica that died: attach to its actor, do not start one

    def update(self, **changes) -> None:
        self.record = replace(self.record, **changes)
        self.version += 1


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
        isolation: "process" trains through the backend (the app's choice: a child process, see lenet.worker,
            or Ray); "thread" trains on the run's own thread, in this process (tests of the queue pass a fake fit).
        backend: where runs train; default `lenet.backends.choose()` (the settings decide).
        store: the shared queue (lenet.classmode.runs.RunStore); None: this process's own queue, in memory.
        replica: this replica's name in the shared queue; default host-pid-random.
        lost_after_s: a shared queue: take over the active runs of a replica silent this long (it died).
    """

    def __init__(
        self,
        max_concurrent: int | None = None,
        max_epochs: int | None = None,
        runs_dir: str | os.PathLike | None = None,
        data: MNIST | None = None,
        keep_finished: int = KEEP_FINISHED,
        heartbeat_timeout_s: float = HEARTBEAT_TIMEOUT_S,
        clock: Callable[[], float] = time.monotonic,
        isolation: str = "process",
        backend: Backend | None = None,
        store: RunStore | None = None,
        replica: str | None = None,
        lost_after_s: float = LOST_AFTER_S,
    ) -> None:
        if isolation not in ("process", "thread"):
            raise ValueError(f"isolation must be 'process' or 'thread', not {isolation!r}")
        self.isolation = isolation
        # Why runs do not train where the settings asked (the cluster is unreachable): the Train page says so.
        self.backend_problem: Exception | None = None
        if backend is None:
            choice = choose()
            backend, self.backend_problem = choice.backend, choice.problem
        self.backend = backend
        self.max_concurrent = max_concurrent or default_max_concurrent(backend)
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
        self._positions: dict[str, int] = {}  # a shared queue: each local queued run's place in everyone's queue
        self.lost_after_s = lost_after_s
        self.replica = replica or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        if isolation == "process" and data is None and backend.name == "local":
            prewarm()  # the first run from the app starts in a child that is ready (lenet.worker)
        self._shared = _SharedQueue(self, store) if store is not None else None

    @property
    def shared(self) -> bool:
        """Whether the queue is every replica's (a RunStore), not this process's own."""
        return self._shared is not None

    @property
    def runs_dir(self) -> Path:
        return self._runs_dir if self._runs_dir is not None else checkpoints.runs_dir()

    def submit(
        self,
        owner: str,
        name: str,
        model_config: LeNetConfig | NetSpec | str | None = None,
        train_config: TrainConfig | None = None,
        keep_on_stop: bool = False,
    ) -> RunView:
        """Queue a run; it starts at once when a slot is free.

        Args:
            owner: the session that may stop it.
            name: the user's name for it (sanitised for the file name).
            model_config: the network (a LeNetConfig, or a list: a NetSpec, its text or a preset's name); default
                LeNet-5.
            train_config: how to train; the CPU thread count defaults to all cores but one.
            keep_on_stop: save the model when the run is stopped early, too.
        Returns:
            the run's record.
        Raises:
            JobError: "already_running" (this owner has a queued or running run), "too_many_epochs",
                "queue_full".
            TrainError: "bad_setting", "device_unknown".
            DeviceError: "device_unavailable".
            NetSpecError: text that is no network.
        """
        model_config = read_model_config(model_config)
        tc = replace(train_config or TrainConfig())
        tc.validate()
        if tc.epochs > self.max_epochs:
            raise JobError(
                f"{tc.epochs} epochs is more than this server allows ({self.max_epochs})",
                "too_many_epochs",
                epochs=tc.epochs,
                max=self.max_epochs,
            )
        if pick_device(tc.device).type == "cpu" and tc.threads is None:
            tc.threads = default_threads(leave_one=True)  # the Draw page's inference keeps a core
        with self._lock:
            self._last_seen[owner] = self._clock()
            self._check_room(owner)
            record = RunView(
                id=uuid.uuid4().hex[:8],
                name=str(name).strip()[:80] or "run",
                owner=owner,
                model_config=model_config or LeNetConfig(),
                train_config=tc,
                created=time.time(),
                backend=self.backend.name if self.isolation == "process" else "local",
            )
            run = _Run(record, keep_on_stop)
            if self._shared is not None:
                self._shared.add(run)  # the limits across replicas: JobError when they refuse
            self._runs[record.id] = run
            self._queue.append(record.id)
            self._schedule()
            return self._view(run)

    def _check_room(self, owner: str) -> None:
        """JobError unless `owner` has no active run here and the queue has room. Holds the lock."""
        mine = [r.record for r in self._runs.values() if r.record.owner == owner and r.record.active]
        if mine:
            raise JobError(
                f"you already have a run ({mine[0].name}) {mine[0].status}",
                "already_running",
                name=mine[0].name,
                status=mine[0].status,
            )
        if len(self._queue) >= MAX_QUEUED:
            raise JobError(f"the queue is full ({MAX_QUEUED} runs); try again later", "queue_full", max=MAX_QUEUED)

    def stop(self, run_id: str, owner: str, keep: bool | None = None) -> RunView:
        """Stop a run: a queued one leaves the queue, a running one stops after its current batch.

        Args:
            keep: save what a running run has learned (None: what was chosen at submit).
        Raises:
            JobError: "unknown_run", or "not_owner" when `owner` did not start it.
        """
        with self._lock:
            if run_id not in self._runs and self._shared is not None:
                return self._shared.stop(run_id, owner, keep)  # a run another replica drives
            run = self._get(run_id)
            if run.record.owner != owner:
                raise JobError("only the person who started this run can stop it", "not_owner", name=run.record.name)
            if keep is not None:
                run.keep_on_stop = keep
            if run.record.status == "queued":
                self._queue.remove(run_id)
                self._end(run, "stopped")
                self._schedule()
            elif run.record.status == "running":
                run.stop_event.set()
                run.update(stopping=True)
            return self._view(run)

    def heartbeat(self, owner: str) -> None:
        """Note that `owner` is still there (the Train page calls this each time it polls)."""
        with self._lock:
            self._last_seen[owner] = self._clock()
            self._schedule()

    def get(self, run_id: str) -> RunView | None:
        """One run's record, or None when it is unknown (or long forgotten)."""
        with self._lock:
            run = self._runs.get(run_id)
            if run is not None:
                return self._view(run)
        return self._shared.get(run_id) if self._shared is not None else None

    def runs(self, owner: str | None = None) -> list[RunView]:
        """The runs' records (of one owner, or all), newest first."""
        with self._lock:
            chosen = [r for r in self._runs.values() if owner is None or r.record.owner == owner]
            mine = [self._view(r) for r in sorted(chosen, key=lambda r: r.record.created, reverse=True)]
        if self._shared is None:
            return mine
        ours = {r.id for r in mine}
        others = [r for r in self._shared.runs(owner) if r.id not in ours]  # every other replica's runs
        return sorted(mine + others, key=lambda r: r.created, reverse=True)

    def wait(self, run_id: str, timeout: float | None = None) -> RunView | None:
        """Block until the run has ended (or `timeout` seconds); returns its record."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._changed:
            while (run := self._runs.get(run_id)) is not None and run.record.active:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    break
                self._changed.wait(left)
            if run is not None:
                return self._view(run)
        return self.get(run_id)  # a run another replica drives (a shared queue), or None

    def stop_all(self, timeout: float = 10.0) -> None:
        """Stop every run without saving and wait for the threads (server shutdown, tests)."""
        with self._lock:
            for run_id in list(self._queue):
                self._end(self._runs[run_id], "stopped")
            self._queue.clear()
            for run in self._runs.values():
                run.keep_on_stop = False
                run.stop_event.set()
                run.update(stopping=run.record.status == "running")
            threads = list(self._threads.values())
        for thread in threads:
            thread.join(timeout)
        if self._shared is not None:
            self._shared.close()

    def _get(self, run_id: str) -> _Run:
        run = self._runs.get(run_id)
        if run is None:
            raise JobError(f"no run {run_id!r}", "unknown_run", run=run_id)
        return run

    def _view(self, run: _Run) -> RunView:
        """The run's record as it stands, with its place in the queue. Holds the lock."""
        record = run.record
        position = None
        if record.status == "queued":
            local = self._queue.index(record.id) + 1
            position = self._positions.get(record.id, local) if self._shared is not None else local
        # The record is immutable except for its TrainConfig (a plain dataclass): the page gets its own copy.
        return replace(record, position=position, train_config=replace(record.train_config))

    def _schedule(self) -> None:
        """Drop abandoned queued runs, then start queued runs while there is a free slot. Holds the lock."""
        now = self._clock()
        waiting = {self._runs[run_id].record.owner for run_id in self._queue}
        for owner, seen in list(self._last_seen.items()):
            if owner not in waiting and now - seen > self._heartbeat_timeout_s:
                del self._last_seen[owner]  # keeps the map as small as the set of recent sessions
        for run_id in list(self._queue):
            run = self._runs[run_id]
            if now - self._last_seen.get(run.record.owner, now) > self._heartbeat_timeout_s:
                self._queue.remove(run_id)
                self._end(run, "stopped", "owner_gone", {}, "nobody was watching this queued run")
        if self._shared is not None and self._queue:
            self._shared.wake()  # the shared queue decides across replicas, on its own thread
        while self._shared is None and self._queue and len(self._threads) < self.max_concurrent:
            self._start(self._queue.popleft())
        self._changed.notify_all()

    def _start(self, run_id: str) -> None:
        """Start a run's thread. Holds the lock."""
        run = self._runs[run_id]
        run.update(status="running", started=time.time())
        thread = threading.Thread(target=self._work, args=(run,), name=f"lenet-run-{run_id}", daemon=True)
        self._threads[run_id] = thread
        thread.start()

    def _end(
        self, run: _Run, status: str, code: str | None = None, params: dict | None = None, message: str | None = None
    ) -> None:
        """Mark a run as ended and forget the oldest ended runs beyond the limit. Holds the lock."""
        run.update(
            status=status,
            ended=time.time(),
            stopping=False,
            error_code=code,
            error_params=params or {},
            error_message=message,
        )
        ended = sorted((r.record for r in self._runs.values() if not r.record.active), key=lambda r: r.ended)
        for old in ended[: max(0, len(ended) - self._keep_finished)]:
            del self._runs[old.id]
        self._changed.notify_all()

    def _on_event(self, run: _Run, event: Event) -> None:
        """fit's callback, on the training thread: copy the figures in, quickly, under the lock."""
        with self._lock:
            if run.stop_event.is_set() and not run.keep_on_stop:
                raise _Abandoned
            match event:
                case Start():
                    run.update(total_steps=event.total_steps, device=event.device)
                case Step():
                    changes = {"losses": tuple(run.curve.points)} if run.curve.add(event.epoch, event.loss) else {}
                    run.update(
                        step=event.step,
                        total_steps=event.total_steps,
                        epoch=event.epoch,
                        samples_per_s=event.samples_per_s,
                        elapsed_s=event.elapsed_s,
                        **changes,
                    )
                case Eval():
                    run.update(evals=(*run.record.evals, event), test_acc=event.test_acc)
                case End():
                    pass  # the result says the same, and _work records it

    def _work(self, run: _Run) -> None:
        """The training thread: fit, then save, then free the slot for the next queued run."""
        record = run.record
        try:
            options = {"run_id": record.id, "attach": run.attach} if self.isolation == "process" else {}
            train = self.backend.fit if self.isolation == "process" else fit
            result = train(
                record.model_config,
                record.train_config,
                stop_event=run.stop_event,
                data=self._data,
                callback=lambda event: self._on_event(run, event),
                **options,
            )
            with self._lock:
                run.update(test_acc=result.test_acc)
                keep = not result.stopped or (run.keep_on_stop and result.steps > 0)
            path = self._save(record, result) if keep else None
            with self._lock:
                run.update(checkpoint=str(path) if keep else None)
                self._end(run, "stopped" if result.stopped else "finished")
        except _Abandoned:
            with self._lock:
                self._end(run, "stopped")
        except (TrainError, DeviceError, DataError, JobError, checkpoints.CheckpointError) as exc:
            with self._lock:
                self._end(run, "failed", exc.code, exc.params, str(exc))
        except OSError as exc:  # the disk is full or the runs folder is not writable
            with self._lock:
                self._end(run, "failed", "save_failed", {"reason": exc.strerror or str(exc)}, str(exc))
        except Exception as exc:  # a bug must not kill the thread silently and block the queue forever
            log.exception("training run %s failed", record.id)
            with self._lock:
                self._end(run, "failed", "train_failed", {"reason": str(exc)}, str(exc))
        finally:
            with self._lock:
                self._threads.pop(record.id, None)
                self._schedule()

    def _save(self, record: RunView, result: FitResult) -> Path:
        """Write the run's checkpoint atomically into the runs folder; the name can never escape it."""
        folder = self.runs_dir
        # Spelled as list_checkpoints() spells it, so the sidebar's picker finds this exact path string.
        path = folder / f"{checkpoints.sanitize_name(record.name)}-{record.id}.safetensors"
        if path.resolve().parent != folder.resolve():
            raise JobError(f"refusing to save outside {folder}", "bad_name", name=record.name)
        metrics = {
            **result.metrics(record.train_config),
            "name": record.name,
            "history": [
                {k: round(v, 5) if isinstance(v, float) else v for k, v in asdict(row).items()}
                for row in result.history
            ],
        }
        # save_checkpoint writes a temporary file and renames it: a crash or a stop mid-save leaves no
        # half-written .safetensors behind, and the model picker never lists a partial file. The history goes
        # first, so a checkpoint that appears already has its own (and never an older run's of the same name).
        checkpoints.save_history(path, result.snapshots)
        return checkpoints.save_checkpoint(result.model, path, metrics)


def _plain(value) -> dict:
    """A config dataclass as JSON-safe values (what a field holds that JSON cannot, it keeps as text)."""
    return json.loads(json.dumps(asdict(value), default=str))


def _plain_model(config: LeNetConfig | NetSpec) -> dict:
    """A model config as the shared queue stores it: a LeNetConfig's fields, or {"net": the list's text}."""
    return {"net": config.text} if isinstance(config, NetSpec) else _plain(config)


def _model_config(values: dict) -> LeNetConfig | NetSpec:
    """The model config `_plain_model` stored."""
    return netspec.parse(values["net"]) if "net" in values else LeNetConfig.from_dict(values)


def _train_config(values: dict) -> TrainConfig:
    """A TrainConfig from its stored values; fields this version does not know are left out."""
    known = set(TrainConfig.__dataclass_fields__)
    return TrainConfig(**{k: v for k, v in values.items() if k in known})


def _progress(record: RunView) -> dict:
    """A run's row as it changes: where it stands, its figures, how it ended."""
    return {
        "status": record.status,
        "started_at": record.started,
        "ended_at": record.ended,
        "progress": {
            "device": record.device,
            "step": record.step,
            "total_steps": record.total_steps,
            "epoch": record.epoch,
            "samples_per_s": record.samples_per_s,
            "elapsed_s": record.elapsed_s,
            "losses": [list(p) for p in record.losses],
            "evals": [asdict(e) for e in record.evals],
            "stopping": record.stopping,
        },
        "test_acc": record.test_acc,
        "checkpoint": record.checkpoint,
        "error_code": record.error_code,
        "error_params": json.loads(json.dumps(record.error_params, default=str)),
        "error_message": record.error_message,
    }


def _new_row(record: RunView, keep_on_stop: bool, replica: str, now: float) -> dict:
    return {
        "id": record.id,
        "name": record.name,
        "owner": record.owner,
        "backend": record.backend,
        "replica": replica,
        "stop_requested": False,
        "keep_on_stop": keep_on_stop,
        "created_at": record.created,
        "updated_at": now,
        "model_config": _plain_model(record.model_config),
        "train_config": _plain(record.train_config),
        **_progress(record),
    }


def _view_from_row(row: dict, position: int | None = None) -> RunView:
    """The record of a run as the shared queue stores it (a run another replica drives, or one that ended)."""
    p = row["progress"] or {}
    return RunView(
        id=row["id"],
        name=row["name"],
        owner=row["owner"],
        model_config=_model_config(row["model_config"]),
        train_config=_train_config(row["train_config"]),
        created=row["created_at"],
        status=row["status"],
        position=position,
        started=row["started_at"],
        ended=row["ended_at"],
        stopping=row["status"] == "running" and (bool(row["stop_requested"]) or p.get("stopping", False)),
        device=p.get("device", ""),
        step=p.get("step", 0),
        total_steps=p.get("total_steps", 0),
        epoch=p.get("epoch", 0.0),
        samples_per_s=p.get("samples_per_s", 0.0),
        elapsed_s=p.get("elapsed_s", 0.0),
        losses=tuple(tuple(x) for x in p.get("losses", [])),
        evals=tuple(Eval(**e) for e in p.get("evals", [])),
        test_acc=row["test_acc"],
        checkpoint=row["checkpoint"],
        error_code=row["error_code"],
        error_params=row["error_params"] or {},
        error_message=row["error_message"],
        backend=row["backend"],
    )


class _SharedQueue:
    """A registry's half of the queue every replica shares (lenet.classmode.runs.RunStore).

    The registry keeps its own runs in memory, as without a store, and this object keeps the database in step on
    a thread of its own, every SYNC_S or when woken: it writes each changed run's row (progress, the end), marks
    this replica's active runs alive, passes on stop requests made on other replicas, starts this replica's queued
    runs when the database grants a slot (the limit counts every replica's runs, first come first served), and
    takes over the active runs of a replica that has died (LOST_AFTER_S of silence): a run on Ray is driven on to
    its end and saved, a local run is marked lost (its child process died with its replica), a queued one ends.
    Pages read other replicas' runs from the database. Only a new run's insert (the limits' check) happens under
    the registry's lock; the rest of the database's work is done on this thread, without it.
    """

    def __init__(self, registry: Registry, store: RunStore) -> None:
        self.reg = registry
        self.store = store
        self._wake = threading.Event()
        self._written: dict[str, int] = {}  # run id -> the version last written
        self._next_sweep = 0.0
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="lenet-shared-queue", daemon=True)
        self._thread.start()

    def add(self, run: _Run) -> None:
        """Insert a queued run's row; the database checks the limits across replicas. Holds the registry's lock."""
        from lenet.classmode.runs import RunStoreError

        try:
            self.store.add(_new_row(run.record, run.keep_on_stop, self.reg.replica, time.time()), MAX_QUEUED)
        except RunStoreError as exc:
            raise JobError(str(exc), exc.code, **exc.params) from None
        self._written[run.record.id] = run.version

    def wake(self) -> None:
        self._wake.set()

    def close(self) -> None:
        """Write what is left, then stop the thread (tests; a server's end)."""
        self._closed.set()
        self._wake.set()
        self._thread.join(10)
        self._write_changes(time.time())

    def _loop(self) -> None:
        while not self._closed.is_set():
            self._wake.wait(SYNC_S)
            self._wake.clear()
            try:
                self.sync()
            except Exception:  # the database is away for a moment (db_unavailable): try again on the next round
                log.warning("shared queue: could not sync with the database", exc_info=True)
            self._closed.wait(MIN_ROUND_S)  # every page's poll wakes it: a bound on the database's load

    def sync(self) -> None:
        """One round (see the class's docstring)."""
        now = time.time()
        self._write_changes(now)
        with self.reg._lock:
            active = any(run.record.active for run in self.reg._runs.values())
        if active:  # an idle replica writes nothing
            for run_id in self.store.touch(self.reg.replica, now):
                self._stop_local(run_id)
            self._claim(now)
        if now >= self._next_sweep:
            self._next_sweep = now + self.reg.lost_after_s / 4
            self._sweep(now)
        self._place()

    def _write_changes(self, now: float) -> None:
        with self.reg._lock:
            for gone in self._written.keys() - self.reg._runs.keys():
                del self._written[gone]  # forgotten by the registry (KEEP_FINISHED): its row is final
            changed = [
                (run.record, run.version)
                for run in self.reg._runs.values()
                if run.version != self._written.get(run.record.id) and run.record.status != "queued"
            ]
        for record, version in changed:
            self.store.update(record.id, updated_at=now, **_progress(record))
            self._written[record.id] = version

    def _stop_local(self, run_id: str) -> None:
        """A stop asked for on another replica, for a run this replica drives."""
        row = self.store.get(run_id)
        with self.reg._lock:
            run = self.reg._runs.get(run_id)
            if run is None or row is None or run.record.status != "running" or run.stop_event.is_set():
                return
            run.keep_on_stop = bool(row["keep_on_stop"])
            run.stop_event.set()
            run.update(stopping=True)

    def _claim(self, now: float) -> None:
        """Start this replica's queued runs, first come first served, while the database grants a slot."""
        with self.reg._lock:
            waiting = list(self.reg._queue)
        for run_id in waiting:
            answer = self.store.claim(
                run_id, self.reg.replica, self.reg.max_concurrent, now - self.reg.lost_after_s, now
            )
            if answer == "wait":
                break
            with self.reg._lock:
                run = self.reg._runs.get(run_id)
                if run is None or run_id not in self.reg._queue:
                    continue  # stopped here meanwhile: its row says so on the next round
                self.reg._queue.remove(run_id)
                if answer == "started":
                    self.reg._start(run_id)
                    self._written[run_id] = run.version  # the claim wrote "running" already
                else:  # "gone": stopped from another replica while it waited
                    self.reg._end(run, "stopped")
                    self._written[run_id] = run.version

    def _sweep(self, now: float) -> None:
        """Take over the active runs of replicas that have died."""
        for row in self.store.lost(now - self.reg.lost_after_s):
            if not self.store.take_over(row["id"], self.reg.replica, now - self.reg.lost_after_s, now):
                continue  # another replica was faster
            if row["status"] == "running" and row["backend"] == "ray" and self.reg.backend.name == "ray":
                self._adopt(row)
                continue
            reason = "its replica stopped before it could start" if row["status"] == "queued" else "its replica died"
            self.store.update(
                row["id"],
                status="stopped" if row["status"] == "queued" else "failed",
                ended_at=now,
                error_code="run_lost",
                error_params={},
                error_message=reason,
            )

    def _adopt(self, row: dict) -> None:
        """Drive a Ray run whose replica died: attach to its actor, stream it, save its model here."""
        run = _Run(replace(_view_from_row(row), status="queued"), bool(row["keep_on_stop"]), attach=True)
        run.curve.points = list(run.record.losses)  # the curve goes on from where the dead replica left it
        with self.reg._lock:
            self.reg._runs[run.record.id] = run
            self.reg._start(run.record.id)
            run.update(started=row["started_at"])
            self._written[run.record.id] = run.version
        if row["stop_requested"]:
            self._stop_local(row["id"])

    def _place(self) -> None:
        """Each local queued run's place in everyone's queue."""
        with self.reg._lock:
            if not self.reg._queue:
                return
        order = self.store.queue()
        with self.reg._lock:
            self.reg._positions = {run_id: k for k, run_id in enumerate(order, 1)}

    def stop(self, run_id: str, owner: str, keep: bool | None) -> RunView:
        """Stop a run another replica drives: a queued one ends at once, a running one within a round."""
        row = self.store.get(run_id)
        if row is None:
            raise JobError(f"no run {run_id!r}", "unknown_run", run=run_id)
        if row["owner"] != owner:
            raise JobError("only the person who started this run can stop it", "not_owner", name=row["name"])
        row = self.store.request_stop(run_id, keep, time.time()) or row
        return _view_from_row(row)

    def get(self, run_id: str) -> RunView | None:
        row = self.store.get(run_id)
        if row is None:
            return None
        position = None
        if row["status"] == "queued":
            order = self.store.queue()
            position = order.index(run_id) + 1 if run_id in order else None
        return _view_from_row(row, position)

    def runs(self, owner: str | None) -> list[RunView]:
        return [_view_from_row(row) for row in self.store.list(owner)]
