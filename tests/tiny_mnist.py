"""A tiny, learnable MNIST written as real IDX files, so page tests train and evaluate in about a second."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

from lenet.data import FILES


def bars(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Images whose label is the row of a horizontal bar: a toy a LeNet learns in a few steps."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    images = np.zeros((n, 28, 28), np.uint8)
    for i, y in enumerate(labels):
        images[i, 4 + 2 * y : 6 + 2 * y, 6:22] = 255
    return images, labels


def write_tiny_mnist(folder: Path, n_train: int = 1024, n_test: int = 200, wrong_test_labels: int = 0) -> Path:
    """Write the four gzipped IDX files into `folder`. 1024 training digits = 8 batches of 128.

    wrong_test_labels: give the first this many test digits the next label instead of their own, so even a
    model that learned the bars perfectly makes mistakes (an Evaluate page with a gallery) and scores at most
    1 - wrong_test_labels / n_test (10 of 200: at most 95 %, never 100 %).
    """
    if not 0 <= wrong_test_labels <= n_test:
        raise ValueError(f"wrong_test_labels must be between 0 and n_test ({n_test}), not {wrong_test_labels}")
    folder.mkdir(parents=True, exist_ok=True)
    test_images, test_labels = bars(n_test, 1)
    test_labels[:wrong_test_labels] = (test_labels[:wrong_test_labels] + 1) % 10
    arrays = {"train": bars(n_train, 0), "test": (test_images, test_labels)}
    for key, name in FILES.items():
        split, kind = key.split("_")
        images, labels = arrays[split]
        if kind == "images":
            payload = struct.pack(">4I", 2051, len(images), 28, 28) + images.tobytes()
        else:
            payload = struct.pack(">2I", 2049, len(labels)) + labels.tobytes()
        with gzip.open(folder / f"{name}.gz", "wb") as fh:
            fh.write(payload)
    return folder
