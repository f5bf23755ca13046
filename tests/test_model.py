import math
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from lenet.config import LAYER_NAMES, LeNetConfig
from lenet.conv.network import totals
from lenet.model import LeNet

ROOT = Path(__file__).resolve().parent.parent
# what checkpoints store (lenet.checkpoints writes to_json into the metadata): it must not change
DEFAULT_JSON = (
    '{"activation": "relu", "batch_norm": false, "c1_channels": 6, "c1_kernel": 5, "c1_padding": 2, '
    '"c1_stride": 1, "c3_channels": 16, "c3_kernel": 5, "c3_padding": 0, "c3_stride": 1, '
    '"c5_channels": 120, "c5_kernel": 5, "c5_padding": 0, "c5_stride": 1, "dropout": 0.0, '
    '"f6_units": 84, "in_channels": 1, "input_size": 28, "num_classes": 10, "pool": "max", '
    '"pool_size": 2}'
)


def test_default_is_the_tutorials_lenet5():
    model = LeNet()
    assert list(model.named_layers()) == list(LAYER_NAMES)
    assert model(torch.zeros(3, 1, 28, 28)).shape == (3, 10)
    assert sum(p.numel() for p in model.parameters()) == 61706


@pytest.mark.parametrize(
    "overrides",
    [
        {"activation": "tanh"},
        {"activation": "sigmoid"},
        {"pool": "avg"},
        {"pool": "none"},
        {"batch_norm": True, "dropout": 0.3},
        {"c1_kernel": 3, "c1_padding": 1, "c3_kernel": 3, "c5_kernel": 3},
        {"c1_kernel": 7, "c1_padding": 3, "c3_kernel": 7, "c3_padding": 2, "c5_kernel": 4},
        {"c1_channels": 32, "c3_channels": 64, "c5_channels": 256, "f6_units": 128},
        {"c1_stride": 2, "pool": "none", "c5_kernel": 1},
    ],
)
def test_variants_build_with_the_shapes_the_table_predicts(overrides):
    cfg = LeNetConfig(**overrides)
    model = LeNet(cfg).eval()
    rows = {r.name: r for r in cfg.table()}
    x = torch.zeros(2, 1, 28, 28)
    for name, layer in model.named_layers().items():
        if name == "F6":
            x = torch.flatten(x, 1)
        x = layer(x)
        assert tuple(x.shape[1:]) == rows[name].output, name
    assert sum(p.numel() for p in model.parameters()) == sum(r.params for r in rows.values())


@pytest.mark.parametrize(
    "overrides, layer",
    [
        ({"c5_kernel": 7}, "C5"),
        ({"c1_kernel": 9, "c1_padding": 0, "c3_kernel": 15}, "C3"),
        ({"c1_channels": 0}, "C1"),
        ({"f6_units": 0}, "F6"),
        ({"activation": "gelu"}, "activation"),
        ({"pool": "median"}, "pool"),
        ({"dropout": 1.5}, "dropout"),
        ({"c1_padding": "same", "c1_stride": 2}, "C1"),
    ],
)
def test_impossible_configs_name_the_layer(overrides, layer):
    with pytest.raises(ValueError, match=layer):
        LeNetConfig(**overrides)


def test_config_json_round_trip_and_type_checks():
    cfg = LeNetConfig(activation="tanh", batch_norm=True)
    assert LeNetConfig.from_json(cfg.to_json()) == cfg
    with pytest.raises(ValueError, match="unknown"):
        LeNetConfig.from_dict({"evil": 1})
    with pytest.raises(ValueError, match="must be int"):
        LeNetConfig.from_dict({"c1_channels": "6"})
    with pytest.raises(ValueError):
        LeNetConfig.from_json("{not json")


def test_config_json_is_what_checkpoints_store():
    assert LeNetConfig().to_json() == DEFAULT_JSON
    assert LeNetConfig.from_json(DEFAULT_JSON) == LeNetConfig()


def test_the_layer_table_lists_the_textbook_layers():
    assert tuple(spec.name for spec in LeNetConfig().layers()) == LAYER_NAMES
    assert [row.name for row in LeNetConfig().table()] == ["input", *LAYER_NAMES]


def test_an_unchecked_config_shows_each_layers_error():
    cfg = LeNetConfig.unchecked(c3_kernel=20)
    rows = {row.name: row for row in cfg.table()}
    assert rows["C3"].error.code == "kernel_too_big" and rows["output"].error.code == "unreachable"
    with pytest.raises(ValueError, match="C3"):
        cfg.validate()
    assert LeNetConfig.unchecked(pool="none") == LeNetConfig(pool="none")
    with pytest.raises(TypeError):
        LeNetConfig.unchecked(evil=1)


def test_kernels_read_a_conv_layers_weights():
    model = LeNet(LeNetConfig(pool="none"))
    c1 = model.kernels()
    assert c1.shape == (6, 1, 5, 5) and np.array_equal(c1, model.features.C1[0].weight.detach().numpy())
    assert model.kernels("C3").shape == (16, 6, 5, 5)
    assert model.kernels("S2").shape == (6, 6, 2, 2)  # the learned pooling is a strided conv
    for layer in ("S2", "F6"):
        with pytest.raises(ValueError, match=layer):
            LeNet().kernels(layer)


def test_the_config_does_not_import_torch():
    code = "import sys, lenet.config; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False", result.stderr


# --- every layer's cost, checked against torch ----------------------------------------------------


def random_costed_config(rng: random.Random) -> LeNetConfig | None:
    """A random valid LeNetConfig with small layers (None when the draw cannot be built)."""
    fields = dict(
        c1_channels=rng.randint(1, 6),
        c1_kernel=rng.randint(1, 7),
        c1_stride=rng.randint(1, 3),
        c1_padding=rng.randint(0, 3),
        c3_channels=rng.randint(1, 6),
        c3_kernel=rng.randint(1, 5),
        c3_stride=rng.randint(1, 2),
        c3_padding=rng.randint(0, 2),
        c5_channels=rng.randint(1, 12),
        c5_kernel=rng.randint(1, 4),
        c5_padding=rng.randint(0, 2),
        pool=rng.choice(["max", "avg", "none"]),
        pool_size=rng.randint(1, 3),
        f6_units=rng.randint(1, 12),
        activation=rng.choice(["relu", "tanh", "sigmoid"]),
        batch_norm=rng.random() < 0.3,
    )
    try:
        return LeNetConfig(**fields)
    except ValueError:
        return None


def hooked_macs(model: nn.Module, x: torch.Tensor) -> dict[str, int]:
    """Multiply-adds per textbook layer, counted by forward hooks on every Conv2d and Linear of a real pass."""
    counts: dict[str, int] = {}
    handles = []
    for name, block in model.named_layers().items():
        for module in block.modules():

            def hook(module, inputs, output, name=name):
                if isinstance(module, nn.Conv2d):
                    per_output = module.in_channels // module.groups * math.prod(module.kernel_size)
                    counts[name] = counts.get(name, 0) + output[0].numel() * per_output
                else:
                    counts[name] = counts.get(name, 0) + module.in_features * module.out_features

            if isinstance(module, (nn.Conv2d, nn.Linear)):
                handles.append(module.register_forward_hook(hook))
    with torch.no_grad():
        model(x)
    for handle in handles:
        handle.remove()
    return counts


def positive_probe(config: LeNetConfig) -> LeNet:
    """LeNet(config) with every weight 1/fan-in and no bias, max pooling swapped for average pooling.

    Every path from an input pixel to a unit then carries a positive gradient, so the pixels with a
    non-zero gradient are exactly the unit's receptive field (max pooling would pass only its argmax).
    """
    model = LeNet(config).double().eval()
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                module.weight.fill_(1.0 / (module.weight[0].numel()))
                if module.bias is not None:
                    module.bias.zero_()
    for block in (model.features, model.classifier):
        for name, child in block.named_children():
            if isinstance(child, nn.MaxPool2d):
                setattr(block, name, nn.AvgPool2d(child.kernel_size, child.stride))
    return model


def gradient_extent(output: torch.Tensor, x: torch.Tensor, index) -> int:
    """Rows of the input with a non-zero gradient of output[index], from first to last."""
    (grad,) = torch.autograd.grad(output[index], x, retain_graph=True)
    rows = torch.nonzero(grad[0, 0].abs().sum(dim=1)).flatten()
    return int(rows.max() - rows.min() + 1)


def measured_receptive_fields(config: LeNetConfig) -> dict[str, int]:
    """Each layer's receptive field, from back-propagating a one-hot gradient of one unit.

    Conv and pooling layers: the centre unit of a map on an input large enough that its field lies
    inside the image (the field does not depend on the input size). F6 and output: a unit on the real input.
    """
    model = positive_probe(config)
    fields = {}
    x = torch.ones(1, 1, 28, 28, dtype=torch.float64, requires_grad=True)
    _, outputs = model.forward_with_activations(x)
    for name in ("F6", "output"):
        fields[name] = gradient_extent(outputs[name], x, (0, 0))
    big = 28 + 4 * max(r.receptive for r in config.table())
    x = torch.ones(1, 1, big, big, dtype=torch.float64, requires_grad=True)
    y = x
    for name, layer in model.features.named_children():
        y = layer(y)
        fields[name] = gradient_extent(y, x, (0, 0, y.shape[2] // 2, y.shape[3] // 2))
    return fields


def test_every_layers_cost_matches_torch():
    rng = random.Random(21)
    checked = 0
    while checked < 25:
        config = random_costed_config(rng)
        if config is None:
            continue
        rows = config.table()
        model = LeNet(config).eval()
        macs = hooked_macs(model, torch.zeros(1, *config.input_shape))
        receptive = measured_receptive_fields(config)
        for row in rows[1:]:
            assert row.params == sum(p.numel() for p in model.named_layers()[row.name].parameters()), row
            assert row.macs == macs.get(row.name, 0), (config, row)
            assert row.receptive == receptive[row.name], (config, row, receptive)
            assert row.memory == 4 * math.prod(row.output)
        params, total_macs, memory = totals(rows)
        assert params == sum(p.numel() for p in model.parameters()) and total_macs == sum(macs.values())
        assert memory == sum(4 * math.prod(r.output) for r in rows)
        checked += 1


def test_lenet5_costs():
    rows = {r.name: r for r in LeNetConfig().table()}
    # C1 with padding 2 reads 5x5 (of which a 2-pixel border may be padding); C5 sees 32x32 of the padded image
    assert [rows[n].receptive for n in LAYER_NAMES] == [5, 6, 14, 16, 32, 28, 28]
    assert rows["C1"].macs == 6 * 25 * 28 * 28 and rows["input"].memory == 4 * 28 * 28
