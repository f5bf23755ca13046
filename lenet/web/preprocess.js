// MNIST's preprocessing of a drawing in the browser, exactly as lenet.preprocess.canvas_to_input does it, step by
// step and integer for integer: grayscale (PIL's luma and ImageChops.multiply by the alpha), contrast, the ink's
// box with specks dropped, the dot test, black-and-white at a working size (80-320 px), the stroke width evened
// out, area averaging to 20 px, the 28 x 28 field and the centre of mass. PIL's resampling is reproduced from
// Pillow's libImaging/Resample.c (coefficients in double, 22-bit fixed point, horizontal then vertical pass,
// each rounded to 8 bits), so the 28 x 28 equals the server's (tests/test_web_engine.py: >= 200 drawings).
//
// Pure: no DOM. `canvasToInput(rgba, width, height)` takes ImageData's bytes (white ink, transparent or black
// background; at most 1024 px a side, as lenet.images.to_array leaves a canvas) and returns the 28 x 28. It may
// take just the window of the canvas that holds the ink (the drawing surface reads only that, every frame): the
// answer is the same, as every step after the ink's box works on the crop.

const FIELD = 28; // MNIST's image size
const BOX = 20; // the digit's longer side in MNIST
const TARGET = 14.0; // where MNIST's centre of mass sits (row and column)
const BLANK_CONTRAST = 32; // ink brighter than the background by less than this: nothing drawn
const INK_THRESHOLD = 63; // int(0.25 * 255): fainter pixels are noise or anti-aliasing
const SPECK_FRACTION = 0.02; // an end group with less of the ink than this is a speck
const DOT_RATIO = 2.6; // a mark whose extent is under this many stroke widths is a dot
const MIN_EXTENT = 3;
const WORK_MIN = 80, WORK_MAX = 320; // working resolution of the crop's longer side
const BINARY_THRESHOLD = 128, SMALL_THRESHOLD = 110;
const WIDTH_LO = 1.7, WIDTH_HI = 3.2; // stroke width in output px: MNIST's 10th to 90th percentile
const MIN_CANVAS_FRACTION = 0.08; // on the canvas, a mark under 8 % of its side is a tap, not a digit

// Python's round(): halves go to the even neighbour.
export function roundHalfEven(x) {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

// An image: {data: Uint8Array (h x w, row-major), w, h}.
const image = (w, h, data = new Uint8Array(w * h)) => ({ data, w, h });

// ---- PIL's resampling (mode "L"), Resample.c ----------------------------------------------------------

const FILTERS = {
  box: { support: 0.5, f: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  bilinear: { support: 1, f: (x) => (Math.abs(x) < 1 ? 1 - Math.abs(x) : 0) },
  lanczos: { support: 3, f: (x) => (-3 <= x && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
};

function sinc(x) {
  if (x === 0) return 1;
  x *= Math.PI;
  return Math.sin(x) / x;
}

const PRECISION_BITS = 22; // 32 - 8 - 2

// One axis's (xmin, count, fixed-point weights) per output pixel, as precompute_coeffs + normalize_coeffs_8bpc;
// kept for the sizes met lately (a drawing's frames resize between the same few sizes).
const coefficientCache = new Map();
function coefficients(inSize, outSize, filter) {
  const key = `${inSize} ${outSize} ${filter.support}`;
  let cs = coefficientCache.get(key);
  if (!cs) {
    if (coefficientCache.size >= 64) coefficientCache.clear();
    coefficientCache.set(key, (cs = computeCoefficients(inSize, outSize, filter)));
  }
  return cs;
}

function computeCoefficients(inSize, outSize, filter) {
  const scale = inSize / outSize, filterscale = Math.max(scale, 1);
  const support = filter.support * filterscale, ss = 1 / filterscale;
  const rows = [];
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    const k = new Float64Array(Math.max(0, xmax));
    let ww = 0;
    for (let x = 0; x < xmax; x++) ww += (k[x] = filter.f((x + xmin - center + 0.5) * ss));
    const fixed = new Int32Array(k.length);
    for (let x = 0; x < xmax; x++) {
      const v = ww !== 0 ? k[x] / ww : k[x];
      fixed[x] = Math.trunc(v < 0 ? -0.5 + v * (1 << PRECISION_BITS) : 0.5 + v * (1 << PRECISION_BITS));
    }
    rows.push({ xmin, k: fixed });
  }
  // Flat for the loops: output pixel i reads n[i] inputs from xmin[i], weights k[i * taps ...].
  const taps = Math.max(0, ...rows.map((r) => r.k.length)), k = new Int32Array(outSize * taps);
  rows.forEach((r, i) => k.set(r.k, i * taps));
  return { xmin: Int32Array.from(rows, (r) => r.xmin), n: Int32Array.from(rows, (r) => r.k.length), k, taps };
}

const clip8 = (ss) => Math.min(255, Math.max(0, Math.floor(ss / (1 << PRECISION_BITS))));

// PIL's Image.resize(size, filter) of a grayscale image: horizontal pass, then vertical, each rounded to 8 bits.
export function resize(src, outW, outH, filterName) {
  if (outW === src.w && outH === src.h) return image(src.w, src.h, src.data.slice());
  const filter = FILTERS[filterName];
  let cur = src;
  if (outW !== src.w) {
    const { xmin, n, k, taps } = coefficients(src.w, outW, filter), tmp = image(outW, src.h), from = src.data, to = tmp.data;
    for (let y = 0; y < src.h; y++) {
      const row = y * src.w;
      for (let xx = 0; xx < outW; xx++) {
        const at = row + xmin[xx], kk = xx * taps, m = n[xx];
        let ss = 1 << (PRECISION_BITS - 1);
        for (let x = 0; x < m; x++) ss += from[at + x] * k[kk + x];
        to[y * outW + xx] = clip8(ss);
      }
    }
    cur = tmp;
  }
  if (outH !== src.h) {
    const { xmin, n, k, taps } = coefficients(src.h, outH, filter), out = image(cur.w, outH), from = cur.data, to = out.data, w = cur.w;
    for (let yy = 0; yy < outH; yy++) {
      const kk = yy * taps, m = n[yy];
      for (let x = 0; x < w; x++) {
        let ss = 1 << (PRECISION_BITS - 1);
        for (let y = 0, at = xmin[yy] * w + x; y < m; y++, at += w) ss += from[at] * k[kk + y];
        to[yy * w + x] = clip8(ss);
      }
    }
    cur = out;
  }
  return cur;
}

// ---- binary masks --------------------------------------------------------------------------------------
// A mask is an image of 0 and 1. Erosion and dilation, run up to a dozen times per drawing on up to 320 x 320
// px, work on it packed 32 pixels to a word ({bits: Uint32Array, w, h, stride}; bit i of word j of a row is
// x = 32 j + i): one AND or OR handles 32 pixels. (Speed over the plain per-pixel loop, for one update per frame.)

// The pixels of an image at least `t` (1: any non-zero pixel of a 0 and 1 mask), packed.
function pack(img, t = 1) {
  const { data, w, h } = img, stride = (w + 31) >>> 5, bits = new Uint32Array(stride * h);
  for (let y = 0; y < h; y++) {
    for (let j = 0, i = y * w; j < stride; j++) {
      let word = 0; // 32 pixels of the row, x = 32 j + b at bit b
      for (let b = 0, end = Math.min(32, w - 32 * j); b < end; b++, i++) if (data[i] >= t) word |= 1 << b;
      bits[y * stride + j] = word;
    }
  }
  return { bits, w, h, stride };
}

// A packed mask with `n` px of background around it: each row's words shifted n bits to the right, word by word.
function padPacked(p, n) {
  const w = p.w + 2 * n, h = p.h + 2 * n, stride = (w + 31) >>> 5, bits = new Uint32Array(stride * h);
  const q = n >>> 5, r = n & 31; // the shift in whole words, then in bits
  for (let y = 0; y < p.h; y++) {
    const from = y * p.stride, to = (y + n) * stride + q;
    for (let j = 0; j < p.stride; j++) {
      const word = p.bits[from + j];
      if (!word) continue;
      bits[to + j] |= word << r;
      if (r && to + j + 1 < (y + n + 1) * stride) bits[to + j + 1] |= word >>> (32 - r);
    }
  }
  return { bits, w, h, stride };
}

// Word j of row y of a packed mask; 0 outside it.
const wordAt = (p, y, j) => (y >= 0 && y < p.h && j >= 0 && j < p.stride ? p.bits[y * p.stride + j] : 0);
const fromLeft = (m, l) => (m << 1) | (l >>> 31); // each pixel's left neighbour (l: the word to the left)
const fromRight = (m, r) => (m >>> 1) | (r << 31); // and its right one

// One erosion (grow = false) or dilation with a 3x3 cross or square; outside the mask counts as background.
function morphOnce(p, grow, square) {
  const { bits, w, h, stride } = p, out = new Uint32Array(bits.length);
  const last = w & 31 ? (1 << (w & 31)) - 1 : -1; // the last word's bits inside the mask
  for (let y = 0; y < h; y++) {
    for (let j = 0; j < stride; j++) {
      const c = bits[y * stride + j];
      if (!grow && !c) continue; // erosion keeps no pixel that is not there
      // The 3 x 3 words around this one: rows above (u), here (c) and below (d); left, mid, right.
      const u = wordAt(p, y - 1, j), d = wordAt(p, y + 1, j);
      const cL = wordAt(p, y, j - 1), cR = wordAt(p, y, j + 1);
      let v = c;
      if (grow) {
        v |= fromLeft(c, cL) | fromRight(c, cR) | u | d;
        if (square) {
          v |= fromLeft(u, wordAt(p, y - 1, j - 1)) | fromRight(u, wordAt(p, y - 1, j + 1));
          v |= fromLeft(d, wordAt(p, y + 1, j - 1)) | fromRight(d, wordAt(p, y + 1, j + 1));
        }
        if (j === stride - 1) v &= last;
      } else {
        v &= fromLeft(c, cL) & fromRight(c, cR) & u & d;
        if (square && v) {
          v &= fromLeft(u, wordAt(p, y - 1, j - 1)) & fromRight(u, wordAt(p, y - 1, j + 1));
          v &= fromLeft(d, wordAt(p, y + 1, j - 1)) & fromRight(d, wordAt(p, y + 1, j + 1));
        }
      }
      out[y * stride + j] = v;
    }
  }
  return { bits: out, w, h, stride };
}

// The packed mask's ink as 0 and 255, cropped to its rows and columns that hold any.
function inkOf(p) {
  const { bits, w, h, stride } = p;
  let r0 = -1, r1 = -1;
  const any = new Uint32Array(stride); // the OR of every row: which columns hold ink
  for (let y = 0; y < h; y++) {
    let row = 0;
    for (let j = 0; j < stride; j++) {
      row |= bits[y * stride + j];
      any[j] |= bits[y * stride + j];
    }
    if (row) {
      if (r0 < 0) r0 = y;
      r1 = y;
    }
  }
  let c0 = w, c1 = -1;
  for (let x = 0; x < w; x++) {
    if ((any[x >>> 5] >>> (x & 31)) & 1) {
      if (x < c0) c0 = x;
      c1 = x;
    }
  }
  const out = image(c1 - c0 + 1, r1 - r0 + 1);
  for (let y = r0; y <= r1; y++) {
    for (let x = c0, i = (y - r0) * out.w; x <= c1; x++, i++) out.data[i] = ((bits[y * stride + (x >>> 5)] >>> (x & 31)) & 1) * 255;
  }
  return out;
}

function popcount(bits) {
  let n = 0;
  for (let i = 0; i < bits.length; i++) {
    let v = bits[i] - ((bits[i] >>> 1) & 0x55555555);
    v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
    n += (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
  }
  return n;
}

function count(m) {
  let n = 0;
  for (let i = 0, d = m.data, len = d.length; i < len; i++) n += d[i];
  return n;
}

// Typical stroke width of a packed mask: two erosions (cross, then square) strip about 2 px a side, so the
// area lost is about 4 px times the strokes' total length.
export function strokeWidth(p) {
  const area = popcount(p.bits), lost = area - popcount(morphOnce(morphOnce(p, false, false), false, true).bits);
  return lost > 0 ? (4.0 * area) / lost : 0.0;
}

// Grow or shrink the strokes by `steps` px a side, alternating cross and square (an octagon).
function morph(p, steps, grow) {
  for (let i = 0; i < steps; i++) {
    const next = morphOnce(p, grow, i % 2 === 1);
    if (!grow && popcount(next.bits) < 0.3 * popcount(p.bits)) break; // never erode a drawing away
    p = next;
  }
  return p;
}

function pad(img, p) {
  const out = image(img.w + 2 * p, img.h + 2 * p);
  for (let y = 0; y < img.h; y++) out.data.set(img.data.subarray(y * img.w, (y + 1) * img.w), (y + p) * out.w + p);
  return out;
}

function crop(img, top, bottom, left, right) {
  const out = image(right - left, bottom - top);
  for (let y = top; y < bottom; y++) out.data.set(img.data.subarray(y * img.w + left, y * img.w + right), (y - top) * out.w);
  return out;
}

// Rows and columns holding any non-zero pixel: [firstRow, lastRow, firstCol, lastCol], or null.
function extent(img) {
  let r0 = -1, r1 = -1, c0 = img.w, c1 = -1;
  for (let y = 0; y < img.h; y++) {
    for (let x = 0; x < img.w; x++) {
      if (!img.data[y * img.w + x]) continue;
      if (r0 < 0) r0 = y;
      r1 = y;
      if (x < c0) c0 = x;
      if (x > c1) c1 = x;
    }
  }
  return r0 < 0 ? null : [r0, r1, c0, c1];
}

function threshold(img, t) {
  const out = image(img.w, img.h), d = img.data, o = out.data;
  for (let i = 0; i < d.length; i++) o[i] = d[i] >= t ? 1 : 0;
  return out;
}

// ---- the recipe ------------------------------------------------------------------------------------------

// Grayscale, ink bright: PIL's ITU-R 601 luma times the alpha (ImageChops.multiply: floor(a * b / 255)).
// The background (0 on the canvas) stays 0 and the ink's peak is stretched to 255, in float32 as numpy does.
// Returns the image and the box [top, bottom, left, right) of its non-zero pixels (null: too faint to be ink).
function inkGray(rgba, w, h) {
  const out = image(w, h), d = out.data;
  const words = rgba.byteOffset % 4 ? null : new Uint32Array(rgba.buffer, rgba.byteOffset, w * h);
  const rows = new Int32Array(h), cols = new Int32Array(w); // ink pixels (>= INK_THRESHOLD) per row and column
  let peak = 0, top = h, bottom = 0, left = w, right = 0;
  for (let y = 0, i = 0; y < h; y++) {
    for (let x = 0; x < w; x++, i++) {
      if (words && words[i] === 0) continue; // most of a canvas: transparent black, already 0 in `out`
      const v = greyOf(rgba, 4 * i);
      if (v === 0) continue;
      d[i] = v;
      if (v > peak) peak = v;
      if (y < top) top = y;
      bottom = y + 1;
      if (x < left) left = x;
      if (x >= right) right = x + 1;
      if (v >= INK_THRESHOLD) rows[y]++, cols[x]++;
    }
  }
  if (peak < BLANK_CONTRAST) return null;
  if (peak !== 255) return { raw: stretch(out, peak, out), box: [top, bottom, left, right], counts: null };
  return { raw: out, box: [top, bottom, left, right], counts: { rows, cols } };
}

// One RGBA pixel (at byte j) as grey: PIL's luma, times the alpha (floor(lum * a / 255), exact for products up to
// 255 * 255).
function greyOf(rgba, j) {
  const lum = (rgba[j] * 19595 + rgba[j + 1] * 38470 + rgba[j + 2] * 7471 + 0x8000) >> 16;
  return ((lum * rgba[j + 3]) * 32897) >>> 23;
}

// The ink's peak stretched to 255, in float32 as numpy does (into `out`, which may be `img`). The row and column
// counts of inkGray no longer hold after it: the caller counts again.
function stretch(img, peak, out = image(img.w, img.h)) {
  const f = Math.fround(255 / peak), d = img.data, o = out.data;
  for (let i = 0; i < d.length; i++) o[i] = d[i] ? Math.min(255, Math.trunc(Math.fround(d[i] * f))) : 0;
  return out;
}

// The extent of the ink along one axis ([start, end) of a profile), dropping small isolated groups at the ends.
function trim(profile) {
  const runs = [];
  let total = 0;
  for (let i = 0; i < profile.length; i++) {
    total += profile[i];
    if (profile[i] > 0 && (i === 0 || profile[i - 1] === 0)) runs.push([i, i + 1, 0]);
    if (profile[i] > 0) {
      runs.at(-1)[1] = i + 1;
      runs.at(-1)[2] += profile[i];
    }
  }
  let lo = 0, hi = runs.length;
  while (hi - lo > 1 && runs[lo][2] < SPECK_FRACTION * total) lo++;
  while (hi - lo > 1 && runs[hi - 1][2] < SPECK_FRACTION * total) hi--;
  return [runs[lo][0], runs[hi - 1][1]];
}

// Ink pixels (at least INK_THRESHOLD) per row (axis 1) or per column (axis 0) of a window of the image.
function profile(img, top, bottom, left, right, axis) {
  const p = new Int32Array(axis === 1 ? bottom - top : right - left), { data, w } = img;
  for (let y = top; y < bottom; y++) {
    if (axis === 1) {
      let n = 0;
      for (let i = y * w + left, end = y * w + right; i < end; i++) n += data[i] >= INK_THRESHOLD ? 1 : 0;
      p[y - top] = n;
    } else {
      for (let x = 0, i = y * w + left; x < right - left; x++, i++) if (data[i] >= INK_THRESHOLD) p[x]++;
    }
  }
  return p;
}

// [top, bottom, left, right) of the ink, specks dropped; null when there is none. `nz`: the box of the
// non-zero pixels, outside which every profile is 0; `counts`: the rows' and columns' ink over the whole image,
// when inkGray could count them (the common case: then only a drawing with a speck is counted again).
function bbox(raw, [nzTop, nzBottom, nzLeft, nzRight], counts) {
  const rows = counts ? counts.rows : new Int32Array(raw.h);
  if (!counts) rows.set(profile(raw, nzTop, nzBottom, nzLeft, nzRight, 1), nzTop);
  if (!count({ data: rows })) return null;
  const [top, bottom] = trim(rows);
  const rowsKept = rows.findIndex((n) => n > 0) >= top && rows.findLastIndex((n) => n > 0) < bottom;
  let cols = counts && rowsKept ? counts.cols : null; // no row with ink dropped: the columns counted above hold
  if (!cols) {
    cols = new Int32Array(raw.w);
    cols.set(profile(raw, top, bottom, nzLeft, nzRight, 0), nzLeft);
  }
  const [left, right] = trim(cols);
  // Rows counted again between left and right; where no column with ink was dropped, they are the rows counted above.
  const kept = cols.findIndex((n) => n > 0) >= left && cols.findLastIndex((n) => n > 0) < right;
  const [t2, b2] = trim(kept ? rows.subarray(top, bottom) : profile(raw, top, bottom, left, right, 1));
  return [top + t2, top + b2, left, right];
}

const sizeFor = (w, h, f) => [Math.max(1, roundHalfEven(w * f)), Math.max(1, roundHalfEven(h * f))];

// A dot or blob (about as wide as it is long), judged at a fixed 48 px.
function isDot(cropped) {
  const f = 48.0 / Math.max(cropped.w, cropped.h);
  const small = resize(cropped, ...sizeFor(cropped.w, cropped.h, f), f < 1 ? "box" : "bilinear");
  const mask = threshold(small, 128), e = extent(mask);
  if (!e) return true;
  return Math.max(e[1] - e[0], e[3] - e[2]) + 1 < DOT_RATIO * strokeWidth(pack(mask));
}

// The crop made black-and-white at the working resolution; the mask (packed) and its longer side.
function workingMask(cropped) {
  const side = Math.max(cropped.w, cropped.h);
  const workSide = Math.min(Math.max(side, WORK_MIN), WORK_MAX);
  let img = cropped;
  if (workSide !== side) {
    const f = workSide / side;
    if (f > 1) img = pad(img, 2); // round off strokes that end at the crop's edge
    img = resize(img, ...sizeFor(img.w, img.h, f), f < 1 ? "box" : "lanczos");
  }
  let mask = pack(img, workSide > side ? SMALL_THRESHOLD : BINARY_THRESHOLD);
  if (!popcount(mask.bits)) mask = pack(img, img.data.reduce((m, v) => Math.max(m, v), 0));
  return [mask, workSide];
}

// The longer side to 20 px with the stroke width in MNIST's range, area-averaged (lenet.preprocess._scale).
function scaleTo20(cropped) {
  let [mask, workSide] = workingMask(cropped);
  const scale = BOX / workSide;
  for (let i = 0; i < 3; i++) {
    const width = strokeWidth(mask) * scale;
    let steps, grow;
    if (width < WIDTH_LO) [steps, grow] = [Math.ceil((WIDTH_LO - width) / scale / 2), true];
    else if (width > WIDTH_HI) [steps, grow] = [Math.ceil((width - WIDTH_HI) / scale / 2), false];
    else break;
    if (grow) mask = padPacked(mask, steps); // room to grow at the edges
    mask = morph(mask, steps, grow);
  }
  const ink = inkOf(mask); // 0 and 255, cropped to the mask's ink
  return resize(ink, ...sizeFor(ink.w, ink.h, BOX / Math.max(ink.w, ink.h)), "box");
}

// Intensity-weighted (row, col) centre; sums of integers, exact in doubles as in numpy's float64.
function centreOfMass(img) {
  let total = 0, sy = 0, sx = 0;
  for (let y = 0; y < img.h; y++) {
    for (let x = 0; x < img.w; x++) {
      const v = img.data[y * img.w + x];
      total += v;
      sy += v * y;
      sx += v * x;
    }
  }
  return total === 0 ? [(img.h - 1) / 2, (img.w - 1) / 2] : [sy / total, sx / total];
}

function place(patch, top, left, out) {
  out.fill(0);
  for (let y = Math.max(0, top); y < Math.min(FIELD, top + patch.h); y++) {
    for (let x = Math.max(0, left); x < Math.min(FIELD, left + patch.w); x++) {
      out[y * FIELD + x] = patch.data[(y - top) * patch.w + (x - left)];
    }
  }
  return out;
}

// The drawing's 28 x 28 MNIST input (uint8, ink 255 on 0), as lenet.preprocess.canvas_to_input.
// Returns {image: Uint8Array(784), empty, reason: "blank" | "too_small" | null, box, offset}; `empty` means
// nothing to read (do not show a digit). box: [top, bottom, left, right) of the ink in the drawing; offset:
// [top, left] of the 20 px patch in the field.
// `canvas`, when rgba is a window of a larger canvas: {top, left} of the window in the canvas and the canvas's
// {width, height}. Every pixel of the canvas outside the window must be background (0).
export function canvasToInput(rgba, width, height, canvas = { top: 0, left: 0, width, height }) {
  if (width > 1024 || height > 1024) throw new RangeError("canvasToInput: at most 1024 px a side");
  return fromGray(inkGray(rgba, width, height), canvas);
}

// The rest of the recipe, from the grey (inkGray's {raw, box, counts}, or null: too faint to be ink).
function fromGray(gray, canvas) {
  const out = new Uint8Array(FIELD * FIELD);
  const raw = gray && gray.raw;
  const box = gray && bbox(raw, gray.box, gray.counts);
  if (!box) return { image: out, empty: true, reason: "blank", box: null, offset: null };
  const [y0, y1, x0, x1] = box;
  const cropped = crop(raw, y0, y1, x0, x1);
  const minExtent = Math.max(MIN_EXTENT, MIN_CANVAS_FRACTION * Math.max(canvas.width, canvas.height));
  const tooSmall = Math.max(cropped.w, cropped.h) < minExtent || isDot(cropped);
  const patch = scaleTo20(cropped);
  const [cy, cx] = centreOfMass(patch);
  const top = Math.min(Math.max(roundHalfEven(TARGET - cy), 0), FIELD - patch.h);
  const left = Math.min(Math.max(roundHalfEven(TARGET - cx), 0), FIELD - patch.w);
  place(patch, top, left, out);
  const inCanvas = [y0 + canvas.top, y1 + canvas.top, x0 + canvas.left, x1 + canvas.left];
  return { image: out, empty: tooSmall, reason: tooSmall ? "too_small" : null, box: inCanvas, offset: [top, left] };
}

// ---- a canvas's grey, kept from frame to frame --------------------------------------------------------
// While the pen moves, only the pixels around the newest segments change. The drawing surface keeps the whole
// canvas's grey (`inkCanvas`), reads back only the window that changed since the last frame (`updateInk`), and
// reads the drawing from the kept grey (`keptToInput`): the same answer as canvasToInput on the whole canvas
// (tests/js/preprocess.test.mjs), without reading and converting the whole ink window on every frame.

/** The grey of a canvas of width x height px with nothing drawn: kept with its counts (per row and column: ink
 * pixels, non-zero pixels; per grey level: pixels), so that a frame never scans it whole. */
export function inkCanvas(width, height) {
  return {
    raw: image(width, height),
    rows: new Int32Array(height), // pixels >= INK_THRESHOLD per row
    cols: new Int32Array(width), // and per column
    nzRows: new Int32Array(height), // non-zero pixels per row
    nzCols: new Int32Array(width), // and per column
    levels: Int32Array.from({ length: 256 }, (_, g) => (g ? 0 : width * height)), // pixels per grey level
  };
}

/** A window of the canvas read again: `rgba` (ImageData's bytes, w x h) at (top, left) replaces its pixels. */
export function updateInk(ink, rgba, top, left, w, h) {
  const { raw, rows, cols, nzRows, nzCols, levels } = ink, W = raw.w;
  for (let y = 0, j = 0; y < h; y++) {
    for (let x = 0, i = (top + y) * W + left; x < w; x++, i++, j += 4) {
      const v = greyOf(rgba, j), old = raw.data[i];
      if (v === old) continue;
      raw.data[i] = v;
      levels[old]--;
      levels[v]++;
      const d = (v ? 1 : 0) - (old ? 1 : 0), e = (v >= INK_THRESHOLD ? 1 : 0) - (old >= INK_THRESHOLD ? 1 : 0);
      nzRows[top + y] += d;
      nzCols[left + x] += d;
      rows[top + y] += e;
      cols[left + x] += e;
    }
  }
}

// [first, last + 1) of the non-zero entries of counts (first = last + 1 = 0: none).
function span(counts) {
  let a = 0, b = counts.length;
  while (a < b && counts[a] === 0) a++;
  while (b > a && counts[b - 1] === 0) b--;
  return [a, b];
}

/** The kept canvas's 28 x 28, as canvasToInput(the whole canvas) returns it. */
export function keptToInput(ink) {
  const { raw, levels } = ink;
  let peak = 255;
  while (peak > 0 && levels[peak] === 0) peak--;
  const canvas = { top: 0, left: 0, width: raw.w, height: raw.h };
  if (peak < BLANK_CONTRAST) return fromGray(null, canvas);
  const [top, bottom] = span(ink.nzRows), [left, right] = span(ink.nzCols);
  const box = [top, bottom, left, right];
  if (peak !== 255) return fromGray({ raw: stretch(raw, peak), box, counts: null }, canvas); // a faint drawing
  return fromGray({ raw, box, counts: { rows: ink.rows, cols: ink.cols } }, canvas);
}
