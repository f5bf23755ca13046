"""Whole-process wall time of `python -m lenet train` (the quick recipe) against the tutorial's recipe.

Both run as fresh processes in the same invocation, on the same machine, so the ratio is fair on a
noisy machine. `--quick` (CI) runs a few batches of each and checks the outputs, not the timings.

    python bench/train_speed.py [--quick] [--json] [--device cpu|cuda]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, machine, report

from lenet.data import FILES, data_dir


def torchvision_root(tmp: Path) -> Path:
    """A folder laid out as torchvision's MNIST expects (MNIST/raw, uncompressed), built from LENET_DATA_DIR."""
    raw = tmp / "MNIST" / "raw"
    raw.mkdir(parents=True)
    src = data_dir()
    for name in FILES.values():
        if (src / name).exists():
            shutil.copy(src / name, raw / name)
        else:
            with gzip.open(src / f"{name}.gz", "rb") as fin, open(raw / name, "wb") as fout:
                shutil.copyfileobj(fin, fout)
    return tmp


def timed(cmd: list[str]) -> tuple[float, list[dict]]:
    """Run a command; return its whole-process wall time and its JSON lines."""
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.strip()[-500:]}")
    return wall, [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few batches each: checks outputs, not speed")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        root = torchvision_root(tmp / "tv")
        ours_cmd = [
            sys.executable,
            "-m",
            "lenet",
            "train",
            "--json",
            "--device",
            args.device,
            "--out",
            str(tmp / "quick.safetensors"),
        ]
        base_cmd = [
            sys.executable,
            str(ROOT / "bench" / "tutorial_recipe.py"),
            "--root",
            str(root),
            "--device",
            args.device,
        ]
        if args.quick:
            ours_cmd.append("--dry-run")
            base_cmd += ["--epochs", "1", "--max-batches", "5"]
        ours_wall, ours = timed(ours_cmd)
        base_wall, base = timed(base_cmd)
        final = ours[-1]
        assert {"checkpoint", "test_acc", "elapsed_s"} <= set(final), final
        assert Path(final["checkpoint"]).exists()
        to_99 = next((line["elapsed_s"] for line in ours[:-1] if line["test_acc"] >= 0.99), None)
        result = {
            "machine": machine(),
            "device": args.device,
            "mode": "quick (CI: outputs only)" if args.quick else "full",
            "quick_recipe_wall_s": round(ours_wall, 2),
            "quick_recipe_test_acc": final["test_acc"],
            "quick_recipe_s_to_99pct": to_99,
            "tutorial_wall_s": round(base_wall, 2),
            "tutorial_test_acc": base[-1]["test_acc"],
            "speedup": round(base_wall / ours_wall, 2),
        }
    report(result, args.json)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
