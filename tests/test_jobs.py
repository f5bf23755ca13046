import multiprocessing
import os
import signal
import threading
import time
from pathlib import Path

import pytest
from tiny_mnist import bars

from lenet import checkpoints, jobs, worker
from lenet.data import MNIST
from lenet.device import default_threads
from lenet.events import Start, Step
from lenet.i18n import t_error
from lenet.jobs import JobError, Registry
from lenet.model import LeNet
from lenet.train import FitResult, TrainConfig, TrainError, snapshot_steps


class FakeFit:
    """Stands in for train.fit: trains nothing, and ends when released or stopped.

    Runs are told apart by their train_config.seed; `started` records the order they began.
    """

    def __init__(self):
        self.release = threading.Event()
        self.started = []

    def __call__(self, model_config, train_config, callback, stop_event, data):
        self.started.append(train_config.seed)
        callback(Start(total_steps=10, steps_per_epoch=10, device="fake"))
        callback(Step(step=1, total_steps=10, epoch=0.1, loss=2.3, lr=0.1, samples_per_s=100.0, elapsed_s=0.01))
        while not (self.release.is_set() or stop_event.is_set()):
            time.sleep(0.002)
        return FitResult(LeNet(model_config), 0.5, 0.01, "fake", stop_event.is_set(), 1, 0.1, [])


@pytest.fixture
def fake_fit(monkeypatch):
    fake = FakeFit()
    monkeypatch.setattr(jobs, "fit", fake)
    yield fake
    fake.release.set()


@pytest.fixture
def registry(tmp_path, request):
    """Makes registries. Real runs train in a child process, as in the app; a fake fit needs a thread."""
    made = []
    isolation = "thread" if "fake_fit" in request.fixturenames else "process"

    def make(**kwargs):
        reg = Registry(
            runs_dir=tmp_path,
            **{"data": _tiny_mnist(), "max_concurrent": 1, "max_epochs": 20, "isolation": isolation, **kwargs},
        )
        made.append(reg)
        return reg

    yield make
    for reg in made:
        reg.stop_all()


def _tiny_mnist():
    images, labels = bars(256)
    return MNIST(images, labels, images[:64].copy(), labels[:64].copy())


def _cfg(seed=0, **kwargs):
    return TrainConfig(device="cpu", seed=seed, **kwargs)


def _statuses(reg, ids):
    return [reg.get(i).status for i in ids]


def test_queue_is_first_in_first_out_within_the_limit(fake_fit, registry):
    reg = registry(max_concurrent=2)
    ids = [reg.submit(f"owner{k}", f"run {k}", train_config=_cfg(seed=k)).id for k in range(4)]
    assert _statuses(reg, ids) == ["running", "running", "queued", "queued"]
    assert [reg.get(i).position for i in ids] == [None, None, 1, 2]
    fake_fit.release.set()
    for run_id in ids:
        assert reg.wait(run_id, 10).status == "finished"
    assert fake_fit.started == [0, 1, 2, 3]


def test_stopping_a_queued_run_moves_the_others_up(fake_fit, registry):
    reg = registry()
    ids = [reg.submit(f"owner{k}", "r", train_config=_cfg(seed=k)).id for k in range(3)]
    assert reg.stop(ids[1], "owner1").status == "stopped"
    assert reg.get(ids[2]).position == 1
    fake_fit.release.set()
    assert reg.wait(ids[2], 10).status == "finished"
    assert fake_fit.started == [0, 2]


def test_one_active_run_per_owner(fake_fit, registry):
    reg = registry()
    reg.submit("me", "first", train_config=_cfg())
    with pytest.raises(JobError) as err:
        reg.submit("me", "second", train_config=_cfg())
    assert err.value.code == "already_running"


def test_only_the_owner_can_stop(fake_fit, registry):
    reg = registry()
    run = reg.submit("alice", "hers", train_config=_cfg())
    with pytest.raises(JobError) as err:
        reg.stop(run.id, "bob")
    assert err.value.code == "not_owner" and reg.get(run.id).status == "running"
    reg.stop(run.id, "alice")
    assert reg.wait(run.id, 5).status == "stopped"
    with pytest.raises(JobError) as err:
        reg.stop("nope", "alice")
    assert err.value.code == "unknown_run"


def test_max_epochs_is_enforced(registry):
    reg = registry(max_epochs=3)
    with pytest.raises(JobError) as err:
        reg.submit("me", "long", train_config=_cfg(epochs=4))
    assert err.value.code == "too_many_epochs" and err.value.params["max"] == 3
    assert "3" in t_error(err.value, "en") and "3" in t_error(err.value, "zh")


def test_bad_settings_are_refused_before_queueing(registry):
    reg = registry()
    with pytest.raises(TrainError) as err:
        reg.submit("me", "bad", train_config=_cfg(lr=0))
    assert err.value.code == "bad_setting" and reg.runs() == []


def test_cpu_runs_leave_a_core_for_the_app(fake_fit, registry):
    run = registry().submit("me", "r", train_config=_cfg())
    assert run.train_config.threads == default_threads(leave_one=True)


def test_a_real_run_finishes_and_saves_atomically_with_a_safe_name(registry, tmp_path):
    reg = registry()
    run = reg.submit("me", "../../etc/passwd", train_config=_cfg(epochs=2, batch_size=32, evals_per_epoch=4))
    done = reg.wait(run.id, 60)
    assert done.status == "finished", done.error_message
    path = tmp_path / f"etc-passwd-{run.id}.safetensors"
    assert done.checkpoint == str(path) and path.is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([path.name, "history"])  # no temporary file left
    assert [p.name for p in (tmp_path / "history").iterdir()] == [path.name]  # its snapshots, from the child
    assert [s["step"] for s in checkpoints.read_history(path).snapshots] == snapshot_steps(16)
    _, info = checkpoints.load_checkpoint(path)
    assert info.metrics["name"] == "../../etc/passwd" and len(info.metrics["history"]) == 8
    assert len(done.evals) == 8 and len(done.losses) == done.step == done.total_steps == 16
    assert done.test_acc is not None and done.fraction == 1.0


def test_stop_takes_effect_within_a_second_and_keeps_only_when_asked(registry, tmp_path):
    reg = registry(max_concurrent=2)
    big = {"epochs": 20, "batch_size": 4}
    dropped = reg.submit("a", "dropped", train_config=_cfg(**big))
    kept = reg.submit("b", "kept", train_config=_cfg(**big), keep_on_stop=True)
    deadline = time.monotonic() + 30
    while min(reg.get(dropped.id).step, reg.get(kept.id).step) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    t0 = time.perf_counter()
    reg.stop(dropped.id, "a")
    reg.stop(kept.id, "b")
    a, b = reg.wait(dropped.id, 5), reg.wait(kept.id, 5)
    assert time.perf_counter() - t0 < 1.0
    assert a.status == b.status == "stopped"
    assert a.checkpoint is None and b.checkpoint is not None
    assert [p.name for p in tmp_path.glob("*.safetensors")] == [f"kept-{kept.id}.safetensors"]


def test_a_diverging_run_fails_with_a_translatable_reason(registry):
    reg = registry()
    run = reg.submit(
        "me", "wild", train_config=_cfg(epochs=3, batch_size=32, lr=10.0, optimizer="sgd", schedule="constant")
    )
    done = reg.wait(run.id, 60)
    assert done.status == "failed" and done.error_code == "diverged" and done.checkpoint is None
    assert "learning rate" in t_error(done.error, "en") and "学习率" in t_error(done.error, "zh")


def test_a_failed_save_leaves_no_file_and_frees_the_slot(registry, tmp_path, monkeypatch):
    import safetensors.torch

    def broken_save(tensors, filename, metadata=None):
        with open(filename, "wb") as fh:
            fh.write(b"half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(safetensors.torch, "save_file", broken_save)
    reg = registry()
    run = reg.submit("me", "full disk", train_config=_cfg(epochs=1, batch_size=32))
    done = reg.wait(run.id, 60)
    assert done.status == "failed" and done.error_code == "save_failed"
    assert list(tmp_path.iterdir()) == []
    assert reg.submit("me", "again", train_config=_cfg(max_steps=1)).status in ("queued", "running", "finished")


def _wait_until(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.01)
    return predicate()


def test_runs_train_in_a_child_process_at_a_lower_priority(registry):
    """The server's interpreter never runs the training loop; the child yields the CPU to the pages."""
    reg = registry()
    run = reg.submit("me", "elsewhere", train_config=_cfg(epochs=20, batch_size=4))
    assert _wait_until(lambda: reg.get(run.id).step > 0)
    [child] = multiprocessing.active_children()
    assert child.pid != os.getpid() and os.getpriority(os.PRIO_PROCESS, child.pid) >= worker.NICENESS
    if hasattr(os, "SCHED_IDLE"):  # Linux: the kernel runs it only on cycles nobody else wants
        assert os.sched_getscheduler(child.pid) == os.SCHED_IDLE
    autogroup = Path(f"/proc/{child.pid}/autogroup")
    if autogroup.exists():  # its own scheduling group, which the kernel ranks below the server's
        assert autogroup.read_text() != Path("/proc/self/autogroup").read_text()
        assert autogroup.read_text().split()[-1] == str(worker.NICENESS)
    reg.stop(run.id, "me")
    assert reg.wait(run.id, 5).status == "stopped"
    assert _wait_until(lambda: not multiprocessing.active_children(), 5)


def test_a_child_that_dies_fails_the_run_and_frees_the_slot(registry, tmp_path):
    reg = registry()
    run = reg.submit("me", "doomed", train_config=_cfg(epochs=20, batch_size=4))
    assert _wait_until(lambda: reg.get(run.id).step > 0)
    [child] = multiprocessing.active_children()
    os.kill(child.pid, signal.SIGKILL)  # what the kernel's out-of-memory killer would do
    done = reg.wait(run.id, 5)
    assert done.status == "failed" and done.error_code == "train_failed" and "exit code -9" in done.error_message
    assert "-9" in t_error(done.error, "en") and list(tmp_path.iterdir()) == []
    nxt = reg.submit("me", "next", train_config=_cfg(max_steps=2, batch_size=4))
    assert reg.wait(nxt.id, 60).status == "finished"


def test_stopping_while_the_child_starts_is_immediate(registry, tmp_path):
    reg = registry(data=None)  # as in the app: the child loads MNIST itself (tests: $LENET_DATA_DIR)
    run = reg.submit("me", "impatient", train_config=_cfg(epochs=20, batch_size=4))
    t0 = time.perf_counter()
    reg.stop(run.id, "me", keep=True)  # nothing learned yet, so nothing to keep
    done = reg.wait(run.id, 5)
    assert time.perf_counter() - t0 < 1.0 and done.status == "stopped" and done.checkpoint is None
    assert list(tmp_path.iterdir()) == [] and _wait_until(lambda: not multiprocessing.active_children(), 5)


def test_queued_runs_of_silent_owners_are_dropped(fake_fit, registry):
    now = [0.0]
    reg = registry(heartbeat_timeout_s=60, clock=lambda: now[0])
    first = reg.submit("busy", "r", train_config=_cfg(seed=0))
    silent = reg.submit("gone", "r", train_config=_cfg(seed=1))
    watched = reg.submit("here", "r", train_config=_cfg(seed=2))
    now[0] = 61
    reg.heartbeat("here")
    assert reg.get(silent.id).status == "stopped" and reg.get(silent.id).error_code == "owner_gone"
    assert reg.get(watched.id).position == 1
    fake_fit.release.set()
    assert reg.wait(first.id, 5).status == "finished" and reg.wait(watched.id, 5).status == "finished"
    assert fake_fit.started == [0, 2]


def test_only_a_few_ended_runs_are_kept_in_memory(fake_fit, registry):
    reg = registry(keep_finished=2)
    fake_fit.release.set()
    ids = []
    for k in range(4):
        ids.append(reg.submit("me", f"r{k}", train_config=_cfg(seed=k)).id)
        reg.wait(ids[-1], 5)
    assert [r.id for r in reg.runs()] == ids[:1:-1]
    assert reg.get(ids[0]) is None


def test_long_loss_curves_stay_bounded():
    curve = jobs._LossCurve()
    for step in range(20000):
        curve.add(step / 100, 1.0)
    assert len(curve.points) < jobs.MAX_LOSS_POINTS and curve.points[-1][1] == pytest.approx(1.0)


@pytest.mark.parametrize("value, expected", [("3", 3), ("0", 1), ("lots", 1), ("", 1)])
def test_concurrency_comes_from_the_environment(monkeypatch, value, expected):
    monkeypatch.setenv("LENET_MAX_CONCURRENT_RUNS", value)
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    assert jobs.default_max_concurrent() == expected


def test_max_epochs_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("LENET_MAX_EPOCHS", "5")
    assert Registry(max_concurrent=1).max_epochs == 5
    monkeypatch.delenv("LENET_MAX_EPOCHS")
    assert Registry(max_concurrent=1).max_epochs == jobs.DEFAULT_MAX_EPOCHS
