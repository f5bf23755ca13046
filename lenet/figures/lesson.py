"""The Lesson page's own pictures: 3x3 filters on a photo, pooling on a map, and small grids of numbers.

numpy and PIL only: the filters are short enough to write out, so a student can read exactly what is computed.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from PIL import Image

from lenet.figures.markup import image_html

PHOTO = Path(__file__).resolve().parents[2] / "assets" / "lesson_photo.jpg"
# The classic sepia tone: each output colour a mix of the pixel's red, green and blue (one row per output colour).
SEPIA = np.array([[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]])
# 3x3 windows that slide over a pixel's neighbours
KERNELS = {
    "edge": np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], dtype=np.float64),  # sums to 0: flat areas go black
    "blur": np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], dtype=np.float64) / 16,
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float64),
}
FILTERS = ("sepia", *KERNELS)
POOLS = ("max", "avg")


def load_photo(path: Path = PHOTO) -> np.ndarray:
    """The lesson's photo as H x W x 3 floats in 0..1."""
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"), dtype=np.float64) / 255.0


def filter_numbers(name: str) -> np.ndarray:
    """The 3x3 numbers of a filter (sepia's mix the colours; the others slide over neighbours)."""
    return SEPIA if name == "sepia" else KERNELS[name]


def convolve(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """A 2-D map through one kernel, stride 1, no padding ("valid"): each output the sum of window x kernel."""
    windows = sliding_window_view(image, kernel.shape)
    return np.einsum("ijkl,kl->ij", windows, kernel)


def apply_filter(photo: np.ndarray, name: str) -> np.ndarray:
    """The photo through a filter, as RGB uint8. Sepia keeps the size; a sliding 3x3 filter loses one pixel a side.

    Args:
        photo: H x W x 3 floats in 0..1.
        name: one of FILTERS.
    """
    if name == "sepia":
        out = photo @ SEPIA.T
    elif name == "edge":
        grey = photo @ np.array([0.299, 0.587, 0.114])
        edges = np.abs(convolve(grey, KERNELS[name]))
        out = np.repeat(np.clip(edges * 2.0, 0.0, 1.0)[..., None], 3, axis=2)  # doubled: thin edges stay visible
    else:
        out = np.stack([convolve(photo[..., c], KERNELS[name]) for c in range(3)], axis=2)
    return (np.clip(out, 0.0, 1.0) * 255 + 0.5).astype(np.uint8)


def pool(values: np.ndarray, op: str, size: int = 2) -> np.ndarray:
    """Max or average pooling of a 2-D map, window `size`, stride `size` (floor mode, as nn.MaxPool2d)."""
    h, w = (values.shape[0] // size) * size, (values.shape[1] // size) * size
    blocks = values[:h, :w].reshape(h // size, size, w // size, size)
    return blocks.max(axis=(1, 3)) if op == "max" else blocks.mean(axis=(1, 3))


def busiest_patch(values: np.ndarray, size: int = 4) -> tuple[int, int]:
    """(row, col) of the size x size patch, on even positions, whose values add up to most: where there is ink."""
    best, where = -np.inf, (0, 0)
    for r in range(0, values.shape[0] - size + 1, 2):
        for c in range(0, values.shape[1] - size + 1, 2):
            total = float(values[r : r + size, c : c + size].sum())
            if total > best:
                best, where = total, (r, c)
    return where


def number_grid(values: np.ndarray, caption: str, decimals: int = 2, winners: np.ndarray | None = None) -> str:
    """A small table of numbers (HTML), with a caption; `winners` (same shape, bool) are drawn bold and outlined."""
    rows = []
    for r, row in enumerate(np.asarray(values)):
        cells = []
        for c, value in enumerate(row):
            text = f"{value:.{decimals}f}" if decimals else f"{value:g}"
            win = winners is not None and bool(winners[r, c])
            cells.append(f'<td class="{"lenet-win" if win else ""}">{html.escape(text)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<table class="lenet-numbers"><caption>{html.escape(caption)}</caption><tbody>'
        + "".join(rows)
        + "</tbody></table>"
    )


def pool_winners(values: np.ndarray, size: int = 2) -> np.ndarray:
    """True where a value is the largest of its size x size window (the first one, on a tie): max pooling's pick."""
    winners = np.zeros(values.shape, dtype=bool)
    for r in range(0, values.shape[0] - size + 1, size):
        for c in range(0, values.shape[1] - size + 1, size):
            block = values[r : r + size, c : c + size]
            i, j = np.unravel_index(int(np.argmax(block)), block.shape)
            winners[r + i, c + j] = True
    return winners


SUMMARY_CSS = """
body { font-family: system-ui, sans-serif; margin: 1.2cm; color: #111; font-size: 11pt; }
h1 { font-size: 16pt; margin: 0 0 0.3cm 0; } h2 { font-size: 12pt; margin: 0.4cm 0 0.15cm 0; }
table { border-collapse: collapse; width: 100%; } td, th { border: 1px solid #999; padding: 2px 6px; text-align: left; }
ul { margin: 0; padding-left: 1.2em; } .digit { float: right; margin-left: 0.5cm; text-align: center; }
@page { size: A4; margin: 1cm; } @media print { body { margin: 0; } }
"""


def summary_page(
    title: str,
    labels: dict[str, str],
    formulas: list[str],
    rows: list[tuple[str, str, str, str, str]],
    score: str,
    digit_png: bytes | None,
    lang: str,
) -> str:
    """The lesson's one-page summary to print, as a self-contained HTML file: everything a student typed is escaped.

    Args:
        title: the lesson's title.
        labels: translated headings: "title", "formulas", "answers", "digit", "step", "yours", "right".
        formulas: one line each.
        rows: (number, step title, the student's answer, the right answer, ✓ or ✗) per step.
        score: the score line.
        digit_png: the student's own digit, or None.
        lang: the page's language code.
    """
    esc = html.escape
    digit = ""
    if digit_png is not None:
        digit = f'<div class="digit">{image_html(digit_png, 112, alt=labels["digit"])}<br>{esc(labels["digit"])}</div>'
    head = (
        "<tr><th>#</th>" + "".join(f"<th>{esc(labels[k])}</th>" for k in ("step", "yours", "right")) + "<th></th></tr>"
    )
    body = "".join("<tr>" + "".join(f"<td>{esc(cell)}</td>" for cell in row) + "</tr>" for row in rows)
    items = "".join(f"<li>{esc(line)}</li>" for line in formulas)
    return (
        f'<!doctype html><html lang="{esc(lang)}"><head><meta charset="utf-8"><title>{esc(title)}</title>'
        f"<style>{SUMMARY_CSS}</style></head><body>{digit}<h1>{esc(labels['title'])}: {esc(title)}</h1>"
        f"<p><strong>{esc(score)}</strong></p><h2>{esc(labels['formulas'])}</h2><ul>{items}</ul>"
        f"<h2>{esc(labels['answers'])}</h2><table>{head}{body}</table></body></html>"
    )
