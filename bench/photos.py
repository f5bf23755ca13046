"""Reading photos of digits on paper, UCI's optdigits scans and drawn digits: before and after the photo steps.

"Before" is `lenet.preprocess.preprocess(image, photos=False)`: every picture goes straight into MNIST's
recipe, as all did before lenet/photo.py (the same code otherwise, so the comparison is made in one run).
"After" is the default. For optdigits, "before" also turns off the tiny-scan enlargement (`scans=False`: a tiny
scan enlarged and cut like any small drawing, 94.8 %; 94.1 % before that drawing path's lower cut, measured on its
parent commit). The tiny-scan enlargement's one choice (Lanczos rather than cubic or linear interpolation) was made on
optdigits' even indices only: "optdigits_after_odd" is the held-out half, "optdigits_after" the whole set.
Drawn digits go through `canvas_to_input`, which the photo steps never touch;
they are measured to show that they did not get worse.

Photos come from tests/paper_photos.py's HELD_OUT_SEEDS (never used for tuning), optdigits from
scikit-learn's bundled copy (`load_digits`: 1,797 digits, 8x8, offline), drawings from
tests/strokes.drawn_digit_set.

    python bench/photos.py [--photos 400] [--drawn 100] [--quick] [--json]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from common import machine, report

from lenet import checkpoints
from lenet.inference import predict_probs
from lenet.preprocess import canvas_to_input, preprocess


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=400, help="held-out photos (at most 400)")
    parser.add_argument("--drawn", type=int, default=100, help="drawings per digit (100: 1,000 drawings)")
    parser.add_argument("--optdigits", type=int, default=1797, help="optdigits digits (1,797: all)")
    parser.add_argument("--quick", action="store_true", help="a few of each: checks the outputs, not the figures")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.photos, args.drawn, args.optdigits = 20, 2, 100
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
    drawn = drawn_digit_set(args.drawn, seed=0)
    result["drawn"] = round(accuracy(model, [canvas_to_input(r) for r, _, _ in drawn], [d for _, d, _ in drawn])[0], 4)
    result["n"] = {"photos": len(photos), "optdigits": len(scans), "drawn": len(drawn)}
    result["wall_s"] = round(time.perf_counter() - start, 1)
    report(result, args.json)


if __name__ == "__main__":
    main()
