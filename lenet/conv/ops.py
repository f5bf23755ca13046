"""The Convolution lab's layer run for real: preset kernels, PyTorch ops on a digit, and a network's true shapes.

No streamlit: pages/conv_lab.py only lays these out. The numbers they are checked against come
from lenet.conv.arithmetic; tests/test_conv_lab_page.py compares the two.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from lenet import netspec
from lenet.config import LeNetConfig
from lenet.conv.arithmetic import resolve_padding
from lenet.conv.query import LabSettings
from lenet.data import DataError, load_mnist
from lenet.netmodel import build_model
from lenet.netspec import NetSpec

DIGIT_LIMIT = 128  # largest input the digit demo computes: a 512x512 input under 31x31 filters is too slow to share
DIGIT_OUTPUT_LIMIT = 512  # largest output drawn: a transposed conv with stride 16 makes a 128 input 2000+ wide
MAX_MAPS = 8  # output maps drawn for the digit
PRESETS = ("edge_horizontal", "edge_vertical", "blur", "sharpen", "random", "trained")
SINGLE_PRESETS = PRESETS[:4]  # hand-made presets are one filter each


# --- kernels -----------------------------------------------------------------------------------


def _binomial(k: int) -> np.ndarray:
    """Row k of Pascal's triangle, normalised: the discrete Gaussian (1 2 1 for k = 3)."""
    row = np.array([math.comb(k - 1, i) for i in range(k)], dtype=np.float64)
    return row / row.sum()


def preset_kernels(
    name: str, kernel: int, depth: int = 1, seed: int = 0, trained: np.ndarray | None = None
) -> np.ndarray:
    """The filters of a preset, as float32 (n, kernel, kernel).

    Args:
        name: one of PRESETS.
        kernel: filter size K.
        depth: how many filters the layer has; "random" and "trained" give that many (trained:
            at most as many as the model has), a hand-made preset is always one filter.
        seed: for "random".
        trained: the model's C1 weights (out, in, K, K), needed for "trained".
    Raises:
        ValueError: an unknown preset, or "trained" without weights of size K.
    """
    if name in SINGLE_PRESETS and kernel == 1:
        return np.ones((1, 1, 1), dtype=np.float32)  # a 1x1 filter can only scale a pixel: no edge, no blur
    if name in ("edge_horizontal", "edge_vertical"):
        # Sobel's idea at any size: a smoothing profile across the edge's direction, a signed
        # ramp along it, so a light-to-dark change gives a strong response
        k = np.outer(np.linspace(1.0, -1.0, kernel), _binomial(kernel))
        k = k if name == "edge_horizontal" else k.T
        return (k / (np.abs(k).sum() / 2))[None].astype(np.float32)  # positive weights sum to 1
    if name == "blur":
        return np.outer(_binomial(kernel), _binomial(kernel))[None].astype(np.float32)
    if name == "sharpen":
        # unsharp masking: the pixel, plus how much it differs from its blurred neighbourhood
        delta = np.zeros((kernel, kernel))
        delta[kernel // 2, kernel // 2] = 1.0
        return (2 * delta - np.outer(_binomial(kernel), _binomial(kernel)))[None].astype(np.float32)
    if name == "random":
        rng = np.random.default_rng(seed)
        # He initialisation's scale: what a freshly created, untrained conv layer holds
        return (rng.standard_normal((depth, kernel, kernel)) * math.sqrt(2.0 / (kernel * kernel))).astype(np.float32)
    if name == "trained":
        if trained is None or trained.ndim != 4 or trained.shape[-1] != kernel or trained.shape[-2] != kernel:
            raise ValueError(f"the trained kernels are not {kernel}x{kernel}")
        return np.asarray(trained[:depth, 0], dtype=np.float32)
    raise ValueError(f"unknown preset {name!r}; use one of {', '.join(PRESETS)}")


# --- the layer on a digit ----------------------------------------------------------------------


def synthetic_digit(size: int = 28) -> np.ndarray:
    """A drawn "7" in MNIST's format (light ink on black, values 0..1), for when MNIST is absent."""
    yy, xx = np.mgrid[0:size, 0:size] / (size - 1)

    def distance(y0: float, x0: float, y1: float, x1: float) -> np.ndarray:
        """Each pixel's distance to the stroke from (y0, x0) to (y1, x1)."""
        dy, dx = y1 - y0, x1 - x0
        t = np.clip(((yy - y0) * dy + (xx - x0) * dx) / (dy * dy + dx * dx), 0.0, 1.0)
        return np.hypot(yy - (y0 + t * dy), xx - (x0 + t * dx))

    ink = np.minimum(distance(0.25, 0.28, 0.25, 0.72), distance(0.25, 0.72, 0.8, 0.45))
    return np.clip(1.5 - ink / 0.035, 0.0, 1.0).astype(np.float32)  # about 2.5 px wide, soft edges


def example_digits() -> tuple[dict[int, np.ndarray], bool]:
    """One MNIST test image per digit as floats 0..1, and True; or a drawn 7 and False without MNIST."""
    try:
        mnist = load_mnist()
    except DataError:
        return {7: synthetic_digit()}, False
    digits = {}
    for label in range(10):
        found = np.flatnonzero(mnist.test_labels == label)
        if len(found):
            digits[label] = mnist.test_images[found[0]].astype(np.float32) / 255.0
    return (digits, True) if digits else ({7: synthetic_digit()}, False)


def fit_image(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize a 2-D image to height x width (antialiased), so the digit matches the lab's input size."""
    x = torch.as_tensor(np.asarray(image, dtype=np.float32))[None, None]
    if x.shape[-2:] == (height, width):
        return x[0, 0].numpy()
    return F.interpolate(x, size=(height, width), mode="bilinear", antialias=True, align_corners=False)[0, 0].numpy()


def apply_layer(image: np.ndarray, settings: LabSettings, kernels: np.ndarray | None = None) -> np.ndarray:
    """Run the lab's layer on a one-channel image with real PyTorch ops.

    Args:
        image: H x W floats.
        settings: the layer (its op, kernel, stride, padding, dilation, ceil mode).
        kernels: conv and transposed conv: (n, K, K) filters, one output map each.
    Returns:
        (n, OH, OW) maps; one map for pooling.
    Raises:
        LayerError / RuntimeError: a setting PyTorch refuses (the page checks with explain_layer first).
    """
    x = torch.as_tensor(np.asarray(image, dtype=np.float32))[None, None]
    if settings.op == "convtranspose":
        # ConvTranspose2d's weight is (in, out, K, K): one input map painted by every filter
        weight = torch.as_tensor(np.asarray(kernels, dtype=np.float32))[None]
        y = F.conv_transpose2d(
            x,
            weight,
            stride=settings.stride,
            padding=int(settings.padding),
            output_padding=settings.output_padding,
            dilation=settings.dilation,
        )
    elif settings.op == "conv":
        weight = torch.as_tensor(np.asarray(kernels, dtype=np.float32))[:, None]
        # Pad explicitly, as PyTorch's padding='same' does internally (the extra pixel after): passing
        # 'same' with an even kernel would log a performance warning on every rerun of the page.
        before, after = resolve_padding(settings.padding, settings.kernel, settings.dilation, settings.stride)
        y = F.conv2d(
            F.pad(x, (before, after, before, after)), weight, stride=settings.stride, dilation=settings.dilation
        )
    else:
        padding = 0 if settings.padding == "valid" else int(settings.padding)
        if settings.op == "maxpool":
            y = F.max_pool2d(x, settings.kernel, settings.stride, padding, settings.dilation, settings.ceil_mode)
        else:
            y = F.avg_pool2d(x, settings.kernel, settings.stride, padding, settings.ceil_mode)
    return y[0].numpy()


def pytorch_shapes(config: LeNetConfig | NetSpec | str) -> dict[str, tuple[int, ...]]:
    """Shapes of every block's output in a real forward pass of the network on zeros (lenet.netmodel.build_model).

    Args:
        config: a valid LeNetConfig, or a network list (a NetSpec, its text or a preset's name).
    Returns:
        block name -> output shape without the batch dimension.
    """
    model = build_model(config).eval()
    shape = config.input_shape if isinstance(config, LeNetConfig) else netspec.INPUT_SHAPE
    with torch.no_grad():
        _, outputs = model.forward_with_activations(torch.zeros(1, *shape))
    return {name: tuple(output.shape[1:]) for name, output in outputs.items()}
