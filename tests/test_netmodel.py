"""lenet.netmodel.Net: any list as a module, with LeNet's interface; checked against torch and against LeNet."""

import random

import pytest
import torch
from torch import nn

from lenet import netspec
from lenet.config import LeNetConfig
from lenet.model import LeNet
from lenet.netmodel import Net, build_model
from lenet.netspec import parse
from tests.test_netspec import random_list, torch_run


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
