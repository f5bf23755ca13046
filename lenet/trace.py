"""Tracing one number of a LeNet back to the drawing: how a cell was computed, and what it sees.

Pure and exact: every step is recomputed from the model's own modules (their kernel, stride, padding
and dilation, weights, bias, batch norm and activation), so variant networks are traced as they really
run, and the traced value equals the model's own to float precision. Nothing here imports streamlit.

A cell is (layer, channel, row, col); fully connected layers (F6, output) have only a channel (the unit).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from torch import nn

SPATIAL = ("C1", "S2", "C3", "S4", "C5")  # layers whose outputs are maps
VECTOR = ("F6", "output")  # layers whose outputs are units
TOP_INPUTS = 5  # the F6/output inputs listed by name in each direction; the rest are "others"
_ACTIVATIONS = {nn.ReLU: "relu", nn.Tanh: "tanh", nn.Sigmoid: "sigmoid"}


@dataclass(frozen=True)
class Cell:
    """One number of one layer: the channel (or unit), and its row and column on a map (0 for units)."""

    layer: str
    channel: int
    row: int = 0
    col: int = 0

    def as_key(self) -> dict:
        """The session-state form: {"layer", "channel", "row", "col"}, without row/col for F6 and output."""
        if self.layer in VECTOR:
            return {"layer": self.layer, "channel": self.channel}
        return {"layer": self.layer, "channel": self.channel, "row": self.row, "col": self.col}


@dataclass(frozen=True)
class Geometry:
    """How a map layer slides over its input: per axis kernel, stride, padding before, dilation."""

    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]  # cells added before the first row and column
    dilation: tuple[int, int]
    op: str  # "conv", "max" or "avg"

    def window(self, row: int, col: int) -> tuple[int, int, int, int]:
        """(top, left, bottom, right), inclusive, of the window making output cell (row, col), in unpadded
        input coordinates (they may lie in the padding, outside the map)."""
        top = row * self.stride[0] - self.padding[0]
        left = col * self.stride[1] - self.padding[1]
        return (
            top,
            left,
            top + self.dilation[0] * (self.kernel[0] - 1),
            left + self.dilation[1] * (self.kernel[1] - 1),
        )


@dataclass
class ConvTrace:
    """A conv cell (a learned pooling layer's too): per input channel the patch, the kernel and their products."""

    cell: Cell
    window: tuple[int, int, int, int]  # on the previous layer, may reach into the padding
    patches: np.ndarray  # Cin x K x K: the input values under the kernel's taps (0 in the padding)
    kernels: np.ndarray  # Cin x K x K
    products: np.ndarray  # Cin x K x K: patch x kernel, element by element
    partial_sums: np.ndarray  # Cin: each input channel's share
    total: float  # the sum of every product
    bias: float  # 0 when batch norm follows (the conv then has no bias)
    pre_activation: float  # total + bias
    batch_norm: dict | None  # mean, var, eps, weight, bias and the normalised value, when the model has it
    activation: str | None  # relu, tanh or sigmoid
    value: float  # the layer's output at the cell
    kind: str = "conv"


@dataclass
class PoolTrace:
    """A max or average pooling cell: its window and the winner or the mean."""

    cell: Cell
    window: tuple[int, int, int, int]
    values: np.ndarray  # K x K: the input values under the window's taps
    op: str  # "max" or "avg"
    winner: tuple[int, int] | None  # max: the (row, col) in `values` that won
    value: float
    kind: str = "pool"


@dataclass
class FcTrace:
    """An F6 or output unit: the inputs that pushed it up and down most (weight x input), the rest, the bias."""

    cell: Cell
    up: list[tuple[int, float, float, float]]  # (input index, input, weight, weight x input), biggest first
    down: list[tuple[int, float, float, float]]  # most negative first
    others: float  # every other input's share, summed
    others_count: int
    total: float
    bias: float
    pre_activation: float
    activation: str | None
    value: float
    softmax: dict | None = None  # output only: logits, exp, sum, probs, shift
    kind: str = "fc"


@dataclass
class Trace:
    """One cell explained: the computation and where it looks on every layer before it."""

    cell: Cell
    step: ConvTrace | PoolTrace | FcTrace
    fields: OrderedDict[str, tuple[int, int, int, int]] = field(default_factory=OrderedDict)

    @property
    def value(self) -> float:
        return self.step.value


def _pair(v) -> tuple[int, int]:
    return (int(v[0]), int(v[1])) if isinstance(v, (tuple, list)) else (int(v), int(v))


def _conv_of(module: nn.Module) -> nn.Conv2d | None:
    return next((m for m in module.modules() if isinstance(m, nn.Conv2d)), None)


def _padding(conv: nn.Conv2d) -> tuple[int, int]:
    """Cells before the first row and column; "same" pads the left half of the total, as PyTorch does."""
    if conv.padding == "valid":
        return 0, 0
    if conv.padding == "same":
        k, d = _pair(conv.kernel_size), _pair(conv.dilation)
        return tuple(d[i] * (k[i] - 1) // 2 for i in range(2))
    return _pair(conv.padding)


def geometry(module: nn.Module) -> Geometry:
    """The sliding geometry of a map layer's block (a conv block, a pooling layer, a learned pooling conv).

    Args:
        module: one of the model's spatial layers, e.g. model.named_layers()["C3"].
    Returns:
        its Geometry, read from the module itself.
    """
    conv = _conv_of(module)
    if conv is not None:
        return Geometry(_pair(conv.kernel_size), _pair(conv.stride), _padding(conv), _pair(conv.dilation), "conv")
    dilation = getattr(module, "dilation", 1)  # AvgPool2d has none
    op = "max" if isinstance(module, nn.MaxPool2d) else "avg"
    stride = module.stride if module.stride is not None else module.kernel_size
    return Geometry(_pair(module.kernel_size), _pair(stride), _pair(module.padding), _pair(dilation), op)


def activation_name(module: nn.Module) -> str | None:
    """relu, tanh or sigmoid: the activation inside a layer's block, or None (max/avg pooling, the logits)."""
    for m in module.modules():
        for kind, name in _ACTIVATIONS.items():
            if isinstance(m, kind):
                return name
    return None


def _activate(name: str | None, x: float) -> float:
    if name == "relu":
        return max(0.0, x)
    if name == "tanh":
        return math.tanh(x)
    if name == "sigmoid":
        return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
    return x


def shapes(activations: OrderedDict[str, np.ndarray]) -> dict[str, tuple[int, ...]]:
    """Each layer's output shape, from an Inspection's activations."""
    return {name: tuple(np.shape(a)) for name, a in activations.items()}


def _as_index(value) -> int | None:
    """A whole number as an int (7, 7.0, "7"); None for anything else (a bool, 7.5, "x")."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else None


def parse_cell(value, layer_shapes: dict[str, tuple[int, ...]]) -> Cell | None:
    """The session-state key `trace` as a Cell of this model, or None when it names nothing that exists.

    Never raises: a stale selection (another model, a layer it lacks, a cell out of range) is None.

    Args:
        value: e.g. {"layer": "C3", "channel": 4, "row": 3, "col": 7}; row/col are ignored for F6 and output.
        layer_shapes: each layer's output shape (shapes(inspection.activations)).
    Returns:
        the Cell, or None.
    """
    if not isinstance(value, dict) or not isinstance(value.get("layer"), str) or value["layer"] not in layer_shapes:
        return None
    layer = value["layer"]
    shape = layer_shapes[layer]
    channel = _as_index(value.get("channel"))
    if channel is None or not 0 <= channel < shape[0]:
        return None
    if len(shape) == 1 or layer in VECTOR:
        return Cell(layer, channel)
    row, col = _as_index(value.get("row", 0)), _as_index(value.get("col", 0))
    if row is None or col is None or not (0 <= row < shape[1] and 0 <= col < shape[2]):
        return None
    return Cell(layer, channel, row, col)


def _previous(layers: list[str], layer: str) -> str:
    i = layers.index(layer)
    return layers[i - 1] if i > 0 else "input"


def _taps(source: np.ndarray, geo: Geometry, row: int, col: int, fill: float) -> np.ndarray:
    """The values under a window's taps, C x K x K, `fill` where a tap lies in the padding."""
    top, left, _, _ = geo.window(row, col)
    rows = top + geo.dilation[0] * np.arange(geo.kernel[0])
    cols = left + geo.dilation[1] * np.arange(geo.kernel[1])
    inside_r = (rows >= 0) & (rows < source.shape[1])
    inside_c = (cols >= 0) & (cols < source.shape[2])
    out = np.full((source.shape[0], len(rows), len(cols)), fill, dtype=np.float64)
    sub = source[:, rows[inside_r]][:, :, cols[inside_c]]
    out[np.ix_(np.arange(source.shape[0]), np.nonzero(inside_r)[0], np.nonzero(inside_c)[0])] = sub
    return out


def _batch_norm(block: nn.Module, x: float, channel: int) -> tuple[dict | None, float]:
    bn = next((m for m in block.modules() if isinstance(m, nn.BatchNorm2d)), None)
    if bn is None:
        return None, x
    mean, var = float(bn.running_mean[channel]), float(bn.running_var[channel])
    weight = float(bn.weight.detach()[channel]) if bn.weight is not None else 1.0
    shift = float(bn.bias.detach()[channel]) if bn.bias is not None else 0.0
    out = (x - mean) / math.sqrt(var + bn.eps) * weight + shift
    return dict(mean=mean, var=var, eps=float(bn.eps), weight=weight, bias=shift, value=out), out


def _conv_trace(block: nn.Module, source: np.ndarray, cell: Cell) -> ConvTrace:
    geo = geometry(block)
    conv = _conv_of(block)
    patches = _taps(source, geo, cell.row, cell.col, 0.0)  # PyTorch pads convolutions with zeros
    kernels = conv.weight.detach()[cell.channel].double().cpu().numpy()
    products = patches * kernels
    partial = products.sum(axis=(1, 2))
    total = float(partial.sum())
    bias = float(conv.bias.detach()[cell.channel]) if conv.bias is not None else 0.0
    pre = total + bias
    norm, normed = _batch_norm(block, pre, cell.channel)
    act = activation_name(block)
    return ConvTrace(
        cell,
        geo.window(cell.row, cell.col),
        patches,
        kernels,
        products,
        partial,
        total,
        bias,
        pre,
        norm,
        act,
        _activate(act, normed),
    )


def _pool_trace(block: nn.Module, source: np.ndarray, cell: Cell) -> PoolTrace:
    geo = geometry(block)
    # max pooling pads with -inf (padding never wins); average pooling counts padded zeros (count_include_pad)
    values = _taps(
        source[cell.channel : cell.channel + 1], geo, cell.row, cell.col, -np.inf if geo.op == "max" else 0.0
    )[0]
    if geo.op == "max":
        winner = np.unravel_index(int(np.argmax(values)), values.shape)
        return PoolTrace(
            cell, geo.window(cell.row, cell.col), values, "max", (int(winner[0]), int(winner[1])), float(values.max())
        )
    return PoolTrace(cell, geo.window(cell.row, cell.col), values, "avg", None, float(values.mean()))


def softmax_steps(logits: np.ndarray) -> dict:
    """Softmax one step at a time: exp of each score, their sum, each divided by the sum.

    Returns:
        logits, exp, sum, probs, and shift: subtracted from every score before exp only when the scores
        are too large for exp (the probabilities are the same either way).
    """
    logits = np.asarray(logits, dtype=np.float64)
    shift = float(logits.max()) if logits.max() > 700 else 0.0  # exp overflows float64 past ~709
    exp = np.exp(logits - shift)
    total = float(exp.sum())
    return dict(logits=logits, exp=exp, sum=total, probs=exp / total, shift=shift)


def _fc_trace(block: nn.Module, source: np.ndarray, cell: Cell, top: int) -> FcTrace:
    linear = next(m for m in block.modules() if isinstance(m, nn.Linear))
    inputs = np.asarray(source, dtype=np.float64).ravel()
    weights = linear.weight.detach()[cell.channel].double().cpu().numpy()
    contrib = weights * inputs
    order = np.argsort(contrib)
    up = [i for i in order[::-1][:top] if contrib[i] > 0]
    down = [i for i in order[:top] if contrib[i] < 0]
    listed = set(up) | set(down)
    rest = [i for i in range(len(contrib)) if i not in listed]
    total = float(contrib.sum())
    bias = float(linear.bias.detach()[cell.channel]) if linear.bias is not None else 0.0
    act = activation_name(block)

    def row(i):
        return int(i), float(inputs[i]), float(weights[i]), float(contrib[i])

    return FcTrace(
        cell,
        [row(i) for i in up],
        [row(i) for i in down],
        float(contrib[rest].sum()),
        len(rest),
        total,
        bias,
        total + bias,
        act,
        _activate(act, total + bias),
    )


def receptive_fields(model: nn.Module, cell: Cell, input_shape: tuple[int, int]) -> OrderedDict:
    """Where a cell looks: its box on the input and on every map layer before it.

    Computed backwards from the layers' real kernel, stride, padding and dilation, clipped to each map
    (padding holds no pixels). A unit of F6 or output, or a map layer's cell whose box covers a whole map,
    sees all of it.

    Args:
        model: the LeNet.
        cell: the cell.
        input_shape: (height, width) of the input.
    Returns:
        layer name -> (top, left, bottom, right) inclusive, from "input" to the cell's own layer.
    """
    layers = model.named_layers()
    names = [n for n in layers if n in SPATIAL]
    sizes = {"input": input_shape}
    shape = input_shape
    for name in names:
        geo = geometry(layers[name])
        shape = tuple(
            (shape[i] + 2 * geo.padding[i] - geo.dilation[i] * (geo.kernel[i] - 1) - 1) // geo.stride[i] + 1
            for i in range(2)
        )
        sizes[name] = shape
    if cell.layer in SPATIAL:
        box, chain = (cell.row, cell.col, cell.row, cell.col), names[: names.index(cell.layer) + 1]
    else:
        last = names[-1]
        box, chain = (0, 0, sizes[last][0] - 1, sizes[last][1] - 1), names
    fields = OrderedDict({chain[-1]: box})
    for name in reversed(chain):
        geo = geometry(layers[name])
        top, left, _, _ = geo.window(box[0], box[1])
        _, _, bottom, right = geo.window(box[2], box[3])
        below = _previous(names, name)
        h, w = sizes[below]
        box = (max(0, top), max(0, left), min(h - 1, bottom), min(w - 1, right))
        fields[below] = box
    return OrderedDict(reversed(list(fields.items())))


def trace(
    model: nn.Module, x: np.ndarray, activations: OrderedDict[str, np.ndarray], cell: Cell, top: int = TOP_INPUTS
) -> Trace:
    """How one cell's value was computed from the layer before it, with the real numbers.

    Args:
        model: the LeNet the activations came from, in eval mode.
        x: its normalised input, (1 x) 1 x H x W.
        activations: every layer's output for x (Inspection.activations).
        cell: a valid cell (parse_cell).
        top: inputs listed in each direction for F6 and output units.
    Returns:
        a Trace: step is a ConvTrace, PoolTrace or FcTrace; fields the receptive field on each layer.
    """
    layers = model.named_layers()
    names = list(layers)
    prev = _previous(names, cell.layer)
    source = np.asarray(x, dtype=np.float64).reshape(-1, *np.shape(x)[-2:]) if prev == "input" else activations[prev]
    source = np.asarray(source, dtype=np.float64)
    block = layers[cell.layer]
    if cell.layer in VECTOR:
        step = _fc_trace(block, source, cell, top)
        if cell.layer == names[-1]:
            step.softmax = softmax_steps(activations[cell.layer])
    elif _conv_of(block) is not None:
        step = _conv_trace(block, source, cell)
    else:
        step = _pool_trace(block, source, cell)
    return Trace(cell, step, receptive_fields(model, cell, tuple(np.shape(x)[-2:])))
