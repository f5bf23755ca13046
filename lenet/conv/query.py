"""Reading the lab's settings from text: URL query values and CLI arguments.

Everything a person types arrives here as text and leaves as numbers for lenet.conv.arithmetic,
or as a LayerError / QueryProblem saying what could not be read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from lenet.conv.arithmetic import OPS, TRANSPOSED, LayerError


def parse_int(value, name: str) -> int:
    """A whole number from an int or a string such as a URL query value or a CLI argument.

    Args:
        value: the raw value.
        name: what it is ("kernel", "stride"...), for the error message.
    Raises:
        LayerError: "not_integer" when it is not a whole number.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    if re.fullmatch(r"[+-]?\d{1,12}", text):  # 12 digits: no one means a longer number, and int() stays cheap
        return int(text)
    raise LayerError("not_integer", f"{name} must be a whole number, not {value!r}", name=name, value=value)


def parse_size(value) -> tuple[int, int]:
    """An input size written `H` or `HxW` (also `H×W`) as (H, W); a single number means a square.

    Raises:
        LayerError: "bad_size" when the text is neither form.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return value, value
    parts = re.split(r"\s*[x×X*]\s*", str(value).strip())
    if len(parts) not in (1, 2):
        raise LayerError("bad_size", f"input size must be H or HxW (like 28 or 28x32), not {value!r}", value=value)
    try:
        numbers = [parse_int(p, "input") for p in parts]
    except LayerError:
        raise LayerError(
            "bad_size", f"input size must be H or HxW (like 28 or 28x32), not {value!r}", value=value
        ) from None
    return numbers[0], numbers[-1]


def format_size(height: int, width: int) -> str:
    """The URL/CLI form of a size: `28` for a square, else `28x32`."""
    return str(height) if height == width else f"{height}x{width}"


def parse_padding(padding: int | str) -> int | str:
    """Normalise a padding given as an int, a digit string, 'same' or 'valid'."""
    if isinstance(padding, bool):
        raise LayerError("bad_padding", f"padding must be a number, 'same' or 'valid', not {padding!r}", value=padding)
    if isinstance(padding, int):
        return padding
    text = str(padding).strip().lower()
    if text in ("same", "valid"):
        return text
    try:
        return parse_int(text, "padding")
    except LayerError:
        raise LayerError(
            "bad_padding", f"padding must be a number, 'same' or 'valid', not {padding!r}", value=padding
        ) from None


# Widget bounds, also applied to values read from a URL. Wide enough to show every failure
# (a kernel larger than the input, a stride that skips pixels), small enough that the page
# stays quick for a whole class on one server.
LIMITS = {
    "height": (1, 512),
    "width": (1, 512),
    "kernel": (1, 31),
    "stride": (1, 16),
    "padding": (0, 16),
    "dilation": (1, 8),
    "output_padding": (0, 15),  # PyTorch needs it below the stride or the dilation: 15 is the stride's limit - 1
    "in_channels": (1, 512),
    "out_channels": (1, 512),
}
# URL query key -> LabSettings field, for the settings that are plain whole numbers. The keys are
# the links' public names (DESIGN §4.2); "channels" and "filters" are what a teacher calls them.
INT_KEYS = {
    "kernel": "kernel",
    "stride": "stride",
    "dilation": "dilation",
    "channels": "in_channels",
    "filters": "out_channels",
    "output_padding": "output_padding",
}
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")
_OP_NAMES = {
    "max": "maxpool",
    "avg": "avgpool",
    "average": "avgpool",
    "transposed": "convtranspose",
    "transpose": "convtranspose",
    "deconv": "convtranspose",
    "convtranspose2d": "convtranspose",
}


@dataclass
class LabSettings:
    """One layer as the lab's widgets and its URL describe it."""

    height: int = 28
    width: int = 28
    kernel: int = 5
    stride: int = 1
    padding: int | str = 0
    dilation: int = 1
    op: str = "conv"
    ceil_mode: bool = False
    in_channels: int = 1
    out_channels: int = 6  # the number of filters (conv only: pooling keeps its input's depth)
    output_padding: int = 0  # transposed conv only: extra rows/columns at the output's bottom/right

    def to_query(self) -> dict[str, str]:
        """The URL query that reproduces these settings (`ceil` only when on, `output_padding` only when transposed)."""
        query = {
            "input": format_size(self.height, self.width),
            "kernel": str(self.kernel),
            "stride": str(self.stride),
            "padding": str(self.padding),
            "dilation": str(self.dilation),
            "op": self.op,
            "channels": str(self.in_channels),
            "filters": str(self.out_channels),
        }
        if self.ceil_mode:
            query["ceil"] = "1"
        if self.op == TRANSPOSED:
            query["output_padding"] = str(self.output_padding)
        return query


@dataclass
class QueryProblem:
    """A URL value the lab could not use as given: `code` is "bad" (unreadable) or "clamped" (out of bounds)."""

    key: str
    value: str
    used: str
    code: str


def _clamp(name: str, value: int) -> int:
    low, high = LIMITS[name]
    return min(max(value, low), high)


def _raw(query: Mapping, key: str) -> str | None:
    """The text of one query value: the last of a list, as st.query_params gives it; None when absent."""
    value = query.get(key)
    if isinstance(value, (list, tuple)):
        value = value[-1] if value else None
    return None if value is None else str(value)[:100]  # a tampered URL may be huge


def _read_input(settings: LabSettings, key: str, text: str) -> QueryProblem | None:
    try:
        height, width = parse_size(text)
    except LayerError:
        default = LabSettings()
        return QueryProblem(key, text, format_size(default.height, default.width), "bad")
    settings.height, settings.width = _clamp("height", height), _clamp("width", width)
    if (settings.height, settings.width) != (height, width):
        return QueryProblem(key, text, format_size(settings.height, settings.width), "clamped")
    return None


def _read_int(settings: LabSettings, key: str, text: str) -> QueryProblem | None:
    name = INT_KEYS[key]
    try:
        value = parse_int(text, key)
    except LayerError:
        return QueryProblem(key, text, str(getattr(LabSettings(), name)), "bad")
    setattr(settings, name, _clamp(name, value))
    if getattr(settings, name) != value:
        return QueryProblem(key, text, str(getattr(settings, name)), "clamped")
    return None


def _read_padding(settings: LabSettings, key: str, text: str) -> QueryProblem | None:
    try:
        padding = parse_padding(text)
    except LayerError:
        return QueryProblem(key, text, str(LabSettings().padding), "bad")
    settings.padding = padding if isinstance(padding, str) else _clamp("padding", padding)
    if settings.padding != padding:
        return QueryProblem(key, text, str(settings.padding), "clamped")
    return None


def _read_op(settings: LabSettings, key: str, text: str) -> QueryProblem | None:
    op = text.strip().lower().replace("_", "").replace(" ", "")
    op = _OP_NAMES.get(op, op)
    if op not in OPS:
        return QueryProblem(key, text, LabSettings().op, "bad")
    settings.op = op
    return None


def _read_ceil(settings: LabSettings, key: str, text: str) -> QueryProblem | None:
    flag = text.strip().lower()
    settings.ceil_mode = flag in _TRUE
    return None if flag in _TRUE + _FALSE else QueryProblem(key, text, "0", "bad")


# In the order the problems are reported.
_READERS = {
    "input": _read_input,
    **dict.fromkeys(INT_KEYS, _read_int),
    "padding": _read_padding,
    "op": _read_op,
    "ceil": _read_ceil,
}


def settings_from_query(query: Mapping) -> tuple[LabSettings, list[QueryProblem]]:
    """Read the lab's settings from a URL query, never raising.

    Unreadable values fall back to the default and out-of-bounds ones are clamped to the widget
    bounds; each such value is reported so the page can say what it did instead.

    Args:
        query: key -> str (or a list of str, whose last item counts, as in st.query_params).
    Returns:
        the settings, and the problems found.
    """
    settings, problems = LabSettings(), []
    for key, read in _READERS.items():
        text = _raw(query, key)
        if text is not None and (problem := read(settings, key, text)) is not None:
            problems.append(problem)
    return settings, problems
