"""The base of every error the engine reports to a person."""

from __future__ import annotations


class CodedError(Exception):
    """An error with a stable `code` and the `params` that fill in its message.

    The English message is for the command line and logs; the pages translate `code` and `params`
    (ui.tr_error, through the `error.<code>` strings of lenet.i18n), so the same failure reads well in
    every language.
    """

    default_code = "error"

    def __init__(self, message: str, code: str | None = None, **params) -> None:
        super().__init__(message)
        self.code = code or self.default_code
        self.params = params
