"""What would change the network's mind: occlusion, small transforms, and an adversarial nudge, with Captum.

Every function takes the 28x28 uint8 input (Preprocessed.image) and the shared model, and never changes either.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image, ImageFilter

from lenet.data import MEAN, STD, normalise

NUDGE_BUDGET_S = 1.5  # the nudge gives up after this long, so the answer comes within 2 s on a 2-core CPU
NUDGE_RADII = (0.05, 0.1, 0.15, 0.2, 0.3, 0.4)  # tried in turn: the largest change per pixel, of full brightness
NUDGE_STEPS = 20  # PGD steps per radius, each 1/8 of it: enough to cross the whole range and back


def _input(image: np.ndarray) -> torch.Tensor:
    return torch.as_tensor(np.asarray(normalise(image), dtype=np.float32)).reshape(1, 1, 28, 28)


def probabilities(model, image: np.ndarray) -> np.ndarray:
    """The model's ten probabilities for a 28x28 uint8 image."""
    torch.set_num_threads(1)  # one image: threads would only wait for each other (lenet.explain says why)
    with torch.no_grad():
        return torch.softmax(model(_input(image)), 1)[0].numpy()


def occlusion(model, image: np.ndarray, target: int, patch: int = 8, stride: int = 2) -> np.ndarray:
    """How much covering each place with blank paper lowers the probability of `target` (Captum's Occlusion).

    Args:
        model: the LeNet.
        image: 28x28 uint8, ink bright.
        target: the digit whose probability is watched.
        patch: the side of the square that covers, in pixels.
        stride: pixels between two positions of the square.
    Returns:
        28x28 float: the drop in probability (0..1; negative where covering helps), averaged over the patches.
    """
    from captum.attr import Occlusion  # imported when first used: captum brings matplotlib, which pages never need

    torch.set_num_threads(1)
    blank = float((0.0 - MEAN) / STD)

    def forward(x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(model(x), 1)

    with torch.no_grad():
        attr = Occlusion(forward).attribute(
            _input(image),
            sliding_window_shapes=(1, patch, patch),
            strides=(1, stride, stride),
            baselines=blank,
            target=int(target),
            perturbations_per_eval=64,
        )
    return attr[0, 0].numpy()


IG_STEPS = 32  # points on the path from a blank image: the attributions then add up to within a few thousandths


@dataclass(frozen=True)
class Attribution:
    """Integrated gradients of one class's score: per pixel, and how they add up."""

    pixels: np.ndarray  # 28x28 float: each pixel's share of the score's rise from a blank image
    score: float  # the class's score (logit) for the image
    blank_score: float  # ... and for a blank image, where the path starts
    error: float  # Captum's convergence delta: sum(pixels) - (score - blank_score)


def integrated_gradients(model, image: np.ndarray, target: int, steps: int = IG_STEPS) -> Attribution:
    """Integrated gradients (Sundararajan et al. 2017, Captum's IntegratedGradients) of `target`'s score.

    The image is faded in from a blank one in `steps` steps, and each pixel is credited with its ink times the
    average gradient on the way. Unlike the plain gradient x input, the credits add up: their sum is the score's
    rise from the blank image, which is what the page can show a student.

    Args:
        model: the LeNet (its parameters need no gradient).
        image: 28x28 uint8, ink bright.
        target: the class whose score is explained.
    """
    from captum.attr import IntegratedGradients  # imported when first used (see occlusion)

    torch.set_num_threads(1)
    x = _input(image)
    blank = torch.full_like(x, float((0.0 - MEAN) / STD))
    with torch.enable_grad():
        attr, delta = IntegratedGradients(model).attribute(
            x, baselines=blank, target=int(target), n_steps=steps, return_convergence_delta=True
        )
    with torch.no_grad():
        scores = model(torch.cat([x, blank]))[:, int(target)]
    return Attribution(
        pixels=attr[0, 0].detach().numpy(),
        score=float(scores[0]),
        blank_score=float(scores[1]),
        error=float(delta[0]),
    )


def transform(image: np.ndarray, shift: tuple[int, int] = (0, 0), angle: float = 0.0, thickness: int = 0) -> np.ndarray:
    """The digit moved `shift` (right, down) pixels, turned `angle` degrees anticlockwise, and its strokes made
    thicker (thickness > 0) or thinner (< 0) by that many pixels each side. Returns 28x28 uint8."""
    pil = Image.fromarray(np.asarray(image, dtype=np.uint8))
    if angle:
        pil = pil.rotate(angle, resample=Image.Resampling.BILINEAR, fillcolor=0)
    for _ in range(abs(int(thickness))):
        pil = pil.filter(ImageFilter.MaxFilter(3) if thickness > 0 else ImageFilter.MinFilter(3))
    out = np.zeros((28, 28), np.uint8)
    dx, dy = (int(v) for v in shift)
    src = np.asarray(pil)
    out[max(0, dy) : 28 + min(0, dy), max(0, dx) : 28 + min(0, dx)] = src[
        max(0, -dy) : 28 - max(0, dy), max(0, -dx) : 28 - max(0, dx)
    ]
    return out


def _cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.cross_entropy(logits, target, reduction="none")


@dataclass
class Nudge:
    """An adversarial nudge toward a chosen digit: the smallest change found, or why there is none."""

    target: int
    status: str  # "already" (it says that digit already), "found" or "not_found" (not within the budget)
    image: np.ndarray | None = None  # 28x28 float 0..1: the nudged picture
    change: np.ndarray | None = None  # 28x28 float -1..1: nudged minus original
    radius: float = 0.0  # the largest change allowed per pixel, 0..1 of full brightness
    largest: float = 0.0  # the largest change made to any pixel
    probs: np.ndarray | None = None  # the nudged picture's probabilities
    seconds: float = 0.0


def nudge(model, image: np.ndarray, target: int, budget_s: float = NUDGE_BUDGET_S) -> Nudge:
    """Find a small change that makes the model read `target` (Captum's targeted PGD, L-infinity), trying larger
    changes in turn until one works or the time budget is spent.

    Args:
        model: the LeNet.
        image: 28x28 uint8, ink bright.
        target: the digit to turn the answer into.
        budget_s: the most seconds to search.
    Returns:
        a Nudge.
    """
    from captum.robust import PGD  # imported when first used, as in occlusion()

    started = time.perf_counter()
    torch.set_num_threads(1)
    x = _input(image)
    with torch.no_grad():
        if int(model(x).argmax()) == int(target):
            return Nudge(int(target), "already", seconds=time.perf_counter() - started)
    low, high = float((0.0 - MEAN) / STD), float((1.0 - MEAN) / STD)  # the pictures a canvas can make
    # the model gives scores (logits): Captum's default loss, -log(output), expects probabilities
    attack = PGD(model, loss_func=_cross_entropy, lower_bound=low, upper_bound=high)
    goal = torch.tensor([int(target)])
    for radius in NUDGE_RADII:
        if time.perf_counter() - started > budget_s:
            break
        r = radius / STD  # in the network's (normalised) units
        # Captum's FGSM step warns that each step's fresh copy "did not already require gradients": it sets it itself
        with torch.enable_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            adv = attack.perturb(
                x.clone().requires_grad_(True),
                radius=r,
                step_size=r / 8,
                step_num=NUDGE_STEPS,
                target=goal,
                targeted=True,
            )
        with torch.no_grad():
            probs = torch.softmax(model(adv), 1)[0]
        if int(probs.argmax()) == int(target):
            nudged = (adv[0, 0].numpy() * STD + MEAN).clip(0, 1)
            change = nudged - np.asarray(image, dtype=np.float32) / 255.0
            return Nudge(
                int(target),
                "found",
                nudged,
                change,
                radius,
                float(np.abs(change).max()),
                probs.numpy(),
                time.perf_counter() - started,
            )
    return Nudge(int(target), "not_found", seconds=time.perf_counter() - started)
