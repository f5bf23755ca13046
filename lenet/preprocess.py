"""Any image (canvas RGBA, upload, either polarity) to the 28x28 MNIST-format model input.

The recipe is the one MNIST itself was made with (LeCun et al.): crop the digit, scale its
longer side to 20 px keeping the aspect ratio with anti-aliasing, put it in a 28x28 field and
move its intensity-weighted centre of mass to the centre. Every intermediate image is kept so
the Draw page can show the steps one by one.

Two additions make drawings from any pen look like MNIST's pen strokes (measured: they lift
canvas drawings with brushes from 6 to 40 px and scikit-learn's chunky 8x8 digits by several
points): the stroke width is brought into MNIST's usual range before the final anti-aliased
downscale, and a nearest-neighbour enlargement (a blown-up icon) is undone first. A tiny scan
(an upload no bigger than the 20 px box, such as optdigits' 8x8 counts) is enlarged keeping each
pixel's share of ink (`_enlarge_scan`: optdigits 94.8 % -> 97.0 %, 2,000 MNIST test digits shrunk to 8x8
93.2 % -> 94.8 %).

Decoding an uploaded file comes first, in lenet.images. numpy, PIL and OpenCV (one resize) are used
here, no torch, so uploads can be preprocessed without it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image, ImageChops

from lenet import photo
from lenet.data import normalise
from lenet.images import to_array

FIELD = 28  # MNIST's image size
BOX = 20  # MNIST scales the digit's longer side to 20 px
TARGET = (14.0, 14.0)  # where MNIST's centre of mass sits (row, col), measured on the training set

_BLANK_CONTRAST = 32  # ink brighter than the background by less than this (of 255): nothing drawn
_INK_THRESHOLD = 0.25  # fraction of the peak: fainter pixels are noise or anti-aliasing
_SPECK_FRACTION = 0.02  # an isolated blob with less of the ink than this is a speck, not part of the digit
_DOT_RATIO = 2.6  # a mark whose extent is under this many stroke widths is a dot (a disc: ~2.1)
_MIN_EXTENT = 3  # px in the working image; smaller ink is nothing to read
_WORK_MIN, _WORK_MAX = 80, 320  # working resolution of the crop's longer side, px
_BINARY_THRESHOLD = 128  # NIST's originals were bilevel; half the (stretched) peak splits ink from paper
# Stroke width in output px: MNIST's 10th to 90th percentile (median 2.3), measured the same way.
_WIDTH_RANGE = (1.7, 3.2)
# For drawings enlarged to the working size (a small mark on the canvas, a 21-79 px upload); measured on
# optdigits before tiny scans had their own enlargement (`_enlarge_scan`).
_SMALL_THRESHOLD = 110
_RESAMPLE = Image.Resampling.BOX  # area averaging: the anti-aliasing of MNIST's normalisation
_UPSCALE = Image.Resampling.LANCZOS  # small inputs: sharp and smooth
_MIN_CANVAS_FRACTION = 0.08  # on the canvas, a mark under 8 % of its side is a tap or a slip, not a digit


@dataclass
class Preprocessed:
    """The result of preprocessing: every step for display, and the model input.

    Attributes:
        steps: ordered (key, uint8 image) pairs, ink bright, with keys "raw" (grayscale, polarity
            fixed, contrast stretched), "cropped" (the ink's bounding box), "scaled" (longer side
            20 px, stroke width evened out, placed in the middle of the 28x28 field) and
            "centred" (centre of mass moved to the centre). For a blank image, "cropped" is the
            raw image and the last two are black.
        image: uint8 28x28, ink 255 on 0, exactly MNIST's format; the same array as the "centred" step.
        input: float32 1x1x28x28, normalised with MEAN/STD: exactly what the model sees.
        empty: True when there is nothing to read (blank, or just a dot); then do not predict.
        reason: "blank", "too_small", "multiple_marks" (a photo: lenet.photo.refusal) or None.
        info: details for display: "bbox" (top, bottom, left, right) of the ink in the raw image,
            "offset" (top, left) of the 20 px box in the field.
    """

    steps: list[tuple[str, np.ndarray]]
    image: np.ndarray
    input: np.ndarray
    empty: bool
    reason: str | None = None
    info: dict = field(default_factory=dict)

    def step(self, key: str) -> np.ndarray:
        """The image of one step by key ("raw", "cropped", "scaled", "centred"; a photo's also
        "background", "ink", "lines" and "marks", see lenet.photo.PhotoDigit)."""
        return dict(self.steps)[key]


def _change_gcd(flat: np.ndarray) -> int:
    """Greatest common divisor of the row count and the indices where a row differs from the last."""
    changes = np.flatnonzero((flat[1:] != flat[:-1]).any(1)) + 1
    return int(np.gcd.reduce(np.concatenate([[len(flat)], changes])))


def _unblock(arr: np.ndarray) -> np.ndarray:
    """Undo a nearest-neighbour enlargement (pixel art, a blown-up 8x8 digit): one pixel per block.

    Rows (and columns) can only change at multiples of the block size, so the block size is the
    greatest common divisor of where they change. Interpolating from the true pixels later gives
    round strokes instead of staircases.
    """
    h, w = arr.shape[:2]
    k = _change_gcd(arr.reshape(h, -1))
    if k < 2 or k == h:  # the usual case, or uniform rows: nothing to undo
        return arr
    k = int(np.gcd(k, _change_gcd(np.ascontiguousarray(arr.swapaxes(0, 1)).reshape(w, -1))))
    if k < 2 or k == w or min(h, w) // k < 4:
        return arr
    return arr[::k, ::k]


def _unsmooth(arr: np.ndarray) -> np.ndarray:
    """Undo a smooth enlargement of a tiny scan (`photo.enlarged_from`), so that it is read as the scan it is.

    The picture is sampled at the small picture's pixel centres, where bilinear, bicubic and Lanczos
    enlargements keep its values; `_enlarge_scan` then reads it as it reads the original.
    """
    size = photo.enlarged_from(arr)
    if size is None:
        return arr
    return cv2.resize(arr, size[::-1], interpolation=cv2.INTER_LINEAR)


def _border(gray: np.ndarray) -> np.ndarray:
    """The pixels of the outer frame, a few percent of the size wide."""
    h, w = gray.shape
    k = max(1, min(h, w) // 40)
    return np.concatenate([gray[:k].ravel(), gray[-k:].ravel(), gray[:, :k].ravel(), gray[:, -k:].ravel()])


def _luminance(rgb: np.ndarray) -> np.ndarray:
    """ITU-R 601 luma of an HxWx3 or HxWx4 uint8 array (alpha ignored), as uint8; PIL does it in C."""
    mode = "RGBA" if rgb.shape[2] == 4 else "RGB"
    return np.asarray(Image.fromarray(np.ascontiguousarray(rgb), mode).convert("L"))


def _ink_gray(arr: np.ndarray, known_polarity: bool) -> np.ndarray:
    """Grayscale with bright ink on a dark background (uint8 or float, 0..255), before contrast stretching.

    Args:
        arr: uint8 HxW, HxWx2 (LA), HxWx3 or HxWx4.
        known_polarity: the canvas case: ink is opaque and white, the background transparent or black.
    """
    if arr.ndim == 2:
        lum, alpha = arr, None
    elif arr.shape[2] == 2:
        lum, alpha = np.ascontiguousarray(arr[..., 0]), np.ascontiguousarray(arr[..., 1])
    else:
        lum = _luminance(arr)
        alpha = np.ascontiguousarray(arr[..., 3]) if arr.shape[2] == 4 else None
    if known_polarity:
        # Compositing over black makes transparent-background and black-background canvases agree,
        # and stays right when strokes cover most of the canvas (no guessing from the border).
        if alpha is None:
            return lum
        return np.asarray(ImageChops.multiply(Image.fromarray(lum), Image.fromarray(alpha)))
    if alpha is not None:
        frame_alpha = _border(alpha)
        if np.median(frame_alpha) < 128:
            # Transparent background: whatever is opaque is the ink, whatever its colour.
            return alpha
        if frame_alpha.min() < 255 or alpha.min() < 255:
            # Opaque background with some transparent pixels: fill them with the background's colour.
            opaque = frame_alpha >= 128
            bg = float(np.median(_border(lum)[opaque]))
            a = alpha.astype(np.float32) / 255.0
            lum = lum * a + bg * (1.0 - a)
    # Decide polarity from the frame, where the background is: light paper means dark ink.
    # The frame's median ignores a stroke that touches the edge.
    if np.median(_border(lum)) > 127:
        lum = 255 - lum
    return lum


def _stretch(gray: np.ndarray, known_polarity: bool) -> tuple[np.ndarray, bool]:
    """Map the background to 0 and the ink's peak to 255; report whether there is any ink at all."""
    bg = 0.0 if known_polarity else float(np.median(_border(gray)))
    peak = float(gray.max())
    if peak - bg < _BLANK_CONTRAST:
        return np.zeros(gray.shape, np.uint8), False
    if bg == 0.0 and peak == 255.0:
        return np.clip(gray, 0, 255).astype(np.uint8), True  # the canvas: already right (a copy)
    out = (gray.astype(np.float32) - np.float32(bg)) * np.float32(255.0 / (peak - bg))
    return np.clip(out, 0, 255).astype(np.uint8), True


def _runs(profile: np.ndarray) -> list[tuple[int, int]]:
    """Half-open index ranges where `profile` is non-zero."""
    nz = np.concatenate([[0], (profile > 0).astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(nz))
    return list(zip(edges[::2], edges[1::2], strict=True))


def _trim(profile: np.ndarray) -> tuple[int, int]:
    """The extent of the ink along one axis, dropping small isolated specks at either end."""
    runs = _runs(profile)
    total = float(profile.sum())
    mass = [float(profile[a:b].sum()) for a, b in runs]
    lo, hi = 0, len(runs)
    # Peel off end groups separated by an empty gap that hold almost no ink (dust, a stray tap).
    while hi - lo > 1 and mass[lo] < _SPECK_FRACTION * total:
        lo += 1
    while hi - lo > 1 and mass[hi - 1] < _SPECK_FRACTION * total:
        hi -= 1
    return runs[lo][0], runs[hi - 1][1]


def _bbox(gray: np.ndarray) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) of the ink above the noise threshold, specks dropped; None if none."""
    mask = gray >= max(1, int(_INK_THRESHOLD * 255))
    rows = mask.sum(1)
    if not rows.any():
        return None
    top, bottom = _trim(rows)
    cols = mask[top:bottom].sum(0)
    left, right = _trim(cols)
    rows = mask[top:bottom, left:right].sum(1)
    t2, b2 = _trim(rows)
    return top + t2, top + b2, left, right


def _is_dot(crop: np.ndarray) -> bool:
    """True when the ink is about as wide as it is long: a dot or blob, not a stroke drawing.

    A disc's extent is about 2 of its "stroke widths" (see `_stroke_width`), a digit's at least
    3 (scikit-learn's chunky 8x8 digits) and usually 4 or more (MNIST, canvas drawings).
    """
    h, w = crop.shape
    f = 48.0 / max(h, w)  # a fixed size, so the estimate neither crawls on 280 px nor is coarse on 8 px
    resample = Image.Resampling.BOX if f < 1 else Image.Resampling.BILINEAR
    small = Image.fromarray(crop).resize((max(1, round(w * f)), max(1, round(h * f))), resample)
    mask = np.asarray(small) >= 128
    if not mask.any():
        return True
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    extent = max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1
    return extent < _DOT_RATIO * _stroke_width(mask)


def _erode(mask: np.ndarray, square: bool) -> np.ndarray:
    """One binary erosion with a 3x3 cross or square (the outer frame counts as background)."""
    m = np.pad(mask, 1)
    out = m[1:-1, 1:-1] & m[:-2, 1:-1] & m[2:, 1:-1] & m[1:-1, :-2] & m[1:-1, 2:]
    if square:
        out &= m[:-2, :-2] & m[:-2, 2:] & m[2:, :-2] & m[2:, 2:]
    return out


def _dilate(mask: np.ndarray, square: bool) -> np.ndarray:
    """One binary dilation with a 3x3 cross or square."""
    m = np.pad(mask, 1)
    out = m[1:-1, 1:-1] | m[:-2, 1:-1] | m[2:, 1:-1] | m[1:-1, :-2] | m[1:-1, 2:]
    if square:
        out |= m[:-2, :-2] | m[:-2, 2:] | m[2:, :-2] | m[2:, 2:]
    return out


def _stroke_width(mask: np.ndarray) -> float:
    """Typical stroke width of a binary drawing, in px.

    Two erosions (a cross, then a square: together close to a disc) strip about 2 px from each
    side of every stroke, so the area lost is about 4 px times the strokes' total length.
    """
    area = float(mask.sum())
    eroded = _erode(_erode(mask, False), True)
    lost = area - float(eroded.sum())
    return 4.0 * area / lost if lost > 0 else 0.0


def _morph(mask: np.ndarray, steps: int, grow: bool) -> np.ndarray:
    """Grow or shrink the strokes by `steps` px per side, alternating cross and square (an octagon)."""
    for i in range(steps):
        shrunk = _dilate(mask, i % 2 == 1) if grow else _erode(mask, i % 2 == 1)
        if not grow and shrunk.sum() < 0.3 * mask.sum():
            break  # never erode a drawing away
        mask = shrunk
    return mask


def _enlarge_scan(crop: np.ndarray) -> tuple[np.ndarray, int]:
    """A tiny scan made black-and-white at a working resolution, keeping how much ink each pixel had.

    Each pixel of a scan smaller than MNIST's 20 px box (optdigits' 8x8 counts, a shrunk MNIST digit)
    is the share of its square that was ink. Each pixel becomes a k x k block with exactly that share of
    ink, put where a smooth (Lanczos) enlargement is darkest: round strokes of the true thickness, where a
    single cut of the enlargement thins faint strokes or swells strong ones.

    Returns:
        the bool mask (one blank pixel's margin around the crop, enlarged) and the crop's longer side in it.
    """
    h, w = crop.shape
    k = -(-_WORK_MIN // max(h, w))  # whole blocks, at least _WORK_MIN px across
    pad = np.pad(crop, 1).astype(np.float32)
    hh, ww = pad.shape
    smooth = cv2.resize(pad, (ww * k, hh * k), interpolation=cv2.INTER_LANCZOS4)
    blocks = smooth.reshape(hh, k, ww, k).swapaxes(1, 2).reshape(hh, ww, k * k)
    rank = np.argsort(np.argsort(-blocks, axis=2, kind="stable"), axis=2, kind="stable")  # 0: the darkest
    count = np.rint(pad * (k * k / 255.0))[..., None]
    mask = (rank < count).reshape(hh, ww, k, k).swapaxes(1, 2).reshape(hh * k, ww * k)
    return mask, max(h, w) * k


def _working_mask(crop: np.ndarray) -> tuple[np.ndarray, int]:
    """The crop made black-and-white at the working resolution (80 to 320 px); the mask and its longer side."""
    h, w = crop.shape
    side = max(h, w)
    work_side = min(max(side, _WORK_MIN), _WORK_MAX)
    if work_side != side:
        f = work_side / side
        # Tiny inputs (an 8x8 icon) are enlarged smoothly so their threshold gives round strokes.
        resample = Image.Resampling.BOX if f < 1 else _UPSCALE
        if f > 1:
            # A blank margin, so the interpolation rounds off strokes that end at the crop's edge
            # instead of stretching them flat.
            crop = np.pad(crop, 2)
            h, w = crop.shape
        crop = np.asarray(Image.fromarray(crop).resize((max(1, round(w * f)), max(1, round(h * f))), resample))
    # An enlarged tiny scan (optdigits' 8x8 block averages) keeps its thin strokes with a lower cut.
    mask = crop >= (_SMALL_THRESHOLD if work_side > side else _BINARY_THRESHOLD)
    if not mask.any():
        mask = crop >= crop.max()
    return mask, work_side


def _scale(crop: np.ndarray, scan: bool = False) -> np.ndarray:
    """Resize so the longer side is 20 px, keeping the aspect ratio, with anti-aliasing.

    Like NIST's bilevel originals, the ink is made black-and-white at a working resolution, its
    stroke width brought into MNIST's usual range, and the anti-aliased 20 px image is the area
    average of that. This makes a hairline pen and a fat brush look like MNIST's pen strokes.

    Args:
        crop: uint8 ink-bright image cropped to the digit.
        scan: an upload, not the canvas: one no bigger than the 20 px box is a tiny scan (`_enlarge_scan`).
    """
    h, w = crop.shape
    side = max(h, w)
    if scan and side <= BOX:
        mask, work_side = _enlarge_scan(crop)
    else:
        mask, work_side = _working_mask(crop)
    scale = BOX / work_side  # working px -> output px
    lo, hi = _WIDTH_RANGE
    for _ in range(3):  # the estimate is rough for hairlines, so re-measure after each change
        width = _stroke_width(mask) * scale
        if width < lo:
            steps, grow = int(np.ceil((lo - width) / scale / 2)), True
        elif width > hi:
            steps, grow = int(np.ceil((width - hi) / scale / 2)), False
        else:
            break
        if grow:
            mask = np.pad(mask, steps)  # room to grow at the edges
        mask = _morph(mask, steps, grow)
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    mask = mask[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    mh, mw = mask.shape
    f = BOX / max(mh, mw)
    size = (max(1, round(mw * f)), max(1, round(mh * f)))
    img = Image.fromarray(mask.astype(np.uint8) * 255)
    return np.asarray(img.resize(size, _RESAMPLE, reducing_gap=None))


def _place(patch: np.ndarray, top: int, left: int) -> np.ndarray:
    """Paste `patch` into a blank 28x28 field at (top, left), clipping what falls outside."""
    field_ = np.zeros((FIELD, FIELD), np.uint8)
    h, w = patch.shape
    t0, l0 = max(0, top), max(0, left)
    t1, l1 = min(FIELD, top + h), min(FIELD, left + w)
    if t1 > t0 and l1 > l0:
        field_[t0:t1, l0:l1] = patch[t0 - top : t1 - top, l0 - left : l1 - left]
    return field_


def _centre_of_mass(img: np.ndarray) -> tuple[float, float]:
    """Intensity-weighted (row, col) centre of an image."""
    m = img.astype(np.float64)
    total = m.sum()
    if total == 0:
        return (img.shape[0] - 1) / 2, (img.shape[1] - 1) / 2
    return (float(m.sum(1) @ np.arange(img.shape[0])) / total, float(m.sum(0) @ np.arange(img.shape[1])) / total)


def _nothing(steps: list[tuple[str, np.ndarray]], reason: str) -> Preprocessed:
    """Nothing to read: the steps so far, then the last one shown again as "cropped" and a black input."""
    blank28 = np.zeros((FIELD, FIELD), np.uint8)
    steps = [*steps, ("cropped", steps[-1][1]), ("scaled", blank28), ("centred", blank28)]
    return Preprocessed(steps, blank28, normalise(blank28), True, reason)


def _read_crop(
    steps: list[tuple[str, np.ndarray]], crop: np.ndarray, box: tuple, too_small: bool, scan: bool = False
) -> Preprocessed:
    """MNIST's recipe from the cropped ink on: scale to 20 px, place in 28x28, centre the mass.

    Args:
        steps: the steps before cropping (for display).
        crop: uint8 ink-bright image cropped to the digit.
        box: (top, bottom, left, right) of the crop in the first step's image.
        too_small: a dot or a tap, not a digit: nothing to read.
        scan: an upload (not the canvas, not a photo): a tiny one is enlarged as a scan (see `_scale`).
    """
    patch = _scale(crop, scan)
    h, w = patch.shape
    # Step 4: the 20 px box in the middle of the field; step 5 moves it by its centre of mass.
    scaled = _place(patch, (FIELD - h) // 2, (FIELD - w) // 2)
    cy, cx = _centre_of_mass(patch)
    # Whole pixels, as MNIST did (sub-pixel shifts only blur). A digit whose weight sits far to
    # one side stops at the edge of the field rather than losing a row of ink.
    top = min(max(round(TARGET[0] - cy), 0), FIELD - h)
    left = min(max(round(TARGET[1] - cx), 0), FIELD - w)
    centred = _place(patch, top, left)
    steps = [*steps, ("cropped", crop), ("scaled", scaled), ("centred", centred)]
    info = {"bbox": tuple(int(v) for v in box), "offset": (top, left)}
    return Preprocessed(steps, centred, normalise(centred), too_small, "too_small" if too_small else None, info)


def _run(arr: np.ndarray, known_polarity: bool, scans: bool = True) -> Preprocessed:
    """Steps 1 to 6 on a uint8 array; `known_polarity` for the canvas (white ink); `scans`: see `preprocess`."""
    raw, has_ink = _stretch(_ink_gray(arr, known_polarity), known_polarity)
    box = _bbox(raw) if has_ink else None
    if box is None:
        return _nothing([("raw", raw)], "blank")
    y0, y1, x0, x1 = (int(v) for v in box)
    crop = raw[y0:y1, x0:x1]
    # The canvas has a known size, so a tiny mark on it can be judged by its size alone; an upload
    # can be anything from an 8x8 icon to a photo, so only the shape (a dot) counts there.
    min_extent = max(_MIN_EXTENT, _MIN_CANVAS_FRACTION * max(raw.shape) if known_polarity else 0)
    too_small = bool(max(crop.shape) < min_extent or _is_dot(crop))
    return _read_crop([("raw", raw)], crop, (y0, y1, x0, x1), too_small, scans and not known_polarity)


def _run_photo(arr: np.ndarray) -> Preprocessed:
    """A photo of paper: lenet.photo finds the digit's ink, then MNIST's recipe as for any picture."""
    found = photo.find_digit(arr)
    if found.crop is None:
        return _nothing(found.steps, found.reason or "blank")
    crop = found.crop
    too_small = bool(max(crop.shape) < _MIN_EXTENT or _is_dot(crop))
    result = _read_crop(found.steps, crop, found.bbox, too_small)
    result.info["photo"] = found.info
    return result


def preprocess(image: Image.Image | np.ndarray, photos: bool = True, scans: bool = True) -> Preprocessed:
    """Turn any image of a digit into MNIST's 28x28 format, keeping every step.

    The polarity is detected: dark ink on light paper and light ink on a dark or transparent
    background both work. Large images are shrunk first (the output is 20 px anyway).

    A photo of paper (lenet.photo.looks_like_photo) first goes through lenet.photo's steps: the ink
    against the paper around it, ruled lines and the paper's edge removed, the digit's marks picked.

    Args:
        image: a PIL image (any mode) or an array: HxW, HxWx3 or HxWx4; uint8, bool, 16-bit or
            float (0..1; any other range is scaled by its maximum).
        photos: False skips the photo steps (what every picture got before them; bench/photos.py).
        scans: False enlarges a tiny scan like any small drawing (before `_enlarge_scan`; bench/photos.py).
    Returns:
        a Preprocessed; for a blank image or a mere dot, `empty` is True, and for a photo with more
        than one mark, reason "multiple_marks" (never raises for those).
    """
    arr = to_array(image)
    if photos and photo.looks_like_photo(arr):
        return _run_photo(arr)
    arr = _unblock(arr)
    return _run(_unsmooth(arr) if scans else arr, known_polarity=False, scans=scans)


def canvas_to_input(rgba: np.ndarray) -> Preprocessed:
    """Preprocess the drawing canvas's image: white ink on a transparent or black background.

    The polarity is known here, so a scribble that covers most of the canvas is still read as ink.

    Args:
        rgba: uint8 HxWx4 as the canvas component returns it (HxW or HxWx3 also accepted).
    Returns:
        a Preprocessed, as from `preprocess`.
    """
    return _run(to_array(rgba), known_polarity=True)
