"""Convolution and pooling arithmetic, exactly as PyTorch computes it, and why a setting fails.

Pure Python: no torch import, so `python -m lenet shape` answers instantly.
Reference: Dumoulin & Visin, "A guide to convolution arithmetic for deep learning" (2016),
the shape formulas in the docs of torch.nn.Conv2d / MaxPool2d / AvgPool2d, and the checks in
ATen's `pooling_output_shape` / `pool2d_shape_check` (aten/src/ATen/native/Pool.h), which decide
what PyTorch refuses. tests/test_arithmetic.py compares every rule here with the real layers.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from fractions import Fraction

from lenet.errors import CodedError

OPS = ("conv", "maxpool", "avgpool")


class LayerError(CodedError, ValueError):
    """A layer setting that cannot work. `code` is a stable key for translations; `params` fill it in."""

    def __init__(self, code: str, message: str, **params) -> None:
        super().__init__(message, code, **params)


def parse_int(value, name: str) -> int:
    """A whole number from an int or a string such as a URL query value or a CLI argument.

    Args:
        value: the raw value.
        name: what it is ("kernel", "stride"...), for the error message.
    Raises:
        LayerError: "not_integer" when it is not a whole number.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    if re.fullmatch(r"[+-]?\d{1,12}", text):  # 12 digits: no one means a longer number, and int() stays cheap
        return int(text)
    raise LayerError("not_integer", f"{name} must be a whole number, not {value!r}", name=name, value=value)


def parse_size(value) -> tuple[int, int]:
    """An input size written `H` or `HxW` (also `H×W`) as (H, W); a single number means a square.

    Raises:
        LayerError: "bad_size" when the text is neither form.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return value, value
    parts = re.split(r"\s*[x×X*]\s*", str(value).strip())
    if len(parts) not in (1, 2):
        raise LayerError("bad_size", f"input size must be H or HxW (like 28 or 28x32), not {value!r}", value=value)
    try:
        numbers = [parse_int(p, "input") for p in parts]
    except LayerError:
        raise LayerError("bad_size", f"input size must be H or HxW (like 28 or 28x32), not {value!r}",
                         value=value) from None
    return numbers[0], numbers[-1]


def format_size(height: int, width: int) -> str:
    """The URL/CLI form of a size: `28` for a square, else `28x32`."""
    return str(height) if height == width else f"{height}x{width}"


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
        return parse_int(text, "padding")
    except LayerError:
        raise LayerError("bad_padding", f"padding must be a number, 'same' or 'valid', not {padding!r}",
                         value=padding) from None


def resolve_padding(padding: int | str, kernel: int, dilation: int = 1, stride: int = 1,
                    op: str = "conv") -> tuple[int, int]:
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
    padding = parse_padding(padding)
    if padding == "valid":
        return 0, 0  # pooling has no 'valid' keyword in PyTorch, but it means padding 0 there too
    if padding == "same":
        if op != "conv":
            raise LayerError("same_pool", "pooling layers take a number for padding, not 'same'")
        if stride != 1:
            raise LayerError("same_stride",
                             f"padding 'same' needs stride 1: with stride {stride} the output is smaller than "
                             "the input by definition, so PyTorch refuses padding='same' for strided convolutions",
                             stride=stride)
        total = dilation * (kernel - 1)
        return total // 2, total - total // 2  # PyTorch puts the odd pixel after (bottom/right)
    if padding < 0:
        raise LayerError("negative_padding", f"padding must be 0 or more, not {padding}", value=padding)
    # ATen checks kernel // 2 (pool2d_shape_check), not the dilated window: with dilation the
    # window is wider, yet a padding above half the *kernel* is still refused.
    if op != "conv" and padding > kernel // 2:
        raise LayerError("pool_padding",
                         f"pooling padding {padding} is more than half the window ({kernel} // 2 = {kernel // 2}); "
                         "PyTorch refuses it because a window could then see only padding",
                         padding=padding, kernel=kernel, limit=kernel // 2)
    return padding, padding


def _check_positive(**values: int) -> None:
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


def _checked(size: int, kernel: int, stride: int, padding: int | str, dilation: int, op: str,
             ceil_mode: bool) -> tuple[int, int, int, bool]:
    """Validate one axis like PyTorch and return (output, before, after, trimmed)."""
    if op not in OPS:
        raise LayerError("bad_op", f"op must be one of {', '.join(OPS)}, not {op!r}", value=op)
    _check_positive(input=size, kernel=kernel, stride=stride, dilation=dilation)
    if op == "avgpool" and dilation != 1:
        raise LayerError("avgpool_dilation", "average pooling has no dilation in PyTorch; use 1")
    before, after = resolve_padding(padding, kernel, dilation, stride, op)
    span = _window(kernel, dilation)
    out, trimmed = _unchecked_output(size, span, stride, before, after, op != "conv" and bool(ceil_mode))
    if out < 1:  # only when the window is larger than the padded input (ceil mode may rescue one)
        padded = size + before + after
        raise LayerError("kernel_too_big",
                         f"the window ({span} px{' with dilation' if dilation > 1 else ''}) is larger than "
                         f"the padded input ({padded} px)", span=span, padded=padded)
    return out, before, after, trimmed


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
        LayerError: with the reason the setting cannot work, exactly when PyTorch refuses it.
    """
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
        ends = [offset + last * self.stride for offset, first, last in map(self._tap_windows, range(self.kernel))
                if first <= last]
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
                read[start:stop:self.stride] = b"\x01" * len(range(start, stop, self.stride))
        return tuple(i for i, flag in enumerate(read) if not flag)

    @property
    def uncovered_gaps(self) -> tuple[int, ...]:
        """Uncovered input lines between read ones: a stride longer than the window, or dilation."""
        return tuple(i for i in self.uncovered if i <= self.last_read)


def stride_fit(size: int, kernel: int, stride: int = 1, padding: int | str = 0, dilation: int = 1,
               op: str = "conv", ceil_mode: bool = False) -> Fit:
    """Whether the stride tiles the padded input exactly, and what is dropped when it does not.

    Raises:
        LayerError: the setting is invalid (as conv_output_size).
    """
    out, before, after, trimmed = _checked(size, kernel, stride, padding, dilation, op, ceil_mode)
    span = _window(kernel, dilation)
    padded = size + before + after
    covered = (out - 1) * stride + span
    return Fit(output=out, exact=(padded - span) % stride == 0, dropped=max(0, padded - covered),
               quotient=(padded - span) / stride + 1, size=size, before=before, after=after, span=span,
               trimmed=trimmed, kernel=kernel, stride=stride, dilation=dilation)


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
    """Learned numbers in a layer: a conv has one kernel per (input, output) channel pair, plus biases."""
    if op != "conv":
        return 0
    return out_channels * in_channels * kernel * kernel + (out_channels if bias else 0)


def layer_macs(op: str, in_channels: int, out_channels: int, kernel: int, out_h: int, out_w: int) -> int:
    """Work for one image. Conv: multiply-adds. Pooling: values read by the windows (compares or sums)."""
    if op != "conv":
        return in_channels * kernel * kernel * out_h * out_w
    return out_channels * in_channels * kernel * kernel * out_h * out_w


def _latex_terms(fit: Fit) -> tuple[str, str, str, str]:
    """(K symbol, K with numbers, 2P symbol, 2P with numbers) for one axis.

    The tutorial writes (W - K + 2P)/S + 1; it is widened only where a setting needs it: a dilated
    window D(K-1)+1, and unequal padding before + after ('same' with an even kernel).
    """
    k_sym = "K" if fit.dilation == 1 else "(D(K-1)+1)"
    k_num = str(fit.kernel) if fit.dilation == 1 else rf"({fit.dilation}\cdot({fit.kernel}-1)+1)"
    p_sym = "2P" if fit.before == fit.after else r"P_\mathrm{before}+P_\mathrm{after}"
    p_num = rf"2\cdot {fit.before}" if fit.before == fit.after else f"({fit.before}+{fit.after})"
    return k_sym, k_num, p_sym, p_num


def formula_latex(fit: Fit, ceil: bool = False, symbol: str = "W") -> str:
    """The output-size formula with this axis's numbers filled in, as LaTeX.

    Ceil mode (pooling) rounds up instead of down; a last window that would start in the padding
    then shows as PyTorch's extra "- 1".
    """
    k_sym, k_num, p_sym, p_num = _latex_terms(fit)
    left, right = (r"\left\lceil", r"\right\rceil") if ceil else (r"\left\lfloor", r"\right\rfloor")
    numerator = fit.padded - fit.span
    raw = (-(-numerator // fit.stride) if ceil else numerator // fit.stride) + 1
    tail = rf" - 1 = {raw - 1}" if fit.trimmed else ""
    return (rf"O_{symbol} = {left} \frac{{{symbol} - {k_sym} + {p_sym}}}{{S}} {right} + 1"
            rf" = {left} \frac{{{fit.size} - {k_num} + {p_num}}}{{{fit.stride}}} {right} + 1 = {raw}{tail}")


def check_latex(fit: Fit) -> str:
    """The tutorial's integer check (W - K + 2P)/S + 1 before any rounding, as LaTeX."""
    _, k_num, _, p_num = _latex_terms(fit)
    ratio = Fraction(fit.padded - fit.span, fit.stride)
    middle = "" if ratio.denominator == 1 else rf" = \tfrac{{{ratio.numerator}}}{{{ratio.denominator}}} + 1"
    value = ratio + 1
    shown = str(value.numerator) if value.denominator == 1 else f"{float(value):.4g}"
    approx = "=" if Fraction(shown) == value else r"\approx"
    return rf"\frac{{{fit.size} - {k_num} + {p_num}}}{{{fit.stride}}} + 1{middle} {approx} {shown}"


@dataclass
class Suggestion:
    """A nearby setting that works: the settings it changes and the output it gives."""

    changes: dict
    output: tuple[int, int]
    exact: bool


@dataclass
class LayerReport:
    """Everything the Convolution lab shows about one layer; see explain_layer."""

    height: int
    width: int
    kernel: int
    stride: int
    padding: int | str
    dilation: int
    op: str
    ceil_mode: bool
    in_channels: int
    out_channels: int
    error: LayerError | None = None
    rows: Fit | None = None  # the height axis
    cols: Fit | None = None  # the width axis
    params: int = 0
    macs: int = 0
    suggestions: list[Suggestion] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def exact(self) -> bool:
        return self.ok and self.rows.exact and self.cols.exact

    @property
    def output(self) -> tuple[int, int, int] | None:
        """(channels, H, W) of the output, or None when the setting is invalid."""
        if not self.ok:
            return None
        channels = self.out_channels if self.op == "conv" else self.in_channels
        return channels, self.rows.output, self.cols.output

    def formulas(self) -> list[str]:
        """One LaTeX formula per axis with numbers filled in; one only when both axes read the same."""
        if not self.ok:
            return []
        out = []
        for fit, symbol in ((self.rows, "H"), (self.cols, "W")):
            out.append(formula_latex(fit, self.op != "conv" and self.ceil_mode, symbol))
        if self.height == self.width:
            return [out[1]]
        return out


def _settings(report: LayerReport) -> dict:
    return {"kernel": report.kernel, "stride": report.stride, "padding": report.padding, "dilation": report.dilation}


def _try(height: int, width: int, op: str, ceil_mode: bool, settings: dict) -> Suggestion | None:
    try:
        rows = stride_fit(height, op=op, ceil_mode=ceil_mode, **settings)
        cols = stride_fit(width, op=op, ceil_mode=ceil_mode, **settings)
    except LayerError:
        return None
    return Suggestion({}, (rows.output, cols.output), rows.exact and cols.exact)


def suggest_settings(report: LayerReport, limit_per_kind: int = 1) -> list[Suggestion]:
    """Nearby settings that work and tile exactly, changing one setting at a time.

    For each kind of change (padding, stride, kernel, dilation) the closest working value is kept,
    so the page can offer "padding 1, or stride 1, or kernel 4" rather than four paddings. When
    nothing nearby tiles exactly (an invalid setting), a working one that does not tile is offered.
    """
    base = _settings(report)
    numeric_padding = base["padding"] if isinstance(base["padding"], int) else (
        0 if base["padding"] == "valid" else (report.dilation * (report.kernel - 1)) // 2)
    def around(current: int, low: int, reach: int) -> list[int]:
        # a bounded neighbourhood, so absurd settings (stride 10**9) stay instant; the lowest value
        # is always tried because stride 1 and padding 0 so often fit
        values = {low, *range(max(low, current - reach), current + reach + 1)}
        return sorted(values - {current})

    kinds = {
        # 'same' or 'valid' written as its number is a real change, so keep that number then
        "padding": around(numeric_padding, 0, 8) if isinstance(base["padding"], int)
        else sorted({numeric_padding, *around(numeric_padding, 0, 8)}),
        "stride": around(report.stride, 1, 8),
        "kernel": around(report.kernel, 1, 8),
        "dilation": around(report.dilation, 1, 2),
    }
    found: list[tuple[tuple, Suggestion]] = []
    for priority, (name, values) in enumerate(kinds.items()):
        current = numeric_padding if name == "padding" else base[name]
        options = []
        for value in values:
            trial = _try(report.height, report.width, report.op, report.ceil_mode, {**base, name: value})
            if trial is not None:
                trial.changes = {name: value}
                options.append(((not trial.exact, abs(value - current), value), trial))
        options.sort(key=lambda item: item[0])
        for key, trial in options[:limit_per_kind]:
            found.append(((not trial.exact, key[1], priority), trial))
    found.sort(key=lambda item: item[0])
    if any(s.exact for _, s in found):
        return [s for _, s in found if s.exact]
    return [s for _, s in found]


_FIXABLE = ("kernel_too_big", "same_stride", "same_pool", "pool_padding", "avgpool_dilation")


def explain_layer(height, width, kernel, stride=1, padding: int | str = 0, dilation=1, op: str = "conv",
                  ceil_mode: bool = False, in_channels: int = 1, out_channels: int = 1,
                  bias: bool = True) -> LayerReport:
    """Everything about one conv or pooling layer that the Convolution lab shows.

    Never raises for a bad setting: the reason is in `.error` (a LayerError with code and params).

    Args:
        height, width: input size.
        kernel, stride, dilation: square settings, as in the lab and the CLI.
        padding: a number, "same" or "valid".
        op: "conv", "maxpool" or "avgpool".
        ceil_mode: pooling only: round the output size up.
        in_channels: input depth.
        out_channels: the number of filters (conv only; pooling keeps the input's depth).
        bias: whether a conv has a bias per filter.
    Returns:
        a LayerReport: output size, per-axis Fit (exact tiling, uncovered lines), params,
        multiply-adds and, when the setting is invalid or the stride does not tile, suggestions.
    """
    report = LayerReport(height, width, kernel, stride, padding, dilation, op, bool(ceil_mode), in_channels,
                         out_channels)
    try:
        report.padding = parse_padding(padding)
        _check_positive(input_channels=in_channels, filters=out_channels)
        report.rows = stride_fit(height, kernel, stride, report.padding, dilation, op, ceil_mode)
        report.cols = stride_fit(width, kernel, stride, report.padding, dilation, op, ceil_mode)
    except LayerError as exc:
        report.error, report.rows, report.cols = exc, None, None
    if report.ok:
        _, out_h, out_w = report.output
        report.params = layer_params(op, in_channels, out_channels, kernel, bias)
        report.macs = layer_macs(op, in_channels, out_channels, kernel, out_h, out_w)
    # Only a wrong combination of settings has a nearby fix; a size of 0 or a typo does not.
    fixable = report.error is not None and report.error.code in _FIXABLE
    if fixable or (report.ok and not report.exact):
        report.suggestions = suggest_settings(report)
    return report


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
    params = layer_params("conv", c, channels, kernel, bias) + (2 * channels if bn else 0)
    return LayerRow(name, "conv", desc, shape, (channels, oh, ow), params,
                    layer_macs("conv", c, channels, kernel, oh, ow))


def _pool_row(name: str, shape, op: str, size: int) -> LayerRow:
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
    # the learned replacement for pooling always has a bias (model.LeNet builds it that way)
    params = layer_params(kind, c, c, size, bias=True)
    macs = layer_macs("conv", c, c, size, oh, ow) if op == "none" else 0
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
        lambda s: _pool_row("S2", s, cfg.pool, cfg.pool_size),
        lambda s: _conv_row("C3", s, cfg.c3_channels, cfg.c3_kernel, cfg.c3_stride, cfg.c3_padding, bias,
                            cfg.batch_norm),
        lambda s: _pool_row("S4", s, cfg.pool, cfg.pool_size),
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
    """Sum of the learned numbers over a network_table."""
    return sum(r.params for r in rows)
