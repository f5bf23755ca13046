"""The Draw page's trace of one number, in the page's language: where it looks (its receptive field on every
layer), how it was computed (patch x kernel grids, the pooling window, the strongest inputs of a unit, softmax step
by step) and the window player's figure. Every text is escaped; the numbers come from lenet.trace."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from lenet.figures import markup
from lenet.figures import trace as trace_figures
from lenet.figures.draw_view import DrawView
from lenet.i18n import t
from lenet.trace import Cell, Trace, geometry, parse_cell, shapes, trace

PICK_KEY = "trace_pick"  # + "_" + the layer: the clickable picture's value, the last click's x, y and its size
SHOWN_CHANNELS = 3  # input maps of C3/C5 shown as grids; every map's sum is in the table
FIELD_PX = 140  # about how wide each receptive-field picture is drawn
PLAYER_SIDE = 10  # the player steps over at most this many rows and columns of the map, around the picked cell


def _num(x: float, decimals: int = 4) -> str:
    return f"{x:.{decimals}f}"


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def _layer_label(name: str, lang: str) -> str:
    return t("trace.input", lang) if name == "input" else name


def _cell_name(cell: Cell, unit: bool, lang: str) -> str:
    """The cell in words: a unit of a vector (`unit`: a fully connected block's), or a map's row and column."""
    if cell.layer == "output":
        return t("trace.cell.output", lang, channel=cell.channel)
    if not unit:
        return t("trace.cell.map", lang, layer=cell.layer, channel=cell.channel, row=cell.row, col=cell.col)
    return t("trace.cell.unit", lang, layer=cell.layer, channel=cell.channel)


def trace_intro_html(lang: str) -> str:
    """The tracing section's rule, title and introduction (sent with the layers' block: one element fewer)."""
    intro = markup.caption(t("trace.intro", lang) + " " + t("trace.pick_help", lang))
    return markup.section_head(t("trace.title", lang)) + intro


def _model_value(view: DrawView, cell: Cell) -> float:
    """The cell's value as the model computed it (the page shows that one; the trace adds up to it)."""
    act = view.insp.activations[cell.layer]
    return float(act[cell.channel] if act.ndim == 1 else act[cell.channel, cell.row, cell.col])


@dataclass(frozen=True)
class Explained:
    """The selected cell's explanation, computed before anything below the input is drawn."""

    cell: Cell
    prev: str  # the layer (or "input") it reads
    result: Trace
    value_md: str  # its name and value (and probability), markdown
    body_html: str  # where it looks and how it was computed, one HTML block


def explain_cell(view: DrawView, cell: Cell | None, model, cmap: str, lang: str) -> Explained | None:
    """The selected cell traced and put into words and grids; None when nothing is picked or there is nothing
    to read."""
    if view.insp is None or cell is None:
        return None
    result = trace(model, view.prep.input, view.insp.activations, cell)
    lines = [t("trace.value", lang, value=_num(_model_value(view, cell)))]
    if cell.layer == "output":
        p = float(view.insp.probs[cell.channel])
        lines.append(t("trace.prob", lang, digit=cell.channel, prob=_num(p), pct=f"{p:.1%}"))
    heading = _esc(t("trace.heading", lang, cell=_cell_name(cell, view.insp.activations[cell.layer].ndim == 1, lang)))
    value_md = f"### {heading}\n\n" + "  \n".join(f"**{_esc(line)}**" for line in lines)
    names = ["input", *view.insp.activations]
    prev = names[names.index(cell.layer) - 1]
    shape = view.prep.image.shape if prev == "input" else view.insp.activations[prev].shape[-2:]
    parts = [where_html(view, result, cmap, lang), markup.heading(t("trace.how", lang), 4)]
    steps = {"conv": conv_step_html, "pool": pool_step_html, "fc": fc_step_html, "elementwise": element_step_html}
    parts.append(steps[result.step.kind](result.step, prev, shape, lang))
    if result.step.kind == "fc" and result.step.softmax is not None:
        parts.append(softmax_html(result.step.softmax, cell.channel, lang))
    return Explained(cell, prev, result, value_md, f'<div class="lenet-lazy">{"".join(parts)}</div>')


def _text(text: str) -> str:
    """Body text in an HTML block."""
    return markup.caption(text, "lenet-text")


def where_html(view: DrawView, result: Trace, cmap: str, lang: str) -> str:
    """The receptive field outlined on the input and on every layer up to the cell's."""
    title = markup.heading(t("trace.where.title", lang), 4)
    if view.insp.activations[result.cell.layer].ndim != 3:  # a unit of a fully connected layer
        return title + markup.caption(t("trace.where.all", lang))
    channel_of = {result.cell.layer: result.cell.channel}
    pictures = trace_figures.field_pictures(
        view.prep.image, view.insp.activations, result.fields, cmap, channel_of, FIELD_PX
    )
    cells = []
    for name, (rgb, channel) in pictures.items():
        caption = t("trace.where.map", lang, layer=name, channel=channel)
        if name == "input":
            caption = t("trace.where.input", lang)
        cells.append(markup.figure(rgb, caption, rgb.shape[1]))
    arrow = '<div style="font-size:1.6rem;opacity:.6;align-self:center" aria-hidden="true">→</div>'
    row = f'<div style="display:flex;gap:0.8rem;flex-wrap:wrap;align-items:flex-start">{arrow.join(cells)}</div>'
    return title + row + markup.caption(t("trace.where.text", lang))


def _window_text(key: str, step, prev: str, shape, lang: str, **params) -> str:
    top, left, bottom, right = step.window
    height, width = shape
    return t(
        key,
        lang,
        prev=_layer_label(prev, lang),
        top=max(0, top),
        left=max(0, left),
        bottom=min(height - 1, bottom),
        right=min(width - 1, right),
        **params,
    )


def conv_step_html(step, prev: str, shape, lang: str) -> str:
    """Patch × kernel = products for the maps that add the most, the per-map sums, bias, batch norm, activation."""
    k = step.kernels.shape[-1]
    parts = [_text(_window_text("trace.conv.text", step, prev, shape, lang, k=k))]
    top, left, bottom, right = step.window
    if top < 0 or left < 0 or bottom >= shape[0] or right >= shape[1]:
        parts.append(markup.caption(t("trace.conv.padding", lang, prev=_layer_label(prev, lang))))
    n = len(step.partial_sums)
    order = np.argsort(-np.abs(step.partial_sums))[:SHOWN_CHANNELS]
    if n > 1:
        parts.append(
            _text(t("trace.conv.channels", lang, n=n, prev=prev) + " " + t("trace.conv.shown", lang, shown=len(order)))
        )
    for i in sorted(order):
        patch_title = t("trace.grid.patch", lang, prev=prev, i=int(i))
        if prev == "input":
            patch_title = t("trace.grid.input", lang)
        grids = [
            trace_figures.number_grid(step.patches[i], patch_title),
            trace_figures.number_grid(step.kernels[i], t("trace.grid.kernel", lang)),
            trace_figures.number_grid(step.products[i], t("trace.grid.products", lang)),
        ]
        parts.append(trace_figures.grids_row(grids, ["×", "="]))
        parts.append(markup.caption(t("trace.grid.sum", lang, sum=_num(float(step.partial_sums[i])))))
    if n > 1:
        header = [t("trace.partial.map", lang, prev=prev), t("trace.partial.sum", lang)]
        parts.append(_table(header, [[str(i), _num(float(v))] for i, v in enumerate(step.partial_sums)]))
    return "".join(parts) + _finish_html(step, lang)


def _post_line(post: dict, lang: str) -> str:
    """One step after a block's conv, pooling or fc (lenet.trace.post_steps), in words."""
    x, value = post["input"], post["value"]
    if post["op"] == "bn":
        return t(
            "trace.bn",
            lang,
            pre=_num(x),
            mean=_num(post["mean"]),
            var=_num(post["var"]),
            eps=f"{post['eps']:g}",
            weight=_num(post["weight"]),
            shift=_num(post["bias"]),
            out=_num(value),
        )
    if post["op"] == "relu":
        return t(f"trace.act.relu.{'on' if x > 0 else 'off'}", lang, x=_num(x), value=_num(value))
    if post["op"] == "dropout":
        return t("trace.dropout", lang, value=_num(value))
    return t(f"trace.act.{post['op']}", lang, x=_num(x), value=_num(value))


def _finish_html(step, lang: str) -> str:
    """The sum and the bias (a conv's, an fc's), then every step after them in the block (batch norm, activations,
    dropout), in words."""
    lines = []
    if step.kind in ("conv", "fc"):
        lines += [
            t("trace.sum", lang, total=_num(step.total)),
            t("trace.bias", lang, total=_num(step.total), bias=_num(step.bias), pre=_num(step.pre_activation)),
        ]
    lines += [_post_line(post, lang) for post in step.post]
    if not lines:
        return ""
    items = "".join(f"<li>{_esc(line)}</li>" for line in lines)
    return f'<ul style="margin:0.6rem 0 1rem">{items}</ul>'


def pool_step_html(step, prev: str, shape, lang: str) -> str:
    """The pooling window with the winner outlined (max), or the mean (avg)."""
    k = step.values.shape[0]
    title = t("trace.pool.window", lang, prev=_layer_label(prev, lang), i=step.cell.channel)
    grid = trace_figures.number_grid(step.values, title, decimals=3, marked=step.winner)
    finite = step.values[np.isfinite(step.values)]
    pooled = step.value if step.pooled is None else step.pooled
    params = dict(k=k, value=_num(pooled), n=step.values.size, sum=_num(float(finite.sum())))
    text = _window_text(f"trace.pool.{step.op}", step, prev, shape, lang, **params)
    return grid + _text(text) + _finish_html(step, lang)


def element_step_html(step, prev: str, shape, lang: str) -> str:
    """A block of batch norm or activations alone (at the start of a list): the number it reads, then each step."""
    text = t("trace.elementwise.text", lang, layer=step.cell.layer, prev=_layer_label(prev, lang), x=_num(step.source))
    return _text(text) + _finish_html(step, lang)


def _table(header: list[str], rows: list[list[str]], bold: int | None = None) -> str:
    """A small HTML table; every cell is escaped. Row `bold` is highlighted."""
    head = "".join(f'<th style="padding:2px 8px;text-align:left">{_esc(h)}</th>' for h in header)
    body = []
    for i, row in enumerate(rows):
        style = "font-weight:700;background:#fff3e6;color:#212529" if i == bold else ""
        cells = "".join(f'<td style="padding:2px 8px;font-family:monospace">{_esc(c)}</td>' for c in row)
        body.append(f'<tr style="{style}">{cells}</tr>')
    style = "border-collapse:collapse;font-size:0.9rem;margin-bottom:0.6rem"
    return f'<table style="{style}"><tr>{head}</tr>{"".join(body)}</table>'


def fc_step_html(step, prev: str, shape, lang: str) -> str:
    """The inputs that pushed a fully connected unit (F6, output, fc1, ...) up and down most, the others as one figure,
    the bias, then what follows in its block."""
    cell = step.cell
    parts = [_text(t("trace.output.text", lang, digit=cell.channel))] if cell.layer == "output" else []
    n = len(step.up) + len(step.down) + step.others_count
    parts.append(_text(t("trace.fc.text", lang, cell=_cell_name(cell, True, lang), n=n, prev=_layer_label(prev, lang))))
    header = [
        "",
        t("trace.fc.input", lang),
        t("trace.fc.in_value", lang),
        t("trace.fc.weight", lang),
        t("trace.fc.product", lang),
    ]
    rows = []
    for key, group in (("trace.fc.up", step.up), ("trace.fc.down", step.down)):
        for index, value, weight, product in group:
            rows.append(
                [
                    t(key, lang),
                    t("trace.fc.unit", lang, prev=_layer_label(prev, lang), i=index),
                    _num(value),
                    _num(weight),
                    _num(product),
                ]
            )
    rows.append(["", t("trace.fc.others", lang, n=step.others_count), "", "", _num(step.others)])
    return "".join(parts) + _table(header, rows) + _finish_html(step, lang)


def softmax_html(softmax: dict, digit: int, lang: str) -> str:
    """Softmax step by step, and why a small lead in score is a large lead in probability."""
    parts = [markup.heading(t("trace.softmax.title", lang), 4)]
    parts.append(_text(t("trace.softmax.steps", lang, sum=f"{softmax['sum']:.6g}")))
    if softmax["shift"]:
        parts.append(markup.caption(t("trace.softmax.shift", lang, shift=_num(softmax["shift"]))))
    header = [t(f"trace.softmax.{k}", lang) for k in ("digit", "score", "exp", "prob")]
    rows = [
        [str(d), _num(float(s)), f"{e:.6g}", f"{p:.4f} ({p:.1%})"]
        for d, (s, e, p) in enumerate(zip(softmax["logits"], softmax["exp"], softmax["probs"], strict=True))
    ]
    parts.append(_table(header, rows, bold=digit))
    a, b = (int(i) for i in np.argsort(-softmax["logits"])[:2])
    diff = float(softmax["logits"][a] - softmax["logits"][b])
    why = t(
        "trace.softmax.why",
        lang,
        a=a,
        b=b,
        la=_num(float(softmax["logits"][a]), 2),
        lb=_num(float(softmax["logits"][b]), 2),
        diff=_num(diff, 2),
        ratio=f"{np.exp(min(diff, 700)):.3g}",
    )
    return "".join(parts) + _text(why)


def _span(index: int, size: int, side: int) -> tuple[int, int]:
    """[start, stop) of at most `side` positions out of `size`, around `index`."""
    start = min(max(0, index - side // 2), max(0, size - side))
    return start, min(size, start + side)


def player(view: DrawView, model, explained: Explained, cmap: str, lang: str) -> tuple[go.Figure, list[str]]:
    """The window stepping across the map the cell is on, building it, as a plotly animation; and the sentences
    under its title: what it shows, and which part of the map it steps over when that is not all of it."""
    cell, prev, result = explained.cell, explained.prev, explained.result
    notes = [t("trace.player.text", lang, prev=_layer_label(prev, lang), layer=cell.layer, channel=cell.channel)]
    geo = geometry(model.named_layers()[cell.layer])
    output = view.insp.activations[cell.layer][cell.channel]
    if prev == "input":
        source = np.asarray(view.prep.input).reshape(view.prep.image.shape)
    else:
        maps = view.insp.activations[prev]
        step = result.step
        # a conv's window spans every input map: show the one that adds the most to the picked cell
        channel = cell.channel if step.kind == "pool" else int(np.argmax(np.abs(step.partial_sums)))
        source = maps[channel]
    # plotly checks every frame as the figure is built: at most PLAYER_SIDE² positions keep that under a second
    (r0, r1), (c0, c1) = (
        _span(i, n, PLAYER_SIDE) for i, n in ((cell.row, output.shape[0]), (cell.col, output.shape[1]))
    )
    if (r1 - r0, c1 - c0) != output.shape:
        notes.append(t("trace.player.part", lang, top=r0, bottom=r1 - 1, left=c0, right=c1 - 1))
    output = output[r0:r1, c0:c1]
    windows = np.array([geo.window(r, c) for r in range(r0, r1) for c in range(c0, c1)])
    labels = {
        "input": t("trace.player.input", lang, prev=_layer_label(prev, lang)),
        "output": t("trace.player.output", lang, layer=cell.layer, channel=cell.channel),
        "play": t("trace.player.play", lang),
        "pause": t("trace.player.pause", lang),
        "position": t("trace.player.position", lang),
    }
    return trace_figures.player_figure(source, output, windows, labels, cmap), notes


@dataclass(frozen=True)
class PickPicture:
    """A layer's clickable picture, computed before anything below the input is drawn."""

    layer: str
    shape: tuple[int, ...]
    layout: trace_figures.PickLayout
    png: bytes
    selected: Cell | None


def pick_picture(layer: str, activations: dict, cmap: str, picked) -> PickPicture:
    """The layer's outputs as one mosaic, the `picked` cell (the session's `trace` value) outlined, as PNG."""
    act = activations[layer]
    layout = trace_figures.pick_layout(act.shape)
    selected = None
    if isinstance(picked, dict) and picked.get("layer") == layer:
        selected = parse_cell(picked, shapes(activations))
    outlined = (selected.channel, selected.row, selected.col) if selected else None
    png = markup.png_bytes(trace_figures.pick_image(act, cmap, layout, outlined))
    return PickPicture(layer, act.shape, layout, png, selected)


def pick_key(layer: str) -> str:
    """One picture (and key) per layer, so that each has its own widest size (pick_css)."""
    return f"{PICK_KEY}_{re.sub(r'[^A-Za-z0-9_-]', '_', layer)}"


def pick_css(activations: dict) -> str:
    """Each layer's clickable picture is drawn as wide as its column allows, and at most its own width: on a
    desktop exactly its pixels, on a phone shrunk to the screen's width (never cut off at the right)."""
    rules = [
        f".st-key-{pick_key(name)} {{ max-width: {trace_figures.pick_layout(act.shape).size[1]}px; }}"
        for name, act in activations.items()
    ]
    return "<style>" + "".join(rules) + "</style>"
