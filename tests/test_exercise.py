"""Guess, then reveal (lenet.conv.exercise and the lab's exercise mode): levels, answers, score and seeds."""

from __future__ import annotations

import pytest
from test_conv_lab_page import block_text, find_block, lab, step

from lenet.conv.exercise import LEVELS, check_answer, make_exercise, read_answer
from lenet.i18n import t


def test_the_same_seed_gives_the_same_sequence():
    for level in LEVELS:
        first = [make_exercise(7, level, i) for i in range(20)]
        assert first == [make_exercise(7, level, i) for i in range(20)]
        assert first != [make_exercise(8, level, i) for i in range(20)]


def test_each_level_draws_what_it_promises():
    tricky_refused = tricky_rounded = 0
    for i in range(150):
        easy, harder, tricky = (make_exercise(3, level, i) for level in LEVELS)
        assert easy.padding == 0 and easy.dilation == 1 and easy.answer is not None
        assert harder.padding >= 1 and harder.dilation >= 2 and harder.answer is not None
        report = tricky.report()
        assert not report.ok or not report.exact  # refused, or the stride rounds down
        tricky_refused += not report.ok
        tricky_rounded += report.ok
    assert tricky_refused > 30 and tricky_rounded > 30


@pytest.mark.parametrize(
    "text, expected",
    [
        ("12", (True, (12, 12))),
        (" 12x10 ", (True, (12, 10))),
        ("12 × 10", (True, (12, 10))),
        ("doesn't fit", (True, None)),
        ("Doesn’t fit.", (True, None)),
        ("does not fit", (True, None)),
        ("放不下", (True, None)),
        ("twelve", (False, None)),
        ("", (False, None)),
        ("<b>12</b>", (False, None)),
        ("9" * 5000, (False, None)),
    ],
)
def test_read_answer(text, expected):
    assert read_answer(text) == expected


def test_check_answer():
    ex = next(make_exercise(1, "tricky", i) for i in range(50) if make_exercise(1, "tricky", i).answer is None)
    assert check_answer(ex, "doesn't fit").correct and not check_answer(ex, "3").correct
    ok = make_exercise(1, "easy", 0)
    h, w = ok.answer
    assert check_answer(ok, f"{h}x{w}").correct and not check_answer(ok, "doesn't fit").correct
    assert not check_answer(ok, "?").readable


# --- the lab's exercise mode, through AppTest ------------------------------------------------------------


def block(at, key: str) -> str:
    found = find_block(at._tree, key)
    assert found is not None, f"the {key} container is missing"
    return block_text(found)


def answer(at, text: str, language: str = "en"):
    at.text_input(key="lab_answer").input(text)
    at.button(key="lab_check").click()
    return step(at, language)


def score(at, language: str = "en") -> str:
    return next(m.value for m in at.metric if m.label == t("lab.ex.score", language))


def size_text(answer) -> str:
    return f"{answer[0]}×{answer[1]}"


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_right_answer_scores_and_a_wrong_one_explains(language):
    at = lab({"exercise": "7"}, language)
    assert not at.exception
    first = make_exercise(7, "easy", 0)
    assert f"{first.size}×{first.size}" in block(at, "lab_exercise") and f"K = {first.kernel}" in block(
        at, "lab_exercise"
    )
    at = answer(at, str(first.answer[0]), language)
    assert not at.exception
    assert t("lab.ex.right", language, answer=size_text(first.answer)) in block(at, "lab_result")
    assert score(at, language) == "1 / 1"
    at.button(key="lab_next").click()
    at = step(at, language)
    second = make_exercise(7, "easy", 1)
    assert f"K = {second.kernel}" in block(at, "lab_exercise")
    at = answer(at, "doesn't fit", language)
    result = block(at, "lab_result")
    assert t("lab.ex.wrong", language, answer=size_text(second.answer)) in result
    assert f"= {second.answer[1]}" in result  # the formula, filled in, ends with the answer
    assert score(at, language) == "1 / 2"
    at = answer(at, str(second.answer[0]), language)  # a second try is shown but not scored again
    assert score(at, language) == "1 / 2"


def test_a_tricky_exercise_that_does_not_fit_says_why():
    index = next(i for i in range(50) if make_exercise(9, "tricky", i).answer is None)
    at = lab({"exercise": "9"})
    at.radio(key="lab_ex_level").set_value("tricky")
    at = step(at)
    for _ in range(index):
        at.button(key="lab_next").click()
        at = step(at)
    at = answer(at, "12")
    result = block(at, "lab_result")
    assert t("lab.ex.wrong", answer=t("lab.ex.no_fit")) in result
    assert t("lab.ex.why_not").split("{")[0] in result
    at = answer(at, "nonsense")
    assert t("lab.ex.unreadable") in block(at, "lab_result")


def test_the_same_seed_gives_the_class_the_same_sequence():
    sequences = []
    for _ in range(2):
        at = lab({"exercise": "1234"})
        seen = [block(at, "lab_exercise")]
        for _ in range(2):
            at.button(key="lab_next").click()
            at = step(at)
            seen.append(block(at, "lab_exercise"))
        assert not at.exception and at.query_params["exercise"] == "1234"  # the layer's settings keep the seed
        sequences.append(seen)
    assert sequences[0] == sequences[1] and len(set(sequences[0])) == 3
    other = lab({"exercise": "1235"})
    assert block(other, "lab_exercise") != sequences[0][0] or make_exercise(1235, "easy", 0) == make_exercise(
        1234, "easy", 0
    )


def test_without_a_seed_the_exercises_are_a_tab():
    at = lab({"input": "28", "kernel": "5"})
    assert not at.exception
    assert "exercise" not in at.query_params
    assert block(at, "lab_exercise") and t("lab.ex.share").split("{")[0] in " ".join(c.value for c in at.caption)
