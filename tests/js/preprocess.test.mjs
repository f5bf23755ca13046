// lenet/web/preprocess.js against lenet.preprocess.canvas_to_input: the drawings tests/test_web_engine.py writes
// into $LENET_WEB_DRAWINGS (drawings.json: each drawing's size and offset; drawings.bin: their RGBA bytes;
// expected.bin: the server's 28 x 28 each), and the answer read from each by the shipped checkpoint
// ($LENET_WEB_CASES/shipped, through forward.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { comparePreprocess } from "./parity.mjs";
import { roundHalfEven } from "../../lenet/web/preprocess.js";

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
