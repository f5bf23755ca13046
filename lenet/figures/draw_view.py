"""Everything the Draw page shows for one input, computed before anything is laid out: the network's
answer and explanation, and every picture as a PNG."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from lenet.explain import Inspection, explain
from lenet.figures import markup, mosaics
from lenet.preprocess import Preprocessed

# Share of the canvas under ink above which a drawing is a scribble, not a digit: a digit filling
# the canvas with the widest brush covers at most ~36 %, scribbles over it 55 % and more.
SCRIBBLE = 0.5


@dataclass
class DrawView:
    """One input, seen from inside, with its pictures."""

    prep: Preprocessed | None = None
    insp: Inspection | None = None
    reason: str | None = None  # why there is no prediction: blank, no_picture, too_small, scribble, no_model, ...
    label: int | None = None  # the true digit, for MNIST test images
    images: dict[str, bytes] = field(default_factory=dict)  # PNGs: step_<key>, input, each layer, saliency
    compute_ms: float = 0.0


def _reason(prep: Preprocessed | None, model, canvas: bool) -> str | None:
    """Why there is nothing to read, or None when the network should answer."""
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
    step_px: int = 160,
    pictures: bool = True,
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
    Returns:
        a DrawView; `insp` is None when there is nothing to read, and `reason` says why.
    """
    start = time.perf_counter() if started is None else started
    view = DrawView(prep=prep, label=label, reason=_reason(prep, model, canvas))
    for key, image in prep.steps if prep is not None and pictures else ():
        view.images[f"step_{key}"] = markup.png_bytes(markup.thumbnail(image, step_px))
    if view.reason is None:
        view.insp = explain(model, prep.input)
    if view.insp is not None and pictures:
        view.images["input"] = markup.png_bytes(prep.image)
        for name, image in mosaics.layer_images(view.insp.activations, cmap).items():
            view.images[name] = markup.png_bytes(image)
        view.images["saliency"] = markup.png_bytes(mosaics.saliency_overlay(prep.image, view.insp.saliency))
    view.compute_ms = (time.perf_counter() - start) * 1000
    return view


def png_size(png: bytes) -> tuple[int, int]:
    """(height, width) of a PNG, from its header."""
    return int.from_bytes(png[20:24], "big"), int.from_bytes(png[16:20], "big")
