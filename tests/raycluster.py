"""A real, throwaway Ray cluster on this machine for the cluster tests and bench/ray_overhead.py.

`ray_cluster(num_cpus)` runs `ray start --head` in a temporary folder on free ports and yields the head's address
(`127.0.0.1:PORT`, a value for LENET_RAY_ADDRESS). On leaving, it ends exactly the processes that this cluster
started (found by its temporary folder in their command lines, and every process below them: the workers), never
another Ray on the machine (`ray stop` would end every one), then deletes the folder. `stray_processes(folder)`
lists what is left, so a test can check that nothing is.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from appserver import free_port

RAY = Path(sys.executable).parent / "ray"


def available() -> bool:
    """Whether Ray is installed here (requirements-cluster.txt)."""
    try:
        import ray  # noqa: F401
    except ImportError:
        return False
    return RAY.exists()


def _processes() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, command line) of every process (Linux /proc)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if state != "Z":  # a zombie has ended; only its parent's wait() is missing
            found[int(entry.name)] = (int(ppid), cmdline)
    return found


def stray_processes(folder: Path) -> list[int]:
    """The processes of the cluster in `folder`: those naming it, and all their descendants."""
    table = _processes()
    mine = {pid for pid, (_, cmd) in table.items() if str(folder) in cmd and pid != os.getpid()}
    grew = True
    while grew:
        below = {pid for pid, (ppid, _) in table.items() if ppid in mine and pid not in mine}
        mine |= below
        grew = bool(below)
    return sorted(mine)


def _end(folder: Path, wait_s: float = 5.0) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in stray_processes(folder):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)
        deadline = time.monotonic() + wait_s
        while stray_processes(folder) and time.monotonic() < deadline:
            time.sleep(0.2)


@contextlib.contextmanager
def ray_cluster(num_cpus: int = 2):
    """A Ray head with `num_cpus` CPUs; yields (address, temporary folder)."""
    folder = Path(tempfile.mkdtemp(prefix="lenet-ray-", dir="/tmp"))  # short: Ray's sockets live in it
    port = free_port()
    ports = [
        "--dashboard-agent-listen-port",
        str(free_port()),
        "--dashboard-agent-grpc-port",
        str(free_port()),
        "--metrics-export-port",
        str(free_port()),
        "--runtime-env-agent-port",
        str(free_port()),
    ]
    cmd = [str(RAY), "start", "--head", "--num-cpus", str(num_cpus), "--disable-usage-stats"]
    cmd += ["--include-dashboard=false", "--temp-dir", str(folder), "--port", str(port), *ports]
    try:
        subprocess.run(cmd, check=True, capture_output=True, timeout=180, env={**os.environ, "RAY_TMPDIR": str(folder)})
        yield f"127.0.0.1:{port}", folder
    finally:
        _end(folder)
        shutil.rmtree(folder, ignore_errors=True)
