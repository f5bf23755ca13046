"""A whole network's shapes and costs, layer by layer, from a table of its layers.

Each row holds the output shape, the learned parameters, the multiply-adds and the activation memory for one
image, and the receptive field: how many input pixels (per axis) one output unit depends on. The receptive
field follows the "receptive field arithmetic" of Araujo et al., "Computing Receptive Fields of Convolutional
Neural Networks" (Distill, 2019): r_L = r_(L-1) + (K - 1) * j_(L-1), j_L = j_(L-1) * S.

LeNetConfig.layers() writes a LeNet as a list of LayerSpec (as torchvision's vgg writes its
networks as `cfgs`); network_table measures that list and model.LeNet builds it. list_table measures a network
list (lenet.netspec: one row per entry, carrying its block's name), which lenet.netmodel.Net builds. Pure Python.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from lenet.conv.arithmetic import (
    LayerError,
    check_positive,
    conv_output_size,
    layer_macs,
    layer_params,
    resolve_padding,
)

BYTES_PER_VALUE = 4  # float32, what LeNet computes in
POOL_OPS = {"max": "maxpool", "avg": "avgpool", "none": "conv"}  # "none": a learned strided conv downsamples


@dataclass(frozen=True)
class LayerSpec:
    """One layer of a network's table: what it is and its settings."""

    name: str  # the textbook's: C1, S2, ...
    kind: str  # "conv", "pool" or "fc"
    channels: int = 0  # conv: output channels; fc: units; a pooling layer keeps its input's channels
    kernel: int = 1
    stride: int = 1
    padding: int | str = 0
    pool: str = "max"  # pool only: a key of POOL_OPS
    batch_norm: bool = False  # conv only: a BatchNorm2d follows, so the conv has no bias
    activation: str | None = None  # applied after the layer; None for max/avg pooling and the logits


@dataclass
class LayerRow:
    """One row of a network's shape and parameter table."""

    name: str
    kind: str  # "input", "conv", "pool", "fc"
    input: tuple[int, ...] | None
    output: tuple[int, ...] | None
    params: int = 0
    macs: int = 0  # multiply-adds for one image
    error: LayerError | None = None  # code "unreachable" when an earlier layer failed
    receptive: int = 0  # input pixels per axis one output unit depends on (padding included); 0 when invalid
    memory: int = 0  # bytes of this layer's output for one image
    text: str = ""  # list_table only: the entry's text (c6k5p2); `name` is then its block's name (conv1, C1)


def _window(spec: LayerSpec) -> tuple[int, int, int, int]:
    """(kernel, stride, padding before, dilation) of a conv or pooling layer, on one axis."""
    before = resolve_padding(spec.padding, spec.kernel)[0] if spec.kind == "conv" else 0
    return spec.kernel, spec.stride, before, 1


def _field(windows: list[tuple[int, int, int, int]]) -> int:
    """One unit's receptive field after these windows, padding included: r += D(K - 1) * j, then j *= S."""
    size, jump = 1, 1
    for kernel, stride, _, dilation in windows:
        size, jump = size + dilation * (kernel - 1) * jump, jump * stride
    return size


def _seen(windows: list[tuple[int, int, int, int]], sizes: list[int], units: int) -> int:
    """A fully connected unit's receptive field: from the first to the last input pixel that any of the last
    map's `units` positions reads, following every window back through maps `sizes` long.

    Counted pixel by pixel rather than clipped from _field: a stride longer than its kernel leaves lines no
    window reads, and the field's ends may be such lines.
    """
    read = set(range(units))
    for (kernel, stride, before, dilation), size in zip(reversed(windows), reversed(sizes), strict=True):
        read = {i for i in (j * stride - before + t * dilation for j in read for t in range(kernel)) if 0 <= i < size}
    return max(read) - min(read) + 1 if read else 0


def _conv_row(spec: LayerSpec, shape: tuple[int, int, int]) -> LayerRow:
    c, h, w = shape
    try:
        check_positive(channels=spec.channels)
        oh = conv_output_size(h, spec.kernel, spec.stride, spec.padding)
        ow = conv_output_size(w, spec.kernel, spec.stride, spec.padding)
    except LayerError as exc:
        return LayerRow(spec.name, "conv", shape, None, error=exc)
    params = layer_params("conv", c, spec.channels, spec.kernel, bias=not spec.batch_norm)
    params += 2 * spec.channels if spec.batch_norm else 0  # BatchNorm2d's scale and shift
    return LayerRow(
        spec.name,
        "conv",
        shape,
        (spec.channels, oh, ow),
        params,
        layer_macs("conv", c, spec.channels, spec.kernel, oh, ow),
    )


def _pool_row(spec: LayerSpec, shape: tuple[int, int, int]) -> LayerRow:
    c, h, w = shape
    op = POOL_OPS[spec.pool]
    try:
        oh = conv_output_size(h, spec.kernel, spec.stride, spec.padding, op=op)
        ow = conv_output_size(w, spec.kernel, spec.stride, spec.padding, op=op)
    except LayerError as exc:
        return LayerRow(spec.name, "pool", shape, None, error=exc)
    # the learned replacement for pooling always has a bias (model.LeNet builds it that way)
    params = layer_params(op, c, c, spec.kernel, bias=True)
    macs = layer_macs("conv", c, c, spec.kernel, oh, ow) if op == "conv" else 0
    return LayerRow(spec.name, "pool", shape, (c, oh, ow), params, macs)


def _fc_row(spec: LayerSpec, shape: tuple[int, ...]) -> LayerRow:
    try:
        check_positive(**{f"{spec.name} units": spec.channels})
    except LayerError as exc:
        return LayerRow(spec.name, "fc", shape, None, error=exc)
    fan_in = math.prod(shape)
    return LayerRow(
        spec.name, "fc", shape, (spec.channels,), fan_in * spec.channels + spec.channels, fan_in * spec.channels
    )


def _input_row(shape: tuple[int, int, int]) -> LayerRow:
    channels, height, _width = shape
    try:
        check_positive(input_size=height, in_channels=channels)
    except LayerError as exc:
        return LayerRow("input", "input", None, None, error=exc)
    return LayerRow("input", "input", None, shape)


_ROWS = {"conv": _conv_row, "pool": _pool_row, "fc": _fc_row}


def network_table(input_shape: tuple[int, int, int], layers: Sequence[LayerSpec]) -> list[LayerRow]:
    """The shape and parameter table of a network.

    Never raises for a bad setting: each row holds its reason in `.error`, and every layer after
    the first invalid one is "unreachable".

    Args:
        input_shape: (channels, height, width) of one input image.
        layers: the network's layers in forward order, e.g. LeNetConfig.layers().
    Returns:
        the input's row, then one row per layer.
    """
    rows = [_input_row(input_shape)]
    if rows[0].output is not None:
        rows[0].receptive, rows[0].memory = 1, BYTES_PER_VALUE * math.prod(input_shape)
    windows, sizes = [], []  # every conv and pooling layer so far, and the height of the map each one reads
    for spec in layers:
        shape = rows[-1].output
        if shape is None:
            unreachable = LayerError("unreachable", "unreachable: an earlier layer fails")
            rows.append(LayerRow(spec.name, spec.kind, None, None, error=unreachable))
            continue
        row = _ROWS[spec.kind](spec, shape)
        rows.append(row)
        _measure(rows, windows, sizes, None if spec.kind == "fc" else _window(spec))
    return rows


def _measure(rows: list[LayerRow], windows: list, sizes: list[int], window: tuple | None) -> None:
    """Fill in the last row's memory and receptive field; `window`: (kernel, stride, before, dilation) of a conv
    or pooling row, None for a row that reads its whole input (fc) or one value at a time (activations...)."""
    row = rows[-1]
    if row.output is None:
        return
    row.memory = BYTES_PER_VALUE * math.prod(row.output)
    # the input is square in every network here: the height's field is the width's
    if window is not None:
        windows.append(window)
        sizes.append(row.input[1])
        row.receptive = _field(windows)
    elif row.kind == "fc":
        last_map = next(r.output[1] for r in reversed(rows) if len(r.output or ()) == 3)
        row.receptive = _seen(windows, sizes, last_map)
    else:
        row.receptive = rows[-2].receptive


_NEEDS_MAP = ("conv", "maxpool", "avgpool")


def _entry_row(entry, shape: tuple[int, ...], bias: bool) -> LayerRow:
    """One entry of a network list (a lenet.netspec.Layer) on its input `shape`."""
    row = LayerRow("", entry.kind, shape, shape, text=entry.text)
    if entry.kind in _NEEDS_MAP and len(shape) != 3:
        row.output, row.error = None, LayerError("needs_map", "a conv or a pooling needs a map, not a vector")
        return row
    try:
        if entry.kind in _NEEDS_MAP:
            padding = entry.padding if entry.kind == "conv" else 0
            window = dict(kernel=entry.kernel, stride=entry.stride, padding=padding, dilation=entry.dilation)
            if entry.kind == "conv":
                check_positive(channels=entry.size)
            oh, ow = (conv_output_size(n, **window, op=entry.kind) for n in shape[1:])
        elif entry.kind == "fc":
            check_positive(units=entry.size)
    except LayerError as exc:
        row.output, row.error = None, exc
        return row
    c = shape[0]
    if entry.kind == "conv":
        row.output = (entry.size, oh, ow)
        row.params = layer_params("conv", c, entry.size, entry.kernel, bias=bias)
        row.macs = layer_macs("conv", c, entry.size, entry.kernel, oh, ow)
    elif entry.kind in _NEEDS_MAP:
        row.output = (c, oh, ow)  # no multiply-adds, as network_table counts pooling
    elif entry.kind == "fc":
        fan_in = math.prod(shape)
        row.output, row.params, row.macs = (entry.size,), fan_in * entry.size + entry.size, fan_in * entry.size
    elif entry.kind == "bn":
        row.params = 2 * c  # its scale and shift (the running mean and variance are not learned)
    return row


def list_table(input_shape: tuple[int, int, int], entries: Sequence, blocks: Sequence[str]) -> list[LayerRow]:
    """The shape and parameter table of a network list (lenet.netspec), one row per entry.

    Never raises for a bad setting: each row holds its reason in `.error`, and every row after the first invalid
    one is "unreachable". A conv has no bias when a bn follows it (lenet.netmodel.Net builds it that way).

    Args:
        input_shape: (channels, height, width) of one input image.
        entries: the list's layers (lenet.netspec.Layer: kind, size, kernel, stride, padding, dilation, text).
        blocks: each entry's block name, which its row carries as `name`.
    Returns:
        the input's row, then one row per entry.
    """
    rows = [_input_row(input_shape)]
    if rows[0].output is not None:
        rows[0].receptive, rows[0].memory = 1, BYTES_PER_VALUE * math.prod(input_shape)
    windows, sizes = [], []
    for i, (entry, block) in enumerate(zip(entries, blocks, strict=True)):
        shape = rows[-1].output
        if shape is None:
            unreachable = LayerError("unreachable", "unreachable: an earlier layer fails")
            rows.append(LayerRow(block, entry.kind, None, None, error=unreachable, text=entry.text))
            continue
        bias = i + 1 == len(entries) or entries[i + 1].kind != "bn"
        rows.append(_entry_row(entry, shape, bias))
        rows[-1].name = block
        window = None
        if entry.kind in _NEEDS_MAP:
            before = resolve_padding(entry.padding, entry.kernel, entry.dilation)[0] if entry.kind == "conv" else 0
            window = (entry.kernel, entry.stride, before, entry.dilation)
        _measure(rows, windows, sizes, window)
    return rows


def total_params(rows: list[LayerRow]) -> int:
    """Sum of the learned numbers over a network_table."""
    return sum(r.params for r in rows)


def totals(rows: list[LayerRow]) -> tuple[int, int, int]:
    """(parameters, multiply-adds, activation bytes) of a whole network_table, for one image."""
    return total_params(rows), sum(r.macs for r in rows), sum(r.memory for r in rows)
