"""The lesson file (lenet/lessons/cnn.toml) and its loader: the shipped file validates, broken copies are named."""

import ast
import re
import string
from pathlib import Path

import pytest

from lenet.i18n import STRINGS, t, t_error
from lenet.i18n.glossary import TERMS
from lenet.lesson import LESSON_FILE, LIVE_PARTS, LessonError, check, load_lesson, parse_lesson, step_number

ROOT = Path(__file__).resolve().parent.parent
TEXT = LESSON_FILE.read_text(encoding="utf-8")


def broken(old: str, new: str, count: int = 1) -> str:
    """The shipped file with one change; the change must apply."""
    assert TEXT.count(old) >= count, old
    return TEXT.replace(old, new, count)


def refusal(text: str) -> LessonError:
    with pytest.raises(LessonError) as caught:
        parse_lesson(text, "cnn.toml")
    return caught.value


def test_the_shipped_lesson_validates_and_follows_the_tutorial():
    lesson = load_lesson()
    assert 12 <= len(lesson.steps) <= 16
    ids = [step.id for step in lesson.steps]
    # the tutorial's order: why, architecture, convolution, hyperparameters, stride, formula, padding, pooling,
    # the classifier, the code, training, feature maps
    order = [
        "why",
        "architecture",
        "filter",
        "hyperparameters",
        "stride",
        "formula",
        "padding",
        "pooling",
        "classifier",
        "code",
        "training",
        "feature_maps",
    ]
    assert [i for i in ids if i in order] == order
    for step in lesson.steps:
        assert step.live in LIVE_PARTS
        for lang in ("en", "zh"):
            assert step.title[lang] and step.text[lang] and step.question.prompt[lang] and step.question.why[lang]
    kinds = {step.question.kind for step in lesson.steps}
    assert kinds == {"choice", "size"}
    assert any(step.question.expected is None for step in lesson.steps if step.question.kind == "size")


def test_every_live_part_has_its_function():
    """LIVE in lesson_parts.py and LIVE_PARTS in the engine list the same parts (read without running a page)."""
    tree = ast.parse((ROOT / "lesson_parts.py").read_text(encoding="utf-8"))
    live = next(
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "LIVE"
    )
    assert [key.value for key in live.keys] == list(LIVE_PARTS)


def test_the_words_explained_come_from_the_one_glossary():
    for term in ("stride", "padding", "kernel", "channel", "logit", "softmax"):
        assert term in TERMS
        assert t(f"glossary.{term}", "en") != t(f"glossary.{term}", "zh")
    used = {term for step in load_lesson().steps for term in step.terms}
    assert {"stride", "padding", "kernel", "channel", "logit", "softmax"} <= used
    # no second copy of a definition: the Train page lists its words from the glossary
    assert "train.glossary" not in STRINGS
    assert "glossary_markdown(GLOSSARY" in (ROOT / "pages" / "train.py").read_text(encoding="utf-8")


def test_answers_are_checked_the_labs_way():
    steps = {step.id: step for step in load_lesson().steps}
    window = steps["window"].question  # 24x24
    for typed in ("24x24", "24", "24×24", " 24 X 24 "):
        assert check(window, typed).correct, typed
    assert check(window, "12x12").readable and not check(window, "12x12").correct
    assert not check(window, "big").readable and not check(window, "").readable
    padding = steps["padding"].question  # doesn't fit
    for typed in ("doesn't fit", "Doesn’t fit.", "放不下"):
        assert check(padding, typed).correct, typed
    assert not check(padding, "4x4").correct
    choice = steps["pooling"].question
    assert check(choice, choice.answer).correct
    assert check(choice, (choice.answer + 1) % len(choice.options)).readable
    assert not check(choice, (choice.answer + 1) % len(choice.options)).correct
    assert not check(choice, None).readable and not check(choice, 99).readable


@pytest.mark.parametrize(("value", "index"), [("1", 0), ("3", 2), ("0", 0), ("-4", 0), ("99", 13), ("x", 0), (None, 0)])
def test_step_links_are_clamped(value, index):
    assert step_number(value, 14) == index


def test_a_missing_field_is_named():
    exc = refusal(broken('id = "stride"\nlive = "stride_fit"\n', 'id = "stride"\n'))
    assert exc.code == "lesson_missing"
    assert exc.params["step"] == "6 (stride)" and exc.params["field"] == "live"
    assert "step 6 (stride)" in t_error(exc, "en") and "live" in t_error(exc, "en")
    assert "第 6 (stride) 步" in t_error(exc, "zh")


def test_a_missing_translation_is_named():
    exc = refusal(broken('zh = "哪一部分把“我找到了这些笔画”变成“这是 7”？"\n', ""))
    assert (exc.code, exc.params["step"], exc.params["field"]) == (
        "lesson_missing",
        "2 (architecture)",
        "question.prompt.zh",
    )


def test_an_unknown_live_part_is_named():
    exc = refusal(broken('live = "pooling"', 'live = "slideshow"'))
    assert (exc.code, exc.params["step"], exc.params["field"]) == ("lesson_unknown_live", "9 (pooling)", "live")
    assert "slideshow" not in exc.params["detail"] and "pooling" in exc.params["detail"]
    assert "9 (pooling)" in t_error(exc, "en")


@pytest.mark.parametrize(
    ("old", "new", "code", "field"),
    [
        ('answer = "24x24"', 'answer = "twenty-four"', "lesson_bad_answer", "question.answer"),
        ('answer = "24x24"', 'answer = "12x12"', "lesson_wrong_answer", "question.answer"),  # the layer makes 24x24
        ('answer = "24x24"', "answer = 24", "lesson_bad_type", "question.answer"),
    ],
)
def test_a_bad_answer_format_is_named(old, new, code, field):
    exc = refusal(broken(old, new))
    assert (exc.code, exc.params["step"], exc.params["field"]) == (code, "4 (window)", field)
    assert "4 (window)" in t_error(exc, "en") and field in t_error(exc, "zh")


def test_a_choice_answer_out_of_range_is_named():
    exc = refusal(broken('kind = "choice"\nanswer = 2\n', 'kind = "choice"\nanswer = 7\n'))
    assert (exc.code, exc.params["step"], exc.params["field"]) == ("lesson_bad_answer", "1 (why)", "question.answer")


@pytest.mark.parametrize(
    ("old", "new", "code", "field"),
    [
        ('terms = ["weight"]', 'terms = ["wieght"]', "lesson_unknown_term", "terms[1]"),
        (
            'explore = "draw"\ntitle = { en = "Why',
            'explore = "drawing"\ntitle = { en = "Why',
            "lesson_bad_value",
            "explore",
        ),
        ('id = "why"\n', 'id = "why"\nqestion = 1\n', "lesson_unknown_field", "qestion"),
    ],
)
def test_other_mistakes_are_named(old, new, code, field):
    exc = refusal(broken(old, new))
    assert (exc.code, exc.params["step"], exc.params["field"]) == (code, "1 (why)", field)


def test_a_toml_syntax_error_says_so():
    exc = refusal(TEXT.replace('id = "why"', 'id = "why', 1))
    assert exc.code == "lesson_syntax" and "line" in exc.params["detail"]


def test_every_error_code_has_its_message_in_both_languages():
    source = (ROOT / "lenet" / "lesson.py").read_text(encoding="utf-8")
    codes = set(re.findall(r'"(lesson_[a-z_]+)"', source))
    assert len(codes) >= 8
    for code in codes:
        for lang in ("en", "zh"):
            assert STRINGS[f"error.{code}"][lang], code


def test_every_lesson_and_glossary_string_has_both_languages_with_the_same_placeholders():
    from lenet.i18n import glossary
    from lenet.i18n import lesson as lesson_strings

    fields = lambda text: {name for _, name, _, _ in string.Formatter().parse(text) if name}  # noqa: E731
    for key, entry in {**lesson_strings.STRINGS, **glossary.STRINGS}.items():
        assert entry.get("en") and entry.get("zh"), key
        assert fields(entry["en"]) == fields(entry["zh"]), key


def test_every_literal_key_the_page_and_its_parts_use_exists():
    source = "".join((ROOT / name).read_text(encoding="utf-8") for name in ("pages/lesson.py", "lesson_parts.py"))
    keys = set(re.findall(r'ui\.tr\("([a-z0-9_.]+)"', source))
    assert len(keys) > 30 and not sorted(k for k in keys if k not in STRINGS)
