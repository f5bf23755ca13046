"""The Convolution lab's network designer: a list of layers (lenet.netspec) edited row by row, every row measured as
it changes, and its table in plain HTML.

Each entry is read on its own, so one entry that is not a layer leaves the others readable; the whole list is then
checked by lenet.netspec, whose refusal names the layer that causes it. Every row's shape, parameters,
multiply-adds, receptive field and memory come from lenet.conv.network.list_table. Torch-free and Streamlit-free:
the page (pages/conv_lab.py) keeps the entries in its session and lays out the widgets.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from lenet import netspec
from lenet.conv.network import LayerRow
from lenet.errors import CodedError
from lenet.netspec import Layer, NetSpec, NetSpecError

# What "add a layer" of each kind inserts (and what a layer becomes when its kind changes): a conv that keeps its
# input's size (3x3, padding 1), a pooling that halves it, a small fully connected layer.
NEW_LAYER = {
    "conv": "c8k3p1",
    "maxpool": "mp2",
    "avgpool": "ap2",
    "relu": "relu",
    "tanh": "tanh",
    "sigmoid": "sigmoid",
    "gelu": "gelu",
    "bn": "bn",
    "dropout": "drop0.25",
    "fc": "fc32",
}
BAD_STYLE = "background-color:#fdb863;color:#000000"  # PuOr's orange: visible to every eye, black text on it
SELECTED_STYLE = "outline:2px solid currentColor;outline-offset:-2px"


SETTING_FIELDS = ("size", "kernel", "stride", "padding", "same", "dilation", "p")  # a layer's settings widgets
KIND_SETTINGS = {  # the settings each kind has, in the order the designer shows them
    "conv": ("size", "kernel", "stride", "padding", "same", "dilation"),
    "maxpool": ("kernel", "stride"),
    "avgpool": ("kernel", "stride"),
    "dropout": ("p",),
    "fc": ("size",),
}
_BOUNDS = {
    "size": netspec.LIMITS["channels"],
    "kernel": netspec.LIMITS["kernel"],
    "stride": netspec.LIMITS["stride"],
    "padding": netspec.LIMITS["padding"],
    "dilation": netspec.LIMITS["dilation"],
}


def setting_bounds(kind: str, field: str) -> tuple[int, int]:
    """A whole-number setting's (lowest, highest) for a layer of `kind`, netspec's limits: a pooling's stride and
    a fully connected layer's size have their own."""
    if field == "size" and kind == "fc":
        return netspec.LIMITS["units"]
    return netspec.POOL_STRIDE if field == "stride" and kind in netspec.POOLS else _BOUNDS[field]


def split_entries(text: str) -> list[str]:
    """A typed list as its entries, spaces and case ignored: "C6K5P2, relu" -> ["c6k5p2", "relu"].

    Empty entries are kept (the designer shows "two commas in a row" on their row); an empty text has none.
    """
    compact = re.sub(r"\s+", "", text).lower()
    return compact.split(",") if compact else []


# --- editing: each returns the new entries and the row to select (0-based) ---------------------------------


def insert(entries: Sequence[str], after: int, text: str) -> tuple[list[str], int]:
    """A new entry after row `after` (-1: at the top)."""
    out = list(entries)
    out.insert(after + 1, text)
    return out, after + 1


def remove(entries: Sequence[str], index: int) -> tuple[list[str], int]:
    """Without row `index` (a list keeps at least one entry)."""
    if len(entries) <= 1:
        return list(entries), 0
    out = list(entries)
    del out[index]
    return out, min(index, len(out) - 1)


def duplicate(entries: Sequence[str], index: int) -> tuple[list[str], int]:
    """Row `index` twice; the copy, just below, is selected."""
    return insert(entries, index, entries[index])


def move(entries: Sequence[str], index: int, step: int) -> tuple[list[str], int]:
    """Row `index` moved `step` rows down (-1: up), within the list; the moved row stays selected."""
    target = min(max(index + step, 0), len(entries) - 1)
    out = list(entries)
    out.insert(target, out.pop(index))
    return out, target


# --- measuring -----------------------------------------------------------------------------------------------


@dataclass
class DesignRow:
    """One entry of the design: its text, its layer if it reads as one, its measured row, the error it causes."""

    index: int  # 1-based, as the refusals count
    text: str
    layer: Layer | None  # None: the entry is not a layer
    row: LayerRow | None  # None: not measured (an entry before it, or this one, is not a layer)
    error: CodedError | None = None  # the refusal to show on this row


@dataclass
class Design:
    """A designed list, measured: the input's row, one DesignRow per entry, the NetSpec when the whole list builds."""

    entries: tuple[str, ...]
    input_row: LayerRow
    rows: list[DesignRow]
    spec: NetSpec | None
    error: NetSpecError | None  # the first refusal of the whole list (lenet.netspec's), None when it builds

    @property
    def text(self) -> str:
        return ",".join(self.entries)

    def totals(self) -> tuple[int, int, int]:
        """(parameters, multiply-adds, activation bytes) of the rows that could be measured."""
        measured = [self.input_row, *(r.row for r in self.rows if r.row is not None and r.row.output is not None)]
        return sum(r.params for r in measured), sum(r.macs for r in measured), sum(r.memory for r in measured)


def measure(entries: Sequence[str]) -> Design:
    """Every entry read and measured, and the refusals placed on the rows that cause them.

    An entry that is not a layer shows its own refusal, and the rows after it cannot be measured. When every entry
    reads, the whole list's first refusal (lenet.netspec.check) is shown on its layer, and any other layer whose
    input does not fit it shows the arithmetic's reason.
    """
    entries = tuple(entries)
    layers: list[Layer | None] = []
    errors: dict[int, CodedError] = {}
    for i, entry in enumerate(entries, start=1):
        try:
            layers.append(netspec.parse_layer(entry, i))
        except NetSpecError as exc:
            layers.append(None)
            errors[i] = exc
    readable = next((i for i, layer in enumerate(layers) if layer is None), len(layers))
    prefix = layers[:readable]
    first_error = errors[min(errors)] if errors else None
    spec = None
    if not entries:
        first_error = NetSpecError("the list is empty", "net_empty")
    elif not errors:
        preset = next((name for name, text in netspec.NETWORKS.items() if text == ",".join(entries)), None)
        try:
            spec = NetSpec(tuple(prefix))
        except NetSpecError as exc:
            first_error = exc
            if exc.index:
                errors[exc.index] = exc
        blocks = netspec.block_names(prefix, preset)
    else:
        blocks = netspec.block_names(prefix) if prefix else []
    table = netspec.table(prefix, blocks) if prefix else netspec.table([], [])
    rows = []
    for i, entry in enumerate(entries):
        row = table[i + 1] if i < readable else None
        error = errors.get(i + 1)
        if error is None and row is not None and row.error is not None and row.error.code != "unreachable":
            error = row.error  # an input that does not fit, behind the list's first refusal
        rows.append(DesignRow(i + 1, entry, layers[i], row, error))
    return Design(entries, table[0], rows, spec, first_error)


# --- the table -----------------------------------------------------------------------------------------------


def shape_text(shape) -> str:
    return "×".join(str(n) for n in shape) if shape else "—"


def memory_text(n: int) -> str:
    """Bytes for people: 3136 -> "3.1 kB"."""
    return f"{n:,} B" if n < 1000 else f"{n / 1000:,.1f} kB" if n < 1_000_000 else f"{n / 1_000_000:,.2f} MB"


def _cells(row: LayerRow | None) -> list[str]:
    """Output, parameters, multiply-adds, receptive field and memory of a measured row; dashes otherwise."""
    if row is None or row.output is None:
        return ["—"] * 5
    field = f"{row.receptive}×{row.receptive}"
    return [shape_text(row.output), f"{row.params:,}", f"{row.macs:,}", field, memory_text(row.memory)]


def _tr(cells: Sequence[str], tag: str = "td", attrs: str = "", first_code: bool = False) -> str:
    out = []
    for j, cell in enumerate(cells):
        text = html.escape(cell, quote=False)
        if first_code and j == 1:
            text = f"<code>{text}</code>"
        out.append(f"<{tag}>{text}</{tag}>")
    return f"<tr{attrs}>{''.join(out)}</tr>"


def table_html(design: Design, labels: dict[str, str], sentences: dict[int, str], selected: int) -> str:
    """The design's table as one HTML block: a row per entry (its number, text, block, output shape, parameters,
    multiply-adds, receptive field and memory), a refusal's sentence in a full-width row under the layer that
    causes it, and a totals line. Scrolls sideways on a narrow screen; every text is escaped.

    Args:
        design: what `measure` gave.
        labels: the page's words: `index`, `layer`, `block`, `output`, `params`, `macs`, `receptive`, `memory`,
            `input`, `total`, `region` (the scrolling region's name).
        sentences: each row's error (by its 1-based index) as one sentence in the page's language.
        selected: the picked row, 0-based.
    """
    columns = ("index", "layer", "block", "output", "params", "macs", "receptive", "memory")
    head = _tr([labels[c] for c in columns], "th")
    body = [_tr(["0", labels["input"], "", *_cells(design.input_row)], attrs=' data-layer="0"')]
    for r in design.rows:
        style = BAD_STYLE if r.error is not None else ""
        if r.index - 1 == selected:
            style = ";".join(s for s in (style, SELECTED_STYLE) if s)
        attrs = f' data-layer="{r.index}"' + (f' style="{style}"' if style else "")
        attrs += ' aria-current="true"' if r.index - 1 == selected else ""
        number = f"▸ {r.index}" if r.index - 1 == selected else str(r.index)
        name = r.row.name if r.row is not None else ""
        body.append(_tr([number, r.text or "∅", name, *_cells(r.row)], attrs=attrs, first_code=True))
        if r.error is not None:
            sentence = html.escape(sentences[r.index], quote=False)
            cell = f'<td colspan="{len(columns)}" style="white-space:normal">⚠ {sentence}</td>'
            body.append(f'<tr data-error="{r.index}" style="{BAD_STYLE}">{cell}</tr>')
    params, macs, memory = design.totals()
    foot = _tr([labels["total"], "", "", "", f"{params:,}", f"{macs:,}", "", memory_text(memory)], "th")
    region = html.escape(labels["region"])
    return (
        f'<div class="lenet-net-table" role="region" aria-label="{region}" tabindex="0" '
        'style="overflow-x:auto;max-width:100%">'
        '<table style="border-collapse:collapse;white-space:nowrap;font-size:0.9rem;width:100%">'
        f"<thead>{head}</thead><tbody>{''.join(body)}</tbody><tfoot>{foot}</tfoot></table></div>"
    )


def lenet_config(spec: NetSpec):
    """The LeNetConfig whose list this is (LeNetConfig.to_net), or None: a design the pages that still take a
    LeNetConfig (today's export and Train page) can take."""
    from lenet.config import LeNetConfig  # here: lenet.config imports lenet.conv, and most callers need none

    layers = spec.layers
    convs = [layer for layer in layers if layer.kind == "conv"]
    pools = [layer for layer in layers if layer.kind in netspec.POOLS]
    fcs = [layer for layer in layers if layer.kind == "fc"]
    drops = [layer.p for layer in layers if layer.kind == "dropout"]
    learned = len(convs) == 5 and not pools
    if len(fcs) != 2 or len(convs) != (5 if learned else 3):
        return None
    if any(conv.padding == "same" or conv.dilation != 1 for conv in convs):
        return None
    c1, c3, c5 = (convs[0], convs[2], convs[4]) if learned else convs
    pool_size = convs[1].kernel if learned else pools[0].kernel if pools else 0
    fields = dict(pool_size=pool_size, f6_units=fcs[0].size, dropout=drops[0] if drops else 0.0)
    for name, conv in (("c1", c1), ("c3", c3), ("c5", c5)):
        fields |= {f"{name}_channels": conv.size, f"{name}_kernel": conv.kernel}
        fields |= {f"{name}_stride": conv.stride, f"{name}_padding": conv.padding}
    pool = "none" if learned else "max" if pools and pools[0].kind == "maxpool" else "avg"
    for activation in ("relu", "tanh", "sigmoid"):
        for batch_norm in (False, True):
            try:
                config = LeNetConfig(**fields, pool=pool, activation=activation, batch_norm=batch_norm)
                if config.to_net() == spec:
                    return config
            except (ValueError, TypeError):
                continue
    return None


def canonical(entries: Sequence[str]) -> list[str]:
    """Each entry that reads as a layer in its canonical text (c6k5s1p0 -> c6k5); the others as typed."""
    out = []
    for entry in entries:
        try:
            out.append(netspec.parse_layer(entry).text)
        except NetSpecError:
            out.append(entry)
    return out


def settings_of(layer: Layer) -> dict:
    """A layer's settings as the designer's widgets show them (SETTING_FIELDS; `same`: padding "same")."""
    same = layer.padding == "same"
    return {
        "size": max(layer.size, 1),
        "kernel": max(layer.kernel, 1),
        "stride": layer.stride,
        "same": same,
        "padding": 0 if same else int(layer.padding),
        "dilation": layer.dilation,
        "p": float(layer.p),
    }


def layer_from_settings(kind: str, values: dict) -> Layer:
    """The layer of `kind` that the settings' widgets describe (settings_of, the other way)."""
    if kind == "conv":
        padding = "same" if values["same"] else int(values["padding"])
        return Layer("conv", int(values["size"]), int(values["kernel"]), int(values["stride"]), padding,
                     int(values["dilation"]))  # fmt: skip
    if kind in netspec.POOLS:
        return Layer(kind, kernel=int(values["kernel"]), stride=int(values["stride"]))
    if kind == "dropout":
        return Layer("dropout", p=round(float(values["p"]), 4))
    return Layer("fc", int(values["size"]))
