"""Every UI string, in English and 简体中文.

Strings live in one module per page (common, draw, trace, conv_lab, train, evaluate, class_mode, class_lesson,
lesson, errors) or engine part (netspec: the network list; glossary: the words every page explains, defined once),
each a dict key -> {"en": ..., "zh": ...}; they are merged here. `t(key, lang, **params)` formats one.
"""

from __future__ import annotations

from lenet import settings
from lenet.i18n import (
    class_lesson,
    class_mode,
    common,
    compare,
    conv_lab,
    draw,
    errors,
    evaluate,
    glossary,
    lesson,
    netspec,
    onnx_import,
    trace,
    train,
)

LANGUAGES = {"en": "English", "zh": "简体中文"}
DEFAULT_LANGUAGE = "en"


def _merge(*modules) -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for module in modules:
        for key, value in module.STRINGS.items():
            if key in merged:
                raise KeyError(f"i18n key {key!r} is defined twice")
            merged[key] = value
    return merged


STRINGS = _merge(
    common,
    compare,
    draw,
    trace,
    conv_lab,
    train,
    evaluate,
    class_mode,
    class_lesson,
    errors,
    netspec,
    glossary,
    lesson,
    onnx_import,
)


def start_language(requested: str | None = None) -> str:
    """The language a new session opens in: `requested` (a link's ?lang=zh), else the server's
    $LENET_LANGUAGE (a Chinese classroom sets zh once for everyone), else English. Unknown codes are ignored."""
    for code in (requested, settings.current().language):
        code = (code or "").strip().lower()
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE


def t(key: str, lang: str = DEFAULT_LANGUAGE, **params) -> str:
    """The string `key` in `lang`, formatted with `params`. A missing key shows as the key itself."""
    entry = STRINGS.get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry[DEFAULT_LANGUAGE]
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def t_error(exc: BaseException, lang: str = DEFAULT_LANGUAGE) -> str:
    """A user-facing message for an engine error that carries `code` and `params`, in `lang`.

    A `name` parameter that names a setting ("kernel") is put in words too ("the filter size"), from the
    `setting.<name>` strings, and a parameter that is itself such an error (a network layer's `reason`) is
    translated in turn. Falls back to the exception's own (English) message when no translation exists.
    """
    code = getattr(exc, "code", None)
    key = f"error.{code}" if code else None
    if not key or key not in STRINGS:
        return str(exc)
    params = dict(getattr(exc, "params", None) or {})
    name = params.get("name")
    if isinstance(name, str) and f"setting.{name}" in STRINGS:
        params["name"] = t(f"setting.{name}", lang)
    for param, value in params.items():
        if isinstance(value, BaseException) and value is not exc:
            params[param] = t_error(value, lang)
    return t(key, lang, **params)
