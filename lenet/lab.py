"""The Convolution lab's engine: its URL settings, the sliding-window picture, kernels on a digit,
and the whole-network table. No streamlit: pages/conv_lab.py only lays these out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from types import SimpleNamespace

import numpy as np
import plotly.graph_objects as go
import torch
import torch.nn.functional as F
from plotly.subplots import make_subplots

from lenet.arithmetic import (OPS, LayerError, LayerReport, format_size, parse_int, parse_padding, parse_size,
                              resolve_padding)

# Widget bounds, also applied to values read from a URL. Wide enough to show every failure
# (a kernel larger than the input, a stride that skips pixels), small enough that the page
# stays quick for a whole class on one server.
LIMITS = {
    "height": (1, 512), "width": (1, 512), "kernel": (1, 31), "stride": (1, 16), "padding": (0, 16),
    "dilation": (1, 8), "channels": (1, 512), "filters": (1, 512),
}
DIGIT_LIMIT = 128  # largest input the digit demo computes (a 512x512 conv with 31x31 filters is seconds)
VIEW = 20  # padded cells per axis drawn in the sliding-window picture before it is clipped
MAX_MAPS = 8  # output maps drawn for the digit
PRESETS = ("edge_horizontal", "edge_vertical", "blur", "sharpen", "random", "trained")
SINGLE_PRESETS = PRESETS[:4]  # hand-made presets are one filter each


@dataclass
class LabSettings:
    """One layer as the lab's widgets and its URL describe it."""

    height: int = 28
    width: int = 28
    kernel: int = 5
    stride: int = 1
    padding: int | str = 0
    dilation: int = 1
    op: str = "conv"
    ceil_mode: bool = False
    channels: int = 1
    filters: int = 6

    def to_query(self) -> dict[str, str]:
        """The URL query that reproduces these settings (`ceil` only when on)."""
        query = {"input": format_size(self.height, self.width), "kernel": str(self.kernel),
                 "stride": str(self.stride), "padding": str(self.padding), "dilation": str(self.dilation),
                 "op": self.op, "channels": str(self.channels), "filters": str(self.filters)}
        if self.ceil_mode:
            query["ceil"] = "1"
        return query


@dataclass
class QueryProblem:
    """A URL value the lab could not use as given: `code` is "bad" (unreadable) or "clamped" (out of bounds)."""

    key: str
    value: str
    used: str
    code: str


def _clamp(name: str, value: int) -> int:
    low, high = LIMITS[name]
    return min(max(value, low), high)


def settings_from_query(query: Mapping) -> tuple[LabSettings, list[QueryProblem]]:
    """Read the lab's settings from a URL query, never raising.

    Unreadable values fall back to the default and out-of-bounds ones are clamped to the widget
    bounds; each such value is reported so the page can say what it did instead.

    Args:
        query: key -> str (or a list of str, whose last item counts, as in st.query_params).
    Returns:
        the settings, and the problems found.
    """
    settings, problems = LabSettings(), []
    defaults = LabSettings()

    def raw(key: str) -> str | None:
        value = query.get(key)
        if isinstance(value, (list, tuple)):
            value = value[-1] if value else None
        return None if value is None else str(value)[:100]  # a tampered URL may be huge

    def note(key: str, value: str, used, code: str) -> None:
        problems.append(QueryProblem(key, value, str(used), code))

    if (text := raw("input")) is not None:
        try:
            height, width = parse_size(text)
        except LayerError:
            note("input", text, format_size(defaults.height, defaults.width), "bad")
        else:
            settings.height, settings.width = _clamp("height", height), _clamp("width", width)
            if (settings.height, settings.width) != (height, width):
                note("input", text, format_size(settings.height, settings.width), "clamped")
    for key in ("kernel", "stride", "dilation", "channels", "filters"):
        if (text := raw(key)) is None:
            continue
        try:
            value = parse_int(text, key)
        except LayerError:
            note(key, text, getattr(defaults, key), "bad")
            continue
        setattr(settings, key, _clamp(key, value))
        if getattr(settings, key) != value:
            note(key, text, getattr(settings, key), "clamped")
    if (text := raw("padding")) is not None:
        try:
            padding = parse_padding(text)
        except LayerError:
            note("padding", text, defaults.padding, "bad")
        else:
            settings.padding = padding if isinstance(padding, str) else _clamp("padding", padding)
            if settings.padding != padding:
                note("padding", text, settings.padding, "clamped")
    if (text := raw("op")) is not None:
        op = text.strip().lower().replace("_", "").replace(" ", "")
        op = {"max": "maxpool", "avg": "avgpool", "average": "avgpool"}.get(op, op)
        if op in OPS:
            settings.op = op
        else:
            note("op", text, defaults.op, "bad")
    if (text := raw("ceil")) is not None:
        flag = text.strip().lower()
        settings.ceil_mode = flag in ("1", "true", "yes", "on")
        if flag not in ("1", "true", "yes", "on", "0", "false", "no", "off", ""):
            note("ceil", text, "0", "bad")
    return settings, problems


# --- kernels -----------------------------------------------------------------------------------

def _binomial(k: int) -> np.ndarray:
    """Row k of Pascal's triangle, normalised: the discrete Gaussian (1 2 1 for k = 3)."""
    row = np.array([math.comb(k - 1, i) for i in range(k)], dtype=np.float64)
    return row / row.sum()


def preset_kernels(name: str, kernel: int, depth: int = 1, seed: int = 0,
                   trained: np.ndarray | None = None) -> np.ndarray:
    """The filters of a preset, as float32 (n, kernel, kernel).

    Args:
        name: one of PRESETS.
        kernel: filter size K.
        depth: how many filters the layer has; "random" and "trained" give that many (trained:
            at most as many as the model has), a hand-made preset is always one filter.
        seed: for "random".
        trained: the model's C1 weights (out, in, K, K), needed for "trained".
    Raises:
        ValueError: an unknown preset, or "trained" without weights of size K.
    """
    if name in SINGLE_PRESETS and kernel == 1:
        return np.ones((1, 1, 1), dtype=np.float32)  # a 1x1 filter can only scale a pixel: no edge, no blur
    if name in ("edge_horizontal", "edge_vertical"):
        # Sobel's idea at any size: a smoothing profile across the edge's direction, a signed
        # ramp along it, so a light-to-dark change gives a strong response
        k = np.outer(np.linspace(1.0, -1.0, kernel), _binomial(kernel))
        k = k if name == "edge_horizontal" else k.T
        return (k / (np.abs(k).sum() / 2))[None].astype(np.float32)  # positive weights sum to 1
    if name == "blur":
        return np.outer(_binomial(kernel), _binomial(kernel))[None].astype(np.float32)
    if name == "sharpen":
        # unsharp masking: the pixel, plus how much it differs from its blurred neighbourhood
        delta = np.zeros((kernel, kernel))
        delta[kernel // 2, kernel // 2] = 1.0
        return (2 * delta - np.outer(_binomial(kernel), _binomial(kernel)))[None].astype(np.float32)
    if name == "random":
        rng = np.random.default_rng(seed)
        # He initialisation's scale: what a freshly created, untrained conv layer holds
        return (rng.standard_normal((depth, kernel, kernel)) * math.sqrt(2.0 / (kernel * kernel))).astype(np.float32)
    if name == "trained":
        if trained is None or trained.ndim != 4 or trained.shape[-1] != kernel or trained.shape[-2] != kernel:
            raise ValueError(f"the trained kernels are not {kernel}x{kernel}")
        return np.asarray(trained[:depth, 0], dtype=np.float32)
    raise ValueError(f"unknown preset {name!r}; use one of {', '.join(PRESETS)}")


def trained_c1(model) -> np.ndarray | None:
    """The C1 filters of a LeNet as a numpy array (out, in, K, K), or None if it has no such conv."""
    conv = next((m for m in model.features.C1.modules() if isinstance(m, torch.nn.Conv2d)), None)
    return None if conv is None else conv.weight.detach().cpu().numpy()


# --- the layer on a digit ----------------------------------------------------------------------

def synthetic_digit(size: int = 28) -> np.ndarray:
    """A drawn "7" in MNIST's format (light ink on black, values 0..1), for when MNIST is absent."""
    yy, xx = np.mgrid[0:size, 0:size] / (size - 1)

    def distance(y0: float, x0: float, y1: float, x1: float) -> np.ndarray:
        """Each pixel's distance to the stroke from (y0, x0) to (y1, x1)."""
        dy, dx = y1 - y0, x1 - x0
        t = np.clip(((yy - y0) * dy + (xx - x0) * dx) / (dy * dy + dx * dx), 0.0, 1.0)
        return np.hypot(yy - (y0 + t * dy), xx - (x0 + t * dx))

    ink = np.minimum(distance(0.25, 0.28, 0.25, 0.72), distance(0.25, 0.72, 0.8, 0.45))
    return np.clip(1.5 - ink / 0.035, 0.0, 1.0).astype(np.float32)  # about 2.5 px wide, soft edges


def example_digits() -> tuple[dict[int, np.ndarray], bool]:
    """One MNIST test image per digit as floats 0..1, and True; or a drawn 7 and False without MNIST."""
    from lenet.data import DataError, load_mnist

    try:
        mnist = load_mnist()
    except DataError:
        return {7: synthetic_digit()}, False
    digits = {}
    for label in range(10):
        found = np.flatnonzero(mnist.test_labels == label)
        if len(found):
            digits[label] = mnist.test_images[found[0]].astype(np.float32) / 255.0
    return (digits, True) if digits else ({7: synthetic_digit()}, False)


def fit_image(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize a 2-D image to height x width (antialiased), so the digit matches the lab's input size."""
    x = torch.as_tensor(np.asarray(image, dtype=np.float32))[None, None]
    if x.shape[-2:] == (height, width):
        return x[0, 0].numpy()
    return F.interpolate(x, size=(height, width), mode="bilinear", antialias=True, align_corners=False)[0, 0].numpy()


def apply_layer(image: np.ndarray, settings: LabSettings, kernels: np.ndarray | None = None) -> np.ndarray:
    """Run the lab's layer on a one-channel image with real PyTorch ops.

    Args:
        image: H x W floats.
        settings: the layer (its op, kernel, stride, padding, dilation, ceil mode).
        kernels: conv only: (n, K, K) filters, one output map each.
    Returns:
        (n, OH, OW) maps; one map for pooling.
    Raises:
        LayerError / RuntimeError: a setting PyTorch refuses (the page checks with explain_layer first).
    """
    x = torch.as_tensor(np.asarray(image, dtype=np.float32))[None, None]
    if settings.op == "conv":
        weight = torch.as_tensor(np.asarray(kernels, dtype=np.float32))[:, None]
        # Pad explicitly, as PyTorch's padding='same' does internally (the extra pixel after): passing
        # 'same' with an even kernel would log a performance warning on every rerun of the page.
        before, after = resolve_padding(settings.padding, settings.kernel, settings.dilation, settings.stride)
        y = F.conv2d(F.pad(x, (before, after, before, after)), weight, stride=settings.stride,
                     dilation=settings.dilation)
    else:
        padding = 0 if settings.padding == "valid" else int(settings.padding)
        if settings.op == "maxpool":
            y = F.max_pool2d(x, settings.kernel, settings.stride, padding, settings.dilation, settings.ceil_mode)
        else:
            y = F.avg_pool2d(x, settings.kernel, settings.stride, padding, settings.ceil_mode)
    return y[0].numpy()


def maps_figure(maps, titles: list[str], colormap: str = "viridis", columns: int = 4,
                zmid: float | None = None) -> go.Figure:
    """Small multiples of 2-D maps (of any sizes), each on its own colour scale, pixels square, no axes.

    Args:
        maps: a sequence of 2-D arrays.
        titles: one per map.
        colormap: a plotly colour scale name.
        columns: maps per row.
        zmid: the value at the colour scale's middle (0 for signed kernel weights), else each map's own range.
    """
    n = len(maps)
    cols = min(columns, n)
    rows = math.ceil(n / cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.03, vertical_spacing=0.08)
    for i, m in enumerate(maps):
        fig.add_trace(go.Heatmap(z=m, colorscale=colormap, showscale=False, zmid=zmid,
                                 hovertemplate="row %{y}, col %{x}: %{z:.3f}<extra></extra>"),
                      row=i // cols + 1, col=i % cols + 1)
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


_SQUARE_X = np.array([-0.5, 0.5, 0.5, -0.5, -0.5, np.nan])
_SQUARE_Y = np.array([-0.5, -0.5, 0.5, 0.5, -0.5, np.nan])


def _cell_outlines(cells) -> tuple[np.ndarray, np.ndarray]:
    """x, y of closed squares around grid cells (row, col), NaN between squares: one scatter trace.

    numpy arrays with NaN gaps rather than lists with None: plotly validates arrays in one step,
    which makes the hundreds of animation frames about ten times cheaper to build.
    """
    cells = np.asarray(cells, dtype=np.float64).reshape(-1, 2)
    xs = (cells[:, 1:2] + _SQUARE_X).ravel()
    ys = (cells[:, 0:1] + _SQUARE_Y).ravel()
    return xs, ys


def window_figure(report: LayerReport, image: np.ndarray, output: np.ndarray, labels: Mapping[str, str],
                  colormap: str = "viridis", view: int = VIEW) -> WindowView | None:
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
    Returns:
        the figure, or None when even one window is larger than what can be drawn.
    """
    rows, cols = report.rows, report.cols
    ceil = report.op != "conv" and report.ceil_mode

    def extent(fit) -> int:  # ceil-mode windows may hang past the padding: draw up to their end
        return max(fit.padded, (fit.output - 1) * fit.stride + fit.span) if ceil else fit.padded

    if max(rows.span, cols.span) > 2 * view:
        return None
    grid_h, grid_w = (min(extent(f), max(view, f.span)) for f in (rows, cols))
    clipped = (grid_h, grid_w) != (extent(rows), extent(cols))
    # window positions whose whole window lies inside the drawn grid
    out_h = min(rows.output, (grid_h - rows.span) // rows.stride + 1)
    out_w = min(cols.output, (grid_w - cols.span) // cols.stride + 1)

    padded = np.full((grid_h, grid_w), np.nan)
    top, left = rows.before, cols.before
    inner = image[: max(0, grid_h - top), : max(0, grid_w - left)]
    padded[top:top + inner.shape[0], left:left + inner.shape[1]] = inner
    is_padding = np.isnan(padded)
    padded[is_padding] = 0.0  # PyTorch pads with zeros (max pooling pads with -inf: drawn as zeros too)
    pad_y, pad_x = np.nonzero(is_padding)

    fig = make_subplots(rows=1, cols=2, subplot_titles=(labels["input"], labels["output"]),
                        horizontal_spacing=0.08, column_widths=[0.55, 0.45])
    fig.add_trace(go.Heatmap(z=padded, colorscale=colormap, showscale=False,
                             hovertemplate="%{y}, %{x}: %{z:.2f}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Scatter(x=pad_x, y=pad_y, mode="markers", name=labels["padding"],
                             marker=dict(symbol="x-thin", size=5, color="rgba(128,128,128,0.8)",
                                         line=dict(width=1, color="rgba(128,128,128,0.8)")),
                             hoverinfo="skip"), row=1, col=1)
    shown = output[:out_h, :out_w]
    fig.add_trace(go.Heatmap(z=shown, colorscale=colormap, showscale=False,
                             hovertemplate="%{y}, %{x}: %{z:.2f}<extra></extra>"), row=1, col=2)

    def frame_traces(j: int) -> list[dict]:
        """The window's cells on the input and the cell it makes on the output, at position j.

        Plain dicts, not go.Scatter: plotly then validates each frame once, when the figure takes
        them, instead of three times (trace, frame, figure) - the difference between a tenth of a
        second and a second for a few hundred positions.
        """
        r, c = divmod(j, out_w)
        r0, c0 = r * rows.stride, c * cols.stride
        taps = [(r0 + a * report.dilation, c0 + b * report.dilation)
                for a in range(report.kernel) for b in range(report.kernel)]
        wx, wy = _cell_outlines(taps)
        ox, oy = _cell_outlines([(r, c)])
        # orange is in neither viridis nor cividis, so the outline stands out on both
        return [dict(type="scatter", x=wx, y=wy, mode="lines", line=dict(color="#ff7f0e", width=3),
                     hoverinfo="skip"),
                dict(type="scatter", x=ox, y=oy, mode="lines", line=dict(color="#ff7f0e", width=4),
                     hoverinfo="skip")]

    first = frame_traces(0)
    fig.add_trace(go.Scatter(first[0]), row=1, col=1)
    fig.add_trace(go.Scatter(first[1]), row=1, col=2)
    positions = out_h * out_w
    fig.frames = [dict(data=frame_traces(j), traces=[3, 4], name=str(j)) for j in range(positions)]
    # redraw=True: with partial redraws plotly.js drops the heatmaps while it animates the outlines
    step = dict(mode="immediate", frame=dict(duration=0, redraw=True), transition=dict(duration=0))
    fig.update_layout(
        showlegend=False, height=460, margin=dict(l=10, r=10, t=40, b=10),
        # plotly's usual animation layout: the buttons on the left, the slider to their right
        sliders=[dict(active=0, x=0.17, len=0.83, y=0, yanchor="top", pad=dict(t=30),
                      currentvalue=dict(prefix=labels["position"] + " "),
                      steps=[dict(method="animate", label=str(j + 1), args=[[str(j)], step])
                             for j in range(positions)])],
        updatemenus=[dict(type="buttons", direction="left", x=0, y=0, xanchor="left", yanchor="top",
                          pad=dict(t=45), showactive=False, buttons=[
                              dict(label="▶ " + labels["play"], method="animate",
                                   args=[None, dict(mode="immediate", fromcurrent=True, transition=dict(duration=0),
                                                    frame=dict(duration=350, redraw=True))]),
                              dict(label=labels["pause"], method="animate",
                                   args=[[None], dict(mode="immediate", frame=dict(duration=0, redraw=True))])])])
    hidden = dict(showgrid=False, zeroline=False, showticklabels=False, ticks="")
    fig.update_xaxes(**hidden)
    fig.update_yaxes(autorange="reversed", **hidden)
    fig.layout.yaxis.scaleanchor = "x"
    fig.layout.yaxis2.scaleanchor = "x2"
    return WindowView(fig, clipped, positions)


# --- the whole network -------------------------------------------------------------------------

NETWORK_LIMITS = {"channels": (1, 256), "kernel": (1, 28), "stride": (1, 8), "padding": (0, 8),
                  "pool_size": (1, 8), "f6_units": (1, 1024)}
CHECK_PARAM_LIMIT = 5_000_000  # the PyTorch check builds the network: keep it small on a shared server


def network_config(base: Mapping | None = None, **overrides) -> SimpleNamespace:
    """A LeNetConfig-shaped object that may be invalid, for arithmetic.network_table.

    LeNetConfig itself refuses an invalid network in __post_init__, but the lab must show one.
    """
    from lenet.model import LeNetConfig

    values = {f.name: f.default for f in fields(LeNetConfig)}
    values.update(base or {})
    values.update(overrides)
    return SimpleNamespace(**values)


def pytorch_shapes(config) -> dict[str, tuple[int, ...]]:
    """Shapes of every named layer's output in a real forward pass of LeNet(config) on zeros.

    Args:
        config: a valid LeNetConfig.
    Returns:
        layer name -> output shape without the batch dimension.
    """
    from lenet.model import LeNet

    model = LeNet(config).eval()
    shapes: dict[str, tuple[int, ...]] = {}
    hooks = [module.register_forward_hook(lambda m, i, o, name=name: shapes.__setitem__(name, tuple(o.shape[1:])))
             for name, module in model.named_layers().items()]
    try:
        with torch.no_grad():
            model(torch.zeros(1, config.in_channels, config.input_size, config.input_size))
    finally:
        for hook in hooks:
            hook.remove()
    return shapes
