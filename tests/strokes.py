"""Handwritten digits as mouse strokes, for browser tests, benchmarks and accuracy checks.

Each digit has several hand-designed templates (handwriting styles: a 7 with or without a bar,
an open or closed 4, ...), written as smooth polylines in a unit box: x to the right, y down,
the digit's height from 0 to 1. `digit_strokes` places a template on a canvas with a size,
position, rotation, slant and a smooth hand wobble; `render` draws strokes the way the drawing
canvas does (white, round caps and joins, anti-aliased, on a transparent background).

Only numpy and PIL are used.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

Point = tuple[float, float]
Stroke = list[Point]

_SPACING = 3.0  # px between points of a drawn stroke: a mouse path, not a stick figure
_SUPERSAMPLE = 4  # render at 4x and shrink, for the browser canvas's anti-aliased edges


def _arc(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float) -> list[Point]:
    """Points on an ellipse from angle a0 to a1 (degrees; 0 = right, 90 = bottom, as y points down)."""
    n = max(8, int(abs(a1 - a0) / 3))
    t = np.radians(np.linspace(a0, a1, n))
    return list(zip(cx + rx * np.cos(t), cy + ry * np.sin(t), strict=True))


def _bez(*p: Point) -> list[Point]:
    """Points on a quadratic or cubic Bezier curve through its control points."""
    pts = np.asarray(p, dtype=float)
    t = np.linspace(0.0, 1.0, 40)[:, None]
    if len(pts) == 3:
        out = (1 - t) ** 2 * pts[0] + 2 * (1 - t) * t * pts[1] + t**2 * pts[2]
    else:
        out = (1 - t) ** 3 * pts[0] + 3 * (1 - t) ** 2 * t * pts[1] + 3 * (1 - t) * t**2 * pts[2] + t**3 * pts[3]
    return [tuple(q) for q in out]


def _line(*p: Point) -> list[Point]:
    """A polyline through the given corners (resampled densely later)."""
    return [tuple(map(float, q)) for q in p]


def _chain(*parts: list[Point]) -> Stroke:
    """Join segments into one stroke, dropping the repeated joint points."""
    out: Stroke = []
    for part in parts:
        for q in part:
            if not out or math.dist(out[-1], q) > 1e-9:
                out.append((float(q[0]), float(q[1])))
    return out


def _eight(top_w: float, bottom_w: float, cross: float, lean: float) -> Stroke:
    """A figure eight in one stroke (a 1:2 Lissajous curve) with different loop sizes."""
    t = np.linspace(-0.35, 2 * np.pi + 0.1, 240)
    c = -np.cos(t)  # -1 at the top, +1 at the bottom
    y = np.where(c < 0, cross * (1 + c), cross + (1 - cross) * c)
    width = np.where(c < 0, top_w, bottom_w)
    x = 0.5 + width * np.sin(2 * t) + lean * (0.5 - y)
    return list(zip(x, y, strict=True))


def _templates() -> dict[int, list[list[Stroke]]]:
    """All styles of all digits: digit -> styles -> strokes -> points (unit box)."""
    t: dict[int, list[list[Stroke]]] = {}
    t[0] = [
        [_arc(0.5, 0.5, 0.3, 0.5, -90, -460)],  # oval, started at the top, closing past the start
        [_arc(0.5, 0.5, 0.22, 0.5, -80, -445)],  # narrow
        [
            _chain(
                _bez((0.55, 0.0), (0.05, 0.02), (0.1, 1.0), (0.5, 1.0)),
                _bez((0.5, 1.0), (0.92, 1.0), (0.9, 0.0), (0.47, 0.03)),
            )
        ],  # round bottom, pointed top
    ]
    t[1] = [
        [_line((0.5, 0.0), (0.5, 1.0))],  # a plain bar
        [_chain(_line((0.37, 0.16), (0.55, 0.0)), _line((0.55, 0.0), (0.55, 1.0)))],  # with a flag
        [
            _chain(_line((0.35, 0.17), (0.55, 0.0)), _line((0.55, 0.0), (0.55, 1.0))),
            _line((0.3, 1.0), (0.8, 1.0)),
        ],  # flag and base
    ]
    t[2] = [
        [
            _chain(
                _arc(0.5, 0.28, 0.28, 0.27, 195, 385),
                _bez((0.76, 0.37), (0.62, 0.66), (0.2, 0.98)),
                _line((0.2, 0.98), (0.84, 0.98)),
            )
        ],  # classic
        [
            _chain(
                _arc(0.5, 0.28, 0.27, 0.27, 200, 385),
                _bez((0.75, 0.37), (0.6, 0.7), (0.32, 0.9)),
                _bez((0.32, 0.9), (0.1, 1.06), (0.02, 0.76), (0.24, 0.74)),  # the loop at the bottom
                _bez((0.24, 0.74), (0.42, 0.73), (0.3, 0.98), (0.52, 0.98)),
                _line((0.52, 0.98), (0.86, 0.95)),
            )
        ],
        [
            _chain(
                _bez((0.2, 0.2), (0.3, -0.05), (0.85, -0.05), (0.72, 0.3)), _line((0.72, 0.3), (0.18, 1.0), (0.85, 1.0))
            )
        ],  # angular, like a Z
    ]
    t[3] = [
        [_chain(_arc(0.48, 0.26, 0.26, 0.24, 200, 450), _arc(0.48, 0.74, 0.3, 0.26, -90, 160))],  # two round bumps
        [
            _chain(
                _line((0.22, 0.02), (0.78, 0.02), (0.42, 0.42)),
                _bez((0.42, 0.42), (0.95, 0.35), (0.95, 1.05), (0.2, 0.9)),
            )
        ],  # flat top
        [
            _chain(
                _arc(0.5, 0.25, 0.25, 0.23, 210, 430),
                _bez((0.45, 0.48), (0.35, 0.5), (0.35, 0.5), (0.45, 0.5)),  # the cusp at the waist
                _arc(0.5, 0.74, 0.28, 0.26, -95, 150),
            )
        ],
    ]
    t[4] = [
        [_line((0.22, 0.0), (0.17, 0.62), (0.85, 0.62)), _line((0.66, 0.12), (0.66, 1.0))],  # open top
        [_line((0.62, 0.0), (0.1, 0.68), (0.88, 0.68)), _line((0.62, 0.0), (0.62, 1.0))],  # closed
        [
            _chain(_bez((0.2, 0.0), (0.12, 0.45), (0.15, 0.62), (0.5, 0.6)), _line((0.5, 0.6), (0.85, 0.57))),
            _bez((0.7, 0.05), (0.66, 0.5), (0.66, 1.0)),
        ],  # open, rounded, long stem
    ]
    t[5] = [
        [
            _chain(_line((0.3, 0.02), (0.26, 0.45)), _arc(0.47, 0.69, 0.3, 0.3, -128, 150)),
            _line((0.3, 0.02), (0.78, 0.02)),
        ],  # the bar drawn last, as many people do
        [
            _chain(_line((0.8, 0.02), (0.3, 0.02), (0.27, 0.44)), _arc(0.47, 0.68, 0.29, 0.3, -130, 145))
        ],  # in one stroke
        [
            _chain(_line((0.35, 0.0), (0.28, 0.4)), _bez((0.28, 0.4), (0.95, 0.2), (1.0, 1.0), (0.2, 0.92))),
            _line((0.35, 0.0), (0.8, 0.02)),
        ],  # round belly, open tail
    ]
    t[6] = [
        [
            _chain(_bez((0.72, 0.02), (0.35, 0.08), (0.2, 0.45), (0.22, 0.7)), _arc(0.48, 0.71, 0.26, 0.28, 180, -165))
        ],  # curved stem, big loop
        [_chain(_line((0.6, 0.0), (0.26, 0.66)), _arc(0.48, 0.74, 0.24, 0.25, 155, -175))],  # straight stem
        [
            _chain(_bez((0.68, 0.0), (0.3, 0.15), (0.25, 0.55), (0.3, 0.8)), _arc(0.5, 0.8, 0.2, 0.2, 180, -170))
        ],  # small loop, long stem
    ]
    t[7] = [
        [_line((0.18, 0.03), (0.82, 0.03), (0.42, 1.0))],  # plain
        [_line((0.18, 0.03), (0.82, 0.03), (0.42, 1.0)), _line((0.38, 0.52), (0.78, 0.5))],  # with a bar
        [
            _chain(
                _line((0.2, 0.14), (0.18, 0.02)),
                _line((0.18, 0.02), (0.8, 0.04)),
                _bez((0.8, 0.04), (0.55, 0.4), (0.48, 1.0)),
            )
        ],  # hooked start, curved stem
    ]
    t[8] = [
        [_eight(0.21, 0.28, 0.46, 0.0)],  # one stroke
        [_arc(0.5, 0.24, 0.21, 0.24, -60, -420), _arc(0.5, 0.74, 0.27, 0.26, -90, 270)],  # two circles
        [_eight(0.19, 0.3, 0.42, 0.12)],  # leaning, small top loop
    ]
    t[9] = [
        [_chain(_arc(0.46, 0.27, 0.26, 0.27, 0, -360), _line((0.72, 0.27), (0.7, 1.0)))],  # straight tail
        [_chain(_arc(0.47, 0.28, 0.26, 0.28, 10, -355), _bez((0.73, 0.3), (0.74, 0.85), (0.35, 1.0)))],  # curved tail
        [_arc(0.45, 0.25, 0.25, 0.25, -10, -375), _bez((0.7, 0.2), (0.66, 0.6), (0.6, 1.0))],  # two strokes
    ]
    return t


TEMPLATES = _templates()


def n_styles(digit: int) -> int:
    """How many handwriting styles `digit` has."""
    return len(TEMPLATES[digit])


def _as_rng(rng) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def _resample(points: np.ndarray, spacing: float) -> np.ndarray:
    """Points evenly spaced along the polyline, `spacing` px apart (ends kept)."""
    if len(points) < 2:
        return points
    seg = np.hypot(*np.diff(points, axis=0).T)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    if s[-1] == 0:
        return points[:1]
    n = max(2, math.ceil(s[-1] / spacing) + 1)
    u = np.linspace(0.0, s[-1], n)
    return np.stack([np.interp(u, s, points[:, 0]), np.interp(u, s, points[:, 1])], axis=1)


def _wobble(points: np.ndarray, amplitude: float, wavelength: float, rng: np.random.Generator) -> np.ndarray:
    """Add a smooth random displacement, like an unsteady hand (not per-point noise)."""
    seg = np.hypot(*np.diff(points, axis=0).T)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    n_knots = max(2, int(s[-1] / wavelength) + 2)
    knots = np.linspace(0.0, max(s[-1], 1e-9), n_knots)
    offsets = rng.normal(0.0, amplitude, size=(n_knots, 2))
    # Cosine interpolation between knots keeps the displacement smooth.
    idx = np.clip(np.searchsorted(knots, s, side="right") - 1, 0, n_knots - 2)
    frac = (s - knots[idx]) / (knots[idx + 1] - knots[idx])
    w = (1 - np.cos(np.pi * frac)) / 2
    return points + offsets[idx] * (1 - w)[:, None] + offsets[idx + 1] * w[:, None]


def digit_strokes(
    digit: int,
    rng: np.random.Generator | int | None = None,
    *,
    size: float = 0.7,
    center: tuple[float, float] = (0.5, 0.5),
    rotation_deg: float = 0.0,
    slant: float = 0.0,
    style: int | None = None,
    canvas: int = 280,
    jitter: float = 0.0,
    aspect: float = 1.0,
) -> list[Stroke]:
    """Strokes of one handwritten digit, in canvas pixel coordinates.

    Args:
        digit: 0 to 9.
        rng: a Generator or seed, used for a random style (when `style` is None) and the jitter.
        size: the digit's height as a fraction of the canvas.
        center: where the middle of the digit goes, as fractions of the canvas (x, y).
        rotation_deg: counter-clockwise rotation on screen.
        slant: italic shear; positive leans the top to the right (0.3 is a strong slant).
        style: which template (see `n_styles`); None picks one with `rng`, or the first without.
        canvas: the canvas's side in px.
        jitter: hand wobble, standard deviation as a fraction of the digit's height (0.02 is mild).
        aspect: width multiplier (below 1 is narrower).
    Returns:
        a list of strokes, each a list of (x, y) points about 3 px apart, ready for page.mouse.
    """
    if digit not in TEMPLATES:
        raise ValueError(f"digit must be 0..9, got {digit!r}")
    gen = _as_rng(rng)
    styles = TEMPLATES[digit]
    if style is None:
        style = int(gen.integers(len(styles))) if rng is not None else 0
    strokes = styles[style % len(styles)]
    height = size * canvas
    theta = math.radians(rotation_deg)
    cos_t, sin_t = math.cos(theta), math.sin(theta)
    out: list[Stroke] = []
    for stroke in strokes:
        p = np.asarray(stroke, dtype=float) - 0.5
        u = (p[:, 0] - slant * p[:, 1]) * aspect * height
        v = p[:, 1] * height
        # Counter-clockwise on screen, where y points down.
        x = u * cos_t + v * sin_t + center[0] * canvas
        y = -u * sin_t + v * cos_t + center[1] * canvas
        pts = _resample(np.stack([x, y], axis=1), _SPACING)
        if jitter > 0:
            pts = _wobble(pts, jitter * height, 0.25 * height, gen)
            pts = _resample(pts, _SPACING)
        out.append([(float(a), float(b)) for a, b in pts])
    return out


def bounds(strokes: list[Stroke]) -> tuple[float, float, float, float]:
    """(x_min, y_min, x_max, y_max) of all points."""
    pts = np.concatenate([np.asarray(s, dtype=float) for s in strokes])
    return float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max())


def random_params(
    digit: int, rng: np.random.Generator | int | None, *, canvas: int = 280, margin: float | None = None
) -> dict:
    """Random, plausible keyword arguments for `digit_strokes` that keep the digit inside the canvas.

    Height 40-90 % of the canvas, anywhere on it, rotation within 15 degrees, slant within 0.3,
    slight width change, a small wobble and a random style.

    Args:
        digit: 0 to 9.
        rng: a Generator or seed.
        canvas: the canvas's side in px.
        margin: px every point keeps from the edges (default 4 % of the canvas).
    Returns:
        a dict with style, size, center, rotation_deg, slant, jitter, aspect and canvas.
    """
    gen = _as_rng(rng)
    margin = 0.04 * canvas if margin is None else margin
    params = {
        "style": int(gen.integers(n_styles(digit))),
        "size": float(gen.uniform(0.4, 0.9)),
        "rotation_deg": float(gen.uniform(-15, 15)),
        "slant": float(gen.uniform(-0.3, 0.3)),
        "jitter": float(gen.uniform(0.0, 0.025)),
        "aspect": float(gen.uniform(0.8, 1.2)),
        "canvas": canvas,
    }
    # Measure the digit in the middle, shrink it if it cannot fit, then move it somewhere it fits.
    # The jitter is applied later and moves points by a few px, so the measure leaves room for it.
    for _ in range(20):
        x0, y0, x1, y1 = bounds(
            digit_strokes(digit, None, center=(0.5, 0.5), **{k: v for k, v in params.items() if k != "jitter"})
        )
        slack = 3 * params["jitter"] * params["size"] * canvas
        room_x = canvas - 2 * margin - (x1 - x0) - 2 * slack
        room_y = canvas - 2 * margin - (y1 - y0) - 2 * slack
        if room_x >= 0 and room_y >= 0:
            break
        params["size"] *= 0.95
    dx = gen.uniform(0, max(room_x, 0)) + margin + slack - x0
    dy = gen.uniform(0, max(room_y, 0)) + margin + slack - y0
    params["center"] = (0.5 + dx / canvas, 0.5 + dy / canvas)
    return params


def random_strokes(digit: int, rng: np.random.Generator | int | None) -> list[Stroke]:
    """A randomly varied drawing of `digit` on a 280x280 canvas, fully inside it.

    Args:
        digit: 0 to 9.
        rng: a Generator or seed.
    Returns:
        strokes in canvas pixel coordinates, as from `digit_strokes`.
    """
    gen = _as_rng(rng)
    return _clamped(digit_strokes(digit, gen, **random_params(digit, gen)), 280)


def _clamped(strokes: list[Stroke], canvas: int) -> list[Stroke]:
    """Keep every point on the canvas, in case the wobble pushed one over the edge."""
    hi = canvas - 1.0
    return [[(min(max(x, 0.0), hi), min(max(y, 0.0), hi)) for x, y in s] for s in strokes]


def render(strokes: list[Stroke], canvas: int = 280, brush: float = 18) -> np.ndarray:
    """Draw strokes the way the browser canvas does: white ink, round caps and joins, anti-aliased.

    Args:
        strokes: as from `digit_strokes`, in canvas pixel coordinates.
        canvas: the side in px.
        brush: the line width in px.
    Returns:
        uint8 canvas x canvas x 4 RGBA: transparent black background, white ink (the alpha is the ink).
    """
    k = _SUPERSAMPLE
    img = Image.new("L", (canvas * k, canvas * k), 0)
    draw = ImageDraw.Draw(img)
    r = brush * k / 2
    for stroke in strokes:
        pts = [(x * k, y * k) for x, y in stroke]
        if len(pts) > 1:
            draw.line(pts, fill=255, width=max(1, round(brush * k)), joint="curve")
        # Discs at the points give the round caps and joins a mouse-drawn canvas line has.
        for x, y in pts[:: max(1, len(pts) // 200)] + pts[-1:]:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    alpha = np.asarray(img.reduce(k))
    # Premultiplied white: RGB equals the alpha, so the image reads the same with or without alpha.
    return np.dstack([alpha, alpha, alpha, alpha])


def drawn_digit_set(n_per_digit: int = 30, seed: int = 0) -> list[tuple[np.ndarray, int, dict]]:
    """Varied canvas drawings of every digit, thin to thick, for accuracy checks and benchmarks.

    Args:
        n_per_digit: drawings per digit.
        seed: makes the set reproducible.
    Returns:
        (RGBA image, label, parameters) triples; the parameters include the brush width (6-40 px).
    """
    gen = np.random.default_rng(seed)
    out = []
    for digit in range(10):
        for _ in range(n_per_digit):
            brush = float(gen.uniform(6, 40))
            params = random_params(digit, gen, margin=brush / 2 + 2)
            strokes = _clamped(digit_strokes(digit, gen, **params), 280)
            out.append((render(strokes, 280, brush), digit, {**params, "brush": brush}))
    return out
