// The whole forward pass of a LeNet Explorer network in the browser: one small function per layer kind of
// docs/ARCHITECTURE.md §4.7, in the spirit of ConvNetJS's layers, on flat typed arrays in PyTorch's own layout
// (maps C x H x W, conv weights out x in x kH x kW, fc weights out x in), so a test compares it with PyTorch
// number by number (tests/test_web_engine.py: 1e-4 on every block, the same argmax).
//
// Why hand-written rather than a library: LeNet-5 is 0.4 M multiply-adds, and this file is about 10 KB
// (≈ 3 KB gzipped) with no dependencies. onnxruntime-web ships a wasm runtime of several MB (its smallest
// build ≈ 10 MB uncompressed) and TensorFlow.js ≈ 1 MB of JS plus a conversion step; thirty tablets share one
// school Wi-Fi, and the weights (≈ 230 KB gzipped for LeNet-5) are the payload that matters. A library's
// per-call overhead (async sessions, tensor allocation) is also larger than this network's arithmetic: here
// one forward pass is a fraction of a millisecond (bench/live_forward.py measures it, 4x-throttled too).
//
// Pure: no DOM, no network. `loadModel(manifest, buffer)` turns lenet/webweights.py's manifest and blob into
// layers with their output buffers allocated once; `forward(model, input)` then allocates nothing.
// Activations are Float64Array: sums accumulate in double precision, closer to exact than PyTorch's float32.

const SQRT1_2 = Math.SQRT1_2;

// ---- layers that do dot products -------------------------------------------------------------------------

// conv2d: x C x H x W -> out O x OH x OW; w O x C x kH x kW; padding [top, bottom, left, right] of zeros.
// Loops run kernel tap by tap over whole output rows, so the innermost loop walks memory in order; the
// range of output rows and columns whose input lies inside the (unpadded) map is computed once per tap
// position, so the zero padding costs nothing. (Speed over the textbook's output-pixel-outer order.)
export function conv2d(x, [C, H, W], out, [O, OH, OW], w, b, [kH, kW], [sH, sW], [pT, , pL], [dH, dW]) {
  if (OH === 1 && OW === 1 && kH === H && kW === W && pT === 0 && pL === 0) {
    return linear(x, C * H * W, out, O, w, b); // the kernel covers the whole map (LeNet's C5): a dot product
  }
  // valid output ranges per kernel row and column: input iy = oy * sH + ky * dH - pT must lie in [0, H)
  const span = (k, d, p, s, n, on) => {
    const off = k * d - p;
    return [Math.max(0, Math.ceil(-off / s)), Math.min(on - 1, Math.floor((n - 1 - off) / s)), off];
  };
  const rows = Array.from({ length: kH }, (_, ky) => span(ky, dH, pT, sH, H, OH));
  const cols = Array.from({ length: kW }, (_, kx) => span(kx, dW, pL, sW, W, OW));
  for (let o = 0; o < O; o++) {
    const oBase = o * OH * OW;
    out.fill(b ? b[o] : 0, oBase, oBase + OH * OW); // O x OH x OW starts at the bias
    for (let c = 0; c < C; c++) {
      const xBase = c * H * W;
      for (let ky = 0; ky < kH; ky++) {
        const [oyLo, oyHi, dy] = rows[ky];
        for (let kx = 0; kx < kW; kx++) {
          const wv = w[((o * C + c) * kH + ky) * kW + kx];
          if (wv === 0) continue;
          const [oxLo, oxHi, dx] = cols[kx];
          for (let oy = oyLo; oy <= oyHi; oy++) {
            const row = xBase + (oy * sH + dy) * W + dx, orow = oBase + oy * OW;
            for (let ox = oxLo; ox <= oxHi; ox++) out[orow + ox] += wv * x[row + ox * sW];
          }
        }
      }
    }
  }
}

// linear: x n (a map is read flat, C x H x W order, as nn.Flatten) -> out m; w m x n.
export function linear(x, n, out, m, w, b) {
  for (let j = 0; j < m; j++) {
    let s = b ? b[j] : 0;
    const row = j * n;
    for (let i = 0; i < n; i++) s += w[row + i] * x[i];
    out[j] = s;
  }
}

// ---- pooling (no padding, floor mode) ------------------------------------------------------------------

// maxpool: C x H x W -> C x OH x OW, the largest value in each kH x kW window.
export function maxpool(x, [C, H, W], out, [, OH, OW], [kH, kW], [sH, sW]) {
  for (let c = 0; c < C; c++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        let m = -Infinity;
        for (let ky = 0; ky < kH; ky++) {
          const row = (c * H + oy * sH + ky) * W + ox * sW;
          for (let kx = 0; kx < kW; kx++) if (x[row + kx] > m) m = x[row + kx];
        }
        out[(c * OH + oy) * OW + ox] = m;
      }
    }
  }
}

// avgpool: C x H x W -> C x OH x OW, the mean of each kH x kW window.
export function avgpool(x, [C, H, W], out, [, OH, OW], [kH, kW], [sH, sW]) {
  const inv = 1 / (kH * kW);
  for (let c = 0; c < C; c++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        let s = 0;
        for (let ky = 0; ky < kH; ky++) {
          const row = (c * H + oy * sH + ky) * W + ox * sW;
          for (let kx = 0; kx < kW; kx++) s += x[row + kx];
        }
        out[(c * OH + oy) * OW + ox] = s * inv;
      }
    }
  }
}

// ---- element-wise layers, in place (same shape in and out) -----------------------------------------------

export function relu(x, n) {
  for (let i = 0; i < n; i++) if (x[i] < 0) x[i] = 0;
}

export function tanh(x, n) {
  for (let i = 0; i < n; i++) x[i] = Math.tanh(x[i]);
}

export function sigmoid(x, n) {
  for (let i = 0; i < n; i++) x[i] = 1 / (1 + Math.exp(-x[i]));
}

// erfc(z) for z >= 0 with a fractional error under 1.2e-7 everywhere (Numerical Recipes' Chebyshev fit, §6.2),
// so GELU's error stays under 1e-7 of |x|: far inside the 1e-4 the parity tests demand.
export function erfc(z) {
  const t = 1 / (1 + 0.5 * z);
  return t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 +
    t * 0.17087277)))))))));
}

// gelu, exact (erf) as nn.GELU(): x * Phi(x) = x/2 * erfc(-x / sqrt 2).
export function gelu(x, n) {
  for (let i = 0; i < n; i++) {
    const v = x[i], z = v * SQRT1_2;
    x[i] = z >= 0 ? 0.5 * v * (2 - erfc(z)) : 0.5 * v * erfc(-z);
  }
}

// batchnorm (eval): C channels of `size` values each (a map's H x W, or 1 after an fc): y = x * scale + shift,
// with scale = weight / sqrt(running_var + eps) and shift = bias - running_mean * scale, computed at load.
export function batchnorm(x, C, size, scale, shift) {
  for (let c = 0; c < C; c++) {
    const a = scale[c], s = shift[c];
    for (let i = c * size, end = i + size; i < end; i++) x[i] = x[i] * a + s;
  }
}

// softmax of n logits, shifted by their maximum so exp never overflows.
export function softmax(logits, out, n) {
  let m = -Infinity;
  for (let i = 0; i < n; i++) if (logits[i] > m) m = logits[i];
  let s = 0;
  for (let i = 0; i < n; i++) s += (out[i] = Math.exp(logits[i] - m));
  for (let i = 0; i < n; i++) out[i] /= s;
}

// ---- loading the weights ---------------------------------------------------------------------------------

const size = (shape) => shape.reduce((a, b) => a * b, 1);

function readTensor(buffer, dtype, role) {
  if (!role) return null;
  const n = size(role.shape);
  if (dtype === "float32") return new Float32Array(buffer, role.offset, n);
  const half = new Uint16Array(buffer, role.offset, n), out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = halfToFloat(half[i]);
  return out;
}

// IEEE 754 binary16 -> number (subnormals, infinities and NaN included).
export function halfToFloat(h) {
  const sign = h & 0x8000 ? -1 : 1, exp = (h >> 10) & 0x1f, frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const KINDS = new Set(["conv", "maxpool", "avgpool", "relu", "tanh", "sigmoid", "gelu", "bn", "dropout", "fc"]);

// A model ready to run: the manifest's layers with their tensors and preallocated output buffers.
// Throws an Error naming the layer when the manifest or the blob does not fit together (a corrupt download).
export function loadModel(manifest, buffer) {
  if (manifest.format !== "lenet-explorer-web/1") throw new Error(`unknown weights format ${manifest.format}`);
  if (buffer.byteLength !== manifest.bytes) throw new Error(`weights: ${buffer.byteLength} bytes, expected ${manifest.bytes}`);
  const layers = manifest.layers.map((spec, i) => {
    if (!KINDS.has(spec.kind)) throw new Error(`layer ${i + 1}: unknown kind ${spec.kind}`);
    const t = (role) => {
      const r = spec[role];
      if (r && r.offset + size(r.shape) * (manifest.dtype === "float32" ? 4 : 2) > buffer.byteLength) {
        throw new Error(`layer ${i + 1} (${spec.kind}): ${role} lies outside the weights`);
      }
      return readTensor(buffer, manifest.dtype, r);
    };
    const layer = { ...spec, n: size(spec.out), weight: t("weight"), bias: t("bias") };
    if (spec.kind === "bn") {
      const mean = t("mean"), v = t("var"), C = spec.out[0];
      layer.scale = new Float64Array(C);
      layer.shift = new Float64Array(C);
      for (let c = 0; c < C; c++) {
        layer.scale[c] = layer.weight[c] / Math.sqrt(v[c] + spec.eps);
        layer.shift[c] = layer.bias[c] - mean[c] * layer.scale[c];
      }
    }
    const inPlace = !["conv", "maxpool", "avgpool", "fc"].includes(spec.kind);
    layer.inPlace = inPlace;
    layer.buffer = inPlace ? null : new Float64Array(layer.n);
    return layer;
  });
  const input = new Float64Array(size(manifest.input));
  const probs = new Float64Array(size(manifest.layers.at(-1).out));
  return { manifest, layers, input, probs, blocks: manifest.blocks };
}

// ---- the forward pass ------------------------------------------------------------------------------------

function run(layer, x) {
  const { kind } = layer;
  const out = layer.inPlace ? x : layer.buffer;
  if (kind === "conv") {
    conv2d(x, layer.in, out, layer.out, layer.weight, layer.bias, layer.kernel, layer.stride, layer.padding, layer.dilation);
  } else if (kind === "maxpool") maxpool(x, layer.in, out, layer.out, layer.kernel, layer.stride);
  else if (kind === "avgpool") avgpool(x, layer.in, out, layer.out, layer.kernel, layer.stride);
  else if (kind === "fc") linear(x, size(layer.in), out, layer.n, layer.weight, layer.bias);
  else if (kind === "relu") relu(out, layer.n);
  else if (kind === "tanh") tanh(out, layer.n);
  else if (kind === "sigmoid") sigmoid(out, layer.n);
  else if (kind === "gelu") gelu(out, layer.n);
  else if (kind === "bn") batchnorm(out, layer.out[0], layer.n / layer.out[0], layer.scale, layer.shift);
  // dropout: the identity in eval
  return out;
}

// Normalise a 28 x 28 uint8 image (ink 255 on 0) as lenet.data.normalise does: (v / 255 - mean) / std.
export function normalise(model, image, out = model.input) {
  const { mean, std } = model.manifest.normalise;
  for (let i = 0; i < out.length; i++) out[i] = (Math.fround(image[i] / 255) - mean) / std;
  return out;
}

// Run the network on one input (C x H x W numbers, normalised with MNIST's mean and std; see `normalise`).
// A network trained on other pixels (an imported one: the manifest's input_norm) first re-normalises it.
// Returns {blocks: {name: {data, shape}} in forward order, logits, probs, digit}. The arrays are the model's
// own buffers, overwritten by the next call: copy what must outlive it.
export function forward(model, input) {
  let x = input;
  if (x !== model.input) model.input.set(x);
  x = model.input;
  if (model.manifest.input_norm) {
    const { mean: m0, std: s0 } = model.manifest.normalise, [m1, s1] = model.manifest.input_norm;
    for (let i = 0; i < x.length; i++) x[i] = (x[i] * s0 + m0 - m1) / s1;
  }
  const blocks = {};
  for (const layer of model.layers) {
    x = run(layer, x);
    blocks[layer.block] = { data: x, shape: layer.out };
  }
  const n = model.probs.length;
  softmax(x, model.probs, n);
  let digit = 0;
  for (let i = 1; i < n; i++) if (x[i] > x[digit]) digit = i;
  return { blocks, logits: x, probs: model.probs, digit };
}
