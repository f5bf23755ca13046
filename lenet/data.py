"""Finding MNIST on disk and loading it into uint8 arrays; downloading it on request.

The four standard IDX files are read directly (gzipped or raw), which is far faster
than torchvision's per-sample PIL pipeline and needs no network. Decoding the gzip still takes a
noticeable part of a second, and a training process did it on every run, so the decoded bytes are kept
in one cache file that later loads memory-map (see `build_cache`).
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import io
import json
import logging
import math
import mmap
import os
import struct
import tempfile
import time
import zipfile
import zlib
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
# The decoded cache: this name beside the IDX files, or mnist-<folder digest>.cache in settings' cache_dir
# when the data folder is read-only. Its layout: CACHE_MAGIC, the JSON header's length (8 bytes, little
# endian), the JSON header (the source files' names, sizes and mtimes; each array's shape, offset and CRC-32;
# the file's total size), then the arrays' bytes.
CACHE_NAME = "lenet-mnist.cache"
CACHE_MAGIC = b"LENETMN1"
_ALIGN = 64  # each array starts on a cache line

log = logging.getLogger(__name__)


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
    try:
        return parse_idx(raw, ndim)
    except ValueError as exc:
        raise DataError(f"{path}: {exc}. Delete it and download MNIST again.", "data_corrupt", file=str(path)) from None


def parse_idx(raw: bytes, ndim: int) -> np.ndarray:
    """One IDX file's bytes (MNIST's format: magic, big-endian dimensions, uint8 data) as an array.

    Args:
        raw: the file's bytes, not gzipped.
        ndim: 1 for labels, 3 for images.
    Raises:
        ValueError: saying what is wrong (truncated, padded, not IDX).
    """
    if len(raw) < 4 + 4 * ndim:
        raise ValueError(f"truncated: only {len(raw)} bytes")
    magic, *dims = struct.unpack(f">{1 + ndim}I", raw[: 4 + 4 * ndim])
    if magic != _MAGIC[ndim]:
        raise ValueError(f"not an MNIST IDX file (magic number {magic}, expected {_MAGIC[ndim]})")
    expected = int(np.prod(dims))
    body = raw[4 + 4 * ndim :]
    if len(body) != expected:
        raise ValueError(f"truncated or padded: {len(body)} bytes of data, expected {expected}")
    return np.frombuffer(body, dtype=np.uint8).reshape(dims)


# A digits dataset a person brings (a class's export, or their own): at most this many digits and bytes.
DATASET_MAX_DIGITS = 100_000
DATASET_MAX_BYTES = DATASET_MAX_DIGITS * (28 * 28 + 1) + 4096


def read_dataset(source: bytes | str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Digits in MNIST's format: a .npz with arrays `images` and `labels`, or a zip of two IDX files.

    This is what class mode exports, so a class's digits can be trained on (the Train page, the CLI's
    `--extra-data`). Nothing in the file is executed or unpickled, and sizes are checked before reading.
    Args:
        source: the file's bytes, or its path.
    Returns:
        (images N x 28 x 28 uint8, 0 = background; labels N uint8 in 0..9).
    Raises:
        DataError "dataset_bad" with a `reason` in English, for anything else.
    """
    try:
        raw = source if isinstance(source, bytes) else Path(source).read_bytes()
        if len(raw) > DATASET_MAX_BYTES:
            raise ValueError(f"the file is larger than {DATASET_MAX_BYTES // 2**20} MB")
        if raw[:2] != b"PK":
            raise ValueError("it is neither a .npz nor a zip of MNIST IDX files")
        images, labels = _dataset_arrays(raw)
        return _checked_dataset(images, labels)
    except (ValueError, OSError, KeyError, zipfile.BadZipFile, EOFError) as exc:
        raise DataError(f"this is not a digits dataset: {exc}", "dataset_bad", reason=str(exc)) from None


def save_dataset(images: np.ndarray, labels: np.ndarray, stem: str, max_age_s: float | None = None) -> Path:
    """Write digits as an .npz into the runs folder's `datasets/` (which every replica and training node can
    read), atomically, for a run's `extra_data`. Files there older than `max_age_s` are swept first.

    Returns:
        the new file's path, `<stem>-<content digest>.npz`: the same digits saved twice are one file.
    """
    folder = settings.current().runs_dir / "datasets"
    folder.mkdir(parents=True, exist_ok=True)
    if max_age_s is not None:
        cutoff = time.time() - max_age_s
        for old in folder.glob("*.npz"):
            if old.stat().st_mtime < cutoff:
                old.unlink(missing_ok=True)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, images=np.asarray(images, np.uint8), labels=np.asarray(labels, np.uint8))
    body = buffer.getvalue()
    path = folder / f"{stem}-{hashlib.sha256(body).hexdigest()[:12]}.npz"
    if path.is_file():
        os.utime(path)  # the same digits, saved already (a page's rerun): only its age is renewed
        return path
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _dataset_arrays(raw: bytes) -> tuple[np.ndarray, np.ndarray]:
    """The images and labels inside a zip (an .npz is one too), each member's size checked before reading."""
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        members = {info.filename: info for info in archive.infolist()}
        if sum(info.file_size for info in members.values()) > DATASET_MAX_BYTES:
            raise ValueError(f"it unpacks to more than {DATASET_MAX_BYTES // 2**20} MB")
        if {"images.npy", "labels.npy"} <= set(members):
            with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
                return np.asarray(npz["images"]), np.asarray(npz["labels"])
        names = {Path(name).name.removesuffix(".gz"): name for name in members}
        kinds = ("images-idx3-ubyte", "labels-idx1-ubyte")
        found = [next((names[n] for n in names if n.endswith(kind)), None) for kind in kinds]
        if None in found:
            raise ValueError("it holds no images-idx3-ubyte and labels-idx1-ubyte files")
        arrays = []
        for name, ndim in zip(found, (3, 1), strict=True):
            with archive.open(name) as member:
                body = (gzip.GzipFile(fileobj=member) if name.endswith(".gz") else member).read(DATASET_MAX_BYTES + 1)
            if len(body) > DATASET_MAX_BYTES:
                raise ValueError(f"{name} unpacks to more than {DATASET_MAX_BYTES // 2**20} MB")
            arrays.append(parse_idx(body, ndim))
        return arrays[0], arrays[1]


def _checked_dataset(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"the images are {'x'.join(map(str, images.shape))}, not N x 28 x 28")
    if labels.shape != (len(images),):
        raise ValueError(f"{len(images)} images but {labels.size} labels")
    if not 1 <= len(images) <= DATASET_MAX_DIGITS:
        raise ValueError(f"{len(images)} digits: bring 1 to {DATASET_MAX_DIGITS}")
    if images.dtype != np.uint8 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError("the images must be bytes (uint8) and the labels whole numbers")
    if labels.min() < 0 or labels.max() > 9:
        raise ValueError("a label is outside 0-9")
    return np.ascontiguousarray(images), labels.astype(np.uint8)


@dataclass(frozen=True)
class MNIST:
    """MNIST as uint8 arrays: images N x 28 x 28 (0 = background, 255 = ink) and labels N."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray


def _sources(root: Path) -> dict[str, Path]:
    """The four IDX files in `root`, by key; DataError "data_missing" when one is not there."""
    found = {key: _find(root, name) for key, name in FILES.items()}
    if not all(found.values()):
        raise DataError(missing_message(root), "data_missing", folder=str(root))
    return found


def _stamp(sources: dict[str, Path]) -> tuple[tuple[str, int, int], ...]:
    """What identifies this version of the files: each one's name, size and modification time (ns)."""
    stats = {key: path.stat() for key, path in sources.items()}
    return tuple((sources[key].name, stats[key].st_size, stats[key].st_mtime_ns) for key in FILES)


def _decode(root: Path, sources: dict[str, Path]) -> dict[str, np.ndarray]:
    """The four IDX files decoded and checked against each other."""
    arrays = {key: _read_idx(path, 3 if key.endswith("images") else 1) for key, path in sources.items()}
    for split in ("train", "test"):
        n_img, n_lab = len(arrays[f"{split}_images"]), len(arrays[f"{split}_labels"])
        if n_img != n_lab:
            raise DataError(
                f"MNIST {split} set in {root} has {n_img} images but {n_lab} labels.", "data_corrupt", file=str(root)
            )
    return arrays


def cache_paths(path: str | os.PathLike | None = None) -> list[Path]:
    """Where the decoded cache of an MNIST folder may live, in the order they are tried.

    Args:
        path: the MNIST folder; default `data_dir()`.
    Returns:
        beside the data first, then the user's cache folder (`settings.current().cache_dir`), for a data
        folder that is read-only (not writable, or without any write permission bit, even for root).
    """
    root = data_dir(path).resolve()
    digest = hashlib.sha256(str(root).encode()).hexdigest()[:16]
    return [root / CACHE_NAME, settings.current().cache_dir / f"mnist-{digest}.cache"]


def _aligned(n: int) -> int:
    return -(-n // _ALIGN) * _ALIGN


def _read_cache(cache: Path, stamp: tuple) -> dict[str, np.ndarray] | None:
    """The cached arrays, memory-mapped read-only, or None unless the file is whole, current and intact."""
    try:
        with cache.open("rb") as fh:
            head = fh.read(len(CACHE_MAGIC) + 8)
            if len(head) < len(CACHE_MAGIC) + 8 or not head.startswith(CACHE_MAGIC):
                return None
            length = int.from_bytes(head[len(CACHE_MAGIC) :], "little")
            header = json.loads(fh.read(length))
            if header.get("sources") != [list(s) for s in stamp]:
                return None  # made from other files: MNIST was replaced since
            mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        start = _aligned(len(head) + length)
        # A half-written or truncated file has the wrong size; a damaged one fails an array's checksum.
        if len(mapped) != start + header["payload"]:
            return None
        arrays, view = {}, memoryview(mapped)
        for key in FILES:
            shape, offset, crc = header["arrays"][key]
            count, offset = math.prod(shape), start + offset
            if offset + count > len(mapped) or zlib.crc32(view[offset : offset + count]) != crc:
                return None
            arrays[key] = np.frombuffer(mapped, np.uint8, count, offset).reshape(shape)
    except (OSError, ValueError, KeyError, TypeError):
        return None  # unreadable, empty or a broken header: rebuilt like a missing one
    return arrays


def _cached(root: Path, stamp: tuple) -> dict[str, np.ndarray] | None:
    """The first whole and current cache of `root`'s files, memory-mapped; None when there is none."""
    for cache in cache_paths(root):
        arrays = _read_cache(cache, stamp)
        if arrays is not None:
            return arrays
    return None


def _write_cache(root: Path, stamp: tuple, arrays: dict[str, np.ndarray]) -> Path | None:
    """Write the cache to the first place that takes it; None when none does (the run goes on without it)."""
    layout, payload = {}, 0
    for key in FILES:
        layout[key] = [list(arrays[key].shape), payload, zlib.crc32(arrays[key])]
        payload = _aligned(payload + arrays[key].size)
    header = json.dumps({"sources": [list(s) for s in stamp], "arrays": layout, "payload": payload}).encode()
    head = CACHE_MAGIC + len(header).to_bytes(8, "little") + header
    for target in cache_paths(root):
        if target.parent == root and not _writable(root):
            continue
        try:
            return _write_atomically(target, head, arrays, layout, payload)
        except OSError as exc:
            log.debug("MNIST cache not written to %s: %s", target, exc)
    return None


def _writable(folder: Path) -> bool:
    """True when we may write into `folder`: allowed, and not marked read-only (which root could ignore)."""
    try:
        return os.access(folder, os.W_OK) and bool(folder.stat().st_mode & 0o222)
    except OSError:
        return False


def _write_atomically(target: Path, head: bytes, arrays: dict, layout: dict, payload: int) -> Path:
    """Write into a temporary file beside `target`, then rename it over: readers see the old file or the new."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    start = _aligned(len(head))
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(head)
            for key, (_, offset, _) in layout.items():
                fh.seek(start + offset)
                fh.write(np.ascontiguousarray(arrays[key]).data)
            fh.truncate(start + payload)
            fh.flush()
            os.fsync(fh.fileno())  # the bytes are on disk before the name points at them
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def read_cache(path: str | os.PathLike | None = None) -> MNIST | None:
    """MNIST from its decoded cache, memory-mapped, if a whole and current one exists; else None.

    Args:
        path: the MNIST folder; default `data_dir()`.
    Returns:
        read-only arrays backed by the cache file, or None (no cache, or one that is stale, truncated or damaged).
    Raises:
        DataError: the IDX files themselves are missing.
    """
    root = data_dir(path).resolve()
    arrays = _cached(root, _stamp(_sources(root)))
    return MNIST(**arrays) if arrays is not None else None


def build_cache(path: str | os.PathLike | None = None) -> Path | None:
    """Decode the IDX files and write the cache atomically, whatever is there now.

    Args:
        path: the MNIST folder; default `data_dir()`.
    Returns:
        the cache file written, or None when neither place was writable.
    Raises:
        DataError: the IDX files are missing or corrupt.
    """
    root = data_dir(path).resolve()
    sources = _sources(root)
    return _write_cache(root, _stamp(sources), _decode(root, sources))


@functools.lru_cache(maxsize=4)
def _load(folder: str, stamp: tuple) -> MNIST:
    root = Path(folder)
    arrays = _cached(root, stamp)
    if arrays is None:
        arrays = _decode(root, _sources(root))
        _write_cache(root, stamp, arrays)
    return MNIST(**arrays)


def load_mnist(path: str | os.PathLike | None = None) -> MNIST:
    """Load all of MNIST once per process and version of the files (cached), as uint8 numpy arrays.

    The first load decodes the IDX files and writes the decoded cache (`build_cache`); later loads, in any
    process, memory-map it as long as the files are unchanged and the cache is intact.

    Args:
        path: the folder with the IDX files; default `data_dir()`.
    Returns:
        an MNIST with train and test images and labels (read-only arrays).
    Raises:
        DataError: the files are missing (saying where to put them) or corrupt (naming the file).
    """
    root = data_dir(path).resolve()
    return _load(str(root), _stamp(_sources(root)))


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
