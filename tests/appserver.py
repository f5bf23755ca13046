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
def running(proc: subprocess.Popen, url: str, log, timeout: float):
    """A started Streamlit server: waits until `url` answers its health check, yields the url, and at the end
    stops the process and closes its log. Raises RuntimeError (naming the log) if it exits or never answers."""
    try:
        deadline = time.time() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {proc.returncode}; see {log.name}")
            with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
            if time.time() > deadline:
                raise RuntimeError(f"streamlit did not start within {timeout} s; see {log.name}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


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
    with running(proc, f"http://127.0.0.1:{port}", log, timeout) as url:
        yield url, proc


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
    # the shell has rendered: the sidebar's language picker, or in the projector view (which hides the sidebar)
    # its button to leave that view
    page.wait_for_selector(".st-key-language, .st-key-projector_exit", timeout=timeout_ms)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && document.querySelector('[data-testid=\"stMain\"]')",
        timeout=timeout_ms,
    )


def use_model(page, name: str, timeout_ms: int = 30000) -> None:
    """Click the Train page's "Use this model" and wait until the sidebar names `name`: the click's rerun may not
    have begun when wait_for_app looks (CI, 2026-12-07, read the old model), so wait for what a person sees."""
    page.locator(".st-key-use_model button").click()
    page.wait_for_function(
        "(name) => (document.querySelector('.st-key-model input')?.value || '').includes(name)",
        arg=name,
        timeout=timeout_ms,
    )
    wait_for_app(page)


def page_exceptions(page) -> list[str]:
    """Texts of every exception box on the page (Streamlit renders them as stException)."""
    return [el.inner_text() for el in page.query_selector_all('[data-testid="stException"]')]


CANVAS = ".st-key-canvas canvas.draw-surface"  # the drawing surface (surface.py) on the Draw and Class pages
LIVE = ".st-key-canvas .live-answer"  # the reading the browser makes while the pen moves
PREDICTION = ".st-key-prediction"  # the Draw page's answer


def canvas_input(page, selector: str = CANVAS):
    """The server's 28 x 28 (lenet.preprocess.canvas_to_input) of the surface's pixels as they are now."""
    import base64
    import io

    import numpy as np
    from PIL import Image

    from lenet.preprocess import canvas_to_input

    png = page.locator(selector).evaluate("c => c.toDataURL('image/png')")
    rgba = np.asarray(Image.open(io.BytesIO(base64.b64decode(png.split(",", 1)[1]))).convert("RGBA"))
    return canvas_to_input(rgba).image


def wait_for_probs(page, want, what, selector: str = LIVE, timeout: float = 20.0) -> list:
    """Wait until `selector`'s data-probs equal `want` (ten probabilities) to 3 decimals; returns them."""
    import json

    import numpy as np

    deadline = time.time() + timeout
    while True:
        got = json.loads(page.locator(selector).first.get_attribute("data-probs") or "null")
        if got is not None and np.abs(np.array(got) - np.asarray(want)).max() < 5e-4:
            return got
        assert time.time() < deadline, (what, got, np.asarray(want).tolist())
        time.sleep(0.1)


def one_canvas(page, selector: str = CANVAS):
    """The canvas's locator once there is just one on the page.

    While a rerun replaces the canvas, the old one can linger beside the new one for a moment (seen on a
    loaded machine): wait until there is just one, so the strokes go to the canvas the server listens to.
    (Counted by Playwright's locator, which sees into the component's shadow DOM; document.querySelectorAll
    does not.)
    """
    canvas = page.locator(selector)
    deadline = time.monotonic() + 30
    while canvas.count() != 1 and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    return canvas


def wait_idle(page, timeout_ms: int = 30000) -> None:
    """Wait until no script run is in flight: no status widget, no element marked stale (Streamlit fades those),
    twice 300 ms apart (a run can start another, as a component reporting its value does)."""
    idle = (
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && !document.querySelector('[data-stale=\"true\"]')"
    )
    for _ in range(2):
        page.wait_for_function(idle, timeout=timeout_ms)
        page.wait_for_timeout(300)
    page.wait_for_function(idle, timeout=timeout_ms)


def settled_text(page, selector: str = PREDICTION, timeout: float = 20.0) -> str:
    """The text of `selector` once the app has finished rerunning and the text has stopped changing."""
    deadline = time.time() + timeout
    last, same = None, 0
    busy_js = (
        "(sel) => !!document.querySelector('[data-testid=\"stStatusWidget\"]') || "
        "!!document.querySelector(sel + '[data-stale=\"true\"], ' + sel + ' [data-stale=\"true\"]')"
    )
    while time.time() < deadline:
        busy = page.evaluate(busy_js, selector)
        text = page.locator(selector).inner_text()
        same = same + 1 if text == last and not busy else 0
        if same >= 4:
            return text
        last = text
        time.sleep(0.1)
    raise AssertionError(f"{selector} did not settle; last text: {last!r}")


def draw_strokes(page, drawing: list[list[tuple[float, float]]], every: int = 1, selector: str = CANVAS) -> None:
    """Draw strokes given in canvas pixels with the mouse, as a person would, on the surface at `selector`.

    `every` > 1 visits only every n-th point of a stroke (still a smooth curve): each mouse move is a
    round trip to the browser, so fewer of them make long browser tests much shorter.
    """
    canvas = one_canvas(page, selector)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    for stroke in drawing:
        x0, y0 = stroke[0]
        page.mouse.move(box["x"] + x0, box["y"] + y0)
        page.mouse.down()
        for x, y in [*stroke[1:-1:every], stroke[-1]]:
            page.mouse.move(box["x"] + x, box["y"] + y)
        page.mouse.up()


# --- devices: touch strokes through the browser's input layer, and axe-core's audit --------------------------

AXE = ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"  # axe-core 4.14.1 (MPL-2.0), vendored: no network
PHONE = {"width": 390, "height": 844}
TABLET_PORTRAIT = {"width": 810, "height": 1080}
TABLET_LANDSCAPE = {"width": 1080, "height": 810}


def new_touch_page(browser, viewport: dict):
    """A page in a phone's or tablet's context: touch, mobile viewport; returns (context, page, cdp session)."""
    context = browser.new_context(viewport=viewport, has_touch=True, is_mobile=True, device_scale_factor=1)
    page = context.new_page()
    return context, page, context.new_cdp_session(page)


def touch_strokes(
    page, cdp, drawing: list[list[tuple[float, float]]], every: int = 1, selector: str = CANVAS, **touch
) -> None:
    """Draw strokes given in canvas pixels with a finger: touchStart/Move/End through Chromium's input layer.

    Extra keywords go into each touch point (e.g. `force=0.6`, `radiusX=2` for a stylus's pressure and tip).
    The canvas is not scrolled into view: a finger draws where the canvas is (the caller checks it is visible).
    """
    box = one_canvas(page, selector).bounding_box()

    def point(x, y):
        return [{"x": box["x"] + x, "y": box["y"] + y, "id": 1, **touch}]

    for stroke in drawing:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": point(*stroke[0])})
        for x, y in [*stroke[1:-1:every], stroke[-1]]:
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": point(x, y)})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def pen_strokes(
    page, cdp, drawing: list[list[tuple[float, float]]], every: int = 1, force: float = 0.5, selector: str = CANVAS
) -> None:
    """Draw strokes with a stylus: pen pointer events with pressure (`force`), through Chromium's input layer."""
    box = one_canvas(page, selector).bounding_box()

    def send(kind: str, x: float, y: float, **extra) -> None:
        event = {"type": kind, "x": box["x"] + x, "y": box["y"] + y, "pointerType": "pen", "force": force}
        cdp.send("Input.dispatchMouseEvent", {**event, "button": "left", **extra})

    for stroke in drawing:
        send("mousePressed", *stroke[0], clickCount=1, buttons=1)
        for x, y in [*stroke[1:-1:every], stroke[-1]]:
            send("mouseMoved", x, y, buttons=1)
        send("mouseReleased", *stroke[-1], clickCount=1, buttons=0)


def axe_violations(page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict]:
    """axe-core's violations on the page as it stands, of the given impacts: [{id, impact, help, targets}]."""
    if not page.evaluate("() => !!window.axe"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "targets": [" ".join(map(str, n["target"])) for n in v["nodes"]],
            "html": [n["html"][:160] for n in v["nodes"]][:3],
        }
        for v in found
        if v["impact"] in impacts
    ]


SCROLL_JS = """(sel) => {
  const out = [window.scrollX, window.scrollY];
  for (let e = document.querySelector(sel); e; e = e.parentElement) out.push(e.scrollLeft, e.scrollTop);
  return out;
}"""


def scroll_positions(page, selector: str = ".st-key-canvas") -> list[float]:
    """Every scroll offset that could move `selector` on screen: the window's and each ancestor's."""
    return page.evaluate(SCROLL_JS, selector)


CUT_LABELS_JS = """() => {
  const cut = [];
  for (const b of document.querySelectorAll('[data-testid="stMain"] button')) {
    if (!b.offsetParent) continue;  // not shown
    for (const e of [b, ...b.querySelectorAll("*")]) {
      if (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== "visible") {
        cut.push(b.innerText.trim() || b.getAttribute("aria-label")); break;
      }
    }
    const r = b.getBoundingClientRect();
    if (r.right > document.documentElement.clientWidth + 1) cut.push((b.innerText.trim() || "?") + " (off screen)");
  }
  return cut;
}"""


def cut_labels(page) -> list[str]:
    """Labels of shown buttons in the page's main area whose text is cut (an ellipsis, clipped) or off screen."""
    return page.evaluate(CUT_LABELS_JS)


def in_viewport(page, selector: str) -> bool:
    """Whether the element (found by Playwright, so inside a component's shadow DOM too) is wholly on screen."""
    box = page.locator(selector).bounding_box()
    size = page.evaluate("() => [innerWidth, innerHeight]")
    return (
        bool(box)
        and box["height"] > 0
        and box["x"] >= 0
        and box["y"] >= 0
        and (box["x"] + box["width"] <= size[0] + 0.5 and box["y"] + box["height"] <= size[1] + 0.5)
    )
