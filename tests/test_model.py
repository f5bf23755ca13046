import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from lenet.config import LAYER_NAMES, LeNetConfig
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
