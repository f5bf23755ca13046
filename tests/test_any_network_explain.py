"""Saliency and the sandbox on any network (#29): lenet5-1998, allconv, tiny, wide and a model imported from ONNX
(with an input normalisation of its own), each through a real checkpoint, with real torch.

Saliency is checked against torch.autograd on the plain forward pass (not the recording one explain uses) and
that gradient against central differences in float64; the sandbox's answers against the model's own forward."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
import strokes
import torch
from torch import nn

from lenet import checkpoints, netspec, onnx_import, sandbox
from lenet.data import MEAN, STD, normalise
from lenet.explain import blank_activations, explain
from lenet.netmodel import Net
from lenet.preprocess import canvas_to_input

PRESETS = ["lenet5-1998", "allconv", "tiny", "wide"]
IMPORTED = nn.Sequential(  # what a student writes: bn, GELU and average pooling, on pixels in 0..1 ("unit")
    nn.Conv2d(1, 4, 3, padding=1),
    nn.BatchNorm2d(4),
    nn.GELU(),
    nn.AvgPool2d(2),
    nn.Conv2d(4, 8, 3, stride=2),
    nn.Tanh(),
    nn.Flatten(),
    nn.Linear(8 * 6 * 6, 10),
)


def _stirred(model: nn.Module, seed: int) -> nn.Module:
    """Random weights, and a bn's running statistics away from 0 and 1, so every layer changes the answer."""
    torch.manual_seed(seed)
    for module in model.modules():
        if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.2, 0.2)
    return model.eval()


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, tuple[nn.Module, nn.Module | None]]:
    """name -> (the model as the app loads it from its checkpoint, the torch module it was exported from)."""
    folder = tmp_path_factory.mktemp("explain")
    loaded = {}
    for seed, name in enumerate(PRESETS):
        path = checkpoints.save_checkpoint(_stirred(Net(name), seed), folder / f"{name}.safetensors")
        loaded[name] = (checkpoints.load_checkpoint(path)[0], None)
    source = _stirred(IMPORTED, 7)
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy exporter's DeprecationWarning
        torch.onnx.export(source, (torch.zeros(1, 1, 28, 28),), buf, dynamo=False, do_constant_folding=False)
    path, _, _ = onnx_import.import_bytes(buf.getvalue(), "student.onnx", "unit", out=folder / "student.safetensors")
    model, info = checkpoints.load_checkpoint(path)
    assert info.input_norm == (0.0, 1.0) and model.net == "c4k3p1,bn,gelu,ap2,c8k3s2,tanh,fc10"
    loaded["imported"] = (model, source)
    return loaded


NAMES = [*PRESETS, "imported"]


@pytest.fixture(scope="module")
def digit() -> np.ndarray:
    return canvas_to_input(strokes.render(strokes.digit_strokes(3, None))).image  # 28x28 uint8, ink bright


def _x(image: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.asarray(normalise(image), np.float32)).reshape(1, 1, 28, 28)


def _block_shapes(model: Net) -> dict[str, tuple[int, ...]]:
    """Each block's output shape from the list's own table (its last row with that name)."""
    return {row.name: tuple(row.output) for row in model.spec.table()[1:]}


@pytest.mark.parametrize("name", NAMES)
def test_explain_records_every_block_and_its_saliency_is_the_autograd_gradient(models, name, digit):
    model, source = models[name]
    x = _x(digit)
    insp = explain(model, x.numpy())
    assert list(insp.activations) == list(model.names)
    assert {k: v.shape for k, v in insp.activations.items()} == _block_shapes(model)
    assert {k: v.shape for k, v in blank_activations(model).items()} == _block_shapes(model)
    with torch.no_grad():
        logits = model(x)
    np.testing.assert_allclose(insp.probs, torch.softmax(logits, 1)[0].numpy(), rtol=1e-5, atol=1e-7)
    assert insp.prediction == int(logits.argmax())
    if source is not None:  # the imported model reads the app's MNIST-normalised input as its source read pixels
        with torch.no_grad():
            np.testing.assert_allclose(logits.numpy(), source(x * STD + MEAN).numpy(), atol=1e-5)

    for target in (None, (insp.prediction + 3) % 10):
        cls = insp.prediction if target is None else target
        ref_input = x.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(model(ref_input)[0, cls], ref_input)  # the plain forward, not explain's
        blank = (0.0 - MEAN) / STD
        expected = (grad * (x - blank))[0, 0].numpy()
        got = explain(model, x.numpy(), target=target).saliency
        assert got.shape == (28, 28)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
        assert np.abs(got).max() > 0, "the ink must move the score"


@pytest.mark.parametrize("name", NAMES)
def test_the_autograd_gradient_agrees_with_central_differences(models, name, digit):
    """The reference above is itself right: in float64, at the most salient pixels where the score is smooth (its
    slopes just left and just right agree: no ReLU kink, no max-pooling tie), the gradient equals the score's
    change when the pixel is nudged."""
    model, _ = models[name]
    double = type(model)(model.config, model.input_norm).double().eval()
    double.load_state_dict({k: v.double() if v.is_floating_point() else v for k, v in model.state_dict().items()})
    x = _x(digit).double().requires_grad_(True)
    cls = int(double(x).argmax())
    (grad,) = torch.autograd.grad(double(x)[0, cls], x)
    eps, checked = 1e-6, 0
    for flat in np.argsort(-np.abs(grad[0, 0].numpy()).ravel())[:20]:
        r, c = divmod(int(flat), 28)
        up, down = x.detach().clone(), x.detach().clone()
        up[0, 0, r, c] += eps
        down[0, 0, r, c] -= eps
        with torch.no_grad():
            high, mid, low = (float(double(v)[0, cls]) for v in (up, x, down))
        right, left = (high - mid) / eps, (mid - low) / eps
        if abs(right - left) > 1e-5 * max(1.0, abs(right)):
            continue  # a kink at this pixel: no derivative to compare with
        checked += 1
        assert (high - low) / (2 * eps) == pytest.approx(float(grad[0, 0, r, c]), rel=1e-4, abs=1e-7), (name, r, c)
    assert checked >= 5, f"only {checked} smooth pixels among the 20 most salient"


@pytest.mark.parametrize("name", NAMES)
def test_the_sandbox_runs_on_any_network(models, name, digit):
    model, _ = models[name]
    x = _x(digit)
    with torch.no_grad():
        expected = torch.softmax(model(x), 1)[0].numpy()
    probs = sandbox.probabilities(model, digit)
    assert probs.shape == (10,)
    np.testing.assert_allclose(probs, expected, rtol=1e-5, atol=1e-7)
    guess = int(probs.argmax())

    drop = sandbox.occlusion(model, digit, guess)
    assert drop.shape == (28, 28) and np.isfinite(drop).all()
    assert np.abs(drop).max() > 0, "covering the ink changes the answer"

    attribution = sandbox.integrated_gradients(model, digit, guess)
    rise = attribution.score - attribution.blank_score
    assert attribution.pixels.shape == (28, 28)
    with torch.no_grad():
        assert attribution.score == pytest.approx(float(model(x)[0, guess]), abs=1e-4)
    assert abs(attribution.pixels.sum() - rise) <= 0.05 * abs(rise) + 1e-3, (attribution.pixels.sum(), rise)
    assert np.allclose(attribution.pixels[digit == 0], 0.0, atol=1e-6)  # blank pixels equal the baseline

    assert sandbox.nudge(model, digit, guess).status == "already"
    other = (guess + 1) % 10
    nudged = sandbox.nudge(model, digit, other, budget_s=5.0)
    assert nudged.status in ("found", "not_found")
    if nudged.status == "found":
        assert nudged.image.shape == nudged.change.shape == (28, 28) and nudged.probs.shape == (10,)
        assert int(nudged.probs.argmax()) == other and nudged.largest <= nudged.radius + 1e-4
        with torch.no_grad():  # the picture it reports is the one the model read that way
            again = torch.softmax(
                model(torch.from_numpy(((nudged.image - MEAN) / STD).astype(np.float32))[None, None]), 1
            )
        np.testing.assert_allclose(again[0].numpy(), nudged.probs, rtol=1e-4, atol=1e-5)


def test_the_imported_models_normalisation_is_the_only_difference(models, digit):
    """The same weights as a Net with MNIST's normalisation read the same pixels differently: the input_norm
    really is applied on the way in (explain and the sandbox both go through it)."""
    model, _ = models["imported"]
    plain = Net(model.config).eval()
    plain.load_state_dict(model.state_dict())
    assert not np.allclose(sandbox.probabilities(plain, digit), sandbox.probabilities(model, digit), atol=1e-3)
    assert netspec.parse(model.net) == model.config
