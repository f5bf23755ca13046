"""Switching the model in the sidebar while a stroke is under way (issue 28, "model changes"), in a real browser.

The mouse is held down on the canvas while the keyboard picks another checkpoint in the sidebar's `model`
selectbox (typed and Enter: the held mouse button stays on the canvas). The stroke finishes with the old weights,
then the surface switches: the drawing stays, and the live answer and `prediction` are the NEW model's reading of
it, as PyTorch gives it for that checkpoint (the digit, the probabilities to 3 decimals). No page error, no
traceback. The new checkpoint is made here (a LeNet-5 of its own seed, its output layer scaled so that its reading
is far from the shipped model's).
"""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
import strokes
import torch
from appserver import (
    CANVAS,
    LIVE,
    canvas_input,
    draw_strokes,
    launch_browser,
    page_exceptions,
    serve,
    wait_for_app,
    wait_for_probs,
    wait_idle,
)

from lenet.checkpoints import DEFAULT_CHECKPOINT, load_checkpoint, save_checkpoint
from lenet.config import LeNetConfig
from lenet.data import normalise
from lenet.model import LeNet

pytestmark = pytest.mark.browser

RUN = "switched-mid-stroke"
DIGIT = ".st-key-prediction .draw-digit"  # the server's answer, its probabilities in data-probs


@pytest.fixture(scope="module")
def new_path(tmp_path_factory):
    """A checkpoint whose reading of any digit differs from the shipped model's."""
    torch.manual_seed(11)
    model = LeNet(LeNetConfig())
    with torch.no_grad():
        last = [m for m in model.modules() if isinstance(m, torch.nn.Linear)][-1]
        last.weight.mul_(40.0)  # confident, and not in the shipped model's way
    return save_checkpoint(model, tmp_path_factory.mktemp("runs") / f"{RUN}.safetensors")


@pytest.fixture(scope="module")
def page(new_path):
    env = {"LENET_RUNS_DIR": str(new_path.parent)}
    with (
        serve(env=env) as (url, _),
        launch_browser() as browser,
        contextlib.closing(browser.new_context(viewport={"width": 1500, "height": 1000})) as context,
    ):
        page = context.new_page()
        page.goto(url)
        wait_for_app(page)
        page.wait_for_selector(CANVAS, timeout=60000)
        yield page


def _reading(path, image: np.ndarray) -> np.ndarray:
    """PyTorch's probabilities for a 28 x 28 input with the checkpoint at `path`."""
    model, _ = load_checkpoint(path)
    with torch.no_grad():
        return torch.softmax(model(torch.from_numpy(normalise(image[None]))), 1)[0].numpy()


def test_switching_the_model_mid_stroke_finishes_it_then_rereads_the_drawing(page, new_path):
    old_path = DEFAULT_CHECKPOINT
    box = page.locator(CANVAS).bounding_box()
    draw_strokes(page, strokes.digit_strokes(7, canvas=280), every=3)  # the drawing the switch finds
    wait_idle(page)
    wait_for_probs(page, _reading(old_path, canvas_input(page)), "the shipped model, before", LIVE)

    last = [(90.0 + 2 * i, 150.0) for i in range(56)]  # the stroke under way: a bar across the 7
    half = len(last) // 2
    page.mouse.move(box["x"] + last[0][0], box["y"] + last[0][1])
    page.mouse.down()
    for x, y in last[1:half:3]:
        page.mouse.move(box["x"] + x, box["y"] + y)
    # The pen is down: the keyboard picks the new model in the sidebar.
    picker = page.locator(".st-key-model input")
    picker.focus()
    page.keyboard.type(RUN)
    page.keyboard.press("Enter")
    wait_idle(page)
    assert RUN in picker.first.input_value(), picker.first.input_value()
    for x, y in [*last[half:-1:3], last[-1]]:
        page.mouse.move(box["x"] + x, box["y"] + y)
    page.wait_for_timeout(300)
    image = canvas_input(page)
    # The stroke goes on with the old weights: the new ones wait for the pen to lift.
    wait_for_probs(page, _reading(old_path, image), "the stroke finishes with the old weights", LIVE)
    page.mouse.up()
    wait_idle(page)

    new = _reading(new_path, image)
    assert np.abs(new - _reading(old_path, image)).max() > 0.2, "the two models read this drawing alike"
    assert canvas_input(page).tolist() == image.tolist(), "the drawing survives the switch"
    wait_for_probs(page, new, "the live answer, read by the new model", LIVE)
    assert page.locator(LIVE).inner_text() == str(int(new.argmax()))
    wait_for_probs(page, new, "prediction, read by the new model", DIGIT)
    assert page.locator(".st-key-prediction").inner_text().strip()[0] == str(int(new.argmax()))

    # Between strokes, back to the shipped model: the same drawing, read again by it.
    page.locator(".st-key-model").click()
    page.get_by_role("option").first.click()
    wait_for_app(page)
    wait_idle(page)
    old = _reading(old_path, image)
    wait_for_probs(page, old, "the live answer, read by the shipped model again", LIVE)
    wait_for_probs(page, old, "prediction, read by the shipped model again", DIGIT)
    assert not page_exceptions(page)
    assert page.locator('[data-testid="stException"]').count() == 0
