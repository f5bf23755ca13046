"""lenet.sandbox: occlusion, transforms and the adversarial nudge on the shipped model, with a known digit."""

from __future__ import annotations

import numpy as np
import pytest
import strokes

from lenet import checkpoints, sandbox
from lenet.preprocess import canvas_to_input


@pytest.fixture(scope="module")
def model():
    model, _ = checkpoints.load_checkpoint(checkpoints.DEFAULT_CHECKPOINT)
    return model.eval()


@pytest.fixture(scope="module")
def three():
    return canvas_to_input(strokes.render(strokes.digit_strokes(3, None))).image


def test_transforms(three):
    assert np.array_equal(sandbox.transform(three), three)
    moved = sandbox.transform(three, (3, -2))
    ys, xs = np.nonzero(three > 127)
    ys2, xs2 = np.nonzero(moved > 127)
    assert xs2.mean() - xs.mean() == pytest.approx(3, abs=0.5)
    assert ys2.mean() - ys.mean() == pytest.approx(-2, abs=0.5)
    assert (sandbox.transform(three, thickness=1) > 127).sum() > (three > 127).sum()
    assert (sandbox.transform(three, thickness=-1) > 127).sum() < (three > 127).sum()
    assert sandbox.transform(three, angle=30).shape == (28, 28)


def test_occlusion_finds_the_places_that_matter(model, three):
    drop = sandbox.occlusion(model, three, 3)
    assert drop.shape == (28, 28) and np.isfinite(drop).all()
    assert drop.max() > 0.01  # covering part of the 3 lowers its probability
    ink = three > 127
    assert drop[ink].mean() > drop[~ink].mean()


def test_nudge(model, three):
    assert sandbox.nudge(model, three, 3).status == "already"
    result = sandbox.nudge(model, three, 8)
    assert result.seconds < 2.0
    assert result.status in ("found", "not_found")
    if result.status == "found":
        assert int(result.probs.argmax()) == 8
        assert result.largest <= result.radius + 1e-4
        assert result.image.min() >= 0.0 and result.image.max() <= 1.0
        probs = sandbox.probabilities(model, (result.image * 255).round().astype(np.uint8))
        assert probs.shape == (10,)


def test_nudge_says_so_when_the_budget_runs_out(model, three):
    result = sandbox.nudge(model, three, 8, budget_s=0.0)
    assert result.status == "not_found" and result.image is None


def test_integrated_gradients_add_up_to_the_score(model, three):
    result = sandbox.integrated_gradients(model, three, 3)
    rise = result.score - result.blank_score
    assert abs(result.pixels.sum() - rise) <= 0.02 * abs(rise) + 1e-3, (result.pixels.sum(), rise)
    assert abs(result.error) <= 0.02 * abs(rise) + 1e-3
    # The ink carries the credit: blank pixels of the image get none (their input equals the baseline).
    assert np.allclose(result.pixels[three == 0], 0.0, atol=1e-6)
    assert result.pixels[three > 127].sum() > 0.5 * rise
