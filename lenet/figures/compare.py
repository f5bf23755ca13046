"""Two models reading the same input, side by side: their blocks aligned row by row, each row's pictures, and a
difference where the shapes allow one (the Compare page).

Rows are aligned by the blocks' names (LeNet-5 and its all-conv twin share C1 ... output), and the blocks between
two shared names are paired in forward order. A row whose two blocks give the same shape shows their difference
cell by cell; otherwise both are shown with their shapes and a sentence says how each block got there.

Every sentence comes from `describe(row, names, tr)`, with `tr(key, **params)` the caller's translation: the
engine stays free of UI state.
"""

from __future__ import annotations

import difflib
import html
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from lenet import netspec
from lenet.explain import Inspection
from lenet.figures import markup, mosaics
from lenet.netspec import Layer

SCALE = 2  # screen px per activation px: three pictures share a row
MAX_PX = 360  # the widest a row's picture is drawn (it shrinks further with its column)
INPUT_SHAPE = netspec.INPUT_SHAPE


@dataclass(frozen=True)
class Block:
    """One model's block in a row: its name, its layers, what it took in and gave out, and its output."""

    name: str
    layers: tuple[Layer, ...]
    shape_in: tuple[int, ...]
    output: np.ndarray

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.output.shape)

    @property
    def head(self) -> Layer | None:
        """The layer that makes the block's shape (conv, pooling, fc); None for a block of activations alone."""
        first = self.layers[0] if self.layers else None
        return first if first is not None and first.starts_block else None


@dataclass(frozen=True)
class Row:
    """One row of the comparison: model A's block, model B's, or both."""

    a: Block | None
    b: Block | None

    @property
    def same_shape(self) -> bool:
        return self.a is not None and self.b is not None and self.a.shape == self.b.shape

    @property
    def strides(self) -> bool:
        """One block pools, the other does the same job with a strided convolution (learned weights)."""
        heads = [block.head for block in (self.a, self.b) if block is not None]
        kinds = {head.kind if head.kind != "conv" or head.stride == 1 else "strided" for head in heads if head}
        return len(heads) == 2 and "strided" in kinds and bool(kinds & set(netspec.POOLS))


@dataclass
class Comparison:
    """Both answers and the aligned rows of one input."""

    a: Inspection
    b: Inspection
    rows: list[Row] = field(default_factory=list)

    @property
    def agree(self) -> bool:
        return self.a.prediction == self.b.prediction


def align(a: Sequence[str], b: Sequence[str]) -> list[tuple[int | None, int | None]]:
    """Pairs of indices into `a` and `b`: equal names face each other (the longest common run of names), and the
    names between two such anchors are paired in order, the longer side's rest alone."""
    pairs: list[tuple[int | None, int | None]] = []
    at_a = at_b = 0
    for match in difflib.SequenceMatcher(a=list(a), b=list(b), autojunk=False).get_matching_blocks():
        pairs += itertools.zip_longest(range(at_a, match.a), range(at_b, match.b))
        pairs += [(match.a + k, match.b + k) for k in range(match.size)]
        at_a, at_b = match.a + match.size, match.b + match.size
    return pairs


def blocks(model, insp: Inspection) -> list[Block]:
    """A model's blocks for one input, in forward order, each with the shape it took in."""
    layers = netspec.parse(model.net).block_layers
    out, shape_in = [], INPUT_SHAPE
    for name, group in zip(model.names, layers, strict=True):
        output = np.asarray(insp.activations[name])
        out.append(Block(name, group, shape_in, output))
        shape_in = tuple(output.shape)
    return out


def compare(model_a, insp_a: Inspection, model_b, insp_b: Inspection) -> Comparison:
    """Both models' readings of one input, their blocks aligned (see `align`)."""
    side_a, side_b = blocks(model_a, insp_a), blocks(model_b, insp_b)
    pairs = align([block.name for block in side_a], [block.name for block in side_b])
    rows = [Row(side_a[i] if i is not None else None, side_b[j] if j is not None else None) for i, j in pairs]
    return Comparison(insp_a, insp_b, rows)


def pools_by_striding(spec: netspec.NetSpec) -> bool:
    """An all-conv network: it shrinks its maps with strided convolutions and has no pooling layer."""
    kinds = [layer.kind for layer in spec.layers]
    strided = any(layer.kind == "conv" and layer.stride > 1 for layer in spec.layers)
    return strided and not any(kind in netspec.POOLS for kind in kinds)


def pools(spec: netspec.NetSpec) -> bool:
    return any(layer.kind in netspec.POOLS for layer in spec.layers)


# --- words -------------------------------------------------------------------------------------------------

Tr = Callable[..., str]


def shape_text(shape: Sequence[int]) -> str:
    return "×".join(str(n) for n in shape)


def how(block: Block, tr: Tr) -> str:
    """How one block turns what it takes in into what it gives out, in a few words."""
    head, shapes = block.head, {"before": shape_text(block.shape_in), "after": shape_text(block.shape)}
    if head is None:
        return tr("compare.how.other", layers=", ".join(str(layer) for layer in block.layers), **shapes)
    if head.kind == "fc":
        return tr("compare.how.fc", n=int(np.prod(block.shape_in)), m=head.size)
    stride = (
        tr("compare.how.stride", s=head.stride) if head.stride != (1 if head.kind == "conv" else head.kernel) else ""
    )
    return tr(f"compare.how.{head.kind}", k=head.kernel, stride=stride, **shapes)


def describe(row: Row, names: tuple[str, str], tr: Tr) -> str:
    """The sentence under a row: what both blocks do, and why their outputs can or cannot be compared cell by cell."""
    a, b = row.a, row.b
    if a is None or b is None:
        alone, who = (a, names[0]) if b is None else (b, names[1])
        return tr("compare.row.only", model=who, how=how(alone, tr))
    both = tr("compare.row.both", a=names[0], how_a=how(a, tr), b=names[1], how_b=how(b, tr))
    if row.strides:
        pooled, strided = (names[0], names[1]) if a.head.kind in netspec.POOLS else (names[1], names[0])
        both = tr("compare.then", first=both, then=tr("compare.row.strides", pooled=pooled, strided=strided))
    if row.same_shape:
        return tr("compare.then", first=both, then=tr("compare.row.same", shape=shape_text(a.shape)))
    return tr("compare.then", first=both, then=tr("compare.row.differ", why=_why(a.shape, b.shape, tr)))


def _why(shape_a: tuple[int, ...], shape_b: tuple[int, ...], tr: Tr) -> str:
    """Why two shapes differ: maps against values, the map size, or the number of channels or values."""
    a, b = shape_text(shape_a), shape_text(shape_b)
    if len(shape_a) != len(shape_b):
        return tr("compare.why.kind", a=a, b=b)
    if len(shape_a) == 3 and shape_a[1:] != shape_b[1:]:
        return tr("compare.why.size", a=shape_text(shape_a[1:]), b=shape_text(shape_b[1:]))
    return tr("compare.why.count", a=shape_a[0], b=shape_b[0])


# --- pictures ----------------------------------------------------------------------------------------------


def _is_maps(values: np.ndarray) -> bool:
    return values.ndim == 3 and values.shape[1] * values.shape[2] > 1


def picture(values: np.ndarray, cmap: str) -> np.ndarray:
    """One block's output as an image: its maps in rows of up to 8, or its values as cells."""
    if _is_maps(values):
        return mosaics.feature_mosaic(values, cmap, cols=min(8, len(values)))
    return mosaics.vector_mosaic(values.ravel(), cmap)


def difference_picture(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A minus B, cell by cell, on the diverging scale: white where they agree, orange where A is higher."""
    diff = np.asarray(a, np.float32) - np.asarray(b, np.float32)
    limit = max(float(np.abs(a).max()), float(np.abs(b).max()), 1e-6)  # the blocks' own scale: small stays pale
    colours = mosaics.colorize_signed(diff, limit)
    if _is_maps(diff):
        return mosaics.tile(colours, min(8, len(diff)))
    cells = np.broadcast_to(colours.reshape(-1, 1, 1, 3), (diff.size, 3, 3, 3))
    return mosaics.tile(cells, mosaics.grid_columns(diff.size, 8.0))


def _img(image: np.ndarray, alt: str) -> str:
    png = markup.png_bytes(image)
    return markup.image_html(png, min(MAX_PX, image.shape[1] * SCALE), alt=alt)


def _cell(block: Block | None, title: str, body: str) -> str:
    head = "" if block is None else f"{html.escape(title)} · {html.escape(shape_text(block.shape))}"
    return (
        f'<div class="compare-cell"><div class="compare-cell-title">{head}</div>{body}</div>'
        if block is not None
        else '<div class="compare-cell compare-none"></div>'
    )


def rows_html(comparison: Comparison, names: tuple[str, str], cmap: str, tr: Tr) -> str:
    """Every row as HTML: A's picture, B's, their difference (same shape only), and the row's sentence."""
    out = []
    for row in comparison.rows:
        cells = []
        for side, block in zip(names, (row.a, row.b), strict=True):
            if block is None:
                cells.append(_cell(None, "", ""))
                continue
            title = f"{side}: {block.name}"
            if block.name == "output":
                body = markup.score_bars(block.output, height=90)
            else:
                body = _img(picture(block.output, cmap), title)
            cells.append(_cell(block, title, body))
        if row.same_shape:
            title = tr("compare.diff")
            if row.a.name == "output":
                body = markup.score_bars(row.a.output - row.b.output, height=90)
            else:
                body = _img(difference_picture(row.a.output, row.b.output), title)
            mean = float(np.abs(row.a.output - row.b.output).mean())
            body += markup.caption(tr("compare.diff.mean", value=f"{mean:.3f}"))
            cells.append(_cell(row.a, title, body))
        else:
            cells.append('<div class="compare-cell compare-none"></div>')
        label = " / ".join(dict.fromkeys(block.name for block in (row.a, row.b) if block is not None))
        out.append(
            f'<div class="compare-row" data-a="{html.escape(row.a.name if row.a else "")}" '
            f'data-b="{html.escape(row.b.name if row.b else "")}" data-same="{int(row.same_shape)}">'
            f'<div class="compare-row-title">{html.escape(label)}</div>'
            f'<div class="compare-cells">{"".join(cells)}</div>'
            f"{markup.caption(describe(row, names, tr), 'lenet-text compare-why')}</div>"
        )
    return "".join(out)


CSS = """
<style>
  .compare-row { padding: 0.8rem 0; border-top: 1px solid rgba(128, 128, 128, 0.25); }
  .compare-row-title { font-weight: 600; font-size: 1.15rem; margin-bottom: 0.4rem; }
  .compare-cells { display: flex; flex-wrap: wrap; gap: 1rem 1.5rem; align-items: flex-start; }
  .compare-cell { flex: 1 1 220px; min-width: 200px; max-width: 380px; }
  .compare-cell.compare-none { visibility: hidden; }
  .compare-cell-title { font-size: 0.92rem; opacity: 0.85; margin-bottom: 0.3rem; }
  .compare-why { margin-top: 0.6rem; }
  .compare-digit { font-size: 4rem; font-weight: 700; line-height: 1; }
</style>
"""
