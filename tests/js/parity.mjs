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
    const seen = windowed(rgba, d.w, d.h, k % 3); // the drawing surface reads only the ink's window
    if (seen && !sameReading(seen, got)) fails.push(`${d.name}: its window (margin ${k % 3} px) reads otherwise`);
    if (got.empty !== d.empty || got.reason !== d.reason) fails.push(`${d.name}: ${got.reason} where the server says ${d.reason}`);
    else if (digit !== d.digit) fails.push(`${d.name}: reads ${digit} where the server reads ${d.digit}`);
  });
  return { summary: { n: meta.length, exact, worst }, fails };
}

// The drawing read through a window around its non-zero pixels, `margin` px wider (the canvas's edge permitting),
// as the drawing surface reads it; null for a blank drawing.
function windowed(rgba, w, h, margin) {
  let top = h, bottom = 0, left = w, right = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = 4 * (y * w + x);
      if (!(rgba[i] | rgba[i + 1] | rgba[i + 2] | rgba[i + 3])) continue;
      top = Math.min(top, y), bottom = Math.max(bottom, y + 1), left = Math.min(left, x), right = Math.max(right, x + 1);
    }
  }
  if (bottom <= top) return null;
  [top, left] = [Math.max(0, top - margin), Math.max(0, left - margin)];
  [bottom, right] = [Math.min(h, bottom + margin), Math.min(w, right + margin)];
  const part = new Uint8ClampedArray(4 * (bottom - top) * (right - left));
  for (let y = top; y < bottom; y++) part.set(rgba.subarray(4 * (y * w + left), 4 * (y * w + right)), 4 * (y - top) * (right - left));
  return canvasToInput(part, right - left, bottom - top, { top, left, width: w, height: h });
}

const sameReading = (a, b) =>
  a.empty === b.empty && a.reason === b.reason && String(a.box) === String(b.box) && String(a.offset) === String(b.offset) &&
  a.image.every((v, i) => v === b.image[i]);
