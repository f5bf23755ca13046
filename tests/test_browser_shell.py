"""The shell in a real browser: deep links on a freshly started server go through the navigation.

The servers get the tests' tiny MNIST (conftest.app_env), so the Train page shows its controls on every
machine, with or without the real MNIST.
"""

import time

import pytest
from appserver import launch_browser, page_exceptions, serve, wait_for_app

from lenet.i18n import t

pytestmark = pytest.mark.browser


def test_a_shared_conv_lab_link_works_as_the_first_request(app_env):
    with serve(env=app_env) as (url, _proc), launch_browser() as browser:
        page = browser.new_page()
        page.goto(f"{url}/conv_lab?input=9&kernel=3&stride=2")
        wait_for_app(page)  # waits for the sidebar, which only the shell renders
        page.wait_for_selector(".st-key-lab_output")
        assert "4×4" in page.locator(".st-key-lab_output").inner_text()
        nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
        assert "Convolution lab" in nav and "conv lab" not in nav
        page.goto(f"{url}/train")
        wait_for_app(page)
        page.wait_for_selector(".st-key-start_training")
        assert not page_exceptions(page)


def _choose(page, key: str, option: str) -> None:
    page.locator(f".st-key-{key} [role=combobox]").click()
    page.get_by_role("option", name=option, exact=True).click()
    wait_for_app(page)


def _shown(page, key: str) -> str:
    """The option a select box shows (it lives in the value of the box's text input)."""
    return page.locator(f".st-key-{key} [role=combobox]").input_value()


def test_changing_language_keeps_every_choice_on_the_page(app_env):
    """A choice widget travels between browser and server as its label: after a language change the
    browser's old label must not be taken for the value (it crashed the Train page and lost choices)."""
    with serve(env=app_env) as (url, _proc), launch_browser() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/train")
        wait_for_app(page)
        _choose(page, "train_optimizer", t("train.optimizer_sgd", "en"))
        _choose(page, "train_pool_lenet5", t("train.pool_avg", "en"))
        lr = page.locator(".st-key-train_lr input")
        assert lr.input_value() == "0.0500"  # SGD's own learning rate
        _choose(page, "language", "简体中文")
        page.get_by_role("heading", name=t("train.title", "zh")).wait_for(timeout=20000)
        time.sleep(1.0)  # any rerun the browser sends back after the relabelling
        wait_for_app(page)
        assert not page_exceptions(page)
        assert _shown(page, "train_optimizer") == t("train.optimizer_sgd", "zh")
        assert _shown(page, "train_pool_lenet5") == t("train.pool_avg", "zh")
        assert page.locator(".st-key-train_network input[type=radio]:checked").count() == 1
        assert lr.input_value() == "0.0500"  # the optimizer did not change, so neither did its rate
        page.get_by_role("link", name=t("nav.conv_lab", "zh")).click()
        wait_for_app(page)
        _choose(page, "lab_op", t("lab.op.maxpool", "zh"))
        _choose(page, "language", "English")
        page.get_by_role("heading", name=t("nav.conv_lab", "en")).wait_for(timeout=20000)
        time.sleep(1.0)
        wait_for_app(page)
        assert not page_exceptions(page)
        assert _shown(page, "lab_op") == t("lab.op.maxpool", "en")
