"""Draw & explore in a real browser: digits drawn with the mouse, clear, a bad upload, Chinese, the toolbar corner.

One server and one page for the whole module (starting them is most of the cost).
"""

from __future__ import annotations

import json
import re
import time

import numpy as np
import pytest
import strokes
from appserver import (
    CANVAS,
    LIVE,
    PREDICTION,
    draw_strokes,
    launch_browser,
    page_exceptions,
    serve,
    settled_text,
    wait_for_app,
)

from lenet.i18n import t

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def page():
    with serve() as (url, _), launch_browser() as browser:
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        page.goto(url)
        wait_for_app(page)
        page.wait_for_selector(CANVAS, timeout=60000)
        yield page
        page.close()


def _prediction(page) -> str:
    return page.locator(PREDICTION).inner_text()


def _digit(text: str) -> int | None:
    found = re.search(r"\d", text)
    return int(found.group()) if found else None


def _settled(page, timeout: float = 20.0) -> str:
    """The prediction's text once the app has finished rerunning and the text has stopped changing."""
    return settled_text(page, PREDICTION, timeout)


def _draw(page, drawing: list[list[tuple[float, float]]]) -> None:
    draw_strokes(page, drawing, every=3)  # about 9 px apart: most of this module's time was mouse moves


def _clear(page) -> None:
    page.locator(".st-key-draw_clear button").click()
    deadline = time.time() + 15
    while _digit(_settled(page)) is not None:
        assert time.time() < deadline, "clearing left a prediction behind"
        time.sleep(0.1)


def test_drawn_digits_are_read(page):
    rng = np.random.default_rng(2024)
    wrong = []
    for digit in [*range(10), 3, 7]:
        _clear(page)
        _draw(page, strokes.random_strokes(digit, rng))
        text = _settled(page)
        if _digit(text) != digit:
            wrong.append((digit, text))
    assert len(wrong) <= 1, wrong
    assert not page_exceptions(page)


def test_clear_leaves_no_digit(page):
    _draw(page, strokes.random_strokes(2, 5))
    assert _digit(_settled(page)) == 2
    _clear(page)
    text = _settled(page)
    assert not re.search(r"\d", text)
    assert t("draw.prediction.blank") in text


def test_undo_takes_back_the_last_stroke(page):
    _clear(page)
    _draw(page, [[(150.0, 40 + 3.0 * i) for i in range(70)]])  # a 1 ...
    assert _digit(_settled(page)) == 1
    _draw(page, [[(90 + 2.0 * i, 40.0) for i in range(31)]])  # ... with a bar on top: a 7
    assert _digit(_settled(page)) == 7
    page.locator(".st-key-draw_undo button").click()
    deadline = time.time() + 15
    while _digit(_settled(page)) != 1:
        assert time.time() < deadline, "undo did not bring the 1 back"
        time.sleep(0.1)


def test_a_dot_is_nothing_to_read(page):
    _clear(page)
    _draw(page, [[(140.0, 140.0), (141.0, 141.0)]])
    assert _digit(_settled(page)) is None


def test_stroke_starting_in_the_top_right_corner_registers(page):
    """The old canvas component's toolbar sat invisibly over the top-right corner and swallowed strokes there;
    nothing may lie over the drawing surface's corner."""
    _clear(page)
    _draw(page, [[(266.0, 4.0 + 3 * i) for i in range(85)]])  # a "1" down the right edge, from the very corner
    assert _digit(_settled(page)) == 1
    box = page.locator(CANVAS).bounding_box()
    under = page.evaluate(
        "([x, y]) => { const host = document.querySelector('.st-key-canvas "
        '[data-testid="stBidiComponentIsolated"]\'); return host.shadowRoot.elementFromPoint(x, y).className; }',
        [box["x"] + 276, box["y"] + 3],
    )
    assert under == "draw-surface"


def test_corrupt_upload_gives_a_friendly_message(page):
    page.locator(".st-key-draw_source label").filter(has_text=t("draw.source.upload")).click()
    page.wait_for_selector('.st-key-draw_upload input[type="file"]', state="attached", timeout=20000)
    page.locator('.st-key-draw_upload input[type="file"]').set_input_files(
        files=[{"name": "digit.png", "mimeType": "image/png", "buffer": b"not a picture at all\n" * 50}]
    )
    alert = page.locator('[data-testid="stAlert"]').filter(has_text=t("error.not_an_image"))
    alert.wait_for(timeout=20000)
    assert _digit(_settled(page)) is None
    assert not page_exceptions(page)
    page.locator(".st-key-draw_source label").filter(has_text=t("draw.source.draw")).click()
    page.wait_for_selector(CANVAS, timeout=20000)


def test_switching_language_turns_the_page_chinese(page):
    page.locator(".st-key-language [role=combobox]").click()
    page.get_by_role("option", name="简体中文").click()
    page.get_by_role("heading", name=t("draw.title", "zh")).wait_for(timeout=20000)
    assert t("draw.prediction.blank", "zh") in _settled(page)
    _draw(page, strokes.random_strokes(6, 11))
    assert _digit(_settled(page)) == 6
    assert t("draw.net.title", "zh") in page.locator('[data-testid="stMain"]').inner_text()
    assert not page_exceptions(page)


def test_live_answer_follows_the_pen_while_the_mouse_is_down(page):
    """With the mouse still down, the browser's own reading changes as the digit takes shape, and no script runs
    on the server meanwhile (nothing is sent until the stroke ends)."""
    _clear(page)
    live = page.locator(LIVE)
    page.wait_for_function(
        "() => { const h = document.querySelector('.st-key-canvas [data-testid=\"stBidiComponentIsolated\"]');"
        " return h && h.shadowRoot.querySelector('.live-answer').textContent === ''; }",
        timeout=20000,
    )  # the browser has cleared its reading too
    box = page.locator(CANVAS).bounding_box()
    seen = []
    page.mouse.move(box["x"] + 140, box["y"] + 40)
    page.mouse.down()
    for i in range(1, 71):  # a "1" straight down, then from its foot up to the right: read as 1, then not
        page.mouse.move(box["x"] + 140, box["y"] + 40 + 3 * i)
        if i % 10 == 0:
            page.wait_for_timeout(50)
            seen.append(live.inner_text())
    for i in range(1, 61):
        page.mouse.move(box["x"] + 140 + 2 * i, box["y"] + 250 - i)
    page.wait_for_timeout(100)
    seen.append(live.inner_text())
    running = page.evaluate("() => !!document.querySelector('[data-testid=\"stStatusWidget\"]')")
    page.mouse.up()
    assert "1" in seen, seen
    assert len(set(seen)) >= 2, seen  # it changed while the pen moved
    assert not running
    assert float(live.get_attribute("data-ms")) > 0


def test_what_the_page_shows_while_drawing_equals_the_server_after_pointer_up(page):
    """20 mouse-drawn digits: the live digit and its ten probabilities (to 3 decimals) equal the server's answer
    after the stroke ends (the server reads the browser's 28x28: one truth)."""
    rng = np.random.default_rng(28)
    for k in range(20):
        _clear(page)
        _draw(page, strokes.random_strokes(k % 10, rng))
        server = _settled(page)
        server_probs = json.loads(page.locator(f"{PREDICTION} .draw-digit").get_attribute("data-probs"))
        live = page.locator(LIVE)
        live_probs = json.loads(live.get_attribute("data-probs"))
        assert live.inner_text() == str(_digit(server)), (k, server)
        assert np.abs(np.array(live_probs) - np.array(server_probs)).max() < 5e-4, (live_probs, server_probs)


def test_a_mouse_stroke_that_leaves_the_canvas_and_comes_back_is_one_stroke_read_as_drawn(page):
    """Issue 28's odd drawings: the stroke goes on outside the canvas (pointer capture) and is read, never an
    error; the browser's reading equals the server's."""
    _clear(page)
    box = page.locator(CANVAS).bounding_box()
    page.mouse.move(box["x"] + 140, box["y"] + 200)
    page.mouse.down()
    for y in range(200, -61, -6):  # up and out over the top edge, 60 px beyond it
        page.mouse.move(box["x"] + 140, box["y"] + y)
    for y in range(-60, 251, 6):  # and back down inside: a "1"
        page.mouse.move(box["x"] + 140, box["y"] + y)
    page.mouse.up()
    server = _digit(_settled(page))
    assert server == 1
    deadline = time.time() + 10
    while _digit(page.locator(LIVE).inner_text()) != server:
        assert time.time() < deadline, page.locator(LIVE).inner_text()
        time.sleep(0.1)
    assert not page_exceptions(page)


def test_weights_the_browser_cannot_load_are_said_and_the_server_answers_after_each_stroke(page):
    """Issue 28: a checkpoint's weights that fail to load in the browser (here the blob arrives cut in half, as a
    broken download would) -> the page says so in its language, the live reading stays empty, and the server's
    answer still comes after each stroke."""
    context = page.context.browser.new_context(viewport={"width": 1500, "height": 1000})
    cut = context.new_page()
    served = []

    def cut_in_half(route):
        response = route.fetch()
        served.append(route.request.url)
        route.fulfill(response=response, body=response.body()[: len(response.body()) // 2])

    cut.route(re.compile(r".*/app/static/weights/[^/]*\.bin$"), cut_in_half)
    cut.goto(page.url.split("?")[0] + "?lang=zh")
    wait_for_app(cut)
    cut.wait_for_selector(CANVAS, timeout=60000)
    status = cut.locator(".st-key-canvas .live-status")
    status.filter(has_text=t("surface.weights_failed", "zh")).wait_for(timeout=30000)
    assert served  # the weights were asked for, and what came was broken
    draw_strokes(cut, strokes.random_strokes(7, np.random.default_rng(7)), every=3)
    assert _digit(settled_text(cut, PREDICTION)) == 7
    assert cut.locator(".st-key-canvas .live-answer").inner_text() == ""
    assert t("surface.weights_failed", "zh") in status.inner_text()
    assert not page_exceptions(cut)
    context.close()
