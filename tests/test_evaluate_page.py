"""AppTest of the Evaluate page: both languages, the gallery's link to Draw & explore, missing MNIST."""

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from tiny_mnist import write_tiny_mnist

from lenet.i18n import t

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A tiny MNIST (bars that the shipped model mostly gets wrong: a full gallery) and an empty runs folder."""
    monkeypatch.setenv("LENET_DATA_DIR", str(write_tiny_mnist(tmp_path / "mnist")))
    monkeypatch.setenv("LENET_RUNS_DIR", str(tmp_path / "runs"))
    st.cache_data.clear()
    yield tmp_path
    st.cache_data.clear()


def open_evaluate(language="en") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    # Set after the first (Draw page) run: AppTest keeps the sidebar only until the first switch_page.
    at.session_state["language"] = language
    at.switch_page("pages/evaluate.py").run()
    assert not at.exception
    return at


@pytest.mark.parametrize("language", ["en", "zh"])
def test_page_renders_in_both_languages(env, language):
    at = open_evaluate(language)
    assert at.title[0].value == t("eval.title", language)
    assert len(at.metric) == 2 and at.metric[0].value.endswith("%")
    assert len(at.get("plotly_chart")) == 2
    assert any(b.key.startswith("open_") for b in at.button)


def test_a_mistake_opens_in_draw(env):
    at = open_evaluate()
    first = next(b for b in at.button if b.key.startswith("open_"))
    index = int(first.key.removeprefix("open_"))
    first.click().run()
    assert not at.exception
    state = at.session_state
    # The Draw page takes the hand-over (draw_sample) and shows that test digit.
    handed_over = state["draw_sample"] if "draw_sample" in state else state["draw_mnist_index"]
    assert handed_over == index


def test_filters_narrow_the_gallery(env):
    at = open_evaluate()
    at.selectbox(key="eval_true").set_value(3).run()
    at.selectbox(key="eval_pred").set_value(3).run()  # a true 3 read as 3 is never a mistake
    assert not at.exception and at.info and not any(b.key.startswith("open_") for b in at.button)


def test_missing_mnist_offers_the_download(env, monkeypatch, tmp_path):
    monkeypatch.setenv("LENET_DATA_DIR", str(tmp_path / "nowhere"))
    at = open_evaluate("zh")
    assert "eval_download" in {b.key for b in at.button}
