"""Tracing a number in a real browser: a C1 cell clicked with the mouse, a C3 cell tapped with a finger (touch
events through the DevTools protocol, on a tablet-sized touch screen), the player, and the pick surviving a stroke.

The expected value is computed here from the very input the page used: the drawn digit's last preprocessing
step (a lossless 28x28 PNG on the page), or an MNIST test digit.
"""

from __future__ import annotations

import base64
import io
import re
import time

import numpy as np
import pytest
import strokes
from appserver import CANVAS, PHONE, draw_strokes, launch_browser, page_exceptions, serve, wait_for_app, wait_idle
from PIL import Image

from lenet import checkpoints
from lenet.data import normalise, picker_digits
from lenet.explain import explain
from lenet.figures.trace import pick_layout
from lenet.i18n import t

pytestmark = pytest.mark.browser

PICKER = 'iframe[title*="streamlit_image_coordinates"]'
TRACE = ".st-key-trace"
CHART = '[data-testid="stPlotlyChart"]'
CURRENT = f"{CHART} .slider-group > text.slider-label"  # the slider's "position N" (plotly's current value)


@pytest.fixture(scope="module")
def server():
    with serve() as (url, _), launch_browser() as browser:
        yield url, browser


def _model():
    model, _ = checkpoints.load_checkpoint(checkpoints.DEFAULT_CHECKPOINT)
    return model.eval()


def _idle(page, timeout_s: float = 30) -> None:
    time.sleep(0.6)  # a rerun shows the status widget only after a moment: give it that moment first
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && !document.querySelector('[data-stale=\"true\"]')",
        timeout=timeout_s * 1000,
    )
    time.sleep(0.6)


def _network_input(page) -> np.ndarray:
    """The 28x28 input the page gave the network: its last preprocessing step, decoded from the page."""
    src = page.locator(f'img[alt="{t("draw.step.centred")}"]').get_attribute("src")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))).convert("L"))


def _cell_point(page, shape, cell) -> tuple[float, float]:
    """The page coordinates of a cell's centre on the clickable picture of its layer."""
    frame = page.locator(PICKER)
    frame.scroll_into_view_if_needed()
    box = frame.bounding_box()
    layout = pick_layout(shape)
    shown = box["width"] / layout.size[1]  # the page draws it at most its own width: smaller on a narrow screen
    channel, row, col = cell
    tile_r, tile_c = divmod(channel, layout.cols)
    x = (tile_c * (layout.tile_w + layout.gutter) + col + 0.5) * layout.scale * shown
    y = (tile_r * (layout.tile_h + layout.gutter) + row + 0.5) * layout.scale * shown
    return box["x"] + x, box["y"] + y


def _trace_value(page, timeout_s: float = 30) -> tuple[str, float]:
    """The `trace` container's text and the value it states, once the page is idle."""
    page.wait_for_selector(TRACE, timeout=timeout_s * 1000)
    _idle(page)
    text = page.locator(TRACE).inner_text()
    found = re.search(re.escape(t("trace.value", value="")) + r"(-?\d+\.\d{4})", text)
    assert found, text[:400]
    return text, float(found.group(1))


def _pick_layer(page, layer: str, tap=None) -> None:
    """The layer's pill: tracing starts with it (the clickable picture appears)."""
    label = page.locator(".st-key-trace_layer button").filter(has_text=re.compile(rf"^\s*{layer}\s*$"))
    if tap:
        label.scroll_into_view_if_needed()
        tap(*_centre(label.bounding_box()))
    else:
        label.click()
    page.wait_for_selector(PICKER, timeout=30000)
    _idle(page)


def _centre(box) -> tuple[float, float]:
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_click_a_c1_cell_with_the_mouse_and_it_survives_a_stroke(server):
    url, browser = server
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    page.goto(url)
    wait_for_app(page)
    page.wait_for_selector(CANVAS, timeout=60000)
    draw_strokes(page, strokes.random_strokes(3, 7), every=3)
    _idle(page)
    _pick_layer(page, "C1")
    model, cell = _model(), (2, 14, 12)
    page.mouse.click(*_cell_point(page, (6, 28, 28), cell))
    text, value = _trace_value(page)
    assert t("trace.cell.map", layer="C1", channel=2, row=14, col=12) in text
    want = explain(model, normalise(_network_input(page))).activations["C1"][cell]
    assert value == pytest.approx(float(want), abs=1e-4)
    # a click on the white gutter between two maps picks nothing new
    x, y = _cell_point(page, (6, 28, 28), (0, 14, 28))
    page.mouse.click(x, y)
    _idle(page)
    assert t("trace.cell.map", layer="C1", channel=2, row=14, col=12) in page.locator(TRACE).inner_text()
    # another stroke: the same cell stays picked and its number follows the drawing
    page.locator(CANVAS).scroll_into_view_if_needed()
    draw_strokes(page, [[(60.0 + 4 * i, 200.0) for i in range(40)]], every=3)
    _idle(page)
    text, value = _trace_value(page)
    assert t("trace.cell.map", layer="C1", channel=2, row=14, col=12) in text
    want = explain(model, normalise(_network_input(page))).activations["C1"][cell]
    assert value == pytest.approx(float(want), abs=1e-4)
    assert not page_exceptions(page)
    page.close()


def _touch_page_on_mnist(browser, url: str, viewport: dict):
    """A touch screen of this size on the Draw page, showing the picker's first MNIST digit; (context, page, tap)."""
    context = browser.new_context(viewport=viewport, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    cdp = context.new_cdp_session(page)

    def tap(x: float, y: float) -> None:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})

    page.goto(url)
    wait_for_app(page)
    # A tablet's first page closes the sidebar by itself (ui.SHELL_SCRIPT): tap once the page has its width.
    page.wait_for_selector('[data-testid="stSidebar"][data-collapsed="true"]', state="attached", timeout=30000)
    wait_idle(page)
    mnist = page.locator(".st-key-draw_source label").filter(has_text=t("draw.source.mnist"))
    mnist.scroll_into_view_if_needed()
    tap(*_centre(mnist.bounding_box()))
    page.wait_for_selector(".st-key-draw_mnist_index", timeout=30000)
    _idle(page)
    return context, page, tap


def _c3_value(cell) -> float:
    images, _, _, _ = picker_digits()
    return float(explain(_model(), normalise(images[0])).activations["C3"][cell])  # the picker's first digit


def test_tap_a_c3_cell_on_a_touch_screen(server):
    url, browser = server
    context, page, tap = _touch_page_on_mnist(browser, url, {"width": 1024, "height": 1366})
    _pick_layer(page, "C3", tap)
    cell = (4, 3, 7)
    tap(*_cell_point(page, (16, 10, 10), cell))
    text, value = _trace_value(page)
    assert t("trace.cell.map", layer="C3", channel=4, row=3, col=7) in text
    assert value == pytest.approx(_c3_value(cell), abs=1e-4)
    # the player: its slider moves when play is pressed, with no server round trip
    pill = page.locator(".st-key-trace_tools button").filter(has_text=t("trace.player.show"))
    pill.scroll_into_view_if_needed()
    tap(*_centre(pill.bounding_box()))
    page.wait_for_selector(CURRENT, timeout=60000, state="attached")
    _idle(page)
    before = page.locator(CURRENT).text_content()
    play = page.locator(f"{CHART} .updatemenu-button").first
    play.scroll_into_view_if_needed()
    tap(*_centre(play.bounding_box()))
    time.sleep(1.5)
    after = page.locator(CURRENT).text_content()
    assert before != after, (before, after)
    assert not page_exceptions(page)
    context.close()


def test_a_phone_shows_the_whole_picture_and_its_last_map_can_be_tapped(server):
    """At 390 px the C3 picture (16 maps, wider than the screen at its own size) is shrunk to fit, not cut off."""
    url, browser = server
    context, page, tap = _touch_page_on_mnist(browser, url, PHONE)
    _pick_layer(page, "C3", tap)
    box = page.locator(PICKER).bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    picture = page.frame_locator(PICKER).locator("img").bounding_box()
    assert picture["x"] + picture["width"] <= box["x"] + box["width"] + 1, (picture, box)
    cell = (15, 9, 9)  # the bottom-right corner of the last map
    tap(*_cell_point(page, (16, 10, 10), cell))
    text, value = _trace_value(page)
    assert t("trace.cell.map", layer="C3", channel=15, row=9, col=9) in text
    assert value == pytest.approx(_c3_value(cell), abs=1e-4)
    assert not page_exceptions(page)
    context.close()
