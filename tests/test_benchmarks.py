"""Every benchmark's --quick mode runs and reports sane figures. Timings are never asserted: CI machines vary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_quick(script: str, *args: str, timeout: float = 240) -> dict:
    """Run `bench/<script> --quick --json [args]`; it must exit 0 and print one JSON object last."""
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / script), "--quick", "--json", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.returncode == 0, f"{script} exited {proc.returncode}:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    assert lines, f"{script} printed no JSON:\n{proc.stdout[-2000:]}"
    return json.loads(lines[-1])


def test_train_speed_quick():
    from lenet import data

    if not data.is_available():
        pytest.skip("MNIST is not in LENET_DATA_DIR")
    out = run_quick("train_speed.py")
    assert out["mode"].startswith("quick")
    for key in ("quick_recipe_wall_s", "quick_recipe_test_acc", "tutorial_wall_s", "tutorial_test_acc", "speedup"):
        assert key in out, key
    assert 0.0 <= out["quick_recipe_test_acc"] <= 1.0 and 0.0 <= out["tutorial_test_acc"] <= 1.0
    assert out["quick_recipe_wall_s"] > 0 and out["tutorial_wall_s"] > 0


@pytest.mark.browser
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
    assert out["app"]["digits_read_right"].endswith("/1")  # one digit drawn; whether it was read right is luck
    assert out["app_blank_has_no_digit"] is True
    assert out["ratio_median"] is not None and out["ratio_p95"] is not None


@pytest.mark.browser
def test_classroom_quick():
    from lenet import data

    if not data.is_available():
        pytest.skip("MNIST is not in LENET_DATA_DIR (the teacher's training run needs it)")
    out = run_quick("classroom.py", timeout=300)
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
def test_classroom_cold_start_quick():
    """Two students open the app at the same moment on a freshly started server: neither sees an exception."""
    from lenet import data

    if not data.is_available():
        pytest.skip("MNIST is not in LENET_DATA_DIR (the teacher's training run needs it)")
    (run,) = run_quick("classroom.py", "--cold", timeout=300)["runs"]
    assert run["start"].startswith("cold")
    assert run["errors"] == 0, (run["error_detail"], run.get("error_samples"))
    assert run["digits"] == 2 and run["answered"] == run["strokes"] >= 2, run
