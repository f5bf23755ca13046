"""The private Streamlit flag that ui.ensure_shell switches off, checked against the installed Streamlit.

Streamlit offers no public way to keep a top-level pages/ folder from being run as an old-style (v1)
multipage app before st.navigation has run once, so ui.ensure_shell sets
`PagesManager.uses_pages_directory` itself. requirements.txt pins the Streamlit series this was tested
on; if an upgrade moves or changes the flag, these tests say so before a deep link (/train as a
server's first request) silently loses the sidebar.
"""

import inspect

import pytest
import streamlit

REQUIREMENT = "requirements.txt pins streamlit to the series ui.ensure_shell was tested on"


def _pages_manager():
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError as exc:
        pytest.fail(
            f"streamlit {streamlit.__version__} has no streamlit.runtime.pages_manager.PagesManager, "
            f"which ui.ensure_shell patches ({REQUIREMENT}): {exc}"
        )
    if not hasattr(PagesManager, "uses_pages_directory"):
        pytest.fail(
            f"streamlit {streamlit.__version__}: PagesManager.uses_pages_directory is gone; "
            f"ui.ensure_shell needs a new way to make deep links run app.py ({REQUIREMENT})"
        )
    return PagesManager


def test_a_pages_folder_still_turns_the_flag_on(tmp_path):
    """The flag starts unset and a PagesManager sets it from the main script's pages/ folder."""
    pages_manager = _pages_manager()
    (tmp_path / "pages").mkdir()
    (tmp_path / "app.py").write_text("")
    saved = pages_manager.uses_pages_directory
    try:
        pages_manager.uses_pages_directory = None
        pages_manager(str(tmp_path / "app.py"))
        assert pages_manager.uses_pages_directory is True, (
            f"streamlit {streamlit.__version__}: a pages/ folder no longer sets PagesManager.uses_pages_directory; "
            f"check what ui.ensure_shell's workaround still does ({REQUIREMENT})"
        )
    finally:
        pages_manager.uses_pages_directory = saved


def test_the_script_runner_still_runs_pages_v1_style_when_the_flag_is_on():
    """The flag is what routes a run through the v1 pages runner instead of app.py; st.navigation clears it."""
    from streamlit.commands import navigation
    from streamlit.runtime.scriptrunner import script_runner

    pages_manager = _pages_manager()
    runner = inspect.getsource(script_runner.ScriptRunner)
    assert "PagesManager.uses_pages_directory" in runner and "_mpa_v1(" in runner, (
        f"streamlit {streamlit.__version__}: the script runner no longer reads PagesManager.uses_pages_directory "
        f"to run pages/ v1-style; ui.ensure_shell's workaround may be needless or broken ({REQUIREMENT})"
    )
    assert "PagesManager.uses_pages_directory = False" in inspect.getsource(navigation.navigation), (
        f"streamlit {streamlit.__version__}: st.navigation no longer switches the pages/ flag off ({REQUIREMENT})"
    )
    assert pages_manager.__module__ == "streamlit.runtime.pages_manager"
