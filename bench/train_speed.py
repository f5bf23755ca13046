"""Whole-process wall time of `python -m lenet train` (the quick recipe) against the tutorial's recipe.

Both run as fresh processes in the same invocation, on the same machine, so the ratio is fair on a
noisy machine; the 99 % preset (`--preset fast99`) runs beside them, and so does the quick recipe on each network
preset of `--nets` (issue 29; default allconv, `all` for every one), its time against LeNet-5's. `--quick` (CI)
runs a few batches of each and checks the outputs and the speed-up's arithmetic, not the timings. `--nets-only` runs
LeNet-5's quick recipe and the presets of `--nets` alone (no tutorial, no fast99): the presets' figures in minutes.

`--startup` measures instead what a run from the Train page waits for: Registry.submit to the run's first
step, in a child process as in the app, on a warm server (the registry created and its spare ready).

    python bench/train_speed.py [--quick] [--json] [--device cpu|cuda] [--nets allconv,tiny|all|none] [--nets-only]
    python bench/train_speed.py --startup [--runs N] [--json]
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

from common import ROOT, machine, percentiles, report

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


def recipes(args) -> dict:
    """The quick recipe, the 99 % preset and the tutorial, each a whole fresh process, in one run."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        root = torchvision_root(tmp / "tv")
        ours = [sys.executable, "-m", "lenet", "train", "--json", "--device", args.device]
        ours_cmd = [*ours, "--out", str(tmp / "quick.safetensors")]
        fast_cmd = [*ours, "--preset", "fast99", "--out", str(tmp / "fast99.safetensors")]
        base_cmd = [sys.executable, str(ROOT / "bench" / "tutorial_recipe.py"), "--root", str(root)]
        base_cmd += ["--device", args.device]
        if args.quick:
            ours_cmd.append("--dry-run")
            fast_cmd.append("--dry-run")
            base_cmd += ["--epochs", "1", "--max-batches", "5"]
        net_cmds = {name: [*ours, "--net", name, "--out", str(tmp / f"{name}.safetensors")] for name in args.nets}
        ours_wall, ours = timed(ours_cmd)
        nets = {name: timed([*cmd, "--dry-run"] if args.quick else cmd) for name, cmd in net_cmds.items()}
        networks = {
            name: {
                "net": lines[-1]["net"],
                "wall_s": round(wall, 2),
                "test_acc": lines[-1]["test_acc"],
                "time_vs_lenet5": round(wall / ours_wall, 2),  # whole process against the quick recipe's LeNet-5
            }
            for name, (wall, lines) in nets.items()
        }
        for lines in (ours, *(lines for _, lines in nets.values())):
            assert {"checkpoint", "test_acc", "elapsed_s"} <= set(lines[-1]), lines[-1]
            assert Path(lines[-1]["checkpoint"]).exists()
        preset_checks = (
            {"allconv_reaches_98_5pct": networks["allconv"]["test_acc"] >= 0.985} if "allconv" in networks else {}
        )
        quick = {
            "quick_recipe_wall_s": round(ours_wall, 2),
            "quick_recipe_test_acc": ours[-1]["test_acc"],
            "quick_recipe_s_to_99pct": next(
                (line["elapsed_s"] for line in ours[:-1] if line["test_acc"] >= 0.99), None
            ),
        }
        head = {
            "machine": machine(),
            "device": args.device,
            "mode": "quick (CI: outputs only)" if args.quick else "full",
        }
        checks = {"quick_recipe_reaches_98_5pct": ours[-1]["test_acc"] >= 0.985, **preset_checks}
        if args.nets_only:
            return {**head, **quick, "networks": networks, "checks": checks}
        fast_wall, fast = timed(fast_cmd)
        base_wall, base = timed(base_cmd)
        assert {"checkpoint", "test_acc", "elapsed_s"} <= set(fast[-1]), fast[-1]
        assert Path(fast[-1]["checkpoint"]).exists()
    speedup = round(base_wall / ours_wall, 2)
    return {
        **head,
        **quick,
        "fast99_wall_s": round(fast_wall, 2),
        "fast99_test_acc": fast[-1]["test_acc"],
        "tutorial_wall_s": round(base_wall, 2),
        "tutorial_test_acc": base[-1]["test_acc"],
        "speedup": speedup,
        "networks": networks,
        "checks": {
            "speedup_is_tutorial_over_quick": abs(speedup - base_wall / ours_wall) <= 0.005,
            "fast99_reaches_99pct_within_8s": fast[-1]["test_acc"] >= 0.99 and fast_wall <= 8.0,
            **checks,
        },
    }


def startup(args) -> dict:
    """Registry.submit to the first Step, on a warm server: the registry made and its spare ready."""
    from lenet import worker
    from lenet.jobs import Registry
    from lenet.train import TrainConfig

    waits, ready_s = [], []
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        registry = Registry(runs_dir=tmp)  # as the app makes it: runs in a child on the server's MNIST
        for k in range(args.runs):
            if not worker.prewarm(wait_s=120):
                raise SystemExit("the spare did not get ready within 2 minutes")
            ready_s.append(time.perf_counter() - t0)
            time.sleep(1.0)  # a warm server: the spare has been waiting a while
            t0 = time.perf_counter()
            run = registry.submit(f"bench-{k}", "startup", train_config=TrainConfig(device=args.device))
            while (view := registry.get(run.id)).step == 0 and view.active:
                time.sleep(0.002)
            waits.append(time.perf_counter() - t0)
            registry.stop(run.id, f"bench-{k}", keep=False)
            registry.wait(run.id, 10)
            t0 = time.perf_counter()  # the next spare starts with this run: how long until it is ready
    return {
        "machine": machine(),
        "mode": "startup",
        "submit_to_first_step": percentiles(waits),
        "spare_ready_after_s": [round(s, 2) for s in ready_s],
        "checks": {"first_step_within_1s": max(waits) <= 1.0},
    }


def _networks(value: str) -> list[str]:
    """--nets: the presets it names (LeNet-5 itself, `lenet5`, is the quick recipe's own run)."""
    from lenet.netspec import NETWORKS

    names = [n for n in NETWORKS if n != "lenet5"] if value == "all" else [] if value == "none" else value.split(",")
    unknown = [n for n in names if n not in NETWORKS]
    if unknown:
        raise SystemExit(f"--nets: {', '.join(unknown)} is not a network preset ({', '.join(NETWORKS)})")
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few batches each: checks outputs, not speed")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--startup", action="store_true", help="time Registry.submit to the first step instead")
    parser.add_argument("--runs", type=int, default=5, help="--startup: runs to time")
    parser.add_argument(
        "--nets",
        default="allconv",
        help="network presets trained with the quick recipe beside LeNet-5: names, comma-separated, all or none",
    )
    parser.add_argument(
        "--nets-only", action="store_true", help="LeNet-5's quick recipe and the --nets presets alone: no tutorial"
    )
    args = parser.parse_args()
    args.nets = _networks(args.nets)
    if args.startup:
        report(startup(args), args.json)
        return
    result = recipes(args)
    if (
        args.quick and not args.nets_only
    ):  # the figures are meaningless on a few batches, but their arithmetic must hold
        assert result["checks"]["speedup_is_tutorial_over_quick"], result
        assert result["speedup"] > 0 and result["quick_recipe_wall_s"] > 0 and result["fast99_wall_s"] > 0
    if args.quick:
        assert all(net["wall_s"] > 0 and net["time_vs_lenet5"] > 0 for net in result["networks"].values())
    report(result, args.json)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
