"""The overview in a real browser (lenet/web/overview.js): the whole network in one picture, repainted while the
pen moves; a unit selected with the mouse or the keyboard becomes the page's `trace`; the winning output draws
its path back to the input; axe-core finds nothing serious; a phone keeps it inside its own box.

One server and one page for the module (starting them is most of the cost).
"""

from __future__ import annotations

import json

import pytest
import strokes
from appserver import (
    CANVAS,
    LIVE,
    PHONE,
    axe_violations,
    draw_strokes,
    launch_browser,
    one_canvas,
    page_exceptions,
    serve,
    wait_for_app,
    wait_idle,
)

from lenet.i18n import t

pytestmark = pytest.mark.browser

OVERVIEW = ".st-key-overview .overview"
BOX = ".st-key-overview .overview-box"
TRACE = ".st-key-trace"
# LeNet-5's blocks, as the shipped checkpoint names them (docs/ARCHITECTURE.md §4.7)
BLOCKS = ["C1", "S2", "C3", "S4", "C5", "F6", "output"]


@pytest.fixture(scope="module")
def server():
    with serve() as (url, _), launch_browser() as browser:
        yield url, browser


def _open_with_a_digit(page, url: str, digit: int, seed: int) -> None:
    """The Draw page with a digit drawn and the overview painted."""
    page.goto(url)
    wait_for_app(page)
    page.wait_for_selector(CANVAS, timeout=60000)
    draw_strokes(page, strokes.random_strokes(digit, seed), every=3)
    wait_idle(page)
    page.locator(OVERVIEW).wait_for(state="visible", timeout=20000)


@pytest.fixture(scope="module")
def page(server):
    url, browser = server
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    _open_with_a_digit(page, url, 3, 5)
    yield page
    page.close()


def _unit_point(page, name: str, channel: int, row: int = 0, col: int = 0) -> tuple[float, float]:
    """Where a unit is drawn on the screen, from the picture's layout (the box's data-layout)."""
    box = page.locator(BOX)
    box.scroll_into_view_if_needed()
    lay, b = json.loads(box.get_attribute("data-layout")), box.bounding_box()
    c = next(c for c in lay["columns"] if c["name"] == name)
    x = c["x"] + (channel % c["cols"]) * c["cellW"] + (col + 0.5) * c["scale"]
    y = c["y"] + (channel // c["cols"]) * c["cellH"] + (row + 0.5) * c["scale"]
    return b["x"] + x * lay["zoom"], b["y"] + y * lay["zoom"]


def _selected(page) -> dict | None:
    raw = page.locator(OVERVIEW).get_attribute("data-unit")
    return json.loads(raw) if raw else None


def _trace_heading(page) -> str:
    page.locator(TRACE).wait_for(timeout=20000)
    return page.locator(TRACE).inner_text().splitlines()[0]


def _picture_hash(page) -> str:
    return page.locator(".st-key-overview canvas.overview-maps").evaluate(
        "c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " let h = 0; for (let i = 0; i < d.length; i += 4) h = (h * 31 + d[i]) | 0; return String(h); }"
    )


def test_every_block_is_in_the_picture_in_forward_order(page):
    lay = json.loads(page.locator(BOX).get_attribute("data-layout"))
    assert [c["name"] for c in lay["columns"]] == [t("overview.input"), *BLOCKS]
    xs = [(c["y"], c["x"]) for c in lay["columns"]]
    assert xs == sorted(xs)  # left to right (and on to the next band where it wraps)
    legend = page.locator(".st-key-overview .overview-legend").inner_text()
    for key in ("legend_maps", "legend_positive", "legend_negative", "legend_width", "legend_path", "help"):
        assert t(f"overview.{key}") in legend


def test_the_keyboard_moves_and_selects(page):
    overview = page.locator(OVERVIEW)
    overview.focus()
    start = _selected(page)
    assert start is None  # nothing picked yet: the cursor starts on C1's first map
    for key in ("ArrowRight", "ArrowDown", "Shift+ArrowDown", "Shift+ArrowRight", "Shift+ArrowRight"):
        page.keyboard.press(key)
    unit = {"layer": "S2", "channel": 1, "row": 1, "col": 2}
    assert page.locator(".st-key-overview .overview-unit").inner_text() == t("trace.cell.map", **unit)
    page.keyboard.press("Enter")
    wait_idle(page)
    assert _selected(page) == unit
    assert _trace_heading(page) == t("trace.heading", cell=t("trace.cell.map", **unit))
    announced = page.locator(".st-key-overview .overview-unit").inner_text()
    assert announced == t("overview.selected", unit=t("trace.cell.map", **unit))


def test_a_clicked_unit_is_traced_and_shows_its_strongest_contributions(page):
    x, y = _unit_point(page, "C3", 4, 3, 7)
    page.mouse.click(x, y)
    wait_idle(page)
    unit = {"layer": "C3", "channel": 4, "row": 3, "col": 7}
    assert _selected(page) == unit
    assert _trace_heading(page) == t("trace.heading", cell=t("trace.cell.map", **unit))
    assert page.locator(OVERVIEW).get_attribute("data-links") == "12"  # 6 maps x 5 x 5 inputs: the 12 largest
    assert page.locator(OVERVIEW).get_attribute("data-path") == "[]"  # a path only for the winning output
    assert not page_exceptions(page)


def test_the_winning_output_draws_its_path_back_to_the_input(page):
    digit = int(page.locator(LIVE).inner_text())
    x, y = _unit_point(page, "output", digit)
    page.mouse.click(x, y)
    wait_idle(page)
    assert _selected(page) == {"layer": "output", "channel": digit}
    assert _trace_heading(page) == t("trace.heading", cell=t("trace.cell.output", channel=digit))
    path = json.loads(page.locator(OVERVIEW).get_attribute("data-path"))
    assert [p["layer"] for p in path] == [*reversed(BLOCKS), "input"], path
    assert path[0]["channel"] == digit
    assert t("overview.path_shown") in page.locator(".st-key-overview .overview-unit").inner_text()
    # another output: its links, no path
    other = (digit + 1) % 10
    x, y = _unit_point(page, "output", other)
    page.mouse.click(x, y)
    wait_idle(page)
    assert _selected(page) == {"layer": "output", "channel": other}
    assert page.locator(OVERVIEW).get_attribute("data-path") == "[]"


def test_the_picture_follows_the_pen_while_the_mouse_is_down(page):
    canvas = one_canvas(page)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    before = _picture_hash(page)
    page.mouse.move(box["x"] + 230, box["y"] + 40)
    page.mouse.down()
    seen = {before}
    for i in range(20):
        page.mouse.move(box["x"] + 230, box["y"] + 40 + 10 * i)
        page.wait_for_timeout(30)
        seen.add(_picture_hash(page))
    page.mouse.up()
    wait_idle(page)
    assert len(seen) >= 5, "the overview did not change while the pen moved"


def test_axe_finds_nothing_serious_with_a_selection(page):
    x, y = _unit_point(page, "F6", 10)
    page.mouse.click(x, y)
    wait_idle(page)
    assert axe_violations(page) == []


def test_a_phone_keeps_the_overview_in_its_own_box(server):
    url, browser = server
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, device_scale_factor=1)
    page = context.new_page()
    _open_with_a_digit(page, url, 7, 3)
    widths = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the page scrolls sideways: {widths}"
    box = page.locator(OVERVIEW).bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    lay = json.loads(page.locator(BOX).get_attribute("data-layout"))
    assert len({c["y"] for c in lay["columns"]}) > 1  # the blocks wrap into bands on a phone
    context.close()
