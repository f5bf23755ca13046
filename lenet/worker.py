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
    parent -> child   a multiprocessing Event: stop after this batch (fit's own stop_event)

If the server dies (even SIGKILL), the child's next send fails on the closed pipe and the child exits:
no orphan keeps a core busy, and since the child never writes a checkpoint nothing is half-written.

The child is started with multiprocessing's "spawn", which imports the parent's main module again, so a
script that starts runs must guard its top level with `if __name__ == "__main__":` (streamlit, pytest and
`python -m lenet` all do).
"""

from __future__ import annotations

import multiprocessing
import os
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
    model_config: LeNetConfig | None = None,
    train_config: TrainConfig | None = None,
    callback: Callback | None = None,
    stop_event: threading.Event | None = None,
    data: MNIST | None = None,
) -> FitResult:
    """Like `train.fit`, but the training runs in a fresh child process.

    The callback runs on the calling thread, in order, as the child's reports arrive. If it raises, the
    child is killed and the exception propagates. Setting `stop_event` stops the child after its current
    batch (it then returns what it has learned, like fit); if it is set before the child has started
    training, the child is killed and the result is a stopped run of 0 steps.

    Raises:
        TrainError, DeviceError, DataError, CheckpointError: as fit raises them in the child.
        TrainError: "train_failed" when the child fails otherwise or dies without a word.
    """
    model_config = model_config or LeNetConfig()
    train_config = train_config or TrainConfig()
    emit = callback or (lambda event: None)
    receiver, sender = _CONTEXT.Pipe(duplex=False)
    child_stop = _CONTEXT.Event()
    proc = _CONTEXT.Process(
        target=_child, args=(sender, child_stop, model_config, train_config, data), name="lenet-train", daemon=True
    )
    proc.start()
    sender.close()  # the child holds the only writing end: its exit is our end-of-file
    started = False
    try:
        while True:
            if stop_event is not None and stop_event.is_set():
                if not started:
                    return FitResult(LeNet(model_config).eval(), None, 0.0, "", True, 0, 0.0, [])
                child_stop.set()
            if not receiver.poll(POLL_S):
                if not proc.is_alive() and not receiver.poll(0):
                    raise _died(proc)
                continue
            try:
                message, body = receiver.recv()
            except EOFError:
                raise _died(proc) from None
            if message == "events":
                for event in body:
                    started = True
                    emit(event)
            elif message == "result":
                return _result(model_config, body)
            else:
                raise _ERRORS.get(body["type"], TrainError)(body["message"], body["code"], **body["params"])
    finally:
        receiver.close()
        if proc.is_alive():
            proc.kill()
        proc.join(5)


def _died(proc) -> TrainError:
    proc.join(1)
    reason = f"the training process ended unexpectedly (exit code {proc.exitcode})"
    return TrainError(reason, "train_failed", reason=reason)


def _result(model_config: LeNetConfig, body: dict) -> FitResult:
    import torch

    model = LeNet(model_config)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in body.pop("state").items()})
    return FitResult(model=model.eval(), **body)


def _child(conn, stop, model_config: LeNetConfig, train_config: TrainConfig, data: MNIST | None) -> None:
    """The child process: train, reporting as it goes; the weights travel back as plain arrays."""
    _lower_priority()
    pending: list[Event] = []
    last_sent = time.monotonic()

    def report(event: Event) -> None:
        nonlocal last_sent
        pending.append(event)
        if not isinstance(event, Step) or time.monotonic() - last_sent >= BATCH_S:
            conn.send(("events", pending[:]))
            pending.clear()
            last_sent = time.monotonic()

    try:
        result = fit(model_config, train_config, callback=report, stop_event=stop, data=data)
        state = {k: v.detach().cpu().numpy() for k, v in result.model.state_dict().items()}
        conn.send(
            (
                "result",
                {
                    "state": state,
                    "test_acc": result.test_acc,
                    "elapsed_s": result.elapsed_s,
                    "device": result.device,
                    "stopped": result.stopped,
                    "steps": result.steps,
                    "epochs_done": result.epochs_done,
                    "history": result.history,
                },
            )
        )
    except (BrokenPipeError, ConnectionError, EOFError):
        return  # the server has gone: nobody is waiting for this run
    except BaseException as exc:  # anything at all goes back as a message, never as a silent exit
        if pending:
            _send_quietly(conn, ("events", pending))
        coded = isinstance(exc, CodedError)
        reason = str(exc) or type(exc).__name__
        body = {
            "type": type(exc).__name__,
            "message": reason,
            "code": exc.code if coded else "train_failed",
            "params": exc.params if coded else {"reason": reason},
        }
        _send_quietly(conn, ("error", body))
    finally:
        conn.close()


def _lower_priority() -> None:
    """Make this process (and the threads it starts later, which inherit it) yield the CPU to the pages."""
    try:
        os.setsid()  # a session, and so an autogroup, of its own; it still ends with the server (the pipe)
        Path("/proc/self/autogroup").write_text(str(NICENESS))
    except (AttributeError, OSError):
        pass  # not Linux, or a kernel without autogroups
    try:
        os.nice(NICENESS)
    except (AttributeError, OSError):
        pass  # Windows, or not allowed
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):
        pass  # not Linux: the nice value alone


def _send_quietly(conn, message) -> None:
    try:
        conn.send(message)
    except (BrokenPipeError, ConnectionError, EOFError):
        pass  # the server has gone
