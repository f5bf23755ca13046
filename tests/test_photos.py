"""Photos of digits on paper (lenet.photo through lenet.preprocess), UCI's optdigits scans and drawn digits.

Accuracy is measured with the shipped checkpoint on sets the tuning never saw (tests/paper_photos.py's
HELD_OUT_SEEDS), so the thresholds catch a regression; bench/photos.py prints the full figures.
Every bad photo gets an honest answer: nothing to read, more than one mark, or a reading that is right
or unsure, never an exception and never a confident answer on a blank page. No MNIST needed.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from apptest import open_app
from paper_photos import HELD_OUT_SEEDS, TUNING_SEEDS, bad_photo, paper_photo, photo_set
from PIL import Image
from strokes import digit_strokes, drawn_digit_set, render

from lenet import checkpoints, data, photo
from lenet.i18n import LANGUAGES, STRINGS
from lenet.inference import predict_probs
from lenet.preprocess import canvas_to_input, preprocess

PHOTOS = 60  # held-out photos measured here (bench/photos.py: 400)
SIZES = (28, 56, 64, 112, 224, 512)  # enlarged scans: from a thumbnail to a full-screen picture
RESAMPLE = {k.lower(): Image.Resampling[k] for k in ("NEAREST", "BILINEAR", "BICUBIC", "LANCZOS")}


@pytest.fixture(scope="module")
def model():
    return checkpoints.load_checkpoint(checkpoints.DEFAULT_CHECKPOINT)[0]


def readings(model, preps) -> list[tuple[int, float] | None]:
    """(digit, probability) for each preprocessed image, None where there is nothing to read."""
    out: list = [None] * len(preps)
    readable = [i for i, p in enumerate(preps) if not p.empty]
    if readable:
        probs = predict_probs(model, np.stack([preps[i].image for i in readable]))
        for i, p in zip(readable, probs, strict=True):
            out[i] = (int(p.argmax()), float(p.max()))
    return out


def test_tuning_and_held_out_seeds_are_apart():
    assert not set(TUNING_SEEDS) & set(HELD_OUT_SEEDS)
    a, b = paper_photo(HELD_OUT_SEEDS[0]), paper_photo(HELD_OUT_SEEDS[0])
    assert np.array_equal(a[0], b[0]) and a[1] == b[1] == HELD_OUT_SEEDS[0] % 10


def test_held_out_paper_photos_are_read(model):
    photos = photo_set(list(HELD_OUT_SEEDS)[:PHOTOS])
    got = readings(model, [preprocess(img) for img, _ in photos])
    right = sum(r is not None and r[0] == d for r, (_, d) in zip(got, photos, strict=True))
    # Measured 57 of these 60 when written (goal 95 %; bench/photos.py: the full 400 and the old recipe's figure).
    assert right >= 55, right


def test_photo_steps_are_kept_for_display():
    img, _ = paper_photo(HELD_OUT_SEEDS[1])
    r = preprocess(img)
    keys = [k for k, _ in r.steps]
    assert keys[:5] == ["raw", "background", "ink", "lines", "marks"]
    assert keys[-3:] == ["cropped", "scaled", "centred"]
    assert all(a.dtype == np.uint8 and a.ndim == 2 for _, a in r.steps)
    assert r.image.shape == (28, 28) and r.image is r.step("centred")
    for key in keys:
        for language in LANGUAGES:
            assert STRINGS[f"draw.step.{key}"][language], (key, language)


def test_drawings_and_clean_scans_are_not_photos():
    ink = render(digit_strokes(3, None))
    assert not photo.looks_like_photo(ink)  # the canvas: transparency
    assert not photo.looks_like_photo(np.dstack([255 - ink[..., 3]] * 3))  # a clean black-on-white scan
    assert not photo.looks_like_photo(np.zeros((8, 8), np.uint8))  # an icon
    assert photo.looks_like_photo(paper_photo(HELD_OUT_SEEDS[2])[0])


@pytest.mark.parametrize("seed", range(4))
def test_a_blank_page_is_nothing_to_read(seed):
    r = preprocess(bad_photo("blank", seed))
    assert r.empty and r.reason == "blank"


@pytest.mark.parametrize("kind", ["two_digits", "face"])
def test_two_digits_and_a_face_are_refused(kind):
    for seed in range(3):
        r = preprocess(bad_photo(kind, seed))
        assert r.empty and r.reason == "multiple_marks", (kind, seed)
    assert photo.refusal("multiple_marks").code == "multiple_marks" and photo.refusal(None) is None


def test_the_refusal_is_translated():
    from lenet.i18n import LANGUAGES

    for language in LANGUAGES:
        for key in ("error.multiple_marks", "draw.prediction.multiple_marks"):
            text = STRINGS[key][language]
            assert text and not re.search(r"\d", text), (key, language)  # the prediction box holds no digit


@pytest.mark.parametrize("kind", ["dark", "partial"])
def test_bad_photos_get_an_honest_answer(model, kind):
    """Never an exception; a dark photo or a small page: refused, right, or not confident."""
    for seed in range(3):
        r = preprocess(bad_photo(kind, seed))
        (reading,) = readings(model, [r])
        assert r.image.shape == (28, 28)
        if kind in ("dark", "partial") and reading is not None and reading[0] == seed % 10:
            continue
        assert reading is None or reading[1] < 0.999, (kind, seed, reading)


def test_optdigits_scans_are_read(model):
    from sklearn.datasets import load_digits

    digits = load_digits()
    got = readings(model, [preprocess(x) for x in digits.images])
    right = np.array([r is not None and r[0] == d for r, d in zip(got, digits.target, strict=True)])
    # 94.8 % before tiny scans kept their ink (`_enlarge_scan`), 97.0 % after (goal 96 %): its one choice
    # (Lanczos) was made on the even indices (96.2 %); the odd ones were held out (97.8 %).
    assert right.mean() >= 0.965, right.sum()
    assert right[1::2].mean() >= 0.97, right[1::2].sum()


def test_a_tiny_scan_keeps_each_pixels_share_of_ink():
    """Enlarged to black and white, every pixel of an 8x8 scan becomes a block with as much ink as it had."""
    from lenet.preprocess import _enlarge_scan

    rng = np.random.default_rng(3)
    scan = np.where(rng.random((8, 6)) < 0.5, rng.integers(0, 256, (8, 6)), 0).astype(np.uint8)
    scan[2, 3] = 255
    mask, side = _enlarge_scan(scan)
    k = side // 8
    assert k * 8 >= 80 and mask.shape == (10 * k, 8 * k)  # one blank pixel's margin around the crop
    share = mask.reshape(10, k, 8, k).mean(axis=(1, 3))
    np.testing.assert_allclose(share, np.pad(scan, 1) / 255.0, atol=0.5 / k**2)


def _optdigits(step: int) -> tuple[np.ndarray, np.ndarray]:
    """Every step-th optdigits scan as an 8-bit picture (its counts 0..16 to 0..255), and the digits."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    return np.rint(digits.images[::step] / 16 * 255).astype(np.uint8), digits.target[::step]


def _enlarge(pic: np.ndarray, side: int, kind: str) -> np.ndarray:
    """The picture enlarged to side x side, as an image viewer or a screenshot tool does (PIL)."""
    return np.asarray(Image.fromarray(pic).resize((side, side), RESAMPLE[kind]))


def _mnist_format_digits() -> list[np.ndarray]:
    """28x28 digits in MNIST's format (light ink on black) that need no MNIST: drawings through the recipe."""
    return [canvas_to_input(r).image for r, _, _ in drawn_digit_set(1, seed=9)]


@pytest.mark.parametrize("kind", RESAMPLE)
def test_enlarged_scans_are_not_photos(kind):
    """Issue 27: optdigits enlarged smoothly to 112 px were taken for photos and 298 of 1,797 came back unread."""
    scans, _ = _optdigits(step=90)
    for side in SIZES:
        for scan in scans:
            big = _enlarge(scan, side, kind)
            assert not photo.looks_like_photo(big), (kind, side)
            assert not photo.looks_like_photo(255 - big), (kind, side, "dark ink on white")


@pytest.mark.parametrize("kind", RESAMPLE)
def test_enlarged_mnist_digits_are_not_photos(kind):
    for digit in _mnist_format_digits():
        for side in SIZES[1:]:
            assert not photo.looks_like_photo(_enlarge(digit, side, kind)), (kind, side)


@pytest.mark.skipif(not data.is_available(), reason="real MNIST not found (tests/conftest.py says where it looks)")
def test_enlarged_real_mnist_digits_are_not_photos():
    for digit in data.load_mnist().test_images[:40:4]:
        for side in SIZES[1:]:
            for kind in RESAMPLE:
                assert not photo.looks_like_photo(_enlarge(digit, side, kind)), (kind, side)


def test_drawings_in_either_polarity_are_not_photos():
    for rgba, _, _ in drawn_digit_set(1, seed=4):
        assert not photo.looks_like_photo(rgba)
        assert not photo.looks_like_photo(rgba[..., :3]) and not photo.looks_like_photo(255 - rgba[..., :3])


def test_paper_photos_are_photos_and_no_enlargement():
    for img, _ in photo_set(list(HELD_OUT_SEEDS)[:PHOTOS:2]):
        assert photo.looks_like_photo(img) and photo.enlarged_from(img) is None
    for kind in ("blank", "two_digits", "face"):
        assert photo.looks_like_photo(bad_photo(kind, 0)), kind


@pytest.mark.parametrize("kind", ["bilinear", "bicubic", "lanczos"])
def test_a_smooth_enlargement_is_traced_to_its_size(kind):
    scans, _ = _optdigits(step=150)
    for side in (56, 112, 224):
        for scan in scans:
            assert photo.enlarged_from(_enlarge(scan, side, kind)) == (8, 8), (kind, side)
    assert photo.enlarged_from(_enlarge(scans[0], 112, "nearest")) is None  # blocks: lenet.preprocess._unblock's
    assert photo.enlarged_from(_mnist_format_digits()[0]) is None  # 28 px, no enlargement


def test_enlarged_scans_are_read(model):
    """Issue 27's goal: optdigits enlarged to 56-224 px with bilinear or bicubic interpolation read >= 96 %, none
    unread (bench/photos.py: the whole set at every size and interpolation)."""
    scans, digits = _optdigits(step=9)
    for side in (56, 112, 224):
        for kind in ("bilinear", "bicubic"):
            got = readings(model, [preprocess(_enlarge(s, side, kind)) for s in scans])
            assert all(r is not None for r in got), (side, kind)
            right = np.mean([r[0] == d for r, d in zip(got, digits, strict=True)])
            assert right >= 0.96, (side, kind, right)


def test_drawn_digits_are_still_read(model):
    drawn = drawn_digit_set(20, seed=5)
    got = readings(model, [canvas_to_input(r) for r, _, _ in drawn])
    right = sum(r is not None and r[0] == d for r, (_, d, _) in zip(got, drawn, strict=True))
    assert right / len(drawn) >= 0.99, right


def _jpeg(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="JPEG", quality=85)
    return buf.getvalue()


def test_draw_page_reads_a_camera_photo():
    img, digit = paper_photo(HELD_OUT_SEEDS[3])
    at = open_app(draw_source="camera", draw_injected_camera=_jpeg(img))
    assert not at.exception
    text = " ".join(e.value for e in at.get("markdown") if "draw-digit" in e.value)
    # The answer's element carries its probabilities as an attribute (data-probs) before its digit.
    assert re.search(r'class="draw-digit"[^>]*>(\d)<', text).group(1) == str(digit)
    assert any(STRINGS["draw.step.lines"]["en"] in h.proto.body for h in at.get("html"))


def test_draw_page_says_how_to_upload_without_a_camera():
    at = open_app(draw_source="camera", language="zh")
    assert not at.exception
    assert STRINGS["draw.camera.hint"]["zh"] in [c.value for c in at.caption]


def test_draw_page_refuses_two_digits_in_both_languages():
    data = _jpeg(bad_photo("two_digits", 1))
    for language in LANGUAGES:
        at = open_app(draw_source="camera", draw_injected_camera=data, language=language)
        assert not at.exception
        text = " ".join(e.value for e in at.get("markdown"))
        assert STRINGS["draw.prediction.multiple_marks"][language] in text
