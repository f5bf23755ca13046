"""Explaining one answer of a LeNet: every layer's output, the probabilities and a saliency map."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import torch

from lenet.data import MEAN, STD
from lenet.model import LeNet

_BACKGROUND = (0.0 - MEAN) / STD  # a blank pixel after normalisation


@dataclass
class Inspection:
    """One forward pass, seen from inside."""

    probs: np.ndarray  # (10,) softmax probabilities
    prediction: int
    activations: OrderedDict[str, np.ndarray]  # layer name -> (C, H, W) for conv/pool, (N,) for FC
    saliency: np.ndarray  # (28, 28): how much each pixel pushed the predicted class up (>0) or down (<0)

    @property
    def confidence(self) -> float:
        return float(self.probs[self.prediction])

    def runner_up(self) -> tuple[int, float]:
        """The second most likely digit and its probability."""
        order = np.argsort(self.probs)[::-1]
        return int(order[1]), float(self.probs[order[1]])


def explain(model: LeNet, x: np.ndarray | torch.Tensor, target: int | None = None) -> Inspection:
    """Run one image through `model`, recording every textbook layer's output and a saliency map.

    Safe to call from many threads on one shared model: nothing is attached to the model.

    Saliency is gradient x input (Shrikumar et al. 2016), measured against a blank image: the pixels
    whose ink raised the chosen class's score are positive. It needs one backward pass.

    Args:
        model: a LeNet in eval mode.
        x: the normalised input, 1 x 1 x 28 x 28 (preprocess.Preprocessed.input).
        target: the class to explain; default the prediction.
    Returns:
        an Inspection.
    """
    # One image is far too little work to share between cores: on a busy machine, OpenMP threads
    # waiting for each other made a forward pass many times slower (bench/draw_latency.py measures the
    # page's update). The setting is per thread (OpenMP), so a training thread elsewhere keeps its cores.
    torch.set_num_threads(1)
    inp = torch.as_tensor(np.asarray(x, dtype=np.float32)).reshape(1, 1, *np.shape(x)[-2:]).clone()
    inp.requires_grad_(True)
    with torch.enable_grad():
        logits, recorded = model.forward_with_activations(inp)
        probs = torch.softmax(logits, 1)[0]
        pred = int(probs.argmax())
        cls = pred if target is None else int(target)
        (grad,) = torch.autograd.grad(logits[0, cls], inp)
    saliency = (grad * (inp - _BACKGROUND))[0, 0].detach().numpy()
    activations = OrderedDict((name, out.detach()[0].numpy()) for name, out in recorded.items())
    return Inspection(probs=probs.detach().numpy(), prediction=pred, activations=activations, saliency=saliency)


def blank_activations(model: LeNet, size: tuple[int, int] = (28, 28)) -> OrderedDict[str, np.ndarray]:
    """Every textbook layer's output shape for one `size` input, filled with zeros: a layer's picture before
    anything is drawn (the Draw page keeps its clickable picture in place through a Clear)."""
    with torch.no_grad():
        _, recorded = model.forward_with_activations(torch.zeros(1, 1, *size))
    return OrderedDict((name, np.zeros(out.shape[1:], np.float32)) for name, out in recorded.items())
