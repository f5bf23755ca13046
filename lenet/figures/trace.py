"""Pictures for tracing one cell: a layer's clickable mosaic (and which cell a click hit), the receptive
field outlined on every layer, the number grids of a conv step, and the animated sliding window."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lenet.figures import mosaics
from lenet.figures.lab import animation_layout

PICK_WIDTH = 700  # px: the widest a clickable mosaic is drawn, to fit the page's main column
OUTLINE = (255, 127, 14)  # orange: in neither viridis nor cividis, as lenet.figures.lab's window
CELL_PX = 4  # a unit's side in a vector mosaic, before scaling (the 1 px gutter stays thin next to it)


@dataclass(frozen=True)
class PickLayout:
    """Where each cell of a layer lies in its clickable mosaic: tiles of tile_h x tile_w image px, a gutter
    between them, `cols` tiles a row, then `scale` screen px per image px."""

    tiles: int
    tile_h: int
    tile_w: int
    cols: int
    gutter: int
    scale: int
    vector: bool  # one tile per unit (a fully connected block's, or a 1x1 map as LeNet's C5): a click picks the unit

    @property
    def size(self) -> tuple[int, int]:
        """(height, width) of the scaled mosaic in px."""
        rows = math.ceil(self.tiles / self.cols)
        return (
            (rows * (self.tile_h + self.gutter) - self.gutter) * self.scale,
            (self.cols * (self.tile_w + self.gutter) - self.gutter) * self.scale,
        )


def pick_layout(shape: tuple[int, ...], width: int = PICK_WIDTH) -> PickLayout:
    """How a layer of this output shape (any block of any network: C x H x W, or units) is laid out to be clicked
    on (as lenet.figures.mosaics lays it out)."""
    vector = len(shape) == 1 or shape[1] * shape[2] == 1
    if vector:
        n = shape[0]
        cols = 10 if n <= 10 else mosaics.grid_columns(n, 8.0)
        tile_h = tile_w = CELL_PX
    else:
        n, tile_h, tile_w = shape
        cols = min(8, n)
    natural = cols * (tile_w + 1) - 1
    return PickLayout(n, tile_h, tile_w, cols, 1, max(1, min(16, width // natural)), vector)


def pick_image(
    act: np.ndarray, cmap: str, layout: PickLayout, selected: tuple[int, int, int] | None = None
) -> np.ndarray:
    """A layer's outputs as one RGB mosaic, scaled with hard pixel edges, laid out as `layout` says, with the
    selected (channel, row, col) outlined."""
    act = np.asarray(act, dtype=np.float32)
    if layout.vector:
        image = mosaics.vector_mosaic(act.ravel(), cmap, layout.cols, cell=CELL_PX)
    else:
        image = mosaics.feature_mosaic(act, cmap, cols=layout.cols)
    if selected is None or not 0 <= selected[0] < layout.tiles:
        return _scale(image, layout.scale)
    tile_r, tile_c = divmod(selected[0], layout.cols)
    top = tile_r * (layout.tile_h + layout.gutter) + (0 if layout.vector else selected[1])
    left = tile_c * (layout.tile_w + layout.gutter) + (0 if layout.vector else selected[2])
    size = layout.tile_h if layout.vector else 1
    return outline(image, (top, left, top + size - 1, left + size - 1), layout.scale, max(1, layout.scale // 3))


def _scale(image: np.ndarray, scale: int) -> np.ndarray:
    return np.repeat(np.repeat(image, scale, axis=0), scale, axis=1)


def cell_at(layout: PickLayout, x: float, y: float, shown_w: float, shown_h: float) -> tuple[int, int, int] | None:
    """The (channel, row, col) under a click, or None for a click on a gutter, a blank tile or outside.

    Args:
        layout: the mosaic's layout.
        x, y: the click, in px from the picture's top-left corner as shown.
        shown_w, shown_h: the picture's size as shown (the browser may have scaled it).
    Returns:
        the cell (row and col 0 for a unit), or None.
    """
    height, width = layout.size
    if not (shown_w > 0 and shown_h > 0 and 0 <= x < shown_w and 0 <= y < shown_h):
        return None
    px = int(x * width / shown_w) // layout.scale
    py = int(y * height / shown_h) // layout.scale
    tile_col, inside_x = divmod(px, layout.tile_w + layout.gutter)
    tile_row, inside_y = divmod(py, layout.tile_h + layout.gutter)
    if inside_x >= layout.tile_w or inside_y >= layout.tile_h or tile_col >= layout.cols:
        return None  # a gutter between maps
    channel = tile_row * layout.cols + tile_col
    if channel >= layout.tiles:
        return None  # the blank end of the last row
    if layout.vector:
        return channel, 0, 0
    return channel, inside_y, inside_x


def outline(image: np.ndarray, box: tuple[int, int, int, int], scale: int, width: int = 2) -> np.ndarray:
    """An RGB copy of a picture scaled `scale` times, with the cells of `box` (top, left, bottom, right) outlined."""
    out = _scale(np.asarray(image, dtype=np.uint8), scale).copy()
    if out.ndim == 2:
        out = np.repeat(out[..., None], 3, axis=2)
    top, left, bottom, right = (v * scale for v in box)
    bottom, right = bottom + scale - 1, right + scale - 1
    for a, b in ((top, min(top + width, bottom + 1)), (max(top, bottom - width + 1), bottom + 1)):
        out[a:b, left : right + 1] = OUTLINE
    for a, b in ((left, min(left + width, right + 1)), (max(left, right - width + 1), right + 1)):
        out[top : bottom + 1, a:b] = OUTLINE
    return out


def field_pictures(
    image: np.ndarray, activations: dict, fields: dict, cmap: str, channel_of: dict | None = None, px: int = 150
) -> dict[str, tuple[np.ndarray, int]]:
    """The receptive field outlined on the input and on one map of every layer between.

    Args:
        image: the 28x28 uint8 input.
        activations: layer name -> C x H x W output.
        fields: layer name -> box, from lenet.trace.receptive_fields ("input" included).
        cmap: one of theme.COLORMAPS.
        channel_of: which map of a layer to draw (default the one that is brightest inside the box).
        px: about how many screen px each picture is wide.
    Returns:
        layer name -> (RGB picture, the map drawn; 0 for the input), in the order of `fields`.
    """
    pictures = {}
    for name, box in fields.items():
        channel = 0
        if name == "input":
            rgb = np.repeat(np.asarray(image, dtype=np.uint8)[..., None], 3, axis=2)
        else:
            maps = np.asarray(activations[name], dtype=np.float32)
            if maps.ndim != 3:
                continue
            top, left, bottom, right = box
            brightest = int(np.argmax(maps[:, top : bottom + 1, left : right + 1].sum(axis=(1, 2))))
            channel = (channel_of or {}).get(name, brightest)
            rgb = mosaics.colorize(maps[channel], cmap, vmin=min(0.0, float(maps.min())))
        pictures[name] = (outline(rgb, box, max(1, px // rgb.shape[1])), channel)
    return pictures


TINT_LEVELS = 8  # how many strengths a grid cell's tint comes in, each sign its own colour


def _tint_css() -> str:
    rules = []
    for sign, colour in (("p", (230, 97, 1)), ("n", (94, 60, 153))):
        for k in range(TINT_LEVELS):
            alpha = 0.08 + 0.55 * k / (TINT_LEVELS - 1)
            rules.append(f".lg-{sign}{k}{{background:rgba({colour[0]},{colour[1]},{colour[2]},{alpha:.2f})}}")
    return "".join(rules)


# The number grids' look, as classes (the page adds this once): a grid then costs the browser fewer bytes to
# sanitise and parse on every stroke than one inline style per number.
GRID_CSS = (
    ".lg{margin:0}.lg figcaption{font-size:0.85rem;opacity:.85}"
    ".lg table{border-collapse:collapse;font-family:monospace;font-size:0.78rem}"
    ".lg td{padding:1px 4px;text-align:right}.lg .lg-x{opacity:.75}"
    + f".lg .lg-m{{outline:2px solid rgb{OUTLINE}}}"
    + _tint_css()
)


def _cell_class(value: float, limit: float) -> str:
    """A signed number's tint class: orange for positive (lg-p*), purple for negative (lg-n*), stronger the larger."""
    strength = 0.0 if limit <= 0 else min(1.0, abs(value) / limit)
    return f"lg-{'p' if value >= 0 else 'n'}{round(strength * (TINT_LEVELS - 1))}"


def number_grid(values: np.ndarray, title: str, decimals: int = 2, marked: tuple[int, int] | None = None) -> str:
    """A small grid of numbers as an HTML table, each cell tinted by its sign and size; NaN or -inf shows as ·.
    Styled by GRID_CSS's classes."""
    values = np.asarray(values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    limit = float(np.abs(finite).max()) if finite.size else 0.0
    rows = []
    for r, row in enumerate(values):
        cells = []
        for c, v in enumerate(row):
            ok = np.isfinite(v)
            text = f"{v:.{decimals}f}" if ok else "·"
            cls = (_cell_class(v, limit) if ok else "lg-x") + (" lg-m" if marked == (r, c) else "")
            cells.append(f'<td class="{cls}">{text}</td>')
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return f'<figure class="lg"><figcaption>{html.escape(title)}</figcaption><table>{"".join(rows)}</table></figure>'


def grids_row(grids: list[str], signs: list[str]) -> str:
    """Grids side by side with signs (×, =) between them, wrapping on a narrow screen."""
    parts = []
    for i, grid in enumerate(grids):
        parts.append(grid)
        if i < len(signs):
            parts.append(f'<div style="font-size:1.6rem;align-self:center;opacity:.8">{html.escape(signs[i])}</div>')
    return f'<div style="display:flex;gap:0.6rem;flex-wrap:wrap;align-items:flex-start">{"".join(parts)}</div>'


def _rect(top: float, left: float, bottom: float, right: float) -> tuple[list[float], list[float]]:
    """x, y of a closed rectangle around cells top..bottom, left..right (cell centres are whole numbers)."""
    x0, x1, y0, y1 = left - 0.5, right + 0.5, top - 0.5, bottom + 0.5
    return [x0, x1, x1, x0, x0], [y0, y0, y1, y1, y0]


def _cover(r: int, c: int, out_h: int, out_w: int) -> tuple[list[float], list[float]]:
    """x, y of the staircase polygon hiding every output cell after (r, c): the map not built yet."""
    x0, x1, yb = -0.5, out_w - 0.5, out_h - 0.5
    cut = c + 0.5
    return [cut, x1, x1, x0, x0, cut, cut], [r - 0.5, r - 0.5, yb, yb, r + 0.5, r + 0.5, r - 0.5]


def _frame(windows: np.ndarray, j: int, out_h: int, out_w: int) -> list[dict]:
    """Position j: the window on the source, the white cover over the map not built yet, the cell being built.

    Plain dicts, not go.Scatter: plotly validates each frame once, when the figure takes them.
    """
    r, c = divmod(j, out_w)
    wx, wy = _rect(*windows[j])
    cx, cy = _rect(r, c, r, c)
    hx, hy = _cover(r, c, out_h, out_w)
    line = dict(color="rgb(255,127,14)", width=3)
    white = dict(width=0, color="white")
    return [
        dict(type="scatter", x=wx, y=wy, mode="lines", line=line, hoverinfo="skip", xaxis="x", yaxis="y"),
        dict(
            type="scatter",
            x=hx,
            y=hy,
            mode="lines",
            fill="toself",
            fillcolor="white",
            line=white,
            hoverinfo="skip",
            xaxis="x2",
            yaxis="y2",
        ),
        dict(type="scatter", x=cx, y=cy, mode="lines", line=line, hoverinfo="skip", xaxis="x2", yaxis="y2"),
    ]


def player_figure(
    source: np.ndarray, output: np.ndarray, windows: np.ndarray, labels: dict, colormap: str, fps: int = 12
) -> go.Figure:
    """The window stepping across a map, building the output map cell by cell, animated in the browser.

    Every frame is precomputed (two rectangles and a polygon: a few numbers each), so plotly plays it at
    `fps` without a server round trip.

    Args:
        source: the H x W map the window slides over.
        output: the OH x OW map it builds.
        windows: (OH * OW) x 4: each position's window (top, left, bottom, right) on `source`, row by row.
        labels: translated "input", "output", "play", "pause", "position".
        colormap: a plotly colour scale name.
        fps: frames per second while playing.
    Returns:
        the plotly figure.
    """
    out_h, out_w = output.shape
    fig = make_subplots(rows=1, cols=2, subplot_titles=(labels["input"], labels["output"]), horizontal_spacing=0.08)
    hover = "%{y}, %{x}: %{z:.3f}<extra></extra>"
    fig.add_trace(go.Heatmap(z=source, colorscale=colormap, showscale=False, hovertemplate=hover), row=1, col=1)
    fig.add_trace(go.Heatmap(z=output, colorscale=colormap, showscale=False, hovertemplate=hover), row=1, col=2)

    for trace in _frame(windows, 0, out_h, out_w):
        fig.add_trace(go.Scatter(trace))
    positions = out_h * out_w
    fig.frames = [dict(data=_frame(windows, j, out_h, out_w), traces=[2, 3, 4], name=str(j)) for j in range(positions)]
    fig.update_layout(
        showlegend=False,
        height=400,
        margin=dict(l=10, r=10, t=40, b=10),
        **animation_layout(positions, labels, 1000 // fps),
    )
    hidden = dict(showgrid=False, zeroline=False, showticklabels=False, ticks="")
    fig.update_xaxes(**hidden)
    fig.update_yaxes(autorange="reversed", **hidden)
    fig.layout.yaxis.scaleanchor = "x"
    fig.layout.yaxis2.scaleanchor = "x2"
    return fig
