"""The drawing surface's glue: the Streamlit component (lenet/web/surface.*) and what it sends back.

The component is Streamlit 1.67's components v2 (no iframe, no build step): its HTML, CSS and JavaScript are read
from lenet/web/ once, the pure modules it imports (preprocess.js, forward.js) inlined as data: URLs, so the page
makes no request for code. The selected checkpoint's weights are served by the app itself (Streamlit's static
file serving, `server.enableStaticServing`) under names made of their content's digest, written once per
checkpoint version: the browser fetches them once and keeps them while the version stays.

While the pen moves nothing reaches the server. At the end of a stroke the component sends one value, its state
`drawing` = {"nonce", "strokes", "png", "image"}: the nonce of the drawing it last loaded, the strokes
([{"w": width, "p": [x0, y0, x1, y1, ...]}] in canvas px), the canvas as a PNG data URL (for the preprocessing
steps the page shows) and the browser's 28 x 28 (base64 of 784 bytes, or None when it read nothing or has no
weights).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import hashlib
import io
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import streamlit as st
from PIL import Image

import ui
from lenet import checkpoints
from lenet.data import normalise
from lenet.preprocess import Preprocessed

ROOT = Path(__file__).resolve().parent
WEB = ROOT / "lenet" / "web"
STATIC = ROOT / "static"  # Streamlit serves the app's static/ folder at /app/static/ (enableStaticServing)
WEIGHTS_DIR = STATIC / "weights"
WEIGHTS_URL = "app/static/weights"  # relative to the page, so a base URL path still works
SIZE = 280  # px: the canvas's own pixels (lenet/web/surface.js SIZE)
MAX_STROKES = 400  # a drawing with more is cut to its last ones: a value is never unbounded work
MAX_POINTS = 20000  # coordinates per stroke kept

_IMPORT = re.compile(r"""(from\s+|import\s*\(\s*)(["'])\./([\w-]+\.js)\2""")


def _module_source(name: str, seen: tuple[str, ...] = ()) -> str:
    """A module of lenet/web with its relative imports replaced by data: URLs of those modules (recursively)."""
    if name in seen:
        raise ValueError(f"import cycle through {name}")
    source = (WEB / name).read_text(encoding="utf-8")

    def inline(match: re.Match) -> str:
        if not (WEB / match.group(3)).exists():
            return match.group(0)  # not written yet: importing it fails in the browser, and the page says so
        child = _module_source(match.group(3), (*seen, name))
        url = "data:text/javascript;base64," + base64.b64encode(child.encode()).decode()
        return f"{match.group(1)}{match.group(2)}{url}{match.group(2)}"

    return _IMPORT.sub(inline, source)


def _register(name: str, stem: str):
    """A component of lenet/web/<stem>.{html,css,js}, its modules inlined (once per process: Streamlit registers it
    again on a new runtime, as AppTest's)."""
    return st.components.v2.component(
        name,
        html=(WEB / f"{stem}.html").read_text(encoding="utf-8"),
        css=(WEB / f"{stem}.css").read_text(encoding="utf-8"),
        js=_module_source(f"{stem}.js"),
    )


@functools.cache
def _component():
    """The drawing surface."""
    return _register("lenet_surface", "surface")


@functools.cache
def _overview_component():
    """The overview (lenet/web/overview.*): the whole network in one picture, fed by the surface's live reading."""
    return _register("lenet_overview", "overview")


# --- weights -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WebWeights:
    """Where the browser finds one checkpoint version's weights; `error` when they could not be written."""

    version: str
    manifest: str
    blob: str


@functools.lru_cache(maxsize=32)
def _web_weights(path: str, version: int) -> WebWeights | None:
    """Write one checkpoint version's weights for the browser (once per process and version); None on failure."""
    try:
        from lenet import webweights
    except ImportError:
        return None  # the browser's forward pass is not there yet: the server answers after each stroke
    try:
        return _publish(*webweights.web_weights(ui.load_model(path)[0], version=str(version)))
    except Exception:  # any failure: the server's answer after each stroke, never a traceback
        return None


def _publish(manifest: dict, blob: bytes) -> WebWeights:
    """Write a manifest and its blob into static/weights under their content's digest (once); where they are."""
    text = json.dumps(manifest, separators=(",", ":")).encode()
    digest = hashlib.sha256(text + blob).hexdigest()[:20]
    WEIGHTS_DIR.mkdir(parents=True, exist_ok=True)
    for suffix, content in ((".json", text), (".bin", blob)):
        target = WEIGHTS_DIR / f"{digest}{suffix}"
        if not target.exists():
            temporary = target.with_suffix(f"{suffix}.{os.getpid()}.tmp")
            temporary.write_bytes(content)
            temporary.replace(target)  # atomic: a browser never reads half a file
    return WebWeights(digest, f"{WEIGHTS_URL}/{digest}.json", f"{WEIGHTS_URL}/{digest}.bin")


@functools.lru_cache(maxsize=32)
def _web_history(path: str, version: int) -> dict | None:
    """One checkpoint version's history for the browser (written once per process and version), as the component's
    data takes it: where its files are, and each snapshot's step and accuracy for the scrubber's label (the weights
    themselves are fetched only when the scrubber is first touched). None: no history, or one that cannot be used.
    """
    try:
        from lenet import webweights

        found = webweights.history_weights(path)
        if found is None:
            return None
        manifest, blob = found
        where = _publish(manifest, blob)
    except Exception:  # a damaged history: no scrubber, the rest of the page as ever
        return None
    return {
        "version": where.version,
        "manifest": where.manifest,
        "blob": where.blob,
        "steps": [s["step"] for s in manifest["snapshots"]],
        "acc": [s["acc"] for s in manifest["snapshots"]],
        "digits": manifest["acc_digits"],
        "rerun": [bool(s.get("rerun")) for s in manifest["snapshots"]],
    }


def _stamp(path: Path) -> tuple[int, int] | None:
    """A file's version as the OS knows it (mtime, size), or None when it is not there: read with one stat()."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


@functools.lru_cache(maxsize=64)
def _browser_files(path: str, stamps: tuple) -> tuple[dict | None, dict | None]:
    """A checkpoint's weights and history for the browser (web_weights, web_history), once per version of its files
    (`stamps`): a stroke's rerun then costs a stat() of each, not a read of their headers."""
    del stamps  # the cache's key only
    try:
        info = checkpoints.read_info(path)
    except checkpoints.CheckpointError:
        return None, None  # the page says what is wrong with it; the browser reads nothing
    found = _web_weights(str(info.path), info.version)
    weights = None if found is None else {"version": found.version, "manifest": found.manifest, "blob": found.blob}
    try:
        kept = checkpoints.read_history(info.path) is not None
    except checkpoints.CheckpointError:
        kept = False
    return weights, _web_history(str(info.path), info.version) if kept else None


def _for_browser(path: str | None) -> tuple[dict | None, dict | None]:
    """The weights and the history the browser reads for the checkpoint at `path` (default the sidebar's)."""
    path = path or ui.current_model_path()
    if not path:
        return None, None
    target = Path(path)
    return _browser_files(str(target), (_stamp(target), _stamp(checkpoints.history_path(target))))


def web_history(path: str | None = None) -> dict | None:
    """A checkpoint's history for the browser's scrubber (default the sidebar's), or None when it kept none."""
    return _for_browser(path)[1]


def web_weights(path: str | None = None) -> dict | None:
    """A checkpoint's weights for the browser (default the sidebar's), as the component's data takes them."""
    return _for_browser(path)[0]


# --- the component and its value -----------------------------------------------------------------------


def surface(
    *, key: str, nonce: int, strokes: list, brush: float, model_path: str | None = None, history: bool = False
) -> None:
    """Mount the drawing surface: `nonce` changes load `strokes` (Clear, Undo, a sent digit); its live reading uses
    the checkpoint at `model_path` (default the sidebar's model); `history`: the training scrubber (`draw_history`)
    when that checkpoint kept snapshots."""
    weights, snapshots = _for_browser(model_path)
    data = {
        "nonce": nonce,
        "strokes": strokes,
        "brush": brush,
        "weights": weights,
        "history": snapshots if history else None,
        "labels": {
            "canvas": ui.tr("surface.label"),
            "live": ui.tr("surface.live"),
            "weights_failed": ui.tr("surface.weights_failed"),
            "history": ui.tr("surface.history"),
            "history_acc": ui.tr("surface.history_acc"),
            "history_rerun": ui.tr("surface.history_rerun"),
            "history_loading": ui.tr("surface.history_loading"),
            "history_failed": ui.tr("surface.history_failed"),
        },
    }
    _component()(key=key, data=data, on_drawing_change=lambda: None, width="content")


@dataclass(frozen=True)
class Drawing:
    """What the surface sent at the end of its last stroke, checked."""

    nonce: int | None
    strokes: list
    rgba: np.ndarray | None  # the canvas, H x W x 4 (None: blank or unreadable)
    image: np.ndarray | None  # the browser's 28 x 28 uint8, when it read one
    png_digest: str | None


def _strokes(value) -> list:
    """The strokes, kept only where they are what the surface sends."""
    if not isinstance(value, list):
        return []
    out = []
    for s in value[-MAX_STROKES:]:
        if not isinstance(s, dict) or not isinstance(s.get("p"), list) or not isinstance(s.get("w"), int | float):
            continue
        p = [float(v) for v in s["p"][:MAX_POINTS] if isinstance(v, int | float) and np.isfinite(v)]
        if len(p) >= 2 and len(p) % 2 == 0:
            out.append({"w": float(s["w"]), "p": p})
    return out


def _png(url) -> tuple[np.ndarray | None, str | None]:
    """A PNG data URL -> (RGBA pixels, digest of the PNG), or (None, None) when it is not one."""
    if not isinstance(url, str) or ";base64," not in url:
        return None, None
    try:
        png = base64.b64decode(url.split(";base64,", 1)[1], validate=True)
        with Image.open(io.BytesIO(png)) as img:
            if img.format != "PNG" or img.size[0] * img.size[1] > 4 * SIZE * SIZE:
                return None, None
            return np.asarray(img.convert("RGBA")), hashlib.md5(png).hexdigest()
    except (binascii.Error, OSError, ValueError, Image.DecompressionBombError):
        return None, None


def _image(text) -> np.ndarray | None:
    """The browser's 28 x 28 (base64 of 784 bytes), or None."""
    if not isinstance(text, str):
        return None
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return np.frombuffer(raw, np.uint8).reshape(28, 28).copy() if len(raw) == 28 * 28 else None


def read_drawing(value) -> Drawing:
    """The surface's state (`st.session_state[key]`) -> a checked Drawing; anything else reads as blank."""
    sent = value.get("drawing") if isinstance(value, dict) else None
    if not isinstance(sent, dict):
        return Drawing(None, [], None, None, None)
    nonce = sent.get("nonce") if isinstance(sent.get("nonce"), int) else None
    rgba, digest = _png(sent.get("png"))
    return Drawing(nonce, _strokes(sent.get("strokes")), rgba, _image(sent.get("image")), digest)


def browser_input(prep: Preprocessed, image: np.ndarray | None) -> Preprocessed:
    """One truth for a drawing: the browser's 28x28 (what the page showed while the pen moved) as the model's
    input and the last step, when it read one; the server's own steps before it stay for the page to show."""
    if image is None or prep.empty:
        return prep
    steps = [(key, image if key == "centred" else step) for key, step in prep.steps]
    return dataclasses.replace(prep, steps=steps, image=image, input=normalise(image[None]))


# --- the overview: the whole network in one picture (lenet/web/overview.js) -----------------------------------

OVERVIEW_LABELS = (
    "title", "picture", "input", "selected", "path_shown", "help",
    "legend_maps", "legend_positive", "legend_negative", "legend_width", "legend_path", "legend_selected",
)  # fmt: skip


def _on_overview_pick(key: str, target: str) -> None:
    """A unit selected in the overview (click, tap or Enter) becomes the page's `target` (the `trace` key)."""
    value = st.session_state.get(key)
    pick = value.get("pick") if hasattr(value, "get") else None
    if not isinstance(pick, dict) or not isinstance(pick.get("layer"), str):
        return
    cell = {k: pick[k] for k in ("layer", "channel", "row", "col") if isinstance(pick.get(k), int) or k == "layer"}
    if "channel" in cell:
        st.session_state[target] = cell  # the page checks it against the model (an invalid one is dropped)


def overview(*, key: str, selected: dict | None, target: str = "trace") -> None:
    """Mount the overview under the drawing surface's reading: every block's maps, live; a selected unit's
    strongest contributions; the winning output's path back to the input. A selection sets `target`."""
    labels = {name: ui.tr(f"overview.{name}") for name in OVERVIEW_LABELS}
    labels |= {f"cell_{kind}": ui.tr(f"trace.cell.{kind}") for kind in ("map", "unit", "output")}
    data = {"labels": labels, "selected": selected if isinstance(selected, dict) else None}
    _overview_component()(
        key=key, data=data, on_pick_change=functools.partial(_on_overview_pick, key, target), width="stretch"
    )
