"""The Draw page while the pen moves (issue 28): the drawing surface's live update, timed in the real app.

One `streamlit run app.py` (tests/appserver.serve) and headless Chromium draw handwritten digits (tests/strokes.py)
with the mouse on the Draw page's drawing surface, point by point, unthrottled and with the CPU slowed 4x through
the DevTools protocol (`Emulation.setCPUThrottlingRate`, a school tablet). Measured:

- `update`: every live update's own time, as the surface writes it on `.live-answer` (`data-ms`: reading the
  canvas, lenet/web/preprocess.js, lenet/web/forward.js with the selected checkpoint's weights, painting the
  answer, the bars and every block's maps); a MutationObserver inside the component's shadow root collects each
  value. Goal: median <= 8 ms, p95 <= 16 ms at 4x.
- `split`: the same updates in parts (the surface's `data-split`): `read` the canvas's ink window
  (getImageData), `preprocess`, `forward` (normalise and the forward pass), `paint` (the answer, its
  probabilities and the bars), `overview` (the `lenet-live` event: the overview's picture of every block's maps).
- `sent_while_down`: messages the page sent the server between a stroke's mouse-down and its mouse-up (Streamlit's
  websocket wrapped; a rerun request is one): must be 0, as nothing goes to the server while the pen moves.
- `answers_right`: the server's `prediction` after the digit's last stroke equals the digit meant.
- `payload`: what one student's browser fetched for the weights (the network log's encoded bytes for
  app/static/weights/), and the component's own code (HTML, CSS and the JS with its inlined modules, as
  surface.py sends it inside Streamlit's messages), raw and gzipped.

`--baseline REF` (e.g. `main`): the app as it is at that git commit (`git archive` into a temporary folder, its
own server) is drawn on too, in the same browser, rate by rate alternating with this tree's, so the two share the
machine's state; `ratio` is this tree's median and p95 over the baseline's. `--profile`: one more pass at 4x
under Chromium's sampling profiler (CDP `Profiler`), the functions with the most self time.

bench/live_forward.py times the same pure modules on a bare page; bench/draw_latency.py times pointer-up to the
server's deeper parts.

    python bench/draw_live.py [--digits 10] [--quick] [--json] [--baseline REF] [--profile]
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import subprocess
import tempfile
import time
from pathlib import Path

from common import ROOT, machine, percentiles, report  # first: it puts tests/ and the repository on sys.path

# isort: split
import numpy as np
from appserver import CANVAS, PREDICTION, launch_browser, serve, settled_text, wait_for_app
from strokes import random_strokes

INIT_JS = """
(() => {
  if (window.__live) return;
  const b = window.__live = {down: false, sentWhileDown: 0, ms: [], split: []};
  window.addEventListener("pointerdown", () => { b.down = true; }, true);
  window.addEventListener("pointerup", () => { b.down = false; }, true);
  const WS = window.WebSocket;
  window.WebSocket = class extends WS {
    send(data) {
      if (b.down) b.sentWhileDown += 1;
      return super.send(data);
    }
  };
})();
"""

OBSERVE_JS = """() => {
  const host = document.querySelector('.st-key-canvas [data-testid="stBidiComponentIsolated"]');
  const answer = host.shadowRoot.querySelector('.live-answer');
  if (answer.__observed) return;
  answer.__observed = true;
  new MutationObserver(() => {
    window.__live.ms.push(Number(answer.dataset.ms));
    if (answer.dataset.split) window.__live.split.push(answer.dataset.split.split(" ").map(Number));
  }).observe(answer, {attributes: true, attributeFilter: ["data-ms"]});
}"""

LIVE_READY_JS = """() => {
  const host = document.querySelector('.st-key-canvas [data-testid="stBidiComponentIsolated"]');
  const live = host && host.shadowRoot.querySelector('.live');
  return !!live && !live.hidden;
}"""


def draw(page, drawing) -> None:
    """The strokes with the mouse, every point (each move is one pen event)."""
    box = page.locator(CANVAS).bounding_box()
    for stroke in drawing:
        page.mouse.move(box["x"] + stroke[0][0], box["y"] + stroke[0][1])
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x, box["y"] + y)
        page.mouse.up()


SPLIT = ("read", "preprocess", "forward", "paint", "overview")  # the parts of data-split, in its order
PROFILE_TOP = 30  # functions listed by --profile


def profile_top(profile: dict, n: int = PROFILE_TOP) -> list:
    """The `n` functions with the most self time in a CDP Profiler profile: [{function, line, self_ms, share}]."""
    nodes = {node["id"]: node for node in profile["nodes"]}
    times = profile.get("timeDeltas", [])
    per = {}
    for sample, delta in zip(profile.get("samples", []), [*times[1:], 0], strict=False):
        frame = nodes[sample]["callFrame"]
        key = (frame["functionName"] or "(anonymous)", frame["lineNumber"] + 1)
        per[key] = per.get(key, 0) + delta
    total = sum(per.values()) or 1
    top = sorted(per.items(), key=lambda kv: -kv[1])[:n]
    return [
        {"function": f, "line": line, "self_ms": round(us / 1000, 1), "share": round(us / total, 3)}
        for (f, line), us in top
    ]


def run(browser, url: str, digits: list, rate: float, profile: bool = False) -> dict:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script(INIT_JS)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    weights_bytes = {}
    cdp.send("Network.enable")
    urls = {}
    cdp.on("Network.responseReceived", lambda e: urls.__setitem__(e["requestId"], e["response"]["url"]))
    cdp.on(
        "Network.loadingFinished",
        lambda e: (
            weights_bytes.__setitem__(urls.get(e["requestId"], ""), e["encodedDataLength"])
            if "static/weights/" in urls.get(e["requestId"], "")
            else None
        ),
    )
    page.goto(url)
    wait_for_app(page)
    page.wait_for_selector(CANVAS, timeout=60000)
    page.wait_for_function(LIVE_READY_JS, timeout=60000)
    page.evaluate(OBSERVE_JS)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
    if profile:
        cdp.send("Profiler.enable")
        cdp.send("Profiler.setSamplingInterval", {"interval": 200})  # microseconds
        cdp.send("Profiler.start")
    right, errors = 0, []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    for digit, drawing in digits:
        page.locator(".st-key-draw_clear button").click()
        deadline = time.time() + 30
        while any(c.isdigit() for c in settled_text(page)) and time.time() < deadline:
            time.sleep(0.1)
        page.evaluate(OBSERVE_JS)  # the component may have been given fresh HTML
        draw(page, drawing)
        text = settled_text(page, PREDICTION, 60)
        right += next((c for c in text if c.isdigit()), None) == str(digit)
    live = page.evaluate("() => window.__live")
    top = profile_top(cdp.send("Profiler.stop")["profile"]) if profile else None
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
    context.close()
    split = np.asarray(live["split"], dtype=float).reshape(-1, len(SPLIT)) / 1000
    return {
        "update": percentiles(np.asarray(live["ms"]) / 1000),
        "split": {part: percentiles(split[:, k]) for k, part in enumerate(SPLIT)} if len(split) else None,
        **({"profile_top": top} if profile else {}),
        "sent_while_down": live["sentWhileDown"],
        "answers_right": f"{right}/{len(digits)}",
        "weights_bytes_fetched": sum(weights_bytes.values()),
        "errors": errors[:3],
    }


def component_code() -> dict:
    import surface

    code = "".join(
        [
            (surface.WEB / "surface.html").read_text(encoding="utf-8"),
            (surface.WEB / "surface.css").read_text(encoding="utf-8"),
            surface._module_source("surface.js"),
        ]
    ).encode()
    return {"raw": len(code), "gzip": len(gzip.compress(code, 9))}


@contextlib.contextmanager
def app_at(ref: str):
    """The app as it is at git commit `ref`, served from a temporary folder of its own: yields its url."""
    with tempfile.TemporaryDirectory(prefix="draw-live-baseline-") as tmp:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        # Streamlit puts the script's folder first on sys.path: the baseline imports its own lenet/ and surface.py.
        with serve(Path(tmp) / "app.py") as (url, _):
            yield url


def ratio(now: dict, before: dict) -> dict:
    """This tree's median and p95 over the baseline's."""
    return {k: round(now[k] / before[k], 2) if before.get(k) else None for k in ("median_ms", "p95_ms")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digits", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="two digits: checks the outputs, not the figures")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--baseline", metavar="REF", help="also draw on the app at this git commit, alternating")
    parser.add_argument("--profile", action="store_true", help="one more pass at 4x under the CPU profiler")
    args = parser.parse_args()
    if args.quick:
        args.digits = 2
    rng = np.random.default_rng(28)
    digits = [(k % 10, random_strokes(k % 10, rng)) for k in range(args.digits)]
    with contextlib.ExitStack() as stack:
        url, _ = stack.enter_context(serve())
        base_url = stack.enter_context(app_at(args.baseline)) if args.baseline else None
        browser = stack.enter_context(launch_browser())
        runs, base = {}, {}
        for rate in (1, 4):
            runs[rate] = run(browser, url, digits, rate)
            if base_url:
                base[rate] = run(browser, base_url, digits, rate)
        profiled = run(browser, url, digits, 4, profile=True) if args.profile else None
    code = component_code()
    weights = runs[1]["weights_bytes_fetched"]
    result = {
        "machine": machine(),
        "mode": "quick" if args.quick else "full",
        "digits": args.digits,
        "unthrottled": runs[1],
        "throttled_4x": runs[4],
        "component_code_bytes": code,
        "payload_per_student_bytes": code["gzip"] + weights,
    }
    if base:
        result["baseline"] = {"ref": args.baseline, "unthrottled": base[1], "throttled_4x": base[4]}
        rates = (("unthrottled", 1), ("throttled_4x", 4))
        result["ratio"] = {name: ratio(runs[rate]["update"], base[rate]["update"]) for name, rate in rates}
    if profiled:
        result["profile_4x"] = {"update": profiled["update"], "top": profiled["profile_top"]}
    report(result, args.json)


if __name__ == "__main__":
    main()
