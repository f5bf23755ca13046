"""The Convolution lab's network designer (issue 29) in a real Chromium at a phone's width: a layer duplicated and
moved by touch updates the table and the link, a bad layer shows its refusal on its row, no button label is cut,
axe-core finds nothing serious or critical, and Send to Train opens the Train page, in both languages.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from appserver import (
    PHONE,
    axe_violations,
    cut_labels,
    launch_browser,
    new_touch_page,
    page_exceptions,
    serve,
    wait_for_app,
    wait_idle,
)

from lenet import netspec
from lenet.i18n import t

pytestmark = pytest.mark.browser

TABLE = ".st-key-lab_network .lenet-net-table"


def _net(page) -> str | None:
    return (parse_qs(urlparse(page.url).query).get("net") or [None])[0]


def _open_designer(page, url: str, lang: str, query: str = "") -> None:
    page.goto(f"{url}/conv_lab?lang={lang}{query}")
    wait_for_app(page)
    page.get_by_role("tab", name=t("lab.net.title", lang)).tap()
    page.locator(TABLE).wait_for(timeout=60000)
    wait_idle(page)


def test_the_designer_works_at_phone_width(app_env):
    with serve(env=app_env) as (url, _), launch_browser() as browser:
        for lang in ("en", "zh"):
            _designer_at_phone_width(browser, url, lang)


def _designer_at_phone_width(browser, url: str, lang: str) -> None:
    context, page, _ = new_touch_page(browser, PHONE)
    _open_designer(page, url, lang, "&net=tiny")
    assert page.locator(f"{TABLE} tr[data-layer]").count() == 8  # the input and tiny's 7 entries
    assert _net(page) == netspec.NETWORKS["tiny"]
    page.locator(".st-key-lab_net_duplicate button").tap()  # layer 1, c8k3, twice
    page.locator(f'{TABLE} tr[data-layer="8"]').wait_for(timeout=20000)
    page.locator(".st-key-lab_net_down button").tap()  # the copy (picked) below relu
    page.wait_for_function(
        "() => /c8k3,c8k3,relu|c8k3,relu,c8k3/.test(decodeURIComponent(location.search))", timeout=20000
    )
    wait_idle(page)
    assert _net(page) == "c8k3,relu,c8k3,mp2,c16k3,relu,mp2,fc10"
    third = page.locator(f'{TABLE} tr[data-layer="3"] td').all_inner_texts()
    assert third[1:4] == ["c8k3", "conv2", "8×24×24"], third
    assert not cut_labels(page), cut_labels(page)
    found = axe_violations(page)
    assert not found, found
    # a layer that cannot take its input says why on its own row
    box = page.locator(".st-key-lab_net_text textarea")
    box.fill("c6k5,relu,mp2,c16k13,fc10")
    box.press("Control+Enter")
    error = page.locator(f'{TABLE} tr[data-error="4"]')
    error.wait_for(timeout=20000)
    assert "c16k13p1" in error.inner_text()  # the refusal names a nearby layer that fits
    wait_idle(page)
    assert page.locator(".st-key-lab_net_train button:visible").is_disabled()
    assert not cut_labels(page), cut_labels(page)
    found = axe_violations(page)
    assert not found, found
    # "Send to Train" from inside the designer's fragment opens the Train page
    box.fill("tiny")
    box.press("Control+Enter")
    page.locator(f'{TABLE} tr[data-layer="7"]').wait_for(timeout=20000)
    wait_idle(page)
    page.locator(".st-key-lab_net_train button:visible").tap()
    page.locator(".st-key-start_training").wait_for(timeout=60000)
    assert page.url.split("?")[0].endswith("/train")
    assert not page_exceptions(page)
    context.close()
