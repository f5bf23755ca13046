"""Figures for the pages: colour maps, image mosaics (numpy RGB arrays, PNG bytes) and HTML bar charts.

Mosaics are small uint8 RGB images (one pixel per activation, a 1 px gutter between maps) that the
page shows with `image-rendering: pixelated`: the browser scales them up crisply, so a whole layer
costs one tiny PNG instead of dozens of plotly heatmaps. What changes on every stroke is drawn as
plain HTML (inlined PNGs, bars from divs): a chart library's render would dominate the update.

Colour maps are lookup tables built with numpy from plotly's anchor colours (plotly is already a
dependency; matplotlib is not).
"""

from __future__ import annotations

import base64
import functools
import html
import io
import math

import numpy as np
import plotly.colors
from PIL import Image

# Perceptually uniform, colour-blind-safe maps (matplotlib's viridis family; cividis is tuned for
# deuteranomaly: Nuñez et al. 2018, https://doi.org/10.1371/journal.pone.0199239).
COLORMAPS = ("viridis", "cividis", "magma", "gray")
# For signed values (kernel weights, saliency): ColorBrewer's purple-orange, safe for all common
# colour-vision deficiencies, reversed so that negative is purple and positive is orange.
DIVERGING = "PuOr"
GUTTER = (255, 255, 255)  # between maps: the page background, so every map reads as a separate tile
HIGHLIGHT = "#3b5bdb"  # the theme's primary colour (.streamlit/config.toml), for the predicted digit
MUTED = "#adb5bd"
RUNNER_UP = "#748ffc"

_ANCHORS = {
    "viridis": plotly.colors.sequential.Viridis,
    "cividis": plotly.colors.sequential.Cividis,
    "magma": plotly.colors.sequential.Magma,
    "gray": ["#000000", "#ffffff"],
    DIVERGING: plotly.colors.diverging.PuOr[::-1],
}


# Colour maps

@functools.lru_cache(maxsize=None)
def colormap_lut(name: str) -> np.ndarray:
    """A 256-entry RGB lookup table for a colour map.

    Args:
        name: one of COLORMAPS, or DIVERGING; anything else falls back to viridis.
    Returns:
        uint8 array of shape (256, 3), read-only.
    """
    anchors = _ANCHORS.get(name, _ANCHORS["viridis"])
    rgb = np.array([plotly.colors.hex_to_rgb(c) if c.startswith("#") else plotly.colors.unlabel_rgb(c)
                    for c in anchors], dtype=np.float64)
    stops = np.linspace(0.0, 1.0, len(rgb))
    x = np.linspace(0.0, 1.0, 256)
    lut = np.stack([np.interp(x, stops, rgb[:, i]) for i in range(3)], axis=1)
    lut = np.round(lut).astype(np.uint8)
    lut.setflags(write=False)
    return lut


def colorize(values: np.ndarray, cmap: str, vmin: float = 0.0, vmax: float | None = None) -> np.ndarray:
    """Map an array of values to RGB with a sequential colour map.

    Args:
        values: any shape, float.
        cmap: one of COLORMAPS.
        vmin: the value shown as the map's first colour.
        vmax: the value shown as its last colour; default the array's maximum.
    Returns:
        uint8 array of shape values.shape + (3,).
    """
    values = np.asarray(values, dtype=np.float32)
    top = float(values.max()) if vmax is None and values.size else float(vmax or 0.0)
    span = top - vmin
    # A layer that is all zero (nothing drawn, or a dead map) shows as the map's darkest colour.
    scaled = (values - vmin) / span if span > 0 else np.zeros_like(values)
    return colormap_lut(cmap)[_to_index(scaled)]


def colorize_signed(values: np.ndarray, limit: float | None = None) -> np.ndarray:
    """Map signed values to RGB with the diverging map: zero is white, negative purple, positive orange.

    Args:
        values: any shape, float.
        limit: the magnitude shown at full colour; default the largest absolute value, so the
            scale is symmetric and zero always stays white.
    Returns:
        uint8 array of shape values.shape + (3,).
    """
    values = np.asarray(values, dtype=np.float32)
    lim = float(np.abs(values).max()) if limit is None and values.size else float(limit or 0.0)
    scaled = values / (2 * lim) + 0.5 if lim > 0 else np.full_like(values, 0.5)
    return colormap_lut(DIVERGING)[_to_index(scaled)]


def robust_limit(values: np.ndarray, percentile: float = 99.0) -> float:
    """A colour-scale limit that a few extreme values cannot wash out: a high percentile of |values|.

    With the plain maximum, one outlier weight or pixel would leave everything else nearly white.
    """
    mags = np.abs(np.asarray(values, dtype=np.float32)).ravel()
    mags = mags[mags > 0]
    return float(np.percentile(mags, percentile)) if mags.size else 0.0


def _to_index(scaled: np.ndarray) -> np.ndarray:
    """Values in 0..1 (clipped) to LUT indices 0..255."""
    return np.clip(np.nan_to_num(scaled) * 255.0 + 0.5, 0, 255).astype(np.uint8)


# Mosaics: whole layers and kernel sets as one small image

def tile(tiles: np.ndarray, cols: int, gutter: int = 1) -> np.ndarray:
    """Lay out equally sized RGB tiles in a grid, row by row, with white gutters.

    Args:
        tiles: uint8 array N x H x W x 3.
        cols: tiles per row.
        gutter: px between tiles.
    Returns:
        uint8 RGB image of shape (rows*(H+g)-g, cols*(W+g)-g, 3); unused cells stay white.
    """
    n, h, w, _ = tiles.shape
    cols = max(1, min(cols, n))
    rows = math.ceil(n / cols)
    out = np.empty((rows * (h + gutter) - gutter, cols * (w + gutter) - gutter, 3), np.uint8)
    out[:] = GUTTER
    for i in range(n):
        r, c = divmod(i, cols)
        out[r * (h + gutter):r * (h + gutter) + h, c * (w + gutter):c * (w + gutter) + w] = tiles[i]
    return out


def grid_columns(n: int, aspect: float = 3.0) -> int:
    """How many columns make a grid of `n` square tiles about `aspect` times wider than tall.

    A column count that divides `n` is preferred when one is near, so the last row is full.
    """
    target = max(1, min(n, math.ceil(math.sqrt(n * aspect))))
    for cols in range(target, max(1, int(target * 0.75)) - 1, -1):
        if n % cols == 0:
            return cols
    return target


def feature_mosaic(maps: np.ndarray, cmap: str, cols: int | None = None) -> np.ndarray:
    """All feature maps of one conv or pooling layer as one image.

    The whole layer shares one colour scale (0 to the layer's maximum), so a map that barely
    responds looks dark instead of being stretched into a false pattern.

    Args:
        maps: C x H x W activations (after ReLU, so mostly >= 0).
        cmap: one of COLORMAPS.
        cols: maps per row; default a grid about three times wider than tall.
    Returns:
        uint8 RGB image.
    """
    maps = np.asarray(maps, dtype=np.float32)
    vmin = min(0.0, float(maps.min()))  # tanh or sigmoid variants can go negative
    return tile(colorize(maps, cmap, vmin=vmin), cols or grid_columns(len(maps)))


def vector_mosaic(values: np.ndarray, cmap: str, cols: int | None = None, cell: int = 3) -> np.ndarray:
    """A fully connected layer's outputs as a grid of coloured cells, one per neuron, row by row.

    Args:
        values: 1-D activations (C5 flattened, F6, ...).
        cmap: one of COLORMAPS.
        cols: cells per row; default a strip about eight times wider than tall.
        cell: px per cell side (the 1 px gutter stays thin next to it when the browser scales up).
    Returns:
        uint8 RGB image.
    """
    values = np.asarray(values, dtype=np.float32).ravel()
    vmin = min(0.0, float(values.min()))
    colours = colorize(values, cmap, vmin=vmin).reshape(-1, 1, 1, 3)
    return tile(np.broadcast_to(colours, (len(values), cell, cell, 3)), cols or grid_columns(len(values), 8.0))


def layer_images(activations: dict[str, np.ndarray], cmap: str) -> dict[str, np.ndarray]:
    """One image per hidden layer: a mosaic of maps for conv and pooling layers, cells for vectors.

    Args:
        activations: layer name -> C x H x W or (N,) outputs, as `Inspection.activations`.
        cmap: one of COLORMAPS.
    Returns:
        layer name -> uint8 RGB image, in the same order; the output layer is left out (its ten
        scores read better as a labelled bar chart, `scores_figure`).
    """
    images = {}
    for name, act in activations.items():
        if name == "output":
            continue
        act = np.asarray(act)
        if act.ndim == 3 and act.shape[1] * act.shape[2] > 1:
            # Up to 8 maps in one row; more in rows of 8 (16 maps: two rows, as LeNet's C3 and S4).
            images[name] = feature_mosaic(act, cmap, cols=min(8, len(act)))
        else:
            images[name] = vector_mosaic(act.ravel(), cmap)
    return images


def kernel_mosaic(weights: np.ndarray) -> np.ndarray:
    """A conv layer's kernels as one image: one column per filter, one row per input channel.

    Args:
        weights: out_channels x in_channels x K x K, as from `lenet.inspect.kernels`.
    Returns:
        uint8 RGB image on one symmetric diverging scale (zero white, positive orange, negative purple).
    """
    w = np.asarray(weights, dtype=np.float32)
    out_c, in_c, kh, kw = w.shape
    colours = colorize_signed(w, robust_limit(w))  # out x in x K x K x 3
    # Row-major over (input channel, filter): each column of the mosaic is one filter.
    return tile(colours.transpose(1, 0, 2, 3, 4).reshape(in_c * out_c, kh, kw, 3), out_c)


def saliency_overlay(image: np.ndarray, saliency: np.ndarray, ink_shade: float = 0.3) -> np.ndarray:
    """The input digit, pale grey on white, tinted orange where its pixels supported the answer and
    purple where they argued against it.

    Args:
        image: uint8 28x28, ink 255 (MNIST format).
        saliency: 28x28, signed (from `lenet.inspect.inspect`).
        ink_shade: how dark the digit's ink shows underneath (0 = invisible, 1 = black).
    Returns:
        uint8 RGB 28x28.
    """
    base = 1.0 - ink_shade * (np.asarray(image, dtype=np.float32) / 255.0)
    tint = colorize_signed(saliency, robust_limit(saliency)).astype(np.float32)
    # Multiply blend: white stays the tint's colour, the grey digit shows through everywhere.
    return np.clip(tint * base[..., None], 0, 255).astype(np.uint8)


# Encoding: PNG bytes and inline HTML

def thumbnail(image: np.ndarray, max_side: int = 280) -> np.ndarray:
    """Shrink a uint8 image so its longer side is at most `max_side` px (a big upload costs time to send)."""
    image = np.asarray(image, dtype=np.uint8)
    if max(image.shape[:2]) <= max_side:
        return image
    pil = Image.fromarray(image)
    pil.thumbnail((max_side, max_side), Image.Resampling.BOX)
    return np.asarray(pil)


def png_bytes(image: np.ndarray) -> bytes:
    """Encode a uint8 grayscale or RGB image as PNG, quickly.

    Low zlib effort: these images are tiny, and the time per stroke matters more than bytes.
    """
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image)).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def data_uri(png: bytes) -> str:
    """A PNG as a data: URI, to inline it in HTML (no separate request per picture)."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def image_html(png: bytes, width: int, *, pixelated: bool = True, alt: str = "") -> str:
    """An <img> of a PNG shown `width` px wide, scaled with hard pixel edges unless `pixelated` is False."""
    rendering = "image-rendering:pixelated;" if pixelated else ""
    return (f'<img src="{data_uri(png)}" alt="{html.escape(alt)}" '
            f'style="width:{int(width)}px;max-width:100%;height:auto;{rendering}border-radius:4px;display:block">')


def _rgb(colour) -> str:
    return "rgb({},{},{})".format(*(int(c) for c in colour))


# Bar charts in plain HTML

def bars_html(values: np.ndarray, colours: list[str], texts: list[str] | None = None, *,
              signed: bool = False, height: int = 180, limit: float | None = None) -> str:
    """A bar chart in plain HTML, one bar per digit 0..N-1, labelled underneath.

    Plain HTML updates on every stroke at a fraction of a chart library's cost, and stays sharp on a
    projector.

    Args:
        values: one value per bar (probabilities, or signed scores with `signed`).
        colours: CSS colours, one per bar.
        texts: optional labels above the bars (e.g. percentages).
        signed: bars grow up and down from a zero line in the middle.
        height: px of the bar area.
        limit: the value of a full-height bar; default the largest magnitude (1 for probabilities).
    Returns:
        an HTML fragment with inline styles only, so it needs no page CSS.
    """
    values = np.nan_to_num(np.asarray(values, dtype=np.float64))
    top = float(limit if limit is not None else np.abs(values).max() if values.size else 0.0) or 1.0
    zero = height / 2 if signed else 0.0
    span = height / 2 if signed else height
    below = "1.3rem" if signed else "0"  # room for the labels under the lowest negative bar
    cells = []
    for i, value in enumerate(values):
        size = min(abs(value) / top, 1.0) * span
        if value >= 0:
            place = f"bottom:{zero:.1f}px"
        else:
            place = f"top:{height - zero:.1f}px"
        label = html.escape(texts[i]) if texts else ""
        text_pos = f"bottom:{zero + size + 2:.1f}px" if value >= 0 else f"top:{height - zero + size + 2:.1f}px"
        cells.append(
            '<div style="flex:1;display:flex;flex-direction:column;align-items:center;min-width:0">'
            f'<div style="position:relative;width:100%;height:{height}px;margin-bottom:{below}">'
            f'<div style="position:absolute;left:14%;right:14%;{place};height:{max(size, 1.0):.1f}px;'
            f'background:{colours[i]};border-radius:3px"></div>'
            f'<div style="position:absolute;left:0;right:0;{text_pos};text-align:center;font-size:0.85rem;'
            f'color:#495057;white-space:nowrap">{label}</div></div>'
            f'<div style="font-size:1.3rem;font-weight:600;color:#495057">{i}</div></div>')
    axis = (f'<div style="position:absolute;left:0;right:0;bottom:{zero:.1f}px;border-top:1px solid #868e96">'
            '</div>')
    return (f'<div style="position:relative;padding-top:1.4rem"><div style="position:relative">'
            f'<div style="position:absolute;left:0;right:0;top:0;height:{height}px">{axis}</div>'
            f'<div style="display:flex;gap:2px">{"".join(cells)}</div></div></div>')


def probability_bars(probs: np.ndarray, prediction: int | None, runner_up: int | None = None,
                     height: int = 180) -> str:
    """The ten class probabilities as HTML bars, the predicted digit highlighted, percentages on top.

    Args:
        probs: the 10 softmax probabilities.
        prediction: the digit to highlight, or None when nothing was read (all bars muted).
        runner_up: a second digit to highlight more softly (a close call).
        height: px of the bar area.
    """
    probs = np.asarray(probs, dtype=np.float64)
    colours = [HIGHLIGHT if d == prediction else RUNNER_UP if d == runner_up else MUTED for d in range(len(probs))]
    texts = [f"{p:.0%}" if p >= 0.005 else "" for p in probs]
    return bars_html(probs, colours, texts, height=height, limit=1.0)


def score_bars(scores: np.ndarray, height: int = 140) -> str:
    """The output layer's raw scores (logits) as HTML bars from a zero line: orange up, purple down."""
    scores = np.asarray(scores, dtype=np.float64)
    lut = colormap_lut(DIVERGING)
    colours = [_rgb(lut[40 if v < 0 else 215]) for v in scores]
    return bars_html(scores, colours, [f"{v:.0f}" for v in scores], signed=True, height=height)
