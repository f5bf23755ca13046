"""A network of one's own, end to end in a real Chromium (#29): designed in the Convolution lab, sent to Train and
trained a few steps on the tests' tiny MNIST, used in the sidebar, drawn on in Draw & explore, then compared with the
shipped LeNet-5 on the Compare page, which reads the same drawing with both.
"""

from __future__ import annotations

import re

import pytest
import strokes
from appserver import draw_strokes, launch_browser, page_exceptions, serve, use_model, wait_for_app, wait_idle

from lenet.i18n import t

pytestmark = pytest.mark.browser

DESIGN = "c4k3s2,relu,c8k3,relu,mp2,fc10"  # a student's own: a strided conv, then a pooled one


def _go(page, nav_key: str) -> None:
    """Follow a sidebar link, staying in the same session."""
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text=t(nav_key)).click()
    wait_for_app(page)


def test_design_train_draw_and_compare(app_env):
    with serve(env={**app_env, "LENET_MAX_EPOCHS": "2"}) as (url, _), launch_browser() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1300})
        page.goto(f"{url}/conv_lab")
        wait_for_app(page)
        page.get_by_role("tab", name=t("lab.net.title")).click()
        box = page.locator(".st-key-lab_net_text textarea")
        box.wait_for(timeout=60000)
        box.fill(DESIGN)
        box.press("Control+Enter")
        page.locator('.st-key-lab_network tr[data-layer="6"]').wait_for(timeout=30000)
        wait_idle(page)
        page.locator(".st-key-lab_net_train button:visible").click()  # Send to Train

        page.locator(".st-key-start_training button").wait_for(timeout=60000)
        assert page.locator(".st-key-train_net input").input_value() == DESIGN
        page.locator(".st-key-start_training button").click()
        page.wait_for_function(
            "() => /finished|failed/.test(document.querySelector('.st-key-train_status')?.innerText || '')",
            timeout=90000,
        )
        assert "finished" in page.locator(".st-key-train_status").inner_text()
        use_model(page, "my-lenet")
        assert "my-lenet" in page.locator(".st-key-model input").input_value()

        _go(page, "nav.draw")
        page.wait_for_selector(".st-key-canvas canvas.draw-surface", timeout=60000)
        draw_strokes(page, strokes.digit_strokes(7, canvas=280), every=3)
        page.wait_for_function(
            "() => /\\d/.test(document.querySelector('.st-key-prediction')?.innerText || '')", timeout=30000
        )
        layers = page.locator(".st-key-draw_top").inner_text() + page.content()
        assert "conv1" in layers and "pool1" in layers  # the design's own blocks are explored

        _go(page, "nav.compare")
        page.wait_for_selector(".st-key-compare_canvas canvas.draw-surface", timeout=60000)
        assert "my-lenet" in page.locator(".st-key-compare_model_a input").input_value()
        draw_strokes(page, strokes.digit_strokes(7, canvas=280), every=3, selector=".st-key-compare_canvas canvas")
        page.wait_for_function(
            "() => document.querySelectorAll('.st-key-compare_answer .compare-digit').length === 2", timeout=30000
        )
        digits = page.locator(".st-key-compare_answer .compare-digit").all_inner_texts()
        assert all(re.fullmatch(r"\d", d) for d in digits), digits
        page.locator('.st-key-compare_layers .compare-row[data-a="output"]').wait_for(timeout=10000)
        assert "a=my-lenet" in page.url
        assert not page_exceptions(page)
