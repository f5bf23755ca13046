// "Watch it learn your digit": the training scrubber (key draw_history) of the drawing surface (surface.js).
//
// A run keeps weight snapshots from its random start to its end (lenet.train.snapshot_steps; the checkpoint's
// sibling <name>.history.safetensors). The server writes them for the browser once per checkpoint version
// (lenet.webweights.history_weights: one blob, every snapshot in the final weights' layout, one after the other)
// and names them in the component's data: `history` = {version, manifest, blob, steps, acc, digits}. The steps
// and accuracies label the slider at once; the snapshots' weights are fetched only when the student first
// touches it (pointer or key), once per version, from the app itself. Moving it then reads the drawing through
// that snapshot in the browser, with no message to the server: `live-answer`, its probabilities and the maps
// are the snapshot's. Untouched, the surface reads with the checkpoint itself.
//
// Every text comes from the server's labels and is set as text, never as HTML.

const MAX_HISTORY_BYTES = 48 * 1024 * 1024; // lenet.train.SNAPSHOT_MAX_BYTES: a history bigger than this is refused
const histories = new Map(); // history version -> Promise of the snapshots' networks, shared by every surface

/** The snapshots' networks of one history version: fetched from the app (same origin only), once per page. */
function loadSnapshots(history, loadModel) {
  if (!histories.has(history.version)) {
    const same = (url) => new URL(url, location.href).origin === location.origin;
    const job = (async () => {
      if (!same(history.manifest) || !same(history.blob)) throw new Error("snapshots must come from the app");
      const [manifest, blob] = await Promise.all([
        fetch(history.manifest).then((r) => (r.ok ? r.json() : Promise.reject(new Error(r.statusText)))),
        fetch(history.blob).then((r) => (r.ok ? r.arrayBuffer() : Promise.reject(new Error(r.statusText)))),
      ]);
      if (blob.byteLength > MAX_HISTORY_BYTES || blob.byteLength !== manifest.stride * manifest.count) {
        throw new Error("snapshots of the wrong size");
      }
      // snapshot i: bytes [i * stride, (i + 1) * stride), in the layout of manifest.weights
      const models = [];
      for (let i = 0; i < manifest.count; i++) {
        models.push(loadModel(manifest.weights, blob.slice(i * manifest.stride, (i + 1) * manifest.stride)));
      }
      return models;
    })();
    job.catch(() => histories.delete(history.version)); // a later touch may try again
    histories.set(history.version, job);
  }
  return histories.get(history.version);
}

/** "Training step: 84 of 7,035 · 91.2 % right on 1,000 test digits", in the page's language. */
export function historyText(labels, history, index) {
  const n = (v) => Number(v).toLocaleString("en-US");
  const steps = history.steps;
  let text = (labels.history || "").replace("{step}", n(steps[index])).replace("{total}", n(steps.at(-1)));
  const acc = history.acc[index];
  if (Number.isFinite(acc)) {
    const right = (labels.history_acc || "").replace("{acc}", `${(acc * 100).toFixed(1)} %`);
    text += ` · ${right.replace("{n}", n(history.digits))}`;
  }
  if (history.rerun?.[index]) text += ` · ${labels.history_rerun || ""}`; // graft_history: not this run's own
  return text;
}

/** The network the surface reads with: the snapshot the scrubber is on, once touched and loaded; else its own. */
export function activeModel(st) {
  const h = st.history;
  return h && h.models && h.index !== null ? h.models[h.index] : st.model;
}

function build(st) {
  const box = document.createElement("div");
  box.className = "history st-key-draw_history"; // found by tests as Streamlit's keyed elements are
  const label = document.createElement("label");
  const text = document.createElement("span");
  text.className = "history-text";
  const range = document.createElement("input");
  range.type = "range";
  range.className = "history-range";
  range.min = "0";
  range.step = "1";
  const status = document.createElement("span");
  status.className = "history-status";
  status.setAttribute("role", "status");
  label.append(text, range);
  box.append(label, status);
  st.probs.after(box);
  return { box, text, range, status };
}

/**
 * Show the scrubber for `history` (the component's data; null: this checkpoint kept none, no scrubber).
 * `reread()` asks the surface to read the drawing again; `loadModel` is forward.js's.
 */
export function useHistory(st, history, loadModel, reread) {
  if (!history || !Array.isArray(history.steps) || history.steps.length < 2) {
    if (st.history) st.history.el.box.remove();
    if (st.history) reread();
    st.history = null;
    return;
  }
  if (st.history && st.history.el.box.isConnected && st.history.version === history.version) {
    st.history.data = history;
    paint(st);
    return;
  }
  const kept = st.history && st.history.version === history.version ? st.history : null; // fresh HTML, same run
  if (st.history) st.history.el.box.remove();
  const h = (st.history = { version: history.version, data: history, el: build(st), models: null, loading: null });
  h.index = kept ? kept.index : null; // null: untouched, the checkpoint itself reads the drawing
  h.models = kept ? kept.models : null;
  const last = history.steps.length - 1;
  h.el.range.max = String(last);
  h.el.range.value = String(h.index ?? last);
  const load = () => {
    if (h.models || h.loading) return;
    h.el.status.textContent = st.labels.history_loading || "";
    h.loading = loadSnapshots(history, loadModel).then(
      (models) => {
        h.models = models;
        h.el.status.textContent = "";
        if (h.index !== null) reread();
      },
      () => {
        h.loading = null;
        h.el.status.textContent = st.labels.history_failed || "";
      },
    );
  };
  // Listeners live as long as the slider: it is replaced (not re-listened) when the run or the HTML changes.
  for (const kind of ["pointerdown", "touchstart", "keydown"]) h.el.range.addEventListener(kind, load, { passive: true });
  h.el.range.addEventListener("input", () => {
    load();
    h.index = Number(h.el.range.value);
    paint(st);
    if (h.models) reread();
  });
  paint(st);
  if (h.index !== null && h.models) reread();
}

function paint(st) {
  const h = st.history;
  const index = h.index ?? h.data.steps.length - 1;
  const text = historyText(st.labels, h.data, index);
  h.el.text.textContent = text;
  h.el.range.setAttribute("aria-valuetext", text);
}
