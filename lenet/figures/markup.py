"""PNG encoding and pictures in plain HTML: inlined images and bar charts.

What changes on every stroke is drawn as plain HTML (inlined PNGs, bars from divs): a chart
library's render would dominate the update, and plain HTML stays sharp on a projector.
"""

from __future__ import annotations

import base64
import html
import io

import numpy as np
from PIL import Image

from lenet.figures.mosaics import colormap_lut
from lenet.figures.theme import DIVERGING, MUTED, PRIMARY, RUNNER_UP


def thumbnail(image: np.ndarray, max_side: int = 280) -> np.ndarray:
    """Shrink a uint8 image so its longer side is at most `max_side` px (a big upload costs time to send)."""
    image = np.asarray(image, dtype=np.uint8)
    if max(image.shape[:2]) <= max_side:
        return image
    pil = Image.fromarray(image)
    pil.thumbnail((max_side, max_side), Image.Resampling.BOX)
    return np.asarray(pil)


def png_bytes(image: np.ndarray) -> bytes:
    """Encode a uint8 grayscale or RGB image as PNG, quickly.

    Low zlib effort: these images are tiny, and the time per stroke matters more than bytes.
    """
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image)).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def data_uri(png: bytes) -> str:
    """A PNG as a data: URI, to inline it in HTML (no separate request per picture)."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def image_html(png: bytes, width: int, *, pixelated: bool = True, alt: str = "") -> str:
    """An <img> of a PNG shown `width` px wide, scaled with hard pixel edges unless `pixelated` is False."""
    rendering = "image-rendering:pixelated;" if pixelated else ""
    return (
        f'<img src="{data_uri(png)}" alt="{html.escape(alt)}" '
        f'style="width:{int(width)}px;max-width:100%;height:auto;{rendering}border-radius:4px;display:block">'
    )


def heading(text: str, level: int) -> str:
    """A heading inside an HTML block, styled as Streamlit's own (classes `lenet-h2`..`lenet-h4`, ui.SHELL_CSS).

    Text and headings that rerun with every stroke go out as a few HTML blocks rather than one element each:
    each element costs the server and, more, the browser's render (docs/ARCHITECTURE.md §6).
    """
    return f'<h{level} class="lenet-h{level}">{html.escape(text, quote=False)}</h{level}>'


def caption(text: str, cls: str = "lenet-caption") -> str:
    """A paragraph of small print (Streamlit's caption) in an HTML block; `cls` "lenet-text" for body text."""
    return f'<p class="{cls}">{html.escape(text, quote=False)}</p>'


def section_head(title: str) -> str:
    """A section's rule and title inside an HTML block (st.divider and st.header would be two elements more)."""
    return '<hr class="lenet-rule">' + heading(title, 2)


def figure(rgb: np.ndarray, caption: str, width: int) -> str:
    """A picture `width` px wide with its caption under it (the caption is its alt text too)."""
    image = image_html(png_bytes(rgb), width, alt=caption)
    return (
        f'<figure style="margin:0">{image}<figcaption style="font-size:0.85rem">{html.escape(caption, quote=False)}'
        "</figcaption></figure>"
    )


def _rgb(colour) -> str:
    return "rgb({},{},{})".format(*(int(c) for c in colour))


def bars_html(
    values: np.ndarray,
    colours: list[str],
    texts: list[str] | None = None,
    *,
    signed: bool = False,
    height: int = 180,
    limit: float | None = None,
) -> str:
    """A bar chart in plain HTML, one bar per digit 0..N-1, labelled underneath.

    Plain HTML updates on every stroke at a fraction of a chart library's cost, and stays sharp on a
    projector.

    Args:
        values: one value per bar (probabilities, or signed scores with `signed`).
        colours: CSS colours, one per bar.
        texts: optional labels above the bars (e.g. percentages).
        signed: bars grow up and down from a zero line in the middle.
        height: px of the bar area.
        limit: the value of a full-height bar; default the largest magnitude (1 for probabilities).
    Returns:
        an HTML fragment with inline styles only, so it needs no page CSS.
    """
    values = np.nan_to_num(np.asarray(values, dtype=np.float64))
    top = float(limit if limit is not None else np.abs(values).max() if values.size else 0.0) or 1.0
    # Positions are percentages of the bar area, so a page's CSS may resize it (class `lenet-bar-area`: a phone
    # shows a short strip) and the bars still fit.
    zero = 50.0 if signed else 0.0
    span = 50.0 if signed else 100.0
    below = "1.3rem" if signed else "0"  # room for the labels under the lowest negative bar
    area = f'class="lenet-bar-area" style="position:relative;width:100%;height:{height}px;margin-bottom:{below}"'
    cells = []
    for i, value in enumerate(values):
        size = min(abs(value) / top, 1.0) * span
        place = f"bottom:{zero:.1f}%" if value >= 0 else f"top:{100 - zero:.1f}%"
        label = html.escape(texts[i]) if texts else ""
        edge = zero + size if value >= 0 else 100 - zero + size
        text_pos = f"{'bottom' if value >= 0 else 'top'}:calc({edge:.1f}% + 2px)"
        # Colour is never the only carrier: every bar says its digit and its number, also to a screen reader.
        spoken = html.escape(f"{i}: {texts[i]}" if texts else str(i), quote=True)
        cells.append(
            f'<div role="img" aria-label="{spoken}" '
            'style="flex:1;display:flex;flex-direction:column;align-items:center;min-width:0">'
            f"<div {area}>"
            f'<div style="position:absolute;left:14%;right:14%;{place};height:max({size:.1f}%, 1px);'
            f'background:{colours[i]};border-radius:3px"></div>'
            f'<div class="lenet-bar-text" style="position:absolute;left:0;right:0;{text_pos};text-align:center;'
            f'font-size:0.85rem;white-space:nowrap">{label}</div></div>'
            f'<div class="lenet-bar-digit" style="font-size:1.3rem;font-weight:600">{i}</div></div>'
        )
    axis = f'<div style="position:absolute;left:0;right:0;bottom:{zero:.1f}%;border-top:1px solid #868e96"></div>'
    return (
        f'<div class="lenet-bars" style="position:relative;padding-top:1.4rem"><div style="position:relative">'
        f'<div class="lenet-bar-area" style="position:absolute;left:0;right:0;top:0;height:{height}px">{axis}</div>'
        f'<div style="display:flex;gap:2px">{"".join(cells)}</div></div></div>'
    )


def probability_bars(probs: np.ndarray, prediction: int | None, runner_up: int | None = None, height: int = 180) -> str:
    """The ten class probabilities as HTML bars, the predicted digit highlighted, percentages on top.

    Args:
        probs: the 10 softmax probabilities.
        prediction: the digit to highlight, or None when nothing was read (all bars muted).
        runner_up: a second digit to highlight more softly (a close call).
        height: px of the bar area.
    """
    probs = np.asarray(probs, dtype=np.float64)
    colours = [PRIMARY if d == prediction else RUNNER_UP if d == runner_up else MUTED for d in range(len(probs))]
    texts = [f"{p:.0%}" for p in probs]  # every bar says its number: colour never carries the meaning alone
    return bars_html(probs, colours, texts, height=height, limit=1.0)


def score_bars(scores: np.ndarray, height: int = 140) -> str:
    """The output layer's raw scores (logits) as HTML bars from a zero line: orange up, purple down."""
    scores = np.asarray(scores, dtype=np.float64)
    lut = colormap_lut(DIVERGING)
    colours = [_rgb(lut[40 if v < 0 else 215]) for v in scores]
    return bars_html(scores, colours, [f"{v:.0f}" for v in scores], signed=True, height=height)
