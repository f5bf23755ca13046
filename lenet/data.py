"""Finding MNIST on disk and loading it into uint8 tensors; downloading it on request.

The four standard IDX files are read directly (gzipped or raw), which is far faster
than torchvision's per-sample PIL pipeline and needs no network.
"""

from __future__ import annotations

import functools
import gzip
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lenet import settings
from lenet.errors import CodedError

FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
# Statistics of the MNIST training set, pixel values in [0, 1] (pytorch/examples mnist/main.py).
MEAN = 0.1307
STD = 0.3081
_EXPECTED = {"train": 60000, "test": 10000}
_MAGIC = {1: 2049, 3: 2051}  # labels, images


class DataError(CodedError, RuntimeError):
    """MNIST is missing or unreadable. The message says how to fix it."""

    default_code = "data_error"


def data_dir(path: str | os.PathLike | None = None) -> Path:
    """The MNIST folder: the argument, else $LENET_DATA_DIR, else the repository's data/mnist."""
    return Path(path).expanduser() if path else settings.current().data_dir


def normalise(images, augment=None):
    """uint8 images to the model's input: float32 N x 1 x 28 x 28, standardised with MNIST's MEAN and STD.

    Args:
        images: uint8, N x 28 x 28 or 28 x 28 (N x 1 x 28 x 28 too), ink 255 on 0. A numpy array gives a
            numpy array (preprocessing needs no torch); a tensor gives a tensor on the same device.
        augment: tensors only: a function applied to the batch in [0, 1] before it is standardised
            (training's augmentation).
    Returns:
        the normalised batch, a new array or tensor.
    """
    if isinstance(images, np.ndarray):
        x = images.astype(np.float32) / np.float32(255.0)
        return ((x - np.float32(MEAN)) / np.float32(STD)).reshape(-1, 1, *x.shape[-2:])
    x = images.reshape(-1, 1, *images.shape[-2:]).float().div_(255.0)
    if augment is not None:
        x = augment(x)
    return x.sub_(MEAN).div_(STD)


def _find(folder: Path, name: str) -> Path | None:
    for candidate in (
        folder / name,
        folder / f"{name}.gz",
        folder / "MNIST" / "raw" / name,
        folder / "MNIST" / "raw" / f"{name}.gz",
    ):
        if candidate.is_file():
            return candidate
    return None


def missing_message(folder: Path) -> str:
    return (
        f"MNIST not found in {folder}. Put the four files ({', '.join(f + '.gz' for f in FILES.values())}) "
        f"there, set LENET_DATA_DIR to the folder that has them, or download them with "
        f"`python -m lenet fetch-data --data-dir {folder}` (or the button on the Train page)."
    )


def is_available(path: str | os.PathLike | None = None) -> bool:
    """True when all four MNIST files are present (not checked for corruption)."""
    folder = data_dir(path)
    return all(_find(folder, name) for name in FILES.values())


def _read_idx(path: Path, ndim: int) -> np.ndarray:
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as fh:
            raw = fh.read()
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise DataError(
            f"{path} is corrupt or truncated ({exc}). Delete it and download MNIST again.",
            "data_corrupt",
            file=str(path),
        ) from None
    if len(raw) < 4 + 4 * ndim:
        raise DataError(
            f"{path} is truncated: only {len(raw)} bytes. Delete it and download MNIST again.",
            "data_corrupt",
            file=str(path),
        )
    magic, *dims = struct.unpack(f">{1 + ndim}I", raw[: 4 + 4 * ndim])
    if magic != _MAGIC[ndim]:
        raise DataError(
            f"{path} is not an MNIST IDX file (magic number {magic}, expected {_MAGIC[ndim]}).",
            "data_corrupt",
            file=str(path),
        )
    expected = int(np.prod(dims))
    body = raw[4 + 4 * ndim :]
    if len(body) != expected:
        raise DataError(
            f"{path} is truncated or padded: {len(body)} bytes of data, expected {expected}. "
            "Delete it and download MNIST again.",
            "data_corrupt",
            file=str(path),
        )
    return np.frombuffer(body, dtype=np.uint8).reshape(dims)


@dataclass(frozen=True)
class MNIST:
    """MNIST as uint8 arrays: images N x 28 x 28 (0 = background, 255 = ink) and labels N."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray


@functools.lru_cache(maxsize=4)
def _load(folder: str) -> MNIST:
    root = Path(folder)
    arrays = {}
    for key, name in FILES.items():
        path = _find(root, name)
        if path is None:
            raise DataError(missing_message(root), "data_missing", folder=str(root))
        arrays[key] = _read_idx(path, 3 if key.endswith("images") else 1)
    for split in ("train", "test"):
        n_img, n_lab = len(arrays[f"{split}_images"]), len(arrays[f"{split}_labels"])
        if n_img != n_lab:
            raise DataError(
                f"MNIST {split} set in {root} has {n_img} images but {n_lab} labels.", "data_corrupt", file=str(root)
            )
    return MNIST(**arrays)


def load_mnist(path: str | os.PathLike | None = None) -> MNIST:
    """Load all of MNIST once per process (cached), as uint8 numpy arrays.

    Args:
        path: the folder with the IDX files; default `data_dir()`.
    Returns:
        an MNIST with train and test images and labels.
    Raises:
        DataError: the files are missing (saying where to put them) or corrupt (naming the file).
    """
    return _load(str(data_dir(path).resolve()))


def fetch(path: str | os.PathLike | None = None, progress=None) -> Path:
    """Download MNIST through torchvision into `path`, as the four gzipped IDX files.

    Args:
        progress: optional callable(fraction, message) for a progress bar.
    Returns:
        the folder that now holds the files.
    """
    import shutil

    from torchvision.datasets import MNIST as TorchMNIST

    folder = data_dir(path)
    folder.mkdir(parents=True, exist_ok=True)
    if progress:
        progress(0.0, "downloading")
    try:
        TorchMNIST(root=str(folder), train=True, download=True)
        if progress:
            progress(0.6, "train set ready")
        TorchMNIST(root=str(folder), train=False, download=True)
    except Exception as exc:  # network errors come in many types; report one clear line
        raise DataError(
            f"Could not download MNIST into {folder}: {exc}. Check the internet connection, or copy "
            f"the four files there by hand.",
            "download_failed",
            folder=str(folder),
        ) from None
    raw = folder / "MNIST" / "raw"
    for name in FILES.values():
        src = raw / f"{name}.gz" if (raw / f"{name}.gz").exists() else raw / name
        if src.exists() and not (folder / src.name).exists():
            shutil.copy2(src, folder / src.name)
    _load.cache_clear()
    if progress:
        progress(1.0, "done")
    return folder


SAMPLE_PATH = settings.ROOT / "assets" / "mnist_test_sample.npz"


def picker_digits(path: str | os.PathLike | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """MNIST test digits for pickers: the full test set when available, else the shipped 500-digit sample.

    Args:
        path: the MNIST folder; default `data_dir()`.
    Returns:
        (images N x 28 x 28 uint8, labels N, indices into the MNIST test set N, is_full_set).
    """
    try:
        m = load_mnist(path)
    except DataError:
        return _sample()
    return m.test_images, m.test_labels, np.arange(len(m.test_labels)), True


@functools.lru_cache(maxsize=1)
def _sample() -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    with np.load(SAMPLE_PATH) as z:
        return z["images"], z["labels"], z["indices"], False
