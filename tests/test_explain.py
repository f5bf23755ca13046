from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

from lenet import checkpoints
from lenet.config import LAYER_NAMES
from lenet.explain import explain


def _model():
    model, _ = checkpoints.load_checkpoint(checkpoints.DEFAULT_CHECKPOINT)
    return model.requires_grad_(False)


def test_every_layer_is_recorded_and_matches_the_plain_forward():
    model = _model()
    x = np.random.default_rng(0).normal(size=(1, 1, 28, 28)).astype(np.float32)
    insp = explain(model, x)
    assert list(insp.activations) == list(LAYER_NAMES)
    assert insp.activations["C1"].shape == (6, 28, 28) and insp.activations["F6"].shape == (84,)
    with torch.no_grad():
        ref = torch.softmax(model(torch.from_numpy(x)), 1)[0].numpy()
    np.testing.assert_allclose(insp.probs, ref, rtol=1e-5, atol=1e-6)
    assert insp.saliency.shape == (28, 28) and np.isfinite(insp.saliency).all()
    assert model.kernels("C1").shape == (6, 1, 5, 5)


def test_one_shared_model_serves_many_threads_without_mixing():
    """Thirty students share one cached model: each must see its own activations."""
    model = _model()
    rng = np.random.default_rng(1)
    inputs = [rng.normal(size=(1, 1, 28, 28)).astype(np.float32) for _ in range(16)]
    expected = [explain(model, x) for x in inputs]
    with ThreadPoolExecutor(4) as pool:
        for _ in range(5):
            got = list(pool.map(lambda x: explain(model, x), inputs))
            for e, g in zip(expected, got, strict=True):
                np.testing.assert_allclose(g.activations["C3"], e.activations["C3"], rtol=1e-5, atol=1e-6)
                np.testing.assert_allclose(g.saliency, e.saliency, rtol=1e-4, atol=1e-6)
