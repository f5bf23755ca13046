"""The AppTest factory for page tests: the whole app (app.py: its sidebar and st.navigation), opened on one page;
and `block_text(at, key)`, the text of a keyed container.

AppTest runs a page switched to with `switch_page` without the shell's sidebar, and calls the Draw
page's format_funcs outside a script run, so the language (and any other state) is set after the first
run when another page is wanted, and before it when the Draw page (the default) is.
"""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def new_app(timeout: float = 60) -> AppTest:
    """The app, not yet run."""
    return AppTest.from_file(APP, default_timeout=timeout)


def open_app(
    page: str | None = None, language: str | None = "en", query: dict | None = None, timeout: float = 60, **state
) -> AppTest:
    """The app after one run of `page` (e.g. "pages/train.py"; None: the Draw page), in `language`.

    Args:
        page: the page script to switch to after the first run; None stays on the default page.
        language: the session's UI language; None leaves it to the app (a link's ?lang=, the server's default).
        query: URL query parameters (a shared link).
        timeout: seconds each run may take.
        **state: session-state keys to set first (injection keys such as draw_injected_rgba).
    """
    at = new_app(timeout)
    if page is not None:
        at.run()
    if language is not None:
        at.session_state["language"] = language
    for key, value in state.items():
        at.session_state[key] = value
    for key, value in (query or {}).items():
        at.query_params[key] = value
    if page is not None:
        at.switch_page(page)
    return at.run()


def _find_block(node, key: str):
    """The element or container keyed `key` below `node` (Streamlit's element id ends with `-<key>`), or None."""
    if str(getattr(getattr(node, "proto", None), "id", "")).endswith(f"-{key}"):
        return node
    for child in getattr(node, "children", {}).values():
        found = _find_block(child, key)
        if found is not None:
            return found
    return None


def _texts(node) -> list[str]:
    out = []
    for child in getattr(node, "children", {}).values():
        if isinstance(getattr(child, "value", None), str):
            out.append(child.value)
        out += _texts(child)
    return out


def block_text(at: AppTest, key: str) -> str | None:
    """The text of the keyed container (its markdown and HTML values, joined), or None when it is not shown."""
    block = _find_block(at._tree, key)
    return None if block is None else " ".join(_texts(block))
