"""Preprocessing (lenet.preprocess) on synthetic drawings with known answers, and safe decoding of uploads
(lenet.images)."""

import io
import struct
import time
import tomllib
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw
from strokes import digit_strokes, render

from lenet import images
from lenet import preprocess as P
from lenet.data import MEAN, STD


def canvas(digit=3, size=0.6, center=(0.5, 0.5), brush=18, style=0):
    """A canvas image (RGBA, white ink on transparent) of a template digit."""
    return render(digit_strokes(digit, size=size, center=center, style=style), 280, brush)


def ink_extent(img):
    rows, cols = np.flatnonzero(img.any(1)), np.flatnonzero(img.any(0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def centre_of_mass(img):
    m = img.astype(np.float64)
    ys, xs = np.mgrid[: m.shape[0], : m.shape[1]]
    return (m * ys).sum() / m.sum(), (m * xs).sum() / m.sum()


def similarity(a, b):
    """Cosine similarity of two images."""
    a, b = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def encode(img: Image.Image, fmt="PNG", **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def naive_resize(image) -> np.ndarray:
    """The baseline the recipe replaces: the whole image resized to 28x28, no cropping or centring,
    with the polarity fixed the same way as `preprocess` (ink bright)."""
    gray, _ = P._stretch(P._ink_gray(images.to_array(image), False), False)
    return np.asarray(Image.fromarray(gray).resize((28, 28), Image.Resampling.BILINEAR))


def png_header_only(width, height) -> bytes:
    """A PNG whose header declares width x height pixels, with no real image data behind it."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def jpeg_declaring(width, height) -> bytes:
    """A tiny JPEG whose frame header is edited to declare width x height pixels."""
    data = bytearray(encode(Image.new("L", (16, 16)), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


REFERENCE = P.canvas_to_input(canvas()).image


# --- output format --------------------------------------------------------------------------


def test_output_format_is_exactly_mnists():
    r = P.canvas_to_input(canvas())
    assert not r.empty and r.reason is None
    assert [k for k, _ in r.steps] == ["raw", "cropped", "scaled", "centred"]
    assert all(a.dtype == np.uint8 and a.ndim == 2 for _, a in r.steps)
    assert r.image.shape == (28, 28) and r.image.dtype == np.uint8
    assert r.image is r.step("centred")
    assert r.image.max() == 255 and r.image[0].max() == 0  # ink bright, border clear
    assert r.input.shape == (1, 1, 28, 28) and r.input.dtype == np.float32
    expected = (r.image.astype(np.float32) / 255 - MEAN) / STD
    np.testing.assert_allclose(r.input[0, 0], expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("digit", range(10))
def test_longer_side_is_20_and_centre_of_mass_is_centred(digit):
    r = P.canvas_to_input(canvas(digit, size=0.5, center=(0.35, 0.6)))
    assert max(ink_extent(r.image)) == 20
    cy, cx = centre_of_mass(r.image)
    assert abs(cy - 14) <= 1 and abs(cx - 14) <= 1


# --- synthetic drawings with known answers ---------------------------------------------------


def test_shifted_drawing_gives_the_same_image():
    a = P.canvas_to_input(canvas(center=(0.3, 0.35)))
    b = P.canvas_to_input(canvas(center=(0.7, 0.62)))
    assert similarity(a.image, b.image) > 0.97


def test_scaled_drawing_gives_nearly_the_same_image():
    small = P.canvas_to_input(canvas(size=0.35, brush=10)).image
    large = P.canvas_to_input(canvas(size=0.9, brush=26)).image
    assert similarity(small, large) > 0.9
    assert max(ink_extent(small)) == max(ink_extent(large)) == 20


@pytest.mark.parametrize("brush", [3, 6, 40])
def test_thin_and_thick_strokes_end_up_with_mnist_like_width(brush):
    r = P.canvas_to_input(canvas(7, size=0.6, brush=brush))
    assert not r.empty
    mass = r.image.sum() / 255  # MNIST's 5th-95th percentile: about 53-161
    assert 45 < mass < 170, mass
    assert similarity(r.image, P.canvas_to_input(canvas(7, size=0.6, brush=18)).image) > 0.8


def test_black_on_white_is_inverted():
    rgba = canvas()
    black_on_white = 255 - rgba[..., 3]
    r = P.preprocess(black_on_white)
    assert similarity(r.image, REFERENCE) > 0.98
    rgb = np.dstack([black_on_white] * 3)
    assert similarity(P.preprocess(rgb).image, REFERENCE) > 0.98


def test_rgba_transparent_background_any_ink_colour():
    alpha = canvas()[..., 3]
    for colour in (0, 255, 128):  # black, white or grey ink on a transparent background
        rgba = np.dstack([np.full_like(alpha, colour)] * 3 + [alpha])
        assert similarity(P.preprocess(rgba).image, REFERENCE) > 0.98


def test_canvas_on_opaque_black_background():
    alpha = canvas()[..., 3]
    rgba = np.dstack([alpha, alpha, alpha, np.full_like(alpha, 255)])
    assert similarity(P.canvas_to_input(rgba).image, REFERENCE) > 0.98
    assert similarity(P.preprocess(rgba).image, REFERENCE) > 0.98


def test_photo_like_grey_paper_with_noise():
    rng = np.random.default_rng(0)
    ink = canvas()[..., 3].astype(np.float64) / 255
    photo = 200 - 140 * ink + rng.normal(0, 6, ink.shape)  # grey paper, dark grey pencil, noise
    r = P.preprocess(np.clip(photo, 0, 255).astype(np.uint8))
    assert not r.empty and similarity(r.image, REFERENCE) > 0.95


def test_isolated_speck_is_ignored():
    rgba = canvas(center=(0.4, 0.5)).copy()
    rgba[270:273, 270:273] = 255  # a 3x3 speck in the corner
    assert P.canvas_to_input(rgba).info["bbox"] == P.canvas_to_input(canvas(center=(0.4, 0.5))).info["bbox"]


def test_float_bool_and_small_arrays():
    alpha = canvas()[..., 3]
    assert similarity(P.preprocess(alpha.astype(np.float32) / 255).image, REFERENCE) > 0.99
    assert similarity(P.preprocess(alpha > 127).image, REFERENCE) > 0.95
    eight = np.zeros((8, 8))
    eight[1:7, 3:5] = 16  # scikit-learn style: 0..16, ink bright
    r = P.preprocess(eight)
    assert not r.empty and max(ink_extent(r.image)) == 20


def test_nearest_neighbour_enlargement_is_undone():
    rng = np.random.default_rng(1)
    small = (rng.random((8, 8)) > 0.6).astype(np.uint8) * 255
    small[0], small[-1], small[:, 0], small[:, -1] = 0, 0, 0, 0
    big = np.kron(small, np.ones((8, 8), np.uint8))
    np.testing.assert_array_equal(P.preprocess(big).image, P.preprocess(small).image)


# --- nothing to read -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "image",
    [
        np.zeros((280, 280, 4), np.uint8),
        np.zeros((280, 280), np.uint8),
        np.full((280, 280, 3), 255, np.uint8),
        np.full((50, 50), 0.5),
    ],
)
def test_blank_is_empty(image):
    r = P.preprocess(image)
    assert r.empty is True and r.reason == "blank"
    assert r.image.shape == (28, 28) and not r.image.any()
    assert len(r.steps) == 4
    assert P.canvas_to_input(image).empty  # all white on the canvas is one big blob: nothing to read


@pytest.mark.parametrize("brush", [4, 12, 18, 40])
def test_single_dot_is_empty(brush):
    dot = render([[(140, 140)]], 280, brush)
    assert P.canvas_to_input(dot).reason == "too_small"
    assert P.preprocess(dot).reason == "too_small"


def test_tiny_tap_on_canvas_is_empty_but_a_short_line_is_read():
    assert P.canvas_to_input(render([[(100, 100), (108, 101)]], 280, 6)).empty
    assert not P.canvas_to_input(render([[(140, 60), (140, 220)]], 280, 18)).empty


def test_scribble_covering_the_whole_canvas_is_processed():
    rng = np.random.default_rng(0)
    stroke = [(float(x), float(y)) for x, y in rng.uniform(5, 275, size=(60, 2))]
    r = P.canvas_to_input(render([stroke], 280, 18))
    assert not r.empty and r.image.any()


# --- decoding uploads ------------------------------------------------------------------------


def _reference_image() -> Image.Image:
    img = Image.new("L", (120, 160), 255)
    ImageDraw.Draw(img).line([(30, 30), (90, 30), (50, 140)], fill=0, width=12)  # a black 7 on white
    return img


def _in_mode(base: Image.Image, mode: str) -> Image.Image:
    if mode == "I;16":
        return Image.fromarray(np.asarray(base).astype(np.uint16) * 257)  # 16-bit: 0..65535
    if mode == "I":
        return Image.fromarray(np.asarray(base).astype(np.int32) * 257)  # 32-bit integers
    if mode == "F":
        return Image.fromarray(np.asarray(base).astype(np.float32) / 255)
    return base.convert(mode)


@pytest.mark.parametrize(
    "mode,fmt",
    [
        ("L", "PNG"),
        ("RGB", "PNG"),
        ("RGBA", "PNG"),
        ("P", "PNG"),
        ("I;16", "PNG"),
        ("I", "TIFF"),
        ("F", "TIFF"),
        ("1", "PNG"),
        ("LA", "PNG"),
        ("L", "JPEG"),
        ("RGB", "JPEG"),
        ("CMYK", "JPEG"),
        ("RGB", "BMP"),
        ("L", "GIF"),
        ("RGB", "WEBP"),
    ],
)
def test_load_image_modes_and_formats(mode, fmt):
    base = _reference_image()
    img = _in_mode(base, mode)
    assert img.mode == mode
    expected = P.preprocess(base).image
    loaded = images.load_image(encode(img, fmt))
    assert loaded.mode in ("L", "LA", "RGB", "RGBA")
    r = P.preprocess(loaded)
    assert not r.empty
    assert similarity(r.image, expected) > 0.95
    assert similarity(P.preprocess(img).image, expected) > 0.95  # the PIL image itself, any mode


def test_load_image_palette_with_transparency():
    img = Image.new("P", (100, 100), 0)
    img.putpalette([0, 0, 0, 255, 255, 255] + [0] * 762)
    ImageDraw.Draw(img).line([(50, 10), (50, 90)], fill=1, width=10)
    loaded = images.load_image(encode(img, "PNG", transparency=0))
    assert loaded.mode == "RGBA"
    assert not P.preprocess(loaded).empty


@pytest.mark.parametrize(
    "data,code",
    [
        (b"", "empty_file"),
        (b"hello, this is a text file renamed to digit.png\n" * 10, "not_an_image"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 50, "not_an_image"),
        (png_header_only(100_000, 100_000), "decompression_bomb"),
        (png_header_only(7_000, 7_000), "decompression_bomb"),  # under PIL's own limit, over ours
        (jpeg_declaring(7_000, 60_000), "decompression_bomb"),
    ],
)
def test_bad_uploads_raise_image_error(data, code):
    with pytest.raises(images.ImageError) as info:
        images.load_image(data)
    assert info.value.code == code
    assert isinstance(info.value, ValueError)
    if code == "decompression_bomb":
        assert info.value.params["width"] in (100_000, 7_000) and info.value.params["limit_mp"] == 40
        assert isinstance(info.value.params["height"], int)


def test_truncated_file_is_not_an_image():
    data = encode(_reference_image().convert("RGB").resize((400, 400)), "PNG")
    with pytest.raises(images.ImageError) as info:
        images.load_image(data[: len(data) // 2])
    assert info.value.code == "not_an_image"


def test_huge_upload_is_refused_before_decoding():
    with pytest.raises(images.ImageError) as info:
        images.load_image(b"\0" * (images.MAX_BYTES + 1))
    assert info.value.code == "too_large" and info.value.params["limit_mb"] > 0


def test_the_upload_limit_is_the_servers():
    """One limit for the engine and the server: server.maxUploadSize in .streamlit/config.toml (MB of 2**20 bytes)."""
    config = tomllib.loads((Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml").read_text())
    limit_mb = config["server"]["maxUploadSize"]
    assert limit_mb * 1024 * 1024 == images.MAX_BYTES
    images.load_image(encode(_reference_image()))  # a small file is fine
    with pytest.raises(images.ImageError) as info:
        images.load_image(b"\0" * (images.MAX_BYTES + 1))
    assert info.value.params["limit_mb"] == limit_mb and f"{limit_mb} MB" in str(info.value)


# --- speed -----------------------------------------------------------------------------------


def test_canvas_preprocessing_takes_a_few_ms():
    rgba = canvas(8, brush=12)
    P.canvas_to_input(rgba)
    times = []
    for _ in range(15):
        t = time.perf_counter()
        P.canvas_to_input(rgba)
        times.append(time.perf_counter() - t)
    assert np.median(times) < 0.02  # generous for a busy machine


def test_naive_resize_is_the_whole_canvas():
    out = naive_resize(canvas(1, size=0.5, center=(0.25, 0.5)))
    assert out.shape == (28, 28) and out.dtype == np.uint8
    assert out[:, 14:].max() == 0 and out.max() > 100  # not moved to the centre


def test_large_photo_is_decoded_at_reduced_size():
    photo = _reference_image().convert("RGB").resize((1600, 2400))
    loaded = images.load_image(encode(photo, "JPEG", quality=85))
    assert 1024 <= max(loaded.size) < 2400  # libjpeg's draft mode: a fraction of the decoding work
    assert similarity(P.preprocess(loaded).image, P.preprocess(photo).image) > 0.95
