"""Decoding uploaded files safely into images: size limits, the formats accepted, modes converted.

Only numpy and PIL are used, so uploads can be checked without torch. What is done with the picture
afterwards, MNIST's recipe, is lenet.preprocess.
"""

from __future__ import annotations

import io
import struct
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from lenet.errors import CodedError
from lenet.settings import UPLOAD_LIMIT_MB

_MB = 1024 * 1024  # Streamlit's megabyte, as in server.maxUploadSize
MAX_BYTES = UPLOAD_LIMIT_MB * _MB  # the upload limit: server.maxUploadSize in .streamlit/config.toml
MAX_PIXELS = 40_000_000  # 40 megapixels: a modern phone photo fits, a decompression bomb does not
# Work size cap: the output is 20 px, so more than this only costs time. A digit that fills even
# a twentieth of a photo still keeps 50 px.
MAX_SIDE = 1024
# Formats a user might reasonably upload. Naming them keeps PIL from trying its rarer decoders on
# arbitrary bytes.
_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF", "PPM")


class ImageError(CodedError, ValueError):
    """An upload that cannot be used as an image; `code` and `params` let the UI translate it.

    Codes: "empty_file", "too_large" (params size_mb, limit_mb), "not_an_image",
    "decompression_bomb" (params width, height, limit_mp).
    """


# PIL reports bad data with many exception types; all of them mean "not a usable image".
_DECODE_ERRORS = (
    UnidentifiedImageError,
    OSError,
    SyntaxError,
    ValueError,
    TypeError,
    EOFError,
    IndexError,
    KeyError,
    struct.error,
)


def load_image(data: bytes) -> Image.Image:
    """Decode an uploaded file safely into an image in mode L, LA, RGB or RGBA.

    Args:
        data: the file's bytes.
    Returns:
        the decoded image, EXIF orientation applied, exotic modes (16-bit, CMYK, palette, ...) converted.
    Raises:
        ImageError: code "empty_file", "too_large", "not_an_image" (not an image, corrupt or
            truncated) or "decompression_bomb" (declares more than MAX_PIXELS).
    """
    _check_size(data)
    try:
        with warnings.catch_warnings():
            # Our own MAX_PIXELS is below PIL's warning threshold, so the size check in _decode decides.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return _normalise_mode(ImageOps.exif_transpose(_decode(data)))
    except ImageError:
        raise
    except Image.DecompressionBombError:
        # PIL refused it before we could see its size; read the size from the header if we can.
        raise _bomb(*_declared_size(data)) from None
    except _DECODE_ERRORS as exc:
        raise ImageError(f"The file is not a readable image ({type(exc).__name__}).", "not_an_image") from None


def _check_size(data: bytes) -> None:
    """Refuse an empty file, or one over the server's upload limit."""
    if not data:
        raise ImageError("The file is empty.", "empty_file")
    if len(data) > MAX_BYTES:
        size_mb = round(len(data) / _MB, 1)
        raise ImageError(
            f"The file is {size_mb} MB; the limit is {UPLOAD_LIMIT_MB} MB.",
            "too_large",
            size_mb=size_mb,
            limit_mb=UPLOAD_LIMIT_MB,
        )


def _bomb(width: int, height: int) -> ImageError:
    """The error for an image that declares more pixels than MAX_PIXELS."""
    return ImageError(
        f"The image declares {width}x{height} pixels; the limit is {MAX_PIXELS / 1e6:.0f} megapixels.",
        "decompression_bomb",
        width=width,
        height=height,
        limit_mp=round(MAX_PIXELS / 1e6),
    )


def _decode(data: bytes) -> Image.Image:
    """Open one of _FORMATS, check its declared size before decoding, then decode its first frame."""
    img = Image.open(io.BytesIO(data), formats=_FORMATS)
    width, height = img.size
    if width * height > MAX_PIXELS:
        raise _bomb(width, height)
    img.seek(0)  # animated files: the first frame
    if img.format == "JPEG":
        # Let libjpeg decode at 1/2, 1/4 or 1/8 scale: a phone photo loads several times faster.
        # The requested size keeps the aspect ratio, so the longer side stays >= MAX_SIDE.
        f = MAX_SIDE / max(width, height)
        if f < 1:
            img.draft(None, (max(1, int(width * f)), max(1, int(height * f))))
    img.load()  # decode now, so a truncated file fails here and not later on the page
    return img


def _declared_size(data: bytes) -> tuple[int | str, int | str]:
    """Width and height from a PNG, GIF, BMP or JPEG header; "?" for other formats."""
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 <= len(data) and data[i] == 0xFF:
            marker = data[i + 1]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # a start-of-frame
                h, w = struct.unpack(">HH", data[i + 5 : i + 9])
                return w, h
            i += 2 + struct.unpack(">H", data[i + 2 : i + 4])[0]
        return "?", "?"
    if data.startswith(b"\x89PNG") and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:4] == b"GIF8" and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if data[:2] == b"BM" and len(data) >= 26:
        w, h = struct.unpack("<ii", data[18:26])
        return abs(w), abs(h)
    return "?", "?"


def _normalise_mode(img: Image.Image) -> Image.Image:
    """Convert any PIL mode to L, LA, RGB or RGBA without clipping 16-bit or float data."""
    mode = img.mode
    if mode in ("L", "LA", "RGB", "RGBA"):
        return img
    if mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        # PIL's convert("L") clips these to 0..255 instead of scaling; scale the real range.
        arr = np.asarray(img, dtype=np.float64)
        if mode.startswith("I;16"):
            top = 65535.0
        elif mode == "I" and arr.size and arr.max() > 255:
            top = 65535.0 if arr.max() <= 65535 else float(arr.max())
        elif mode == "F" and arr.size and arr.max() <= 1.0:
            top = 1.0
        else:
            top = 255.0
        arr = np.clip(np.nan_to_num(arr) / top * 255.0, 0, 255)
        return Image.fromarray(np.round(arr).astype(np.uint8), "L")
    if mode == "1":
        return img.convert("L")
    if mode in ("P", "PA"):
        has_alpha = mode == "PA" or "transparency" in img.info
        return img.convert("RGBA" if has_alpha else "RGB")
    if mode in ("La", "RGBa"):
        return img.convert("RGBA" if mode == "RGBa" else "LA")
    # CMYK, YCbCr, LAB, HSV, RGBX, ...
    return img.convert("RGB")


def to_array(image: Image.Image | np.ndarray) -> np.ndarray:
    """Any image as a uint8 array the preprocessing can work on, shrunk to at most MAX_SIDE px.

    Args:
        image: a PIL image (any mode) or an array: HxW, HxWx1, HxWx2, HxWx3 or HxWx4; uint8, bool,
            16-bit or float (0..1; any other range is scaled by its maximum).
    Returns:
        uint8 HxW, HxWx2, HxWx3 or HxWx4.
    Raises:
        ValueError: for an array of any other shape, or an empty one.
    """
    if isinstance(image, Image.Image):
        image = _normalise_mode(image)
        if max(image.size) > MAX_SIDE:
            image = image.copy()
            image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.BOX)
        return np.asarray(image)
    arr = np.asarray(image)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (2, 3, 4)) or 0 in arr.shape:
        raise ValueError(f"expected an HxW, HxWx3 or HxWx4 image, got shape {arr.shape}")
    if arr.dtype == np.bool_:
        arr = arr.astype(np.uint8) * 255
    elif arr.dtype != np.uint8:
        arr = np.nan_to_num(arr.astype(np.float64))
        top = float(arr.max())
        # Floats in 0..1 keep their meaning; any other range (16-bit data, scikit-learn's 0..16
        # digits) is scaled by its maximum, as the contrast is stretched later anyway.
        scale = 1.0 if top <= 1.0 else top
        arr = np.clip(arr / scale * 255.0, 0, 255).astype(np.uint8)
    if max(arr.shape[:2]) > MAX_SIDE:
        return to_array(Image.fromarray(arr))
    return arr
