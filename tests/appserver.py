"""Starting the real app and a real browser for tests and benchmarks.

`serve(...)` runs `streamlit run app.py` on a free local port; `launch_browser(...)` opens Debian's
Chromium through Playwright (the flags keep it off the network, which this machine does not have).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("LENET_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(script: str | Path = "app.py", env: dict | None = None, timeout: float = 90, port: int | None = None):
    """Run a Streamlit script on a free local port; yields (base_url, Popen)."""
    port = port or free_port()
    # The server writes its log for as long as it runs: closed when serve() ends, below.
    log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"streamlit-{port}.log", "w")  # noqa: SIM115
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {proc.returncode}; see {log.name}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.time() > deadline:
                raise RuntimeError(f"streamlit did not start within {timeout} s; see {log.name}")
            time.sleep(0.3)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@contextlib.contextmanager
def launch_browser():
    """A headless Chromium through Playwright's sync API."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def wait_for_app(page, timeout_ms: int = 60000) -> None:
    """Wait until Streamlit has finished running the script (no 'running' status widget)."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    page.wait_for_selector(".st-key-language", timeout=timeout_ms)  # the shell's sidebar has rendered
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && document.querySelector('[data-testid=\"stMain\"]')",
        timeout=timeout_ms,
    )


def page_exceptions(page) -> list[str]:
    """Texts of every exception box on the page (Streamlit renders them as stException)."""
    return [el.inner_text() for el in page.query_selector_all('[data-testid="stException"]')]


CANVAS = ".st-key-canvas canvas.upper-canvas"  # the drawable layer of the Draw page's canvas


def draw_strokes(page, drawing: list[list[tuple[float, float]]], every: int = 1) -> None:
    """Draw strokes given in canvas pixels with the mouse, as a person would.

    `every` > 1 visits only every n-th point of a stroke (still a smooth curve): each mouse move is a
    round trip to the browser, so fewer of them make long browser tests much shorter.
    """
    # While a rerun replaces the canvas, the old one can linger beside the new one for a moment (seen on a
    # loaded machine): wait until there is just one, so the strokes go to the canvas the server listens to.
    # (Counted by Playwright's locator, which sees into the component's shadow DOM; document.querySelectorAll
    # does not.)
    canvas = page.locator(CANVAS)
    deadline = time.monotonic() + 30
    while canvas.count() != 1 and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    for stroke in drawing:
        x0, y0 = stroke[0]
        page.mouse.move(box["x"] + x0, box["y"] + y0)
        page.mouse.down()
        for x, y in [*stroke[1:-1:every], stroke[-1]]:
            page.mouse.move(box["x"] + x, box["y"] + y)
        page.mouse.up()
