"""Train in a real browser: a 1-epoch run with live charts, its model used on the Draw page, then a stopped run.

The server trains and evaluates on the tests' tiny MNIST (conftest.app_env: bars, 10 of the 200 test digits
mislabelled), so this runs on every machine, with or without the real MNIST.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import strokes
from appserver import draw_strokes, launch_browser, page_exceptions, serve, wait_for_app

from lenet.i18n import t

pytestmark = pytest.mark.browser

STATUS = ".st-key-train_status"
LOSS_PATHS = (
    "() => Array.from(document.querySelectorAll('.st-key-live_loss path.js-line'))"
    ".map(p => p.getAttribute('d')).join('|')"
)


def _status(page) -> str:
    return page.locator(STATUS).inner_text()


def _picked_model(page) -> str:
    """The sidebar's model picker shows its choice in a combobox input."""
    return page.locator(".st-key-model input").input_value()


def _go(page, nav_key: str) -> None:
    """Follow a sidebar link, staying in the same session (a new URL would start a new one)."""
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text=t(nav_key)).click()
    wait_for_app(page)


def _wait_status(page, *words: str, timeout: float = 30) -> str:
    deadline = time.time() + timeout
    while not any(w in (text := _status(page)) for w in words):
        assert time.time() < deadline, f"status never showed {words}: {text!r}"
        time.sleep(0.2)
    return text


def test_train_use_the_model_and_stop(app_env):
    env = {**app_env, "LENET_MAX_EPOCHS": "3"}
    runs = Path(app_env["LENET_RUNS_DIR"])
    with serve(env=env) as (url, _), launch_browser() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1400})
        page.goto(url)  # the root first: it runs app.py, whose st.navigation owns the page URLs
        wait_for_app(page)
        _go(page, "nav.train")
        page.wait_for_selector(".st-key-start_training button")
        # Three epochs of the tiny set: one epoch can end within a second on a quiet machine, before the live
        # panel (polled every second) has drawn the loss more than once.
        epochs = page.locator(".st-key-train_epochs input")
        epochs.fill("3")
        epochs.press("Tab")
        wait_for_app(page)

        # A 3-epoch run: running, then finished, with the loss chart redrawn as it learns.
        page.locator(".st-key-start_training button").click()
        _wait_status(page, "running")
        charts, started = set(), time.time()
        while "finished" not in (text := _status(page)):
            assert "failed" not in text and time.time() - started < 150, text
            charts.add(page.evaluate(LOSS_PATHS))
            time.sleep(0.5)
        charts.discard("")
        print(f"live loss chart: {len(charts)} different drawings")
        assert len(charts) >= 3, "the live loss chart should have updated at least twice"
        assert re.search(r"9\d\.\d\d%", text), text  # 10 of the 200 tiny test digits are mislabelled: <= 95 %
        saved = list(runs.glob("my-lenet-*.safetensors"))
        assert len(saved) == 1

        # The new model is in the sidebar's picker at once; pick it and read a drawn digit with it.
        page.locator(".st-key-model").click()
        page.get_by_role("option").filter(has_text="my-lenet").click()
        wait_for_app(page)
        assert "my-lenet" in _picked_model(page)
        _go(page, "nav.draw")
        page.wait_for_selector(".st-key-canvas canvas.draw-surface", timeout=60000)
        draw_strokes(page, strokes.digit_strokes(7, canvas=280))
        page.wait_for_function(
            "() => /\\d/.test(document.querySelector('.st-key-prediction')?.innerText || '')", timeout=30000
        )
        assert "my-lenet" in _picked_model(page)

        # Back on Train the finished run is still shown; a second run is stopped by its owner.
        _go(page, "nav.train")
        assert "finished" in _wait_status(page, "finished")
        page.locator(".st-key-start_training button").click()
        _wait_status(page, "running on")
        clicked = time.time()
        page.locator(".st-key-stop_training button").click()
        _wait_status(page, "stopped", timeout=10)
        print(f"stop click to 'stopped' shown: {time.time() - clicked:.2f} s")
        assert not list(runs.glob("*.tmp"))
        assert len(list(runs.glob("*.safetensors"))) == 1  # the stopped run was not kept
        assert not page_exceptions(page)

        # Evaluate the new model; a misclassified digit opens in Draw & explore.
        _go(page, "nav.evaluate")
        page.wait_for_selector(".st-key-confusion_chart", timeout=60000)
        assert "my-lenet" in page.locator(".st-key-eval_model input").input_value()
        page.locator("[class*='st-key-open_'] button").first.click()
        page.wait_for_function(
            "() => location.pathname === '/' && "
            "/\\d/.test(document.querySelector('.st-key-prediction')?.innerText || '')",
            timeout=30000,
        )
        assert not page_exceptions(page)
