"""Choosing where runs train (lenet.backends), without a Ray cluster: the default needs no Ray at all, and an
unreachable cluster leaves the app training locally, saying so on the Train page in both languages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import streamlit as st
from appserver import free_port
from apptest import open_app
from tiny_mnist import write_tiny_mnist

from lenet import backends, settings
from lenet.i18n import t

ROOT = Path(__file__).resolve().parent.parent

WITHOUT_RAY = """
import json, sys, time
sys.modules["ray"] = None  # `import ray` now fails, as on a machine without requirements-cluster.txt
from lenet import backends, jobs
from lenet.data import load_mnist
from lenet.train import TrainConfig
choice = backends.choose()
registry = jobs.Registry(runs_dir=sys.argv[2], data=load_mnist(sys.argv[1]), max_concurrent=1)
run = registry.submit("me", "no ray", train_config=TrainConfig(max_steps=10, batch_size=64))
done = registry.wait(run.id, timeout=400)  # its child yields to everything else (SCHED_IDLE)
print(json.dumps({"backend": choice.backend.name, "problem": getattr(choice.problem, "code", None),
                  "status": done.status, "checkpoint": done.checkpoint, "registry": registry.backend.name}))
"""


def test_the_default_backend_trains_without_ray_installed(tmp_path):
    data = write_tiny_mnist(tmp_path / "mnist")
    # Ray asked for but not installed: the worst case of its absence (unset, nothing even looks for it).
    env = {"PATH": "/usr/bin:/bin", "LENET_RAY_ADDRESS": "auto", "HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", WITHOUT_RAY, str(data), str(tmp_path / "runs")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=500,
    )
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout.strip().splitlines()[-1])
    assert answer["backend"] == answer["registry"] == "local"
    assert answer["problem"] == "ray_missing"  # the Train page says why runs train here
    assert answer["status"] == "finished" and Path(answer["checkpoint"]).exists()


def test_an_unreachable_cluster_falls_back_to_local_or_refuses(monkeypatch):
    pytest.importorskip("ray", reason="without Ray the answer is ray_missing (the test above)")
    address = f"127.0.0.1:{free_port()}"  # nothing listens there
    monkeypatch.setenv("LENET_RAY_ADDRESS", address)
    choice = backends.choose()
    assert choice.backend.name == "local" and choice.problem.code == "cluster_unreachable"
    assert choice.problem.params["address"] == address
    monkeypatch.setenv("LENET_RAY_FALLBACK", "none")
    with pytest.raises(Exception) as refused:
        backends.choose()
    assert getattr(refused.value, "code", None) == "cluster_unreachable"


def test_ray_settings_fall_back_to_their_defaults_when_unusable(monkeypatch):
    monkeypatch.setenv("LENET_RAY_GPUS_PER_RUN", "a quarter")
    monkeypatch.setenv("LENET_RAY_CPUS_PER_RUN", "-1")
    monkeypatch.setenv("LENET_RAY_FALLBACK", "sometimes")
    config = settings.current()
    assert config.ray_address is None
    assert (config.ray_gpus_per_run, config.ray_cpus_per_run, config.ray_fallback) == (None, 1.0, "local")
    monkeypatch.setenv("LENET_RAY_GPUS_PER_RUN", "0.25")
    assert settings.current().ray_gpus_per_run == 0.25


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_train_page_says_the_cluster_is_unreachable_and_trains_here(tmp_path, monkeypatch, language):
    pytest.importorskip("ray", reason="without Ray the page says Ray is missing instead")
    address = f"127.0.0.1:{free_port()}"
    monkeypatch.setenv("LENET_RAY_ADDRESS", address)
    monkeypatch.setenv("LENET_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("LENET_DATA_DIR", str(write_tiny_mnist(tmp_path / "mnist")))
    monkeypatch.setenv("LENET_RUNS_DIR", str(tmp_path / "runs"))
    st.cache_resource.clear()
    try:
        at = open_app("pages/train.py", language=language)
        assert not at.exception
        warning = " ".join(w.value for w in at.warning)
        assert t("error.cluster_unreachable", language, address=address) in warning
        assert t("train.cluster_fallback", language, reason="").strip() in warning
        assert not at.error and at.button(key="start_training")  # a run can start: it would train here
    finally:
        st.cache_resource.clear()
