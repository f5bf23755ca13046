"""The training scrubber (`draw_history`, issue 28) in a real browser: a run's snapshots replay the student's own
drawing, in the browser, against PyTorch's reading of each snapshot; the shipped checkpoint's re-run history says so;
a checkpoint without a history shows none."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
import strokes
import torch
from appserver import (
    CANVAS,
    LIVE,
    PHONE,
    PREDICTION,
    canvas_input,
    draw_strokes,
    in_viewport,
    launch_browser,
    new_touch_page,
    one_canvas,
    page_exceptions,
    serve,
    settled_text,
    touch_strokes,
    wait_for_app,
    wait_for_probs,
)
from tiny_mnist import bars

from lenet.checkpoints import DEFAULT_CHECKPOINT, load_checkpoint, load_history, save_checkpoint, save_history
from lenet.config import LeNetConfig
from lenet.data import MNIST, normalise
from lenet.train import TrainConfig, fit

pytestmark = pytest.mark.browser

HISTORY = ".st-key-draw_history input[type=range]"  # the scrubber inside the drawing surface
RUN = "watch-it-learn"
BARE = "no-history"  # a checkpoint saved without snapshots


@pytest.fixture(scope="module")
def run_path(tmp_path_factory):
    """A real run with its snapshots in a runs folder of its own (bars: learned in a few dozen steps)."""
    images, labels = bars(512)
    tc = TrainConfig(device="cpu", batch_size=32, epochs=2, seed=5)
    result = fit(LeNetConfig(), tc, data=MNIST(images, labels, images[:200].copy(), labels[:200].copy()))
    path = tmp_path_factory.mktemp("runs") / f"{RUN}.safetensors"
    save_history(path, result.snapshots)
    save_checkpoint(result.model, path, result.metrics(tc))
    save_checkpoint(result.model, path.parent / f"{BARE}.safetensors", result.metrics(tc))
    return path


@pytest.fixture(scope="module")
def app(run_path):
    """The app on that runs folder, and a browser: (url, browser)."""
    with serve(env={"LENET_RUNS_DIR": str(run_path.parent)}) as (url, _), launch_browser() as browser:
        yield url, browser


@pytest.fixture(scope="module")
def page(app):
    """The app in a desktop-sized window, the Draw page ready to draw on."""
    url, browser = app
    with contextlib.closing(browser.new_context(viewport={"width": 1500, "height": 1000})) as context:
        page = context.new_page()
        page.goto(url)
        wait_for_app(page)
        page.wait_for_selector(CANVAS, timeout=60000)
        yield page


def _reading(path, state: dict, image: np.ndarray) -> np.ndarray:
    """The probabilities PyTorch gives a 28 x 28 input with one snapshot's weights."""
    model, _ = load_checkpoint(path)
    model.load_state_dict(state)
    with torch.no_grad():
        return torch.softmax(model(torch.from_numpy(normalise(image[None]))), 1)[0].numpy()


def test_the_shipped_checkpoint_has_a_scrubber_that_says_its_snapshots_are_a_reruns(page):
    """The shipped run predates histories; its history is a re-run of its recipe ending in its own weights
    (`make checkpoint-history`): the label says so on every snapshot but the last, the checkpoint itself."""
    history = load_history(DEFAULT_CHECKPOINT)
    draw_strokes(page, strokes.digit_strokes(7, canvas=280), every=3)
    settled_text(page, ".st-key-prediction")
    assert page.locator(LIVE).inner_text().isdigit()
    slider, label = page.locator(HISTORY), page.locator(".st-key-draw_history .history-text")
    slider.wait_for(timeout=30000)
    assert slider.get_attribute("max") == str(len(history.states) - 1)
    assert "7,035 of 7,035" in label.inner_text() and "re-run" not in label.inner_text(), label.inner_text()
    image = canvas_input(page)
    slider.focus()
    page.keyboard.press("Home")
    wait_for_probs(page, _reading(DEFAULT_CHECKPOINT, history.states[0], image), "the re-run's step 0")
    assert "Training step: 0 of 7,035" in label.inner_text() and "re-run" in label.inner_text(), label.inner_text()
    page.keyboard.press("End")
    wait_for_probs(page, _reading(DEFAULT_CHECKPOINT, history.states[-1], image), "the shipped weights")


def test_the_scrubber_replays_the_drawing_through_training(page, run_path):
    """Picked in the sidebar, a run with snapshots gets the scrubber. Its snapshots are fetched once, on the first
    touch (never in the base payload); at step 0 and at the end `live-answer` shows that snapshot's reading as
    PyTorch gives it (the digit, the probabilities to 3 decimals), with no script run on the server."""
    history = load_history(run_path)
    page.locator(".st-key-model").click()
    page.get_by_role("option").filter(has_text=RUN).click()
    wait_for_app(page)
    slider = page.locator(HISTORY)
    slider.wait_for(timeout=30000)
    assert slider.get_attribute("max") == str(len(history.states) - 1) and len(history.states) >= 12
    assert slider.input_value() == slider.get_attribute("max")  # untouched: the end, the checkpoint itself

    fetched, urls = {}, {}
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.on("Network.responseReceived", lambda e: urls.__setitem__(e["requestId"], e["response"]["url"]))
    cdp.on(
        "Network.loadingFinished",
        lambda e: fetched.__setitem__(urls.get(e["requestId"], ""), e["encodedDataLength"]),
    )
    page.locator(".st-key-draw_clear button").click()
    wait_for_app(page)
    draw_strokes(page, strokes.random_strokes(5, np.random.default_rng(5)), every=3)
    settled_text(page, ".st-key-prediction")
    image = canvas_input(page)
    end = _reading(run_path, history.states[-1], image)
    wait_for_probs(page, end, "the run itself")
    assert not [u for u in fetched if "static/weights/" in u], "nothing fetched before the slider is touched"

    label = page.locator(".st-key-draw_history .history-text")
    for key, index in (("Home", 0), ("End", len(history.states) - 1)):
        slider.focus()
        page.keyboard.press(key)
        want = _reading(run_path, history.states[index], image)
        wait_for_probs(page, want, index)
        assert page.locator(LIVE).inner_text() == str(int(want.argmax()))
        assert slider.input_value() == str(index)
        assert f"{history.snapshots[index]['step']:,}" in label.inner_text(), label.inner_text()
        assert not page.evaluate("() => !!document.querySelector('[data-testid=\"stStatusWidget\"]')")
    start = _reading(run_path, history.states[0], image)
    assert np.abs(start - end).max() > 0.05, "the random start reads the drawing otherwise than the trained run"
    snapshots = {u: n for u, n in fetched.items() if "static/weights/" in u}
    assert len(snapshots) == 2 and any(u.endswith(".bin") for u in snapshots), snapshots  # manifest and blob, once
    print(f"the snapshots add {sum(snapshots.values()):,} bytes (the network log's encoded bytes): {snapshots}")
    assert not page_exceptions(page)


def test_a_checkpoint_without_a_history_shows_no_scrubber(page):
    page.locator(".st-key-model").click()
    page.get_by_role("option").filter(has_text=BARE).click()
    wait_for_app(page)
    draw_strokes(page, strokes.digit_strokes(1, canvas=280), every=3)
    settled_text(page, ".st-key-prediction")
    assert page.locator(LIVE).inner_text().isdigit()
    assert page.locator(".st-key-draw_history").count() == 0
    assert not page_exceptions(page)


def test_on_a_phone_the_scrubber_sits_under_the_canvas_and_moves_by_touch(app, tmp_path):
    """390 x 844 with a finger: the shipped checkpoint's scrubber under the canvas, at least as wide, a 36 px target
    with a readable label, and `prediction` still on the first screen. Dragging its thumb with a finger to the start
    reads the drawing through the first snapshot (live-answer's data-probs against PyTorch's)."""
    url, browser = app
    context, page, cdp = new_touch_page(browser, PHONE)
    page.goto(url)
    wait_for_app(page)
    page.wait_for_selector(CANVAS, timeout=60000)
    touch_strokes(page, cdp, strokes.digit_strokes(7, canvas=280), every=3)
    settled_text(page)
    history, image = load_history(DEFAULT_CHECKPOINT), canvas_input(page)
    wait_for_probs(page, _reading(DEFAULT_CHECKPOINT, history.states[-1], image), "the checkpoint itself")
    slider, label = page.locator(HISTORY), page.locator(".st-key-draw_history .history-text")
    slider.wait_for(timeout=30000)
    canvas, track = one_canvas(page).bounding_box(), slider.bounding_box()
    assert track["y"] >= canvas["y"] + canvas["height"] - 1, (canvas, track)  # under the canvas
    assert track["width"] >= canvas["width"] - 1 and track["height"] >= 36, (canvas, track)
    assert float(label.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 13
    page.screenshot(path=tmp_path / "phone.png")
    print(f"the phone's first screen: {tmp_path / 'phone.png'}")  # shown with -s
    assert in_viewport(page, HISTORY) and in_viewport(page, PREDICTION), page.locator(PREDICTION).bounding_box()

    y, x0, x1 = track["y"] + track["height"] / 2, track["x"] + track["width"] - 12, track["x"] + 2
    touch = {"type": "touchStart", "touchPoints": [{"x": x0, "y": y, "id": 1}]}
    cdp.send("Input.dispatchTouchEvent", touch)
    for i in range(1, 11):
        x = x0 + (x1 - x0) * i / 10
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y, "id": 1}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    wait_for_probs(page, _reading(DEFAULT_CHECKPOINT, history.states[0], image), "step 0, by a finger")
    assert slider.input_value() == "0"
    assert "Training step: 0 of 7,035" in label.inner_text(), label.inner_text()
    assert not page_exceptions(page)
    context.close()
