"""The shell in a real browser: deep links on a freshly started server go through the navigation."""

import pytest

from appserver import launch_browser, page_exceptions, serve, wait_for_app

pytestmark = pytest.mark.browser


def test_a_shared_conv_lab_link_works_as_the_first_request(tmp_path):
    with serve(env={"LENET_RUNS_DIR": str(tmp_path)}) as (url, _proc), launch_browser() as browser:
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
