// lenet/web/preprocess.js against lenet.preprocess.canvas_to_input: the drawings tests/test_web_engine.py writes
// into $LENET_WEB_DRAWINGS (drawings.json: each drawing's size and offset; drawings.bin: their RGBA bytes;
// expected.bin: the server's 28 x 28 each), and the answer read from each by the shipped checkpoint
// ($LENET_WEB_CASES/shipped, through forward.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { comparePreprocess } from "./parity.mjs";
import { canvasToInput, inkCanvas, keptToInput, roundHalfEven, updateInk } from "../../lenet/web/preprocess.js";

const dir = process.env.LENET_WEB_DRAWINGS;

const bytes = (path) => {
  const b = readFileSync(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
};

test("preprocess.js equals canvas_to_input", { skip: !dir && "LENET_WEB_DRAWINGS is not set: run through pytest" }, () => {
  const meta = JSON.parse(readFileSync(join(dir, "drawings.json"), "utf8"));
  const shipped = join(process.env.LENET_WEB_CASES, "shipped");
  const raw = readFileSync(join(shipped, "weights.bin"));
  const report = comparePreprocess({
    meta,
    drawings: bytes(join(dir, "drawings.bin")),
    expected: bytes(join(dir, "expected.bin")),
    manifest: JSON.parse(readFileSync(join(shipped, "manifest.json"), "utf8")),
    weights: raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength),
  });
  console.log(JSON.stringify(report.summary));
  assert.ok(report.summary.n >= 200);
  assert.deepEqual(report.fails, []);
});

test("roundHalfEven rounds as Python's round()", () => {
  assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, 2.4, 2.6, -2.6].map(roundHalfEven), [0, 2, 2, -0, -2, 2, 3, -3]);
});

// The drawing surface's kept grey (inkCanvas, updateInk, keptToInput) against canvasToInput on the whole canvas,
// frame by frame: synthetic pen strokes (discs along a random walk, soft edges), read back window by window as the
// surface does; white ink premultiplied (as tests/strokes.render) or not (as getImageData returns it), faint ink
// (its peak under 255: stretched), and a part of the canvas wiped (grey going down).
test("the kept grey reads as canvasToInput of the whole canvas, frame by frame", () => {
  let seed = 28;
  const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const S = 280;
  let frames = 0, read = 0;
  for (const { premultiplied, faint } of [
    { premultiplied: false, faint: false },
    { premultiplied: true, faint: false },
    { premultiplied: false, faint: true },
  ]) {
    const rgba = new Uint8ClampedArray(S * S * 4), ink = inkCanvas(S, S);
    const windowOf = ([top, bottom, left, right]) => {
      const out = new Uint8ClampedArray((bottom - top) * (right - left) * 4);
      for (let y = top; y < bottom; y++) out.set(rgba.subarray((y * S + left) * 4, (y * S + right) * 4), (y - top) * (right - left) * 4);
      return out;
    };
    const check = (box) => {
      updateInk(ink, windowOf(box), box[0], box[2], box[3] - box[2], box[1] - box[0]);
      const want = canvasToInput(rgba, S, S), got = keptToInput(ink);
      assert.deepEqual({ ...got, image: Array.from(got.image) }, { ...want, image: Array.from(want.image) }, `frame ${frames}`);
      frames++;
      read += !want.empty;
    };
    let x = 60 + 160 * random(), y = 60 + 160 * random();
    const r = 3 + 12 * random(), top = faint ? 180 : 255;
    for (let k = 0; k < 60; k++) {
      x = Math.min(S - 1, Math.max(0, x + (random() - 0.5) * 40));
      y = Math.min(S - 1, Math.max(0, y + (random() - 0.5) * 40));
      const box = [Math.max(0, Math.floor(y - r - 2)), Math.min(S, Math.ceil(y + r + 2)), Math.max(0, Math.floor(x - r - 2)), Math.min(S, Math.ceil(x + r + 2))];
      for (let py = box[0]; py < box[1]; py++) {
        for (let px = box[2]; px < box[3]; px++) {
          const a = Math.round(Math.min(1, Math.max(0, r - Math.hypot(px + 0.5 - x, py + 0.5 - y) + 0.5)) * top);
          const i = (py * S + px) * 4;
          if (a <= rgba[i + 3]) continue;
          rgba[i] = rgba[i + 1] = rgba[i + 2] = premultiplied ? a : 255;
          rgba[i + 3] = a;
        }
      }
      check(box);
      if (k === 40) {
        const wipe = [0, S, 0, Math.round(x)]; // the left part of the canvas wiped: grey goes down, counts too
        for (let py = 0; py < S; py++) rgba.fill(0, py * S * 4, (py * S + wipe[3]) * 4);
        check(wipe);
      }
    }
  }
  assert.ok(frames > 150 && read > 100, `${frames} frames, ${read} read`);
});
