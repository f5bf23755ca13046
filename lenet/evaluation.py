"""How well a model reads the MNIST test set: accuracy, per-class accuracy, confusion matrix and mistakes.

Pure computation on numpy arrays; ui.evaluation caches one per checkpoint version for the Evaluate page and
the Draw page's mistake picker.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import torch

from lenet.checkpoints import load_checkpoint
from lenet.data import MNIST, load_mnist
from lenet.inference import predict_probs


@dataclass(frozen=True)
class Mistake:
    """One misclassified test digit."""

    index: int  # into the MNIST test set
    true: int
    pred: int
    confidence: float  # the probability the model gave its (wrong) answer


@dataclass(frozen=True)
class Evaluation:
    """A model's results on a labelled set of digits."""

    confusion: np.ndarray  # classes x classes counts; rows are the true digit, columns the prediction
    wrong_index: np.ndarray  # test-set indices of the mistakes, most confident mistake first
    wrong_pred: np.ndarray
    wrong_true: np.ndarray
    wrong_confidence: np.ndarray

    @property
    def n(self) -> int:
        return int(self.confusion.sum())

    @property
    def correct(self) -> int:
        return int(np.trace(self.confusion))

    @property
    def accuracy(self) -> float:
        return self.correct / max(self.n, 1)

    @property
    def class_counts(self) -> np.ndarray:
        """How many digits of each true class there are."""
        return self.confusion.sum(axis=1)

    @property
    def per_class(self) -> np.ndarray:
        """The share of each true class read correctly (NaN for a class with no digits)."""
        counts = self.class_counts
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(counts > 0, np.diag(self.confusion) / np.maximum(counts, 1), np.nan)

    def mistakes(self, true: int | None = None, pred: int | None = None, limit: int | None = None) -> list[Mistake]:
        """The mistakes, most confident first, optionally only those of one true or predicted digit."""
        keep = np.ones(len(self.wrong_index), bool)
        if true is not None:
            keep &= self.wrong_true == true
        if pred is not None:
            keep &= self.wrong_pred == pred
        rows = np.flatnonzero(keep)[:limit]
        return [
            Mistake(
                int(self.wrong_index[i]),
                int(self.wrong_true[i]),
                int(self.wrong_pred[i]),
                float(self.wrong_confidence[i]),
            )
            for i in rows
        ]


def evaluate_model(
    model: torch.nn.Module,
    images: np.ndarray,
    labels: np.ndarray,
    num_classes: int = 10,
    indices: np.ndarray | None = None,
) -> Evaluation:
    """Evaluate `model` on uint8 images and their labels.

    Args:
        model: a LeNet (any module mapping N x 1 x 28 x 28 to N x classes logits).
        images: uint8 N x 28 x 28, ink 255 on 0.
        labels: N true classes.
        num_classes: the confusion matrix's size.
        indices: each image's index in the MNIST test set, for the mistakes; default its position.
    Returns:
        the confusion matrix and the mistakes, most confident first.
    """
    probs = predict_probs(model, images)
    labels = np.asarray(labels, dtype=np.int64)
    pred = probs.argmax(axis=1) if len(probs) else np.zeros(0, np.int64)
    confusion = np.bincount(labels * num_classes + pred, minlength=num_classes * num_classes)
    wrong = np.flatnonzero(pred != labels)
    confidence = probs[wrong, pred[wrong]]
    order = np.argsort(-confidence, kind="stable")  # the most confident mistakes teach the most
    wrong = wrong[order]
    wrong_index = wrong if indices is None else np.asarray(indices)[wrong]
    return Evaluation(
        confusion=confusion.reshape(num_classes, num_classes),
        wrong_index=wrong_index,
        wrong_pred=pred[wrong],
        wrong_true=labels[wrong],
        wrong_confidence=confidence[order],
    )


def evaluate_checkpoint(path: str | os.PathLike, data: MNIST | None = None) -> Evaluation:
    """Evaluate the checkpoint at `path` on the 10,000 MNIST test digits.

    Raises:
        CheckpointError: the file is missing, corrupt or not ours.
        DataError: MNIST is missing or corrupt.
    """
    model, info = load_checkpoint(path, device="cpu")
    data = data or load_mnist()
    return evaluate_model(model, data.test_images, data.test_labels, info.num_classes)
