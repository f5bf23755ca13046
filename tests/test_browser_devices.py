"""Every device a class has (issue 12): a phone and a tablet drawn on with a finger, a stylus, a tablet turned
mid-drawing, the projector view, and axe-core's accessibility audit of every page in both languages.

One server and one browser for the module; each device is one browser context (Chromium's device emulation:
touch, a mobile viewport), and touches go through the browser's input layer (CDP Input.dispatchTouchEvent),
as a finger's would.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import strokes
from appserver import (
    CANVAS,
    LIVE,
    PHONE,
    PREDICTION,
    TABLET_LANDSCAPE,
    TABLET_PORTRAIT,
    axe_violations,
    cut_labels,
    draw_strokes,
    in_viewport,
    launch_browser,
    new_touch_page,
    one_canvas,
    page_exceptions,
    pen_strokes,
    scroll_positions,
    serve,
    settled_text,
    touch_strokes,
    wait_for_app,
    wait_idle,
)

from lenet.i18n import t

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1440, "height": 900}
PAGES = ["", "conv_lab", "train", "compare", "evaluate", "class"]


@pytest.fixture(scope="module")
def server(tiny_mnist_dir, tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    state = tmp_path_factory.mktemp("state")
    env = {"LENET_DATA_DIR": str(tiny_mnist_dir), "LENET_RUNS_DIR": str(runs), "LENET_STATE_DIR": str(state)}
    with serve(env=env) as (url, _):
        yield url


@pytest.fixture(scope="module")
def browser():
    with launch_browser() as b:
        yield b


def _digit(text: str) -> int | None:
    found = re.search(r"\d", text)
    return int(found.group()) if found else None


def _open_draw(page, url: str, query: str = "") -> None:
    page.goto(f"{url}/{query}")
    wait_for_app(page)
    page.wait_for_selector(CANVAS, timeout=60000)


def _clear(page) -> None:
    """Tap Clear and wait until the answer holds no digit (it says there is nothing to read)."""
    page.locator(".st-key-draw_clear button").tap()
    page.locator(PREDICTION).filter(has_not_text=re.compile(r"\d")).wait_for(timeout=20000)
    # The canvas then loads the empty drawing and sends it back (one more rerun): a stroke begun before that
    # could be wiped with it.
    settled_text(page)


def _canvas_visible(page) -> bool:
    """The whole canvas shown: its component's frame not narrower than the canvas (it clipped the right part),
    and inside the page's main area."""
    box = one_canvas(page).bounding_box()
    shown, main = page.evaluate(
        """() => {
          const host = document.querySelector('.st-key-canvas [data-testid="stBidiComponentIsolated"]');
          const frame = host.shadowRoot.querySelector('.draw-surface');
          const m = document.querySelector('.stMainBlockContainer').getBoundingClientRect();
          return [frame.clientWidth, [m.left, m.right]];
        }"""
    )
    return box["width"] >= 279 and shown >= 279 and box["x"] >= main[0] - 1 and box["x"] + box["width"] <= main[1] + 1


def _finger_digits(page, cdp, seed: int, answer_on_screen: bool) -> list[tuple[int, str]]:
    """Ten digits drawn with a finger; returns the misread ones. Checks the page never scrolls while drawing."""
    rng = np.random.default_rng(seed)
    wrong = []
    for digit in range(10):
        _clear(page)
        before = scroll_positions(page)
        touch_strokes(page, cdp, strokes.random_strokes(digit, rng), every=8)
        assert scroll_positions(page) == before, f"drawing a {digit} scrolled the page"
        text = settled_text(page)
        if _digit(text) != digit:
            wrong.append((digit, text))
        if answer_on_screen:
            assert in_viewport(page, PREDICTION), "the answer is below the fold"
    print(f"{page.viewport_size}: {10 - len(wrong)}/10 finger digits read right {wrong}")  # shown with -s
    return wrong


def _sidebar_open(page) -> bool:
    return page.get_attribute('[data-testid="stSidebar"]', "data-collapsed") == "false"


def test_phone_finger_drawing_reads_and_keeps_the_answer_on_screen(server, browser):
    context, page, cdp = new_touch_page(browser, PHONE)
    _open_draw(page, server)
    assert in_viewport(page, CANVAS) and in_viewport(page, PREDICTION)  # one screen, no scrolling
    wrong = _finger_digits(page, cdp, 12, answer_on_screen=True)
    assert len(wrong) <= 1, wrong
    assert not cut_labels(page)
    # A stroke that starts in a corner is kept: a "1" down the right edge from the very top.
    _clear(page)
    touch_strokes(page, cdp, [[(272.0, 2.0 + 3 * i) for i in range(92)]])
    assert _digit(settled_text(page)) == 1
    assert not page_exceptions(page)
    context.close()


def test_tablet_portrait_sidebar_closed_then_open(server, browser):
    """810x1080: the sidebar starts closed; open, the top row wraps and the answer comes right under the canvas."""
    context, page, cdp = new_touch_page(browser, TABLET_PORTRAIT)
    _open_draw(page, server)
    page.wait_for_function("() => document.querySelector('[data-testid=stSidebar]').dataset.collapsed === 'true'")
    page.wait_for_timeout(700)  # the sidebar slides out
    assert _canvas_visible(page) and in_viewport(page, CANVAS)
    wrong = _finger_digits(page, cdp, 34, answer_on_screen=True)
    assert len(wrong) <= 1, wrong
    assert not cut_labels(page)

    page.locator('[data-testid="stExpandSidebarButton"]').tap()
    page.wait_for_function("() => document.querySelector('[data-testid=stSidebar]').dataset.collapsed === 'false'")
    page.wait_for_timeout(500)  # the sidebar slides in
    assert _canvas_visible(page) and in_viewport(page, CANVAS)
    assert not cut_labels(page)
    canvas, answer = one_canvas(page).bounding_box(), page.locator(PREDICTION).bounding_box()
    beside = answer["x"] >= canvas["x"] + canvas["width"] and answer["y"] < canvas["y"] + canvas["height"]
    under = answer["y"] >= canvas["y"] + canvas["height"] and answer["y"] - (canvas["y"] + canvas["height"]) < 200
    assert beside or under, (canvas, answer)
    _clear(page)
    touch_strokes(page, cdp, strokes.random_strokes(4, 3), every=8)
    assert _digit(settled_text(page)) == 4
    assert not page_exceptions(page)
    context.close()


def test_tablet_landscape_turned_mid_drawing_and_a_stylus(server, browser):
    """1080x810 (wider than 1024: the sidebar stays open), ten digits; turned to portrait between two strokes
    the drawing stays; a stylus (pen pointer events with pressure) draws like a finger."""
    context, page, cdp = new_touch_page(browser, TABLET_LANDSCAPE)
    _open_draw(page, server)
    assert _sidebar_open(page)
    assert _canvas_visible(page) and in_viewport(page, CANVAS)
    canvas, answer = one_canvas(page).bounding_box(), page.locator(PREDICTION).bounding_box()
    assert answer["x"] >= canvas["x"] + canvas["width"]  # the answer beside the canvas
    wrong = _finger_digits(page, cdp, 56, answer_on_screen=True)
    assert len(wrong) <= 1, wrong
    assert not cut_labels(page)

    _clear(page)
    touch_strokes(page, cdp, [[(150.0, 40 + 3.0 * i) for i in range(70)]])  # a 1 ...
    assert _digit(settled_text(page)) == 1
    page.set_viewport_size(TABLET_PORTRAIT)  # ... the tablet turns ...
    page.wait_for_timeout(800)
    assert _canvas_visible(page)
    touch_strokes(page, cdp, [[(90 + 2.0 * i, 40.0) for i in range(31)]])  # ... and a bar on top: a 7
    assert _digit(settled_text(page)) == 7

    _clear(page)
    pen_strokes(page, cdp, strokes.random_strokes(3, 8), every=8, force=0.6)
    assert _digit(settled_text(page)) == 3
    assert not page_exceptions(page)
    context.close()


def test_projector_view_by_link_and_by_toggle(server, browser):
    """?view=projector at 1280x720: no sidebar, larger type, and it draws; the toggle keeps the page's state."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    _open_draw(page, server, "?view=projector")
    assert not page.locator('[data-testid="stSidebar"]').is_visible()
    assert page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)") >= 20
    draw_strokes(page, strokes.random_strokes(5, 21), every=8)
    assert _digit(settled_text(page)) == 5
    page.locator(".st-key-projector_exit button").click()
    page.locator('[data-testid="stSidebar"]').wait_for(state="visible", timeout=20000)
    assert _digit(settled_text(page)) == 5  # the same drawing and answer in the normal view
    assert "view" not in page.url
    page.locator(".st-key-projector label").click()  # the sidebar's toggle: back to the projector
    page.locator(".st-key-projector_exit").wait_for(timeout=20000)
    assert "view=projector" in page.url
    assert _digit(settled_text(page)) == 5
    assert not page_exceptions(page)
    context.close()


def _audit(page, where: str) -> list[str]:
    return [f"{where}: {v['id']} ({v['impact']}) {v['targets'][:3]} {v['html'][:1]}" for v in axe_violations(page)]


NAV = {
    "": "nav.draw",
    "conv_lab": "nav.conv_lab",
    "train": "nav.train",
    "compare": "nav.compare",
    "evaluate": "nav.evaluate",
    "class": "nav.class",
}


def _go(page, url: str, name: str, lang: str, first: bool) -> None:
    """Open a page: the first by its link (a new session in `lang`), the next through the sidebar's navigation,
    as a person would (no new session and no reload: most of a page load's cost)."""
    if first:
        page.goto(f"{url}/{name}?lang={lang}")
    else:
        page.locator('[data-testid="stSidebarNav"] a').filter(has_text=t(NAV[name], lang)).click()
    _settle_page(page, name)


def _settle_page(page, name: str) -> None:
    wait_for_app(page)
    if name == "":
        page.wait_for_selector(CANVAS, timeout=60000)
        draw_strokes(page, strokes.random_strokes(2, 5), every=8)  # the page with everything a drawing shows
        settled_text(page)
    elif name == "evaluate":
        page.locator(".st-key-per_class_chart").wait_for(timeout=60000)
        page.locator("[class*='st-key-open_']").first.wait_for(timeout=60000)  # the gallery of mistakes
    elif name == "conv_lab":
        page.locator(".st-key-lab_output").wait_for(timeout=60000)
    elif name == "train":
        page.locator(".st-key-start_training").wait_for(timeout=60000)
    elif name == "class":
        page.locator(".st-key-class_start").wait_for(timeout=60000)
    elif name == "compare":  # both models' pickers and the drawing surface of its own
        page.locator(".st-key-compare_model_b").wait_for(timeout=60000)
        page.wait_for_selector(".st-key-compare_canvas canvas.draw-surface", timeout=60000)
    wait_idle(page)  # a rerun in flight fades the page's elements (and axe would see the faded contrast)


def test_every_page_passes_axe_in_both_languages_at_desktop_and_tablet(server, browser):
    """0 serious or critical violations. Each page is loaded once per language and audited at both sizes; the
    Draw page with a digit drawn (every picture a drawing shows), the Evaluate page with its gallery."""
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    found = []
    for lang in ("en", "zh"):
        for name in PAGES:
            page.set_viewport_size(DESKTOP)
            _go(page, server, name, lang, first=name == PAGES[0])
            found += _audit(page, f"desktop /{name}?lang={lang}")
            if name == "evaluate":  # the gallery's pictures say what they show, in the page's language
                alts = page.eval_on_selector_all('[data-testid="stMain"] img', "els => els.map(e => e.alt)")
                assert alts and all(alts), alts
                assert all(re.search("[\u4e00-\u9fff]", a) for a in alts) == (lang == "zh"), alts
            page.set_viewport_size(TABLET_PORTRAIT)
            wait_idle(page)
            found += _audit(page, f"tablet /{name}?lang={lang}")
            assert not page_exceptions(page), name
        page.set_viewport_size(DESKTOP)  # the teacher's projector page: join code, QR code, the (empty) wall
        page.locator(".st-key-class_start button").click()
        page.locator(".st-key-class_code").wait_for(timeout=30000)
        wait_idle(page)
        found += _audit(page, f"desktop /class teacher ?lang={lang}")
    context.close()
    assert not found, "\n".join(found)


def test_dark_theme_keeps_every_page_readable(tiny_mnist_dir, tmp_path_factory, browser):
    """Streamlit's dark theme: axe's colour contrast (and the rest) on every page, English, desktop."""
    env = {
        "LENET_DATA_DIR": str(tiny_mnist_dir),
        "LENET_RUNS_DIR": str(tmp_path_factory.mktemp("runs-dark")),
        "LENET_STATE_DIR": str(tmp_path_factory.mktemp("state-dark")),
        "STREAMLIT_THEME_BASE": "dark",
    }
    with serve(env=env) as (url, _):
        context = browser.new_context(viewport=DESKTOP)
        page = context.new_page()
        found = []
        for name in PAGES:
            _go(page, url, name, "en", first=name == PAGES[0])
            background = page.evaluate(
                "() => getComputedStyle(document.querySelector('[data-testid=stApp]')).backgroundColor"
            )
            assert sum(int(c) for c in re.findall(r"\d+", background)[:3]) < 150, background  # dark indeed
            found += _audit(page, f"dark /{name}")
        context.close()
    assert not found, "\n".join(found)


def test_every_control_of_the_draw_page_is_reached_with_the_keyboard(server, browser):
    """Tab from the top of the page: the sidebar's controls and the Draw page's own are all reached in order."""
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    _open_draw(page, server)
    draw_strokes(page, strokes.random_strokes(8, 2), every=8)  # Undo enabled, the trace and sandbox toggles shown
    settled_text(page)
    page.evaluate(
        """() => { window.__reached = new Set(); document.addEventListener("focusin", (e) => {
             const keyed = e.target.closest('[class*="st-key-"]');
             if (keyed) window.__reached.add([...keyed.classList].find(c => c.startsWith("st-key-")).slice(7));
           }, true); document.activeElement && document.activeElement.blur(); }"""
    )
    for _ in range(80):
        page.keyboard.press("Tab")
    reached = set(page.evaluate("() => [...window.__reached]"))
    wanted = {"language", "model", "colormap", "projector", "draw_source", "draw_clear", "draw_undo", "draw_brush"}
    wanted |= {"trace_layer", "sandbox"}
    assert wanted <= reached, wanted - reached
    context.close()


def test_two_fingers_at_once_draw_one_stroke(server, browser):
    """Issue 28's odd pointers: a second finger that lands mid-stroke and moves is ignored (one Undo takes the
    whole drawing back), never a broken stroke or an error; the browser's reading equals the server's."""
    context, page, cdp = new_touch_page(browser, PHONE)
    _open_draw(page, server)
    box = one_canvas(page).bounding_box()

    def at(x, y, finger):
        return {"x": box["x"] + x, "y": box["y"] + y, "id": finger}

    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [at(140, 30, 1)]})
    for i in range(1, 40):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [at(140, 30 + 3 * i, 1)]})
    # the second finger lands on the left and moves across while the first goes on down
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [at(140, 147, 1), at(40, 200, 2)]})
    for i in range(1, 30):
        points = [at(140, 147 + 3 * i, 1), at(40 + 6 * i, 200, 2)]
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": points})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    assert _digit(settled_text(page)) == 1  # the first finger's line alone: the second drew nothing
    page.locator(LIVE).filter(has_text="1").wait_for(state="attached", timeout=10000)
    page.locator(".st-key-draw_undo button").tap()
    page.locator(PREDICTION).filter(has_not_text=re.compile(r"\d")).wait_for(timeout=20000)  # one stroke in all
    assert not page_exceptions(page)
    context.close()
