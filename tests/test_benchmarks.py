"""Every benchmark's --quick mode runs and reports sane figures. Timings are never asserted: CI machines vary."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_quick(script: str, *args: str, timeout: float = 240, env: dict | None = None) -> dict:
    """Run `bench/<script> --quick --json [args]`; it must exit 0 and print one JSON object last."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), "--quick", "--json", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
    )
    assert proc.returncode == 0, f"{script} exited {proc.returncode}:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    assert lines, f"{script} printed no JSON:\n{proc.stdout[-2000:]}"
    return json.loads(lines[-1])


@pytest.fixture(scope="module")
def classroom_mnist(tmp_path_factory) -> dict:
    """The teacher's training data for bench/classroom.py: 60,000 tiny-MNIST bars, so an epoch lasts as long as
    on the real MNIST (the run must outlast the students' drawing) on every machine, with or without it."""
    from tiny_mnist import write_tiny_mnist

    return {"LENET_DATA_DIR": str(write_tiny_mnist(tmp_path_factory.mktemp("classroom-mnist"), n_train=60000))}


def test_train_speed_quick(tmp_path):
    """Outputs only, so on the tests' tiny MNIST (both recipes read it: ours directly, torchvision's as IDX files)."""
    from tiny_mnist import write_tiny_mnist

    out = run_quick("train_speed.py", env={"LENET_DATA_DIR": str(write_tiny_mnist(tmp_path / "mnist"))})
    assert out["mode"].startswith("quick")
    for key in ("quick_recipe_wall_s", "quick_recipe_test_acc", "tutorial_wall_s", "tutorial_test_acc", "speedup"):
        assert key in out, key
    assert 0.0 <= out["quick_recipe_test_acc"] <= 1.0 and 0.0 <= out["tutorial_test_acc"] <= 1.0
    assert out["quick_recipe_wall_s"] > 0 and out["tutorial_wall_s"] > 0


def test_cpu_peak_quick(tmp_path):
    """The peak's and LeNet's arithmetic hold, with or without MNIST (here without: random digits)."""
    out = run_quick("cpu_peak.py", env={"LENET_DATA_DIR": str(tmp_path)})
    lenet = out["lenet"]
    # LeNet-5's network table: C1 117,600, C3 240,000, C5 48,000, F6 10,080, output 840 multiply-adds
    assert lenet["forward_macs"] == 416520
    assert lenet["training_macs"] == 3 * 416520 - 117600
    assert out["epoch_gflop"] == round(60000 * lenet["training_mflop"] / 1000, 1)
    assert out["run"]["steps"] == 5 and out["run"]["data"].startswith("random")
    assert out["matmul_gflops"] > 0 and out["step_gflops"] > 0
    cpu = out["cpu"]
    if cpu["peak_gflops"]:  # a CPU whose FMA pipes are known
        assert cpu["peak_gflops"] == round(cpu["cores"] * cpu["flop_per_cycle_per_core"] * cpu["clock_ghz"], 1)
        assert out["step_share_of_peak"] == round(out["step_gflops"] / cpu["peak_gflops"], 3)


def test_lab_designer_quick():
    """A 12-layer design's change and the calculator's both run, and the designer's own work is measured."""
    out = run_quick("lab_designer.py")
    assert out["changes"] == 2 and out["designer_ms"] > 0 and out["calculator_ms"] > 0 and out["own_ms"] > 0


def test_the_trivial_page_mounts_the_draw_pages_drawing_surface():
    """The baseline's canvas must be the Draw page's: the same component (surface.py's lenet_surface) under the
    same key, so that only the page around it differs."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "bench" / "trivial_canvas.py"), default_timeout=60).run()
    assert not at.exception
    found = [e.proto for e in at.main if type(e.proto).__name__ == "BidiComponent"]
    assert [(p.component_name, p.id.endswith("-canvas")) for p in found] == [("lenet_surface", True)]


def test_draw_latency_quick():
    out = run_quick("draw_latency.py")
    assert out["mode"].startswith("quick")
    for name in ("app", "trivial"):
        page = out[name]
        assert page["strokes"] >= 1, page
        assert page["answered"] == page["strokes"] and page["unanswered"] == 0, page
        assert page["errors"] == 0 and page["clear_failed"] == 0, page
        assert page["update"]["n"] == page["strokes"], page
        assert {"median_ms", "p95_ms"} <= set(page["update"]), page
    # The digits the benchmark drew: its own plan for --quick (one stroke measured: one digit, stroke by stroke).
    sys.path.insert(0, str(ROOT / "bench"))
    from draw_latency import strokes_plan

    plan = strokes_plan(1, 0)
    assert out["app"]["strokes"] == out["trivial"]["strokes"] == sum(len(strokes) for _, strokes in plan)
    right, drawn = map(int, out["app"]["digits_read_right"].split("/"))
    assert drawn == len(plan) == 1 and 0 <= right <= drawn  # whether the one digit was read right is luck
    assert out["app_blank_has_no_digit"] is True
    for stat, key in (("median_ms", "ratio_median"), ("p95_ms", "ratio_p95")):
        app_ms, trivial_ms = out["app"]["update"][stat], out["trivial"]["update"][stat]
        assert math.isfinite(app_ms) and math.isfinite(trivial_ms) and app_ms > 0 and trivial_ms > 0, out
        ratio = out[key]
        assert isinstance(ratio, float) and math.isfinite(ratio) and ratio > 0, (key, ratio)
        assert ratio == pytest.approx(app_ms / trivial_ms, abs=0.006), (key, ratio, app_ms, trivial_ms)


@pytest.mark.browser
def test_classroom_quick(classroom_mnist):
    out = run_quick("classroom.py", timeout=300, env=classroom_mnist)
    assert out["mode"].startswith("quick")
    (run,) = out["runs"]
    assert run["sessions"] == 2
    assert run["training"].startswith("Train page"), run["training"]  # started by the start_training button
    assert "running" in run["training_statuses"], run["training_statuses"]
    assert run["digits"] == 2, run  # one digit per student
    assert run["strokes"] >= 2 and run["answered"] == run["strokes"], run
    assert run["errors"] == 0, (run["error_detail"], run.get("error_samples"))
    assert run["latency"]["n"] == run["strokes"]
    assert run["page_compute_ms"]["n"] == run["strokes"]  # the page's own timing caption, read every stroke
    assert 0 < run["rss_idle_mb"] <= run["rss_peak_mb"]
    assert run["checks"] == {"no_errors": True, "every_drawing_answered": True}


@pytest.mark.browser
def test_classroom_cold_start_quick(classroom_mnist):
    """Two students open the app at the same moment on a freshly started server: neither sees an exception."""
    (run,) = run_quick("classroom.py", "--cold", timeout=300, env=classroom_mnist)["runs"]
    assert run["start"].startswith("cold")
    assert run["errors"] == 0, (run["error_detail"], run.get("error_samples"))
    assert run["digits"] == 2 and run["answered"] == run["strokes"] >= 2, run


def test_live_forward_quick():
    """Chromium times preprocess + forward per frame, unthrottled and 4x throttled; sane figures and the payload."""
    out = run_quick("live_forward.py")
    for run in ("unthrottled", "throttled_4x"):
        assert out[run]["frames"] >= 50, out[run]
        for part in ("read_canvas", "preprocess", "forward", "total"):
            assert out[run][part]["median_ms"] >= 0 and out[run][part]["p95_ms"] >= out[run][part]["median_ms"]
    assert out["server_baseline"]["n"] == 40
    assert 0 <= out["answers_right"] <= out["digits"] == 2
    # the modules are tens of KB; LeNet-5's float32 weights are 246,824 bytes plus the manifest, barely compressible
    assert 10_000 < out["payload_bytes"]["js"]["raw"] < 100_000
    assert out["payload_bytes"]["weights"]["raw"] > 246_824 > out["payload_bytes"]["weights"]["gzip"] > 200_000


def test_soak_quick(tmp_path):
    """Students come and go; the server's RSS is read, and the profiler inside the server (tracemalloc) sees what
    the sessions kept for reconnection hold: closing them frees them, and none holds the engine's outputs (the Draw
    page's view, about 100 KB a student before it moved out of session state into a session-scoped cache)."""
    out = run_quick("soak.py", "--profile", str(tmp_path), timeout=300)
    assert out["mode"] == "quick" and out["students"] == 4
    assert out["errors"] == 0, out["first_errors"]
    assert len(out["curve_mb"]) == len(out["server_curve_mb"]) == 2
    assert all(mb > 0 for mb in out["curve_mb"])
    assert out["growth_last_mb"] == round(out["curve_mb"][-1] - out["curve_mb"][0], 1)
    # Every student who left is kept (Streamlit's disconnectedSessionTTL), each reading counting them.
    assert [c["students"] for c in out["counts"]] == [2, 4]
    assert out["counts"][-1]["sessions_kept"] == out["counts"][0]["sessions_kept"] + 2
    released = out["after_closing_kept_sessions"]
    assert released["sessions_kept"] == 0 and released["closed_traced"] == 4
    assert released["app_sessions_alive"] <= 1  # the one frozen with the first run's heap (ui.freeze_startup_heap)
    assert out["kept_kb_per_session"] > 0
    assert out["kept_engine_kb_per_session"] < 10, out
    growth = (tmp_path / "growth.txt").read_text()
    assert "freed by closing the sessions kept for reconnection" in growth


def test_draw_live_quick():
    """The real Draw page: live updates are timed while the mouse draws, nothing is sent to the server between a
    stroke's mouse-down and mouse-up, the weights are fetched from the app, and the server reads both digits."""
    out = run_quick("draw_live.py", timeout=400)
    for run in ("unthrottled", "throttled_4x"):
        assert out[run]["update"]["n"] >= 50, out[run]
        assert out[run]["sent_while_down"] == 0, out[run]
        assert out[run]["errors"] == [], out[run]
        assert out[run]["weights_bytes_fetched"] > 0, out[run]
    assert out["unthrottled"]["answers_right"] == "2/2", out
    assert 0 < out["payload_per_student_bytes"] < 400_000, out


def test_lesson_load_quick():
    """A teacher leads 2 protocol students through 3 steps: every student shows every step and every reveal, each
    answers every question, and the teacher's "Answers received" counts all of them."""
    out = run_quick("lesson_load.py")
    assert out["mode"] == "quick" and out["students_joined"] == 2 and out["steps"] == 3
    assert out["errors"] == 0, out["first_errors"]
    assert out["answers_sent"] == out["answers_counted"] == 6
    assert out["start"]["n"] == 2 and out["follow"]["n"] == 4 and out["reveal"]["n"] == 6
    assert 0 < out["start"]["median_ms"] <= out["start"]["max_ms"]
    assert 0 < out["follow"]["median_ms"] <= out["follow"]["p95_ms"] <= out["follow"]["max_ms"]
