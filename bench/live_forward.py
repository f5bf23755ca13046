"""One live update in the browser: MNIST preprocessing and LeNet-5's forward pass per frame while a digit is drawn.

Headless Chromium draws synthetic digits (tests/strokes.py) on a 280 x 280 canvas point by point, as a pen
would; every third point (about one animation frame of pen movement) it reads the canvas (getImageData), runs
lenet/web/preprocess.js's canvasToInput and lenet/web/forward.js's forward with the shipped checkpoint's
weights (lenet.webweights), and times each part. The same frames run without throttling and with the CPU
slowed 4x through the DevTools protocol (`Emulation.setCPUThrottlingRate`, a school tablet), in one browser.
The baseline, in the same run: the server's path for the same frames (lenet.preprocess.canvas_to_input and
the model's forward pass in PyTorch, one image at a time), which is what a stroke costs the server today.
It also prints the payload: the modules' and the weights' bytes, raw and gzipped.

    python bench/live_forward.py [--digits 20] [--quick] [--json]
"""

from __future__ import annotations

import argparse
import gzip
import tempfile
import time
from pathlib import Path

import numpy as np
from common import ROOT, machine, percentiles, report

from lenet.checkpoints import DEFAULT_CHECKPOINT, load_checkpoint
from lenet.preprocess import canvas_to_input
from lenet.webweights import checkpoint_weights, write

FRAME_EVERY = 3  # points of pen movement per update: tests/strokes spaces points 3 px apart, ~a frame at a brisk pace

PAGE = """async ([drawings, every]) => {
  const { loadModel, forward, normalise } = await import("/lenet/web/forward.js");
  const { canvasToInput } = await import("/lenet/web/preprocess.js");
  const t0 = performance.now();
  const manifest = await (await fetch("/weights/weights.json")).json();
  const model = loadModel(manifest, await (await fetch("/weights/weights.bin")).arrayBuffer());
  const loadMs = performance.now() - t0;
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 280;
  document.body.append(canvas);
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  const read = [], pre = [], fwd = [], frames = [], answers = [];
  for (const { strokes, brush } of drawings) {
    ctx.clearRect(0, 0, 280, 280);
    Object.assign(ctx, { strokeStyle: "white", lineWidth: brush, lineCap: "round", lineJoin: "round" });
    for (const stroke of strokes) {
      for (let i = 1; i < stroke.length; i++) {
        ctx.beginPath();
        ctx.moveTo(...stroke[i - 1]);
        ctx.lineTo(...stroke[i]);
        ctx.stroke();
        if (i % every && i !== stroke.length - 1) continue;
        const a = performance.now();
        const pixels = ctx.getImageData(0, 0, 280, 280).data;
        const b = performance.now();
        const p = canvasToInput(pixels, 280, 280);
        const c = performance.now();
        const r = forward(model, normalise(model, p.image));
        const d = performance.now();
        read.push(b - a); pre.push(c - b); fwd.push(d - c);
        frames.push(p.empty ? null : r.digit);
      }
    }
    answers.push(frames.at(-1)); // the reading of the finished digit
  }
  return { loadMs, read, pre, fwd, answers };
}"""


def drawings(n: int, seed: int = 28) -> list[dict]:
    """n synthetic digits (every digit in turn) with a brush of 10-30 px, as points the page draws."""
    from strokes import random_strokes

    rng = np.random.default_rng(seed)
    return [
        {"strokes": random_strokes(i % 10, rng), "brush": float(rng.uniform(10, 30)), "digit": i % 10} for i in range(n)
    ]


def payload(weights_dir: Path) -> dict:
    """Bytes of what a student downloads for the live view: the two modules and one checkpoint's weights."""

    def sizes(paths: list[Path]) -> dict:
        raw = b"".join(p.read_bytes() for p in paths)
        return {"raw": len(raw), "gzip": sum(len(gzip.compress(p.read_bytes(), 9)) for p in paths)}

    web = ROOT / "lenet" / "web"
    return {
        "js": sizes([web / "forward.js", web / "preprocess.js"]),
        "weights": sizes([weights_dir / "weights.json", weights_dir / "weights.bin"]),
    }


def browser_run(base: str, digits: list[dict], rate: float) -> dict:
    """The page's timings at one CPU throttling rate (1: none), in a fresh page of one browser."""
    from appserver import launch_browser

    with launch_browser() as browser:
        page = browser.new_page()
        page.goto(base + "/weights/blank.html")
        if rate != 1:
            page.context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": rate})
        page.evaluate(PAGE, [digits[:2], FRAME_EVERY])  # warm-up: the JIT compiles the hot loops
        return page.evaluate(PAGE, [digits, FRAME_EVERY])


def summary(run: dict) -> dict:
    totals = [r + p + f for r, p, f in zip(run["read"], run["pre"], run["fwd"], strict=True)]
    ms = lambda xs: percentiles([x / 1000 for x in xs])  # noqa: E731 (percentiles takes seconds)
    return {
        "frames": len(totals),
        "read_canvas": ms(run["read"]),
        "preprocess": ms(run["pre"]),
        "forward": ms(run["fwd"]),
        "total": ms(totals),
        "weights_load_ms": round(run["loadMs"], 1),
    }


def server_baseline(digits: list[dict], limit: int) -> dict:
    """canvas_to_input + PyTorch's forward pass for the same kind of frames (the first `limit` of them)."""
    import torch
    from strokes import render

    model, _ = load_checkpoint(DEFAULT_CHECKPOINT)
    times = []
    for d in digits:
        for k, stroke in enumerate(d["strokes"]):
            for i in range(FRAME_EVERY, len(stroke), FRAME_EVERY):
                if len(times) >= limit:
                    break
                rgba = render([*d["strokes"][:k], stroke[: i + 1]], 280, d["brush"])
                t0 = time.perf_counter()
                pre = canvas_to_input(rgba)
                with torch.inference_mode():
                    model.forward_with_activations(torch.from_numpy(pre.input))
                times.append(time.perf_counter() - t0)
    return percentiles(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digits", type=int, default=20, help="digits drawn (each gives 20-60 updates)")
    parser.add_argument("--quick", action="store_true", help="two digits: checks the outputs, not the figures")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.digits = 2
    from static_server import static_server

    digits = drawings(args.digits)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write(*checkpoint_weights(DEFAULT_CHECKPOINT), folder, "weights")
        (folder / "blank.html").write_text("<!doctype html><title>live forward</title><body></body>")
        routes = {"/lenet/web/": ROOT / "lenet" / "web", "/weights/": folder}
        with static_server(routes) as base:
            runs = {rate: browser_run(base, digits, rate) for rate in (1, 4)}
        sizes = payload(folder)
    plain, slow = summary(runs[1]), summary(runs[4])
    server = server_baseline(digits, 40 if args.quick else 300)
    result = {
        "machine": machine(),
        "mode": "quick" if args.quick else "full",
        "digits": args.digits,
        "unthrottled": plain,
        "throttled_4x": slow,
        "server_baseline": server,
        "throttled_total_vs_server": round(slow["total"]["median_ms"] / max(server["median_ms"], 1e-9), 2),
        "answers_right": sum(a == d["digit"] for a, d in zip(runs[1]["answers"], digits, strict=True)),
        "payload_bytes": sizes,
        "payload_gzip_total": sizes["js"]["gzip"] + sizes["weights"]["gzip"],
    }
    report(result, args.json)


if __name__ == "__main__":
    main()
