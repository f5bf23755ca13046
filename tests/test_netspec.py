"""lenet.netspec and its table (lenet.conv.network.list_table) against real PyTorch layers.

PyTorch is the oracle, as in tests/test_arithmetic.py: hundreds of random lists are built layer by layer with
torch's own modules, and the table must give the same shapes and parameter counts, and the parser must refuse
exactly the lists torch cannot run, naming the layer where torch fails.
"""

import json
import random
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch
from torch import nn

from lenet import netspec
from lenet.config import LeNetConfig
from lenet.conv.network import totals
from lenet.i18n import t_error
from lenet.netspec import Layer, NetLayerError, NetSpec, NetSpecError, parse

ROOT = Path(__file__).resolve().parent.parent
N_RANDOM = 600


# --- random lists --------------------------------------------------------------------------------


def _map_entry(rng: random.Random) -> str:
    kind = rng.choice(["conv", "conv", "conv", "mp", "ap", "act", "bn", "drop"])
    if kind == "conv":
        text = f"c{rng.randint(1, 12)}k{rng.randint(1, 7)}"
        if rng.random() < 0.4:
            text += f"s{rng.randint(1, 3)}"
        if rng.random() < 0.5:
            text += "psame" if rng.random() < 0.3 else f"p{rng.randint(0, 3)}"
        if rng.random() < 0.3:
            text += f"d{rng.randint(1, 3)}"
        return text
    if kind in ("mp", "ap"):
        text = f"{kind}{rng.randint(1, 4)}"
        return text + (f"s{rng.randint(1, 4)}" if rng.random() < 0.4 else "")
    if kind == "act":
        return rng.choice(netspec.ACTIVATIONS)
    if kind == "bn":
        return "bn"
    return f"drop{rng.choice([0, 0.1, 0.25, 0.5])}"


def random_list(rng: random.Random) -> str:
    """A list in the right order (maps, then vectors, ending fc10) whose layers may or may not fit their input."""
    entries = [_map_entry(rng) for _ in range(rng.randint(0, 7))]
    for _ in range(rng.randint(0, 2)):
        entries.append(f"fc{rng.randint(1, 64)}")
        entries += rng.sample(["relu", "gelu", "bn", "drop0.5", "tanh"], rng.randint(0, 2))
    return ",".join([*entries, "fc10"])


def torch_run(text: str):
    """Build the list with torch's modules, one entry at a time, on one 28x28 image.

    Returns:
        (shapes, params) per entry when every layer runs, else the 1-based index of the first that fails.
    """
    x = torch.zeros(1, 1, 28, 28)
    entries = text.split(",")
    shapes, params = [], []
    for i, entry in enumerate(entries):
        parsed = netspec._layer(entry, i + 1)  # its settings; whether they fit is torch's to say
        nxt = entries[i + 1] if i + 1 < len(entries) else ""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                layer = _torch_module(parsed, x, bias=nxt != "bn")
                if isinstance(layer, nn.Linear):
                    x = x.flatten(1)
                x = layer.eval()(x)
        except (RuntimeError, ValueError):
            return i + 1
        if x.numel() == 0:
            return i + 1
        shapes.append(tuple(x.shape[1:]))
        params.append(sum(p.numel() for p in layer.parameters()))
    return shapes, params


def _torch_module(layer: Layer, x: torch.Tensor, bias: bool) -> nn.Module:
    if layer.kind == "conv":
        return nn.Conv2d(x.shape[1], layer.size, layer.kernel, layer.stride, layer.padding, layer.dilation, bias=bias)
    if layer.kind == "maxpool":
        return nn.MaxPool2d(layer.kernel, layer.stride)
    if layer.kind == "avgpool":
        return nn.AvgPool2d(layer.kernel, layer.stride)
    if layer.kind == "bn":
        return nn.BatchNorm2d(x.shape[1]) if x.dim() == 4 else nn.BatchNorm1d(x.shape[1])
    if layer.kind == "dropout":
        return nn.Dropout(layer.p)
    if layer.kind == "fc":
        return nn.Linear(x[0].numel(), layer.size)
    return {"relu": nn.ReLU(), "tanh": nn.Tanh(), "sigmoid": nn.Sigmoid(), "gelu": nn.GELU()}[layer.kind]


def test_random_lists_against_torch():
    """Every random list: accepted with torch's shapes and parameter counts, or refused at the layer torch fails on."""
    rng = random.Random(29)
    accepted = refused = 0
    for _ in range(N_RANDOM):
        text = random_list(rng)
        expected = torch_run(text)
        if isinstance(expected, int):
            with pytest.raises(NetLayerError) as caught:
                parse(text)
            assert caught.value.index == expected, (text, caught.value)
            assert caught.value.layer == text.split(",")[expected - 1]
            refused += 1
            continue
        spec = parse(text)
        rows = spec.table()[1:]
        assert [r.output for r in rows] == expected[0], text
        assert [r.params for r in rows] == expected[1], text
        assert parse(str(spec)) == spec
        accepted += 1
    assert accepted >= 300 and refused >= 50, (accepted, refused)


def test_refusals_name_the_layer_and_what_fits():
    """Every kind of refusal: its code, the layer's index and text, and a fix where one exists."""
    cases = {
        "": ("net_empty", 0),
        "c6k5,,fc10": ("net_empty_layer", 2),
        "c6k5,c6,fc10": ("net_syntax", 2),
        "c6k5,rleu,fc10": ("net_unknown_near", 2),
        "c6k5,relu,softmax2,fc10": ("net_unknown_layer", 3),
        "c300k5,fc10": ("net_out_of_range", 1),
        "c6k5,mp2s29,fc10": ("net_out_of_range", 2),
        "c6k5,relu,drop1,fc10": ("net_dropout_range", 3),
        "c6k5,fc84,mp2,fc10": ("net_map_after_vector", 3),
        "c6k5,relu": ("net_last_layer", 2),
        "c6k5,fc84": ("net_last_units", 2),
        "c6k5p2,mp2,c16k5,mp2,c120k9,fc10": ("net_layer_fix", 5),
        "c6k5s2psame,fc10": ("net_layer_fix", 1),
        "c256k3p1,fc4096,fc10": ("net_too_big", 2),
        ",".join(["relu"] * 33 + ["fc10"]): ("net_too_many", 33),
    }
    for text, (code, index) in cases.items():
        with pytest.raises(NetSpecError) as caught:
            parse(text)
        assert (caught.value.code, caught.value.index) == (code, index), (text, caught.value)
        english, chinese = (t_error(caught.value, lang) for lang in ("en", "zh"))
        unfilled = [f"{{{name}}}" for name in caught.value.params]
        assert english != chinese and not any(u in english + chinese for u in unfilled), (english, chinese)
        if index:
            assert all(str(index) in m and caught.value.layer in m for m in (english, chinese)), (english, chinese)
    fix = _error("c6k5p2,mp2,c16k5,mp2,c120k9,fc10")
    assert parse(f"c6k5p2,mp2,c16k5,mp2,{fix.params['fix']},fc10")  # the suggestion does fit
    assert _error("c300k5,fc10").params["fix"] == "c256k5"
    assert _error("c6k5,rleu,fc10").params["near"] == "relu"
    assert "padding “same” needs stride 1" in t_error(_error("c6k5s2psame,fc10"), "en")


def _error(text: str) -> NetSpecError:
    with pytest.raises(NetSpecError) as caught:
        parse(text)
    return caught.value


def test_random_typos_are_refused_at_their_layer():
    """A valid list with one entry garbled is refused, naming that entry; never a crash of another kind."""
    rng = random.Random(7)
    garbles = ["c", "k5", "c6k", "mp", "drop", "fc", "fcx", "c6k5q1", "relu2", "c0k5", "fc0", "mp99", "drop-1",
               "c6k5p9", "c6k5d9", "c6k5s9", "c1000000000000k5", "fc99999", "ap2s", "xyz"]  # fmt: skip
    for _ in range(200):
        entries = netspec.NETWORKS[rng.choice(list(netspec.NETWORKS))].split(",")
        at = rng.randrange(len(entries) - 1)
        entries[at] = rng.choice(garbles)
        caught = _error(",".join(entries))
        assert caught.index == at + 1 and caught.layer == entries[at], (entries, caught)


def test_text_round_trips_and_is_canonical():
    assert str(parse(" C6K5P2 , ReLU, mp2s2, drop0.50, fc10 ")) == "c6k5p2,relu,mp2,drop0.5,fc10"
    assert parse("c6k5s1p0d1,fc10") == parse("c6k5,fc10")
    assert str(parse("c6k4psame,mp3s2,ap2s1,drop1e-05,fc10")) == "c6k4psame,mp3s2,ap2s1,drop1e-05,fc10"
    for name, text in netspec.NETWORKS.items():
        spec = parse(name)
        assert spec == parse(text) == parse(str(spec)) and spec.preset == name and str(spec) == text


def test_presets_and_names():
    assert [parse(n).names for n in netspec.TEXTBOOK_PRESETS] == [netspec.TEXTBOOK_NAMES] * 3
    assert parse("tiny").names == ("conv1", "pool1", "conv2", "pool2", "output")
    assert parse("wide").names == ("conv1", "pool1", "conv2", "pool2", "conv3", "fc1", "output")
    # blocks: an activation, bn or dropout joins the block before it; a leading one is a block of its own
    spec = parse("bn,relu,c4k3,bn,gelu,ap2,drop0.1,c4k3s2,fc20,relu,fc10")
    assert spec.blocks == ["bn", "bn", "conv1", "conv1", "conv1", "pool1", "pool1", "conv2", "fc1", "fc1", "output"]
    assert [r.name for r in spec.table()[1:]] == spec.blocks
    # a list that equals a textbook preset but for a dropout is not that preset
    assert parse("c6k5p2,relu,mp2,c16k5,relu,mp2,c120k5,relu,drop0.5,fc84,relu,fc10").names[0] == "conv1"
    with pytest.raises(NetSpecError) as caught:
        netspec.preset("resnet")
    assert caught.value.code == "net_unknown_preset" and "lenet5" in t_error(caught.value, "zh")


def test_a_netspec_always_builds():
    with pytest.raises(NetSpecError):
        NetSpec((Layer("fc", 84),))
    assert NetSpec([Layer("fc", 10)]).text == "fc10"


def test_lenet_configs_read_as_their_lists():
    """LeNetConfig.to_net(): the default is lenet5, and each variant's table equals its LeNet table."""
    assert LeNetConfig().to_net() == parse("lenet5")
    assert LeNetConfig(pool="none", batch_norm=True).to_net().preset == "allconv"
    assert LeNetConfig(pool="none").to_net().names[1] == "conv2", "without the norms: not the preset, its own names"
    assert LeNetConfig(pool="avg", activation="tanh").to_net().preset == "lenet5-1998"
    for config in (
        LeNetConfig(batch_norm=True, dropout=0.25),
        LeNetConfig(pool="none", batch_norm=True, c1_padding="same", activation="sigmoid"),
        LeNetConfig(c1_kernel=3, c1_stride=2, c1_padding=1, pool_size=1, c3_kernel=3, c5_kernel=3, f6_units=20),
    ):
        rows = config.to_net().table()
        assert totals(rows)[:2] == totals(config.table())[:2], config
        assert rows[-1].output == (10,)


def test_dilation_in_the_receptive_field():
    rows = parse("c1k3d2,c1k3d2,fc10").table()
    assert [r.receptive for r in rows] == [1, 5, 9, 28]
    rows = parse("c1k3d4,fc10").table()  # taps at 0, 4, 8 of a 20x20 output: every input line is read
    assert rows[1].output == (1, 20, 20) and rows[2].receptive == 28


def test_the_parser_never_imports_torch():
    code = "import sys, lenet.netspec; lenet.netspec.parse('lenet5'); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


# --- the CLI -------------------------------------------------------------------------------------


def _shape(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lenet", "shape", *args], capture_output=True, text=True, cwd=ROOT, timeout=60
    )


def test_cli_shape_net_table():
    out = _shape("--net", "allconv", "--json")
    assert out.returncode == 0, out.stderr
    table = json.loads(out.stdout)
    assert table["net"] == netspec.NETWORKS["allconv"] and table["preset"] == "allconv"
    assert [row["name"] for row in table["layers"]][:4] == ["C1", "C1", "C1", "S2"]  # c6k5p2, bn, relu; c6k2s2
    assert table["layers"][3] == {
        "index": 4,
        "name": "S2",
        "text": "c6k2s2",
        "kind": "conv",
        "output": [6, 14, 14],
        "params": 6 * 6 * 4 + 6,
        "macs": 6 * 6 * 4 * 14 * 14,
        "receptive": 6,
        "memory": 4 * 6 * 14 * 14,
    }
    assert table["params"] == sum(p.numel() for p in _torch_params("allconv"))
    text = _shape("--net", "c4k3,relu,fc10")
    assert text.returncode == 0 and "conv1" in text.stdout and "output" in text.stdout


def _torch_params(name: str):
    from lenet.netmodel import Net

    return list(Net(name).parameters())


def test_cli_shape_net_error():
    out = _shape("--net", "c6k5p2,relu,mp2,c16k5,relu,mp2,c120k9,fc10", "--json")
    assert out.returncode == 2
    error = json.loads(out.stdout)
    assert error["index"] == 7 and error["layer"] == "c120k9" and error["code"] == "net_layer_fix"
    assert "layer 7" in out.stderr and "Traceback" not in out.stderr
