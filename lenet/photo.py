"""Photos of digits on paper: finding the ink against the paper around it, and only the digit's ink.

A tablet's photo of a digit written on paper has what a drawing never has: uneven light, a shadow,
paper grain, ruled lines, the paper's edge and the desk around it. `looks_like_photo` tells such a
picture from a canvas drawing, a clean scan (whose background is one flat value), light ink on black and a
small scan enlarged smoothly (`enlarged_from`: no detail finer than its own pixels); `find_digit`
then, step by step (every step kept for display):

1. estimates the paper's local brightness (a grey closing: the page with the ink taken out), so
   shadows and uneven light divide out;
2. measures the ink as how much darker each pixel is than the paper around it, and keeps the pixels
   clearly above the photo's noise (hysteresis: faint pencil joins strong strokes);
3. removes ruled lines and grid lines (long straight marks across the page, found with a Hough
   transform) and whatever touches the frame (the paper's edge, a desk);
4. picks the digit's marks (the biggest mark and those close to it) and crops to them.

What is left is MNIST's recipe (lenet.preprocess). A page with nothing on it is blank, one with two
separate marks of similar size is refused with "multiple_marks", never guessed.

OpenCV (headless) does the image processing: its morphology, connected components and Hough transform
are fast C++ on a tablet-sized photo (about 20 ms here), and the headless build needs no GUI libraries.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image

from lenet.errors import CodedError

WORK_SIDE = 480  # the photo is analysed at this longer side (px): enough for a digit a fifth of the frame
_MIN_SIDE = 64  # smaller pictures are icons or scans, never photos
_BLACK = 8  # a picture whose median pixel is this dark has a black background, not paper
# Light ink on a dark, flat background (a scan or a screenshot, however enlarged): a frame this dark (its median,
# of 255) under ink this much brighter (the brightest 1 %). Measured: optdigits enlarged, frames 0-11 under ink
# >= 207 brighter; of 1,050 paper photos, those with a frame this dark are under-exposed (ink <= 27 brighter), and
# those with a part >= 128 brighter than the frame (the paper) have frames >= 26 (a dark desk).
_DARK_FRAME = 16
_LIGHT_INK = 128
_SCAN_SIDE = 20  # a smooth enlargement of a picture this small (longer side, px) is a scan or an icon, never a photo
# ... when sampled back at that size and enlarged again it is off by at most this share of its contrast on average.
# Measured: optdigits enlarged from 8 px to 56-512 px (bilinear, bicubic, Lanczos; PIL and OpenCV) <= 1.0 %; the
# 180 paper photos (tuning, held-out, bad ones) >= 2.1 % at every size up to 20 px.
_ENLARGED_FIT = 0.012
_MIN_CONTRAST = 32  # less contrast than this (of 255) is a blank picture, as in lenet.preprocess
_REBUILD_CV = (cv2.INTER_LINEAR, cv2.INTER_CUBIC, cv2.INTER_LANCZOS4)  # the common enlargements: OpenCV's ...
_REBUILD_PIL = (Image.Resampling.BICUBIC, Image.Resampling.LANCZOS)  # ... and PIL's own cubic and Lanczos
_FLAT_SHARE = 0.3  # a drawing or a clean scan has at least this share of its pixels at one exact value
_NOISE_FACTOR = 5.0  # ink must stand out from the paper by this many times the paper's own noise
_MIN_INK = 0.1  # ... and be at least 10 % darker than the paper around it
_EDGE_RATIO = 0.75  # a straight mark with the background this much darker on one side is the paper's edge
_LINE_SPAN = 0.7  # a straight mark across this share of the page is a ruled line, not a stroke
_GROUP_GAP = 0.2  # marks within this share of the digit's size belong to it (a 5's bar, a broken pencil line)
_RIVAL_AREA = 0.25  # another mark with this share of the digit's ink ...
_RIVAL_SIZE = 0.4  # ... and this share of its size is a second digit: refuse to guess
_RULE_SPACING = 0.06  # ruled lines lie at least this share of the picture apart
_DESK_INK = 0.4  # darker than the paper by this much and reaching the frame: the desk
_MARGIN = 0.02  # marks reaching this close to the frame are the paper's edge or the desk
_MANY = 5  # this many sizeable separate marks together are a picture (a face), not a digit
_INNER_AREA = 0.01  # a mark with this share of the ink inside another's loop counts ...
_MANY_INSIDE = 2  # ... and this many of them (eyes, a mouth) make a picture, not a digit
_MIN_DIGIT = 0.06  # marks smaller than this share of the photo's shorter side are no digit
_BLOB_WIDTH = 0.22  # strokes wider than this share of the marks' size: a blob, not handwriting
_SPECK = 2e-4  # marks under this share of the photo's area are dust and grain


class PhotoError(CodedError):
    """A photo that cannot be read as one digit. Code "multiple_marks": crop to one digit."""


@dataclass
class PhotoDigit:
    """What `find_digit` found.

    Attributes:
        steps: (key, uint8 image) pairs for display: "raw" (the photo in grey), "background" (the
            paper's local brightness), "ink" (darker than the paper around it, bright), "lines" (the
            ink with ruled lines and the frame's edge taken out) and "marks" (the digit's marks bright,
            other marks dim).
        crop: uint8 ink-bright image of the digit, cropped to it (None when there is none).
        reason: None, "blank", "multiple_marks" or "too_small" (a blob, far thicker than a pen's strokes).
        bbox: (top, bottom, left, right) of the digit in the "raw" step's image.
    """

    steps: list[tuple[str, np.ndarray]]
    crop: np.ndarray | None
    reason: str | None = None
    bbox: tuple[int, int, int, int] | None = None
    info: dict = field(default_factory=dict)


def refusal(reason: str | None) -> PhotoError | None:
    """The error a person reads for a photo refused for `reason`, or None when it is not a refusal."""
    if reason == "multiple_marks":
        return PhotoError("I see more than one mark: crop the photo to one digit.", "multiple_marks")
    return None


def _gray(arr: np.ndarray) -> np.ndarray:
    """uint8 HxW luminance of an HxW, HxWx3 array."""
    return arr if arr.ndim == 2 else cv2.cvtColor(np.ascontiguousarray(arr[..., :3]), cv2.COLOR_RGB2GRAY)


def looks_like_photo(arr: np.ndarray) -> bool:
    """True for a camera's picture of paper; False for a canvas drawing, a clean scan, an icon.

    A drawing or a rendered scan has transparency, or a background of one exact value over much of the
    picture; a photo's paper never has (grain, light, sensor noise, JPEG). The photo steps look for dark
    ink, so light ink on a dark, flat background (an MNIST digit, a screenshot, an enlarged scan whose ink
    covers most of it) is no photo either; nor is a small picture enlarged smoothly (`enlarged_from`).

    Args:
        arr: uint8 HxW, HxWx2, HxWx3 or HxWx4 (as lenet.images.to_array returns).
    """
    if (arr.ndim == 3 and arr.shape[2] in (2, 4)) or min(arr.shape[:2]) < _MIN_SIDE:
        return False
    gray = _gray(arr)
    if np.median(gray) <= _BLACK or _light_on_dark(gray):  # no paper at all
        return False
    counts = np.bincount(gray.ravel(), minlength=256)
    return int(counts.max()) < _FLAT_SHARE * gray.size and enlarged_from(gray) is None


def _light_on_dark(gray: np.ndarray) -> bool:
    """True for light ink on a dark, flat background: the frame nearly black, the brightest ink far above it."""
    frame = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    background = float(np.median(frame))
    return background <= _DARK_FRAME and float(np.percentile(gray, 99)) - background >= _LIGHT_INK


def _sampled(h: int, w: int, n: int) -> tuple[int, int]:
    """(height, width) of an h x w picture at n px on its longer side."""
    f = n / max(h, w)
    return max(1, round(h * f)), max(1, round(w * f))


def _misfit(gray: np.ndarray, n: int, contrast: float) -> float:
    """How far the picture is from its own enlargement from n px (longer side), as a share of its contrast.

    The picture is sampled at the centres of an n px grid's pixels (where an enlargement keeps the small
    picture's values) and enlarged back with each common interpolation, clipped as an 8-bit picture is; the
    closest one counts.
    """
    h, w = gray.shape
    sh, sw = _sampled(h, w, n)
    small = cv2.resize(gray, (sw, sh), interpolation=cv2.INTER_LINEAR)
    back = [cv2.resize(small, (w, h), interpolation=k) for k in _REBUILD_CV]
    back += [np.asarray(Image.fromarray(small, "F").resize((w, h), k)) for k in _REBUILD_PIL]
    return min(float(np.abs(np.clip(b, 0, 255) - gray).mean()) for b in back) / contrast


def enlarged_from(arr: np.ndarray) -> tuple[int, int] | None:
    """The size of the small picture that `arr` is a smooth enlargement of (bilinear, bicubic, Lanczos), or None.

    A picture enlarged from n px has no detail finer than its own pixels: sampled back on that grid and
    enlarged again, it comes back within `_ENLARGED_FIT`; a photo (grain, noise, sharp strokes) never does.
    Sizes up to `_SCAN_SIDE` px are tried, the smallest that fits wins.

    Args:
        arr: uint8 HxW, HxWx2, HxWx3 or HxWx4.
    Returns:
        (height, width) of the small picture, or None when `arr` is not such an enlargement.
    """
    gray = arr if arr.ndim == 2 else arr[..., 0] if arr.shape[2] < 3 else _gray(arr)
    h, w = gray.shape
    top = min(_SCAN_SIDE, max(h, w) // 2)  # an enlargement by at least 2
    gray = gray.astype(np.float32)
    contrast = float(np.percentile(gray, 99) - np.percentile(gray, 1))
    # Fewer pixels rarely fit better: what does not fit at the largest size is taken to fit at none (a photo: one try).
    if top < 4 or contrast < _MIN_CONTRAST or _misfit(gray, top, contrast) > _ENLARGED_FIT:
        return None
    n = next(n for n in range(4, top + 1) if _misfit(gray, n, contrast) <= _ENLARGED_FIT)
    return _sampled(h, w, n)


def _work_size(gray: np.ndarray) -> np.ndarray:
    """The photo at WORK_SIDE px on its longer side (area-averaged down, never enlarged)."""
    h, w = gray.shape
    f = WORK_SIDE / max(h, w)
    if f >= 1:
        return gray
    return cv2.resize(gray, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)


def _background(gray: np.ndarray) -> np.ndarray:
    """The paper's local brightness: a grey closing wider than any pen stroke removes the ink.

    Done at a quarter of the size (the light changes slowly) and brought back smoothly.
    """
    h, w = gray.shape
    small = cv2.resize(gray, (max(1, w // 4), max(1, h // 4)), interpolation=cv2.INTER_AREA)
    k = max(3, (min(h, w) // 14) // 4 * 2 + 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    closed = cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel, borderType=cv2.BORDER_REPLICATE)
    closed = cv2.medianBlur(closed, 3)
    return np.maximum(cv2.resize(closed, (w, h), interpolation=cv2.INTER_LINEAR), gray)


def _ink(gray: np.ndarray, background: np.ndarray) -> np.ndarray:
    """How much darker than the paper around it each pixel is, 0..1 (float32)."""
    bg = background.astype(np.float32)
    return np.clip((bg - gray.astype(np.float32)) / np.maximum(bg, 8.0), 0.0, 1.0)


def _ink_mask(ink: np.ndarray, outside: np.ndarray) -> np.ndarray:
    """The pixels clearly darker than the paper: above the paper's noise, with faint parts of strong marks.

    The thresholds are measured on the page only (`outside`: the desk and the paper's edge, left out).
    """
    # The paper's noise, from the lower half of the ink values (paper everywhere but under the ink).
    values = ink[~outside] if (~outside).sum() > 0.1 * ink.size else ink.ravel()
    low = values[values <= np.median(values)]
    noise = 1.4826 * float(np.median(np.abs(low - np.median(values)))) + float(np.median(values))
    strong_at = max(_MIN_INK, _NOISE_FACTOR * noise)
    u8 = np.clip(values * 255, 0, 255).astype(np.uint8).reshape(1, -1)
    otsu, _ = cv2.threshold(u8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    strong_at = max(strong_at, min(otsu / 255.0, 2 * strong_at))
    strong = ink >= strong_at
    weak = (ink >= strong_at / 2).astype(np.uint8)
    n, labels = cv2.connectedComponents(weak, connectivity=8)
    keep = np.zeros(n, bool)
    keep[np.unique(labels[strong])] = True
    keep[0] = False
    return keep[labels] & ~outside


def _segments(mask: np.ndarray) -> np.ndarray:
    """Long straight segments (x0, y0, x1, y1) among the marks (a probabilistic Hough transform)."""
    short = min(mask.shape)
    found = cv2.HoughLinesP(
        mask.astype(np.uint8) * 255,
        1,
        np.pi / 360,
        threshold=int(0.3 * short),
        minLineLength=int(0.3 * short),
        maxLineGap=int(0.04 * short),
    )
    return np.zeros((0, 4), int) if found is None else found.reshape(-1, 4).astype(int)


def _lines(mask: np.ndarray, ink: np.ndarray, background: np.ndarray) -> np.ndarray:
    """The ruled lines, grid lines and the paper's edges, as a mask.

    A long straight segment is a ruled line when others run parallel to it (ruling comes in families)
    and it is no darker than they are, or when it crosses nearly the whole picture; it is the paper's
    edge when the background is much darker on one side of it (the desk). A digit's long stroke is
    none of these.
    """
    h, w = mask.shape
    out = np.zeros((h, w), np.uint8)
    seg = _segments(mask)
    if not len(seg):
        return out > 0
    angle = np.degrees(np.arctan2(seg[:, 3] - seg[:, 1], seg[:, 2] - seg[:, 0])) % 180
    length = np.hypot(seg[:, 2] - seg[:, 0], seg[:, 3] - seg[:, 1])
    level = np.array([_level(ink, s) for s in seg])
    thickness = max(3, round(min(h, w) / 150))
    mid = (seg[:, :2] + seg[:, 2:]) / 2.0
    for i, (x0, y0, x1, y1) in enumerate(seg):
        parallel = np.abs((angle - angle[i] + 90) % 180 - 90) <= 3
        normal = np.array([y0 - y1, x1 - x0], float) / max(length[i], 1.0)
        apart = np.abs((mid - mid[i]) @ normal) >= _RULE_SPACING * min(h, w)
        across = length[i] >= _LINE_SPAN * (w if abs(x1 - x0) >= abs(y1 - y0) else h)
        family = parallel & (apart | (np.arange(len(seg)) == i))
        # Ruling: parallel lines spaced apart, none much darker than the others (a stroke along a line is).
        ruled = (parallel & apart).sum() >= 2 and level[i] <= 3.0 * float(np.median(level[family]))
        edge = _edge(background, seg[i], 3 * thickness)
        if across or ruled or edge:
            # Ruling runs across the page: the whole line goes, with the fragments the threshold broke off.
            # The paper's edge goes with a wider band: its shadow and the desk's rim lie along it.
            d = np.array([x1 - x0, y1 - y0], float) / max(length[i], 1.0) * (h + w)
            a, b = (x0 - d[0], y0 - d[1]), (x1 + d[0], y1 + d[1])
            width = 3 * thickness if edge else thickness
            cv2.line(out, (round(a[0]), round(a[1])), (round(b[0]), round(b[1])), 255, width)
    return out > 0


def _edge(background: np.ndarray, segment: np.ndarray, offset: int) -> bool:
    """True when the background on one side of the segment is much darker than on the other: the paper's edge."""
    x0, y0, x1, y1 = segment
    length = max(float(np.hypot(x1 - x0, y1 - y0)), 1.0)
    nx, ny = (y0 - y1) / length * offset, (x1 - x0) / length * offset
    t = np.linspace(0.1, 0.9, 9)
    xs, ys = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
    h, w = background.shape

    def side(sign: int) -> float:
        cx = np.clip(np.round(xs + sign * nx).astype(int), 0, w - 1)
        cy = np.clip(np.round(ys + sign * ny).astype(int), 0, h - 1)
        return float(np.median(background[cy, cx]))

    a, b = side(1), side(-1)
    return min(a, b) < _EDGE_RATIO * max(a, b, 1.0)


def _level(ink: np.ndarray, segment: np.ndarray) -> float:
    """The median ink along a segment."""
    x0, y0, x1, y1 = segment
    n = int(max(abs(x1 - x0), abs(y1 - y0))) + 1
    xs = np.clip(np.linspace(x0, x1, n).round().astype(int), 0, ink.shape[1] - 1)
    ys = np.clip(np.linspace(y0, y1, n).round().astype(int), 0, ink.shape[0] - 1)
    return float(np.median(ink[ys, xs]))


def _outside(ink: np.ndarray) -> np.ndarray:
    """What is not the page: dark regions reaching the frame (the desk, the paper's edge), widened a little.

    Ruled lines and pen strokes are too thin to be taken for it, and a digit rarely touches the frame.
    """
    h, w = ink.shape
    # Only wide dark regions: an opening drops ruled lines and pen strokes, which could otherwise link a
    # digit to the frame.
    dark = cv2.morphologyEx((ink >= _DESK_INK).astype(np.uint8), cv2.MORPH_OPEN, np.ones((7, 7), np.uint8))
    _, labels, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=8)
    m = max(2, round(_MARGIN * min(h, w)))
    x, y, bw, bh = stats[:, 0], stats[:, 1], stats[:, 2], stats[:, 3]
    touches = (x < m) | (y < m) | (x + bw > w - m) | (y + bh > h - m)
    touches[0] = False
    out = touches[labels].astype(np.uint8)
    return cv2.dilate(out, np.ones((5, 5), np.uint8)) > 0


def _remove_lines(mask: np.ndarray, ink: np.ndarray, background: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The mask without ruled lines (ink on a line as dark as the line itself goes; a darker stroke stays)."""
    lines = _lines(mask, ink, background)
    if not lines.any():
        return mask, lines
    on_line = lines & mask
    level = float(np.median(ink[on_line])) if on_line.any() else 0.0
    cleaned = mask & ~(lines & (ink < 1.6 * level))
    # Rejoin the strokes a removed line cut through.
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))
    healed = cv2.morphologyEx(cleaned.astype(np.uint8), cv2.MORPH_CLOSE, kernel) > 0
    return cleaned | (healed & lines), lines


def _components(mask: np.ndarray) -> list[dict]:
    """The marks: connected components, without specks and without those touching the frame."""
    h, w = mask.shape
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    min_area = max(6, _SPECK * h * w)
    m = max(2, round(_MARGIN * min(h, w)))
    marks = []
    for i in range(1, n):
        x, y, bw, bh, area = (int(v) for v in stats[i])
        if area < min_area or x < m or y < m or x + bw > w - m or y + bh > h - m:
            continue
        marks.append({"label": i, "area": area, "box": (y, y + bh, x, x + bw)})
    return marks, labels


def _gap(a: tuple, b: tuple) -> int:
    """The gap in px between two boxes (top, bottom, left, right); 0 when they overlap."""
    dy = max(0, max(a[0], b[0]) - min(a[1], b[1]))
    dx = max(0, max(a[2], b[2]) - min(a[3], b[3]))
    return max(dy, dx)


def _union(a: tuple, b: tuple) -> tuple:
    return (min(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3]))


def _group(marks: list[dict]) -> tuple[list[dict], list[dict]]:
    """The digit's marks (the biggest and those near it) and the rest."""
    marks = sorted(marks, key=lambda m: -m["area"])
    group, rest = [marks[0]], marks[1:]
    box = marks[0]["box"]
    changed = True
    while changed:
        changed = False
        size = max(box[1] - box[0], box[3] - box[2])
        for m in list(rest):
            if _gap(box, m["box"]) <= max(3, _GROUP_GAP * size):
                group.append(m)
                rest.remove(m)
                box = _union(box, m["box"])
                changed = True
    return group, rest


def _rival(group: list[dict], rest: list[dict]) -> bool:
    """True when another mark is about as big as the digit: a second digit, or not a digit at all."""
    area = sum(m["area"] for m in group)
    box = group[0]["box"]
    for m in group[1:]:
        box = _union(box, m["box"])
    size = max(box[1] - box[0], box[3] - box[2])
    if sum(m["area"] >= 0.01 * area for m in group) >= _MANY:
        return True
    for m in rest:
        b = m["box"]
        if m["area"] >= _RIVAL_AREA * area and max(b[1] - b[0], b[3] - b[2]) >= _RIVAL_SIZE * size:
            return True
    return False


def _holes(region: np.ndarray) -> np.ndarray:
    """The holes of a binary mark: what its loops enclose (what the outside cannot reach), small gaps closed."""
    k = max(3, round(0.04 * max(region.shape)) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    region = cv2.morphologyEx(np.pad(region.astype(np.uint8), k), cv2.MORPH_CLOSE, kernel)[k:-k, k:-k]
    padded = np.pad(region, 1)
    flood = padded.copy()
    cv2.floodFill(flood, None, (0, 0), 2)
    return (flood == 0)[1:-1, 1:-1]


def _enclosed(labels: np.ndarray, group: list[dict]) -> int:
    """How many sizeable marks lie inside another mark's loop: eyes in a face, never parts of a digit."""
    area = sum(m["area"] for m in group)
    count = 0
    for outer in (m for m in group if m["area"] >= 0.1 * area):
        y0, y1, x0, x1 = outer["box"]
        window = labels[y0:y1, x0:x1]
        holes = _holes(window == outer["label"])
        for inner in group:
            if inner is outer or inner["area"] < _INNER_AREA * area:
                continue
            pixels = window == inner["label"]
            if pixels.sum() >= 0.5 * inner["area"] and (holes & pixels).sum() >= 0.5 * inner["area"]:
                count += 1
    return count


def _blob(digit: np.ndarray, box: tuple) -> bool:
    """True when the marks are far thicker than a pen's strokes for their size: hair, a hand, a smudge."""
    y0, y1, x0, x1 = box
    patch = np.pad(digit[y0:y1, x0:x1].astype(np.uint8), 1)
    depth = cv2.distanceTransform(patch, cv2.DIST_L2, 3)[patch > 0]
    width = 4.0 * float(depth.mean()) if depth.size else 0.0  # a stroke of width w: mean depth w / 4
    return width > _BLOB_WIDTH * max(y1 - y0, x1 - x0)


def _crop(ink: np.ndarray, digit: np.ndarray, box: tuple) -> np.ndarray:
    """The digit's ink, ink bright and its strokes at full strength, cropped to `box`."""
    y0, y1, x0, x1 = box
    near = cv2.dilate(digit.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    patch = np.where(near, ink, 0.0)[y0:y1, x0:x1]
    peak = float(np.percentile(patch[digit[y0:y1, x0:x1]], 90)) if digit[y0:y1, x0:x1].any() else 1.0
    return np.clip(patch / max(peak, 1e-3) * 255.0, 0, 255).astype(np.uint8)


def _marks_picture(labels: np.ndarray, group: list[dict], rest: list[dict]) -> np.ndarray:
    """The digit's marks bright, the other marks dim."""
    out = np.zeros(labels.shape, np.uint8)
    lut = np.zeros(int(labels.max()) + 1, np.uint8)
    for m in rest:
        lut[m["label"]] = 70
    for m in group:
        lut[m["label"]] = 255
    out[:] = lut[labels]
    return out


def find_digit(arr: np.ndarray) -> PhotoDigit:
    """Find the one handwritten digit in a photo of paper, keeping every step for display.

    Args:
        arr: uint8 HxW or HxWx3 (RGB), a photo (see `looks_like_photo`).
    Returns:
        a PhotoDigit: the cropped digit, or a reason ("blank", "multiple_marks") and no crop.
    """
    gray = _work_size(_gray(arr))
    background = _background(gray)
    ink = _ink(gray, background)
    mask = _ink_mask(ink, _outside(ink))
    cleaned, lines = _remove_lines(mask, ink, background)
    marks, labels = _components(cleaned)
    ink_u8 = np.clip(ink * 255 / max(float(ink.max()), 1e-3), 0, 255).astype(np.uint8)
    steps = [("raw", gray), ("background", background), ("ink", ink_u8)]
    steps.append(("lines", np.where(cleaned, 255, np.where(lines | mask, 60, 0)).astype(np.uint8)))
    if not marks:
        return PhotoDigit(steps, None, "blank")
    group, rest = _group(marks)
    steps.append(("marks", _marks_picture(labels, group, rest)))
    if _rival(group, rest) or _enclosed(labels, group) >= _MANY_INSIDE:
        return PhotoDigit(steps, None, "multiple_marks")
    digit = np.isin(labels, [m["label"] for m in group])
    box = group[0]["box"]
    for m in group[1:]:
        box = _union(box, m["box"])
    if max(box[1] - box[0], box[3] - box[2]) < _MIN_DIGIT * min(gray.shape):
        return PhotoDigit(steps, None, "blank")  # specks along the paper's edge, dust: nothing written
    if _blob(digit, box):
        return PhotoDigit(steps, None, "too_small")
    return PhotoDigit(steps, _crop(ink, digit, box), None, box, {"lines": bool(lines.any())})
