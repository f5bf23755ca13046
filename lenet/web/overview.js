// One picture of the whole network, live: every block's maps side by side in forward order, from the input to
// the output (CNN Explainer's overview, TensorSpace's LeNet), repainted from the activations the drawing surface
// has just computed (surface.js announces each reading with a "lenet-live" event: no second forward pass).
//
// A selected unit shows its strongest incoming contributions (activation x weight, as they add up to the unit's
// value before its activation) as links to the units they come from, and the winning output unit the path of
// strongest positive contributions back to the input: the "why" in one picture.
//
// The maths (blocks, contributions, the path, the layout and hit testing) is pure, for `node --test`
// (tests/js/overview.test.mjs) and a comparison with PyTorch (tests/test_overview.py); the component below it
// (a Streamlit components-v2 function, surface.py mounts it under the key `overview`) touches the DOM.

// ---- the network as blocks (docs/ARCHITECTURE.md §4.7) ----------------------------------------------------

const HEADS = new Set(["conv", "maxpool", "avgpool", "fc"]);
const NONLINEAR = new Set(["relu", "tanh", "sigmoid", "gelu"]);

/**
 * A loaded model's layers (forward.js loadModel) grouped into blocks, each {name, head, shape, inShape, scale}:
 * `head` the layer that starts it (conv, pooling or fc; null for a block of element-wise layers alone), `shape`
 * its output (C x H x W, or [n]), `inShape` the output of the block before it (the input's for the first), and
 * `scale` the batch norm factors per channel that act on the head's sum before any activation (null: none), so a
 * contribution is what one input adds to the unit's value before its activation.
 */
export function networkBlocks(model) {
  const blocks = [];
  let shape = model.manifest.input;
  for (const layer of model.layers) {
    let block = blocks.at(-1);
    if (!block || block.name !== layer.block) {
      block = { name: layer.block, head: HEADS.has(layer.kind) ? layer : null, inShape: shape, scale: null, linear: true };
      blocks.push(block);
    } else if (NONLINEAR.has(layer.kind)) {
      block.linear = false; // a batch norm after the activation no longer scales the sum
    } else if (layer.kind === "bn" && block.linear && block.head) {
      block.scale = block.scale ? block.scale.map((s, c) => s * layer.scale[c]) : Float64Array.from(layer.scale);
    }
    block.shape = layer.out;
    shape = layer.out;
  }
  for (const b of blocks) delete b.linear;
  return blocks;
}

/** A unit's flat index in a block's output: {channel, row, col} of C x H x W, or {channel} of a vector. */
export function flatIndex(shape, { channel, row = 0, col = 0 }) {
  return shape.length === 3 ? (channel * shape[1] + row) * shape[2] + col : channel;
}

/** The unit at a flat index of a block's output. */
export function unitAt(shape, index) {
  if (shape.length !== 3) return { channel: index, row: 0, col: 0 };
  const [, H, W] = shape;
  return { channel: Math.floor(index / (H * W)), row: Math.floor(index / W) % H, col: index % W };
}

// ---- contributions ---------------------------------------------------------------------------------------

/**
 * Every input's contribution to one unit of `block`: [{index, value}] where `index` is the flat index in the
 * block before (`x`, its output) and `value` what that input adds to the unit's value before its activation:
 * activation x weight (x the batch-norm scale, if any) for a conv or an fc, a window's mean share for average
 * pooling, the maximum alone for max pooling (weight 1), the same unit for a block without a head.
 * Inputs that padding reads (zeros) add nothing and are left out.
 */
export function contributions(block, x, unit) {
  const { head, inShape, shape } = block;
  const o = unit.channel;
  const scale = block.scale ? block.scale[o] : 1;
  const out = [];
  if (!head) {
    const i = flatIndex(inShape, unit);
    out.push({ index: i, value: x[i] });
  } else if (head.kind === "fc") {
    const n = x.length, w = head.weight, row = o * n;
    for (let i = 0; i < n; i++) if (x[i] !== 0) out.push({ index: i, value: x[i] * w[row + i] * scale });
  } else {
    const [C, H, W] = inShape;
    const [kH, kW] = head.kernel, [sH, sW] = head.stride;
    const [pT, , pL] = head.kind === "conv" ? head.padding : [0, 0, 0, 0];
    const [dH, dW] = head.kind === "conv" ? head.dilation : [1, 1];
    const oy = shape.length === 3 ? unit.row : 0, ox = shape.length === 3 ? unit.col : 0;
    const channels = head.kind === "conv" ? [...Array(C).keys()] : [o]; // pooling: one map to one map
    for (const c of channels) {
      let best = -1;
      for (let ky = 0; ky < kH; ky++) {
        const iy = oy * sH - pT + ky * dH;
        if (iy < 0 || iy >= H) continue;
        for (let kx = 0; kx < kW; kx++) {
          const ix = ox * sW - pL + kx * dW;
          if (ix < 0 || ix >= W) continue;
          const i = (c * H + iy) * W + ix;
          if (head.kind === "conv") {
            const t = ((o * C + c) * kH + ky) * kW + kx;
            out.push({ index: i, value: x[i] * head.weight[t] * scale });
          } else if (head.kind === "avgpool") out.push({ index: i, value: (x[i] / (kH * kW)) * scale });
          else if (best < 0 || x[i] > x[best]) best = i;
        }
      }
      if (best >= 0) out.push({ index: best, value: x[best] * scale });
    }
  }
  return out;
}

/** The `k` contributions of largest size, largest first (ties: the lower index first). */
export function strongest(list, k) {
  return list
    .slice()
    .sort((a, b) => Math.abs(b.value) - Math.abs(a.value) || a.index - b.index)
    .slice(0, k);
}

/**
 * The "why" of a unit (usually the winning output): from it, the strongest positive contribution block by block
 * back to the input, greedily. `outputs[k]` is block k's output, `input` what the first block read.
 * Returns [{block: k, index}] from the unit to an input pixel (block -1); it stops early where a unit has no
 * positive contribution (nothing pushed it up). `region` is the input window of the last unit before the input
 * ([top, left, bottom, right] inclusive) when that unit is a conv's or a pooling's, else null.
 */
export function strongestPath(blocks, outputs, input, start, index) {
  const path = [{ block: start, index }];
  let region = null;
  for (let k = start; k >= 0; k--) {
    const block = blocks[k];
    const x = k > 0 ? outputs[k - 1] : input;
    let best = null;
    for (const c of contributions(block, x, unitAt(block.shape, path.at(-1).index))) {
      if (c.value > 0 && (!best || c.value > best.value)) best = c;
    }
    if (!best) return { path, region };
    if (k === 0) region = inputWindow(block, unitAt(block.shape, path.at(-1).index));
    path.push({ block: k - 1, index: best.index });
  }
  return { path, region };
}

/** The rows and columns of the block's input that one of its map units reads: [top, left, bottom, right]. */
export function inputWindow(block, unit) {
  const { head, inShape } = block;
  if (!head || head.kind === "fc" || inShape.length !== 3) return null;
  const [, H, W] = inShape;
  const [kH, kW] = head.kernel, [sH, sW] = head.stride;
  const [pT, , pL] = head.kind === "conv" ? head.padding : [0, 0, 0, 0];
  const [dH, dW] = head.kind === "conv" ? head.dilation : [1, 1];
  const clamp = (v, n) => Math.min(n - 1, Math.max(0, v));
  const top = unit.row * sH - pT, left = unit.col * sW - pL;
  return [clamp(top, H), clamp(left, W), clamp(top + (kH - 1) * dH, H), clamp(left + (kW - 1) * dW, W)];
}

// ---- layout: where each block's maps go in one picture ---------------------------------------------------

export const LAYOUT = {
  label: 16, // px above each column for its name
  gap: 2, // px between maps of one block
  columnGap: 18, // px between blocks: room for the links
  rowGap: 10, // px between bands when the picture wraps
  mapPx: 28, // a map is drawn about this large (an integer scale of its pixels)
  inputPx: 56, // the input larger: the picture starts from the digit
  unitPx: 6, // one unit of a vector (or a 1 x 1 map)
  outputPx: 14, // one output unit: its digit is written beside it
  maxHeight: 190, // px of maps per column before they go into another column
};

/**
 * Where every column goes: `columns` = [{name, shape, x, y, cols, cell, scale, W, H, C, w, h}] (the input first,
 * then each block), in a picture at most `maxWidth` px wide: blocks that do not fit go to a new band underneath
 * (a phone's narrow column), in forward order. Pure: the same shapes and width give the same layout.
 */
export function layout(columns, maxWidth = Infinity, o = LAYOUT, labelWidth = (name) => 6.5 * name.length) {
  const placed = columns.map(({ name, shape }, k) => {
    const map = shape.length === 3 && shape[1] * shape[2] > 1;
    const [C, H, W] = map ? shape : [shape.length === 3 ? shape[0] : shape[0], 1, 1];
    const last = k === columns.length - 1;
    const target = k === 0 ? o.inputPx : o.mapPx;
    const scale = map ? Math.max(1, Math.floor(target / Math.max(H, W))) : last ? o.outputPx : o.unitPx;
    const cellW = W * scale + o.gap, cellH = H * scale + o.gap;
    const rows = Math.max(1, Math.min(C, Math.floor((o.maxHeight + o.gap) / cellH)));
    const cols = Math.ceil(C / rows);
    const units = cols * cellW - o.gap + (last && !map ? 12 : 0); // the output's digits beside its units
    const w = Math.max(units, Math.ceil(labelWidth(name)));
    const h = Math.ceil(C / cols) * cellH - o.gap;
    return { name, shape, C, H, W, scale, cols, rows: Math.ceil(C / cols), cellW, cellH, w, h, map };
  });
  let x = 1, y = 0, band = 0, width = 0; // 1 px: room for the frames around the maps
  for (const c of placed) {
    if (x > 1 && x + c.w + 1 > maxWidth) {
      y += band + o.rowGap;
      x = 1;
      band = 0;
    }
    Object.assign(c, { x, y: y + o.label });
    x += c.w + o.columnGap;
    width = Math.max(width, x - o.columnGap);
    band = Math.max(band, o.label + c.h);
  }
  return { columns: placed, width: width + 1, height: y + band + 1 };
}

/** The rectangle [x, y, w, h] of a unit (flat index) of column `k`. */
export function unitRect(lay, k, index) {
  const c = lay.columns[k];
  const { channel, row, col } = c.map ? unitAt(c.shape, index) : { channel: index, row: 0, col: 0 };
  const gx = channel % c.cols, gy = Math.floor(channel / c.cols);
  return [c.x + gx * c.cellW + col * c.scale, c.y + gy * c.cellH + row * c.scale, c.scale, c.scale];
}

/** The unit under a point: {column, index} or null (a gap, a label, outside). */
export function hitTest(lay, px, py) {
  for (const [k, c] of lay.columns.entries()) {
    if (px < c.x || py < c.y || px >= c.x + c.cols * c.cellW || py >= c.y + c.rows * c.cellH) continue;
    const gx = Math.floor((px - c.x) / c.cellW), gy = Math.floor((py - c.y) / c.cellH);
    const channel = gy * c.cols + gx;
    const col = Math.floor((px - c.x - gx * c.cellW) / c.scale), row = Math.floor((py - c.y - gy * c.cellH) / c.scale);
    if (channel >= c.C || col >= c.W || row >= c.H) return null;
    return { column: k, index: c.map ? flatIndex(c.shape, { channel, row, col }) : channel };
  }
  return null;
}

/**
 * The keyboard's moves: Left/Right the block before or after (the same place, proportionally), Up/Down the map
 * (or unit) before or after, and with Shift the row or column inside a map. Column 0 (the input) is not a unit
 * to trace, so the cursor stays from column 1 on. Returns the new {column, index}.
 */
export function moveCursor(lay, cursor, key, shift = false) {
  const c = lay.columns[cursor.column];
  const u = c.map ? unitAt(c.shape, cursor.index) : { channel: cursor.index, row: 0, col: 0 };
  const at = (k, unit) => {
    const d = lay.columns[k];
    const clamp = (v, n) => Math.min(n - 1, Math.max(0, v));
    const ch = clamp(unit.channel, d.C);
    return { column: k, index: d.map ? flatIndex(d.shape, { channel: ch, row: clamp(unit.row, d.H), col: clamp(unit.col, d.W) }) : ch };
  };
  if (shift && c.map) {
    const dy = key === "ArrowUp" ? -1 : key === "ArrowDown" ? 1 : 0, dx = key === "ArrowLeft" ? -1 : key === "ArrowRight" ? 1 : 0;
    return at(cursor.column, { ...u, row: u.row + dy, col: u.col + dx });
  }
  if (key === "ArrowUp" || key === "ArrowDown") return at(cursor.column, { ...u, channel: u.channel + (key === "ArrowUp" ? -1 : 1) });
  if (key === "ArrowLeft" || key === "ArrowRight") {
    const k = Math.min(lay.columns.length - 1, Math.max(1, cursor.column + (key === "ArrowLeft" ? -1 : 1)));
    if (k === cursor.column) return cursor;
    const d = lay.columns[k];
    const share = (v, from, to) => Math.floor(((v + 0.5) * to) / from);
    return at(k, { channel: share(u.channel, c.C, d.C), row: share(u.row, c.H, d.H), col: share(u.col, c.W, d.W) });
  }
  return cursor;
}

// ---- the component ---------------------------------------------------------------------------------------

const LINKS = 12; // the strongest contributions drawn for a selected unit
// ColorBrewer PuOr, as the app's signed pictures (lenet/figures/theme.py DIVERGING): positive orange, negative
// purple, both readable with every common colour-vision deficiency; the sign is in the line's dash as well.
const POSITIVE = "#e66101";
const NEGATIVE = "#5e3c99";
const PATH = "#1b9e77"; // the path of the "why": a third hue, and thicker, with a box at every step

const states = new WeakMap();

function fill(template, params) {
  return (template || "").replace(/\{(\w+)\}/g, (_, k) => String(params[k] ?? ""));
}

/** The unit in words, with the page's own templates (the trace's, so the two agree). */
function unitWords(st, column, index) {
  const c = st.layout.columns[column];
  const u = c.map ? unitAt(c.shape, index) : { channel: index, row: 0, col: 0 };
  const L = st.labels;
  if (column === st.layout.columns.length - 1) return fill(L.cell_output, u);
  if (!c.map && c.shape.length !== 3) return fill(L.cell_unit, { layer: c.name, ...u });
  return fill(L.cell_map, { layer: c.name, ...u });
}

/** The unit as the server's `trace` key takes it. */
function traceKey(st, column, index) {
  const c = st.layout.columns[column];
  if (c.shape.length !== 3) return { layer: c.name, channel: index };
  const u = unitAt(c.shape, index);
  return { layer: c.name, channel: u.channel, row: u.row, col: u.col };
}

function fromTraceKey(st, key) {
  if (!key || !st.layout) return null;
  const k = st.layout.columns.findIndex((c, i) => i > 0 && c.name === key.layer);
  if (k < 0) return null;
  const c = st.layout.columns[k];
  const channel = Number(key.channel), row = Number(key.row ?? 0), col = Number(key.col ?? 0);
  if (!(channel >= 0 && channel < c.shape[0])) return null;
  if (c.shape.length === 3 && !(row >= 0 && row < c.shape[1] && col >= 0 && col < c.shape[2])) return null;
  return { column: k, index: flatIndex(c.shape, { channel, row, col }) };
}

function setLayout(st) {
  const columns = [{ name: st.labels.input || "input", shape: st.model.manifest.input }];
  for (const b of st.blocks) columns.push({ name: b.name, shape: b.shape });
  const width = Math.max(200, (st.scroll.clientWidth || 700) - 16); // the box's padding and outline
  st.linksCtx.font = FONT;
  const lay = layout(columns, width, LAYOUT, (name) => st.linksCtx.measureText(name).width);
  st.layout = lay;
  st.image = new ImageData(lay.width, lay.height);
  st.pixels = new Uint32Array(st.image.data.buffer); // one 32-bit word per pixel
  // Each unit's top-left pixel (y * width + x), column by column: paintMaps reads them on every frame.
  st.origins = lay.columns.map((c, k) => {
    const origin = new Int32Array(c.C * c.H * c.W);
    for (let i = 0; i < origin.length; i++) {
      const [x, y] = unitRect(lay, k, i);
      origin[i] = y * lay.width + x;
    }
    return origin;
  });
  st.greys = st.origins.map((origin) => new Uint16Array(origin.length).fill(256)); // nothing painted yet
  st.fullPut = true;
  st.linksDrawn = false;
  frameMaps(st);
  // Where the page has room, the picture is drawn larger (at most twice): the maps as pixels, the lines sharp.
  const zoom = Math.min(2, Math.max(1, width / lay.width)), dpr = window.devicePixelRatio || 1;
  st.maps.width = lay.width;
  st.maps.height = lay.height;
  st.links.width = Math.round(lay.width * zoom * dpr);
  st.links.height = Math.round(lay.height * zoom * dpr);
  st.linksCtx.setTransform(zoom * dpr, 0, 0, zoom * dpr, 0, 0);
  for (const element of [st.maps, st.links, st.box]) {
    element.style.width = `${lay.width * zoom}px`;
    element.style.height = `${lay.height * zoom}px`;
  }
  st.layoutWidth = width + 16;
  // For tests: where each column lies, in the picture's own px (the box shows them `zoom` times larger).
  const where = lay.columns.map(({ name, x, y, cols, cellW, cellH, scale, C, H, W }) => ({ name, x, y, cols, cellW, cellH, scale, C, H, W }));
  st.box.dataset.layout = JSON.stringify({ zoom, columns: where });
  st.selected = fromTraceKey(st, st.serverSelected);
  st.cursor ??= st.selected ?? { column: 1, index: 0 };
  if (st.cursor.column >= lay.columns.length) st.cursor = { column: 1, index: 0 };
  markUnit(st);
}

const FONT = "11px sans-serif";
const FRAME = 136; // grey: a 1 px frame around every map and unit, so that white (the highest value) shows too

/** Frames around every map (in the 2 px gaps between them), painted once per layout: the maps never touch them. */
function frameMaps(st) {
  const { layout: lay, image } = st;
  const px = image.data, W = lay.width, H = lay.height;
  const dot = (x, y) => {
    if (x < 0 || y < 0 || x >= W || y >= H) return;
    const o = 4 * (y * W + x);
    px[o] = px[o + 1] = px[o + 2] = FRAME;
    px[o + 3] = 255;
  };
  lay.columns.forEach((c, k) => {
    for (let ch = 0; ch < c.C; ch++) {
      const [x0, y0] = unitRect(lay, k, c.map ? ch * c.H * c.W : ch);
      const w = c.W * c.scale, h = c.H * c.scale;
      for (let x = x0 - 1; x <= x0 + w; x++) dot(x, y0 - 1), dot(x, y0 + h);
      for (let y = y0; y < y0 + h; y++) dot(x0 - 1, y), dot(x0 + w, y);
    }
  });
}

// Grey level g as one RGBA pixel: the same byte in R, G and B, opaque (a Uint32 word, little-endian).
const GREYS = Uint32Array.from({ length: 256 }, (_, g) => (0xff000000 | (g * 0x010101)) >>> 0);

/** The maps: every column's values as greys (each block scaled to its own range). Every unit's place in the picture
 * was worked out with the layout (`st.origins`), so a frame only writes pixels, and only those of units whose grey
 * changed since the last frame (`st.greys`: most of a drawing's maps keep their grey from one frame to the next,
 * the background and the zeros after ReLU); one putImageData then sends the rectangle of the columns that changed. */
function paintMaps(st) {
  const { layout: lay, pixels, origins, greys } = st;
  let x0 = lay.width, y0 = lay.height, x1 = 0, y1 = 0; // the columns that changed: [x0, x1) x [y0, y1)
  for (let k = 0; k < lay.columns.length; k++) {
    const c = lay.columns[k];
    if (!paintColumn(pixels, lay.width, st.values[k], origins[k], c.scale, greys[k])) continue;
    x0 = Math.min(x0, c.x);
    y0 = Math.min(y0, c.y);
    x1 = Math.max(x1, c.x + c.cols * c.cellW);
    y1 = Math.max(y1, c.y + c.rows * c.cellH);
  }
  if (st.fullPut) st.mapsCtx.putImageData(st.image, 0, 0); // a layout's first paint: the frames around the maps too
  else if (x1 > x0) st.mapsCtx.putImageData(st.image, 0, 0, x0, y0, x1 - x0, y1 - y0);
  st.fullPut = false;
}

/** One column's units (`data`, or none: black) as greys into `pixels` (`W` px a row); a unit is `s` x `s` px from
 * its `origin`. `last` holds each unit's grey as painted (256: never); returns how many units changed. */
function paintColumn(pixels, W, data, origin, s, last) {
  let lo = Infinity, hi = -Infinity;
  if (data) {
    for (let i = 0; i < origin.length; i++) {
      const v = data[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  const span = hi > lo ? 255 / (hi - lo) : 0;
  let changed = 0;
  for (let i = 0; i < origin.length; i++) {
    const g = data ? ((data[i] - lo) * span + 0.5) | 0 : 0; // 0 to 255
    if (g === last[i]) continue;
    last[i] = g;
    changed++;
    const grey = GREYS[g];
    for (let y = 0, o = origin[i]; y < s; y++, o += W) for (let x = 0; x < s; x++) pixels[o + x] = grey;
  }
  return changed;
}

function centre(lay, k, index) {
  const [x, y, s] = unitRect(lay, k, index);
  return [x + s / 2, y + s / 2];
}

/** Names, digits, the cursor, the selection, its links and (for an output unit) the path: the second canvas. */
function paintLinks(st) {
  const { layout: lay, linksCtx: ctx } = st;
  st.linksDrawn = true;
  ctx.clearRect(0, 0, lay.width, lay.height);
  const text = getComputedStyle(st.root).color || "#31333f";
  ctx.fillStyle = text;
  ctx.font = FONT;
  ctx.textBaseline = "alphabetic";
  lay.columns.forEach((c) => ctx.fillText(c.name, c.x, c.y - 4, Math.max(c.w, 40)));
  const last = lay.columns.length - 1, out = lay.columns[last];
  if (!out.map) for (let d = 0; d < out.C; d++) {
    const [x, y, s] = unitRect(lay, last, d);
    ctx.fillText(String(d), x + s + 2, y + s - 2);
  }
  st.overview.dataset.links = "0";
  st.overview.dataset.path = "[]";
  const sel = st.selected;
  if (sel && st.values[sel.column] && st.ready) {
    const block = st.blocks[sel.column - 1];
    const links = strongest(contributions(block, st.values[sel.column - 1], unitAt(block.shape, sel.index)), LINKS);
    const top = Math.max(1e-12, ...links.map((l) => Math.abs(l.value)));
    const [tx, ty] = centre(lay, sel.column, sel.index);
    for (const l of links) {
      const [fx, fy] = centre(lay, sel.column - 1, l.index);
      ctx.strokeStyle = l.value >= 0 ? POSITIVE : NEGATIVE;
      ctx.setLineDash(l.value >= 0 ? [] : [4, 3]);
      ctx.lineWidth = 0.5 + 3.5 * (Math.abs(l.value) / top);
      ctx.beginPath();
      ctx.moveTo(fx, fy);
      ctx.lineTo(tx, ty);
      ctx.stroke();
    }
    ctx.setLineDash([]);
    st.overview.dataset.links = String(links.length);
    if (sel.column === last && sel.index === st.digit) paintPath(st, sel);
    ctx.strokeStyle = text;
    ctx.lineWidth = 2;
    const [x, y, s] = unitRect(lay, sel.column, sel.index);
    ctx.strokeRect(x - 2, y - 2, s + 4, s + 4);
  }
  if (st.focused && st.cursor) {
    const [x, y, s] = unitRect(lay, st.cursor.column, st.cursor.index);
    ctx.strokeStyle = text;
    ctx.lineWidth = 1;
    ctx.setLineDash([2, 2]);
    ctx.strokeRect(x - 4, y - 4, s + 8, s + 8);
    ctx.setLineDash([]);
  }
}

function paintPath(st, sel) {
  const { layout: lay, linksCtx: ctx } = st;
  const { path, region } = strongestPath(st.blocks, st.values.slice(1), st.values[0], sel.column - 1, sel.index);
  ctx.strokeStyle = PATH;
  ctx.lineWidth = 3;
  ctx.beginPath();
  path.forEach((p, i) => {
    const [x, y] = centre(lay, p.block + 1, p.index);
    if (i) ctx.lineTo(x, y);
    else ctx.moveTo(x, y);
  });
  ctx.stroke();
  for (const p of path) {
    const [x, y, s] = unitRect(lay, p.block + 1, p.index);
    ctx.strokeRect(x - 1.5, y - 1.5, s + 3, s + 3);
  }
  if (region && path.at(-1).block === -1) {
    const [x0, y0] = unitRect(lay, 0, region[0] * lay.columns[0].W + region[1]);
    const [x1, y1, s] = unitRect(lay, 0, region[2] * lay.columns[0].W + region[3]);
    ctx.setLineDash([6, 3]);
    ctx.strokeRect(x0 - 1, y0 - 1, x1 + s - x0 + 2, y1 + s - y0 + 2);
    ctx.setLineDash([]);
  }
  st.overview.dataset.path = JSON.stringify(
    path.map((p) => (p.block < 0 ? { layer: "input", ...unitAt(st.layout.columns[0].shape, p.index) } : traceKey(st, p.block + 1, p.index))),
  );
}

/** One reading of the drawing (or none): the values every column shows, then paint. */
function show(st, detail) {
  if (!detail || !detail.model) return;
  if (st.model !== detail.model) {
    st.model = detail.model;
    st.blocks = networkBlocks(detail.model);
    setLayout(st);
  }
  const out = detail.out;
  if (out) {
    // The block outputs are the model's own buffers: read now, in this frame, as forward.js asks.
    st.values = [detail.model.input, ...st.blocks.map((b) => out.blocks[b.name].data)];
    st.digit = out.digit;
    st.ready = true;
  } else {
    st.values = [null, ...st.blocks.map(() => null)];
    st.ready = false;
  }
  st.overview.hidden = false;
  paintMaps(st);
  // Names, digits and the cursor do not change with the drawing: the second canvas is painted again on a frame
  // only while a unit is selected (its links and path follow the drawing).
  if (st.selected || !st.linksDrawn) paintLinks(st);
}

/** `data-unit`: the selected unit as the `trace` key takes it (empty: none), for tests and the page. */
function markUnit(st) {
  const sel = st.selected;
  st.overview.dataset.unit = sel ? JSON.stringify(traceKey(st, sel.column, sel.index)) : "";
}

/** Say the selection in the live region (on a selection only: never on a frame, a screen reader would chatter). */
function announce(st) {
  const sel = st.selected;
  markUnit(st);
  if (!sel) {
    st.status.textContent = "";
    return;
  }
  const words = unitWords(st, sel.column, sel.index);
  const path = sel.column === st.layout.columns.length - 1 && sel.index === st.digit ? ` ${st.labels.path_shown || ""}` : "";
  st.status.textContent = `${fill(st.labels.selected, { unit: words })}${path}`;
}

function select(st, cell, setStateValue) {
  st.selected = cell;
  st.cursor = cell;
  st.sent = (st.sent || 0) + 1;
  announce(st);
  paintLinks(st);
  setStateValue("pick", { ...traceKey(st, cell.column, cell.index), n: st.sent });
}

function listen(st, setStateValue) {
  const signal = (st.listening = new AbortController()).signal;
  document.addEventListener("lenet-live", (e) => show(st, e.detail), { signal });
  st.overview.addEventListener(
    "click",
    (e) => {
      if (!st.layout) return;
      const r = st.links.getBoundingClientRect();
      const x = ((e.clientX - r.left) * st.layout.width) / (r.width || st.layout.width);
      const y = ((e.clientY - r.top) * st.layout.height) / (r.height || st.layout.height);
      const hit = hitTest(st.layout, x, y);
      if (hit && hit.column > 0) select(st, hit, setStateValue);
    },
    { signal },
  );
  st.overview.addEventListener(
    "keydown",
    (e) => {
      if (!st.layout) return;
      if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        select(st, st.cursor, setStateValue);
      } else if (e.key.startsWith("Arrow")) {
        e.preventDefault();
        st.cursor = moveCursor(st.layout, st.cursor, e.key, e.shiftKey);
        st.status.textContent = unitWords(st, st.cursor.column, st.cursor.index);
        paintLinks(st);
      }
    },
    { signal },
  );
  for (const [kind, on] of [["focus", true], ["blur", false]]) {
    st.overview.addEventListener(
      kind,
      () => {
        st.focused = on;
        if (st.layout) paintLinks(st);
      },
      { signal },
    );
  }
  new ResizeObserver(() => {
    // Laid out again in the next frame, not inside the callback: resizing the picture there resizes the box it
    // observes in the same frame, and the browser reports "ResizeObserver loop completed with undelivered
    // notifications" as a page error (bench/draw_latency.py counted it).
    cancelAnimationFrame(st.resizeFrame);
    st.resizeFrame = requestAnimationFrame(() => {
      if (st.model && st.layout && st.scroll.clientWidth !== st.layoutWidth) {
        setLayout(st);
        paintMaps(st);
        paintLinks(st);
      }
    });
  }).observe(st.scroll);
}

function setup(parentElement) {
  const root = parentElement.querySelector(".overview-root");
  const maps = root.querySelector(".overview-maps"), links = root.querySelector(".overview-links");
  return {
    root,
    overview: root.querySelector(".overview"),
    scroll: root.querySelector(".overview-scroll"),
    box: root.querySelector(".overview-box"),
    status: root.querySelector(".overview-unit"),
    legend: root.querySelector(".overview-legend"),
    maps,
    links,
    mapsCtx: maps.getContext("2d"),
    linksCtx: links.getContext("2d"),
    labels: {},
    values: [],
  };
}

/** The legend and the explanation: every colour, line and number of the picture, in the page's language. */
function writeLegend(st) {
  const L = st.labels;
  const items = [
    ["maps", L.legend_maps],
    ["positive", L.legend_positive],
    ["negative", L.legend_negative],
    ["width", L.legend_width],
    ["path", L.legend_path],
    ["selected", L.legend_selected],
  ];
  st.legend.replaceChildren();
  st.root.querySelector(".overview-title").textContent = L.title || "";
  const list = document.createElement("ul");
  for (const [kind, text] of items) {
    const li = document.createElement("li");
    const swatch = document.createElement("span");
    swatch.className = `overview-swatch overview-swatch-${kind}`;
    swatch.setAttribute("aria-hidden", "true");
    const words = document.createElement("span");
    words.textContent = text || "";
    li.append(swatch, words);
    list.append(li);
  }
  const help = document.createElement("p");
  help.className = "overview-help";
  help.textContent = L.help || "";
  st.legend.append(list, help);
}

export default function overviewComponent({ parentElement, data, setStateValue }) {
  let st = states.get(parentElement);
  if (!st || st.root !== parentElement.querySelector(".overview-root")) {
    st?.listening?.abort();
    st = setup(parentElement);
    states.set(parentElement, st);
  }
  data = data || {};
  const labels = data.labels || {};
  if (JSON.stringify(labels) !== JSON.stringify(st.labels)) {
    st.labels = labels;
    writeLegend(st);
    st.overview.setAttribute("aria-label", labels.picture || "");
    st.layout = null;
    st.model = null; // the input's name is a label: lay out again with the next reading
  }
  st.serverSelected = data.selected || null;
  if (st.layout) {
    const sel = fromTraceKey(st, st.serverSelected);
    if (JSON.stringify(sel) !== JSON.stringify(st.selected)) {
      st.selected = sel;
      if (sel) st.cursor = sel;
      announce(st);
      paintLinks(st);
    }
  }
  if (!st.listening || st.listening.signal.aborted) listen(st, setStateValue);
  document.dispatchEvent(new CustomEvent("lenet-live-request")); // the surface reads the drawing again for us
  return () => st.listening?.abort();
}
