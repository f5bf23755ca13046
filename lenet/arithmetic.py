"""Convolution and pooling arithmetic, exactly as PyTorch computes it, and why a setting fails.

Pure Python: no torch import, so `python -m lenet shape` answers instantly.
Reference: Dumoulin & Visin, "A guide to convolution arithmetic for deep learning" (2016),
and the shape formulas in the docs of torch.nn.Conv2d / MaxPool2d / AvgPool2d.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

OPS = ("conv", "maxpool", "avgpool")


class LayerError(ValueError):
    """A layer setting that cannot work. `code` is a stable key for translations; `params` fill it in."""

    def __init__(self, code: str, message: str, **params) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


def parse_padding(padding: int | str) -> int | str:
    """Normalise a padding given as an int, a digit string, 'same' or 'valid'."""
    if isinstance(padding, bool):
        raise LayerError("bad_padding", f"padding must be a number, 'same' or 'valid', not {padding!r}", value=padding)
    if isinstance(padding, int):
        return padding
    text = str(padding).strip().lower()
    if text in ("same", "valid"):
        return text
    try:
        return int(text)
    except ValueError:
        raise LayerError("bad_padding", f"padding must be a number, 'same' or 'valid', not {padding!r}",
                         value=padding) from None


def resolve_padding(padding: int | str, kernel: int, dilation: int = 1, stride: int = 1,
                    op: str = "conv") -> tuple[int, int]:
    """Return (before, after) padding on one axis, checking what PyTorch accepts.

    Args:
        padding: a number of pixels, "same" or "valid".
    Returns:
        the zeros added before and after the input on that axis.
    """
    padding = parse_padding(padding)
    if padding == "valid":
        return 0, 0
    if padding == "same":
        if op != "conv":
            raise LayerError("same_pool", "pooling layers take a number for padding, not 'same'")
        if stride != 1:
            raise LayerError("same_stride",
                             f"padding 'same' needs stride 1: with stride {stride} the output is smaller than "
                             "the input by definition, so PyTorch refuses padding='same' for strided convolutions",
                             stride=stride)
        total = dilation * (kernel - 1)
        return total // 2, total - total // 2  # PyTorch puts the odd pixel after
    if padding < 0:
        raise LayerError("negative_padding", f"padding must be 0 or more, not {padding}", value=padding)
    if op != "conv" and padding > (dilation * (kernel - 1) + 1) // 2:
        raise LayerError("pool_padding",
                         f"pooling padding {padding} is more than half the window ({kernel}); "
                         "PyTorch refuses it because a window could then see only padding",
                         padding=padding, kernel=kernel)
    return padding, padding


def _check_positive(**values: int) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int):
            raise LayerError("not_integer", f"{name} must be a whole number, not {value!r}", name=name, value=value)
        if value < 1:
            raise LayerError("not_positive", f"{name} must be at least 1, not {value}", name=name, value=value)


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int | str = 0, dilation: int = 1,
                     op: str = "conv", ceil_mode: bool = False) -> int:
    """Output length on one axis of a conv or pooling layer, as PyTorch computes it.

    Args:
        size: input length (H or W).
        kernel, stride, dilation: the layer's settings on this axis.
        padding: a number, "same" or "valid".
        op: "conv", "maxpool" or "avgpool".
        ceil_mode: pooling only: round up instead of down (a last window may hang over the edge).
    Returns:
        the output length, at least 1.
    Raises:
        LayerError: with the reason the setting cannot work.
    """
    if op not in OPS:
        raise LayerError("bad_op", f"op must be one of {', '.join(OPS)}, not {op!r}", value=op)
    _check_positive(input=size, kernel=kernel, stride=stride, dilation=dilation)
    if op == "avgpool" and dilation != 1:
        raise LayerError("avgpool_dilation", "average pooling has no dilation in PyTorch; use 1")
    before, after = resolve_padding(padding, kernel, dilation, stride, op)
    span = dilation * (kernel - 1) + 1  # the window's reach, dilation included
    padded = size + before + after
    if span > padded:
        raise LayerError("kernel_too_big",
                         f"the window ({span} px{' with dilation' if dilation > 1 else ''}) is larger than "
                         f"the padded input ({padded} px)", span=span, padded=padded)
    if op != "conv" and ceil_mode:
        out = -(-(padded - span) // stride) + 1
        # PyTorch drops a last window that would start inside the right padding only
        if (out - 1) * stride >= size + before:
            out -= 1
        return out
    return (padded - span) // stride + 1


@dataclass
class Fit:
    """How a stride tiles one axis: the textbook check (W - K + 2P) / S + 1."""

    output: int
    exact: bool  # True when the windows cover the padded input to its last pixel
    dropped: int  # padded rows/columns at the end that no window covers (PyTorch rounds down)
    quotient: float  # (W - K + 2P) / S + 1 before rounding


def stride_fit(size: int, kernel: int, stride: int = 1, padding: int | str = 0, dilation: int = 1,
               op: str = "conv", ceil_mode: bool = False) -> Fit:
    """Whether the stride tiles the padded input exactly, and what is dropped when it does not."""
    out = conv_output_size(size, kernel, stride, padding, dilation, op, ceil_mode)
    before, after = resolve_padding(padding, kernel, dilation, stride, op)
    span = dilation * (kernel - 1) + 1
    padded = size + before + after
    covered = (out - 1) * stride + span
    return Fit(output=out, exact=(padded - span) % stride == 0, dropped=max(0, padded - covered),
               quotient=(padded - span) / stride + 1)


@dataclass
class LayerRow:
    """One row of a network's shape and parameter table."""

    name: str
    kind: str  # "input", "conv", "pool", "fc"
    description: str
    input: tuple[int, ...] | None
    output: tuple[int, ...] | None
    params: int = 0
    macs: int = 0  # multiply-adds for one image
    error: str | None = None
    error_code: str | None = None
    error_params: dict = field(default_factory=dict)


def _conv_row(name: str, shape, channels: int, kernel: int, stride: int, padding, bias: bool,
              bn: bool) -> LayerRow:
    c, h, w = shape
    desc = f"conv {channels}@{kernel}x{kernel}, stride {stride}, padding {padding}"
    try:
        _check_positive(channels=channels)
        oh = conv_output_size(h, kernel, stride, padding)
        ow = conv_output_size(w, kernel, stride, padding)
    except LayerError as exc:
        return LayerRow(name, "conv", desc, shape, None, error=str(exc), error_code=exc.code,
                        error_params=exc.params)
    params = channels * c * kernel * kernel + (channels if bias else 0) + (2 * channels if bn else 0)
    macs = channels * c * kernel * kernel * oh * ow
    return LayerRow(name, "conv", desc, shape, (channels, oh, ow), params, macs)


def _pool_row(name: str, shape, op: str, size: int, bias: bool) -> LayerRow:
    c, h, w = shape
    kind = {"max": "maxpool", "avg": "avgpool", "none": "conv"}[op]
    desc = {"max": f"max pool {size}x{size}", "avg": f"average pool {size}x{size}",
            "none": f"strided conv {c}@{size}x{size}, stride {size}"}[op]
    try:
        oh = conv_output_size(h, size, size, 0, op=kind)
        ow = conv_output_size(w, size, size, 0, op=kind)
    except LayerError as exc:
        return LayerRow(name, "pool", desc, shape, None, error=str(exc), error_code=exc.code,
                        error_params=exc.params)
    params = c * c * size * size + c if op == "none" else 0
    macs = c * c * size * size * oh * ow if op == "none" else 0
    return LayerRow(name, "pool", desc, shape, (c, oh, ow), params, macs)


def network_table(config) -> list[LayerRow]:
    """The shape and parameter table of a LeNetConfig (or any object with its fields).

    Every layer after the first invalid one has no shapes and the error "unreachable".
    """
    cfg = config
    bias = not cfg.batch_norm
    rows: list[LayerRow] = [LayerRow("input", "input", f"image {cfg.in_channels}x{cfg.input_size}x{cfg.input_size}",
                                     None, (cfg.in_channels, cfg.input_size, cfg.input_size))]
    try:
        _check_positive(input_size=cfg.input_size, in_channels=cfg.in_channels)
    except LayerError as exc:
        rows[0].output, rows[0].error, rows[0].error_code, rows[0].error_params = None, str(exc), exc.code, exc.params
    builders = [
        lambda s: _conv_row("C1", s, cfg.c1_channels, cfg.c1_kernel, cfg.c1_stride, cfg.c1_padding, bias,
                            cfg.batch_norm),
        lambda s: _pool_row("S2", s, cfg.pool, cfg.pool_size, bias),
        lambda s: _conv_row("C3", s, cfg.c3_channels, cfg.c3_kernel, cfg.c3_stride, cfg.c3_padding, bias,
                            cfg.batch_norm),
        lambda s: _pool_row("S4", s, cfg.pool, cfg.pool_size, bias),
        lambda s: _conv_row("C5", s, cfg.c5_channels, cfg.c5_kernel, cfg.c5_stride, cfg.c5_padding, bias,
                            cfg.batch_norm),
    ]
    names = ["C1", "S2", "C3", "S4", "C5", "F6", "output"]
    for i, build in enumerate(builders):
        prev = rows[-1]
        if prev.output is None:
            rows.append(LayerRow(names[i], "conv" if i % 2 == 0 else "pool", "", None, None, error="unreachable",
                                 error_code="unreachable"))
            continue
        rows.append(build(prev.output))
    for name, units in (("F6", cfg.f6_units), ("output", cfg.num_classes)):
        prev = rows[-1]
        desc = f"fully connected {units}"
        if prev.output is None:
            rows.append(LayerRow(name, "fc", desc, None, None, error="unreachable", error_code="unreachable"))
            continue
        try:
            _check_positive(**{f"{name} units": units})
        except LayerError as exc:
            rows.append(LayerRow(name, "fc", desc, prev.output, None, error=str(exc), error_code=exc.code,
                                 error_params=exc.params))
            continue
        fan_in = math.prod(prev.output)
        rows.append(LayerRow(name, "fc", desc, prev.output, (units,), fan_in * units + units, fan_in * units))
    return rows


def total_params(rows: list[LayerRow]) -> int:
    return sum(r.params for r in rows)
