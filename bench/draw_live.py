"""The Draw page while the pen moves (issue 28): the drawing surface's live update, timed in the real app.

One `streamlit run app.py` (tests/appserver.serve) and headless Chromium draw handwritten digits (tests/strokes.py)
with the mouse on the Draw page's drawing surface, point by point, unthrottled and with the CPU slowed 4x through
the DevTools protocol (`Emulation.setCPUThrottlingRate`, a school tablet). Measured:

- `update`: every live update's own time, as the surface writes it on `.live-answer` (`data-ms`: reading the
  canvas, lenet/web/preprocess.js, lenet/web/forward.js with the selected checkpoint's weights, painting the
  answer, the bars and every block's maps); a MutationObserver inside the component's shadow root collects each
  value. Goal: median <= 8 ms, p95 <= 16 ms at 4x.
- `sent_while_down`: messages the page sent the server between a stroke's mouse-down and its mouse-up (Streamlit's
  websocket wrapped; a rerun request is one): must be 0, as nothing goes to the server while the pen moves.
- `answers_right`: the server's `prediction` after the digit's last stroke equals the digit meant.
- `payload`: what one student's browser fetched for the weights (the network log's encoded bytes for
  app/static/weights/), and the component's own code (HTML, CSS and the JS with its inlined modules, as
  surface.py sends it inside Streamlit's messages), raw and gzipped.

bench/live_forward.py times the same pure modules on a bare page; bench/draw_latency.py times pointer-up to the
server's deeper parts.

    python bench/draw_live.py [--digits 10] [--quick] [--json]
"""

from __future__ import annotations

import argparse
import gzip
import time

from common import machine, percentiles, report  # first: it puts tests/ and the repository on sys.path

# isort: split
import numpy as np
from appserver import CANVAS, PREDICTION, launch_browser, serve, settled_text, wait_for_app
from strokes import random_strokes

INIT_JS = """
(() => {
  if (window.__live) return;
  const b = window.__live = {down: false, sentWhileDown: 0, ms: []};
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
  new MutationObserver(() => window.__live.ms.push(Number(answer.dataset.ms))).observe(
    answer, {attributes: true, attributeFilter: ["data-ms"]});
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


def run(browser, url: str, digits: list, rate: float) -> dict:
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
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
    context.close()
    return {
        "update": percentiles(np.asarray(live["ms"]) / 1000),
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digits", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="two digits: checks the outputs, not the figures")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.digits = 2
    rng = np.random.default_rng(28)
    digits = [(k % 10, random_strokes(k % 10, rng)) for k in range(args.digits)]
    with serve() as (url, _), launch_browser() as browser:
        runs = {rate: run(browser, url, digits, rate) for rate in (1, 4)}
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
    report(result, args.json)


if __name__ == "__main__":
    main()
