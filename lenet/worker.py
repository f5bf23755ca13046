"""`train.fit` in a child process, with the same arguments, callbacks and result as `fit` itself.

Why a process: a training thread inside the app server shares one interpreter lock with every student's
Draw page. Each training step's Python (the optimiser loop, the callback) holds that lock between torch
kernels, and on a 2-core classroom server that made every stroke's answer 2-2.5x slower while a run was
going (bench/classroom.py). A child process has its own interpreter, runs at a lower priority (`NICENESS`)
so the pages come first, and a crash in it (out of memory, a bad driver) cannot take the server down.

The parent keeps everything that has to be right: it decides whether to keep the model and saves the
checkpoint itself (atomically, lenet.checkpoints), and its callback may raise to abandon the run, which
kills the child at once. The child only trains and reports:

    child -> parent   ("events", [event, ...])          lenet.events objects, batched: at most every BATCH_S
                                                        for Step
                      ("result", {...})                 the trained weights as numpy arrays, the figures
                      ("error", {...})                  a CodedError's class, code, params and message
                      ("ready", None)                   a spare only: ready for its job (see below)
    parent -> child   a multiprocessing Event: stop after this batch (fit's own stop_event); a spare gets
                      ("job", ...) first, then ("stop", None) on its stdin

If the server dies (even SIGKILL), the child's next send fails on the closed pipe and the child exits
(a spare at once, when its stdin closes): no orphan keeps a core busy, and since the child never writes
a checkpoint nothing is half-written.

The child is started with multiprocessing's "spawn", which imports the parent's main module again, so a
script that starts runs must guard its top level with `if __name__ == "__main__":` (streamlit, pytest and
`python -m lenet` all do).

A spare: a fresh child spends its first seconds importing torch and loading MNIST, before its first step.
A run on the server's own MNIST (`data` None, as every run from the app) therefore takes a spare child
started ahead of time (`prewarm`, which the registry calls): already at the lowest priority, with torch
imported, MNIST memory-mapped and one tiny training step done, waiting on its stdin. It is a plain
subprocess running `_serve_spare` (not multiprocessing's, so nothing of the server is imported into it
again) that speaks the same messages, pickled on its stdin and stdout, and takes the job (the configs,
the environment and the folder) as its first message. A new spare is started as each one is taken. A spare
exits as soon as its stdin closes: when the server ends, dies or discards it.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import pickle
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

from lenet.checkpoints import CheckpointError
from lenet.config import LeNetConfig
from lenet.data import MNIST, DataError
from lenet.device import DeviceError
from lenet.errors import CodedError
from lenet.events import Callback, Event, Step
from lenet.model import LeNet
from lenet.netmodel import Net, build_model
from lenet.netspec import NetSpec
from lenet.netspec import model_config as read_model_config
from lenet.settings import ROOT
from lenet.train import FitResult, TrainConfig, TrainError, fit

# The child's priority: as low as the OS allows, so that a stroke's answer always goes first and training
# takes every cycle the pages leave (on a server whose students draw on their own devices, nearly all).
# On Linux three things are needed, because the kernel shares the CPU first between "autogroups" (one per
# session: a terminal, a service, each browser) and only then between the threads of a group:
#   - its own session, hence its own autogroup, at autogroup nice 19: otherwise the trainer spends the
#     server's group's share, and the server then waits behind every other group when a request comes;
#   - SCHED_IDLE: the kernel treats a core that runs only the trainer as free for a waking thread;
#   - nice 19, which is all that macOS (and Linux without autogroups) offers.
NICENESS = 19
BATCH_S = 0.2  # step events are sent in batches: a few messages a second instead of hundreds
POLL_S = 0.05  # how often the parent checks its stop event while waiting for news
_ERRORS = {cls.__name__: cls for cls in (TrainError, DeviceError, DataError, CheckpointError)}
# spawn, not fork: a forked copy of a server with live threads (and maybe CUDA) can deadlock; spawn starts
# a clean interpreter on every platform.
_CONTEXT = multiprocessing.get_context("spawn")


def fit_in_process(
    model_config: LeNetConfig | NetSpec | str | None = None,
    train_config: TrainConfig | None = None,
    callback: Callback | None = None,
    stop_event: threading.Event | None = None,
    data: MNIST | None = None,
) -> FitResult:
    """Like `train.fit`, but in a child process: the spare started ahead (`prewarm`), else a fresh one.

    With `data` None (the server's own MNIST: every run from the app) the waiting spare trains; a run on
    arrays the caller hands over starts a fresh child that gets them as arguments.

    The callback runs on the calling thread, in order, as the child's reports arrive. If it raises, the
    child is killed and the exception propagates. Setting `stop_event` stops the child after its current
    batch (it then returns what it has learned, like fit); if it is set before the child has started
    training, the child is killed and the result is a stopped run of 0 steps.

    Raises:
        TrainError, DeviceError, DataError, CheckpointError: as fit raises them in the child.
        TrainError: "train_failed" when the child fails otherwise or dies without a word.
        NetSpecError: text that is no network (before any child is asked).
    """
    model_config = read_model_config(model_config) or LeNetConfig()
    train_config = train_config or TrainConfig()
    emit = callback or (lambda event: None)
    child = _take_spare() if data is None else _Spawned()
    child.start(model_config, train_config, data)
    if data is None:
        prewarm()  # the next run's spare, started once this run's job is on its way
    started = False
    try:
        while True:
            if stop_event is not None and stop_event.is_set():
                if not started:
                    return FitResult(build_model(model_config).eval(), None, 0.0, "", True, 0, 0.0, [])
                child.stop()
            if not child.poll(POLL_S):
                if not child.is_alive() and not child.poll(0):
                    raise _died(child)
                continue
            try:
                message, body = child.recv()
            except EOFError:
                raise _died(child) from None
            if message == "events":
                for event in body:
                    started = True
                    emit(event)
            elif message == "result":
                return result_from_body(model_config, body)
            else:
                raise error_from_body(body)
    finally:
        child.close()


class _Spawned:
    """A child started by multiprocessing for one run: the configs and arrays travel as its arguments."""

    def start(self, model_config: LeNetConfig | NetSpec, train_config: TrainConfig, data: MNIST | None) -> None:
        self.receiver, sender = _CONTEXT.Pipe(duplex=False)
        self.stop_event = _CONTEXT.Event()
        self.proc = _CONTEXT.Process(
            target=_child,
            args=(sender, self.stop_event, model_config, train_config, data),
            name="lenet-train",
            daemon=True,
        )
        self.proc.start()
        sender.close()  # the child holds the only writing end: its exit is our end-of-file

    def poll(self, timeout: float) -> bool:
        return self.receiver.poll(timeout)

    def recv(self):
        return self.receiver.recv()

    def stop(self) -> None:
        self.stop_event.set()

    def is_alive(self) -> bool:
        return self.proc.is_alive()

    def exitcode(self, wait_s: float) -> int | None:
        self.proc.join(wait_s)
        return self.proc.exitcode

    def close(self) -> None:
        self.receiver.close()
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(5)


# The spare's program: the repository first on its path, so it imports this very engine wherever it starts.
_SPARE_CODE = f"import sys; sys.path.insert(0, {str(ROOT)!r}); from lenet.worker import _serve_spare; _serve_spare()"
_EOF = object()  # what the reader thread queues when the spare's stdout ends


class _Spare:
    """A child started ahead of any run (see the module's docstring); the job is its first message."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _SPARE_CODE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True
        )
        _lower_priority(self.proc.pid)  # at once, before it imports torch: all its work is at the lowest priority
        self.inbox: queue.Queue = queue.Queue()
        self.next = None
        self.ready = threading.Event()  # it has said it is ready: torch imported, MNIST mapped
        threading.Thread(target=self._read, name="lenet-spare-reader", daemon=True).start()

    def _read(self) -> None:
        """Queue every message the spare sends, then _EOF (a thread: a pipe cannot be polled on Windows)."""
        try:
            while True:
                message = pickle.load(self.proc.stdout)
                if message[0] == "ready":
                    self.ready.set()
                else:
                    self.inbox.put(message)
        except (EOFError, OSError, pickle.UnpicklingError, ValueError):
            self.inbox.put(_EOF)
        finally:
            self.proc.stdout.close()  # here, not in close(): closing a file another thread reads can block

    def _send(self, message) -> None:
        try:
            pickle.dump(message, self.proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self.proc.stdin.flush()
        except (OSError, ValueError):
            pass  # it has died: poll() and is_alive() say so next

    def start(self, model_config: LeNetConfig | NetSpec, train_config: TrainConfig, data: MNIST | None) -> None:
        # The server's environment and folder as they are now: the spare was started with older ones.
        self._send(("job", (model_config, train_config, dict(os.environ), os.getcwd())))

    def poll(self, timeout: float | None) -> bool:
        if self.next is None:
            try:
                self.next = self.inbox.get(timeout=timeout)
            except queue.Empty:
                return False
        return True

    def recv(self):
        self.poll(None)
        message, self.next = self.next, None
        if message is _EOF:
            self.next = _EOF
            raise EOFError
        return message

    def stop(self) -> None:
        self._send(("stop", None))

    def is_alive(self) -> bool:
        return self.proc.poll() is None

    def exitcode(self, wait_s: float) -> int | None:
        try:
            return self.proc.wait(wait_s)
        except subprocess.TimeoutExpired:
            return None

    def close(self) -> None:
        try:
            self.proc.stdin.close()  # a waiting spare exits on its own when its stdin ends
        except OSError:
            pass
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(5)


_spare: _Spare | None = None
_spare_lock = threading.Lock()


def prewarm(wait_s: float = 0.0) -> bool:
    """Start a spare training process now, unless one is waiting already, so that the next run starts at once.

    Args:
        wait_s: how long to wait for it to be ready (0: return at once).
    Returns:
        whether the spare is ready.
    """
    global _spare
    with _spare_lock:
        if _spare is None or not _spare.is_alive():
            _spare = _Spare()
        spare = _spare
    return spare.ready.wait(wait_s) if wait_s > 0 else spare.ready.is_set()


def _take_spare() -> _Spare:
    """The waiting spare, ready or still getting ready, or a new one when there is none."""
    global _spare
    with _spare_lock:
        taken, _spare = _spare, None
    if taken is not None and taken.is_alive():
        return taken
    if taken is not None:
        taken.close()
    return _Spare()


@atexit.register
def _discard_spare() -> None:
    global _spare
    with _spare_lock:
        if _spare is not None:
            _spare.close()
            _spare = None


def _died(child: _Spawned | _Spare) -> TrainError:
    reason = f"the training process ended unexpectedly (exit code {child.exitcode(1)})"
    return TrainError(reason, "train_failed", reason=reason)


def result_body(result: FitResult) -> dict:
    """A FitResult as plain values (the weights as numpy arrays), to travel from a child or a Ray actor."""
    return {
        "state": {k: v.detach().cpu().numpy() for k, v in result.model.state_dict().items()},
        "test_acc": result.test_acc,
        "elapsed_s": result.elapsed_s,
        "device": result.device,
        "stopped": result.stopped,
        "steps": result.steps,
        "epochs_done": result.epochs_done,
        "history": result.history,
        "extra": result.extra,
        "snapshots": result.snapshots,  # lenet.train.Snapshot: plain numbers and numpy arrays
        "config": result.model.config,
        "input_norm": getattr(result.model, "input_norm", None),  # an imported Net's, kept through fine-tuning
    }


def result_from_body(model_config: LeNetConfig | NetSpec, body: dict) -> FitResult:
    """The FitResult that `result_body` made plain."""
    import torch

    body = dict(body)
    # a fine-tuning run trains its checkpoint's network (an imported Net keeps its input normalisation)
    config, input_norm = body.pop("config", model_config), body.pop("input_norm", None)
    model = Net(config, input_norm) if isinstance(config, NetSpec) else build_model(config)
    # A copy: Ray hands arrays over read-only (zero-copy), and a model's weights must be its own.
    model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in body.pop("state").items()})
    return FitResult(model=model.eval(), **body)


def error_body(exc: BaseException) -> dict:
    """An exception as plain values: a CodedError keeps its class name, code and params; anything else is
    "train_failed" with its message as the reason."""
    coded = isinstance(exc, CodedError)
    reason = str(exc) or type(exc).__name__
    return {
        "type": type(exc).__name__,
        "message": reason,
        "code": exc.code if coded else "train_failed",
        "params": exc.params if coded else {"reason": reason},
    }


def error_from_body(body: dict) -> CodedError:
    """The CodedError that `error_body` made plain (a TrainError for a class it does not know)."""
    return _ERRORS.get(body["type"], TrainError)(body["message"], body["code"], **body["params"])


def _child(conn, stop, model_config: LeNetConfig | NetSpec, train_config: TrainConfig, data: MNIST | None) -> None:
    """The child process: train, reporting as it goes; the weights travel back as plain arrays."""
    _lower_priority()
    pending: list[Event] = []
    last_sent = time.monotonic()

    def report(event: Event) -> None:
        nonlocal last_sent
        pending.append(event)
        # The first step goes at once: it is what tells the page that training has begun.
        if not isinstance(event, Step) or event.step == 1 or time.monotonic() - last_sent >= BATCH_S:
            conn.send(("events", pending[:]))
            pending.clear()
            last_sent = time.monotonic()

    try:
        result = fit(model_config, train_config, callback=report, stop_event=stop, data=data)
        conn.send(("result", result_body(result)))
    except (BrokenPipeError, ConnectionError, EOFError):
        return  # the server has gone: nobody is waiting for this run
    except BaseException as exc:  # anything at all goes back as a message, never as a silent exit
        if pending:
            _send_quietly(conn, ("events", pending))
        _send_quietly(conn, ("error", error_body(exc)))
    finally:
        conn.close()


def _lower_priority(pid: int = 0) -> None:
    """Make a process (0: this one) and the threads it starts later, which inherit it, yield the CPU to the pages.

    Another process must already lead a session of its own (a spare is started with start_new_session).
    """
    if pid == 0:
        try:
            os.setsid()  # a session, and so an autogroup, of its own; it still ends with the server (the pipe)
        except (AttributeError, OSError):
            pass  # not POSIX, or leading a session already (a spare)
    try:
        Path(f"/proc/{pid or 'self'}/autogroup").write_text(str(NICENESS))
    except OSError:
        pass  # not Linux, or a kernel without autogroups
    try:
        os.setpriority(os.PRIO_PROCESS, pid, NICENESS)
    except (AttributeError, OSError):
        pass  # Windows, or not allowed
    try:
        os.sched_setscheduler(pid, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):
        pass  # not Linux: the nice value alone


def _send_quietly(conn, message) -> None:
    try:
        conn.send(message)
    except (BrokenPipeError, ConnectionError, EOFError):
        pass  # the server has gone


class _Sender:
    """The spare's end of its stdout, with a Connection's send and close."""

    def __init__(self, stream) -> None:
        self.stream = stream

    def send(self, message) -> None:
        pickle.dump(message, self.stream, protocol=pickle.HIGHEST_PROTOCOL)
        self.stream.flush()

    def close(self) -> None:
        try:
            self.stream.close()
        except OSError:
            pass  # the server has gone


def _serve_spare() -> None:
    """The spare's life: yield the CPU, get ready, then train the one job it is sent (see the module's docstring)."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print() now goes to stderr and cannot break the messages on the real stdout
    jobs: queue.Queue = queue.Queue()
    stop = threading.Event()
    # Listening before getting ready: a spare whose server dies meanwhile ends as soon as it notices.
    threading.Thread(target=_watch, args=(sys.stdin.buffer, jobs, stop), name="lenet-spare-inbox", daemon=True).start()
    sender = _Sender(out)
    _get_ready()
    try:
        sender.send(("ready", None))
    except OSError:
        os._exit(0)  # the server has gone
    model_config, train_config, env, cwd = jobs.get()
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    _child(sender, stop, model_config, train_config, None)


def _get_ready() -> None:
    """What a fresh child spends its first seconds on, done ahead: MNIST mapped, one tiny step on the CPU."""
    import torch

    from lenet.data import load_mnist
    from lenet.device import default_threads
    from lenet.train import make_optimizer

    try:
        load_mnist()
    except DataError:
        pass  # the run will say so, or MNIST arrives before it
    torch.set_num_threads(default_threads(leave_one=True))  # what the registry gives a CPU run
    model = LeNet()
    # A torch.optim optimizer's first use imports torch's compiler (torch._dynamo): the largest part of a first
    # step. AdamW runs skip it (lenet.optim), but SGD and Adam runs do not, so the spare pays it here, ahead.
    optimizer = make_optimizer(model, TrainConfig(functional_optimizer=False))
    model(torch.zeros(8, 1, 28, 28)).sum().backward()
    optimizer.step()


def _watch(inbox, jobs: queue.Queue, stop: threading.Event) -> None:
    """Hand the job over, set `stop` when the server asks; end the process when the server has gone (stdin closed)."""
    try:
        while True:
            kind, body = pickle.load(inbox)
            if kind == "job":
                jobs.put(body)
            elif kind == "stop":
                stop.set()
    except (EOFError, OSError, pickle.UnpicklingError, ValueError):
        os._exit(0)
