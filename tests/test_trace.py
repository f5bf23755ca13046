"""lenet.trace against the model itself: traced sums and activations equal the real forward pass, and the
receptive fields equal the support of a one-hot gradient, for the shipped network and its variants."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from lenet.config import LeNetConfig
from lenet.model import LeNet
from lenet.trace import Cell, geometry, parse_cell, receptive_fields, shapes, softmax_steps, trace

VARIANTS = {
    "shipped": {},
    "avg_pool": {"pool": "avg"},
    "tanh": {"activation": "tanh"},
    "sigmoid": {"activation": "sigmoid"},
    "pool_none": {"pool": "none"},
    "batch_norm": {"batch_norm": True},
    "strided": {"c1_stride": 2, "c5_kernel": 1},
}


def _model(variant: str, seed: int = 0) -> LeNet:
    torch.manual_seed(seed)
    if variant == "dilated":
        model = LeNet()
        # a 3x3 kernel with dilation 2 spans 5x5, as the lab's networks can: C3 keeps its 10x10 output
        model.features.C3[0] = nn.Conv2d(6, 16, 3, dilation=2)
    else:
        model = LeNet(LeNetConfig(**VARIANTS[variant]))
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):  # statistics a trained model would have, not the identity
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    return model.eval()


def _forward(model: LeNet, x: torch.Tensor):
    with torch.no_grad():
        _, recorded = model.forward_with_activations(x)
    return {name: out[0].numpy() for name, out in recorded.items()}


def _random_cells(layer_shapes, rng, per_layer=12):
    for name, shape in layer_shapes.items():
        for _ in range(per_layer):
            if len(shape) == 1:
                yield Cell(name, int(rng.integers(shape[0])))
            else:
                yield Cell(name, *(int(rng.integers(n)) for n in shape))


@pytest.mark.parametrize("variant", [*VARIANTS, "dilated"])
def test_traced_values_equal_the_models(variant):
    model = _model(variant)
    rng = np.random.default_rng(1)
    for _ in range(3):
        x = torch.randn(1, 1, 28, 28)
        acts = _forward(model, x)
        for cell in _random_cells(shapes(acts), rng):
            got = trace(model, x.numpy(), acts, cell)
            want = (
                acts[cell.layer][cell.channel]
                if cell.layer in ("F6", "output")
                else acts[cell.layer][cell.channel, cell.row, cell.col]
            )
            assert got.value == pytest.approx(float(want), abs=1e-4), cell
            step = got.step
            if step.kind == "conv":
                assert step.products.sum() == pytest.approx(step.total, abs=1e-9)
                assert step.partial_sums.sum() == pytest.approx(step.total, abs=1e-9)
                assert step.pre_activation == pytest.approx(step.total + step.bias)
            if step.kind == "fc":
                listed = sum(r[3] for r in step.up + step.down)
                assert listed + step.others == pytest.approx(step.total, abs=1e-6)


def test_output_softmax_steps_equal_torch():
    model = _model("shipped")
    x = torch.randn(1, 1, 28, 28)
    acts = _forward(model, x)
    got = trace(model, x.numpy(), acts, Cell("output", 3)).step.softmax
    want = torch.softmax(torch.as_tensor(acts["output"]), 0).numpy()
    np.testing.assert_allclose(got["probs"], want, atol=1e-6)
    assert got["sum"] == pytest.approx(float(np.exp(acts["output"].astype(np.float64)).sum()))
    big = softmax_steps(np.array([1000.0, 998.0]))  # too large for exp: shifted, same answer
    assert np.isfinite(big["exp"]).all() and big["probs"][0] == pytest.approx(1 / (1 + np.exp(-2)))


def test_relu_switched_off_cell_has_a_negative_sum():
    model = _model("shipped")
    x = torch.randn(1, 1, 28, 28)
    acts = _forward(model, x)
    c, r, q = np.argwhere(acts["C1"] == 0)[0]
    step = trace(model, x.numpy(), acts, Cell("C1", int(c), int(r), int(q))).step
    assert step.value == 0.0 and step.pre_activation < 0


def _surrogate(model: LeNet) -> list[tuple[str, nn.Module]]:
    """The same geometry with nothing that hides a path: ones for weights, no activations, averaging pools."""
    layers = []
    for name, block in model.named_layers().items():
        geo = None if name in ("F6", "output") else geometry(block)
        if geo is None:
            linear = next(m for m in block.modules() if isinstance(m, nn.Linear))
            module = nn.Sequential(nn.Flatten(), nn.Linear(linear.in_features, linear.out_features, bias=False))
            module[1].weight.data.fill_(1.0)
        elif geo.op == "conv":
            conv = next(m for m in block.modules() if isinstance(m, nn.Conv2d))
            module = nn.Conv2d(
                conv.in_channels,
                conv.out_channels,
                conv.kernel_size,
                conv.stride,
                conv.padding,
                conv.dilation,
                bias=False,
            )
            module.weight.data.fill_(1.0)
        else:
            module = nn.AvgPool2d(geo.kernel, geo.stride, geo.padding)
        layers.append((name, module))
    return layers


def _gradient_boxes(model: LeNet, cell: Cell) -> dict:
    x = torch.rand(1, 1, 28, 28, requires_grad=True)
    outputs, h = {"input": x}, x
    for name, module in _surrogate(model):
        h = module(h)
        h.retain_grad()
        outputs[name] = h
    target = (
        outputs[cell.layer][0, cell.channel]
        if cell.layer in ("F6", "output")
        else outputs[cell.layer][0, cell.channel, cell.row, cell.col]
    )
    target.backward()
    boxes = {}
    for name, out in outputs.items():
        if out.grad is None or out.dim() != 4:
            continue
        support = np.argwhere(out.grad[0].abs().sum(0).numpy() > 0)
        if len(support):
            (top, left), (bottom, right) = support.min(0), support.max(0)
            boxes[name] = (int(top), int(left), int(bottom), int(right))
    return boxes


@pytest.mark.parametrize("variant", [*VARIANTS, "dilated"])
def test_receptive_fields_equal_a_one_hot_gradient(variant):
    model = _model(variant)
    acts = _forward(model, torch.zeros(1, 1, 28, 28))
    rng = np.random.default_rng(2)
    for cell in _random_cells(shapes(acts), rng, per_layer=4):
        fields = receptive_fields(model, cell, (28, 28))
        want = _gradient_boxes(model, cell)
        got = {name: box for name, box in fields.items() if name in want}
        assert got == want, cell
        assert "input" in fields


def test_c3_sees_5x5_of_s2_and_10x10_of_c1():
    fields = receptive_fields(_model("shipped"), Cell("C3", 4, 3, 7), (28, 28))
    assert fields["S2"] == (3, 7, 7, 11)
    assert fields["C1"] == (6, 14, 15, 23)
    assert fields["input"] == (4, 12, 17, 25)  # 14x14 through C1's 5x5 with padding 2
    c5 = receptive_fields(_model("shipped"), Cell("C5", 0), (28, 28))
    assert c5["input"] == (0, 0, 27, 27)


def test_parse_cell_ignores_what_does_not_exist():
    acts = _forward(_model("shipped"), torch.zeros(1, 1, 28, 28))
    layer_shapes = shapes(acts)
    assert parse_cell({"layer": "C3", "channel": 4, "row": 3, "col": 7}, layer_shapes) == Cell("C3", 4, 3, 7)
    assert parse_cell({"layer": "F6", "channel": 83}, layer_shapes) == Cell("F6", 83)
    assert parse_cell({"layer": "C5", "channel": 119, "row": 0, "col": 0}, layer_shapes) == Cell("C5", 119)
    assert parse_cell({"layer": "output", "channel": 9, "row": 5, "col": 5}, layer_shapes) == Cell("output", 9)
    for bad in (
        None,
        "C3",
        [],
        {},
        {"layer": "C7", "channel": 0},
        {"layer": "C3", "channel": 16, "row": 0, "col": 0},
        {"layer": "C3", "channel": 0, "row": 10, "col": 0},
        {"layer": "C3", "channel": -1, "row": 0, "col": 0},
        {"layer": "C3", "channel": True, "row": 0, "col": 0},
        {"layer": "C3", "channel": 1.5, "row": 0, "col": 0},
        {"layer": "C3", "channel": "x", "row": 0, "col": 0},
        {"layer": "C1", "channel": 0, "row": None, "col": 0},
        {"layer": "output", "channel": 10},
        {"layer": ["C1"], "channel": 0},
    ):
        assert parse_cell(bad, layer_shapes) is None, bad


@pytest.mark.parametrize("shape", [(6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 5, 5), (120, 1, 1), (84,), (10,)])
def test_a_click_picks_the_cell_under_it(shape):
    from lenet.figures.trace import cell_at, pick_image, pick_layout

    layout = pick_layout(shape)
    height, width = layout.size
    image = pick_image(np.random.default_rng(0).random(shape), "viridis", layout)
    assert image.shape == (height, width, 3) and width <= 700
    rng = np.random.default_rng(3)
    for _ in range(50):
        channel = int(rng.integers(shape[0]))
        row, col = (0, 0) if layout.vector else (int(rng.integers(shape[1])), int(rng.integers(shape[2])))
        tile_r, tile_c = divmod(channel, layout.cols)
        x = (tile_c * (layout.tile_w + 1) + (0 if layout.vector else col) + 0.5) * layout.scale
        y = (tile_r * (layout.tile_h + 1) + (0 if layout.vector else row) + 0.5) * layout.scale
        assert cell_at(layout, x, y, width, height) == (channel, row, col)
        # the browser may show it at another size: the click is scaled back
        assert cell_at(layout, x * 0.5, y * 0.5, width * 0.5, height * 0.5) == (channel, row, col)
    gutter_x = (layout.tile_w + 0.5) * layout.scale  # between the first two tiles
    if layout.cols > 1:
        assert cell_at(layout, gutter_x, 1, width, height) is None
    assert cell_at(layout, -1, 1, width, height) is None
    assert cell_at(layout, width + 1, 1, width, height) is None
    assert cell_at(layout, 1, 1, 0, 0) is None


def test_receptive_field_pictures_outline_the_box():
    from lenet.figures.trace import OUTLINE, field_pictures

    model = _model("shipped")
    x = torch.rand(1, 1, 28, 28)
    acts = _forward(model, x)
    cell = Cell("C3", 4, 3, 7)
    fields = receptive_fields(model, cell, (28, 28))
    image = (x[0, 0].numpy() * 255).astype(np.uint8)
    pictures = field_pictures(image, acts, fields, "viridis", {"C3": 4}, px=140)
    assert list(pictures) == ["input", "C1", "S2", "C3"]
    rgb, _ = pictures["input"]
    scale = 140 // 28
    top, left, bottom, right = fields["input"]
    assert tuple(rgb[top * scale, left * scale]) == OUTLINE
    assert tuple(rgb[bottom * scale + scale - 1, right * scale + scale - 1]) == OUTLINE
    assert pictures["C3"][1] == 4


def test_the_player_precomputes_every_position_and_plays_at_ten_frames_a_second():
    from lenet.figures.trace import player_figure

    model = _model("shipped")
    geo = geometry(model.named_layers()["C3"])
    windows = np.array([geo.window(r, c) for r in range(10) for c in range(10)])
    assert tuple(windows[0]) == (0, 0, 4, 4) and tuple(windows[-1]) == (9, 9, 13, 13)
    labels = {k: k for k in ("input", "output", "play", "pause", "position")}
    fig = player_figure(np.random.rand(14, 14), np.random.rand(10, 10), windows, labels, "viridis")
    assert len(fig.frames) == 100
    play = fig.layout.updatemenus[0].buttons[0].args[1]
    assert play["frame"]["duration"] <= 100  # ms per frame: at least 10 frames a second, all in the browser


# --- any network of the list vocabulary (#29): lenet.netmodel.Net, its blocks named by the list ---------------------


def _randomise_batch_norm(model: nn.Module) -> None:
    """Statistics a trained model would have, not the identity (BatchNorm2d after maps, BatchNorm1d after fc)."""
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)


def _random_net(text: str, seed: int, input_norm=None):
    from lenet.netmodel import Net

    torch.manual_seed(seed)
    model = Net(text, input_norm=input_norm)
    _randomise_batch_norm(model)
    return model.eval()


def _random_units(layer_shapes: dict, rng: np.random.Generator, n: int):
    names = list(layer_shapes)
    for _ in range(n):
        name = names[int(rng.integers(len(names)))]
        yield Cell(name, *(int(rng.integers(k)) for k in layer_shapes[name]))


def _value_of(acts: dict, cell: Cell) -> float:
    act = acts[cell.layer]
    return float(act[cell.channel] if act.ndim == 1 else act[cell.channel, cell.row, cell.col])


def test_the_trace_of_any_network_equals_its_activations():
    """20 random lists (lenet.netspec's vocabulary, built by lenet.netmodel.Net): 10 random units each, traced from
    the block before with the model's own modules, equal forward_with_activations to 1e-4."""
    from test_netmodel import random_nets

    rng = np.random.default_rng(29)
    kinds, agreed = set(), 0
    for i, text in enumerate(random_nets(20, seed=2029)):
        model = _random_net(text, i, input_norm=(0.0, 1.0) if i % 5 == 4 else None)
        x = torch.randn(1, 1, 28, 28)
        acts = _forward(model, x)
        assert list(acts) == list(model.names)
        for cell in _random_units(shapes(acts), rng, 10):
            got = trace(model, x.numpy(), acts, cell)
            assert got.value == pytest.approx(_value_of(acts, cell), abs=1e-4), (text, cell)
            step = got.step
            kinds.add(step.kind)
            kinds.update(s["op"] for s in step.post)
            if step.kind == "conv":
                assert step.products.sum() == pytest.approx(step.total, abs=1e-9)
                assert step.pre_activation == pytest.approx(step.total + step.bias)
            if step.kind == "fc":
                listed = sum(r[3] for r in step.up + step.down)
                assert listed + step.others == pytest.approx(step.total, abs=1e-6)
                assert (step.softmax is not None) == (cell.layer == model.names[-1])
            if step.kind == "pool":
                assert step.post or step.pooled == step.value
            assert cell.layer in got.fields or len(acts[cell.layer].shape) == 1
            agreed += 1
    assert agreed == 200
    assert {"conv", "pool", "fc", "bn", "relu"} <= kinds, kinds


@pytest.mark.parametrize(
    "text",
    [
        "relu,bn,c4k3psame,gelu,drop0.25,mp2,sigmoid,c6k3s2p1d2,bn,tanh,ap2s1,fc16,bn,gelu,drop0.5,fc10",
        "tiny",
        "allconv",
        "lenet5-1998",
        "fc32,relu,fc10",
    ],
)
def test_every_step_of_a_list_is_traced(text):
    """Each kind of the vocabulary, everywhere it may stand (a block of batch norm and activations at the start,
    pooling with an activation after it, batch norm after fc, an fc on the input itself), in every cell of every
    block of small lists and the presets: the traced value is the model's."""
    model = _random_net(text, 0, input_norm=(0.1, 0.5) if text.startswith("fc") else None)  # an imported model's
    x = torch.randn(1, 1, 28, 28)
    acts = _forward(model, x)
    rng = np.random.default_rng(0)
    for cell in _random_units(shapes(acts), rng, 60):
        got = trace(model, x.numpy(), acts, cell)
        assert got.value == pytest.approx(_value_of(acts, cell), abs=1e-4), cell


def _surrogate_net(model) -> list[tuple[str, nn.Module]]:
    """Any network's geometry with nothing that hides a path, block by block (as _surrogate for LeNet)."""
    from lenet.trace import block_parts

    layers = []
    for name, block in model.named_layers().items():
        head, _ = block_parts(block)
        if isinstance(head, nn.Linear):
            module = nn.Sequential(nn.Flatten(), nn.Linear(head.in_features, head.out_features, bias=False))
            module[1].weight.data.fill_(1.0)
            if layers and isinstance(layers[-1][1], nn.Sequential):
                module = module[1]  # a vector already
        elif isinstance(head, nn.Conv2d):
            module = nn.Conv2d(
                head.in_channels,
                head.out_channels,
                head.kernel_size,
                head.stride,
                head.padding,
                head.dilation,
                bias=False,
            )
            module.weight.data.fill_(1.0)
        elif head is not None:
            module = nn.AvgPool2d(head.kernel_size, head.stride)
        else:
            module = nn.Identity()
        layers.append((name, module))
    return layers


def test_receptive_fields_of_any_network_equal_a_one_hot_gradient():
    from test_netmodel import random_nets

    rng = np.random.default_rng(5)
    for i, text in enumerate(random_nets(20, seed=2030)):
        model = _random_net(text, i)
        acts = _forward(model, torch.zeros(1, 1, 28, 28))
        for cell in _random_units(shapes(acts), rng, 5):
            fields = receptive_fields(model, cell, (28, 28))
            x = torch.rand(1, 1, 28, 28, requires_grad=True)
            outputs, h = {"input": x}, x
            for name, module in _surrogate_net(model):
                h = module(h)
                h.retain_grad()
                outputs[name] = h
            out = outputs[cell.layer][0]
            (out[cell.channel] if out.dim() == 1 else out[cell.channel, cell.row, cell.col]).backward()
            want = {}
            for name, value in outputs.items():
                if value.grad is None or value.dim() != 4:
                    continue  # after the cell, or a vector
                support = np.argwhere(value.grad[0].abs().sum(0).numpy() > 0)
                if len(support):
                    (top, left), (bottom, right) = support.min(0), support.max(0)
                    want[name] = (int(top), int(left), int(bottom), int(right))
            assert dict(fields) == want, (text, cell)
            order = ["input", *model.names]
            assert list(fields) == sorted(fields, key=order.index)


# --- the Draw page traces any network: a unit of each block of a preset's checkpoint (AppTest) -----------------------

RICH = "relu,c4k3psame,bn,gelu,mp2,relu,c6k3s2d2,drop0.25,fc16,bn,drop0.5,tanh,fc10"  # every kind of step, on a page


@pytest.fixture(scope="module")
def net_checkpoints(tmp_path_factory) -> dict[str, str]:
    from lenet import checkpoints
    from lenet.netmodel import Net

    runs = tmp_path_factory.mktemp("runs")
    paths = {}
    for i, text in enumerate(("tiny", RICH)):
        model = _random_net(text, i)
        paths[text] = str(checkpoints.save_checkpoint(model, runs / f"net{i}.safetensors"))
        assert Net(text).names == checkpoints.load_checkpoint(paths[text])[0].names
    return paths


def _page_keys(path: str, rgba: np.ndarray, rng: np.random.Generator):
    """A random cell of every block of the checkpoint's model, as `trace` keys, and the model's values for them."""
    from lenet import checkpoints
    from lenet.explain import explain
    from lenet.preprocess import canvas_to_input

    model, _ = checkpoints.load_checkpoint(path)
    insp = explain(model.eval(), canvas_to_input(rgba).input)
    assert list(insp.activations) == list(model.names)
    for name, act in insp.activations.items():
        cell = next(_random_units({name: act.shape}, rng, 1))
        key = cell.as_key(act.ndim == 1)
        yield key, _value_of(insp.activations, cell)


@pytest.mark.parametrize(("net", "language"), [("tiny", "en"), ("tiny", "zh"), (RICH, "en")])
def test_the_draw_page_traces_a_unit_of_any_network(net_checkpoints, monkeypatch, net, language):
    """`trace` set to a cell of each block of a Net checkpoint (conv1, pool1, ..., output): the `trace` container
    states the model's value, the layer's pill is picked, and the window player plays on maps."""
    from apptest import block_text, open_app
    from strokes import digit_strokes, render

    from lenet.i18n import t

    path = net_checkpoints[net]
    monkeypatch.setenv("LENET_RUNS_DIR", str(__import__("pathlib").Path(path).parent))
    rgba = render(digit_strokes(3, None))
    at = open_app(language=language, model=path, draw_injected_rgba=rgba)
    assert not at.exception and at.session_state["model"] == path
    assert block_text(at, "trace") is None  # nothing picked yet
    keys = list(_page_keys(path, rgba, np.random.default_rng(7)))
    for key, value in keys:
        at.session_state["trace"] = key
        at.run()
        assert not at.exception, (key, [e.value for e in at.exception])
        text = block_text(at, "trace")
        assert text is not None, key
        assert t("trace.value", language, value=f"{value:.4f}") in text, (key, text[:300])
        assert at.session_state["trace"] == key and at.button_group(key="trace_layer").value == key["layer"]
    if language != "en":
        return  # AppTest formats the tools' pills outside a script run, in English (tests/apptest.py)
    at.session_state["trace"] = next(key for key, _ in keys if "row" in key and key["layer"] != "relu")
    at.button_group(key="trace_tools").select("player").run()
    assert not at.exception and at.get("plotly_chart")
