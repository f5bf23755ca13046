import threading

import numpy as np
import pytest
import torch

from lenet.config import LeNetConfig
from lenet.data import MNIST
from lenet.device import DeviceError, pick_device
from lenet.events import End, Eval, Start, Step
from lenet.train import TrainConfig, TrainError, augment_batch, fit


def _tiny_mnist(n=256, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    images = np.zeros((n, 28, 28), np.uint8)
    for i, y in enumerate(labels):  # a learnable toy: a bar whose row is the label
        images[i, 4 + 2 * y: 6 + 2 * y, 6:22] = 255
    return MNIST(images, labels, images[:64].copy(), labels[:64].copy())


def test_one_batch_smoke_run_reports_progress():
    events = []
    result = fit(LeNetConfig(), TrainConfig(epochs=1, batch_size=32, max_steps=1, device="cpu"),
                 callback=lambda event: events.append(type(event)), data=_tiny_mnist())
    assert result.steps == 1 and result.test_acc is not None
    assert events[0] is Start and Step in events and Eval in events and events[-1] is End
    assert not result.model.training and next(result.model.parameters()).device.type == "cpu"


def test_learns_a_toy_problem_and_is_seeded():
    cfg = TrainConfig(epochs=6, batch_size=32, device="cpu", seed=3)
    a = fit(LeNetConfig(), cfg, data=_tiny_mnist())
    b = fit(LeNetConfig(), cfg, data=_tiny_mnist())
    assert a.test_acc > 0.9
    assert all(torch.equal(x, y) for x, y in zip(a.model.state_dict().values(), b.model.state_dict().values()))


def test_stop_event_stops_within_a_batch():
    stop = threading.Event()

    def callback(event):
        if isinstance(event, Step) and event.step == 3:
            stop.set()

    result = fit(LeNetConfig(), TrainConfig(epochs=50, batch_size=8, device="cpu"), callback=callback,
                 stop_event=stop, data=_tiny_mnist())
    assert result.stopped and result.steps == 3 and result.test_acc is not None


def test_divergence_is_caught_with_a_reason():
    with pytest.raises(TrainError) as err:
        fit(LeNetConfig(), TrainConfig(epochs=3, batch_size=32, lr=10.0, optimizer="sgd", schedule="constant",
                                       device="cpu"), data=_tiny_mnist())
    assert err.value.code == "diverged" and "learning rate" in str(err.value)


@pytest.mark.parametrize("bad", [{"epochs": 0}, {"batch_size": -1}, {"lr": float("nan")}, {"lr": 0},
                                 {"optimizer": "magic"}, {"momentum": 1.5}])
def test_impossible_settings_are_refused(bad):
    with pytest.raises(TrainError) as err:
        fit(LeNetConfig(), TrainConfig(device="cpu", **bad), data=_tiny_mnist())
    assert err.value.code == "bad_setting"


def test_unavailable_device_is_refused_clearly():
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(DeviceError) as err:
        pick_device("cuda")
    assert err.value.code == "device_unavailable"


def test_augmentation_keeps_shape_and_range():
    x = torch.rand(64, 1, 28, 28)
    out = augment_batch(x, torch.Generator().manual_seed(0))
    assert out.shape == x.shape and out.min() >= 0 and out.max() <= 1.0001


@pytest.mark.parametrize("batch_size", [64, 100, 256])
def test_runs_of_a_few_batches_train(batch_size):
    """One-cycle cannot schedule a handful of steps; such runs still train (constant rate)."""
    result = fit(LeNetConfig(), TrainConfig(epochs=1, batch_size=batch_size, device="cpu"), data=_tiny_mnist())
    assert result.steps >= 1 and result.test_acc is not None
