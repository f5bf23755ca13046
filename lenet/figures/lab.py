"""The Convolution lab's plotly figures: maps side by side, the window sliding over the input, and a
transposed convolution painting its output.

Self-contained (numpy and plotly, and the lab's LayerReport), so it can join the other figures.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lenet.conv.arithmetic import Fit, Spread
from lenet.conv.explain import LayerReport

VIEW = 20  # padded cells per axis drawn in the sliding-window picture before it is clipped
OUTLINE = "#ff7f0e"  # orange is in neither viridis nor cividis, so the window's outline stands out on both


def maps_figure(
    maps, titles: list[str], colormap: str = "viridis", columns: int = 4, zmid: float | None = None
) -> go.Figure:
    """Small multiples of 2-D maps (of any sizes), each on its own colour scale, pixels square, no axes.

    Args:
        maps: a sequence of 2-D arrays.
        titles: one per map.
        colormap: a plotly colour scale name.
        columns: maps per row.
        zmid: the value at the colour scale's middle (0 for signed kernel weights), else each map's own range.
    Returns:
        the figure.
    """
    n = len(maps)
    cols = min(columns, n)
    rows = math.ceil(n / cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.03, vertical_spacing=0.08)
    for i, m in enumerate(maps):
        fig.add_trace(
            go.Heatmap(
                z=m,
                colorscale=colormap,
                showscale=False,
                zmid=zmid,
                hovertemplate="row %{y}, col %{x}: %{z:.3f}<extra></extra>",
            ),
            row=i // cols + 1,
            col=i % cols + 1,
        )
    fig.update_xaxes(visible=False, constrain="domain")
    fig.update_yaxes(visible=False, autorange="reversed")
    for i in range(n):  # square pixels: each y axis follows its own x axis
        suffix = "" if i == 0 else str(i + 1)
        fig.layout[f"yaxis{suffix}"].scaleanchor = f"x{suffix}"
    fig.update_layout(height=max(220, 230 * rows), margin=dict(l=5, r=5, t=30, b=5))
    return fig


# --- the sliding-window picture ----------------------------------------------------------------


@dataclass
class WindowView:
    """What the sliding-window picture shows: the drawn part of the grid and the positions in it."""

    figure: go.Figure
    clipped: bool  # only the top-left corner of a large input is drawn
    positions: int  # window positions animated


@dataclass
class _Grid:
    """The part of the padded input that is drawn, and the window positions that fit in it."""

    height: int
    width: int
    out_h: int
    out_w: int
    clipped: bool


_SQUARE_X = np.array([-0.5, 0.5, 0.5, -0.5, -0.5, np.nan])
_SQUARE_Y = np.array([-0.5, -0.5, 0.5, 0.5, -0.5, np.nan])


def _cell_outlines(cells) -> tuple[np.ndarray, np.ndarray]:
    """x, y of closed squares around grid cells (row, col), NaN between squares: one scatter trace.

    numpy arrays with NaN gaps rather than lists with None: plotly validates arrays in one step,
    which is most of the cost of building hundreds of animation frames.
    """
    cells = np.asarray(cells, dtype=np.float64).reshape(-1, 2)
    xs = (cells[:, 1:2] + _SQUARE_X).ravel()
    ys = (cells[:, 0:1] + _SQUARE_Y).ravel()
    return xs, ys


def _extent(fit: Fit, ceil: bool) -> int:
    """Cells the windows reach on one axis: ceil-mode windows may hang past the padding."""
    return max(fit.padded, (fit.output - 1) * fit.stride + fit.span) if ceil else fit.padded


def _grid(report: LayerReport, view: int) -> _Grid:
    """Clip the padded input to `view` cells per axis (or one window, if wider) and count the positions inside."""
    rows, cols = report.rows, report.cols
    ceil = report.op != "conv" and report.ceil_mode
    height, width = (min(_extent(f, ceil), max(view, f.span)) for f in (rows, cols))
    # window positions whose whole window lies inside the drawn grid
    out_h = min(rows.output, (height - rows.span) // rows.stride + 1)
    out_w = min(cols.output, (width - cols.span) // cols.stride + 1)
    return _Grid(height, width, out_h, out_w, (height, width) != (_extent(rows, ceil), _extent(cols, ceil)))


def _padded_input(report: LayerReport, image: np.ndarray, grid: _Grid) -> tuple[np.ndarray, np.ndarray]:
    """The drawn grid's values (padding as zeros), and a mask of the padding cells."""
    padded = np.full((grid.height, grid.width), np.nan)
    top, left = report.rows.before, report.cols.before
    inner = image[: max(0, grid.height - top), : max(0, grid.width - left)]
    padded[top : top + inner.shape[0], left : left + inner.shape[1]] = inner
    is_padding = np.isnan(padded)
    padded[is_padding] = 0.0  # PyTorch pads with zeros (max pooling pads with -inf: drawn as zeros too)
    return padded, is_padding


def _frame_traces(report: LayerReport, j: int, out_w: int) -> list[dict]:
    """The window's cells on the input and the cell it makes on the output, at position j.

    Plain dicts, not go.Scatter: plotly then validates each frame once, when the figure takes
    them, instead of three times (trace, frame, figure).
    """
    r, c = divmod(j, out_w)
    r0, c0 = r * report.rows.stride, c * report.cols.stride
    taps = [
        (r0 + a * report.dilation, c0 + b * report.dilation) for a in range(report.kernel) for b in range(report.kernel)
    ]
    wx, wy = _cell_outlines(taps)
    ox, oy = _cell_outlines([(r, c)])
    return [
        dict(type="scatter", x=wx, y=wy, mode="lines", line=dict(color=OUTLINE, width=3), hoverinfo="skip"),
        dict(type="scatter", x=ox, y=oy, mode="lines", line=dict(color=OUTLINE, width=4), hoverinfo="skip"),
    ]


def _still_figure(
    padded: np.ndarray, is_padding: np.ndarray, shown: np.ndarray, labels: Mapping[str, str], colormap: str
) -> go.Figure:
    """The input grid with its padding marked, and the output map: traces 0, 1 and 2."""
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=(labels["input"], labels["output"]),
        horizontal_spacing=0.08,
        column_widths=[0.55, 0.45],
    )
    fig.add_trace(
        go.Heatmap(z=padded, colorscale=colormap, showscale=False, hovertemplate="%{y}, %{x}: %{z:.2f}<extra></extra>"),
        row=1,
        col=1,
    )
    pad_y, pad_x = np.nonzero(is_padding)
    grey = "rgba(128,128,128,0.8)"
    fig.add_trace(
        go.Scatter(
            x=pad_x,
            y=pad_y,
            mode="markers",
            name=labels["padding"],
            marker=dict(symbol="x-thin", size=5, color=grey, line=dict(width=1, color=grey)),
            hoverinfo="skip",
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Heatmap(z=shown, colorscale=colormap, showscale=False, hovertemplate="%{y}, %{x}: %{z:.2f}<extra></extra>"),
        row=1,
        col=2,
    )
    return fig


def animation_layout(positions: int, labels: Mapping[str, str], frame_ms: int = 350) -> dict:
    """The slider and the play/pause buttons that move a window through `positions` frames, `frame_ms` apart.

    Shared by every animated figure (the lab's sliding window, the Draw page's trace player).
    """
    # redraw=True: with partial redraws plotly.js drops the heatmaps while it animates the outlines
    step = dict(mode="immediate", frame=dict(duration=0, redraw=True), transition=dict(duration=0))
    play = dict(
        mode="immediate", fromcurrent=True, transition=dict(duration=0), frame=dict(duration=frame_ms, redraw=True)
    )
    pause = dict(mode="immediate", frame=dict(duration=0, redraw=True))
    # plotly's usual animation layout: the buttons on the left, the slider to their right
    return dict(
        sliders=[
            dict(
                active=0,
                x=0.17,
                len=0.83,
                y=0,
                yanchor="top",
                pad=dict(t=30),
                currentvalue=dict(prefix=labels["position"] + " "),
                steps=[dict(method="animate", label=str(j + 1), args=[[str(j)], step]) for j in range(positions)],
            )
        ],
        updatemenus=[
            dict(
                type="buttons",
                direction="left",
                x=0,
                y=0,
                xanchor="left",
                yanchor="top",
                pad=dict(t=45),
                showactive=False,
                buttons=[
                    dict(label="▶ " + labels["play"], method="animate", args=[None, play]),
                    dict(label=labels["pause"], method="animate", args=[[None], pause]),
                ],
            )
        ],
    )


def window_figure(
    report: LayerReport,
    image: np.ndarray,
    output: np.ndarray,
    labels: Mapping[str, str],
    colormap: str = "viridis",
    view: int = VIEW,
) -> WindowView | None:
    """The padded input with the window on it, and the output map with the cell that window makes.

    A plotly slider and a play button move the window position by position, in the browser, so
    a projected lesson needs no server round trip per step. Inputs whose padded grid is larger
    than `view` cells are clipped to the top-left corner and the window positions inside it.

    Args:
        report: a valid explain_layer report.
        image: the H x W input values to draw (before padding).
        output: one OH x OW output map, the values the window produces.
        labels: translated texts: "input", "output", "padding", "play", "pause", "position".
        colormap: a plotly colour scale name.
        view: padded cells per axis drawn before the picture is clipped.
    Returns:
        the figure, or None when even one window is larger than what can be drawn.
    """
    if max(report.rows.span, report.cols.span) > 2 * view:
        return None
    grid = _grid(report, view)
    padded, is_padding = _padded_input(report, image, grid)
    fig = _still_figure(padded, is_padding, output[: grid.out_h, : grid.out_w], labels, colormap)
    window, cell = _frame_traces(report, 0, grid.out_w)
    fig.add_trace(go.Scatter(window), row=1, col=1)
    fig.add_trace(go.Scatter(cell), row=1, col=2)
    positions = grid.out_h * grid.out_w
    fig.frames = [dict(data=_frame_traces(report, j, grid.out_w), traces=[3, 4], name=str(j)) for j in range(positions)]
    fig.update_layout(
        showlegend=False, height=460, margin=dict(l=10, r=10, t=40, b=10), **animation_layout(positions, labels)
    )
    hidden = dict(showgrid=False, zeroline=False, showticklabels=False, ticks="")
    fig.update_xaxes(**hidden)
    fig.update_yaxes(autorange="reversed", **hidden)
    fig.layout.yaxis.scaleanchor = "x"
    fig.layout.yaxis2.scaleanchor = "x2"
    return WindowView(fig, grid.clipped, positions)


# --- the transposed convolution picture ----------------------------------------------------------

TRANSPOSED_VIEW = 8  # input cells per axis whose painting is animated
TRANSPOSED_GRID = 64  # the largest spread or output grid drawn, per axis


def _overlap(axis: Spread, cells: int) -> np.ndarray:
    """How many of the first `cells` input cells paint each output cell on one axis.

    With every input cell drawn this is the whole output; a clipped input shows the part its cells reach.
    """
    counts = np.zeros(axis.output)
    for i in range(cells):
        counts[axis.painted(i)] += 1
    if cells == axis.size:
        return counts
    return counts[: int(np.flatnonzero(counts).max(initial=-1)) + 1]


def _spread_grid(report: LayerReport, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray, int]:
    """The input spread out by the stride and padded as the equivalent direct conv pads it.

    Returns the grid (1 at the input's cells, 0 at the zeros put between them), a mask of the padding, and the
    padding drawn at the top and left (D(K-1) - P, none when P crops instead). The bottom and right get
    output_padding more, as PyTorch's equivalent direct convolution pads them, unless the input is clipped.
    """
    pad = max(0, report.rows.inner_padding)
    s = report.stride
    spread = ((rows - 1) * s + 1, (cols - 1) * s + 1)
    extra = [
        report.output_padding if drawn == whole else 0 for drawn, whole in ((rows, report.height), (cols, report.width))
    ]
    size = tuple(n + 2 * pad + e for n, e in zip(spread, extra, strict=True))
    grid = np.zeros(size)
    grid[pad : pad + spread[0] : s, pad : pad + spread[1] : s] = 1.0
    is_padding = np.ones(size, dtype=bool)
    is_padding[pad : pad + spread[0], pad : pad + spread[1]] = False
    return grid, is_padding, pad


def _painted_traces(report: LayerReport, j: int, cols: int, pad: int) -> list[dict]:
    """Frame j: input cell j outlined, its place in the spread grid, and the output cells it paints."""
    r, c = divmod(j, cols)
    s = report.stride
    cells = [(y, x) for y in report.rows.painted(r) for x in report.cols.painted(c)]
    line = dict(color=OUTLINE, width=3)
    traces = []
    for cell_list in ([(r, c)], [(pad + r * s, pad + c * s)], cells or [(np.nan, np.nan)]):
        x, y = _cell_outlines(cell_list)
        traces.append(dict(type="scatter", x=x, y=y, mode="lines", line=line, hoverinfo="skip"))
    return traces


def transposed_figure(
    report: LayerReport, labels: Mapping[str, str], colormap: str = "viridis", view: int = TRANSPOSED_VIEW
) -> WindowView | None:
    """A transposed convolution in three panels: the input, the input spread out by the stride and padded,
    and the output, coloured by how many input cells paint each of its cells. A slider walks the input cells
    and outlines the output cells each one paints (its K x K patch, starting at i*S - P).

    Args:
        report: a valid explain_layer report of a "convtranspose" layer.
        labels: translated texts: "input", "spread", "output", "padding", "play", "pause", "position".
        colormap: a plotly colour scale name.
        view: input cells per axis animated; a larger input is clipped to its top-left corner.
    Returns:
        the figure, or None when the spread grid or the output is too large to draw.
    """
    rows, cols = min(report.height, view), min(report.width, view)
    grid, is_padding, pad = _spread_grid(report, rows, cols)
    overlap = np.outer(_overlap(report.rows, rows), _overlap(report.cols, cols))
    if max(*grid.shape, *overlap.shape) > TRANSPOSED_GRID:
        return None
    fig = make_subplots(
        rows=1,
        cols=3,
        subplot_titles=(labels["input"], labels["spread"], labels["output"]),
        horizontal_spacing=0.05,
        column_widths=[0.2, 0.4, 0.4],
    )
    hover = "%{y}, %{x}: %{z:.0f}<extra></extra>"
    fig.add_trace(go.Heatmap(z=np.ones((rows, cols)), colorscale=colormap, zmin=0, zmax=1, showscale=False), 1, 1)
    fig.add_trace(go.Heatmap(z=grid, colorscale=colormap, zmin=0, zmax=1, showscale=False, hovertemplate=hover), 1, 2)
    pad_y, pad_x = np.nonzero(is_padding)
    grey = "rgba(128,128,128,0.8)"
    marker = dict(symbol="x-thin", size=5, color=grey, line=dict(width=1, color=grey))
    fig.add_trace(go.Scatter(x=pad_x, y=pad_y, mode="markers", marker=marker, hoverinfo="skip"), 1, 2)
    fig.add_trace(go.Heatmap(z=overlap, colorscale=colormap, showscale=False, hovertemplate=hover), 1, 3)
    for panel, trace in enumerate(_painted_traces(report, 0, cols, pad)):
        fig.add_trace(go.Scatter(trace), 1, panel + 1)
    positions = rows * cols
    fig.frames = [
        dict(data=_painted_traces(report, j, cols, pad), traces=[4, 5, 6], name=str(j)) for j in range(positions)
    ]
    fig.update_layout(
        showlegend=False, height=420, margin=dict(l=10, r=10, t=40, b=10), **animation_layout(positions, labels)
    )
    hidden = dict(showgrid=False, zeroline=False, showticklabels=False, ticks="")
    fig.update_xaxes(constrain="domain", **hidden)
    fig.update_yaxes(autorange="reversed", **hidden)
    for suffix in ("", "2", "3"):
        fig.layout[f"yaxis{suffix}"].scaleanchor = f"x{suffix}"
    return WindowView(fig, (rows, cols) != (report.height, report.width), positions)
