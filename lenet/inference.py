"""The one inference loop: a model's answers for a batch of uint8 digits, normalised as in training.

Training's evaluation, `evaluation.evaluate_model` (the Evaluate page, the Draw page's mistake picker,
`python -m lenet evaluate`) and `python -m lenet predict` all go through `predict`.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from lenet.data import normalise


@torch.inference_mode()
def predict(model: nn.Module, images: np.ndarray | torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """The model's logits for uint8 digits, computed batch by batch on the images' device.

    Args:
        model: a LeNet (any module mapping N x 1 x 28 x 28 to N x classes), on the images' device; it is
            put in eval mode.
        images: uint8 N x 28 x 28, ink 255 on 0; a numpy array is read on the CPU.
        batch_size: images per forward pass.
    Returns:
        N x classes logits, on the images' device.
    """
    model.eval()
    starts = range(0, len(images), batch_size) or [0]  # no images still gives a 0 x classes answer
    return torch.cat([model(normalise(_tensor(images[i : i + batch_size]))) for i in starts])


def _tensor(batch: np.ndarray | torch.Tensor) -> torch.Tensor:
    # A numpy batch is copied: MNIST's cached arrays are read-only, and torch warns about sharing those.
    return batch if isinstance(batch, torch.Tensor) else torch.tensor(batch)


def predict_probs(model: nn.Module, images: np.ndarray | torch.Tensor, batch_size: int = 1000) -> np.ndarray:
    """Class probabilities (N x classes, numpy) for uint8 digits: `predict`, then softmax."""
    return torch.softmax(predict(model, images, batch_size), dim=1).cpu().numpy()
