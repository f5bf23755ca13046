"""A school day on one server: N students in turn open the Draw page, draw a digit, read the answer and leave.

Each student is a bench/st_session.py session (what a browser costs the server, no browser): it opens `/`,
draws one handwritten digit stroke by stroke (`draw_digit`: the canvas's value after each stroke, as its
frontend sends it, from bench/class_load.py), waits for the page's answer (`prediction` showing a digit)
and disconnects. The next student starts when the previous one has gone. Every `--every` students the
server's resident memory (VmRSS from /proc) is read, alone and with its children.

A student who has left is not forgotten at once: Streamlit 1.67 keeps a disconnected session (its session
state included) for `server.disconnectedSessionTTL` seconds (default 120) so that a browser that lost its
connection can resume it, in a TTLCache of at most 128 sessions (runtime/memory_session_storage.py). An
expired session is dropped the next time a session is stored there (the next disconnect), without its
AppSession.shutdown(). So memory grows while the first TTL of students fills that cache and must then be
flat: `growth_last_mb` is the RSS over the last `--last` students (the goal: <= 10 MB over the last 100 of
300). `--ttl` sets that option for the run (an A/B of what the kept sessions cost).

`--profile DIR` shows what the server still holds, with the standard library's tracemalloc inside the
server process: after one warm-up student the server starts tracing (SIGUSR1 to the launcher below), and at
every reading it dumps a snapshot and counts what a session owns (AppSession objects alive, sessions kept for
reconnection, active sessions, media files, uploaded files, threads). At the end the first and the last
snapshot are compared by the allocating line, the largest growth first, and every kept session is closed as
its expiry should: the traced memory that frees is what the students who left held (DIR/growth.txt;
`kept_kb_per_session`, and `kept_engine_kb_per_session` for the part allocated by lenet/). Tracing slows
the server and costs memory, so a profiled run's RSS is not the figure to report.

    python bench/soak.py [--students 300] [--every 10] [--last 100] [--ttl S] [--profile DIR] [--quick] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from common import ROOT, machine, report  # first: it puts tests/ and the repository on sys.path

# isort: split
from appserver import free_port, running
from class_load import canvas_json, drawing_pool
from classroom import rss_mb
from st_session import Session

TIMEOUT_S = 60  # one student's page or answer; a slow machine under other work still makes it

# The server, started through this launcher: `streamlit run` as its command line would; with SOAK_PROFILE_DIR set,
# also two signal handlers. SIGUSR1: the first starts tracemalloc, each later one dumps a snapshot; each writes the
# counts of what sessions hold. SIGUSR2 ("release"): a snapshot, then every session kept for reconnection is
# closed as its expiry should (WebSocketSessionManager.close_session: AppSession.shutdown), the garbage collected,
# and another snapshot: what students who left held, and what stays without them.
LAUNCHER = r"""
import os, sys
folder = os.environ.get("SOAK_PROFILE_DIR")
if folder:
    import gc, json, signal, threading, tracemalloc

    def write_counts(name, **more):
        from streamlit import runtime
        from streamlit.runtime.app_session import AppSession
        gc.collect()
        objects = gc.get_objects()
        counts = {"threads": threading.active_count(), "gc_objects": len(objects)}
        counts["app_sessions_alive"] = sum(isinstance(o, AppSession) for o in objects)
        del objects
        rt = runtime.get_instance()
        manager = rt._session_mgr
        counts["sessions_active"] = len(manager.list_active_sessions())
        counts["sessions_kept"] = len(manager._session_storage._cache._data)  # expired ones too, until reaped
        counts["media_files"] = len(rt.media_file_mgr._file_metadata)
        counts["uploaded_files"] = sum(len(v) for v in rt.uploaded_file_mgr.file_storage.values())
        counts["traced_mb"] = round(tracemalloc.get_traced_memory()[0] / 2**20, 2)
        counts.update(more)
        with open(os.path.join(folder, name + ".json"), "w") as f:
            json.dump(counts, f)

    def reading(signum, frame):
        n = len([p for p in os.listdir(folder) if p.startswith("counts-")])
        if not tracemalloc.is_tracing():
            tracemalloc.start(int(os.environ.get("SOAK_PROFILE_DEPTH", "12")))
        else:
            gc.collect()
            tracemalloc.take_snapshot().dump(os.path.join(folder, f"snapshot-{n}.tracemalloc"))
        write_counts(f"counts-{n}")

    def release(signum, frame):
        from streamlit import runtime
        gc.collect()
        tracemalloc.take_snapshot().dump(os.path.join(folder, "held.tracemalloc"))
        manager = runtime.get_instance()._session_mgr
        kept = list(manager._session_storage._cache._data)
        for session_id in kept:
            manager.close_session(session_id)
        gc.collect()
        tracemalloc.take_snapshot().dump(os.path.join(folder, "released.tracemalloc"))
        write_counts("released", closed=len(kept))

    signal.signal(signal.SIGUSR1, reading)
    signal.signal(signal.SIGUSR2, release)
from streamlit.web.cli import main
sys.argv = ["streamlit", *sys.argv[1:]]
main()
"""


@contextlib.contextmanager
def serve(env: dict, ttl: int | None, timeout: float = 180):
    """`streamlit run app.py` through LAUNCHER on a free port; yields (base_url, Popen)."""
    port = free_port()
    options = ["--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true"]
    options += ["--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    if ttl is not None:
        options += ["--server.disconnectedSessionTTL", str(ttl)]
    log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"streamlit-soak-{port}.log", "w")  # noqa: SIM115
    cmd = [sys.executable, "-c", LAUNCHER, "run", "app.py", *options]
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
    with running(proc, f"http://127.0.0.1:{port}", log, timeout) as url:
        yield url, proc


def own_rss_mb(pid: int) -> float:
    """Resident memory of the process alone (VmRSS), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def draw_digit(session: Session, drawing: list, tag: str) -> int:
    """The "draw a digit" step, the one place that knows the canvas: sends the drawing surface `canvas` its
    value after each stroke (a JSON `{"drawing": {"nonce": 0, "strokes": [...], "png": <280x280 PNG data URL>,
    "image": <the browser's 28x28, base64>}}`, bench/class_load.canvas_json; nonce 0: a fresh page, never
    cleared) and waits for that stroke's run; returns the run count before the last."""
    mark = session.runs_started
    for raw, png, image in drawing:
        mark = session.runs_started
        await session.set("canvas", json_value=canvas_json(raw, png, image, tag))
        await session.wait_for(lambda m=mark: session.runs_finished > m and not session.running, TIMEOUT_S)
    return mark


def answered(session: Session, mark: int) -> bool:
    """Whether `prediction` shows a digit written by a run started after run number `mark`."""
    found = session.node("prediction")
    if found is None:
        return False
    root, _ = found
    return any(
        path[: len(root)] == root and node.seq > mark and re.search(r"\d", node.text())
        for path, node in session.nodes.items()
    )


async def student(url: str, digit_drawing: tuple, tag: str) -> None:
    """One student: open the Draw page, draw, wait for the answer, leave."""
    async with Session(url) as session:
        await session.open("/", timeout=TIMEOUT_S)
        if session.node("canvas") is None:
            raise RuntimeError(f"no canvas on the Draw page; exceptions: {session.exceptions}")
        mark = await draw_digit(session, digit_drawing[1], tag)
        await session.wait_for(lambda: answered(session, mark), TIMEOUT_S)
        if session.exceptions:
            raise RuntimeError(f"exception on the page: {session.exceptions}")


def signal_and_wait(pid: int, sig: int, path: Path) -> dict:
    """Send the server a signal (LAUNCHER's handlers) and wait for the counts it writes to `path`."""
    os.kill(pid, sig)
    deadline = time.time() + 300
    while time.time() < deadline:
        if path.exists() and path.stat().st_size:
            time.sleep(0.2)  # written whole: json.dump of a small dict, then closed
            return json.loads(path.read_text())
        time.sleep(0.2)
    raise RuntimeError(f"the server wrote no {path.name}")


def _compared(new: Path, old: Path, title: str, top: int) -> list[str]:
    """`new` against `old` by allocating line, the largest changes first, and the three largest by traceback."""
    import tracemalloc

    ignore = [
        tracemalloc.Filter(False, tracemalloc.__file__),
        tracemalloc.Filter(False, "<frozen importlib._bootstrap>"),
    ]
    after, before = (tracemalloc.Snapshot.load(str(p)).filter_traces(ignore) for p in (new, old))
    lines = [f"== {title} ({old.stem} -> {new.stem}), by line"]
    lines += [str(stat) for stat in after.compare_to(before, "lineno")[:top]]
    for stat in after.compare_to(before, "traceback")[:3]:
        lines.append(f"-- {stat.size_diff / 1024:+.1f} KiB in {stat.count_diff:+d} blocks, allocated at")
        lines += ["    " + line for line in stat.traceback.format(limit=8, most_recent_first=True)]
    return [*lines, ""]


def kept_session_kb(folder: Path, closed: int) -> dict:
    """Traced memory that closing the kept sessions freed, per session (KB): all of it, and the part allocated
    by a line of the engine (lenet/: pictures, preprocessing steps, activations), which a session that has
    left has no use for."""
    import tracemalloc

    held, released = (tracemalloc.Snapshot.load(str(folder / f"{name}.tracemalloc")) for name in ("held", "released"))
    stats = released.compare_to(held, "filename")
    engine = str(ROOT / "lenet") + os.sep
    freed = -sum(stat.size_diff for stat in stats)
    by_engine = -sum(stat.size_diff for stat in stats if stat.traceback[0].filename.startswith(engine))
    return {
        "kept_kb_per_session": round(freed / 1024 / max(closed, 1), 1),
        "kept_engine_kb_per_session": round(by_engine / 1024 / max(closed, 1), 1),
    }


def growth_report(folder: Path, top: int = 20) -> list[str]:
    """What the server's traced memory did (DIR/growth.txt): from the first reading to the last; what closing the
    kept sessions freed; and what stayed, against the first reading."""
    shots = sorted(folder.glob("snapshot-*.tracemalloc"), key=lambda p: int(p.stem.split("-")[1]))
    if not shots:
        return []
    lines = []
    if len(shots) > 1:
        lines += _compared(shots[-1], shots[0], "growth over the readings", top)
    held, released = folder / "held.tracemalloc", folder / "released.tracemalloc"
    if released.exists():
        lines += _compared(released, held, "freed by closing the sessions kept for reconnection", top)
        lines += _compared(released, shots[0], "what stays once they are closed, against the first reading", top)
    (folder / "growth.txt").write_text("\n".join(lines) + "\n")
    return lines


async def soak(url: str, pid: int, args) -> dict:
    pool = drawing_pool(per_digit=2)
    rng = random.Random(0)
    curve, counts, errors = [], [], []
    untraced = 0
    if args.profile:  # tracing starts after one warm-up student (the imports and caches of first use)
        await student(url, rng.choice(pool), tag="warm-up")
        untraced = signal_and_wait(pid, signal.SIGUSR1, Path(args.profile, "counts-0.json"))["sessions_kept"]
    started = time.time()
    for i in range(1, args.students + 1):
        try:
            await student(url, rng.choice(pool), tag=f"{i}-{time.time()}")
        except Exception as exc:  # counted, and the day goes on
            errors.append(f"student {i}: {type(exc).__name__}: {exc}")
        if i % args.every == 0:
            curve.append({"students": i, "rss_mb": round(rss_mb(pid), 1), "server_mb": round(own_rss_mb(pid), 1)})
            if args.profile:
                path = Path(args.profile, f"counts-{len(counts) + 1}.json")
                counts.append({"students": i, **signal_and_wait(pid, signal.SIGUSR1, path)})
            if not args.json:
                print(json.dumps(curve[-1] | ({"counts": counts[-1]} if counts else {})), flush=True)
    seconds = round(time.time() - started, 1)
    released = None
    if args.profile:
        released = signal_and_wait(pid, signal.SIGUSR2, Path(args.profile, "released.json"))
        released |= {"rss_mb": round(rss_mb(pid), 1), "server_mb": round(own_rss_mb(pid), 1)}
        released["closed_traced"] = released["closed"] - untraced  # sessions opened while tracing
    return {"curve": curve, "counts": counts, "released": released, "errors": errors, "seconds": seconds}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--every", type=int, default=10, help="read the RSS after every this many students")
    parser.add_argument("--last", type=int, default=100, help="growth_last_mb: the RSS growth over these students")
    parser.add_argument("--ttl", type=int, help="server.disconnectedSessionTTL for this run (Streamlit: 120 s)")
    parser.add_argument("--profile", metavar="DIR", help="tracemalloc snapshots in the server, compared at the end")
    parser.add_argument("--profile-depth", type=int, default=12, help="frames kept per allocation (1: fastest)")
    parser.add_argument("--quick", action="store_true", help="CI: 4 students, a reading every 2")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.students, args.every, args.last = 4, 2, 2
    return args


def main() -> int:
    args = parse_args()
    env = {}
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
        for old in Path(args.profile).glob("*"):
            if old.suffix in (".json", ".tracemalloc"):
                old.unlink()
        env["SOAK_PROFILE_DIR"] = str(Path(args.profile).resolve())
        env["SOAK_PROFILE_DEPTH"] = str(args.profile_depth)
    with serve(env, args.ttl) as (url, proc):
        measured = asyncio.run(soak(url, proc.pid, args))
    curve = measured["curve"]
    last = [p["rss_mb"] for p in curve if p["students"] >= args.students - args.last]
    result = {
        "mode": "quick" if args.quick else "full",
        "machine": machine(),
        "students": args.students,
        "ttl_s": args.ttl if args.ttl is not None else 120,
        "seconds": measured["seconds"],
        "curve_mb": [p["rss_mb"] for p in curve],
        "server_curve_mb": [p["server_mb"] for p in curve],
        "growth_last_mb": round(last[-1] - last[0], 1) if len(last) > 1 else None,
        "errors": len(measured["errors"]),
        "first_errors": measured["errors"][:5],
    }
    if args.profile:
        result["counts"] = measured["counts"]
        released = measured["released"]
        result["after_closing_kept_sessions"] = released
        result |= kept_session_kb(Path(args.profile), released["closed_traced"])
        lines = growth_report(Path(args.profile))
        if not args.json:
            print("\n".join(lines))
    report(result, args.json)
    return 0 if not measured["errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
