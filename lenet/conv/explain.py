"""What the Convolution lab says about one layer: its report, the formulas with numbers, and fixes.

Built on lenet.conv.arithmetic (the numbers) and lenet.conv.query (reading a padding typed as text).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from lenet.conv.arithmetic import Fit, LayerError, check_positive, layer_macs, layer_params, stride_fit
from lenet.conv.query import parse_padding


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
    return (
        rf"O_{symbol} = {left} \frac{{{symbol} - {k_sym} + {p_sym}}}{{S}} {right} + 1"
        rf" = {left} \frac{{{fit.size} - {k_num} + {p_num}}}{{{fit.stride}}} {right} + 1 = {raw}{tail}"
    )


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


def _numeric_padding(report: LayerReport) -> int:
    """The padding as a number of pixels: what 'valid' and 'same' mean for this kernel."""
    if isinstance(report.padding, int):
        return report.padding
    return 0 if report.padding == "valid" else (report.dilation * (report.kernel - 1)) // 2


def _around(current: int, low: int, reach: int) -> list[int]:
    """Values near `current`, without it. A bounded neighbourhood, so absurd settings (stride 10**9)
    stay instant; the lowest value is always tried because stride 1 and padding 0 so often fit."""
    values = {low, *range(max(low, current - reach), current + reach + 1)}
    return sorted(values - {current})


def _candidates(report: LayerReport) -> dict[str, tuple[int, list[int]]]:
    """For each setting a suggestion may change: (its current value, the values to try), in priority order."""
    padding = _numeric_padding(report)
    # 'same' or 'valid' written as its number is a real change, so keep that number then
    paddings = _around(padding, 0, 8) if isinstance(report.padding, int) else sorted({padding, *_around(padding, 0, 8)})
    return {
        "padding": (padding, paddings),
        "stride": (report.stride, _around(report.stride, 1, 8)),
        "kernel": (report.kernel, _around(report.kernel, 1, 8)),
        "dilation": (report.dilation, _around(report.dilation, 1, 2)),
    }


def _try(report: LayerReport, name: str, value: int) -> Suggestion | None:
    """The suggestion of changing one setting to `value`, or None when that does not work either."""
    settings = {
        "kernel": report.kernel,
        "stride": report.stride,
        "padding": report.padding,
        "dilation": report.dilation,
        name: value,
    }
    try:
        rows = stride_fit(report.height, op=report.op, ceil_mode=report.ceil_mode, **settings)
        cols = stride_fit(report.width, op=report.op, ceil_mode=report.ceil_mode, **settings)
    except LayerError:
        return None
    return Suggestion({name: value}, (rows.output, cols.output), rows.exact and cols.exact)


def suggest_settings(report: LayerReport, limit_per_kind: int = 1) -> list[Suggestion]:
    """Nearby settings that work and tile exactly, changing one setting at a time.

    For each kind of change (padding, stride, kernel, dilation) the closest working value is kept,
    so the page can offer "padding 1, or stride 1, or kernel 4" rather than four paddings. When
    nothing nearby tiles exactly (an invalid setting), a working one that does not tile is offered.

    Args:
        report: the layer, as explain_layer describes it.
        limit_per_kind: how many values to keep for each setting.
    Returns:
        the suggestions, best first: exact tilings, then the smallest change, then padding before stride,
        kernel and dilation.
    """
    found: list[tuple[tuple, Suggestion]] = []
    for priority, (name, (current, values)) in enumerate(_candidates(report).items()):
        trials = [(trial, value) for value in values if (trial := _try(report, name, value)) is not None]
        trials.sort(key=lambda item: (not item[0].exact, abs(item[1] - current), item[1]))
        found += [
            ((not trial.exact, abs(value - current), priority), trial) for trial, value in trials[:limit_per_kind]
        ]
    found.sort(key=lambda item: item[0])
    exact = [s for _, s in found if s.exact]
    return exact or [s for _, s in found]


_FIXABLE = ("kernel_too_big", "same_stride", "same_pool", "pool_padding", "avgpool_dilation")


def explain_layer(
    height,
    width,
    kernel,
    stride=1,
    padding: int | str = 0,
    dilation=1,
    op: str = "conv",
    ceil_mode: bool = False,
    in_channels: int = 1,
    out_channels: int = 1,
    bias: bool = True,
) -> LayerReport:
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
    report = LayerReport(
        height, width, kernel, stride, padding, dilation, op, bool(ceil_mode), in_channels, out_channels
    )
    try:
        report.padding = parse_padding(padding)
        check_positive(input_channels=in_channels, filters=out_channels)
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
