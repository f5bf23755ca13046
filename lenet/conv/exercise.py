"""Guess, then reveal: the lab's exercises on the output-size formula, and checking a typed answer.

Pure Python, no torch. An exercise is drawn from (seed, level, index) alone, so a teacher's link with
`exercise=SEED` gives every student the same sequence, and a reload gives the same question back.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from lenet.conv.explain import LayerReport, explain_layer

LEVELS = ("easy", "harder", "tricky")
SEED_LIMIT = 10**9  # seeds are shown in links: keep them short
# what a student may type for "this layer cannot work", in either language, compared after normalising
NO_FIT = {
    "doesntfit",
    "doesnotfit",
    "nofit",
    "notfit",
    "none",
    "invalid",
    "impossible",
    "error",
    "no",
    "-",
    "放不下",
    "不行",
    "不能",
    "无法",
    "不合适",
    "无效",
}


@dataclass(frozen=True)
class Exercise:
    """One question: a layer on a square input, and the level it was drawn for."""

    level: str
    index: int
    size: int
    kernel: int
    stride: int
    padding: int | str
    dilation: int
    op: str  # "conv" or "maxpool"

    def report(self) -> LayerReport:
        """The lab's full answer: output size, formula, or why the layer cannot work."""
        return explain_layer(self.size, self.size, self.kernel, self.stride, self.padding, self.dilation, self.op)

    @property
    def answer(self) -> tuple[int, int] | None:
        """(H, W) of the output, or None when PyTorch refuses the layer."""
        report = self.report()
        return report.output[1:] if report.ok else None


def _easy(rng: random.Random) -> dict:
    size = rng.randint(5, 32)
    return dict(size=size, kernel=rng.randint(1, min(7, size)), stride=rng.randint(1, 3), padding=0, dilation=1)


def _harder(rng: random.Random) -> dict:
    return dict(
        size=rng.randint(6, 32),
        kernel=rng.randint(2, 7),
        stride=rng.randint(1, 3),
        padding=rng.randint(1, 3),
        dilation=rng.randint(2, 3),
    )


def _tricky(rng: random.Random) -> dict:
    """Half refused by PyTorch (a window too big, 'same' with a stride, pooling padded too much), half a
    stride that does not tile, where the rounding down is the point."""
    size = rng.randint(3, 16)
    kind = rng.choice(("too_big", "same_stride", "pool_padding", "rounding", "rounding"))
    if kind == "too_big":
        return dict(size=size, kernel=rng.randint(size + 1, size + 4), stride=1, padding=0, dilation=1)
    if kind == "same_stride":
        return dict(size=size, kernel=rng.choice((3, 5)), stride=rng.randint(2, 3), padding="same", dilation=1)
    if kind == "pool_padding":
        kernel = rng.randint(2, 4)
        return dict(size=size, kernel=kernel, stride=kernel, padding=kernel // 2 + 1, dilation=1, op="maxpool")
    return dict(size=rng.randint(9, 32), kernel=rng.randint(2, 6), stride=rng.randint(2, 4), padding=0, dilation=1)


_DRAW = {"easy": _easy, "harder": _harder, "tricky": _tricky}


def make_exercise(seed: int, level: str, index: int) -> Exercise:
    """The index-th exercise of a level in the sequence a seed fixes.

    Args:
        seed: the class's seed (from `exercise=SEED` in the link) or a session's own.
        level: one of LEVELS.
        index: 0 for the first question.
    Returns:
        the exercise; easy and harder ones always fit, a tricky one is refused or rounds down.
    Raises:
        ValueError: an unknown level.
    """
    if level not in _DRAW:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    rng = random.Random(f"{seed}:{level}:{index}")  # a string seed: stable across Python versions and runs
    while True:
        fields = {"op": "conv", **_DRAW[level](rng)}
        exercise = Exercise(level, index, **fields)
        report = exercise.report()
        # easy and harder must fit; a tricky "rounding" draw must really round down
        if level != "tricky" and report.ok:
            return exercise
        if level == "tricky" and (not report.ok or not report.exact):
            return exercise


@dataclass(frozen=True)
class Verdict:
    """How a typed answer compares with the exercise's."""

    readable: bool  # False: neither a size nor "doesn't fit"; the page asks again and does not score it
    correct: bool = False
    guess: tuple[int, int] | None = None  # the size typed; None for "doesn't fit"


def _normalise(text: str) -> str:
    return re.sub(r"[\s'’.!。！]", "", str(text).strip().lower())[:40]


def read_answer(text: str) -> tuple[bool, tuple[int, int] | None]:
    """(readable, size) from what a student typed: "12", "12x12", "12×12" or "doesn't fit" (size None)."""
    normal = _normalise(text)
    if normal in NO_FIT:
        return True, None
    match = re.fullmatch(r"(\d{1,6})(?:[x×*,](\d{1,6}))?", normal)
    if not match:
        return False, None
    height = int(match.group(1))
    return True, (height, int(match.group(2) or height))


def check_answer(exercise: Exercise, text: str) -> Verdict:
    """Compare a typed answer with the exercise's output size (or with "doesn't fit")."""
    readable, guess = read_answer(text)
    if not readable:
        return Verdict(False)
    return Verdict(True, guess == exercise.answer, guess)
