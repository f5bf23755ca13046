"""Pictures as numpy RGB arrays: colour maps, whole layers and kernel sets as mosaics, the saliency overlay.

Mosaics are small uint8 RGB images (one pixel per activation, a 1 px gutter between maps) that the
page shows with `image-rendering: pixelated`: the browser scales them up crisply, so a whole layer
costs one tiny PNG instead of dozens of plotly heatmaps.

Colour maps are lookup tables built with numpy from plotly's anchor colours (plotly is already a
dependency; matplotlib is not).
"""

from __future__ import annotations

import functools
import math

import numpy as np
import plotly.colors

from lenet.figures.theme import DIVERGING, GUTTER

_ANCHORS = {
    "viridis": plotly.colors.sequential.Viridis,
    "cividis": plotly.colors.sequential.Cividis,
    "magma": plotly.colors.sequential.Magma,
    "gray": ["#000000", "#ffffff"],
    DIVERGING: plotly.colors.diverging.PuOr[::-1],
}


# Colour maps


@functools.cache
def colormap_lut(name: str) -> np.ndarray:
    """A 256-entry RGB lookup table for a colour map.

    Args:
        name: one of theme.COLORMAPS, or DIVERGING; anything else falls back to viridis.
    Returns:
        uint8 array of shape (256, 3), read-only.
    """
    anchors = _ANCHORS.get(name, _ANCHORS["viridis"])
    rgb = np.array(
        [plotly.colors.hex_to_rgb(c) if c.startswith("#") else plotly.colors.unlabel_rgb(c) for c in anchors],
        dtype=np.float64,
    )
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
        cmap: one of theme.COLORMAPS.
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
        out[r * (h + gutter) : r * (h + gutter) + h, c * (w + gutter) : c * (w + gutter) + w] = tiles[i]
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
        cmap: one of theme.COLORMAPS.
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
        cmap: one of theme.COLORMAPS.
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
        cmap: one of theme.COLORMAPS.
    Returns:
        layer name -> uint8 RGB image, in the same order; the output layer is left out (its ten
        scores read better as a labelled bar chart, `markup.score_bars`).
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
        weights: out_channels x in_channels x K x K, as from `LeNet.kernels`.
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
        saliency: 28x28, signed (from `lenet.explain.explain`).
        ink_shade: how dark the digit's ink shows underneath (0 = invisible, 1 = black).
    Returns:
        uint8 RGB 28x28.
    """
    base = 1.0 - ink_shade * (np.asarray(image, dtype=np.float32) / 255.0)
    tint = colorize_signed(saliency, robust_limit(saliency)).astype(np.float32)
    # Multiply blend: white stays the tint's colour, the grey digit shows through everywhere.
    return np.clip(tint * base[..., None], 0, 255).astype(np.uint8)


def digit_tile(image: np.ndarray, scale: int = 3) -> np.ndarray:
    """A 28 x 28 uint8 digit scaled up by whole pixels, so it stays crisp (no blurring) in the gallery."""
    return np.repeat(np.repeat(np.asarray(image, dtype=np.uint8), scale, axis=0), scale, axis=1)
