// Parity of lenet/web/forward.js with PyTorch on one case written by tests/test_web_engine.py, shared by the
// Node test (files read from disk) and the Chromium test (files fetched): pure, no I/O of its own.
import { loadModel, forward, normalise } from "../../lenet/web/forward.js";
import { canvasToInput } from "../../lenet/web/preprocess.js";

export const TOLERANCE = 1e-4;

// case: {manifest, weights: ArrayBuffer, inputs: Float32Array (n x input size), expected: {name: Float32Array}}
// where expected holds every block's PyTorch output for all n inputs, and "probs" the softmax.
// Returns {n, worst: {block: largest absolute difference}, argmaxDiffers: [input indices], fails: [text]}.
export function compareCase({ manifest, weights, inputs, expected }) {
  const model = loadModel(manifest, weights);
  const inSize = model.input.length;
  const n = inputs.length / inSize;
  const worst = {}, argmaxDiffers = [];
  for (let k = 0; k < n; k++) {
    const result = forward(model, inputs.subarray(k * inSize, (k + 1) * inSize));
    const outputs = { ...Object.fromEntries(Object.entries(result.blocks).map(([b, v]) => [b, v.data])), probs: result.probs };
    for (const [name, got] of Object.entries(outputs)) {
      const want = expected[name];
      if (!want) throw new Error(`no PyTorch output for block ${name}`);
      const m = got.length;
      if (want.length !== n * m) throw new Error(`block ${name}: ${m} values per input, PyTorch has ${want.length / n}`);
      let d = worst[name] ?? 0;
      for (let i = 0; i < m; i++) {
        const diff = Math.abs(got[i] - want[k * m + i]);
        if (!(diff <= d)) d = Number.isNaN(diff) ? Infinity : diff; // a NaN anywhere fails
      }
      worst[name] = d;
    }
    const c = result.logits.length, logits = expected[manifest.blocks.at(-1)].subarray(k * c, (k + 1) * c);
    let ref = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i] > logits[ref]) ref = i;
    if (ref !== result.digit) argmaxDiffers.push(k);
  }
  const fails = Object.entries(worst).filter(([, d]) => !(d <= TOLERANCE)).map(([b, d]) => `${b}: ${d}`);
  if (argmaxDiffers.length) fails.push(`argmax differs on inputs ${argmaxDiffers.slice(0, 10)}`);
  return { n, worst, argmaxDiffers, fails };
}

// Preprocessing: each drawing's 28 x 28 from preprocess.js against the server's, pixel for pixel, and the
// reading (nothing to read, or the shipped checkpoint's digit) the same.
// meta: [{name, w, h, offset, empty, reason, digit}], drawings: their RGBA bytes, expected: n x 784 uint8.
export function comparePreprocess({ meta, drawings, expected, manifest, weights }) {
  const model = loadModel(manifest, weights);
  const fails = [];
  let exact = 0, worst = 0;
  meta.forEach((d, k) => {
    const rgba = drawings.subarray(d.offset, d.offset + d.w * d.h * 4);
    const got = canvasToInput(rgba, d.w, d.h);
    const want = expected.subarray(k * 784, (k + 1) * 784);
    let diff = 0;
    for (let i = 0; i < 784; i++) diff = Math.max(diff, Math.abs(got.image[i] - want[i]));
    worst = Math.max(worst, diff);
    if (diff === 0) exact++;
    const digit = got.empty ? null : forward(model, normalise(model, got.image)).digit;
    if (diff > 2) fails.push(`${d.name}: a pixel differs by ${diff}`);
    if (got.empty !== d.empty || got.reason !== d.reason) fails.push(`${d.name}: ${got.reason} where the server says ${d.reason}`);
    else if (digit !== d.digit) fails.push(`${d.name}: reads ${digit} where the server reads ${d.digit}`);
  });
  return { summary: { n: meta.length, exact, worst }, fails };
}
