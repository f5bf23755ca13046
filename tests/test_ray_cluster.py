"""Training on a real Ray cluster, with two replicas sharing one queue (issue 14).

One local Ray head (2 CPUs, `ray start --head` in a temporary folder) serves the whole module and is stopped at
its end, leaving no process behind. Most checks drive two engine-level replicas (two `Registry` objects, each
with its own connection to one SQLite file, as two servers would have); one browser test drives two real app
servers. Runs train on the tiny MNIST (tests/tiny_mnist.py).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import raycluster
from appserver import launch_browser, serve, use_model, wait_for_app

from lenet import checkpoints, jobs, netspec
from lenet.train import TrainConfig, snapshot_steps

pytestmark = pytest.mark.skipif(
    not raycluster.available() and not os.environ.get("CI"),
    reason="Ray is not installed: pip install -r requirements-cluster.txt (CI installs it)",
)


@pytest.fixture(scope="module")
def cluster(tiny_mnist_dir):
    """(address, folder) of a Ray head for this module; the driver (this process) joins it in the tests."""
    os.environ["LENET_DATA_DIR"] = str(tiny_mnist_dir)  # forwarded to the actors (lenet.backends.ray)
    with raycluster.ray_cluster(num_cpus=2) as (address, folder):
        yield address, folder
        import ray

        ray.shutdown()
    assert raycluster.stray_processes(folder) == [], "the Ray cluster left processes behind"


@pytest.fixture
def replicas(cluster, tmp_path):
    """Two replicas: one database file, one runs folder, one cluster; at most one run trains at once."""
    from lenet.backends.ray import RayBackend
    from lenet.classmode.runs import RunStore
    from lenet.classmode.store import Store

    made = []
    for name in ("A", "B"):
        store = RunStore(Store.open(None, tmp_path / "state"))
        backend = RayBackend(cluster[0], gpus_per_run=0, cpus_per_run=1)
        made.append(
            jobs.Registry(
                max_concurrent=1, runs_dir=tmp_path / "runs", backend=backend, store=store, replica=name, lost_after_s=6
            )
        )
    yield made
    for registry in made:
        registry.stop_all()


def _until(check, timeout: float = 60.0, every: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"not within {timeout} s")


def _training(registry: jobs.Registry, run_id: str) -> jobs.RunView:
    return _until(lambda: (r := registry.get(run_id)) is not None and r.status == "running" and r.step > 0 and r)


def test_two_replicas_share_one_queue_and_runs_train_on_ray(replicas):
    a, b = replicas
    first = a.submit("ana", "on ray", train_config=TrainConfig(epochs=1, max_steps=60, batch_size=64))
    with pytest.raises(jobs.JobError) as twice:  # one active run per person, whichever replica they ask
        b.submit("ana", "again", train_config=TrainConfig(max_steps=5))
    assert twice.value.code == "already_running"
    second = b.submit("ben", "waits", train_config=TrainConfig(max_steps=20, batch_size=64))
    assert _until(lambda: b.get(second.id).position == 1)  # next in line: the limit (1 at once) counts A's run
    seen_on_b = _until(lambda: (r := b.get(first.id)).step > 0 and r)  # B watches A's run as it streams
    assert seen_on_b.status == "running" and seen_on_b.backend == "ray"
    assert b.get(second.id).status == "queued"
    done = a.wait(first.id, timeout=120)
    assert done.status == "finished", done.error_message
    assert done.losses and done.evals and done.device  # the live figures came from the actor
    _, info = checkpoints.load_checkpoint(done.checkpoint)  # saved whole into the shared folder
    assert info.metrics["test_acc"] == pytest.approx(done.test_acc)
    history = checkpoints.load_history(done.checkpoint)  # the actor's snapshots came back with the weights
    assert [s["step"] for s in history.snapshots] == snapshot_steps(60)
    listed = _until(lambda: (r := {r.id: r for r in b.runs()}[first.id]).status == "finished" and r)  # a round later
    assert listed.checkpoint == done.checkpoint and listed.test_acc == pytest.approx(done.test_acc)
    after = b.wait(second.id, timeout=120)  # the queue moved on, on the other replica
    assert after.status == "finished", after.error_message
    assert not list(Path(done.checkpoint).parent.glob("*.tmp*"))  # nothing half-written beside them


def test_a_network_list_trains_on_ray_from_a_replica_and_from_the_cli(replicas, cluster, tmp_path):
    """Any list, not only LeNet-5 (#29): a preset by name through a replica, a typed list through `train --net
    --ray`, which joins this module's cluster as one more driver (it starts none)."""
    a, _ = replicas
    run = a.submit("gus", "tiny on ray", model_config="tiny", train_config=TrainConfig(max_steps=20, batch_size=64))
    done = a.wait(run.id, timeout=120)
    assert done.status == "finished" and done.backend == "ray", done.error_message
    model, info = checkpoints.load_checkpoint(done.checkpoint)
    assert info.spec == netspec.parse("tiny") and model.net == netspec.NETWORKS["tiny"]
    text = "c4k3s2,bn,gelu,c8k3,relu,ap2,drop0.1,fc16,tanh,fc10"
    out = tmp_path / "cli.safetensors"
    env = {**os.environ, "LENET_RAY_ADDRESS": cluster[0], "LENET_RAY_GPUS_PER_RUN": "0"}
    cli = subprocess.run(
        [sys.executable, "-m", "lenet", "train", "--ray", "--net", text, "--max-steps", "10", "--batch-size", "64",
         "--device", "cpu", "--out", str(out), "--json"],
        cwd=Path(__file__).resolve().parent.parent, env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert cli.returncode == 0, cli.stderr[-2000:]
    last = json.loads(cli.stdout.strip().splitlines()[-1])
    assert last["net"] == text and last["checkpoint"] == str(out)
    assert checkpoints.read_info(out).spec == netspec.parse(text)


def test_a_run_is_stopped_from_either_replica_within_a_second_or_two(replicas):
    a, b = replicas
    run = a.submit("cat", "long", train_config=TrainConfig(epochs=3, batch_size=32))
    _training(a, run.id)
    with pytest.raises(jobs.JobError) as other:
        b.stop(run.id, "someone else")
    assert other.value.code == "not_owner"
    asked = time.monotonic()
    b.stop(run.id, "cat")  # from the replica that does not drive it
    ended = a.wait(run.id, timeout=30)
    assert ended.status == "stopped" and ended.checkpoint is None
    assert time.monotonic() - asked < 3.0  # a sync round, a poll and one batch (a second on an idle machine)
    assert _until(lambda: b.get(run.id).status == "stopped")


def test_killing_the_ray_worker_fails_the_run_and_the_queue_moves_on(replicas):
    import ray

    from lenet.backends.ray import NAMESPACE, actor_name

    a, b = replicas
    doomed = a.submit("dan", "doomed", train_config=TrainConfig(epochs=3, batch_size=32))
    waiting = b.submit("eve", "next", train_config=TrainConfig(max_steps=20, batch_size=64))
    _training(a, doomed.id)
    pid = ray.get(ray.get_actor(actor_name(doomed.id), namespace=NAMESPACE).pid.remote())
    os.kill(pid, signal.SIGKILL)
    failed = a.wait(doomed.id, timeout=60)
    assert failed.status == "failed" and failed.error_code == "worker_lost"
    assert failed.checkpoint is None
    assert _until(lambda: b.get(doomed.id).error_code == "worker_lost")  # the other replica reads why
    assert b.wait(waiting.id, timeout=120).status == "finished"


DYING_REPLICA = """
import sys, time
from lenet import jobs
from lenet.backends.ray import RayBackend
from lenet.classmode.runs import RunStore
from lenet.classmode.store import Store
from lenet.train import TrainConfig
store = RunStore(Store.open(None, sys.argv[2]))
registry = jobs.Registry(max_concurrent=1, runs_dir=sys.argv[3], backend=RayBackend(sys.argv[1], 0, 1), store=store)
run = registry.submit("fay", "outlives", train_config=TrainConfig(epochs=1, batch_size=64))
while registry.get(run.id).step == 0:
    time.sleep(0.05)
print(run.id, flush=True)
time.sleep(600)
"""


def test_a_ray_run_outlives_its_replica_and_another_saves_it(replicas, cluster, tmp_path):
    a, b = replicas
    dying = subprocess.Popen(
        [sys.executable, "-c", DYING_REPLICA, cluster[0], str(tmp_path / "state"), str(tmp_path / "runs")],
        cwd=Path(__file__).resolve().parent.parent,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        run_id = dying.stdout.readline().strip()
        assert run_id, "the replica that dies did not start its run"
    finally:
        dying.kill()  # SIGKILL: no goodbye, its rows simply stop being refreshed
        dying.wait(30)
    adopted = _until(lambda: (r := a.get(run_id) or b.get(run_id)) and r.status != "running" and r)
    assert adopted.status == "finished", adopted.error_message  # another replica attached to the actor
    assert Path(adopted.checkpoint).exists() and adopted.losses
    assert {r.id: r.status for r in a.runs()}[run_id] == "finished"


def _status(page) -> str:
    return page.locator(".st-key-train_status").inner_text()


def _wait_status(page, *words: str, timeout: float = 120) -> str:
    deadline = time.time() + timeout
    while not any(w in (text := _status(page)) for w in words):
        assert time.time() < deadline and "failed" not in text, f"status never showed {words}: {text!r}"
        time.sleep(0.3)
    return text


def _open_train(browser, url: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1400})
    page.goto(url)  # the root first: it runs app.py, whose st.navigation owns the page URLs
    wait_for_app(page)
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text="Train").click()
    wait_for_app(page)
    page.wait_for_selector(".st-key-start_training button")
    return page


@pytest.mark.browser
def test_a_run_from_replica_a_trains_on_ray_and_replica_b_uses_its_model(cluster, app_env, tmp_path):
    env = {
        **app_env,
        "LENET_RAY_ADDRESS": cluster[0],
        "LENET_RAY_GPUS_PER_RUN": "0",
        "LENET_STATE_DIR": str(tmp_path / "state"),  # one SQLite file for both replicas
        "LENET_MAX_EPOCHS": "2",
    }
    loss_paths = "() => Array.from(document.querySelectorAll('.st-key-live_loss path.js-line')).length"
    with serve(env=env) as (url_a, _), serve(env=env) as (url_b, _), launch_browser() as browser:
        a = _open_train(browser, url_a)
        a.locator(".st-key-start_training button").click()
        _wait_status(a, "running")
        _wait_status(a, "step ", "finished")  # the first step has come back from the actor
        a.wait_for_function(f"() => ({loss_paths})() > 0", timeout=60000)  # the live loss chart draws
        text = _wait_status(a, "finished")
        assert "my-lenet" in text

        b = _open_train(browser, url_b)  # the other replica lists the run, and its model works there
        b.locator('.st-key-train_watch [role="combobox"]').click()  # "Watch a run" offers every replica's runs
        b.get_by_role("option").filter(has_text="my-lenet").click()
        wait_for_app(b)
        _wait_status(b, "finished")
        use_model(b, "my-lenet")
        assert "my-lenet" in b.locator(".st-key-model input").input_value()
        assert not b.locator('[data-testid="stException"]').count()
        assert not a.locator('[data-testid="stException"]').count()
