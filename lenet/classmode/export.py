"""A class's digits as an MNIST-format dataset: the IDX files (zipped, as MNIST ships them) or one .npz.

lenet.data reads the IDX format back; the two writers here produce exactly what it reads.
"""

from __future__ import annotations

import io
import struct
import zipfile

import numpy as np

IMAGES_NAME = "train-images-idx3-ubyte"  # MNIST's own file names, so a tool that reads MNIST reads these
LABELS_NAME = "train-labels-idx1-ubyte"
_UBYTE = 0x08  # IDX type code for unsigned bytes (http://yann.lecun.com/exdb/mnist/, "THE IDX FILE FORMAT")


def idx_bytes(array: np.ndarray) -> bytes:
    """One uint8 array as an IDX file: magic (0, 0, type, ndim), the dimensions big-endian, then the data.

    Args:
        array: uint8, any shape (N for labels, N x 28 x 28 for images).
    Returns:
        The file's bytes.
    """
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(">BBBB", 0, 0, _UBYTE, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.tobytes()


def idx_zip(images: np.ndarray, labels: np.ndarray) -> bytes:
    """Images (N x 28 x 28 uint8) and labels (N) as a zip of the two IDX files, named as MNIST names them."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(IMAGES_NAME, idx_bytes(images))
        archive.writestr(LABELS_NAME, idx_bytes(labels))
    return buffer.getvalue()


def npz_bytes(images: np.ndarray, labels: np.ndarray) -> bytes:
    """Images (N x 28 x 28 uint8) and labels (N) as a compressed .npz with arrays `images` and `labels`."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, images=np.asarray(images, dtype=np.uint8), labels=np.asarray(labels, dtype=np.uint8))
    return buffer.getvalue()
