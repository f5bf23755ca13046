"""The lesson: its steps, texts, questions, answers and explanations, read from a file a teacher can edit.

The file is TOML (read with the standard library's tomllib, no new dependency), one file holding both languages:
lenet/lessons/cnn.toml. It is validated when it is loaded; a broken file raises a LessonError whose message names
the step (its number and id) and the field, in either language. Each step names the live part it embeds from the
fixed registry LIVE_PARTS (the page has one small function per part), so a teacher can reorder steps, change a
text or add a question without touching Python. No torch, no streamlit.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from lenet.conv.exercise import read_answer
from lenet.conv.explain import explain_layer
from lenet.errors import CodedError
from lenet.i18n.glossary import TERMS

LESSON_FILE = Path(__file__).resolve().parent / "lessons" / "cnn.toml"
LANGS = ("en", "zh")
QUESTION_KINDS = ("choice", "size")  # pick one option; or type a size the lab's way ("12x12", "doesn't fit")
# Where a reveal sends a student to explore further: the app's pages by their url_path ("" is Draw & explore).
EXPLORE_PAGES = {"draw": "", "conv_lab": "conv_lab", "train": "train", "evaluate": "evaluate", "class": "class"}
# The live parts a step may embed, and the arguments each takes (name -> type). pages/lesson.py has one
# function per part; tests/test_lesson.py checks that the two lists are the same.
LIVE_PARTS: dict[str, dict[str, type]] = {
    "draw": {},  # the student's canvas and the network's answer
    "architecture": {},  # LeNet's layers as a table: the feature extractor, then the classifier
    "filter": {"filters": list},  # 3x3 filters on a photo, their numbers shown
    "window": {"kernel": int, "stride": int, "padding": int},  # the sliding window on the student's digit
    "hyperparameters": {},  # filter size, depth, stride and padding as controls: the output's shape
    "stride_fit": {"input": int, "kernel": int, "stride": int},  # does (W - K) / S come out whole?
    "formula": {"input": int, "kernel": int, "stride": int, "padding": int},  # the output-size formula, sliders
    "padding": {"kernel": int},  # "same" and "valid" on the student's digit
    "pooling": {},  # max and average pooling on a feature map of the student's digit
    "network": {},  # the student's digit through the fully connected layers: logits, softmax
    "code": {},  # LeNet-5 in PyTorch, as the lab exports it, with its shapes
    "train": {},  # a short training run watched live, beside the shipped model's accuracy
    "feature_maps": {},  # every layer's maps of the student's digit
    "review": {},  # the score and the printable summary
}
# argument bounds: what the lab's own controls allow for a 28x28 digit
ARG_BOUNDS = {"kernel": (1, 9), "stride": (1, 4), "padding": (0, 4), "input": (1, 64)}
LAYER_FIELDS = {"input": int, "kernel": int, "stride": int, "padding": (int, str), "op": str}
STEP_FIELDS = ("id", "title", "text", "live", "args", "terms", "explore", "explore_query", "question")
QUESTION_FIELDS = ("kind", "prompt", "options", "answer", "why", "layers")


class LessonError(CodedError, ValueError):
    """A lesson file that cannot be used. `code` says what is wrong; params `file`, `step` (its number and id, or
    empty for the file as a whole), `field` and `detail` place it."""

    def __init__(self, code: str, file: str, step: str, field: str, detail: str = "") -> None:
        step = step or "–"  # the file's own fields (its title, its list of steps) belong to no step
        message = f"{file}: step {step}, field {field}: {code.removeprefix('lesson_')} {detail}".strip()
        super().__init__(message, code, file=file, step=step, field=field, detail=detail)


@dataclass(frozen=True)
class Question:
    """One question of a step: asked before the reveal."""

    kind: str  # "choice" or "size"
    prompt: dict[str, str]
    answer: int | str  # choice: the 0-based index of the right option; size: the answer as typed ("12x12")
    why: dict[str, str]
    options: tuple[dict[str, str], ...] = ()  # choice only

    @property
    def expected(self) -> tuple[int, int] | None:
        """A size question's answer as (H, W), None for "doesn't fit"."""
        return read_answer(str(self.answer))[1]


@dataclass(frozen=True)
class Step:
    """One step of the lesson."""

    id: str
    title: dict[str, str]
    text: dict[str, str]
    live: str  # a key of LIVE_PARTS
    question: Question
    args: dict = field(default_factory=dict)
    terms: tuple[str, ...] = ()  # glossary terms explained beside the step
    explore: str = "draw"  # a key of EXPLORE_PAGES
    explore_query: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Lesson:
    """A whole lesson."""

    title: dict[str, str]
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Verdict:
    """How an answer compares with a question's."""

    readable: bool  # False: no option picked, or neither a size nor "doesn't fit": asked again, not scored
    correct: bool = False


class _Reader:
    """Reads one table of the file, raising LessonError at the step and field where it goes wrong."""

    def __init__(self, file: str, step: str = "") -> None:
        self.file, self.step = file, step

    def fail(self, code: str, name: str, detail: str = "") -> LessonError:
        return LessonError(code, self.file, self.step, name, detail)

    def get(self, table: dict, name: str, kind, prefix: str = "", required: bool = True):
        if name not in table:
            if required:
                raise self.fail("lesson_missing", prefix + name)
            return None
        value = table[name]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail("lesson_bad_type", prefix + name, _type_name(kind))
        return value

    def text(self, table: dict, name: str, prefix: str = "") -> dict[str, str]:
        """A text in every language: {en = "...", zh = "..."}, none of them empty."""
        value = self.get(table, name, dict, prefix)
        for lang in LANGS:
            if not isinstance(value.get(lang), str) or not value[lang].strip():
                raise self.fail("lesson_missing", f"{prefix}{name}.{lang}")
        self.known(value, LANGS, prefix + name + ".")
        return {lang: value[lang].strip() for lang in LANGS}

    def known(self, table: dict, fields, prefix: str = "") -> None:
        """Refuse a field the format does not have (a typo would otherwise be silently ignored)."""
        for name in table:
            if name not in fields:
                raise self.fail("lesson_unknown_field", prefix + name, ", ".join(fields))


def _type_name(kind) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {int: "a whole number", str: "text", dict: "a table", list: "a list"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _layers_answer(reader: _Reader, layers: list) -> tuple[int, int] | None:
    """The size after `layers` (the lab's settings, one table each) on a square input, or None when one is refused."""
    size = None
    for i, layer in enumerate(layers, 1):
        prefix = f"question.layers[{i}]."
        if not isinstance(layer, dict):
            raise reader.fail("lesson_bad_type", f"question.layers[{i}]", _type_name(dict))
        reader.known(layer, LAYER_FIELDS, prefix)
        height, width = size or (reader.get(layer, "input", int, prefix),) * 2
        kernel = reader.get(layer, "kernel", int, prefix)
        stride = reader.get(layer, "stride", int, prefix, required=False) or 1
        padding = reader.get(layer, "padding", (int, str), prefix, required=False) or 0
        op = reader.get(layer, "op", str, prefix, required=False) or "conv"
        report = explain_layer(height, width, kernel, stride, padding, op=op)
        if not report.ok:
            return None
        size = report.output[1:]
    return size


def _question(reader: _Reader, table: dict) -> Question:
    reader.known(table, QUESTION_FIELDS, "question.")
    kind = reader.get(table, "kind", str, "question.")
    if kind not in QUESTION_KINDS:
        raise reader.fail("lesson_bad_value", "question.kind", ", ".join(QUESTION_KINDS))
    prompt, why = reader.text(table, "prompt", "question."), reader.text(table, "why", "question.")
    if kind == "choice":
        options = reader.get(table, "options", list, "question.")
        if len(options) < 2:
            raise reader.fail("lesson_bad_value", "question.options", "at least 2")
        texts = []
        for i, option in enumerate(options, 1):
            if not isinstance(option, dict):
                raise reader.fail("lesson_bad_type", f"question.options[{i}]", _type_name(dict))
            texts.append(reader.text({f"options[{i}]": option}, f"options[{i}]", "question."))
        answer = reader.get(table, "answer", int, "question.")
        if not 1 <= answer <= len(options):
            raise reader.fail("lesson_bad_answer", "question.answer", f"1 to {len(options)}")
        return Question(kind, prompt, answer - 1, why, tuple(texts))
    if "options" in table:
        raise reader.fail("lesson_unknown_field", "question.options", "choice questions only")
    answer = reader.get(table, "answer", str, "question.")
    readable, size = read_answer(answer)
    if not readable:
        raise reader.fail("lesson_bad_answer", "question.answer", 'a size such as 12x12, or "doesn\'t fit"')
    layers = reader.get(table, "layers", list, "question.", required=False)
    if layers:
        computed = _layers_answer(reader, layers)
        if computed != size:
            shown = "doesn't fit" if computed is None else f"{computed[0]}x{computed[1]}"
            raise reader.fail("lesson_wrong_answer", "question.answer", shown)
    return Question(kind, prompt, answer, why)


def _args(reader: _Reader, live: str, table: dict) -> dict:
    allowed = LIVE_PARTS[live]
    reader.known(table, allowed, "args.")
    for name, value in table.items():
        reader.get(table, name, allowed[name], "args.")
        low, high = ARG_BOUNDS.get(name, (None, None))
        if low is not None and not low <= value <= high:
            raise reader.fail("lesson_bad_value", f"args.{name}", f"{low} to {high}")
    return dict(table)


def _step(reader: _Reader, table: dict, seen: set[str]) -> Step:
    step_id = reader.get(table, "id", str)
    if step_id in seen:
        raise reader.fail("lesson_bad_value", "id", "each step's id once")
    seen.add(step_id)
    reader.step = f"{reader.step} ({step_id})"  # from here on, messages name the step by number and id
    reader.known(table, STEP_FIELDS)
    live = reader.get(table, "live", str)
    if live not in LIVE_PARTS:
        raise reader.fail("lesson_unknown_live", "live", ", ".join(LIVE_PARTS))
    terms = reader.get(table, "terms", list, required=False) or []
    for i, term in enumerate(terms, 1):
        if term not in TERMS:
            raise reader.fail("lesson_unknown_term", f"terms[{i}]", ", ".join(TERMS))
    explore = reader.get(table, "explore", str, required=False) or "draw"
    if explore not in EXPLORE_PAGES:
        raise reader.fail("lesson_bad_value", "explore", ", ".join(EXPLORE_PAGES))
    query = reader.get(table, "explore_query", dict, required=False) or {}
    return Step(
        id=step_id,
        title=reader.text(table, "title"),
        text=reader.text(table, "text"),
        live=live,
        question=_question(reader, reader.get(table, "question", dict)),
        args=_args(reader, live, reader.get(table, "args", dict, required=False) or {}),
        terms=tuple(terms),
        explore=explore,
        explore_query={str(k): str(v) for k, v in query.items()},
    )


def parse_lesson(text: str, file: str = "lesson.toml") -> Lesson:
    """A lesson from the text of its TOML file.

    Args:
        text: the file's text.
        file: its name, for the messages.
    Returns:
        the Lesson.
    Raises:
        LessonError: the first thing wrong, naming the step and the field.
    """
    reader = _Reader(file)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise reader.fail("lesson_syntax", "-", str(exc)) from None
    reader.known(data, ("title", "step"))
    title = reader.text(data, "title")
    steps = reader.get(data, "step", list)
    if not steps:
        raise reader.fail("lesson_missing", "step")
    seen: set[str] = set()
    parsed = []
    for number, table in enumerate(steps, 1):
        step_reader = _Reader(file, str(number))
        if not isinstance(table, dict):
            raise step_reader.fail("lesson_bad_type", "step", _type_name(dict))
        parsed.append(_step(step_reader, table, seen))
    return Lesson(title, tuple(parsed))


def load_lesson(path: str | Path | None = None) -> Lesson:
    """The lesson in the TOML file at `path` (default: LESSON_FILE, the shipped one). Raises LessonError."""
    path = Path(path or LESSON_FILE)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LessonError("lesson_unreadable", path.name, "", "-", str(exc)) from None
    return parse_lesson(text, path.name)


def check(question: Question, given) -> Verdict:
    """Compare an answer with a question's: an option's 0-based index, or a size typed the lab's way."""
    if question.kind == "choice":
        if not isinstance(given, int) or isinstance(given, bool) or not 0 <= given < len(question.options):
            return Verdict(False)
        return Verdict(True, given == question.answer)
    readable, size = read_answer(str(given or ""))
    if not readable or not str(given or "").strip():
        return Verdict(False)
    return Verdict(True, size == question.expected)


def answer_text(question: Question, given, lang: str) -> str:
    """An answer as a person reads it: the option's text, or the size as typed."""
    if question.kind == "choice":
        if isinstance(given, int) and 0 <= given < len(question.options):
            return question.options[given][lang]
        return ""
    return str(given or "")


def step_number(value, count: int) -> int:
    """`?step=N` (1-based) as a 0-based index, clamped to the lesson; anything unreadable is the first step."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return 0
    return min(max(number, 1), count) - 1
