"""A student's digit as the server reads it at Send: the network's answer alone.

The student's page reads the drawing live in the browser (lenet/web/surface.js), and the drawing reaches the
server only with Send (pages/class.py). The server then reads it once, for the store and the acknowledgement:
one forward pass without gradients (`lenet.inference.predict_probs`), no layers' activations, saliency or
pictures, which the Class page does not show.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lenet.figures.draw_view import why_unread
from lenet.inference import predict_probs
from lenet.preprocess import Preprocessed


@dataclass(frozen=True)
class Reading:
    """The network's answer for one input, or why there is none."""

    prep: Preprocessed | None
    probs: np.ndarray | None = None  # (10,) softmax probabilities; None when there is nothing to read
    reason: str | None = None  # why not: blank, too_small, scribble, no_model, ... (draw_view.why_unread)

    @property
    def prediction(self) -> int | None:
        return None if self.probs is None else int(self.probs.argmax())

    @property
    def confidence(self) -> float | None:
        return None if self.probs is None else float(self.probs.max())


def read(prep: Preprocessed | None, model, canvas: bool = False) -> Reading:
    """Read one preprocessed input (`canvas`: drawn on the canvas, where a scribble is recognisable)."""
    reason = why_unread(prep, model, canvas)
    if reason is not None:
        return Reading(prep, None, reason)
    return Reading(prep, predict_probs(model, prep.image[None])[0])
