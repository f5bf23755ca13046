"""Everything the Draw page shows for one input, computed before anything is laid out: the network's
answer and explanation, every picture as a PNG, and the page's HTML made from them (in the page's language)."""

from __future__ import annotations

import hashlib
import html
import time
from dataclasses import dataclass, field

import numpy as np

from lenet import netspec
from lenet.explain import Inspection, explain
from lenet.figures import markup, mosaics
from lenet.figures.theme import PRIMARY
from lenet.i18n import STRINGS, t
from lenet.preprocess import Preprocessed

# Share of the canvas under ink above which a drawing is a scribble, not a digit: a digit filling
# the canvas with the widest brush covers at most ~36 %, scribbles over it 55 % and more.
SCRIBBLE = 0.5
STEP_PX = 160  # the box each preprocessing step is shown in
SCALE = 4  # screen px per activation px: one scale for every map, so pooling visibly halves them
UNSURE = 0.5  # below this top probability the answer is called a guess
FAIRLY = 0.8  # below this it is "probably"
CLOSE = 0.25  # a runner-up this close to the top is named too
ACTIVATION_NAMES = {"relu": "ReLU", "tanh": "tanh", "sigmoid": "sigmoid", "gelu": "GELU"}
# answer_html's look: the digit large in the theme's colour, faded when there is nothing to read
ANSWER_CSS = f"""
  .draw-digit {{ font-size: 8rem; font-weight: 700; line-height: 1; color: {PRIMARY}; text-align: center; }}
  .draw-digit.draw-none {{ color: inherit; opacity: 0.6; }}
  .draw-verdict {{ font-size: 1.4rem; text-align: center; }}
  .draw-verdict.draw-none {{ font-size: 1.1rem; opacity: 0.85; }}
"""


# The page's layout: its top row (input, answer, why) wraps rather than squeeze the 280 px canvas (a tablet, an open
# sidebar), and on a phone its columns dissolve into one list in the DOM's order (input, answer, why): the answer
# and a short probability strip right under the canvas, on one screen with it. The row's columns are Streamlit's
# own markup (st.columns), the one place this CSS reaches into it; everything else is the page's keyed containers
# and the app's own HTML.
_ROW = (
    ':is(.st-key-draw_top > [data-testid="stHorizontalBlock"], '
    '.st-key-draw_top > [data-testid="stLayoutWrapper"] > [data-testid="stHorizontalBlock"])'
)
_COLUMN = '[data-testid="stColumn"]'
PAGE_CSS = f"""
  .st-key-sandbox {{ border-top: 1px solid rgba(128, 128, 128, 0.3); padding-top: 2rem; margin-top: 1rem; }}
  {_ROW} {{ flex-wrap: wrap; }}
  {_ROW} > {_COLUMN}:nth-child(1) {{ flex: 1.3 1 300px !important; min-width: 300px !important; }}
  {_ROW} > {_COLUMN}:nth-child(2) {{ flex: 1.2 1 230px !important; min-width: 230px !important; }}
  {_ROW} > {_COLUMN}:nth-child(3) {{ flex: 0.8 1 200px !important; min-width: 200px !important; }}
  .st-key-draw_top {{ container-type: inline-size; }}
  @container (max-width: 560px) {{
    {_ROW} {{ flex-direction: column; flex-wrap: nowrap; gap: 0.6rem; }}
    {_ROW} > {_COLUMN}, {_ROW} > {_COLUMN} > [data-testid="stVerticalBlock"] {{ display: contents; }}
    .st-key-draw_buttons {{ flex-wrap: nowrap; }}
  }}
  @media (max-width: 640px) {{
    .st-key-draw_intro p {{ font-size: 0.9rem; margin-bottom: 0; }}
    .st-key-draw_tools [data-testid="stElementContainer"]:has([data-testid="stCaptionContainer"]) {{ display: none; }}
    .st-key-draw_answer {{ gap: 0.3rem; }}
    /* the heading stays for screen readers; on screen the answer box says it (the scrubber needs the room) */
    .st-key-draw_answer h3 {{
      position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap;
    }}
    .st-key-prediction {{ flex-direction: row; align-items: center; padding: 0.3rem 0.8rem; }}
    .st-key-prediction > * {{ width: auto !important; flex: 0 1 auto; }}
    .st-key-prediction .draw-digit {{ font-size: 2.6rem; line-height: 1.05; }}
    .st-key-prediction .draw-verdict {{ font-size: 1rem; text-align: left; }}
    .st-key-draw_answer .lenet-bars {{ padding-top: 1rem !important; }}
    .st-key-draw_answer .lenet-bar-area {{ height: 34px !important; }}
    .st-key-draw_answer .lenet-bar-text {{ font-size: 0.62rem !important; }}
    .st-key-draw_answer .lenet-bar-digit {{ font-size: 0.95rem !important; }}
  }}
"""


@dataclass
class DrawView:
    """One input, seen from inside, with its pictures."""

    prep: Preprocessed | None = None
    insp: Inspection | None = None
    reason: str | None = None  # why there is no prediction: blank, no_picture, too_small, scribble, no_model, ...
    label: int | None = None  # the true digit, for MNIST test images
    images: dict[str, bytes] = field(default_factory=dict)  # PNGs: step_<key>, input, each layer, saliency
    compute_ms: float = 0.0


def why_unread(prep: Preprocessed | None, model, canvas: bool) -> str | None:
    """Why there is nothing to read, or None when the network should answer (the Class page's reading too)."""
    if model is None:
        return "no_model"
    if prep is None:
        return "blank" if canvas else "no_picture"
    if prep.empty:
        return prep.reason or "blank"
    if canvas and (prep.step("raw") > 127).mean() > SCRIBBLE:
        return "scribble"
    return None


def draw_view(
    prep: Preprocessed | None,
    model,
    cmap: str,
    label: int | None = None,
    started: float | None = None,
    canvas: bool = False,
    step_px: int = STEP_PX,
    pictures: bool = True,
    maps: bool = True,
) -> DrawView:
    """Run the network on one input and build every picture the Draw page shows for it.

    Args:
        prep: the preprocessed input, or None when there is none (blank canvas, failed upload).
        model: the LeNet, or None when no model could be loaded.
        cmap: the sequential colour map for activations (one of theme.COLORMAPS).
        label: the true digit, when known.
        started: perf_counter() when preprocessing began, so the reported time includes it.
        canvas: the input was drawn on the canvas (whose size makes a scribble recognisable).
        step_px: the longest side of each preprocessing step's picture.
        pictures: False for the answer alone, no PNGs (the Class page shows only the digit and its bars).
        maps: False: no picture of each layer's output (the browser's overview paints them from its own reading;
            network_html then explains the layers in words).
    Returns:
        a DrawView; `insp` is None when there is nothing to read, and `reason` says why.
    """
    start = time.perf_counter() if started is None else started
    view = DrawView(prep=prep, label=label, reason=why_unread(prep, model, canvas))
    for key, image in prep.steps if prep is not None and pictures else ():
        view.images[f"step_{key}"] = markup.png_bytes(markup.thumbnail(image, step_px))
    if view.reason is None:
        view.insp = explain(model, prep.input)
    if view.insp is not None and pictures and maps:
        view.images["input"] = markup.png_bytes(prep.image)
        for name, image in mosaics.layer_images(view.insp.activations, cmap).items():
            view.images[name] = markup.png_bytes(image)
    if view.insp is not None and pictures:
        view.images["saliency"] = markup.png_bytes(mosaics.saliency_overlay(prep.image, view.insp.saliency))
    view.compute_ms = (time.perf_counter() - start) * 1000
    return view


def png_size(png: bytes) -> tuple[int, int]:
    """(height, width) of a PNG, from its header."""
    return int.from_bytes(png[20:24], "big"), int.from_bytes(png[16:20], "big")


# --- the page's HTML: the answer, the preprocessing steps, every layer, the kernels (in the page's language) ---


def scaled(png: bytes, scale: int = SCALE, alt: str = "") -> str:
    """A small PNG as HTML, `scale` screen px per pixel, hard pixel edges."""
    return markup.image_html(png, png_size(png)[1] * scale, alt=alt)


def answer_html(view: DrawView, lang: str) -> str:
    """The digit, large, with honest words about how sure the network is (for a markdown element)."""
    insp = view.insp
    if insp is None:
        # Nothing to read: no digit characters at all (tests rely on it).
        # A reason this page has no words for yet still reads as "nothing to read".
        reason = view.reason if f"draw.prediction.{view.reason}" in STRINGS else "blank"
        digit, faded, words = "?", " draw-none", t(f"draw.prediction.{reason}", lang)
    else:
        digit, faded, words = str(insp.prediction), "", verdict(insp, lang)
    # data-probs: the ten probabilities, which tests compare with the browser's live reading (surface.py)
    probs = "null" if insp is None else "[" + ",".join(f"{p:.6f}" for p in insp.probs) + "]"
    return (
        f'<div class="draw-digit{faded}" data-probs="{probs}">{digit}</div>'
        f'<div class="draw-verdict{faded}">{_esc(words)}</div>'
    )


def answer_bars_html(insp: Inspection | None, lang: str) -> str:
    """All ten probabilities as bars under their caption, the answer highlighted and a close runner-up named."""
    probs = insp.probs if insp is not None else np.zeros(10)
    close = insp is not None and insp.confidence - insp.runner_up()[1] < CLOSE
    bars = markup.probability_bars(
        probs, insp.prediction if insp else None, runner_up=insp.runner_up()[0] if close else None
    )
    return markup.caption(t("draw.probs.title", lang)) + bars


def verdict(insp: Inspection, lang: str) -> str:
    """How sure the network is, in words: confident, fairly sure, torn between two, or guessing."""
    pct = f"{insp.confidence:.0%}"
    other, other_p = insp.runner_up()
    if insp.confidence - other_p < CLOSE:
        return t("draw.prediction.close", lang, pct=pct, other=other, other_pct=f"{other_p:.0%}")
    if insp.confidence < UNSURE:
        return t("draw.prediction.guess", lang, pct=pct)
    if insp.confidence < FAIRLY:
        return t("draw.prediction.fairly", lang, pct=pct)
    return t("draw.prediction.sure", lang, pct=pct)


def steps_html(view: DrawView, lang: str) -> str:
    """The preprocessing steps, left to right (the last one is exactly the network's input), and the time taken,
    as HTML (sent in one block with the layers under it: one element fewer)."""
    intro = markup.heading(t("draw.steps.title", lang), 3) + markup.caption(t("draw.steps.intro", lang))
    if view.prep is None:
        return intro
    cells = []
    for key, _ in view.prep.steps:
        png = view.images[f"step_{key}"]
        height, width = png_size(png)
        # Every step fits the same box; the small ones are scaled up with crisp pixels.
        shown = max(1, round(STEP_PX * width / max(height, width)))
        caption = t(f"draw.step.{key}", lang)
        image = markup.image_html(png, shown, pixelated=max(height, width) <= 28, alt=caption)
        cells.append(
            f'<figure style="margin:0;width:{STEP_PX + 10}px">{image}<figcaption style="font-size:0.9rem;'
            f'opacity:.85;margin-top:0.3rem">{_esc(caption)}</figcaption></figure>'
        )
    arrow = '<div style="font-size:2rem;opacity:.6;align-self:center" aria-hidden="true">→</div>'
    row = f'<div style="display:flex;gap:1rem;flex-wrap:wrap;align-items:flex-start">{arrow.join(cells)}</div>'
    timing = markup.caption(t("draw.timing", lang, ms=view.compute_ms))
    return f'{intro}{row}<div style="margin-top:0.6rem">{timing}</div>'


def layer_text(name: str, act: np.ndarray, prev: np.ndarray | None, block: tuple, lang: str) -> tuple[str, str]:
    """The title and the explanation of one block, from its layers in the network's list (any network)."""
    if name == "input":
        return t("draw.net.input", lang), t("draw.net.input.text", lang, h=act.shape[1], w=act.shape[2])
    if name == "output":
        return t("draw.net.title.output", lang), t("draw.net.output.text", lang)
    first = block[0]
    activation = next((layer.kind for layer in block if layer.kind in ACTIVATION_NAMES), None)
    act_name = ACTIVATION_NAMES.get(activation, "")
    act_sentence = " " + t(f"draw.net.act.{activation}", lang) if activation else ""
    bare = "" if activation else ".bare"  # a block without an activation: its title names none
    if first.kind in ("maxpool", "avgpool"):
        pool = first.kind[:3]
        text = t(f"draw.net.pool.{pool}.text", lang, p=first.kernel)
        if name == "S4":
            text += " " + t("draw.net.S4.text", lang)
        return t(f"draw.net.title.pool.{pool}", lang, name=name), text + act_sentence
    if first.kind == "fc":
        text = t("draw.net.F6.text", lang, c=act.size, m=prev.size)
        return t(f"draw.net.title.fc{bare}", lang, name=name, act=act_name), text + act_sentence
    if first.kind != "conv":  # a leading activation, bn or dropout: a block of its own
        return t("draw.net.title.other", lang, name=name, layers=", ".join(str(layer) for layer in block)), ""
    if first.stride > 1 and name in ("S2", "S4"):  # LeNet's learned pooling (pool "none", allconv)
        title = t("draw.net.title.pool.none", lang, name=name, act=act_name)
        return title, t("draw.net.pool.none.text", lang, p=first.stride)
    title = t(f"draw.net.title.conv{bare}", lang, name=name, act=act_name)
    channels = act.shape[0]
    if prev is not None and prev.shape[0] == 1 and prev.ndim == 3:  # reads the picture itself
        text = t("draw.net.C1.text", lang, c=channels, k=first.kernel)
    elif act.ndim == 3 and act.shape[1] * act.shape[2] == 1:
        text = t("draw.net.C5.text", lang, c=channels, n=prev.size)
    else:
        text = t("draw.net.C3.text", lang, c=channels, m=prev.shape[0])
    return title, text + act_sentence


def network_html(view: DrawView, model, cmap: str, lang: str) -> str:
    """Every layer's output for this input, each with its shape and a sentence or two, as one HTML grid under
    a rule and the section's title. A view made without maps (draw_view's `maps`: the browser's overview paints
    them) explains the layers in words alone: a stroke then sends no picture of them."""
    head = markup.section_head(t("draw.net.title", lang))
    if view.insp is None:
        return head + markup.caption(t("draw.why.nothing", lang), "lenet-text")
    maps = "input" in view.images  # else the browser's overview paints them (draw_view's `maps`)
    live = t("draw.net.intro.live", lang)
    intro = markup.caption(t("draw.net.intro", lang) + " " + t("draw.net.colours", lang, cmap=cmap) if maps else live)
    rows = [("input", view.prep.image[None]), *view.insp.activations.items()]
    blocks = dict(zip(model.names, netspec.parse(model.net).block_layers, strict=True))
    cells, prev = [], None
    for name, act in rows:
        title, text = layer_text(name, act, prev, blocks.get(name, ()), lang)
        shape = t("draw.net.shape", lang, shape=" × ".join(str(n) for n in act.shape))
        cells.append(
            f'<div><div style="font-weight:600;font-size:1.05rem">{_esc(title)} '
            f'<span style="font-weight:400;opacity:.8">· {_esc(shape)}</span></div>'
            f'<div style="opacity:.85;font-size:0.92rem;margin-top:0.2rem">{_esc(text)}</div></div>'
        )
        if maps:
            picture = markup.score_bars(act) if name == "output" else scaled(view.images[name], alt=title)
            cells.append(f'<div style="max-width:720px">{picture}</div>')
        prev = act
    columns = "minmax(240px,2fr) 3fr" if maps else "repeat(auto-fill,minmax(240px,1fr))"
    return (
        head
        + intro
        + (
            f'<div class="lenet-lazy" style="display:grid;grid-template-columns:{columns};gap:1.6rem 2.5rem;'
            f'align-items:{"center" if maps else "start"}">{"".join(cells)}</div>'
        )
    )


def kernels_html(pictures: list[tuple[str, bytes, tuple[int, ...]]] | None, lang: str) -> str:
    """The learned filters of C1 and C3 ((layer, PNG, weight shape), or None when the checkpoint is gone), as signed
    mosaics, under a rule and the section's title: one HTML block.

    Every element on the page costs the browser on every stroke, even outside the stroke's fragment (each one
    re-renders when a run starts and ends: docs/ARCHITECTURE.md §6), so this section that never changes while
    the student draws is one element, not eight."""
    parts = [markup.section_head(t("draw.kernels.title", lang)) + markup.caption(t("draw.kernels.intro", lang))]
    for i, (layer, png, shape) in enumerate(pictures or ()):
        out_c, in_c, k, _ = shape
        caption = t("draw.kernels.deeper" if i else "draw.kernels.first", lang, name=layer, c=out_c, m=in_c, k=k)
        # the first layer's few kernels shown larger than the next one's many, so both are readable and fit
        parts.append(markup.caption(caption, "lenet-text") + scaled(png, 8 if i else 16, alt=caption))
    return "".join(parts)


def input_digest(prep: Preprocessed | None) -> str | None:
    """A digest of everything `draw_view` reads from a preprocessed input: equal digests, equal views."""
    if prep is None:
        return None
    digest = hashlib.md5(repr((prep.empty, prep.reason, [key for key, _ in prep.steps])).encode())
    for array in (*(image for _, image in prep.steps), prep.image, prep.input):
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def nudge_html(before: np.ndarray, after: np.ndarray, change: np.ndarray, times: int, px: int, lang: str) -> str:
    """The perturbation sandbox's nudge: the digit before, after, and the change (drawn `times` stronger), side by
    side, each `px` wide (grey 28 x 28 images in [0, 255] and [0, 1]; the change as RGB already)."""
    return (
        '<div style="display:flex;gap:1rem;flex-wrap:wrap">'
        + markup.figure(_grey(before), t("sandbox.nudge.before", lang), px)
        + markup.figure(_grey((after * 255).astype(np.uint8)), t("sandbox.nudge.after", lang), px)
        + markup.figure(change, t("sandbox.nudge.change", lang, times=times), px)
        + "</div>"
    )


def _grey(image: np.ndarray) -> np.ndarray:
    return np.repeat(image[..., None], 3, axis=2)
