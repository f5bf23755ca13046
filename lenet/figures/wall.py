"""Class mode's pictures in plain HTML: the join QR code, the wall's digit gallery, the class's confusion
matrix and a quick question's histogram; the Class page's large type (PAGE_CSS) and its boxes of typed text, and a
photo's reading on a student's screen.

The wall refreshes every second on a projector: plain HTML is cheap to resend and stays sharp. Every text
that a person typed (nicknames, answers) is escaped here and wrapped in <bdi>, so markup shows as text and
right-to-left text cannot reorder what is around it. Callers pass the page's translated words in.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import segno

from lenet.figures.markup import image_html, png_bytes, probability_bars
from lenet.figures.mosaics import colormap_lut
from lenet.figures.theme import DIVERGING, MUTED, PRIMARY, RUNNER_UP

DIGIT_PX = 56  # a wall thumbnail: MNIST's 28 px doubled, readable from the back of a room
_RIGHT_RGB = tuple(int(PRIMARY.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))  # the theme's colour: read right
_WRONG_RGB = tuple(int(c) for c in colormap_lut(DIVERGING)[215])  # the orange of the output layer's bars: wrong

# The Class page's own large type, read from the back of a room (the projector view's CSS is ui.PROJECTOR_CSS).
PAGE_CSS = f"""
<style>
  .st-key-class_count p {{ font-size: 4rem; font-weight: 700; line-height: 1.1; margin: 0; color: {PRIMARY}; }}
  .class-code {{ font-size: 5rem; font-weight: 700; letter-spacing: 0.4rem; font-family: monospace; line-height: 1.1;
    color: {PRIMARY}; }}
  .class-link {{ font-size: 1.3rem; word-break: break-all; }}
  .class-prompt {{ font-size: 1.8rem; font-weight: 600; padding: 0.6rem 1rem; border-radius: 8px;
    background: #edf2ff; color: #1c1e21; overflow-wrap: anywhere; }}
  .class-read-title {{ font-size: 1.5rem; font-weight: 600; margin: 0 0 0.5rem 0; padding: 0; }}
  .class-read-caption {{ font-size: 0.875rem; opacity: .7; margin: 0.25rem 0 0.5rem 0; }}
  .class-read {{ font-size: 4rem; font-weight: 700; line-height: 1; color: {PRIMARY}; }}
</style>
"""


def text_html(text: str) -> str:
    """Typed text as inert HTML: escaped, and isolated from the text around it (<bdi>)."""
    return f"<bdi>{html.escape(str(text))}</bdi>"


def prompt_html(text: str) -> str:
    """The teacher's typed prompt, large, in its box (class-prompt)."""
    return f'<div class="class-prompt">{text_html(text)}</div>'


def link_html(text: str) -> str:
    """The join link's sentence under the join code (class-link)."""
    return f'<div class="class-link">{text_html(text)}</div>'


def question_html(text: str) -> str:
    """A quick question's typed text, a size above the page's."""
    return f'<div style="font-size:1.3rem">{text_html(text)}</div>'


def names_html(names: Sequence[str], more: str | None = None) -> str:
    """The students' nicknames as text in one line, `more` (how many are left out) last."""
    shown = " · ".join(text_html(name) for name in names)
    if more is not None:
        shown += " · " + more
    return f"<div>{shown}</div>"


def reading_html(probs: np.ndarray | None, prediction: int | None, title: str, caption: str) -> str:
    """What the network reads in a photo: a title, the digit large ("?" while there is none), a caption and the
    ten probabilities as bars; one element, as the student's part is sent again on every refresh."""
    if probs is None:
        digit = '<div class="class-read" style="opacity:.6">?</div>'
    else:
        digit = f'<div class="class-read">{prediction}</div>'
    bars = probability_bars(probs if probs is not None else np.zeros(10), prediction, height=90)
    return (
        f'<h3 class="class-read-title">{html.escape(title)}</h3>{digit}'
        f'<p class="class-read-caption">{html.escape(caption)}</p>{bars}'
    )


def qr_html(link: str, alt: str, width: str = "min(55vh, 100%)") -> str:
    """A QR code of `link` as an <img> (SVG data URI: crisp at any size), `width` a CSS length.

    Error level M (15 % redundancy): read reliably off a projector screen from the back of a classroom.
    """
    uri = segno.make(link, error="m", micro=False).svg_data_uri(scale=10, border=4)
    return (
        f'<img src="{uri}" alt="{html.escape(alt)}" style="width:{width};height:auto;'
        'image-rendering:pixelated;background:#fff;display:block">'
    )


def digit_figure(image: np.ndarray, caption: str, alt: str, px: int = DIGIT_PX, wrong: bool = False) -> str:
    """One sent digit (28 x 28 uint8, ink 255) with a caption below; a misread one gets a coloured frame."""
    frame = RUNNER_UP if wrong else "transparent"
    return (
        f'<figure style="margin:0;width:{px + 8}px;text-align:center">'
        f'<div style="border:3px solid {frame};border-radius:6px">{image_html(png_bytes(image), px, alt=alt)}</div>'
        f'<figcaption style="font-size:0.75rem;opacity:.85;overflow:hidden;text-overflow:ellipsis;'
        f'white-space:nowrap">{text_html(caption)}</figcaption></figure>'
    )


def gallery_html(rows: Sequence[tuple[str, Sequence[str]]], empty: str) -> str:
    """Rows of figures, each with a heading (e.g. the digit meant); `empty` is shown in a row with none."""
    out = []
    for heading, figures in rows:
        cells = "".join(figures) or f'<span style="opacity:.75">{html.escape(empty)}</span>'
        out.append(
            '<div style="display:flex;align-items:center;gap:0.6rem;margin:0.3rem 0">'
            f'<div style="min-width:5.5rem;font-size:1.6rem;font-weight:700;color:{PRIMARY}">'
            f"{html.escape(heading)}</div>"
            f'<div style="display:flex;flex-wrap:wrap;gap:0.4rem">{cells}</div></div>'
        )
    return "".join(out)


def _cell_colour(count: int, top: int, diagonal: bool) -> str:
    """A cell's background: stronger with its count (on a log scale, as the Evaluate page's chart)."""
    if count == 0:
        return "#f8f9fa"
    share = np.log1p(count) / np.log1p(max(top, 1))
    alpha = 0.2 + 0.8 * share
    red, green, blue = _RIGHT_RGB if diagonal else _WRONG_RGB
    return f"rgba({red},{green},{blue},{alpha:.2f})"


def confusion_html(counts: np.ndarray, meant: str, read: str) -> str:
    """The confusion matrix as an HTML table: rows the digit meant, columns what the model read."""
    counts = np.asarray(counts, dtype=int)
    top = int(counts.max()) if counts.size else 0
    k = counts.shape[0]
    head = "".join(f'<th style="padding:2px 6px">{p}</th>' for p in range(k))
    rows = []
    for t in range(k):
        cells = "".join(
            f'<td style="padding:2px 6px;text-align:center;background:{_cell_colour(counts[t, p], top, t == p)}">'
            f"{counts[t, p] or ''}</td>"
            for p in range(k)
        )
        rows.append(f'<tr><th style="padding:2px 6px">{t}</th>{cells}</tr>')
    return (
        f'<div style="font-size:0.85rem;opacity:.85">↓ {html.escape(meant)} · → {html.escape(read)}</div>'
        f'<table style="border-collapse:collapse;font-size:0.95rem"><tr><th></th>{head}</tr>{"".join(rows)}</table>'
    )


def histogram_html(options: Sequence[str], counts: Sequence[int], correct: int | None = None) -> str:
    """A quick question's answers: one horizontal bar per option, the right one (once revealed) highlighted."""
    top = max(max(counts, default=0), 1)
    rows = []
    for i, (option, count) in enumerate(zip(options, counts, strict=True)):
        colour = PRIMARY if correct is None or i == correct else MUTED
        mark = " ✓" if i == correct else ""
        rows.append(
            '<div style="display:flex;align-items:center;gap:0.5rem;margin:0.2rem 0">'
            '<div style="width:12rem;overflow:hidden;text-overflow:ellipsis;white-space:nowrap">'
            f"{text_html(option)}{mark}</div>"
            f'<div style="flex:1"><div style="width:{100 * count / top:.1f}%;min-width:2px;height:1.2rem;'
            f'background:{colour};border-radius:3px"></div></div>'
            f'<div style="width:2.5rem;text-align:right">{int(count)}</div></div>'
        )
    return "".join(rows)
