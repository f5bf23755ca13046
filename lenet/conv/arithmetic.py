"""Convolution and pooling arithmetic, exactly as PyTorch computes it, and why a setting fails.

Pure maths on numbers already parsed (lenet.conv.query reads text): no torch, so `python -m lenet shape`
answers instantly.
Reference: Dumoulin & Visin, "A guide to convolution arithmetic for deep learning" (2016),
the shape formulas in the docs of torch.nn.Conv2d / MaxPool2d / AvgPool2d, and the checks in
ATen's `pooling_output_shape` / `pool2d_shape_check` (aten/src/ATen/native/Pool.h), which decide
what PyTorch refuses; for transposed convolutions the docs of torch.nn.ConvTranspose2d and ATen's
`slow_conv_transpose2d_shape_check` (aten/src/ATen/native/NaiveConvolutionTranspose2d.cpp).
tests/test_arithmetic.py compares every rule here with the real layers.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from lenet.errors import CodedError

OPS = ("conv", "maxpool", "avgpool", "convtranspose")
TRANSPOSED = "convtranspose"


class LayerError(CodedError, ValueError):
    """A layer setting that cannot work. `code` is a stable key for translations; `params` fill it in."""

    def __init__(self, code: str, message: str, **params) -> None:
        super().__init__(message, code, **params)


def resolve_padding(
    padding: int | str, kernel: int, dilation: int = 1, stride: int = 1, op: str = "conv"
) -> tuple[int, int]:
    """Return (before, after) padding on one axis, checking what PyTorch accepts.

    Args:
        padding: a number of pixels, "same" or "valid".
        kernel, dilation, stride: the layer's settings on this axis.
        op: "conv", "maxpool" or "avgpool".
    Returns:
        the zeros added before (top/left) and after (bottom/right) the input on that axis.
    Raises:
        LayerError: a padding PyTorch refuses.
    """
    if padding == "valid":
        return 0, 0  # pooling has no 'valid' keyword in PyTorch, but it means padding 0 there too
    if padding == "same":
        if op != "conv":
            raise LayerError("same_pool", "pooling layers take a number for padding, not 'same'")
        if stride != 1:
            raise LayerError(
                "same_stride",
                f"padding 'same' needs stride 1: with stride {stride} the output is smaller than "
                "the input by definition, so PyTorch refuses padding='same' for strided convolutions",
                stride=stride,
            )
        total = dilation * (kernel - 1)
        return total // 2, total - total // 2  # PyTorch puts the odd pixel after (bottom/right)
    if isinstance(padding, bool) or not isinstance(padding, int):
        raise LayerError("bad_padding", f"padding must be a number, 'same' or 'valid', not {padding!r}", value=padding)
    if padding < 0:
        raise LayerError("negative_padding", f"padding must be 0 or more, not {padding}", value=padding)
    # ATen checks kernel // 2 (pool2d_shape_check), not the dilated window: with dilation the
    # window is wider, yet a padding above half the *kernel* is still refused.
    if op != "conv" and padding > kernel // 2:
        raise LayerError(
            "pool_padding",
            f"pooling padding {padding} is more than half the window ({kernel} // 2 = {kernel // 2}); "
            "PyTorch refuses it because a window could then see only padding",
            padding=padding,
            kernel=kernel,
            limit=kernel // 2,
        )
    return padding, padding


def check_positive(**values: int) -> None:
    """Raise LayerError unless every value is a whole number of at least 1; the keyword names it."""
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int):
            raise LayerError("not_integer", f"{name} must be a whole number, not {value!r}", name=name, value=value)
        if value < 1:
            raise LayerError("not_positive", f"{name} must be at least 1, not {value}", name=name, value=value)


def _window(kernel: int, dilation: int) -> int:
    """How far one window reaches: a dilated kernel has gaps between its taps."""
    return dilation * (kernel - 1) + 1


def _unchecked_output(size: int, span: int, stride: int, before: int, after: int, pool_ceil: bool) -> tuple[int, bool]:
    """ATen's pooling_output_shape_pad_lr: (output, whether the ceil-mode trim fired). May be < 1."""
    padded = size + before + after
    # Python's // rounds towards minus infinity, exactly like ATen's div_rtn.
    out = (padded - span + (stride - 1 if pool_ceil else 0)) // stride + 1
    # ceil mode: a last window that would start in the bottom/right padding is dropped
    if pool_ceil and (out - 1) * stride >= size + before:
        return out - 1, True
    return out, False


def _checked(
    size: int, kernel: int, stride: int, padding: int | str, dilation: int, op: str, ceil_mode: bool
) -> tuple[int, int, int, bool]:
    """Validate one axis like PyTorch and return (output, before, after, trimmed)."""
    if op not in OPS:
        raise LayerError("bad_op", f"op must be one of {', '.join(OPS)}, not {op!r}", value=op)
    if op == TRANSPOSED:
        raise LayerError("bad_op", "a transposed convolution has no sliding-window fit; use spread()", value=op)
    check_positive(input=size, kernel=kernel, stride=stride, dilation=dilation)
    if op == "avgpool" and dilation != 1:
        raise LayerError("avgpool_dilation", "average pooling has no dilation in PyTorch; use 1")
    before, after = resolve_padding(padding, kernel, dilation, stride, op)
    span = _window(kernel, dilation)
    out, trimmed = _unchecked_output(size, span, stride, before, after, op != "conv" and bool(ceil_mode))
    if out < 1:  # only when the window is larger than the padded input (ceil mode may rescue one)
        padded = size + before + after
        raise LayerError(
            "kernel_too_big",
            f"the window ({span} px{' with dilation' if dilation > 1 else ''}) is larger than "
            f"the padded input ({padded} px)",
            span=span,
            padded=padded,
        )
    return out, before, after, trimmed


def conv_output_size(
    size: int,
    kernel: int,
    stride: int = 1,
    padding: int | str = 0,
    dilation: int = 1,
    op: str = "conv",
    ceil_mode: bool = False,
    output_padding: int = 0,
) -> int:
    """Output length on one axis of a conv, pooling or transposed conv layer, as PyTorch computes it.

    Args:
        size: input length (H or W).
        kernel, stride, dilation: the layer's settings on this axis.
        padding: a number, "same" or "valid".
        op: "conv", "maxpool", "avgpool" or "convtranspose".
        ceil_mode: pooling only: round up instead of down (a last window may hang over the edge).
        output_padding: transposed conv only: extra rows/columns at the bottom/right of the output.
    Returns:
        the output length, at least 1.
    Raises:
        LayerError: with the reason the setting cannot work, exactly when PyTorch refuses it.
    """
    if op == TRANSPOSED:
        return spread(size, kernel, stride, padding, dilation, output_padding).output
    if output_padding != 0:
        raise LayerError(
            "output_padding_op", "output_padding belongs to transposed convolutions only", value=output_padding
        )
    return _checked(size, kernel, stride, padding, dilation, op, ceil_mode)[0]


@dataclass
class Fit:
    """How a stride tiles one axis: the textbook check (W - K + 2P) / S + 1."""

    output: int
    exact: bool  # True when the windows cover the padded input to its last pixel
    dropped: int  # padded rows/columns at the end that no window covers (PyTorch rounds down)
    quotient: float  # (W - K + 2P) / S + 1 before rounding
    size: int = 0
    before: int = 0  # padding at the top/left
    after: int = 0  # padding at the bottom/right
    span: int = 1  # the window's reach, dilation included
    trimmed: bool = False  # ceil mode dropped a last window that would start in the padding
    kernel: int = 1
    stride: int = 1
    dilation: int = 1

    @property
    def padded(self) -> int:
        return self.size + self.before + self.after

    def _tap_windows(self, tap: int) -> tuple[int, int, int]:
        """(offset, first, last): tap `tap` of window j reads input index offset + j*stride;
        windows first..last are the ones where that index lies inside the image (first > last: none)."""
        offset = tap * self.dilation - self.before
        first = max(0, -(offset // self.stride))  # -(a // b) is ceil(-a / b)
        last = min(self.output - 1, (self.size - 1 - offset) // self.stride)
        return offset, first, last

    @property
    def last_read(self) -> int:
        """The last input index (0-based) any window reads; -1 if none. O(kernel), fine for any size.

        Not simply the last window's last tap: with dilation above the stride an earlier window's
        later tap can reach further.
        """
        ends = [
            offset + last * self.stride
            for offset, first, last in map(self._tap_windows, range(self.kernel))
            if first <= last
        ]
        return max(ends, default=-1)

    @property
    def uncovered_tail(self) -> tuple[int, ...]:
        """Input lines after the last one any window reads: what rounding down loses."""
        return tuple(range(self.last_read + 1, self.size))

    @functools.cached_property
    def uncovered(self) -> tuple[int, ...]:
        """Every input line (0-based, padding excluded) no window reads. Takes O(size) memory,
        so callers keep the size bounded (the lab's widgets do)."""
        read = bytearray(self.size)
        for offset, first, last in map(self._tap_windows, range(self.kernel)):
            if first <= last:  # each tap reads an arithmetic progression: mark it as one slice
                start, stop = offset + first * self.stride, offset + last * self.stride + 1
                read[start : stop : self.stride] = b"\x01" * len(range(start, stop, self.stride))
        return tuple(i for i, flag in enumerate(read) if not flag)

    @property
    def uncovered_gaps(self) -> tuple[int, ...]:
        """Uncovered input lines between read ones: a stride longer than the window, or dilation."""
        return tuple(i for i in self.uncovered if i <= self.last_read)


def stride_fit(
    size: int,
    kernel: int,
    stride: int = 1,
    padding: int | str = 0,
    dilation: int = 1,
    op: str = "conv",
    ceil_mode: bool = False,
) -> Fit:
    """Whether the stride tiles the padded input exactly, and what is dropped when it does not.

    Raises:
        LayerError: the setting is invalid (as conv_output_size).
    """
    out, before, after, trimmed = _checked(size, kernel, stride, padding, dilation, op, ceil_mode)
    span = _window(kernel, dilation)
    padded = size + before + after
    covered = (out - 1) * stride + span
    return Fit(
        output=out,
        exact=(padded - span) % stride == 0,
        dropped=max(0, padded - covered),
        quotient=(padded - span) / stride + 1,
        size=size,
        before=before,
        after=after,
        span=span,
        trimmed=trimmed,
        kernel=kernel,
        stride=stride,
        dilation=dilation,
    )


def index_ranges(indices) -> list[tuple[int, int]]:
    """Sorted indices as inclusive runs: (0, 1, 2, 5) -> [(0, 2), (5, 5)]."""
    runs: list[tuple[int, int]] = []
    for i in sorted(indices):
        if runs and i == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def layer_params(op: str, in_channels: int, out_channels: int, kernel: int, bias: bool = True) -> int:
    """Learned numbers in a layer: a conv (transposed too) has one kernel per channel pair, plus biases."""
    if op not in ("conv", TRANSPOSED):
        return 0
    return out_channels * in_channels * kernel * kernel + (out_channels if bias else 0)


def layer_macs(op: str, in_channels: int, out_channels: int, kernel: int, out_h: int, out_w: int) -> int:
    """Work for one image. Conv: multiply-adds. Pooling: values read by the windows (compares or sums)."""
    if op != "conv":
        return in_channels * kernel * kernel * out_h * out_w
    return out_channels * in_channels * kernel * kernel * out_h * out_w


# --- transposed convolution ---------------------------------------------------------------------


@dataclass
class Spread:
    """One axis of a transposed convolution: the input spread out by the stride, padded, then convolved.

    Each input cell paints a K-tap (dilated) patch of the output, starting at i*S - P; output_padding
    adds rows/columns at the end that no conv with these settings could tell apart (see conv_inputs).
    """

    output: int
    size: int
    kernel: int
    stride: int
    padding: int
    dilation: int
    output_padding: int
    exact: bool = True  # always tiles: there is no rounding in the transposed formula
    trimmed: bool = False

    @property
    def span(self) -> int:
        return _window(self.kernel, self.dilation)

    @property
    def spread_size(self) -> int:
        """The input with S-1 zeros between neighbours: (H-1)*S + 1."""
        return (self.size - 1) * self.stride + 1

    @property
    def inner_padding(self) -> int:
        """Zeros the equivalent direct convolution adds around the spread input: D(K-1) - P (may be < 0: a crop)."""
        return self.dilation * (self.kernel - 1) - self.padding

    def painted(self, i: int) -> list[int]:
        """The output cells (0-based) input cell `i` adds into: one per kernel tap that lands inside."""
        start = i * self.stride - self.padding
        return [start + t * self.dilation for t in range(self.kernel) if 0 <= start + t * self.dilation < self.output]


def _transposed_padding(padding: int | str) -> int:
    if isinstance(padding, str):
        # ConvTranspose2d's padding is the conv's it undoes; PyTorch has no 'same'/'valid' for it
        raise LayerError(
            "transpose_padding_word",
            f"a transposed convolution takes a number for padding, not {padding!r}",
            value=padding,
        )
    return resolve_padding(padding, 1)[0]


def spread(
    size: int, kernel: int, stride: int = 1, padding: int | str = 0, dilation: int = 1, output_padding: int = 0
) -> Spread:
    """One axis of a transposed convolution, exactly as PyTorch's ConvTranspose2d computes and refuses it.

    Output: (H - 1)*S - 2P + D*(K - 1) + output_padding + 1.

    Args:
        size: input length (H or W).
        kernel, stride, padding, dilation: the settings of the convolution it undoes.
        output_padding: extra rows/columns at the end; PyTorch needs it below the stride or the dilation.
    Returns:
        a Spread with the output length, at least 1.
    Raises:
        LayerError: exactly when PyTorch refuses the setting, saying why.
    """
    check_positive(input=size, kernel=kernel, stride=stride, dilation=dilation)
    padding = _transposed_padding(padding)
    if isinstance(output_padding, bool) or not isinstance(output_padding, int):
        raise LayerError(
            "not_integer",
            f"output_padding must be a whole number, not {output_padding!r}",
            name="output_padding",
            value=output_padding,
        )
    if output_padding < 0:
        raise LayerError(
            "negative_output_padding", f"output_padding must be 0 or more, not {output_padding}", value=output_padding
        )
    if output_padding >= stride and output_padding >= dilation:
        raise LayerError(
            "output_padding_too_big",
            f"output_padding {output_padding} must be smaller than the stride ({stride}) or the dilation "
            f"({dilation}): only then does it choose between outputs the same conv maps back to one size",
            value=output_padding,
            stride=stride,
            dilation=dilation,
        )
    out = (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1
    if out < 1:
        raise LayerError(
            "transpose_too_small",
            f"the padding {padding} crops more than the spread, convolved input has ({out + 2 * padding} px): "
            f"the output would be {out} px",
            padding=padding,
            full=out + 2 * padding,
            out=out,
        )
    return Spread(out, size, kernel, stride, padding, dilation, output_padding)


def conv_inputs(output: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> range:
    """Every input length a conv with these settings turns into `output`: why output_padding exists.

    With stride S, S neighbouring sizes round down to the same output; a transposed conv can give back
    only one of them, and output_padding says which (the smallest, plus output_padding).

    Args:
        output: the conv's output length (the transposed conv's input).
        kernel, stride, padding, dilation: the conv's settings.
    Returns:
        the input lengths, smallest first (those below 1 left out).
    """
    first = (output - 1) * stride - 2 * padding + dilation * (kernel - 1) + 1
    return range(max(first, 1), first + stride)
