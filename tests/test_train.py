import math
import threading

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lenet.config import LeNetConfig
from lenet.data import MNIST, normalise
from lenet.device import DeviceError, pick_device
from lenet.events import End, Eval, Start, Step
from lenet.model import LeNet
from lenet.optim import FunctionalAdamW
from lenet.train import TrainConfig, TrainError, augment_batch, fit, make_optimizer, seed_everything


def _tiny_mnist(n=256, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    images = np.zeros((n, 28, 28), np.uint8)
    for i, y in enumerate(labels):  # a learnable toy: a bar whose row is the label
        images[i, 4 + 2 * y : 6 + 2 * y, 6:22] = 255
    return MNIST(images, labels, images[:64].copy(), labels[:64].copy())


def test_one_batch_smoke_run_reports_progress():
    events = []
    result = fit(
        LeNetConfig(),
        TrainConfig(epochs=1, batch_size=32, max_steps=1, device="cpu"),
        callback=lambda event: events.append(type(event)),
        data=_tiny_mnist(),
    )
    assert result.steps == 1 and result.test_acc is not None
    assert events[0] is Start and Step in events and Eval in events and events[-1] is End
    assert not result.model.training and next(result.model.parameters()).device.type == "cpu"


def test_learns_a_toy_problem_and_is_seeded():
    cfg = TrainConfig(epochs=6, batch_size=32, device="cpu", seed=3)
    a = fit(LeNetConfig(), cfg, data=_tiny_mnist())
    b = fit(LeNetConfig(), cfg, data=_tiny_mnist())
    assert a.test_acc > 0.9
    assert all(
        torch.equal(x, y) for x, y in zip(a.model.state_dict().values(), b.model.state_dict().values(), strict=True)
    )


def test_stop_event_stops_within_a_batch():
    stop = threading.Event()

    def callback(event):
        if isinstance(event, Step) and event.step == 3:
            stop.set()

    result = fit(
        LeNetConfig(),
        TrainConfig(epochs=50, batch_size=8, device="cpu"),
        callback=callback,
        stop_event=stop,
        data=_tiny_mnist(),
    )
    assert result.stopped and result.steps == 3 and result.test_acc is not None


def test_divergence_is_caught_with_a_reason():
    with pytest.raises(TrainError) as err:
        fit(
            LeNetConfig(),
            TrainConfig(epochs=3, batch_size=32, lr=10.0, optimizer="sgd", schedule="constant", device="cpu"),
            data=_tiny_mnist(),
        )
    assert err.value.code == "diverged" and "learning rate" in str(err.value)


@pytest.mark.parametrize(
    "bad",
    [{"epochs": 0}, {"batch_size": -1}, {"lr": float("nan")}, {"lr": 0}, {"optimizer": "magic"}, {"momentum": 1.5}],
)
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


def test_augmentation_changes_pixels_and_is_reproducible_from_its_seed():
    x = torch.from_numpy(_tiny_mnist(64).train_images).float().div(255).unsqueeze(1)  # real strokes, in [0, 1]
    before = x.clone()
    out = augment_batch(x, torch.Generator().manual_seed(0))
    assert torch.equal(x, before), "the input batch was modified"
    assert out.shape == x.shape and out.dtype == x.dtype
    assert out.min() >= 0 and out.max() <= 1.0001
    moved = (out - x).abs().flatten(1).amax(1) > 0.1  # some pixel of the digit changed by over a tenth
    assert moved.sum() >= 58, f"{int((~moved).sum())} of 64 digits came back (nearly) unchanged"
    assert out.sum() > 0.1 * x.sum(), "the strokes were wiped out rather than moved"
    again = augment_batch(x, torch.Generator().manual_seed(0))
    assert torch.equal(out, again), "the same seed must give the same batch"
    other = augment_batch(x, torch.Generator().manual_seed(1))
    assert not torch.allclose(out, other), "another seed must give another batch"


@pytest.mark.parametrize("batch_size", [64, 100, 256])
def test_runs_of_a_few_batches_train(batch_size):
    """One-cycle cannot schedule a handful of steps; such runs still train (constant rate)."""
    data = _tiny_mnist()
    x = normalise(torch.from_numpy(data.train_images))
    y = torch.from_numpy(data.train_labels).long()
    tc = TrainConfig(epochs=1, batch_size=batch_size, device="cpu")
    seed_everything(tc.seed)
    model = LeNet(LeNetConfig())  # the weights fit starts from: it builds its model right after seeding
    with torch.no_grad():
        loss_before = F.cross_entropy(model(x), y).item()
    losses = []
    result = fit(
        train_config=tc,
        data=data,
        callback=lambda event: losses.append(event.loss) if isinstance(event, Step) else None,
    )
    expected = math.ceil(len(data.train_images) / batch_size)  # 256 digits: 4, 3 and 1 batches
    assert result.steps == expected and len(losses) == expected
    assert result.test_acc is not None and result.history[-1].step == expected
    with torch.no_grad():
        loss_after = F.cross_entropy(result.model.eval()(x), y).item()
    assert loss_after < loss_before, (
        f"{expected} batches did not lower the training loss: {loss_before} -> {loss_after}"
    )
    if expected > 1:  # the batches' own losses fall too (a one-batch run has only its loss before the update)
        assert losses[-1] < losses[0], f"the loss did not fall over {expected} batches: {losses}"


def _same_weights(a, b) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values(), strict=True))


def test_functional_adamw_is_torch_adamw_with_one_cycle_bit_for_bit():
    """lenet.optim skips torch.optim.Optimizer (its first use imports torch._dynamo), not one bit of its update."""
    data = _tiny_mnist()
    plain = TrainConfig(epochs=3, batch_size=32, lr=4e-3, device="cpu", seed=5, functional_optimizer=False)
    functional = TrainConfig(**{**plain.__dict__, "functional_optimizer": True})
    assert TrainConfig().functional_optimizer, "AdamW runs use the functional path by default"
    lrs: dict[str, list[tuple[float, float]]] = {"plain": [], "functional": []}
    a = fit(LeNetConfig(), plain, callback=lambda e: lrs["plain"].append(e.lr) if isinstance(e, Step) else 0, data=data)
    b = fit(
        LeNetConfig(),
        functional,
        callback=lambda e: lrs["functional"].append(e.lr) if isinstance(e, Step) else 0,
        data=data,
    )
    assert a.steps == b.steps == 24 and lrs["plain"] == lrs["functional"] and len(set(lrs["plain"])) > 20
    assert _same_weights(a.model, b.model) and a.test_acc == b.test_acc


def test_one_cycle_matches_torch_schedule_and_beta1():
    from lenet.optim import FunctionalAdamW, OneCycle

    for total in (8, 13, 469):
        p = torch.nn.Parameter(torch.zeros(3))
        ours = FunctionalAdamW([p], lr=4e-3, weight_decay=1e-4)
        theirs = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(3))], lr=4e-3, weight_decay=1e-4)
        a, b = (
            OneCycle(ours, 4e-3, total, 0.25),
            torch.optim.lr_scheduler.OneCycleLR(theirs, 4e-3, total_steps=total, pct_start=0.25),
        )
        for _ in range(total):
            assert ours.param_groups[0]["lr"] == theirs.param_groups[0]["lr"]
            assert ours.param_groups[0]["betas"] == theirs.param_groups[0]["betas"]
            theirs.step()  # no gradients: no update, but the scheduler expects a step first
            a.step()
            b.step()


def test_channels_last_trains_and_saves_plain_tensors(tmp_path):
    from lenet.checkpoints import load_checkpoint, save_checkpoint

    tc = TrainConfig(epochs=6, batch_size=32, device="cpu", seed=3, channels_last=True, functional_optimizer=True)
    result = fit(LeNetConfig(), tc, data=_tiny_mnist())
    assert result.test_acc > 0.9
    assert all(t.is_contiguous() for t in result.model.state_dict().values())
    save_checkpoint(result.model, tmp_path / "cl.safetensors", result.metrics(tc))
    loaded, _ = load_checkpoint(tmp_path / "cl.safetensors")
    assert _same_weights(loaded, result.model)
    again = fit(LeNetConfig(), tc, data=_tiny_mnist())
    assert _same_weights(again.model, result.model), "channels_last runs must still be seeded"


def test_functional_optimizer_is_for_adamw_only():
    """SGD and Adam ignore the setting: torch.optim's classes either way, the same weights."""
    for name in ("sgd", "adam"):
        runs = [
            fit(
                LeNetConfig(),
                TrainConfig(epochs=1, batch_size=64, device="cpu", seed=2, optimizer=name, functional_optimizer=flag),
                data=_tiny_mnist(),
            )
            for flag in (True, False)
        ]
        assert _same_weights(runs[0].model, runs[1].model)
    assert not isinstance(make_optimizer(LeNet(), TrainConfig(optimizer="sgd")), FunctionalAdamW)


@pytest.mark.parametrize(
    "config",
    [{}, {"activation": "tanh"}, {"activation": "sigmoid"}, {"pool": "avg"}, {"pool": "none"}, {"batch_norm": True}],
)
@pytest.mark.parametrize("channels_last", [False, True])
def test_forward_fast_is_forward_in_another_order(config, channels_last):
    """Pooling before the activation and C5 as a matrix product: the same outputs and gradients, up to rounding."""
    torch.manual_seed(0)
    model = LeNet(LeNetConfig(**config)).train()
    x = torch.randn(16, 1, 28, 28)
    if channels_last:
        model, x = model.to(memory_format=torch.channels_last), x.contiguous(memory_format=torch.channels_last)
    outputs = [model(x), model.forward_fast(x)]
    grads = [torch.autograd.grad(out.square().sum(), list(model.parameters())) for out in outputs]
    torch.testing.assert_close(outputs[1], outputs[0], rtol=1e-5, atol=1e-6)
    for fast, plain in zip(grads[1], grads[0], strict=True):
        torch.testing.assert_close(fast, plain, rtol=1e-4, atol=1e-5)
    assert outputs[1].shape == (16, 10)


def test_fast_kernels_train_through_forward_fast_and_stay_seeded(monkeypatch):
    calls = []
    original = LeNet.forward_fast
    monkeypatch.setattr(LeNet, "forward_fast", lambda self, x: calls.append(len(x)) or original(self, x))
    tc = TrainConfig(epochs=6, batch_size=32, device="cpu", seed=3, fast_kernels=True)
    first, again = fit(LeNetConfig(), tc, data=_tiny_mnist()), fit(LeNetConfig(), tc, data=_tiny_mnist())
    assert first.test_acc > 0.9 and len(calls) == 2 * first.steps
    assert _same_weights(first.model, again.model)
    calls.clear()
    fit(LeNetConfig(), TrainConfig(epochs=1, batch_size=32, device="cpu", fast_kernels=False), data=_tiny_mnist())
    assert not calls


def test_a_fraction_of_an_epoch_ends_part_way_and_is_scored_at_its_end():
    events = []
    tc = TrainConfig(epochs=1.5, batch_size=32, device="cpu")  # 256 digits: 8 steps an epoch, so 12
    result = fit(LeNetConfig(), tc, callback=events.append, data=_tiny_mnist())
    assert result.steps == 12 and result.epochs_done == 1.5
    assert [e.step for e in events if isinstance(e, Eval)] == [12]  # once: 1 per whole epoch, over the run
    start = next(e for e in events if isinstance(e, Start))
    assert start.total_steps == 12
    tc = TrainConfig(epochs=1.5, batch_size=32, device="cpu", evals_per_epoch=2)
    assert [e.step for e in fit(LeNetConfig(), tc, data=_tiny_mnist()).history] == [4, 8, 12]
    for bad in (0, 0.001, True, "1", 1001):
        with pytest.raises(TrainError):
            TrainConfig(epochs=bad).validate()
