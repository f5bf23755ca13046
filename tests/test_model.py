import pytest
import torch

from lenet.config import LAYER_NAMES, LeNetConfig
from lenet.model import LeNet


def test_default_is_the_tutorials_lenet5():
    model = LeNet()
    assert list(model.named_layers()) == list(LAYER_NAMES)
    assert model(torch.zeros(3, 1, 28, 28)).shape == (3, 10)
    assert sum(p.numel() for p in model.parameters()) == 61706


@pytest.mark.parametrize("overrides", [
    {"activation": "tanh"}, {"activation": "sigmoid"}, {"pool": "avg"}, {"pool": "none"},
    {"batch_norm": True, "dropout": 0.3}, {"c1_kernel": 3, "c1_padding": 1, "c3_kernel": 3, "c5_kernel": 3},
    {"c1_kernel": 7, "c1_padding": 3, "c3_kernel": 7, "c3_padding": 2, "c5_kernel": 4},
    {"c1_channels": 32, "c3_channels": 64, "c5_channels": 256, "f6_units": 128},
    {"c1_stride": 2, "pool": "none", "c5_kernel": 1},
])
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


@pytest.mark.parametrize("overrides, layer", [
    ({"c5_kernel": 7}, "C5"), ({"c1_kernel": 9, "c1_padding": 0, "c3_kernel": 15}, "C3"),
    ({"c1_channels": 0}, "C1"), ({"f6_units": 0}, "F6"), ({"activation": "gelu"}, "activation"),
    ({"pool": "median"}, "pool"), ({"dropout": 1.5}, "dropout"), ({"c1_padding": "same", "c1_stride": 2}, "C1"),
])
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
