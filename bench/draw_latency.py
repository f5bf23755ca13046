"""Draw latency: mouse-up to the finished update, on the Draw page and on a trivial canvas page.

Both are served in the same run (`streamlit run app.py` and `streamlit run bench/trivial_canvas.py`, each on
its own free port) and driven by one headless Chromium, a digit on one page, then a digit on the other, so
a busy machine slows both alike. Each stroke is part of a handwritten digit (tests/strokes.py); the canvas is
cleared between digits.

What is measured, identically on both pages: a MutationObserver, installed before the page loads, notes
the `performance.now()` of every DOM mutation in the main area outside the canvas, and a capturing
listener notes the mouse-up. After a mouse-up the page counts as updated once (1) what it shows has
changed: the `prediction` container's text or the pictures in the main area, (2) Streamlit's status
widget is gone, and (3) nothing has changed for QUIET_MS. Then

    update  = last mutation - mouse-up      (everything the stroke changed is on screen)
    predict = last mutation inside `prediction` - mouse-up   (only strokes that changed its text)

The phases of `update`, from the same clock (Streamlit's websocket is wrapped to note its traffic):
send = the canvas's first message after the mouse-up (the drawing surface reads the drawing once more,
encodes a PNG and sends its value at once), server = from there to the server's last message, render = from
there to the last mutation.

A stroke with no change within the timeout counts as unanswered; an exception box or a JavaScript
error on the page counts as an error. `--quick` (CI) draws one digit on each page and checks all that,
never the timings.

With `--trace N`, the same run then picks N cells on the Draw page's clickable C1 picture with the mouse and N
with touch (a tablet context, taps through the DevTools protocol), each from just before the click to the
settled answer, and draws the digits again with a cell picked; all against the trivial page's strokes.

    python bench/draw_latency.py [--strokes 24] [--quick] [--json] [--trace N]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
import tempfile
import time

import numpy as np
from common import ROOT, machine, percentiles, report  # first: it puts the repository and tests/ on sys.path

# isort: split
from appserver import CHROMIUM, CHROMIUM_ARGS, page_exceptions, serve
from strokes import random_strokes

TRIVIAL = ROOT / "bench" / "trivial_canvas.py"
QUIET_MS = 400  # no mutation for this long after the last one: the update has finished
TIMEOUT_S = 20.0  # a stroke not answered within this is counted as unanswered
LOAD_TIMEOUT_S = 90.0

# Installed before any page script runs (context.add_init_script): works on both pages alike.
INIT_JS = """
(() => {
  if (window.__bench) return;
  const b = window.__bench = {up: 0, lastMain: 0, lastPred: 0, nMain: 0, firstSend: 0, lastMsg: 0, errors: []};
  window.addEventListener("mouseup", () => { b.up = performance.now(); b.firstSend = 0; }, true);
  // Streamlit's websocket: when the stroke left the page, and when the server's last message came in.
  const WS = window.WebSocket;
  window.WebSocket = class extends WS {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", () => { b.lastMsg = performance.now(); });
    }
    send(data) {
      if (!b.firstSend && b.up) b.firstSend = performance.now();
      return super.send(data);
    }
  };
  window.addEventListener("error", (e) => { b.errors.push(String(e.message || e)); });
  const inside = (node, sel) => {
    const el = node.nodeType === 1 ? node : node.parentElement;
    return !!(el && el.closest(sel));
  };
  const obs = new MutationObserver((records) => {
    const now = performance.now();
    for (const r of records) {
      if (!inside(r.target, '[data-testid="stMain"]') || inside(r.target, ".st-key-canvas")) continue;
      b.lastMain = now; b.nMain += 1;
      if (inside(r.target, ".st-key-prediction")) b.lastPred = now;
    }
  });
  const start = () => obs.observe(document.documentElement,
      {subtree: true, childList: true, attributes: true, characterData: true});
  if (document.documentElement) start(); else document.addEventListener("DOMContentLoaded", start);
})();
"""

# What the page shows in answer to a stroke: the prediction's text and the main area's pictures.
SIGNATURE_JS = """
() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const pred = document.querySelector(".st-key-prediction");
  const trace = document.querySelector(".st-key-trace");
  const imgs = main ? [...main.querySelectorAll("img")].filter((i) => !i.closest(".st-key-canvas"))
                                                      .map((i) => i.getAttribute("src")) : [];
  return (pred ? pred.innerText : "") + "|" + (trace ? trace.innerText : "") + "|" + imgs.join(",");
}
"""

# True once the page has answered: changed, Streamlit idle, and quiet for `quiet` ms.
SETTLED_JS = """
([sig, quiet]) => {
  const b = window.__bench;
  if (document.querySelector('[data-testid="stStatusWidget"]')) return false;
  if (!(b.lastMain > b.up) || performance.now() - b.lastMain < quiet) return false;
  return (SIGNATURE)() !== sig;
}
""".replace("SIGNATURE", SIGNATURE_JS.strip())

# Ready for the next stroke: the page is idle and has been quiet.
IDLE_JS = """
(quiet) => {
  const b = window.__bench;
  return !document.querySelector('[data-testid="stStatusWidget"]')
      && !!document.querySelector(".st-key-prediction")
      && performance.now() - Math.max(b.lastMain, b.up) >= quiet;
}
"""

LOADED_JS = """
() => !!document.querySelector(".st-key-prediction")
      && !document.querySelector('[data-testid="stStatusWidget"]')
"""


def phases(b: dict) -> dict:
    """Where a stroke's time went, from the page's clock: the canvas sending it (the component waits
    200 ms after the last change, then encodes a PNG), the server answering (its last message), and the
    browser laying the answer out (the last mutation after that message)."""
    if not (b["up"] < b["firstSend"] <= b["lastMsg"] <= b["lastMain"]):
        return {"send_s": None, "server_s": None, "render_s": None}
    return {
        "send_s": (b["firstSend"] - b["up"]) / 1000,
        "server_s": (b["lastMsg"] - b["firstSend"]) / 1000,
        "render_s": (b["lastMain"] - b["lastMsg"]) / 1000,
    }


def server_env(stack: contextlib.ExitStack) -> dict:
    """The app's settings for a benchmark server: MNIST where the tests find it, runs in a throw-away folder."""
    env = {"LENET_RUNS_DIR": stack.enter_context(tempfile.TemporaryDirectory(prefix="lenet-bench-runs-"))}
    shared = ROOT.parent / "shared" / "data" / "mnist"
    if "LENET_DATA_DIR" not in os.environ and shared.is_dir():
        env["LENET_DATA_DIR"] = str(shared)
    return env


def predicted_digit(text: str) -> int | None:
    """The first digit character in the prediction's text, as DESIGN §4.2 defines it."""
    match = re.search(r"\d", text)
    return int(match.group()) if match else None


def strokes_plan(n_strokes: int, seed: int) -> list[tuple[int, list]]:
    """Digits (0, 1, 2, ...) with their strokes, enough of them for `n_strokes` strokes in all."""
    rng = np.random.default_rng(seed)
    plan, total, digit = [], 0, 0
    while total < n_strokes:
        strokes = random_strokes(digit % 10, rng)
        plan.append((digit % 10, strokes))
        total += len(strokes)
        digit += 1
    return plan


class Session:
    """One browser page on one server, with the measuring hooks."""

    def __init__(self, browser, url: str, name: str, touch: bool = False):
        self.name = name
        # touch: a tablet's touch screen (taps through the DevTools protocol, as a finger sends them)
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000}, has_touch=touch, is_mobile=touch)
        self.context.add_init_script(INIT_JS)
        self.page = self.context.new_page()
        self.js_errors: list[str] = []
        self.cdp = None
        self.page.on("pageerror", lambda exc: self.js_errors.append(str(exc)))
        self.page.goto(url, timeout=LOAD_TIMEOUT_S * 1000)
        self.page.wait_for_selector(".st-key-canvas canvas.draw-surface", timeout=LOAD_TIMEOUT_S * 1000)
        self.page.wait_for_function(LOADED_JS, timeout=LOAD_TIMEOUT_S * 1000, polling=100)
        self.wait_idle()
        self.blank = self.prediction_text()
        self.box = self.canvas_box()

    def canvas_box(self) -> dict:
        self.page.locator(".st-key-canvas").scroll_into_view_if_needed()
        return self.page.locator(".st-key-canvas canvas.draw-surface").bounding_box()  # the drawing surface

    def prediction_text(self) -> str:
        return self.page.locator(".st-key-prediction").inner_text()

    def wait_idle(self, timeout_s: float = TIMEOUT_S) -> None:
        self.page.wait_for_function(IDLE_JS, arg=QUIET_MS, timeout=timeout_s * 1000, polling=50)

    def stroke(self, points) -> dict:
        """Draw one stroke and wait for the answer; returns the latencies in seconds (None if unanswered)."""
        before = self.page.evaluate(SIGNATURE_JS)
        x0, y0 = self.box["x"], self.box["y"]
        mouse = self.page.mouse
        mouse.move(x0 + points[0][0], y0 + points[0][1])
        mouse.down()
        for x, y in points[1:]:
            mouse.move(x0 + x, y0 + y)
        mouse.up()
        try:
            self.page.wait_for_function(SETTLED_JS, arg=[before, QUIET_MS], timeout=TIMEOUT_S * 1000, polling=50)
        except Exception:
            return {"update_s": None, "predict_s": None}
        b = self.page.evaluate("() => window.__bench")
        return {
            "update_s": (b["lastMain"] - b["up"]) / 1000,
            "predict_s": (b["lastPred"] - b["up"]) / 1000 if b["lastPred"] > b["up"] else None,
            **phases(b),
        }

    def pick(self, point: tuple[float, float], touch: bool = False) -> float | None:
        """Click (or tap) one point of the page and wait for the answer; returns the seconds, None if unanswered.

        The picture is a component's iframe, whose events never reach this page's listeners: the clock starts
        just before the click is sent.
        """
        before = self.page.evaluate(SIGNATURE_JS)
        self.page.evaluate("() => { window.__bench.up = performance.now(); }")
        if touch:
            cdp = self.cdp or self.context.new_cdp_session(self.page)
            self.cdp = cdp
            cdp.send(
                "Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": point[0], "y": point[1]}]}
            )
            cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        else:
            self.page.mouse.click(*point)
        try:
            self.page.wait_for_function(SETTLED_JS, arg=[before, QUIET_MS], timeout=TIMEOUT_S * 1000, polling=50)
        except Exception:
            return None
        b = self.page.evaluate("() => window.__bench")
        return (b["lastMain"] - b["up"]) / 1000

    def clear(self) -> bool:
        """Press the page's clear button; True once the page shows its blank state again."""
        self.page.locator(".st-key-draw_clear button").click()
        try:
            self.page.wait_for_function(
                "(blank) => document.querySelector('.st-key-prediction')?.innerText === blank",
                arg=self.blank,
                timeout=TIMEOUT_S * 1000,
                polling=50,
            )
            self.wait_idle()
            return True
        except Exception:
            return False

    def errors(self) -> list[str]:
        return page_exceptions(self.page) + self.js_errors + self.page.evaluate("() => window.__bench.errors")

    def close(self) -> None:
        self.context.close()


def new_log() -> dict:
    return {
        "strokes": 0,
        "unanswered": 0,
        "clear_failed": 0,
        "digits": [],
        "update": [],
        "predict": [],
        "send": [],
        "server": [],
        "render": [],
    }


def run_page(session: Session, digit: int, strokes, log: dict) -> None:
    """Draw one digit on one page, measuring every stroke; then clear."""
    session.box = session.canvas_box()  # a pick scrolled the page: find the canvas again (not timed)
    for points in strokes:
        result = session.stroke(points)
        log["strokes"] += 1
        if result["update_s"] is None:
            log["unanswered"] += 1
        else:
            log["update"].append(result["update_s"])
            if result["predict_s"] is not None:
                log["predict"].append(result["predict_s"])
            for key in ("send", "server", "render"):
                if result[f"{key}_s"] is not None:
                    log[key].append(result[f"{key}_s"])
    log["digits"].append((digit, predicted_digit(session.prediction_text())))
    if not session.clear():
        log["clear_failed"] += 1


def summary(log: dict, errors: list[str], page: str) -> dict:
    out = {
        "strokes": log["strokes"],
        "answered": log["strokes"] - log["unanswered"],
        "unanswered": log["unanswered"],
        "clear_failed": log["clear_failed"],
        "errors": len(errors),
        "update": percentiles(log["update"]),
        "predict_text_changed": percentiles(log["predict"]),
        "phases_median_ms": {key: percentiles(log[key]).get("median_ms") for key in ("send", "server", "render")},
    }
    if page == "app":
        read = [(d, p) for d, p in log["digits"]]
        out["digits_read_right"] = f"{sum(d == p for d, p in read)}/{len(read)}"
    if errors:
        out["error_texts"] = [e[:300] for e in errors[:5]]
    return out


PICK_CELLS = [(c, r, q) for r, q in ((14, 12), (8, 18), (20, 9)) for c in range(6)]  # C1 cells, each a new pick


def cell_points(session: Session) -> list[tuple[float, float]]:
    """Page coordinates of PICK_CELLS' centres on the Draw page's clickable C1 picture."""
    from lenet.figures.trace import pick_layout

    frame = session.page.locator('iframe[title*="streamlit_image_coordinates"]')
    frame.scroll_into_view_if_needed()
    box = frame.bounding_box()
    layout = pick_layout((6, 28, 28))
    shown = box["width"] / layout.size[1]  # drawn at most its own width, smaller on a narrow screen
    points = []
    for channel, row, col in PICK_CELLS:
        x = ((channel % layout.cols) * (layout.tile_w + layout.gutter) + col + 0.5) * layout.scale * shown
        y = ((channel // layout.cols) * (layout.tile_h + layout.gutter) + row + 0.5) * layout.scale * shown
        points.append((box["x"] + x, box["y"] + y))
    return points


def measure_picks(session: Session, digit_strokes, n: int, touch: bool) -> tuple[list[float], int]:
    """Draw a digit, then pick `n` cells one after another; returns the seconds of each and the unanswered."""
    for points in digit_strokes:
        session.stroke(points)
    session.wait_idle()
    if not session.page.locator('iframe[title*="streamlit_image_coordinates"]').count():
        # tracing is off until a layer's pill is picked: strokes before this paid nothing for it
        pill = session.page.locator(".st-key-trace_layer button").filter(has_text=re.compile(r"^\s*C1\s*$"))
        pill.scroll_into_view_if_needed()
        pill.click()
        session.page.wait_for_selector('iframe[title*="streamlit_image_coordinates"]', timeout=TIMEOUT_S * 1000)
        session.wait_idle()
    spots = cell_points(session)
    times, unanswered = [], 0
    for i in range(n):
        seconds = session.pick(spots[i % len(spots)], touch=touch)
        if seconds is None:
            unanswered += 1
        else:
            times.append(seconds)
        session.wait_idle()
    return times, unanswered


def trace_figures(browser, app_url: str, sessions: dict, plan, n_picks: int) -> dict:
    """Picks with the mouse and with touch, then strokes with a cell picked, each beside the trivial page's
    strokes in the same run."""
    out, base = {}, new_log()
    for touch in (False, True):
        session = sessions["app"] if not touch else Session(sessions["app"].context.browser, app_url, "touch", True)
        digit, strokes = plan[0]
        times, unanswered = measure_picks(session, strokes, n_picks, touch)
        session.clear()
        run_page(sessions["trivial"], digit, strokes, base)
        out["tap" if touch else "click"] = {**percentiles(times), "unanswered": unanswered}
        if touch:
            out["touch_errors"] = len(session.errors())
            session.close()
    traced = new_log()  # the mouse session still has its last pick: every stroke now updates the trace too
    for digit, strokes in plan:
        run_page(sessions["app"], digit, strokes, traced)
        run_page(sessions["trivial"], digit, strokes, base)
    out["stroke_with_cell_picked"] = percentiles(traced["update"])
    out["trivial_stroke"] = percentiles(base["update"])
    for key in ("click", "tap", "stroke_with_cell_picked"):
        a, t = out[key].get("median_ms"), out["trivial_stroke"].get("median_ms")
        out[f"ratio_{key}_median"] = round(a / t, 2) if a and t else None
    out["unanswered_traced_strokes"] = traced["unanswered"]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strokes", type=int, default=24, help="strokes measured on each page (at least 20)")
    parser.add_argument("--quick", action="store_true", help="one digit on each page: checks answers, not speed")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--trace", type=int, default=0, metavar="N", help="also N cell picks by mouse and by touch")
    args = parser.parse_args()
    n_strokes = 1 if args.quick else args.strokes
    plan = strokes_plan(n_strokes, args.seed)
    warmup = strokes_plan(1, args.seed + 1000)[0]

    from playwright.sync_api import sync_playwright

    logs = {name: new_log() for name in ("app", "trivial")}
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        env = server_env(stack)
        app_url, _ = stack.enter_context(serve("app.py", env=env))
        trivial_url, _ = stack.enter_context(serve(TRIVIAL, env=env))
        pw = stack.enter_context(sync_playwright())
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        stack.callback(browser.close)
        sessions = {"app": Session(browser, app_url, "app"), "trivial": Session(browser, trivial_url, "trivial")}
        for session in sessions.values() if not args.quick else ():  # one digit each, not counted: first use
            run_page(session, *warmup, new_log())
        for digit, strokes in plan:
            for name, session in sessions.items():
                run_page(session, digit, strokes, logs[name])
        traced = trace_figures(browser, app_url, sessions, plan, args.trace) if args.trace else None
        errors = {name: session.errors() for name, session in sessions.items()}
        blanks = {name: session.blank for name, session in sessions.items()}
    app, trivial = summary(logs["app"], errors["app"], "app"), summary(logs["trivial"], errors["trivial"], "trivial")

    def ratio(key: str, stat: str) -> float | None:
        a, t = app[key].get(stat), trivial[key].get(stat)
        return round(a / t, 2) if a and t else None

    result = {
        "machine": machine(),
        "load_avg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "mode": "quick (CI: answers only)" if args.quick else "full",
        "quiet_ms": QUIET_MS,
        "app": app,
        "trivial": trivial,
        "ratio_median": ratio("update", "median_ms"),
        "ratio_p95": ratio("update", "p95_ms"),
        "app_blank_has_no_digit": predicted_digit(blanks["app"]) is None,
        "wall_s": round(time.perf_counter() - started, 1),
    }
    if traced is not None:
        result["trace"] = traced
    report(result, args.json)
    ok = all(s["unanswered"] == 0 and s["errors"] == 0 and s["clear_failed"] == 0 for s in (app, trivial))
    return 0 if ok and result["app_blank_has_no_digit"] else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
