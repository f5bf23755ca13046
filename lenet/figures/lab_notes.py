"""The Convolution lab's explanations of one layer, in the page's language, as notes: (kind, text) pairs that the
page shows in order with the Streamlit element of that kind ("markdown", "latex", "caption", "info", "success",
"warning").

The numbers come from lenet.conv (a LayerReport); the words from lenet/i18n. Streamlit-free, so a note's text is
a plain value a test can read.
"""

from __future__ import annotations

from lenet.conv.arithmetic import index_ranges, stride_fit
from lenet.conv.explain import check_latex, formula_latex, output_padding_choices
from lenet.i18n import t

MAX_RUNS_LISTED = 6  # "rows 3, 7, 11, …": enough to see the pattern on a projector
PICTURE_LABELS = ("input", "output", "padding", "play", "pause", "position")  # the sliding window's words

Note = tuple[str, str]  # (the kind of element, its text)


def lines_text(indices) -> str:
    """Indices as 1-based runs for people: (26, 27) -> "27–28"."""
    runs = index_ranges(indices)
    parts = [str(a + 1) if a == b else f"{a + 1}–{b + 1}" for a, b in runs[:MAX_RUNS_LISTED]]
    return ", ".join(parts) + (", …" if len(runs) > MAX_RUNS_LISTED else "")


def picture_labels(lang: str, names=PICTURE_LABELS) -> dict[str, str]:
    """The words of a lab picture (lenet.figures.lab), by name."""
    return {name: t(f"lab.picture.{name}", lang) for name in names}


def suggestion_notes(report, lang: str) -> list[Note]:
    """The nearby settings that make the layer work (or tile exactly), as one list."""
    if not report.suggestions:
        return []
    exact = any(s.exact for s in report.suggestions)
    items = []
    for s in report.suggestions:
        ((name, value),) = s.changes.items()
        change = t(f"lab.change.{name}", lang, value=value)
        items.append("- " + t("lab.suggest.item", lang, change=change, h=s.output[0], w=s.output[1]))
    return [("markdown", t("lab.suggest" if exact else "lab.suggest.working", lang) + "\n" + "\n".join(items))]


def formula_notes(report, settings, lang: str) -> list[Note]:
    """The output-size formula filled in, with what `same` padding and a dilation add to it."""
    notes = [("markdown", t("lab.formula", lang)), *(("latex", formula) for formula in report.formulas())]
    if settings.padding == "same":
        fit = report.cols
        notes.append(
            ("caption", t("lab.formula.same", lang, total=fit.before + fit.after, before=fit.before, after=fit.after))
        )
    if settings.dilation > 1:
        notes.append(("caption", t("lab.formula.dilation", lang, span=report.cols.span)))
    return notes


def fit_notes(report, lang: str) -> list[Note]:
    """The tutorial's integer check for each axis that does not tile, and what is never read."""
    square = report.height == report.width  # one message for both axes: they tile alike
    axes = [(report.cols, "both")] if square else [(report.rows, "rows"), (report.cols, "cols")]
    notes = []
    if all(fit.exact for fit, _ in axes):
        notes.append(("success", t("lab.fit.exact", lang)))
    for fit, axis in axes:
        if fit.exact:
            continue
        ceil = report.op != "conv" and report.ceil_mode
        key = "lab.fit.ceil" if ceil else "lab.fit.not_exact"
        notes.append(("info", t(key, lang, axis=t(f"lab.axis.{axis}", lang), out=fit.output)))
        notes.append(("latex", check_latex(fit)))
        if fit.trimmed:
            notes.append(("caption", t("lab.fit.trimmed", lang)))
    for fit, axis in ((report.rows, "rows"), (report.cols, "cols")):
        if fit.uncovered_tail:
            notes.append(("warning", t(f"lab.uncovered.{axis}", lang, lines=lines_text(fit.uncovered_tail))))
        elif fit.dropped and not fit.exact and not (square and axis == "rows"):
            both = t(f"lab.axis.{'both' if square else axis}", lang)
            notes.append(("caption", t("lab.uncovered.padding_only", lang, axis=both)))
        if fit.uncovered_gaps:
            lines = lines_text(fit.uncovered_gaps)
            if report.stride > fit.span:
                notes.append(("warning", t(f"lab.gaps.{axis}", lang, lines=lines)))
            else:
                text = t("lab.gaps.dilation", lang, d=report.dilation, axis=t(f"lab.axis.{axis}", lang), lines=lines)
                notes.append(("warning", text))
    return notes


def choices_text(choices: list[tuple[int, int]], lang: str) -> str:
    """The choices as one phrase: output padding 0 gives 25 and output padding 1 gives 26."""
    items = [t("lab.tr.why.choice", lang, op=op, size=size) for op, size in choices]
    text = items[0]
    for i, item in enumerate(items[1:], start=2):
        text = t("lab.tr.why.last" if i == len(items) else "lab.tr.why.more", lang, rest=text, next=item)
    return text


def output_padding_notes(report, lang: str) -> list[Note]:
    """The sizes one convolution maps to the same output, every output padding that picks one, and this pick."""
    if report.stride == 1:
        notes = [("markdown", t("lab.tr.why.stride1", lang))]
        if report.output_padding:  # a dilation above 1 allows an output padding that no stride asks for
            _, out_h, out_w = report.output
            notes.append(
                ("markdown", t("lab.tr.why.picked", lang, op=report.output_padding, chosen=f"{out_h}×{out_w}"))
            )
        return notes
    square = report.height == report.width
    axes = [(report.cols, "width")] if square else [(report.rows, "height"), (report.cols, "width")]
    notes = []
    for axis, name in axes:
        choices = output_padding_choices(axis)
        text = t(
            "lab.tr.why",
            lang,
            s=axis.stride,
            axis=t(f"lab.axis.{name}", lang),
            sizes=", ".join(str(size) for _, size in choices),
            n=axis.size,
            choices=choices_text(choices, lang),
        )
        if axis.output_padding:
            picked = t("lab.tr.why.picked", lang, op=axis.output_padding, chosen=axis.output)
            text = t("lab.tr.why.then", lang, why=text, picked=picked)
        notes.append(("markdown", text))
    return notes


def transposed_notes(report, settings, lang: str) -> list[Note]:
    """A transposed conv's formula, next to the conv it undoes, and why output_padding exists."""
    _, out_h, out_w = report.output
    back_h, back_w = report.undone
    # one under the other, not side by side: each formula needs the full width to be read on a phone
    notes = [("markdown", t("lab.tr.formula", lang)), *(("latex", formula) for formula in report.formulas())]
    notes.append(("markdown", t("lab.tr.undo", lang)))
    conv = dict(kernel=settings.kernel, stride=settings.stride, padding=report.rows.padding, dilation=settings.dilation)
    axes = [(out_w, "W")] if settings.height == settings.width else [(out_h, "H"), (out_w, "W")]
    notes += [("latex", formula_latex(stride_fit(size, **conv), symbol=symbol)) for size, symbol in axes]
    h, w = settings.height, settings.width
    if (back_h, back_w) == (h, w):
        notes.append(("success", t("lab.tr.back", lang, h=h, w=w, oh=out_h, ow=out_w)))
    else:
        params = dict(op=settings.output_padding, s=settings.stride, bh=back_h, bw=back_w, h=h, w=w)
        notes.append(("info", t("lab.tr.not_back", lang, **params)))
    notes.append(("markdown", t("lab.tr.how", lang, gap=settings.stride - 1, inner=report.rows.inner_padding)))
    return notes + output_padding_notes(report, lang)


def question_text(ex, lang: str) -> str:
    """An exercise's question (lenet.conv.exercise.Exercise): the layer to size up."""
    padding = t("lab.ex.padding_same", lang) if ex.padding == "same" else str(ex.padding)
    op = t(f"lab.op.{ex.op}", lang).lower()
    params = dict(size=ex.size, k=ex.kernel, s=ex.stride, p=padding, d=ex.dilation)
    return t("lab.ex.question", lang, n=ex.index + 1, op=op, **params)
