"""Synthetic photos of handwritten digits on paper, taken with a tablet, for tests and benchmarks.

A digit from tests/strokes.py is written in pencil or marker on plain or ruled paper; the page gets
grain, uneven light, a soft shadow, a small tilt and perspective, sometimes a desk around it, and the
photo is saved as JPEG. The bad cases a class produces are here too: a face, a blank page, two
digits, a very dark photo, and paper that fills only part of the frame.

Seeds decide everything. TUNING_SEEDS are the ones the preprocessing was tuned on; HELD_OUT_SEEDS are
kept apart for measuring it (tests and bench/photos.py report accuracy on those).

OpenCV does the geometry (perspective) and the JPEG encoding; numpy and PIL the rest.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from PIL import Image, ImageDraw
from strokes import digit_strokes, n_styles

TUNING_SEEDS = range(0, 400)  # the photos looked at while tuning lenet/photo.py
HELD_OUT_SEEDS = range(10_000, 10_400)  # never looked at while tuning: the measured set
BAD_CASES = ("face", "blank", "two_digits", "dark", "partial")


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng([seed, 12])


def _paper(gen: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Paper colour with grain, as float RGB 0..1 (HxWx3)."""
    base = gen.uniform(0.72, 0.9)  # a camera exposes for the page: little is blown out
    tint = base * (1 + gen.normal(0, 0.025, 3))  # white, cream or greyish
    grain = gen.normal(0, gen.uniform(0.008, 0.03), (h, w)).astype(np.float32)
    grain = cv2.GaussianBlur(grain, (0, 0), gen.uniform(0.5, 1.2))
    return np.clip(tint[None, None, :] + grain[..., None], 0, 1).astype(np.float32)


def _ruling(gen: np.random.Generator, h: int, w: int, ruled: bool) -> np.ndarray:
    """Darkness (0..1) of the ruled lines (blue or grey), and a margin line, as HxWx3."""
    out = np.zeros((h, w, 3), np.float32)
    if not ruled:
        return out
    img = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(img)
    spacing = gen.uniform(0.1, 0.2) * h
    y = gen.uniform(0, spacing)
    width = int(gen.integers(1, 4))
    while y < h:
        draw.line([(0, y), (w, y)], fill=255, width=width)
        y += spacing
    if gen.random() < 0.4:  # grid paper
        x = gen.uniform(0, spacing)
        while x < w:
            draw.line([(x, 0), (x, h)], fill=255, width=width)
            x += spacing
    strength = gen.uniform(0.15, 0.45)
    colour = np.array([0.6, 0.35, 0.05]) if gen.random() < 0.6 else np.array([0.4, 0.4, 0.4])
    lines = np.asarray(img, np.float32)[..., None] / 255.0 * strength * colour / colour.max()
    if gen.random() < 0.3:  # a red margin line
        margin = Image.new("L", (w, h), 0)
        x = gen.uniform(0.05, 0.15) * w
        ImageDraw.Draw(margin).line([(x, 0), (x, h)], fill=255, width=width + 1)
        lines += np.asarray(margin, np.float32)[..., None] / 255.0 * strength * np.array([0.05, 0.6, 0.6])
    return lines


def _ink(gen: np.random.Generator, strokes: list, h: int, w: int, pen: str, scale: float) -> np.ndarray:
    """Ink coverage 0..1 (HxW) of the strokes, in pencil (thin, grey, grainy) or marker (thick, dark)."""
    k = 2
    img = Image.new("L", (w * k, h * k), 0)
    draw = ImageDraw.Draw(img)
    width = gen.uniform(0.025, 0.05) * scale if pen == "pencil" else gen.uniform(0.05, 0.1) * scale
    r = width * k / 2
    for stroke in strokes:
        pts = [(x * k, y * k) for x, y in stroke]
        if len(pts) > 1:
            draw.line(pts, fill=255, width=max(1, round(width * k)), joint="curve")
        for x, y in pts[:: max(1, len(pts) // 100)] + pts[-1:]:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    cover = np.asarray(img.reduce(k), np.float32) / 255.0
    if pen == "pencil":
        texture = np.clip(gen.normal(1.0, 0.35, (h, w)), 0, 1).astype(np.float32)
        cover *= cv2.GaussianBlur(texture, (0, 0), 0.7)
    return cover


def _ink_colour(gen: np.random.Generator, pen: str) -> np.ndarray:
    """How much of each channel the ink absorbs at full coverage."""
    if pen == "pencil":
        return np.full(3, gen.uniform(0.4, 0.7))
    colours = [np.array([0.9, 0.9, 0.9]), np.array([0.5, 0.75, 0.95]), np.array([0.9, 0.75, 0.4])]
    return colours[int(gen.integers(0, 3))] * gen.uniform(0.85, 1.0)  # black, blue-black... as absorbed


def _digit(gen: np.random.Generator, digit: int, h: int, w: int, center=None, size=None) -> list:
    """Strokes of a handwritten digit placed on an HxW page (pixel coordinates)."""
    side = min(h, w)
    size = gen.uniform(0.3, 0.6) if size is None else size
    if center is None:
        center = (gen.uniform(0.4, 0.6), gen.uniform(0.4, 0.6))
    strokes = digit_strokes(
        digit,
        gen,
        size=size,
        center=(center[0] * w / side, center[1] * h / side),
        rotation_deg=float(gen.uniform(-10, 10)),
        slant=float(gen.uniform(-0.25, 0.25)),
        style=int(gen.integers(n_styles(digit))),
        canvas=side,
        jitter=float(gen.uniform(0.0, 0.02)),
        aspect=float(gen.uniform(0.8, 1.15)),
    )
    return strokes


def _light(gen: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Uneven light and a soft shadow: a multiplicative field, HxW."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    yy, xx = yy / h - 0.5, xx / w - 0.5
    angle = gen.uniform(0, 2 * np.pi)
    field = 1.0 + gen.uniform(0.1, 0.4) * (np.cos(angle) * xx + np.sin(angle) * yy)
    cy, cx = gen.uniform(-0.5, 0.5, 2)
    field *= 1.0 - gen.uniform(0.0, 0.25) * ((xx - cx) ** 2 + (yy - cy) ** 2)
    if gen.random() < 0.6:  # the tablet's or a hand's shadow over part of the page
        shadow = Image.new("L", (w, h), 0)
        corner = gen.integers(0, 4)
        pts = [(0, 0), (w, 0), (w, h), (0, h)]
        a, b = pts[corner], pts[(corner + 1) % 4]
        reach = gen.uniform(0.2, 0.6)
        inner = [(a[0] + (w / 2 - a[0]) * reach * 2, a[1] + (h / 2 - a[1]) * reach * 2)]
        inner.append((b[0] + (w / 2 - b[0]) * reach * 2 * gen.uniform(0.3, 1.0), b[1] + (h / 2 - b[1]) * reach))
        ImageDraw.Draw(shadow).polygon([a, b, *inner[::-1]], fill=255)
        soft = cv2.GaussianBlur(np.asarray(shadow, np.float32) / 255.0, (0, 0), gen.uniform(0.02, 0.08) * w)
        field *= 1.0 - gen.uniform(0.2, 0.5) * soft
    return field.astype(np.float32)


def _camera(gen: np.random.Generator, page: np.ndarray, out_hw: tuple[int, int], fill: float) -> np.ndarray:
    """Photograph the page: tilt and perspective, the page filling `fill` of the frame, a desk around."""
    h, w = page.shape[:2]
    oh, ow = out_hw
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    cx, cy = ow / 2 + gen.uniform(-0.05, 0.05) * ow, oh / 2 + gen.uniform(-0.05, 0.05) * oh
    theta = math.radians(gen.uniform(-6, 6))
    half_w, half_h = ow * fill / 2, oh * fill / 2
    corners = []
    for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
        x, y = sx * half_w, sy * half_h
        x, y = x * math.cos(theta) - y * math.sin(theta), x * math.sin(theta) + y * math.cos(theta)
        jitter = gen.normal(0, 0.025, 2) * (ow, oh)  # perspective: each corner moves a little
        corners.append((cx + x + jitter[0], cy + y + jitter[1]))
    matrix = cv2.getPerspectiveTransform(src, np.float32(corners))
    desk_colour = gen.uniform(0.08, 0.45, 3).astype(np.float32) if gen.random() < 0.7 else np.full(3, 0.3, np.float32)
    desk = np.empty((oh, ow, 3), np.float32)
    desk[:] = desk_colour
    desk *= 1 + cv2.GaussianBlur(gen.normal(0, 0.08, (oh, ow)).astype(np.float32), (0, 0), 3)[..., None]
    mask = cv2.warpPerspective(np.ones((h, w), np.float32), matrix, (ow, oh), flags=cv2.INTER_LINEAR)
    warped = cv2.warpPerspective(page, matrix, (ow, oh), flags=cv2.INTER_LINEAR)
    return warped * mask[..., None] + desk * (1 - mask[..., None])


def _jpeg(gen: np.random.Generator, rgb: np.ndarray) -> np.ndarray:
    """Through JPEG and back, at a tablet camera's quality, with sensor noise first."""
    rgb = rgb + gen.normal(0, gen.uniform(0.004, 0.015), rgb.shape).astype(np.float32)
    u8 = np.clip(rgb * 255 + 0.5, 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", u8[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(gen.integers(55, 92))])
    assert ok
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1].copy()


def _photo(gen: np.random.Generator, digits: list[tuple[int, tuple | None]], kind: str = "") -> np.ndarray:
    """One photo of a page with the given digits (digit, centre or None) written on it."""
    h = int(gen.integers(300, 520))
    w = int(h * gen.uniform(0.75, 1.33))
    page = _paper(gen, h, w)
    page *= 1 - _ruling(gen, h, w, ruled=gen.random() < 0.6)
    pen = "pencil" if gen.random() < 0.5 else "marker"
    colour = _ink_colour(gen, pen)
    size = gen.uniform(0.3, 0.6) if len(digits) == 1 else gen.uniform(0.3, 0.4)
    for digit, center in digits:
        cover = _ink(gen, _digit(gen, digit, h, w, center, size), h, w, pen, size * min(h, w))
        page *= 1 - cover[..., None] * colour[None, None, :]
    page *= _light(gen, h, w)[..., None]
    if kind == "partial":
        fill = gen.uniform(0.45, 0.7)
    else:
        fill = 1.0 if gen.random() < 0.5 else gen.uniform(1.0, 1.15)  # mostly the page fills the frame
        fill = fill if gen.random() < 0.8 else gen.uniform(0.85, 1.0)  # sometimes a strip of desk shows
    out_h = int(gen.integers(360, 640))
    out_w = int(out_h * gen.uniform(0.75, 1.33))
    frame = _camera(gen, page, (out_h, out_w), fill)
    if kind == "dark":  # under-exposed: the whole frame, desk and all
        frame *= gen.uniform(0.08, 0.18)
    return _jpeg(gen, frame)


def paper_photo(seed: int) -> tuple[np.ndarray, int]:
    """A photo of one handwritten digit on paper.

    Args:
        seed: decides the digit (seed % 10), the handwriting, paper, pen, light and camera.
    Returns:
        (uint8 HxWx3 RGB image, the digit).
    """
    gen = _rng(seed)
    digit = seed % 10
    return _photo(gen, [(digit, None)]), digit


def photo_set(seeds) -> list[tuple[np.ndarray, int]]:
    """`paper_photo` for every seed."""
    return [paper_photo(s) for s in seeds]


def _face(gen: np.random.Generator) -> np.ndarray:
    """A photo of a face: skin, hair, eyes, mouth, a textured background."""
    h, w = int(gen.integers(360, 520)), int(gen.integers(360, 520))
    bg = gen.uniform(0.2, 0.8, 3)
    img = Image.new("RGB", (w, h), tuple(int(c * 255) for c in bg))
    draw = ImageDraw.Draw(img)
    cx, cy, rx, ry = w / 2, h / 2, w * gen.uniform(0.22, 0.3), h * gen.uniform(0.3, 0.38)
    hair = tuple(int(c) for c in gen.uniform(10, 90, 3))
    draw.ellipse((cx - rx * 1.1, cy - ry * 1.15, cx + rx * 1.1, cy + ry * 0.3), fill=hair)
    skin = tuple(int(c) for c in (gen.uniform(170, 240), gen.uniform(120, 190), gen.uniform(90, 160)))
    draw.ellipse((cx - rx, cy - ry * 0.85, cx + rx, cy + ry), fill=skin)
    for sx in (-1, 1):
        ex, ey = cx + sx * rx * 0.4, cy - ry * 0.15
        draw.ellipse((ex - rx * 0.15, ey - ry * 0.07, ex + rx * 0.15, ey + ry * 0.07), fill=(240, 240, 240))
        draw.ellipse((ex - rx * 0.06, ey - ry * 0.06, ex + rx * 0.06, ey + ry * 0.06), fill=(40, 30, 20))
    draw.line(
        [(cx, cy), (cx - rx * 0.1, cy + ry * 0.25), (cx + rx * 0.05, cy + ry * 0.28)], fill=(120, 80, 60), width=3
    )
    draw.arc((cx - rx * 0.45, cy + ry * 0.2, cx + rx * 0.45, cy + ry * 0.6), 20, 160, fill=(150, 50, 50), width=6)
    arr = np.asarray(img, np.float32) / 255.0
    texture = cv2.GaussianBlur(gen.normal(0, 0.06, (h, w)).astype(np.float32), (0, 0), 1.5)
    arr = np.clip(arr * (1 + texture[..., None]) * _light(gen, h, w)[..., None], 0, 1)
    return _jpeg(gen, arr)


def bad_photo(kind: str, seed: int) -> np.ndarray:
    """A photo a class might take that is not one readable digit (or is one, badly lit or framed).

    Args:
        kind: "face", "blank" (a page with nothing written), "two_digits", "dark" (a digit, severely
            under-exposed: readable or nothing to read, never a confident wrong answer) or "partial"
            (a digit on paper that fills only part of the frame, a desk around it).
        seed: decides everything else; for "dark" and "partial" the digit is seed % 10.
    Returns:
        uint8 HxWx3 RGB.
    """
    gen = _rng(seed + 7_000_000)
    if kind == "face":
        return _face(gen)
    if kind == "blank":
        return _photo(gen, [])
    if kind == "two_digits":
        a, b = seed % 10, (seed * 7 + 3) % 10
        return _photo(gen, [(a, (0.3, 0.5)), (b, (0.7, 0.5))])
    if kind in ("dark", "partial"):
        return _photo(gen, [(seed % 10, None)], kind)
    raise ValueError(f"unknown bad photo kind {kind!r}")
