"""The Ray backend's cost per run against the local backend's, measured in the same invocation.

A real local Ray cluster (tests/raycluster.py: `ray start --head`, in a temporary folder, ended afterwards) and
the tiny MNIST (tests/tiny_mnist.py) written to a temporary folder. For each backend, as the app drives it:
- overhead per run, over `--runs` short runs one after another: submit to the first event (the local backend's
  spare is ready, as on a warm server; each Ray run starts an actor), and the last event to the checkpoint
  saved (the weights coming back, then lenet.checkpoints' atomic save);
- throughput: `--queued` short runs submitted at once to a `Registry`, at each backend's own limit (local: 1 on
  a CPU; Ray: what the cluster holds at LENET_RAY_CPUS_PER_RUN, here the head's `--cpus`), runs per minute.

    python bench/ray_overhead.py [--runs 3] [--queued 4] [--steps 30] [--cpus 2] [--gpus-per-run 0] [--fair] [--json]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from common import machine, percentiles, report


def _one_run(backend, tc, folder: Path, k: int) -> dict:
    """Submit, first event, last event, saved: what lenet.jobs does, timed."""
    from lenet import checkpoints

    marks: dict[str, float] = {}

    def seen(event) -> None:
        marks.setdefault("first", time.perf_counter())
        marks["last"] = time.perf_counter()

    start = time.perf_counter()
    result = backend.fit(None, tc, callback=seen, run_id=f"bench{os.getpid()}x{k}")
    checkpoints.save_checkpoint(result.model, folder / f"bench-{backend.name}-{k}.safetensors", {"bench": True})
    saved = time.perf_counter()
    return {"to_first_event": marks["first"] - start, "to_saved": saved - marks["last"], "total": saved - start}


def _children_at_normal_priority(stop) -> None:
    """--fair: keep this process's training children at a normal priority (each lowers itself when its job comes)."""
    me = str(os.getpid())
    while not stop.wait(0.05):
        for entry in Path("/proc").iterdir():
            try:
                if not entry.name.isdigit() or (entry / "stat").read_text().rsplit(")", 1)[1].split()[1] != me:
                    continue
                for tid in os.listdir(entry / "task"):
                    os.sched_setscheduler(int(tid), os.SCHED_OTHER, os.sched_param(0))
                    os.setpriority(os.PRIO_PROCESS, int(tid), 0)
                (entry / "autogroup").write_text("0")
            except (OSError, IndexError):
                continue


def _warm_spare() -> None:
    """A warm server: the local spare ready when the run comes."""
    from lenet import worker

    worker.prewarm(wait_s=600)


def overhead(backend, tc, folder: Path, runs: int) -> dict:
    rows = []
    for k in range(runs):
        if backend.name == "local":
            _warm_spare()
        rows.append(_one_run(backend, tc, folder, k))
    return {key: percentiles([r[key] for r in rows]) for key in rows[0]}


def throughput(backend, tc, folder: Path, queued: int) -> dict:
    from lenet import jobs

    registry = jobs.Registry(runs_dir=folder, backend=backend)
    if backend.name == "local":
        _warm_spare()
    start = time.perf_counter()
    ids = [registry.submit(f"student{k}", f"short{k}", train_config=tc).id for k in range(queued)]
    ended = [registry.wait(run_id, timeout=600) for run_id in ids]
    wall = time.perf_counter() - start
    assert all(r.status == "finished" for r in ended), [r.error_message for r in ended]
    return {
        "at_once": registry.max_concurrent,
        "runs": queued,
        "wall_s": round(wall, 2),
        "per_min": round(queued * 60 / wall, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--queued", type=int, default=4)
    parser.add_argument("--steps", type=int, default=30, help="batches per short run")
    parser.add_argument("--cpus", type=int, default=2, help="the Ray head's CPUs")
    parser.add_argument("--gpus-per-run", type=float, default=0.0)
    parser.add_argument(
        "--fair",
        action="store_true",
        help="the local spare at a normal priority, as Ray's workers are (on a machine busy with other work the "
        "app's lowest priority measures the other work, not the backend); Linux, root",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import raycluster
    from tiny_mnist import write_tiny_mnist

    from lenet.backends.local import LocalBackend
    from lenet.backends.ray import RayBackend
    from lenet.train import TrainConfig

    tmp = Path(tempfile.mkdtemp(prefix="lenet-bench-"))
    os.environ["LENET_DATA_DIR"] = str(write_tiny_mnist(tmp / "mnist", n_train=8192))
    tc = TrainConfig(max_steps=args.steps, batch_size=64)
    if args.fair:
        import threading

        threading.Thread(target=_children_at_normal_priority, args=(threading.Event(),), daemon=True).start()
    result = {"machine": machine(), "steps_per_run": args.steps, "ray_head_cpus": args.cpus, "fair": args.fair}
    with raycluster.ray_cluster(num_cpus=args.cpus) as (address, _):
        ray_backend = RayBackend(address, gpus_per_run=args.gpus_per_run, cpus_per_run=1)
        ray_backend.connect()
        for name, backend in (("local", LocalBackend()), ("ray", ray_backend)):
            result[name] = {
                "overhead": overhead(backend, tc, tmp, args.runs),
                "throughput": throughput(backend, tc, tmp / name, args.queued),
            }
        import ray

        ray.shutdown()
    report(result, args.json)


if __name__ == "__main__":
    main()
