"""Reading photos of digits on paper, UCI's optdigits scans and drawn digits: before and after the photo steps.

"Before" is `lenet.preprocess.preprocess(image, photos=False)`: every picture goes straight into MNIST's
recipe, as all did before lenet/photo.py (the same code otherwise, so the comparison is made in one run).
"After" is the default. For optdigits, "before" also turns off the tiny-scan enlargement (`scans=False`: a tiny
scan enlarged and cut like any small drawing, 94.8 %; 94.1 % before that drawing path's lower cut, measured on its
parent commit). The tiny-scan enlargement's one choice (Lanczos rather than cubic or linear interpolation) was made on
optdigits' even indices only: "optdigits_after_odd" is the held-out half, "optdigits_after" the whole set.
Drawn digits go through `canvas_to_input`, which the photo steps never touch;
they are measured to show that they did not get worse.

Enlarged scans (issue 27): every optdigits scan enlarged to 28-512 px with nearest, bilinear, bicubic and Lanczos
interpolation (PIL's, as an image viewer or a screenshot tool does), read after everything ("optdigits_<size>_<kind>":
share read right, how many nothing to read, how many the photo detector took for a photo); at 512 px every 4th scan
(`--stride-512`), it takes ~80 ms a scan. "optdigits_112_bicubic_recipe" is the issue's case through MNIST's recipe
alone (`photos=False, scans=False`). With MNIST present ($LENET_DATA_DIR, else data/mnist), its first
`--mnist` test digits enlarged the same ways from 28 px ("mnist_<size>_<kind>", "mnist_28": as they are).

Photos come from tests/paper_photos.py's HELD_OUT_SEEDS (never used for tuning), optdigits from
scikit-learn's bundled copy (`load_digits`: 1,797 digits, 8x8, offline), drawings from
tests/strokes.drawn_digit_set.

    python bench/photos.py [--photos 400] [--drawn 100] [--mnist 500] [--quick] [--json]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from common import machine, report
from PIL import Image

from lenet import checkpoints, data, photo
from lenet.inference import predict_probs
from lenet.preprocess import canvas_to_input, preprocess

SIZES = (28, 56, 112, 224, 512)
KINDS = {k.lower(): k for k in ("NEAREST", "BILINEAR", "BICUBIC", "LANCZOS")}


def correct(model, preps, labels) -> np.ndarray:
    """Whether each was read right (nothing to read counts as wrong)."""
    labels = np.asarray(labels)
    readable = [i for i, p in enumerate(preps) if not p.empty]
    right = np.zeros(len(preps), bool)
    if readable:
        probs = predict_probs(model, np.stack([preps[i].image for i in readable]))
        right[readable] = probs.argmax(1) == labels[readable]
    return right


def accuracy(model, preps, labels) -> tuple[float, int]:
    """Share read right (nothing to read counts as wrong) and how many were nothing to read."""
    return float(correct(model, preps, labels).mean()), sum(p.empty for p in preps)


def enlarged(images: np.ndarray, size: int, kind: str) -> list[np.ndarray]:
    """uint8 pictures enlarged to size x size with PIL's `kind` interpolation ("bicubic", ...)."""
    resample = Image.Resampling[KINDS[kind]]
    return [np.asarray(Image.fromarray(x).resize((size, size), resample)) for x in images]


def enlargements(model, name: str, images: np.ndarray, labels: np.ndarray, stride_512: int) -> dict:
    """Share read right, nothing to read and taken for a photo, for every size and interpolation."""
    out = {}
    for size in SIZES:
        if size <= images.shape[1]:
            continue
        pick = slice(None, None, stride_512 if size == 512 else 1)
        for kind in KINDS:
            pics = enlarged(images[pick], size, kind)
            acc, none = accuracy(model, [preprocess(x) for x in pics], labels[pick])
            out[f"{name}_{size}_{kind}"] = {
                "acc": round(acc, 4),
                "nothing": none,
                "photo": sum(photo.looks_like_photo(x) for x in pics),
                "n": len(pics),
            }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=400, help="held-out photos (at most 400)")
    parser.add_argument("--drawn", type=int, default=100, help="drawings per digit (100: 1,000 drawings)")
    parser.add_argument("--optdigits", type=int, default=1797, help="optdigits digits (1,797: all)")
    parser.add_argument("--stride-512", type=int, default=4, help="at 512 px, every n-th optdigits scan")
    parser.add_argument("--mnist", type=int, default=500, help="MNIST test digits enlarged (0: none)")
    parser.add_argument("--quick", action="store_true", help="a few of each: checks the outputs, not the figures")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.photos, args.drawn, args.optdigits, args.mnist = 20, 2, 100, 50
    from paper_photos import HELD_OUT_SEEDS, photo_set
    from sklearn.datasets import load_digits
    from strokes import drawn_digit_set

    model, _ = checkpoints.load_checkpoint(checkpoints.DEFAULT_CHECKPOINT)
    result: dict = {"mode": "quick" if args.quick else "full", "machine": machine()}
    start = time.perf_counter()
    photos = photo_set(list(HELD_OUT_SEEDS)[: args.photos])
    digits = load_digits()
    scans, scan_labels = digits.images[: args.optdigits], digits.target[: args.optdigits]
    for name, flag in (("before", False), ("after", True)):
        acc, none = accuracy(model, [preprocess(img, photos=flag) for img, _ in photos], [d for _, d in photos])
        result[f"photos_{name}"] = round(acc, 4)
        result[f"photos_nothing_{name}"] = none
        t0 = time.perf_counter()
        preps = [preprocess(x, photos=flag, scans=flag) for x in scans]
        result[f"optdigits_ms_{name}"] = round((time.perf_counter() - t0) / len(scans) * 1000, 2)
        right = correct(model, preps, scan_labels)
        result[f"optdigits_{name}"] = round(float(right.mean()), 4)
        result[f"optdigits_{name}_even"] = round(float(right[0::2].mean()), 4)  # the half tuned on
        result[f"optdigits_{name}_odd"] = round(float(right[1::2].mean()), 4)  # held out
    scans_u8 = np.rint(scans / 16 * 255).astype(np.uint8)  # optdigits counts 0..16 as an 8-bit picture
    result.update(enlargements(model, "optdigits", scans_u8, scan_labels, args.stride_512))
    recipe = [preprocess(x, photos=False, scans=False) for x in enlarged(scans_u8, 112, "bicubic")]
    result["optdigits_112_bicubic_recipe"] = round(accuracy(model, recipe, scan_labels)[0], 4)
    if args.mnist and data.is_available():
        mnist = data.load_mnist()
        images, labels = mnist.test_images[: args.mnist], mnist.test_labels[: args.mnist]
        result["mnist_28"] = round(accuracy(model, [preprocess(x) for x in images], labels)[0], 4)
        result.update(enlargements(model, "mnist", images, labels, 1))
    drawn = drawn_digit_set(args.drawn, seed=0)
    result["drawn"] = round(accuracy(model, [canvas_to_input(r) for r, _, _ in drawn], [d for _, d, _ in drawn])[0], 4)
    result["n"] = {"photos": len(photos), "optdigits": len(scans), "drawn": len(drawn)}
    result["wall_s"] = round(time.perf_counter() - start, 1)
    report(result, args.json)


if __name__ == "__main__":
    main()
