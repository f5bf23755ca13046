"""The spare training process (lenet.worker): started ahead at the lowest priority, it trains the next run on
the server's MNIST with every guarantee of a fresh child: events, stop, a translated death, no orphan.

Each test uses the tiny MNIST through $LENET_DATA_DIR, which the job carries to the spare. None waits for a
spare to be ready: a run takes the spare as it is, and a spare at the lowest priority on a busy machine may
take a minute to import torch.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from tiny_mnist import write_tiny_mnist

from lenet import worker
from lenet.config import LeNetConfig
from lenet.data import DataError
from lenet.events import End, Eval, Start, Step
from lenet.train import TrainConfig, TrainError

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    folder = write_tiny_mnist(tmp_path / "mnist")
    monkeypatch.setenv("LENET_DATA_DIR", str(folder))
    return folder


def _alive(pid: int) -> bool:
    """Whether the process runs (a zombie, dead but not yet reaped, does not)."""
    stat = Path(f"/proc/{pid}/stat")
    if not stat.parent.parent.joinpath("self").exists():  # no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def _wait_until(predicate, timeout=300.0):
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.01)
    return predicate()


def test_the_spare_waits_at_the_lowest_priority_and_trains_the_next_run(tiny):
    worker.prewarm()
    spare = worker._spare
    pid = spare.proc.pid
    assert os.getpriority(os.PRIO_PROCESS, pid) >= worker.NICENESS
    if hasattr(os, "SCHED_IDLE"):
        assert os.sched_getscheduler(pid) == os.SCHED_IDLE
    autogroup = Path(f"/proc/{pid}/autogroup")
    if autogroup.exists():
        assert autogroup.read_text() != Path("/proc/self/autogroup").read_text()
        assert autogroup.read_text().split()[-1] == str(worker.NICENESS)
    events = []
    tc = TrainConfig(epochs=2, batch_size=128, evals_per_epoch=2, device="cpu")
    result = worker.fit_in_process(LeNetConfig(), tc, callback=events.append)
    kinds = [type(e) for e in events]
    assert kinds[0] is Start and kinds[-1] is End and kinds.count(Step) == 16 and kinds.count(Eval) == 4
    assert result.steps == 16 and not result.stopped and result.test_acc is not None
    assert spare.ready.is_set(), "the run was not trained by the spare, which says it is ready before its job"
    assert _wait_until(lambda: spare.proc.poll() is not None, 10), "a spare trains one run only"
    assert worker._spare is not None and worker._spare.proc.pid != pid, "no new spare was started"


def test_the_spare_reads_the_environment_of_the_moment_of_the_run(tiny, tmp_path, monkeypatch):
    worker.prewarm()  # a spare started before the setting changed
    monkeypatch.setenv("LENET_DATA_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(DataError) as err:
        worker.fit_in_process(LeNetConfig(), TrainConfig(max_steps=1, device="cpu"))
    assert err.value.code == "data_missing" and "nowhere" in str(err.value)


def test_stopping_the_spares_run_takes_under_a_second(tiny):
    stop, steps = threading.Event(), []

    def callback(event):
        if isinstance(event, Step):
            steps.append(event.step)

    tc = TrainConfig(epochs=20, batch_size=4, device="cpu")
    box = {}
    thread = threading.Thread(target=lambda: box.setdefault("r", worker.fit_in_process(None, tc, callback, stop)))
    thread.start()
    assert _wait_until(lambda: len(steps) >= 3)
    t0 = time.perf_counter()
    stop.set()
    thread.join(5)
    assert time.perf_counter() - t0 < 1.0 and box["r"].stopped and 3 <= box["r"].steps < 256 * 20 / 4


def test_a_spare_that_dies_fails_the_run_with_its_exit_code(tiny):
    worker.prewarm()
    pid = worker._spare.proc.pid

    def callback(event):
        if isinstance(event, Step) and event.step == 2:
            os.kill(pid, signal.SIGKILL)  # what the kernel's out-of-memory killer would do

    with pytest.raises(TrainError) as err:
        worker.fit_in_process(None, TrainConfig(epochs=20, batch_size=4, device="cpu"), callback)
    assert err.value.code == "train_failed" and "exit code -9" in str(err.value)


_SERVER = """
import sys, threading, time
sys.path.insert(0, {root!r})
from lenet import worker
from lenet.events import Step
from lenet.train import TrainConfig
assert worker.prewarm(wait_s=600)
print("waiting", worker._spare.proc.pid, flush=True)
if sys.argv[1] == "training":
    pid = worker._spare.proc.pid
    def report(event):
        if isinstance(event, Step) and event.step == 1:
            print("training", pid, flush=True)
    threading.Thread(target=worker.fit_in_process, args=(None, TrainConfig(epochs=50, batch_size=4), report)).start()
time.sleep(600)
"""


@pytest.mark.parametrize("state", ["waiting", "training"])
def test_a_spare_exits_when_the_server_is_killed(tiny, state):
    server = subprocess.Popen(
        [sys.executable, "-c", _SERVER.format(root=str(ROOT)), state], stdout=subprocess.PIPE, text=True
    )
    try:
        for line in server.stdout:
            said, pid = line.split()
            if said == state:
                break
        assert _alive(int(pid))
        server.kill()  # SIGKILL: no atexit, no clean-up of any kind
        server.wait(5)
        assert _wait_until(lambda: not _alive(int(pid)), 10), f"the {state} spare outlived the server"
    finally:
        server.kill()
        server.wait(5)
