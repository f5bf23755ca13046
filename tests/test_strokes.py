"""Stroke templates: every digit renders, stays on the canvas, and is reproducible with a seed."""

import itertools
import math

import numpy as np
import pytest
import strokes as S


@pytest.mark.parametrize("digit", range(10))
def test_every_digit_and_style_renders(digit):
    assert S.n_styles(digit) >= 3
    for style in range(S.n_styles(digit)):
        strokes = S.digit_strokes(digit, style=style)
        img = S.render(strokes)
        assert img.shape == (280, 280, 4) and img.dtype == np.uint8
        assert img[..., 3].sum() > 255 * 1000  # plenty of ink
        assert img[0].max() == 0  # nothing at the edge: drawn in the middle
        np.testing.assert_array_equal(img[..., 0], img[..., 3])  # white ink, premultiplied


@pytest.mark.parametrize("digit", range(10))
def test_strokes_are_smooth_mouse_paths(digit):
    for style in range(S.n_styles(digit)):
        for stroke in S.digit_strokes(digit, 3, style=style, jitter=0.02):
            steps = [math.dist(a, b) for a, b in itertools.pairwise(stroke)]
            assert len(stroke) >= 2 and max(steps) < 5  # points every few px, no jumps


def test_size_center_rotation():
    x0, y0, x1, y1 = S.bounds(S.digit_strokes(1, size=0.7, style=0))
    assert abs((y1 - y0) - 0.7 * 280) < 1 and abs((x0 + x1) / 2 - 140) < 1
    x0, y0, x1, y1 = S.bounds(S.digit_strokes(1, size=0.5, center=(0.25, 0.75), style=0, canvas=400))
    assert abs((x0 + x1) / 2 - 100) < 1 and abs((y0 + y1) / 2 - 300) < 1
    x0, y0, x1, y1 = S.bounds(S.digit_strokes(1, size=0.7, style=0, rotation_deg=90))
    assert abs((x1 - x0) - 0.7 * 280) < 1 and y1 - y0 < 1  # lying on its side


def test_random_strokes_stay_inside_the_canvas():
    rng = np.random.default_rng(0)
    for digit in range(10):
        for _ in range(20):
            x0, y0, x1, y1 = S.bounds(S.random_strokes(digit, rng))
            assert x0 >= 0 and y0 >= 0 and x1 <= 279 and y1 <= 279
            assert (y1 - y0) > 0.25 * 280 or (x1 - x0) > 0.25 * 280  # a real size, not a speck


def test_random_params_leave_room_for_the_brush():
    rng = np.random.default_rng(1)
    for digit in range(10):
        for _ in range(10):
            params = S.random_params(digit, rng, margin=22)
            assert 0.3 < params["size"] <= 0.9 and abs(params["rotation_deg"]) <= 15
            assert abs(params["slant"]) <= 0.3 and params["style"] < S.n_styles(digit)
            x0, y0, x1, y1 = S.bounds(S.digit_strokes(digit, None, **{**params, "jitter": 0}))
            assert min(x0, y0) >= 22 - 0.5 and max(x1, y1) <= 280 - 22 + 0.5


def test_deterministic_with_a_seed():
    assert S.random_strokes(4, 7) == S.random_strokes(4, 7)
    assert S.random_strokes(4, 7) != S.random_strokes(4, 8)
    assert S.digit_strokes(5, 3, jitter=0.02) == S.digit_strokes(5, 3, jitter=0.02)
    a, b = S.drawn_digit_set(1, seed=3), S.drawn_digit_set(1, seed=3)
    assert all(np.array_equal(x[0], y[0]) and x[1:] == y[1:] for x, y in zip(a, b, strict=True))
    c = S.drawn_digit_set(1, seed=4)
    assert not np.array_equal(a[0][0], c[0][0])


def test_drawn_digit_set_labels_and_brushes():
    data = S.drawn_digit_set(2, seed=0)
    assert [label for _, label, _ in data] == [d for d in range(10) for _ in range(2)]
    for img, _, params in data:
        assert img.shape == (280, 280, 4) and img[..., 3].any()
        assert 6 <= params["brush"] <= 40
        assert not img[0].any() and not img[-1].any() and not img[:, 0].any() and not img[:, -1].any()


def test_render_brush_width_and_round_caps():
    img = S.render([[(40.0, 140.0), (240.0, 140.0)]], brush=20)[..., 3]
    column = img[:, 140]
    assert abs(int((column > 127).sum()) - 20) <= 1
    assert img[140, 40 - 9] > 127 and img[140, 240 + 9] > 127  # the round cap reaches past the ends
    dot = S.render([[(100.0, 100.0)]], brush=10)[..., 3]
    assert abs(int((dot > 127).sum()) - math.pi * 25) < 15


def test_bad_digit_is_refused():
    with pytest.raises(ValueError):
        S.digit_strokes(10)
