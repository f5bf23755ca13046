// The drawing surface: a Streamlit components-v2 component (surface.py registers it; no iframe, no build step).
//
// It takes mouse, touch and pen pointer events on one <canvas class="draw-surface">, and, while the pen moves,
// reads the drawing in the browser on every animation frame in which it changed: preprocess.js (canvas RGBA ->
// MNIST's 28 x 28), forward.js (the selected checkpoint's weights), then paints the answer and the ten
// probabilities; the overview (overview.js, a component of its own) paints every block's maps from the same
// reading in the same frame. Nothing goes to the server while the pen moves: when a stroke ends it
// sends one value, `drawing` = {nonce, strokes, png, image}, and the server draws the deeper parts.
//
// `data` (from the server): {nonce, strokes, brush, labels, weights}. A new `nonce` loads `strokes` (Clear,
// Undo, a Send in class mode); `weights` = {version, manifest, blob} are fetched once per version from the app
// itself and kept for the page's life. Every text comes from `labels` and is set as text, never as HTML.

const SIZE = 280; // px; the canvas's own pixels, whatever size it is shown at (a phone shrinks it)
const MAP_PX = 56; // px: the side a map is painted at
const MAX_WEIGHT_BYTES = 16 * 1024 * 1024; // a checkpoint bigger than this is not read in the browser
const INK_MARGIN = 2; // px around a stroke's pen width that anti-aliasing may still touch
const BLANK = { image: new Uint8Array(28 * 28), empty: true }; // the reading of a canvas with no ink

import { activeModel, useHistory } from "./history.js";

const states = new WeakMap(); // parentElement -> the surface's state; the function runs again when data changes
const models = new Map(); // weights version -> Promise of the loaded network, shared by every surface
let engine = null; // Promise of {preprocess, forward, loadWeights}: the pure modules, imported once

// --- pure helpers (no DOM) --------------------------------------------------------------------------------

/** The strokes as sent: [{w, p: [x0, y0, x1, y1, ...]}], coordinates to one decimal place. */
export function packStrokes(strokes) {
  return strokes.map((s) => ({ w: s.w, p: s.p.map((v) => Math.round(v * 10) / 10) }));
}

/** Strokes from the server, checked: anything that is not a list of {w, p} with numbers is dropped. */
export function readStrokes(value) {
  if (!Array.isArray(value)) return [];
  const out = [];
  for (const s of value) {
    if (!s || !Array.isArray(s.p) || !(s.p.length >= 2) || !Number.isFinite(s.w)) continue;
    const p = s.p.filter((v) => Number.isFinite(v));
    if (p.length >= 2 && p.length % 2 === 0) out.push({ w: s.w, p });
  }
  return out;
}

/** bytes (Uint8Array) -> base64, in chunks (String.fromCharCode takes a bounded number of arguments). */
function toBase64(bytes) {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x2000) text += String.fromCharCode(...bytes.subarray(i, i + 0x2000));
  return btoa(text);
}

// --- drawing --------------------------------------------------------------------------------------------

function pen(ctx, width) {
  ctx.strokeStyle = "#fff";
  ctx.fillStyle = "#fff";
  ctx.lineWidth = width;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
}

/** Widen the ink's window [top, bottom, left, right) to cover a pen of width w at (x, y); returns it. */
function cover(ink, x, y, w) {
  const r = w / 2 + INK_MARGIN;
  const box = ink ?? [SIZE, 0, SIZE, 0];
  box[0] = Math.max(0, Math.min(box[0], Math.floor(y - r)));
  box[1] = Math.min(SIZE, Math.max(box[1], Math.ceil(y + r)));
  box[2] = Math.max(0, Math.min(box[2], Math.floor(x - r)));
  box[3] = Math.min(SIZE, Math.max(box[3], Math.ceil(x + r)));
  return box;
}

/** One segment of a stroke: from point i-1 to point i (a lone point is a disc); the ink's window covers it. */
function drawSegment(st, stroke, i) {
  const ctx = st.ctx, p = stroke.p;
  for (const j of i > 0 ? [i - 1, i] : [i]) {
    st.ink = cover(st.ink, p[2 * j], p[2 * j + 1], stroke.w);
    st.fresh = cover(st.fresh, p[2 * j], p[2 * j + 1], stroke.w); // read back on the next frame
  }
  pen(ctx, stroke.w);
  if (i === 0) {
    ctx.beginPath();
    ctx.arc(p[0], p[1], stroke.w / 2, 0, 2 * Math.PI);
    ctx.fill();
    return;
  }
  ctx.beginPath();
  ctx.moveTo(p[2 * i - 2], p[2 * i - 1]);
  ctx.lineTo(p[2 * i], p[2 * i + 1]);
  ctx.stroke();
}

function redraw(st) {
  st.ctx.clearRect(0, 0, SIZE, SIZE);
  st.ink = null;
  st.kept = null; // the kept grey starts again from a blank canvas (the next reading allocates it)
  st.fresh = null;
  for (const s of st.strokes) for (let i = 0; i < s.p.length / 2; i++) drawSegment(st, s, i);
}

// --- the live reading -----------------------------------------------------------------------------------

function loadEngine() {
  // The pure modules travel inside this one (surface.py inlines them as data: URLs): no request at all.
  engine ??= Promise.all([import("./preprocess.js"), import("./forward.js")]).then(([pre, fwd]) => ({
    inkCanvas: pre.inkCanvas,
    updateInk: pre.updateInk,
    preprocess: pre.keptToInput,
    normalise: fwd.normalise,
    forward: fwd.forward,
    loadWeights: fwd.loadModel,
  }));
  return engine;
}

/** The network of one weights version: fetched from the app (same origin only), once per page. */
function loadModel(weights) {
  if (!models.has(weights.version)) {
    const same = (url) => new URL(url, location.href).origin === location.origin;
    const job = (async () => {
      if (!same(weights.manifest) || !same(weights.blob)) throw new Error("weights must come from the app");
      const { loadWeights } = await loadEngine();
      const [manifest, blob] = await Promise.all([
        fetch(weights.manifest).then((r) => (r.ok ? r.json() : Promise.reject(new Error(r.statusText)))),
        fetch(weights.blob).then((r) => (r.ok ? r.arrayBuffer() : Promise.reject(new Error(r.statusText)))),
      ]);
      if (blob.byteLength > MAX_WEIGHT_BYTES) throw new Error("too large");
      return loadWeights(manifest, blob);
    })();
    job.catch(() => models.delete(weights.version)); // a later mount may try again
    models.set(weights.version, job);
  }
  return models.get(weights.version);
}

/** An element's text, written only when it changes (a write invalidates layout even when equal). */
function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

function setData(element, key, value) {
  if (element.dataset[key] !== value) element.dataset[key] = value;
}

function paintProbs(st, probs) {
  if (st.bars.length !== 10) {
    st.probs.replaceChildren();
    st.bars = [];
    for (let d = 0; d < 10; d++) {
      const bar = document.createElement("div");
      bar.className = "live-bar";
      const fill = document.createElement("i");
      const label = document.createElement("span");
      label.textContent = String(d);
      bar.append(fill, label);
      st.probs.append(bar);
      st.bars.push({ fill, px: -1 });
    }
  }
  for (let d = 0; d < 10; d++) {
    const bar = st.bars[d], px = probs ? Math.round(probs[d] * 24) : 0;
    if (bar.px !== px) bar.fill.style.height = `${(bar.px = px)}px`; // only a bar that moved touches the page
  }
}

/** Read the drawing now and paint the answer and the probabilities (the overview, overview.js, paints every block's
 * maps from the same reading); returns the 28 x 28 or null. `data-ms` is the whole update; `data-split` its parts
 * (ms: reading the canvas back, preprocess, forward, answer and bars, the overview), for bench/draw_live.py. */
function readNow(st) {
  const t0 = performance.now();
  const { inkCanvas, updateInk, preprocess, normalise, forward } = st.engine;
  let input = BLANK; // {image: 28 x 28 uint8, empty}
  let t1 = t0, t2 = t0, t3, t4;
  if (st.ink && st.ink[1] > st.ink[0] && st.ink[3] > st.ink[2]) {
    // The canvas's grey is kept (preprocess.js inkCanvas): only the window the strokes touched since the last
    // reading is read back; outside the ink the canvas is transparent black, and the reading is the same.
    const made = !st.kept;
    st.kept ??= inkCanvas(SIZE, SIZE);
    const fresh = made ? st.ink : st.fresh; // a kept grey made just now reads the whole ink window
    st.fresh = null;
    if (fresh && fresh[1] > fresh[0] && fresh[3] > fresh[2]) {
      const [top, bottom, left, right] = fresh;
      const rgba = st.ctx.getImageData(left, top, right - left, bottom - top);
      updateInk(st.kept, rgba.data, top, left, rgba.width, rgba.height);
    }
    t1 = performance.now();
    input = preprocess(st.kept); // keptToInput: as canvasToInput would read the whole canvas
    t2 = performance.now();
  }
  const model = activeModel(st); // the checkpoint, or the training snapshot the scrubber is on (history.js)
  let out = null;
  if (input.empty) {
    t3 = performance.now();
    setText(st.answer, "");
    setData(st.answer, "probs", "null");
    paintProbs(st, null);
  } else {
    out = forward(model, normalise(model, input.image)); // {blocks: {name: {data, shape}}, probs, digit}
    t3 = performance.now();
    setText(st.answer, String(out.digit));
    setData(st.answer, "probs", JSON.stringify(Array.from(out.probs)));
    paintProbs(st, out.probs);
  }
  t4 = performance.now();
  // The overview (overview.js) paints from this reading, the model that made it, in this frame (in data-ms too).
  document.dispatchEvent(new CustomEvent("lenet-live", { detail: { model, out } }));
  const t5 = performance.now();
  const ms = (a, b) => (b - a).toFixed(2);
  st.answer.dataset.split = `${ms(t0, t1)} ${ms(t1, t2)} ${ms(t2, t3)} ${ms(t3, t4)} ${ms(t4, t5)}`;
  st.answer.dataset.ms = ms(t0, t5);
  return input;
}

function scheduleRead(st) {
  if (st.frame || !st.model) return;
  st.frame = requestAnimationFrame(() => {
    st.frame = 0;
    if (st.dirty && st.model) {
      st.dirty = false;
      st.lastInput = readNow(st);
    }
  });
}

/** Use the weights of `weights` (a new checkpoint): loaded once, then read the drawing with them. */
function useWeights(st, weights) {
  if (!weights || st.weightsVersion === weights.version) return;
  if (st.active) {
    st.waitingWeights = weights; // mid-stroke: the stroke finishes with the old weights, then this switches
    return;
  }
  st.weightsVersion = weights.version;
  st.status.textContent = "";
  loadModel(weights).then(
    (model) => {
      if (st.weightsVersion !== weights.version) return;
      st.model = model;
      st.live.hidden = false;
      st.dirty = true;
      scheduleRead(st);
    },
    () => {
      if (st.weightsVersion !== weights.version) return;
      st.model = null; // the server's answer after each stroke stands in
      st.live.hidden = false;
      st.answer.textContent = "";
      st.answer.dataset.probs = "null";
      st.status.textContent = st.labels.weights_failed || "";
    },
  );
}

// --- the component ------------------------------------------------------------------------------------------

function send(st, setStateValue) {
  let image = null;
  if (st.model && st.engine) {
    const input = readNow(st); // the drawing as it ended: the same 28 x 28 the server will read
    image = input.empty ? null : toBase64(input.image);
  }
  setStateValue("drawing", {
    nonce: st.nonce,
    strokes: packStrokes(st.strokes),
    png: st.canvas.toDataURL("image/png"),
    image,
  });
}

function listen(st, setStateValue) {
  const signal = (st.listening = new AbortController()).signal;
  const canvas = st.canvas;
  const at = (e) => {
    // Measured on every event: a tablet turned mid-stroke moves and resizes the canvas, and nothing is lost.
    const r = canvas.getBoundingClientRect();
    return [((e.clientX - r.left) * SIZE) / (r.width || SIZE), ((e.clientY - r.top) * SIZE) / (r.height || SIZE)];
  };
  const end = (e) => {
    if (st.active === null || e.pointerId !== st.active) return;
    st.active = null;
    send(st, setStateValue);
    if (st.waitingWeights) {
      const next = st.waitingWeights;
      st.waitingWeights = null;
      useWeights(st, next);
    }
  };
  canvas.addEventListener(
    "pointerdown",
    (e) => {
      // One pointer draws at a time: a second finger (or the palm) is ignored until the first lifts.
      if (st.active !== null || (e.pointerType === "mouse" && e.button !== 0)) return;
      st.active = e.pointerId;
      if (e.pointerType !== "touch") {
        // A mouse or a pen leaving the canvas and coming back continues the stroke (a finger is captured anyway).
        try {
          canvas.setPointerCapture(e.pointerId);
        } catch {
          // a pointer the browser does not track: the stroke still ends on pointerup
        }
      }
      const stroke = { w: st.brush, p: at(e) };
      st.strokes.push(stroke);
      drawSegment(st, stroke, 0);
      st.dirty = true;
      scheduleRead(st);
    },
    { signal },
  );
  canvas.addEventListener(
    "pointermove",
    (e) => {
      if (e.pointerId !== st.active) return;
      const stroke = st.strokes[st.strokes.length - 1];
      const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [];
      for (const ev of events.length ? events : [e]) {
        stroke.p.push(...at(ev));
        drawSegment(st, stroke, stroke.p.length / 2 - 1);
      }
      st.dirty = true;
      scheduleRead(st);
    },
    { signal },
  );
  // The overview, mounted after a reading, asks for one.
  document.addEventListener("lenet-live-request", () => ((st.dirty = true), scheduleRead(st)), { signal });
  // A finger's touches stay the canvas's own: no tap, double tap or gesture in the browser is built from them.
  canvas.addEventListener("touchstart", (e) => e.preventDefault(), { signal, passive: false });
  for (const kind of ["pointerup", "pointercancel", "lostpointercapture"]) {
    canvas.addEventListener(kind, end, { signal });
  }
}

function setup(parentElement) {
  const root = parentElement.querySelector(".surface");
  const canvas = root.querySelector(".draw-surface");
  return {
    canvas,
    ctx: canvas.getContext("2d", { willReadFrequently: true }),
    live: root.querySelector(".live"),
    answer: root.querySelector(".live-answer"),
    status: root.querySelector(".live-status"),
    probs: root.querySelector(".live-probs"),
    liveLabel: root.querySelector(".live-label"),
    bars: [],
    ink: null, // [top, bottom, left, right) of the canvas that the strokes may have touched, or null
    kept: null, // the canvas's grey, kept from reading to reading (preprocess.js inkCanvas), or null
    fresh: null, // [top, bottom, left, right) the strokes touched since the kept grey was last updated, or null
    strokes: [],
    nonce: null,
    brush: 18,
    labels: {},
    active: null,
    dirty: false,
    frame: 0,
    model: null,
    engine: null,
    weightsVersion: null,
    waitingWeights: null,
    history: null, // the training scrubber's state (history.js)
    listening: null,
  };
}

export default function surface({ parentElement, data, setStateValue }) {
  let st = states.get(parentElement);
  const first = st === undefined;
  if (first || st.canvas !== parentElement.querySelector(".draw-surface")) {
    // New, or Streamlit put fresh HTML into the same root (a language change): the drawing and the weights stay.
    const old = st;
    st = setup(parentElement);
    if (old) {
      old.listening?.abort();
      Object.assign(st, { strokes: old.strokes, nonce: old.nonce, engine: old.engine, model: old.model });
      Object.assign(st, { weightsVersion: old.weightsVersion, waitingWeights: old.waitingWeights, history: old.history });
      redraw(st);
      st.live.hidden = !st.model;
      st.dirty = true;
    }
    states.set(parentElement, st);
  }
  data = data || {};
  st.labels = data.labels || {};
  st.brush = Number.isFinite(data.brush) ? data.brush : st.brush;
  st.canvas.setAttribute("aria-label", st.labels.canvas || "");
  st.liveLabel.textContent = st.labels.live || "";
  if (!st.listening || st.listening.signal.aborted) listen(st, setStateValue);
  scheduleRead(st);
  if (data.nonce !== st.nonce) {
    // Clear, Undo or a sent digit: the server's strokes replace the drawing (a stroke under way ends first).
    st.nonce = data.nonce;
    st.active = null;
    st.strokes = readStrokes(data.strokes);
    redraw(st);
    st.dirty = true;
    scheduleRead(st);
    if (!first && st.strokes.length) send(st, setStateValue); // Undo: the server reads what is left
  }
  if (data.weights) {
    loadEngine().then(
      (eng) => {
        st.engine = eng;
        useWeights(st, data.weights);
        useHistory(st, data.history, eng.loadWeights, () => {
          st.dirty = true;
          scheduleRead(st);
        });
      },
      () => {
        st.live.hidden = false;
        st.status.textContent = st.labels.weights_failed || "";
      },
    );
  }
  return () => {
    // Listeners go; the drawing stays with the element (the next call with new data listens again).
    st.listening?.abort();
    if (st.frame) cancelAnimationFrame(st.frame);
    st.frame = 0;
  };
}
