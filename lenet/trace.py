"""Tracing one number of any network back to the drawing: how a cell was computed, and what it sees.

Pure and exact: every step is recomputed from the model's own modules (their kernel, stride, padding
and dilation, weights, bias, batch norm and activation), so any network is traced as it really runs, and
the traced value equals the model's own to float precision. Nothing here imports streamlit.

A layer is one of the model's blocks (`model.named_layers()`: LeNet's C1 ... output, a list's conv1, pool1, ...,
ARCHITECTURE §4.7): a head (a conv, a max or average pooling, or a fully connected layer) and what follows it
(batch norm, activations, dropout), or, at the very start of a list, those alone. A cell is (layer, channel,
row, col); a block whose output is a vector (a fully connected one) has only a channel (the unit).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from torch import nn

# LeNet's textbook layers whose outputs are maps, and those whose outputs are units. Any other model's are read
# from its modules (spatial_layers) and its activations' shapes.
SPATIAL = ("C1", "S2", "C3", "S4", "C5")
VECTOR = ("F6", "output")
TOP_INPUTS = 5  # a fully connected unit's inputs listed by name in each direction; the rest are "others"
_ACTIVATIONS = {nn.ReLU: "relu", nn.Tanh: "tanh", nn.Sigmoid: "sigmoid", nn.GELU: "gelu"}
_HEADS = (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d, nn.Linear)  # what starts a block
_IDENTITIES = (nn.Dropout, nn.Identity, nn.Flatten)  # the identity in eval mode, on one number


@dataclass(frozen=True)
class Cell:
    """One number of one layer: the channel (or unit), and its row and column on a map (0 for units)."""

    layer: str
    channel: int
    row: int = 0
    col: int = 0

    def as_key(self, unit: bool | None = None) -> dict:
        """The session-state form: {"layer", "channel", "row", "col"}, without row/col for a unit.

        Args:
            unit: whether the layer's output is a vector (its shape has one dimension); None: LeNet's F6 and output.
        """
        if (self.layer in VECTOR) if unit is None else unit:
            return {"layer": self.layer, "channel": self.channel}
        return {"layer": self.layer, "channel": self.channel, "row": self.row, "col": self.col}


@dataclass(frozen=True)
class Geometry:
    """How a map layer slides over its input: per axis kernel, stride, padding before, dilation."""

    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]  # cells added before the first row and column
    dilation: tuple[int, int]
    op: str  # "conv", "max", "avg", or "identity" (a block of batch norm or activations alone: cell by cell)
    padding_after: tuple[int, int] | None = None  # cells added after the last row and column; None: as before

    def output_size(self, size: tuple[int, int]) -> tuple[int, int]:
        """The (height, width) this layer makes of an input of `size`, as PyTorch computes it (floor)."""
        after = self.padding_after or self.padding
        return tuple(
            (size[i] + self.padding[i] + after[i] - self.dilation[i] * (self.kernel[i] - 1) - 1) // self.stride[i] + 1
            for i in range(2)
        )

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
    activation: str | None  # relu, tanh, sigmoid or gelu: the block's first
    value: float  # the layer's output at the cell
    kind: str = "conv"
    post: list[dict] = field(default_factory=list)  # what follows the conv in the block, in order (post_steps)


@dataclass
class PoolTrace:
    """A max or average pooling cell: its window and the winner or the mean."""

    cell: Cell
    window: tuple[int, int, int, int]
    values: np.ndarray  # K x K: the input values under the window's taps
    op: str  # "max" or "avg"
    winner: tuple[int, int] | None  # max: the (row, col) in `values` that won
    value: float  # the layer's output at the cell: the pooled value after `post`
    kind: str = "pool"
    pooled: float | None = None  # the max or the mean (value, when nothing follows the pooling)
    post: list[dict] = field(default_factory=list)  # what follows the pooling in the block, in order


@dataclass
class FcTrace:
    """A fully connected unit (F6, output, fc1, ...): the inputs that pushed it up and down most (weight x input),
    the rest, the bias."""

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
    batch_norm: dict | None = None  # the block's first batch norm (BatchNorm1d), as ConvTrace's
    post: list[dict] = field(default_factory=list)  # what follows the linear layer in the block, in order


@dataclass
class ElementTrace:
    """A cell of a block with no conv, pooling or fc (batch norm or an activation at the start of a list): the
    number at the same place of the layer before it, then each step on it alone."""

    cell: Cell
    source: float  # the previous layer's (or the input's) number at the cell
    batch_norm: dict | None
    activation: str | None
    value: float
    kind: str = "elementwise"
    post: list[dict] = field(default_factory=list)


@dataclass
class Trace:
    """One cell explained: the computation and where it looks on every layer before it."""

    cell: Cell
    step: ConvTrace | PoolTrace | FcTrace | ElementTrace
    fields: OrderedDict[str, tuple[int, int, int, int]] = field(default_factory=OrderedDict)

    @property
    def value(self) -> float:
        return self.step.value


def _pair(v) -> tuple[int, int]:
    return (int(v[0]), int(v[1])) if isinstance(v, (tuple, list)) else (int(v), int(v))


def _conv_of(module: nn.Module) -> nn.Conv2d | None:
    return next((m for m in module.modules() if isinstance(m, nn.Conv2d)), None)


def block_parts(block: nn.Module) -> tuple[nn.Module | None, list[nn.Module]]:
    """A block's head (its conv, pooling or linear layer; None for a block of batch norm or activations alone) and
    the modules after it, in forward order.

    Args:
        block: one of the model's layers, e.g. model.named_layers()["conv2"] (one module or an nn.Sequential).
    Raises:
        ValueError: something before the head, or a second head: not a block of ARCHITECTURE §4.7.
    """
    leaves = [m for m in block.modules() if not any(True for _ in m.children())]
    heads = [i for i, m in enumerate(leaves) if isinstance(m, _HEADS)]
    if not heads:
        return None, leaves
    if heads != [0]:
        raise ValueError(f"cannot trace a block of {', '.join(type(m).__name__ for m in leaves)}")
    return leaves[0], leaves[1:]


def _padding(conv: nn.Conv2d) -> tuple[tuple[int, int], tuple[int, int]]:
    """Cells before the first row and column, and after the last; "same" pads the left half of the total before
    and the rest after, as PyTorch does."""
    if conv.padding == "valid":
        return (0, 0), (0, 0)
    if conv.padding == "same":
        k, d = _pair(conv.kernel_size), _pair(conv.dilation)
        total = tuple(d[i] * (k[i] - 1) for i in range(2))
        return (total[0] // 2, total[1] // 2), (total[0] - total[0] // 2, total[1] - total[1] // 2)
    return _pair(conv.padding), _pair(conv.padding)


IDENTITY = Geometry((1, 1), (1, 1), (0, 0), (1, 1), "identity")


def geometry(module: nn.Module) -> Geometry:
    """The sliding geometry of a map layer's block (a conv block, a pooling layer, a learned pooling conv; a block
    of batch norm or activations alone works cell by cell: IDENTITY).

    Args:
        module: one of the model's spatial layers, e.g. model.named_layers()["C3"].
    Returns:
        its Geometry, read from the module itself.
    Raises:
        ValueError: a fully connected block (it does not slide).
    """
    head, _ = block_parts(module)
    if head is None:
        return IDENTITY
    if isinstance(head, nn.Linear):
        raise ValueError("a fully connected layer has no sliding window")
    if isinstance(head, nn.Conv2d):
        before, after = _padding(head)
        return Geometry(_pair(head.kernel_size), _pair(head.stride), before, _pair(head.dilation), "conv", after)
    dilation = getattr(head, "dilation", 1)  # AvgPool2d has none
    op = "max" if isinstance(head, nn.MaxPool2d) else "avg"
    stride = head.stride if head.stride is not None else head.kernel_size
    return Geometry(_pair(head.kernel_size), _pair(stride), _pair(head.padding), _pair(dilation), op)


def activation_name(module: nn.Module) -> str | None:
    """relu, tanh, sigmoid or gelu: the (first) activation inside a layer's block, or None (pooling, the logits)."""
    for m in module.modules():
        for kind, name in _ACTIVATIONS.items():
            if isinstance(m, kind):
                return name
    return None


def _gelu(x: float, approximate: str = "none") -> float:
    if approximate == "tanh":
        return 0.5 * x * (1.0 + math.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))
    return 0.5 * x * (1.0 + math.erf(x / math.sqrt(2.0)))


def _activate(name: str | None, x: float) -> float:
    if name == "relu":
        return max(0.0, x)
    if name == "tanh":
        return math.tanh(x)
    if name == "sigmoid":
        return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
    if name == "gelu":
        return _gelu(x)
    return x


def post_steps(modules: list[nn.Module], x: float, channel: int) -> tuple[list[dict], float]:
    """What follows a block's head, applied one module at a time to one number (the model in eval mode).

    Args:
        modules: block_parts(block)[1].
        x: the head's output at the cell (or, for a headless block, the number it reads).
        channel: the cell's channel (or unit): batch norm's statistics are per channel.
    Returns:
        one dict a step: {"op": "bn", "input", "mean", "var", "eps", "weight", "bias", "value"},
        {"op": "relu" | "tanh" | "sigmoid" | "gelu", "input", "value"} or {"op": "dropout", "input", "value"}
        (the identity when reading); and the value after the last.
    Raises:
        ValueError: a module outside ARCHITECTURE §4.7's vocabulary.
    """
    steps = []
    for m in modules:
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            mean, var = float(m.running_mean[channel]), float(m.running_var[channel])
            weight = float(m.weight.detach()[channel]) if m.weight is not None else 1.0
            shift = float(m.bias.detach()[channel]) if m.bias is not None else 0.0
            out = (x - mean) / math.sqrt(var + m.eps) * weight + shift
            steps.append(
                dict(op="bn", input=x, mean=mean, var=var, eps=float(m.eps), weight=weight, bias=shift, value=out)
            )
        elif isinstance(m, nn.GELU):
            out = _gelu(x, m.approximate)
            steps.append(dict(op="gelu", input=x, value=out))
        elif type(m) in _ACTIVATIONS:
            name = _ACTIVATIONS[type(m)]
            out = _activate(name, x)
            steps.append(dict(op=name, input=x, value=out))
        elif isinstance(m, _IDENTITIES):
            out = x
            steps.append(dict(op="dropout", input=x, value=out))
        else:
            raise ValueError(f"cannot trace {type(m).__name__}")
        x = out
    return steps, x


def _first_bn(steps: list[dict]) -> dict | None:
    """The first batch-norm step, in ConvTrace.batch_norm's form (mean, var, eps, weight, bias, value)."""
    bn = next((s for s in steps if s["op"] == "bn"), None)
    return None if bn is None else {k: v for k, v in bn.items() if k not in ("op", "input")}


def _first_activation(steps: list[dict]) -> str | None:
    return next((s["op"] for s in steps if s["op"] in ("relu", "tanh", "sigmoid", "gelu")), None)


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
        value: e.g. {"layer": "C3", "channel": 4, "row": 3, "col": 7}; row/col are ignored for a unit (a layer
            whose output is a vector: F6, output, fc1, ...).
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


def _conv_trace(conv: nn.Conv2d, after: list[nn.Module], geo: Geometry, source: np.ndarray, cell: Cell) -> ConvTrace:
    patches = _taps(source, geo, cell.row, cell.col, 0.0)  # PyTorch pads convolutions with zeros
    kernels = conv.weight.detach()[cell.channel].double().cpu().numpy()
    products = patches * kernels
    partial = products.sum(axis=(1, 2))
    total = float(partial.sum())
    bias = float(conv.bias.detach()[cell.channel]) if conv.bias is not None else 0.0
    pre = total + bias
    post, value = post_steps(after, pre, cell.channel)
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
        _first_bn(post),
        _first_activation(post),
        value,
        post=post,
    )


def _pool_trace(after: list[nn.Module], geo: Geometry, source: np.ndarray, cell: Cell) -> PoolTrace:
    # max pooling pads with -inf (padding never wins); average pooling counts padded zeros (count_include_pad)
    values = _taps(
        source[cell.channel : cell.channel + 1], geo, cell.row, cell.col, -np.inf if geo.op == "max" else 0.0
    )[0]
    window = geo.window(cell.row, cell.col)
    if geo.op == "max":
        r, c = np.unravel_index(int(np.argmax(values)), values.shape)
        winner, pooled = (int(r), int(c)), float(values.max())
    else:
        winner, pooled = None, float(values.mean())
    post, value = post_steps(after, pooled, cell.channel)
    return PoolTrace(cell, window, values, geo.op, winner, value, pooled=pooled, post=post)


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


def _fc_trace(linear: nn.Linear, after: list[nn.Module], source: np.ndarray, cell: Cell, top: int) -> FcTrace:
    inputs = np.asarray(source, dtype=np.float64).ravel()  # C, H, W order, as nn.Flatten
    weights = linear.weight.detach()[cell.channel].double().cpu().numpy()
    contrib = weights * inputs
    order = np.argsort(contrib)
    up = [i for i in order[::-1][:top] if contrib[i] > 0]
    down = [i for i in order[:top] if contrib[i] < 0]
    listed = set(up) | set(down)
    rest = [i for i in range(len(contrib)) if i not in listed]
    total = float(contrib.sum())
    bias = float(linear.bias.detach()[cell.channel]) if linear.bias is not None else 0.0
    post, value = post_steps(after, total + bias, cell.channel)

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
        _first_activation(post),
        value,
        batch_norm=_first_bn(post),
        post=post,
    )


def _element_trace(modules: list[nn.Module], source: np.ndarray, cell: Cell) -> ElementTrace:
    x = float(source[cell.channel] if source.ndim == 1 else source[cell.channel, cell.row, cell.col])
    post, value = post_steps(modules, x, cell.channel)
    return ElementTrace(cell, x, _first_bn(post), _first_activation(post), value, post=post)


def spatial_layers(model: nn.Module) -> list[str]:
    """The model's layers whose outputs are maps: every block before the first fully connected one."""
    names = []
    for name, block in model.named_layers().items():
        head, _ = block_parts(block)
        if isinstance(head, nn.Linear):
            break
        names.append(name)
    return names


def receptive_fields(model: nn.Module, cell: Cell, input_shape: tuple[int, int]) -> OrderedDict:
    """Where a cell looks: its box on the input and on every map layer before it.

    Computed backwards from the layers' real kernel, stride, padding and dilation, tap by tap: each box is the
    smallest that holds every position the cell depends on (padding holds no pixels; a layer of which it reads
    nothing, every tap in the padding, is left out with every layer before it). A unit of a fully connected layer
    (F6, output, fc1, ...), or a map layer's cell whose box covers a whole map, sees all of it.

    Args:
        model: the network (LeNet or lenet.netmodel.Net).
        cell: the cell.
        input_shape: (height, width) of the input.
    Returns:
        layer name -> (top, left, bottom, right) inclusive, from "input" to the cell's own layer.
    """
    layers = model.named_layers()
    names = spatial_layers(model)
    geos = {name: geometry(layers[name]) for name in names}
    sizes = {"input": tuple(input_shape)}
    shape = tuple(input_shape)
    for name in names:
        shape = geos[name].output_size(shape)
        sizes[name] = shape
    if cell.layer in names:
        chain = names[: names.index(cell.layer) + 1]
        rows, cols = (np.arange(sizes[cell.layer][i]) == (cell.row, cell.col)[i] for i in range(2))
    else:
        chain = names
        rows, cols = (np.ones(sizes[chain[-1] if chain else "input"][i], dtype=bool) for i in range(2))
    fields = OrderedDict({chain[-1] if chain else "input": _box(rows, cols)})
    for name in reversed(chain):
        below = _previous(names, name)
        rows, cols = (_taps_below(mask, geos[name], i, sizes[below][i]) for i, mask in enumerate((rows, cols)))
        if not (rows.any() and cols.any()):
            break  # every tap lies in the padding: the cell sees nothing of this layer, nor of any before it
        fields[below] = _box(rows, cols)
    return OrderedDict(reversed(list(fields.items())))


def _box(rows: np.ndarray, cols: np.ndarray) -> tuple[int, int, int, int]:
    r, c = np.nonzero(rows)[0], np.nonzero(cols)[0]
    return int(r.min()), int(c.min()), int(r.max()), int(c.max())


def _taps_below(mask: np.ndarray, geo: Geometry, axis: int, size: int) -> np.ndarray:
    """Along one axis, which of the `size` positions below a layer its positions `mask` read (padding reads none).

    Exact rather than a box's corners: a stride with a dilation leaves gaps, so the last position read may lie
    before the map's edge."""
    out = np.zeros(size, dtype=bool)
    taps = geo.dilation[axis] * np.arange(geo.kernel[axis])
    for r in np.nonzero(mask)[0]:
        at = r * geo.stride[axis] - geo.padding[axis] + taps
        out[at[(at >= 0) & (at < size)]] = True
    return out


def network_input(model: nn.Module, x: np.ndarray) -> np.ndarray:
    """What the model's first layer reads, C x H x W float64: the app's MNIST-normalised input, re-normalised for a
    model trained on other pixels (an imported one's `input_norm`, as lenet.netmodel.Net does)."""
    x = np.asarray(x, dtype=np.float64).reshape(-1, *np.shape(x)[-2:])
    norm = getattr(model, "input_norm", None)
    if norm is not None:
        from lenet import data

        x = (x * data.STD + data.MEAN - norm[0]) / norm[1]
    return x


def trace(
    model: nn.Module, x: np.ndarray, activations: OrderedDict[str, np.ndarray], cell: Cell, top: int = TOP_INPUTS
) -> Trace:
    """How one cell's value was computed from the layer before it, with the real numbers.

    Args:
        model: the network the activations came from (LeNet or lenet.netmodel.Net), in eval mode.
        x: its normalised input, (1 x) 1 x H x W.
        activations: every layer's output for x (Inspection.activations), by the model's block names.
        cell: a valid cell (parse_cell).
        top: inputs listed in each direction for a fully connected unit.
    Returns:
        a Trace: step is a ConvTrace, PoolTrace, FcTrace or ElementTrace; fields the receptive field on each layer.
    Raises:
        ValueError: a block holding a module outside ARCHITECTURE §4.7's vocabulary.
    """
    layers = model.named_layers()
    names = list(layers)
    prev = _previous(names, cell.layer)
    source = network_input(model, x) if prev == "input" else np.asarray(activations[prev], dtype=np.float64)
    head, after = block_parts(layers[cell.layer])
    if isinstance(head, nn.Linear):
        step = _fc_trace(head, after, source, cell, top)
        if cell.layer == names[-1]:
            step.softmax = softmax_steps(activations[cell.layer])
    elif isinstance(head, nn.Conv2d):
        step = _conv_trace(head, after, geometry(layers[cell.layer]), source, cell)
    elif head is not None:
        step = _pool_trace(after, geometry(layers[cell.layer]), source, cell)
    else:
        step = _element_trace(after, source, cell)
    return Trace(cell, step, receptive_fields(model, cell, tuple(np.shape(x)[-2:])))
