"""The Ray backend: each run is an actor on a Ray cluster (`LENET_RAY_ADDRESS`), driven from the replica.

Ray is optional (requirements-cluster.txt): it is imported only here, and only when the setting asks for it.

A run is a named, detached actor `lenet-run-<run id>` in the namespace `lenet`, with the resources of
`LENET_RAY_GPUS_PER_RUN` / `LENET_RAY_CPUS_PER_RUN` (Ray packs fractional GPUs: 4 runs at 0.25 share one GPU).
The actor trains on a thread of its own and keeps what the run reports; the replica polls it every POLL_S
(the events since the last poll, and at the end the weights or the error), so the page's charts are as live
as with the local backend and a stop reaches the actor within one poll. Because the actor, not the call that
started it, holds the run's outcome, a replica that restarts can find a run by its name and drive it to the
end (`fit(..., run_id=..., attach=True)` finds the live actor of that name; a run whose actor is gone is lost).

The replica saves the checkpoint itself (lenet.jobs, atomically into LENET_RUNS_DIR), from the weights the
actor hands back: a run whose actor, node or cluster is lost fails with a translated error and saves nothing.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from dataclasses import replace

from lenet.config import LeNetConfig
from lenet.data import MNIST
from lenet.errors import CodedError
from lenet.events import Callback
from lenet.netmodel import build_model
from lenet.settings import ROOT
from lenet.train import FitResult, TrainConfig, TrainError, fit
from lenet.worker import error_body, error_from_body, result_body, result_from_body

NAMESPACE = "lenet"
POLL_S = 0.1  # how often the replica asks the actor for news: events reach the page well within a second
CALL_TIMEOUT_S = 30.0  # a poll that takes longer than this means the cluster has gone
UNAVAILABLE_GRACE_S = 10.0  # an actor "temporarily unavailable" this long: its node or the cluster has gone
CONNECT_TIMEOUT_S = 3.0  # the head must accept a connection this fast (ray.init itself waits minutes)
# The settings a run reads where it trains (the data folder, the device); the actor gets the replica's values.
FORWARDED_ENV = ("LENET_DATA_DIR", "LENET_DEVICE", "LENET_NO_SHARED_DATA", "XDG_CACHE_HOME")
_init_lock = threading.Lock()


class RayError(CodedError, RuntimeError):
    """Ray is missing, or the cluster cannot be reached ("cluster_unreachable", "ray_missing")."""

    default_code = "cluster_unreachable"


def actor_name(run_id: str) -> str:
    return f"lenet-run-{run_id}"


class _RunActor:
    """One run on the cluster: `fit` on a thread of the actor, its events kept until the replica polls."""

    def __init__(self, env: dict) -> None:
        os.environ.update(env)
        self.lock = threading.Lock()
        self.events: list = []
        self.outcome: tuple[str, dict] | None = None  # ("result", body) or ("error", body)
        self.stop_event = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self, model_config: LeNetConfig, train_config: TrainConfig, data: MNIST | None) -> int:
        """Start training (once: a second call, from a replica that attaches again, changes nothing)."""
        if self.thread is None:
            self.thread = threading.Thread(target=self._train, args=(model_config, train_config, data), daemon=True)
            self.thread.start()
        return os.getpid()

    def _report(self, event) -> None:
        with self.lock:
            self.events.append(event)

    def _train(self, model_config: LeNetConfig, train_config: TrainConfig, data: MNIST | None) -> None:
        try:
            result = fit(model_config, train_config, callback=self._report, stop_event=self.stop_event, data=data)
            outcome = ("result", result_body(result))
        except BaseException as exc:  # anything at all goes back to the replica as a message
            outcome = ("error", error_body(exc))
        with self.lock:
            self.outcome = outcome

    def poll(self) -> tuple[list, tuple[str, dict] | None]:
        """The events since the last poll, and the outcome once the run is over."""
        with self.lock:
            events, self.events = self.events, []
            return events, self.outcome

    def stop(self) -> None:
        self.stop_event.set()

    def pid(self) -> int:
        return os.getpid()


def _check_reachable(address: str) -> None:
    """RayError at once when the head at `address` does not accept a connection ("auto" is Ray's to find)."""
    if address == "auto":
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except (OSError, ValueError) as exc:
        raise RayError(
            f"the Ray cluster at {address} cannot be reached: {exc}", "cluster_unreachable", address=address
        ) from exc


def _ray():
    try:
        import ray
    except ImportError as exc:
        raise RayError(
            "LENET_RAY_ADDRESS is set but Ray is not installed: pip install -r requirements-cluster.txt", "ray_missing"
        ) from exc
    return ray


class RayBackend:
    """Trains each run as an actor on the Ray cluster at `address` ("auto", "ray://head:10001", "host:6379")."""

    name = "ray"

    def __init__(self, address: str, gpus_per_run: float | None = None, cpus_per_run: float = 1.0) -> None:
        self.address = address
        self.gpus_per_run = gpus_per_run
        self.cpus_per_run = cpus_per_run

    def connect(self) -> None:
        """Join the cluster as a driver (once per process). Raises RayError when it cannot be reached."""
        ray = _ray()
        with _init_lock:
            if ray.is_initialized():
                return
            _check_reachable(self.address)
            # Ray's driver otherwise ends the whole process when the head has been away for a minute: the
            # replica must outlive its cluster (a poll then times out and the run fails with "cluster_lost").
            os.environ.setdefault("RAY_gcs_rpc_server_reconnect_timeout_s", str(365 * 24 * 3600))
            try:
                ray.init(
                    address=self.address,
                    namespace=NAMESPACE,
                    logging_level="WARNING",
                    log_to_driver=False,
                    configure_logging=False,
                    # This very engine travels with the job, so the nodes need only its libraries (torch, numpy,
                    # safetensors: the app's image), not a copy of the app at the same version.
                    runtime_env={"py_modules": [str(ROOT / "lenet")], "excludes": ["__pycache__"]},
                )
            except Exception as exc:  # ConnectionError, TimeoutError, RuntimeError, ...: Ray's words vary
                raise RayError(
                    f"the Ray cluster at {self.address} cannot be reached: {exc}",
                    "cluster_unreachable",
                    address=self.address,
                ) from exc

    def _resources(self, ray) -> tuple[float, float]:
        """(gpus, cpus) per run: LENET_RAY_GPUS_PER_RUN, else 0.25 when the cluster has GPUs, else none."""
        gpus = self.gpus_per_run
        if gpus is None:
            gpus = 0.25 if ray.cluster_resources().get("GPU", 0) > 0 else 0.0
        return gpus, self.cpus_per_run

    def _actor(self, ray, run_id: str):
        gpus, cpus = self._resources(ray)
        env = {k: os.environ[k] for k in FORWARDED_ENV if k in os.environ}
        remote = ray.remote(_RunActor).options(
            name=actor_name(run_id),
            namespace=NAMESPACE,
            lifetime="detached",  # it outlives a replica that restarts; the replica kills it when done
            get_if_exists=True,
            num_cpus=cpus,
            num_gpus=gpus,
            max_concurrency=4,  # poll and stop are answered while the training thread runs
            max_restarts=0,
        )
        return remote.remote(env), gpus

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
        """Train on the cluster with train.fit's contract (see lenet.backends). `run_id` names the actor."""
        ray = _ray()
        self.connect()
        model_config = model_config or LeNetConfig()
        tc = train_config or TrainConfig()
        emit = callback or (lambda event: None)
        run_id = run_id or os.urandom(4).hex()
        if attach:
            actor = self._existing(ray, run_id)
        else:
            actor, gpus = self._actor(ray, run_id)
            if not gpus:  # the CPUs the actor was given, not the replica's own count
                tc = replace(tc, threads=max(1, int(self.cpus_per_run)))
        try:
            if not attach:
                self._call(ray, lambda: actor.start.remote(model_config, tc, data))
            started, stopping = attach, False
            while True:
                if stop_event is not None and stop_event.is_set() and not stopping:
                    if not started:
                        return FitResult(build_model(model_config).eval(), None, 0.0, "", True, 0, 0.0, [])
                    actor.stop.remote()
                    stopping = True
                events, outcome = self._call(ray, actor.poll.remote)
                for event in events:
                    started = True
                    emit(event)
                if outcome is not None:
                    kind, body = outcome
                    if kind == "error":
                        raise error_from_body(body)
                    return result_from_body(model_config, body)
                time.sleep(POLL_S)
        finally:
            # Done, stopped, failed or abandoned: the actor goes. (A replica that dies never gets here, and its
            # actor keeps training until the restarted replica attaches: see the module's docstring.)
            with contextlib.suppress(Exception):
                ray.kill(actor)

    def _existing(self, ray, run_id: str):
        """The actor of a run started by a replica that has died; TrainError "run_lost" when it is gone too."""
        try:
            return ray.get_actor(actor_name(run_id), namespace=NAMESPACE)
        except ValueError as exc:
            raise TrainError(f"run {run_id} was lost with the replica that drove it", "run_lost") from exc

    def capacity(self) -> int:
        """How many runs the cluster trains at once at the resources per run (the registry's default limit)."""
        ray = _ray()
        self.connect()
        total = ray.cluster_resources()
        gpus, cpus = self._resources(ray)
        fits = [int(total.get("CPU", 0) // cpus)] if cpus else []
        if gpus:
            fits.append(int(total.get("GPU", 0) // gpus))
        return max(1, min(fits)) if fits else 1

    def _call(self, ray, call):
        """`ray.get(call())`, retried while the actor is only unavailable (a node restarting, a network blip)."""
        deadline = time.monotonic() + UNAVAILABLE_GRACE_S
        while True:
            try:
                return self._get(ray, call())
            except ray.exceptions.ActorUnavailableError as exc:
                if time.monotonic() > deadline:
                    raise TrainError(f"the Ray cluster stopped answering: {exc}", "cluster_lost") from exc
                time.sleep(POLL_S * 5)

    def _get(self, ray, ref):
        """ray.get with Ray's failures translated: a lost worker, node or cluster, memory."""
        try:
            return ray.get(ref, timeout=CALL_TIMEOUT_S)
        except ray.exceptions.OutOfMemoryError as exc:
            raise TrainError(f"the Ray node ran out of memory: {exc}", "oom_node") from exc
        except ray.exceptions.ActorUnavailableError:
            raise  # _call waits a little for it to come back
        except ray.exceptions.RayActorError as exc:
            if "running low on memory" in str(exc):  # Ray's memory monitor killed it (not any other death)
                raise TrainError(f"the Ray node ran out of memory: {exc}", "oom_node") from exc
            raise TrainError(f"the Ray worker training this run was lost: {exc}", "worker_lost") from exc
        except (ray.exceptions.GetTimeoutError, ray.exceptions.RaySystemError, ConnectionError) as exc:
            raise TrainError(f"the Ray cluster stopped answering: {exc}", "cluster_lost") from exc
