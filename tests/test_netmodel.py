"""lenet.netmodel.Net: any list as a module, with LeNet's interface; checked against torch and against LeNet."""

import random

import pytest
import torch
from test_netspec import random_list, torch_run
from torch import nn

from lenet import netspec
from lenet.config import LeNetConfig
from lenet.model import LeNet
from lenet.netmodel import Net, build_model
from lenet.netspec import parse
from lenet.train import TrainConfig


def random_nets(n: int, seed: int) -> list[str]:
    """n random lists that build."""
    rng, found = random.Random(seed), []
    while len(found) < n:
        text = random_list(rng)
        if not isinstance(torch_run(text), int):
            found.append(text)
    return found


def test_state_dict_names_are_the_lists_indices():
    net = Net("c4k3,bn,relu,mp2,c8k3,relu,fc32,bn,gelu,drop0.5,fc10")
    assert list(net.state_dict()) == [
        "layers.0.weight",  # no bias: a bn follows
        "layers.1.weight",
        "layers.1.bias",
        "layers.1.running_mean",
        "layers.1.running_var",
        "layers.1.num_batches_tracked",
        "layers.4.weight",
        "layers.4.bias",
        "layers.6.weight",
        "layers.6.bias",
        "layers.7.weight",
        "layers.7.bias",
        "layers.7.running_mean",
        "layers.7.running_var",
        "layers.7.num_batches_tracked",
        "layers.10.weight",
        "layers.10.bias",
    ]
    assert isinstance(net.layers[7], nn.BatchNorm1d) and isinstance(net.layers[1], nn.BatchNorm2d)
    assert net.layers[8].approximate == "none"  # GELU exact (erf), as the browser and ONNX's Gelu


def test_random_nets_shapes_params_and_activations():
    """Net's blocks' outputs have the table's shapes, its parameters the table's count, and forward_fast and
    forward_with_activations agree with forward."""
    for text in random_nets(40, seed=3):
        torch.manual_seed(0)
        net = Net(text).eval()
        rows = net.spec.table()
        x = torch.randn(2, 1, 28, 28)
        with torch.no_grad():
            logits, acts = net.forward_with_activations(x)
            assert torch.equal(logits, net(x))
            torch.testing.assert_close(net.forward_fast(x), logits, rtol=1e-4, atol=1e-5)
        assert list(acts) == list(net.names) == list(net.named_layers())
        last_row = {row.name: row.output for row in rows[1:]}  # the block's last entry's row wins
        assert {name: tuple(a.shape[1:]) for name, a in acts.items()} == last_row, text
        assert sum(p.numel() for p in net.parameters()) == sum(r.params for r in rows), text
        assert net.net == str(parse(text)) and logits.shape == (2, 10)


def test_named_layers_and_kernels():
    net = Net("lenet5")
    assert list(net.named_layers()) == list(netspec.TEXTBOOK_NAMES)
    assert net.kernels("C1").shape == (6, 1, 5, 5) and net.kernels().shape == (6, 1, 5, 5)
    assert net.kernels("C3").shape == (16, 6, 5, 5)
    with pytest.raises(ValueError):
        net.kernels("S2")
    block = net.named_layers()["C1"]
    assert isinstance(block, nn.Sequential) and block[0] is net.layers[0]


def test_every_lenet_config_is_its_list():
    """A LeNet and the Net of its to_net() hold the same numbers in the same order and compute the same logits."""
    configs = [
        LeNetConfig(),
        LeNetConfig(pool="none"),
        LeNetConfig(pool="avg", activation="tanh", batch_norm=True),
        LeNetConfig(dropout=0.3, activation="sigmoid", c1_padding="same", f6_units=32),
    ]
    for config in configs:
        torch.manual_seed(1)
        lenet = LeNet(config).eval()
        net = Net(config.to_net()).eval()
        assert lenet.net == net.net
        old, new = lenet.state_dict(), net.state_dict()
        assert [v.shape for v in old.values()] == [v.shape for v in new.values()]
        net.load_state_dict(dict(zip(new, old.values(), strict=True)))
        x = torch.randn(4, 1, 28, 28)
        with torch.no_grad():
            torch.testing.assert_close(net(x), lenet(x), rtol=0, atol=1e-6)
            lenet_acts = lenet.forward_with_activations(x)[1]
            net_acts = net.forward_with_activations(x)[1]
        if net.spec.preset in netspec.TEXTBOOK_PRESETS:
            for name, value in lenet_acts.items():
                torch.testing.assert_close(net_acts[name], value, rtol=0, atol=1e-6)


def test_input_norm_renormalises_mnist_inputs():
    """An imported model trained on pixels in [0, 1] sees them again from the app's MNIST-normalised input."""
    from lenet.data import normalise

    torch.manual_seed(2)
    plain = Net("tiny").eval()
    imported = Net("tiny", input_norm=(0.0, 1.0)).eval()
    imported.load_state_dict(plain.state_dict())
    pixels = torch.rand(3, 1, 28, 28)
    app_input = torch.as_tensor(normalise((pixels.numpy() * 255).round().astype("uint8")[:, 0]))
    with torch.no_grad():
        torch.testing.assert_close(imported(app_input), plain((pixels * 255).round() / 255), rtol=1e-5, atol=1e-5)
    assert not any("norm" in key for key in imported.state_dict())


def test_build_model():
    assert isinstance(build_model(None), LeNet) and isinstance(build_model(LeNetConfig()), LeNet)
    assert isinstance(build_model("tiny"), Net) and build_model("tiny").names[0] == "conv1"
    assert build_model(parse("allconv")).net == netspec.NETWORKS["allconv"]
    assert LeNet().net == netspec.NETWORKS["lenet5"] and LeNet().names == netspec.TEXTBOOK_NAMES


# --- training, checkpoints and export: every preset ----------------------------------------------

ROUND_TRIP = """
import runpy, sys
import torch
from safetensors.torch import load_file, save_file
x = load_file(sys.argv[1])["x"]
out = {}
for name, source, checkpoint in zip(*[iter(sys.argv[2:])] * 3):
    model = runpy.run_path(source)["load"](checkpoint)
    with torch.no_grad():
        out[name] = model(x).contiguous()
save_file(out, sys.argv[1] + ".out")
"""


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    from tiny_mnist import write_tiny_mnist

    from lenet.data import load_mnist

    return load_mnist(write_tiny_mnist(tmp_path_factory.mktemp("mnist")))


@pytest.fixture(scope="module")
def trained(tiny_data):
    """Every preset trained 20 steps on the tiny MNIST: name -> (FitResult, the steps' losses)."""
    from lenet.events import Step
    from lenet.train import TrainConfig, fit

    runs = {}
    for name in netspec.NETWORKS:
        losses = []
        tc = TrainConfig(epochs=3, max_steps=20, batch_size=128, seed=0, evals_per_epoch=1)
        result = fit(name, tc, callback=lambda e, out=losses: out.append(e.loss) if isinstance(e, Step) else None,
                     data=tiny_data)  # fmt: skip
        runs[name] = result, losses
    return runs


def test_every_preset_trains_and_its_loss_falls(trained):
    for name, (result, losses) in trained.items():
        assert isinstance(result.model, Net) and result.model.net == netspec.NETWORKS[name]
        assert len(losses) == 20 and result.steps == 20, name
        assert sum(losses[-4:]) / 4 < 0.8 * sum(losses[:4]) / 4, (name, losses)


def test_every_preset_round_trips_through_a_checkpoint_and_the_export(trained, tmp_path):
    """Save, load, export, exec in a fresh interpreter: the same logits, from the app's safetensors file."""
    import subprocess
    import sys

    from safetensors.torch import load_file, save_file

    from lenet.checkpoints import load_checkpoint, read_info, save_checkpoint
    from lenet.conv.export import network_source

    torch.manual_seed(5)
    x = torch.randn(6, 1, 28, 28)
    save_file({"x": x}, str(tmp_path / "x.safetensors"))
    args, expected = [], {}
    for name, (result, _) in trained.items():
        path = save_checkpoint(result.model, tmp_path / f"{name}.safetensors", result.metrics(TrainConfig()))
        info = read_info(path)
        assert info.config is None and info.net == netspec.NETWORKS[name] and info.spec == parse(name)
        model, _ = load_checkpoint(path)
        with torch.no_grad():
            expected[name] = model(x)
            torch.testing.assert_close(expected[name], result.model.eval()(x), rtol=0, atol=0)
        source = tmp_path / f"{name}.py"
        source.write_text(network_source(info.spec))
        args += [name, str(source), str(path)]
    proc = subprocess.run(
        [sys.executable, "-c", ROUND_TRIP, str(tmp_path / "x.safetensors"), *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    got = load_file(str(tmp_path / "x.safetensors.out"))
    for name, logits in expected.items():
        torch.testing.assert_close(got[name], logits, rtol=0, atol=1e-6)


def test_a_list_trains_through_the_servers_registry(tmp_path):
    """The Train page's path: Registry.submit with a list's text, a child process, an atomic save; the shared
    queue's stored form of the model config reads back as the same list."""
    import time

    from tiny_mnist import bars

    from lenet import jobs
    from lenet.checkpoints import load_checkpoint
    from lenet.data import MNIST

    images, labels = bars(256)
    registry = jobs.Registry(
        runs_dir=tmp_path, data=MNIST(images, labels, images[:64].copy(), labels[:64].copy()), max_concurrent=1
    )
    try:
        run = registry.submit("me", "tiny run", "tiny", TrainConfig(device="cpu", max_steps=4, batch_size=64))
        assert run.model_config == parse("tiny")
        deadline = time.monotonic() + 300
        while registry.get(run.id).active and time.monotonic() < deadline:
            time.sleep(0.05)
        done = registry.get(run.id)
        assert done.status == "finished", (done.status, done.error_message)
        model, info = load_checkpoint(done.checkpoint)
        assert isinstance(model, Net) and info.net == netspec.NETWORKS["tiny"]
    finally:
        registry.stop_all()
    stored = jobs._plain_model(parse("allconv"))
    assert stored == {"net": netspec.NETWORKS["allconv"]} and jobs._model_config(stored) == parse("allconv")
    assert jobs._model_config(jobs._plain_model(LeNetConfig(pool="avg"))) == LeNetConfig(pool="avg")
    with pytest.raises(netspec.NetSpecError):
        registry.submit("me", "bad", "c6k5,fc84", TrainConfig(device="cpu"))
