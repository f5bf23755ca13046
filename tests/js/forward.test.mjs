// lenet/web/forward.js against PyTorch: the cases tests/test_web_engine.py writes into $LENET_WEB_CASES
// (one folder per network: manifest.json, weights.bin, inputs.bin, expected.json and one .bin per block).
// Run through pytest; alone, `LENET_WEB_CASES=DIR node --test tests/js/`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { compareCase } from "./parity.mjs";
import { erfc, halfToFloat, conv2d } from "../../lenet/web/forward.js";

const floats = (path) => {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

export function readCase(dir) {
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
  const raw = readFileSync(join(dir, "weights.bin"));
  const weights = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength);
  const { outputs } = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8"));
  const expected = Object.fromEntries(outputs.map((name) => [name, floats(join(dir, `${name}.bin`))]));
  return { manifest, weights, inputs: floats(join(dir, "inputs.bin")), expected };
}

const root = process.env.LENET_WEB_CASES;
const cases = root ? readdirSync(root).sort() : [];

test("the cases were written", { skip: !root && "LENET_WEB_CASES is not set: run through pytest" }, () => {
  assert.ok(cases.length > 0, `no cases in ${root}`);
});

for (const name of cases) {
  test(`forward.js equals PyTorch: ${name}`, () => {
    const report = compareCase(readCase(join(root, name)));
    console.log(JSON.stringify({ case: name, n: report.n, worst: report.worst }));
    assert.ok(report.n >= 1);
    assert.deepEqual(report.fails, [], `${name}: ${report.fails.join("; ")}`);
  });
}

test("erfc is within 1.2e-7 of its value, relative, at known points", () => {
  // erfc(0) = 1, erfc(0.5) = 0.4795001221869535, erfc(1) = 0.15729920705028513, erfc(3) = 2.209049699858544e-5
  for (const [z, want] of [[0, 1], [0.5, 0.4795001221869535], [1, 0.15729920705028513], [3, 2.209049699858544e-5]]) {
    assert.ok(Math.abs(erfc(z) - want) <= 1.2e-7 * want, `erfc(${z}) = ${erfc(z)}`);
  }
});

test("halfToFloat reads binary16: normal, subnormal, signed, infinite", () => {
  assert.equal(halfToFloat(0x3c00), 1);
  assert.equal(halfToFloat(0xc000), -2);
  assert.equal(halfToFloat(0x0001), 2 ** -24);
  assert.equal(halfToFloat(0x7c00), Infinity);
  assert.ok(Number.isNaN(halfToFloat(0x7e00)));
});

test("conv2d with asymmetric padding puts the extra zero after (PyTorch's 'same' for an even kernel)", () => {
  // 1 x 1 x 3 input 1 2 3, a 1 x 2 kernel [1 1], padding left 0 right 1 -> 3 5 3
  const out = new Float64Array(3);
  conv2d(new Float64Array([1, 2, 3]), [1, 1, 3], out, [1, 1, 3], new Float32Array([1, 1]), null, [1, 2], [1, 1], [0, 0, 0, 1], [1, 1]);
  assert.deepEqual([...out], [3, 5, 3]);
});
