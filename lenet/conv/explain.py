"""What the Convolution lab says about one layer: its report, the formulas with numbers, and fixes.

Built on lenet.conv.arithmetic (the numbers) and lenet.conv.query (reading a padding typed as text).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from lenet.conv.arithmetic import (
    TRANSPOSED,
    Fit,
    LayerError,
    Spread,
    check_positive,
    conv_inputs,
    conv_output_size,
    layer_macs,
    layer_params,
    spread,
    stride_fit,
)
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


def transposed_latex(axis: Spread, symbol: str = "W") -> str:
    """PyTorch's ConvTranspose2d output formula with this axis's numbers filled in, as LaTeX."""
    d_sym, d_num = ("", "") if axis.dilation == 1 else (r"D\cdot", rf"{axis.dilation}\cdot")
    return (
        rf"O_{symbol} = ({symbol} - 1)\cdot S - 2P + {d_sym}(K - 1) + P_\mathrm{{out}} + 1"
        rf" = ({axis.size} - 1)\cdot {axis.stride} - 2\cdot {axis.padding} + {d_num}({axis.kernel} - 1)"
        rf" + {axis.output_padding} + 1 = {axis.output}"
    )


def output_padding_choices(axis: Spread) -> list[tuple[int, int]]:
    """(output padding, output length) for every length the conv it undoes turns back into this input.

    The lengths of conv_inputs, each with the output_padding that picks it; a length below 1, which
    no transposed conv gives, is left out.
    """
    first = axis.output - axis.output_padding
    sizes = conv_inputs(axis.size, axis.kernel, axis.stride, axis.padding, axis.dilation)
    return [(n - first, n) for n in sizes]


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
    rows: Fit | Spread | None = None  # the height axis (a Spread for a transposed conv)
    cols: Fit | Spread | None = None  # the width axis
    output_padding: int = 0  # transposed conv only
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
        channels = self.out_channels if self.op in ("conv", TRANSPOSED) else self.in_channels
        return channels, self.rows.output, self.cols.output

    @property
    def transposed(self) -> bool:
        return self.op == TRANSPOSED

    @property
    def undone(self) -> tuple[int, int] | None:
        """Transposed conv only: (H, W) that the conv with the same settings makes of this output.

        Back to the input size whenever output_padding < stride; always valid, since the output is
        at least one window wide once padded.
        """
        if not (self.ok and self.transposed):
            return None
        settings = dict(kernel=self.kernel, stride=self.stride, padding=self.padding, dilation=self.dilation)
        return conv_output_size(self.rows.output, **settings), conv_output_size(self.cols.output, **settings)

    def formulas(self) -> list[str]:
        """One LaTeX formula per axis with numbers filled in; one only when both axes read the same."""
        if not self.ok:
            return []
        out = []
        for fit, symbol in ((self.rows, "H"), (self.cols, "W")):
            if self.transposed:
                out.append(transposed_latex(fit, symbol))
            else:
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


def _axes(report: LayerReport) -> tuple[Fit | Spread, Fit | Spread]:
    """The height and width axes of a layer: a Fit each, or a Spread each for a transposed conv."""
    r = report
    if r.transposed:
        return tuple(
            spread(n, r.kernel, r.stride, r.padding, r.dilation, r.output_padding) for n in (r.height, r.width)
        )
    if r.output_padding != 0:
        raise LayerError(
            "output_padding_op", "output_padding belongs to transposed convolutions only", value=r.output_padding
        )
    return tuple(
        stride_fit(n, r.kernel, r.stride, r.padding, r.dilation, r.op, r.ceil_mode) for n in (r.height, r.width)
    )


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
    output_padding: int = 0,
) -> LayerReport:
    """Everything about one conv, pooling or transposed conv layer that the Convolution lab shows.

    Never raises for a bad setting: the reason is in `.error` (a LayerError with code and params).

    Args:
        height, width: input size.
        kernel, stride, dilation: square settings, as in the lab and the CLI.
        padding: a number, "same" or "valid".
        op: "conv", "maxpool", "avgpool" or "convtranspose".
        ceil_mode: pooling only: round the output size up.
        in_channels: input depth.
        out_channels: the number of filters (conv only; pooling keeps the input's depth).
        bias: whether a conv has a bias per filter.
        output_padding: transposed conv only: extra rows/columns at the output's end.
    Returns:
        a LayerReport: output size, per-axis Fit (exact tiling, uncovered lines), params,
        multiply-adds and, when the setting is invalid or the stride does not tile, suggestions.
    """
    report = LayerReport(
        height, width, kernel, stride, padding, dilation, op, bool(ceil_mode), in_channels, out_channels
    )
    report.output_padding = output_padding
    try:
        report.padding = parse_padding(padding)
        check_positive(input_channels=in_channels, filters=out_channels)
        report.rows, report.cols = _axes(report)
    except LayerError as exc:
        report.error, report.rows, report.cols = exc, None, None
    if report.ok:
        _, out_h, out_w = report.output
        report.params = layer_params(op, in_channels, out_channels, kernel, bias)
        # each input pixel of a transposed conv paints a K x K patch in every filter: the direct conv's
        # count, with the input's size where the conv has its output's
        size = (height, width) if report.transposed else (out_h, out_w)
        report.macs = layer_macs("conv" if report.transposed else op, in_channels, out_channels, kernel, *size)
    # Only a wrong combination of settings has a nearby fix; a size of 0 or a typo does not.
    fixable = report.error is not None and report.error.code in _FIXABLE
    if fixable or (report.ok and not report.exact):
        report.suggestions = suggest_settings(report)
    return report
