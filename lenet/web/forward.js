// The whole forward pass of a LeNet Explorer network in the browser: one small function per layer kind of
// docs/ARCHITECTURE.md §4.7, in the spirit of ConvNetJS's layers, on flat typed arrays in PyTorch's own layout
// (maps C x H x W, conv weights out x in x kH x kW, fc weights out x in), so a test compares it with PyTorch
// number by number (tests/test_web_engine.py: 1e-4 on every block, the same argmax).
//
// Why hand-written rather than a library: LeNet-5 is 0.4 M multiply-adds, and this file is about 14 KB
// (≈ 5 KB gzipped) with no dependencies. onnxruntime-web's CPU runtime alone is a 12.8 MB wasm file
// (ort-wasm-simd-threaded.wasm, 12,810,620 bytes in 2026; its WebGPU build 25.9 MB), and TensorFlow.js needs its
// own runtime and a model conversion step; thirty tablets share one school Wi-Fi, and the weights (≈ 230 KB
// gzipped for LeNet-5) should be the payload that matters. A library's
// per-call overhead (async sessions, tensor allocation) is also larger than this network's arithmetic: here
// one forward pass of LeNet-5 takes about 1 ms, and skipping the inputs that are 0 (see conv2d) is a shortcut
// a general runtime does not take (bench/live_forward.py measures it, 4x-throttled too).
//
// Pure: no DOM, no network. `loadModel(manifest, buffer)` turns lenet/webweights.py's manifest and blob into
// layers with their output buffers allocated once; `forward(model, input)` then allocates nothing.
// Activations are Float64Array: sums accumulate in double precision, closer to exact than PyTorch's float32.

const SQRT1_2 = Math.SQRT1_2;

// ---- layers that do dot products -------------------------------------------------------------------------

// conv2d: x C x H x W -> out O x OH x OW; wt (C x kH x kW) x O, the weights tap by tap (see `tapMajor`);
// padding [top, bottom, left, right] of zeros; acc: OH x OW x O numbers of scratch; reach: `reachTable`'s
// answer for these shapes (loadModel keeps one per layer).
// Written input by input (a scatter): every output starts at its bias, then each non-zero input adds itself,
// times each kernel tap, to the output that tap reaches from it, for all O outputs at once. Inputs that are 0 cost
// nothing: after ReLU and pooling about half are, and forward() shifts a drawing's background to 0 (see
// `shiftBackground`), so LeNet-5's C1 visits a fifth of its input. The O outputs of one position sit side by side
// in `acc`, as the O weights of one tap do in `wt`, so the innermost loop walks both in step; `acc` is then
// copied out map by map. (Speed over the textbook's gather order.)
export function conv2d(x, [C, H, W], out, [O, OH, OW], wt, b, kernel, stride, padding, dilation,
  acc = new Float64Array(out.length), reach = reachTable([C, H, W], [O, OH, OW], kernel, stride, padding, dilation)) {
  const [kH, kW] = kernel;
  if (OH === 1 && OW === 1 && kH === H && kW === W && padding[0] === 0 && padding[2] === 0) {
    return linear(x, C * H * W, out, O, wt, b); // the kernel covers the whole map (LeNet's C5): a dot product
  }
  const P = OH * OW, HW = H * W, K = kH * kW, { start, tap, to } = reach;
  for (let p = 0; p < P; p++) for (let o = 0; o < O; o++) acc[p * O + o] = b ? b[o] : 0; // starts at the bias
  for (let c = 0; c < C; c++) {
    const xc = c * HW, wc = c * K * O; // channel c's map in x, its taps' weights in wt
    for (let i = 0; i < HW; i++) {
      const v = x[xc + i];
      if (v === 0) continue;
      for (let j = start[i], end = start[i + 1]; j < end; j++) axpy(acc, to[j] * O, wt, wc + tap[j] * O, v, O);
    }
  }
  for (let o = 0; o < O; o++) for (let p = 0; p < P; p++) out[o * P + p] = acc[p * O + o]; // -> O x OH x OW
}

// y[a .. a + n) += v * w[t .. t + n): the innermost loop of conv2d and linear, four at a time. The one place where
// speed won over plain loops: unrolled, V8 drops most bounds checks, and LeNet-5's C3 runs in 0.7 of the time
// of the one-at-a-time loop (Node 20, a drawing's S2 maps; bench/draw_live.py's split measures it in Chromium).
function axpy(y, a, w, t, v, n) {
  let k = 0;
  for (const n4 = n - (n % 4); k < n4; k += 4) {
    y[a + k] += w[t + k] * v;
    y[a + k + 1] += w[t + k + 1] * v;
    y[a + k + 2] += w[t + k + 2] * v;
    y[a + k + 3] += w[t + k + 3] * v;
  }
  for (; k < n; k++) y[a + k] += w[t + k] * v;
}

// Which outputs each input position reaches, and through which tap: for input position i (iy * W + ix), the
// pairs j from start[i] to start[i + 1] - 1 say that tap[j] (ky * kW + kx) carries it to output position to[j]
// (oy * OW + ox). The same for every channel; padding, stride and dilation are all in it, so conv2d tests nothing.
export function reachTable([, H, W], [, OH, OW], [kH, kW], [sH, sW], [pT, , pL], [dH, dW]) {
  const start = new Int32Array(H * W + 1), tap = [], to = [];
  for (let iy = 0; iy < H; iy++) {
    for (let ix = 0; ix < W; ix++) {
      for (let ky = 0; ky < kH; ky++) {
        const ty = iy + pT - ky * dH; // = oy * sH for the output row this tap reaches
        if (ty < 0 || ty % sH !== 0 || ty >= OH * sH) continue;
        for (let kx = 0; kx < kW; kx++) {
          const tx = ix + pL - kx * dW;
          if (tx < 0 || tx % sW !== 0 || tx >= OW * sW) continue;
          tap.push(ky * kW + kx);
          to.push((ty / sH) * OW + tx / sW);
        }
      }
      start[iy * W + ix + 1] = tap.length;
    }
  }
  return { start, tap: Int32Array.from(tap), to: Int32Array.from(to) };
}

// O x K weights (PyTorch's conv and fc layout) -> K x O: the O weights of one input side by side.
export function tapMajor(w, O, K) {
  const wt = new Float32Array(O * K); // the weights are float32: stored as such, they take half the cache
  for (let o = 0; o < O; o++) for (let t = 0; t < K; t++) wt[t * O + o] = w[o * K + t];
  return wt;
}

// A conv is linear: conv(x) = conv(x - bg) + conv(bg) for a background value bg per input channel (its first
// pixel: a drawing's paper, or tanh's resting level). `x - bg` is mostly 0, so the scatter skips it, and conv(bg)
// is bg times the channel's response to a map of ones, computed once per layer and channel.
function shiftBackground(layer, x) {
  const [C, H, W] = layer.in, n = H * W;
  let shifted = null;
  for (let c = 0; c < C; c++) {
    const bg = x[c * n];
    layer.bg[c] = bg;
    if (bg === 0) continue;
    shifted ??= layer.shifted.fill(0);
    for (let i = c * n; i < (c + 1) * n; i++) shifted[i] = x[i] - bg;
  }
  if (!shifted) return x;
  for (let c = 0; c < C; c++) if (!layer.bg[c]) shifted.set(x.subarray(c * n, (c + 1) * n), c * n);
  return shifted;
}

function addBackground(layer, out) {
  const [C, H, W] = layer.in;
  for (let c = 0; c < C; c++) {
    const bg = layer.bg[c];
    if (bg === 0) continue;
    if (!layer.ones[c]) {
      const one = new Float64Array(C * H * W).fill(1, c * H * W, (c + 1) * H * W);
      layer.ones[c] = new Float64Array(out.length);
      conv2d(one, layer.in, layer.ones[c], layer.out, layer.taps, null, layer.kernel, layer.stride, layer.padding, layer.dilation, layer.acc, layer.reach);
    }
    const ones = layer.ones[c];
    for (let i = 0; i < out.length; i++) out[i] += bg * ones[i];
  }
}

// linear: x n (a map is read flat, C x H x W order, as nn.Flatten) -> out m; wt n x m (tap-major, `tapMajor`).
// Each non-zero input adds itself times its row of m weights: after ReLU most inputs are zero (LeNet-5's C5 and
// F6: about 70 %), and they cost nothing.
export function linear(x, n, out, m, wt, b) {
  for (let j = 0; j < m; j++) out[j] = b ? b[j] : 0;
  for (let i = 0; i < n; i++) {
    const v = x[i];
    if (v !== 0) axpy(out, 0, wt, i * m, v, m);
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
    if (spec.kind === "conv" || spec.kind === "fc") {
      const O = spec.weight.shape[0];
      layer.taps = tapMajor(layer.weight, O, layer.weight.length / O); // conv: (C x kH x kW) x O; fc: n x m
    }
    if (spec.kind === "conv") {
      const [, H, W] = spec.in, [kH, kW] = spec.kernel, [pT, pB, pL, pR] = spec.padding;
      layer.scatter = !(spec.out[1] === 1 && spec.out[2] === 1 && kH === H && kW === W && pT + pB + pL + pR === 0);
      layer.shifted = new Float64Array(size(spec.in));
      layer.bg = new Float64Array(spec.in[0]);
      layer.ones = [];
      layer.acc = new Float64Array(layer.n); // OH x OW x O
      layer.reach = reachTable(spec.in, spec.out, spec.kernel, spec.stride, spec.padding, spec.dilation);
    }
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
    const src = layer.scatter ? shiftBackground(layer, x) : x;
    conv2d(src, layer.in, out, layer.out, layer.taps, layer.bias, layer.kernel, layer.stride, layer.padding, layer.dilation, layer.acc, layer.reach);
    if (src !== x) addBackground(layer, out);
  } else if (kind === "maxpool") maxpool(x, layer.in, out, layer.out, layer.kernel, layer.stride);
  else if (kind === "avgpool") avgpool(x, layer.in, out, layer.out, layer.kernel, layer.stride);
  else if (kind === "fc") linear(x, size(layer.in), out, layer.n, layer.taps, layer.bias);
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
