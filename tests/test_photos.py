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

from lenet import checkpoints, photo
from lenet.i18n import LANGUAGES, STRINGS
from lenet.inference import predict_probs
from lenet.preprocess import canvas_to_input, preprocess

PHOTOS = 60  # held-out photos measured here (bench/photos.py: 400)


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
    assert re.search(r'draw-digit">(\d)<', text).group(1) == str(digit)
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
