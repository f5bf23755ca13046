"""Bring your own model (issue 29): ONNX files exported by real torch import with the same logits; Keras-style
graphs import; hostile files are refused in one sentence (en and zh), never with a traceback; the Train page's
upload (AppTest)."""

from __future__ import annotations

import io
import json
import random
import re
import string
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn as nn
from onnx import TensorProto, helper, numpy_helper

from lenet import data, netspec, onnx_import
from lenet.checkpoints import DEFAULT_CHECKPOINT, CheckpointError, load_checkpoint
from lenet.i18n import STRINGS, t_error
from lenet.i18n import onnx_import as import_strings

ROOT = Path(__file__).resolve().parent.parent
TOLERANCE = 1e-5  # the bar for logits


# --- random networks of the vocabulary, as plain torch modules --------------------------------------------


def _random_layers(rng: random.Random) -> list[str]:
    """A valid list drawn at random: a few conv blocks (conv, maybe bn, an activation, maybe pooling), fcs."""
    while True:
        layers = []
        for _ in range(rng.randint(1, 3)):
            k = rng.choice((1, 2, 3, 5))
            pad = rng.choice(("", "p1", "p2", "psame" if k > 1 else ""))
            stride = rng.choice(("", "", "s2"))
            dilation = rng.choice(("", "", "d2"))
            layers.append(f"c{rng.randint(2, 8)}k{k}{stride}{'' if pad == 'psame' and stride else pad}{dilation}")
            if rng.random() < 0.4:
                layers.append("bn")
            layers.append(rng.choice(("relu", "tanh", "sigmoid", "gelu")))
            if rng.random() < 0.5:
                layers.append(rng.choice(("mp2", "ap2", "mp3s2", "ap3s1")))
            if rng.random() < 0.2:
                layers.append("drop0.25")
        for _ in range(rng.randint(0, 2)):
            layers += [f"fc{rng.randint(8, 40)}", rng.choice(("relu", "gelu", "tanh"))]
            if rng.random() < 0.3:
                layers.append("bn")
        layers.append("fc10")
        try:
            return netspec.parse(",".join(layers)).layers
        except netspec.NetSpecError:
            continue


def _torch_model(layers) -> nn.Sequential:
    """The list as torch layers written out here (not lenet.netmodel), with random bn statistics."""
    modules, shape = [], (1, 28, 28)
    for i, layer in enumerate(layers):
        before_bn = i + 1 < len(layers) and layers[i + 1].kind == "bn"
        if layer.kind == "conv":
            module = nn.Conv2d(shape[0], layer.size, layer.kernel, layer.stride, layer.padding, layer.dilation)
            module.bias = None if before_bn else module.bias
        elif layer.kind == "fc":
            module = nn.Sequential(nn.Flatten(), nn.Linear(int(np.prod(shape)), layer.size))
        elif layer.kind == "bn":
            module = nn.BatchNorm2d(shape[0]) if len(shape) == 3 else nn.BatchNorm1d(shape[0])
            for t in (module.running_mean, module.bias):
                t.data.uniform_(-0.5, 0.5)
            for t in (module.running_var, module.weight):
                t.data.uniform_(0.5, 2.0)
        elif layer.kind == "maxpool":
            module = nn.MaxPool2d(layer.kernel, layer.stride)
        elif layer.kind == "avgpool":
            module = nn.AvgPool2d(layer.kernel, layer.stride)
        elif layer.kind == "dropout":
            module = nn.Dropout(layer.p)
        else:
            module = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU}[layer.kind]()
        modules.append(module)
        with torch.no_grad():
            shape = tuple(nn.Sequential(*modules).eval()(torch.zeros(1, 1, 28, 28)).shape[1:])
    return nn.Sequential(*modules).eval()


def _export(model: nn.Module, dynamo: bool = False, **options) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy exporter's DeprecationWarning
        torch.onnx.export(model, (torch.zeros(1, 1, 28, 28),), buf, dynamo=dynamo, **options)
    return buf.getvalue()


def _logits_gap(model: nn.Module, imported: onnx_import.ImportedModel, seed: int = 0) -> float:
    """The largest difference in logits between the exported module on pixels in 0..1 and the imported Net
    on the same pixels MNIST-normalised, as the app feeds every model."""
    pixels = torch.rand(8, 1, 28, 28, generator=torch.Generator().manual_seed(seed))
    net = onnx_import.build(imported)
    with torch.no_grad():
        return float((model(pixels) - net((pixels - data.MEAN) / data.STD)).abs().max())


# The legacy TorchScript exporter (dynamo=False) still exists in torch 2.14 and needs no onnxscript. Opset 17
# writes GELU as its erf formula (Div, Erf, Add, Mul, Mul), opset 20 as Gelu; constant folding fuses a bn into
# the conv before it, and without it BatchNormalization stays an operator of its own.
EXPORTS = [{"opset_version": 17}, {"opset_version": 20, "do_constant_folding": False}, {"opset_version": 18}]


@pytest.mark.parametrize("seed", range(20))
def test_random_networks_exported_by_torch_import_with_the_same_logits(seed):
    rng = random.Random(seed)
    layers = _random_layers(rng)
    torch.manual_seed(seed)
    model = _torch_model(layers)
    options = EXPORTS[seed % len(EXPORTS)]
    imported = onnx_import.read_onnx(_export(model, **options), input_norm="unit")
    assert _logits_gap(model, imported, seed) <= TOLERANCE, (netspec.NetSpec(layers).text, imported.net)
    if options.get("do_constant_folding") is False:  # nothing fused: the list itself comes back (less dropout)
        assert imported.net == ",".join(layer.text for layer in layers if layer.kind != "dropout")


def test_the_default_exporter_of_this_torch_imports_too():
    """torch.onnx.export's default since 2.9 (dynamo=True, through onnxscript): Reshape and a static batch of 1;
    unoptimised, a conv without bias gets its zeros through Shape, Expand and CastLike."""
    pytest.importorskip("onnxscript", reason="the dynamo exporter needs onnxscript (requirements-dev.txt)")
    text = "c6k5p2,bn,gelu,mp2,c16k5,relu,ap2,fc32,relu,fc10"
    model = _torch_model(netspec.parse(text).layers)
    for optimize in (True, False):
        imported = onnx_import.read_onnx(_export(model, dynamo=True, optimize=optimize), input_norm="unit")
        assert _logits_gap(model, imported) <= TOLERANCE
        assert imported.net == (text if not optimize else text.replace(",bn", ""))  # optimised: bn fused


# --- Keras-style graphs written with onnx.helper ----------------------------------------------------------


def _keras_graph(
    rng: np.random.Generator, flatten_transposed: bool = True, with_transpose: bool = True, norm="unit"
) -> tuple[bytes, dict]:
    """What tf2onnx writes for a Keras CNN: NHWC input, a Transpose to NCHW, Conv, Relu, MaxPool, a Transpose
    back to NHWC, Reshape (Keras flattens height, width, channels), MatMul, Add, Softmax."""
    w = rng.standard_normal((4, 1, 3, 3)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    fc_w = (rng.standard_normal((13 * 13 * 4, 10)) * 0.1).astype(np.float32)
    fc_b = rng.standard_normal(10).astype(np.float32)
    nodes = [helper.make_node("Transpose", ["input"], ["nchw"], perm=[0, 3, 1, 2])] if with_transpose else []
    nodes += [
        helper.make_node("Conv", ["nchw" if with_transpose else "input", "w", "b"], ["conv"], kernel_shape=[3, 3]),
        helper.make_node("Relu", ["conv"], ["relu"]),
        helper.make_node("MaxPool", ["relu"], ["pool"], kernel_shape=[2, 2], strides=[2, 2]),
    ]
    if flatten_transposed:
        nodes.append(helper.make_node("Transpose", ["pool"], ["nhwc"], perm=[0, 2, 3, 1]))
    nodes += [
        helper.make_node("Reshape", ["nhwc" if flatten_transposed else "pool", "shape"], ["flat"]),
        helper.make_node("MatMul", ["flat", "fc_w"], ["mm"]),
        helper.make_node("Add", ["mm", "fc_b"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probs"], axis=-1),
    ]
    inits = [
        numpy_helper.from_array(w, "w"),
        numpy_helper.from_array(b, "b"),
        numpy_helper.from_array(fc_w, "fc_w"),
        numpy_helper.from_array(fc_b, "fc_b"),
        numpy_helper.from_array(np.array([-1, 13 * 13 * 4], dtype=np.int64), "shape"),
    ]
    graph = helper.make_graph(
        nodes,
        "keras_cnn",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["unk__0", 28, 28, 1])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["unk__0", 10])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    if norm:
        helper.set_model_props(model, {"input_norm": norm})
    return model.SerializeToString(), {"w": w, "b": b, "fc_w": fc_w, "fc_b": fc_b}


def _keras_logits(pixels_nhwc: torch.Tensor, weights: dict, flatten_transposed: bool) -> torch.Tensor:
    """The Keras graph's logits computed step by step in torch, as its ONNX operators define them."""
    t = {k: torch.from_numpy(v) for k, v in weights.items()}
    x = torch.nn.functional.conv2d(pixels_nhwc.permute(0, 3, 1, 2), t["w"], t["b"])
    x = torch.nn.functional.max_pool2d(torch.relu(x), 2)
    x = x.permute(0, 2, 3, 1) if flatten_transposed else x
    return x.reshape(len(x), -1) @ t["fc_w"] + t["fc_b"]


@pytest.mark.parametrize("flatten_transposed", [True, False])
def test_a_keras_style_nhwc_graph_imports_with_the_same_logits(flatten_transposed):
    raw, weights = _keras_graph(np.random.default_rng(3), flatten_transposed)
    imported = onnx_import.read_onnx(raw, "keras.onnx")
    assert imported.net == "c4k3,relu,mp2,fc10" and imported.input_norm == (0.0, 1.0)  # from metadata_props
    pixels = torch.rand(6, 28, 28, 1)
    with torch.no_grad():
        mine = onnx_import.build(imported)((pixels.permute(0, 3, 1, 2) - data.MEAN) / data.STD)
    assert float((mine - _keras_logits(pixels, weights, flatten_transposed)).abs().max()) <= TOLERANCE


def test_a_conv_on_nhwc_without_its_transpose_is_refused_clearly():
    raw, _ = _keras_graph(np.random.default_rng(0), with_transpose=False)
    exc = _refused(raw, "onnx_layout")
    assert "Conv" in str(exc) and "NHWC" in str(exc)


# --- refusals --------------------------------------------------------------------------------------------


def _refused(raw: bytes, code: str, name: str = "model.onnx", **kw) -> onnx_import.ModelImportError:
    """The import of `raw` fails with `code`, and its sentence is whole in both languages."""
    with pytest.raises(onnx_import.ModelImportError) as info:
        onnx_import.import_bytes(raw, name, **kw)
    exc = info.value
    assert exc.code == code, (exc.code, str(exc))
    for lang in ("en", "zh"):
        text = t_error(exc, lang)
        assert text != str(exc) and "{" not in text and "\n" not in text, (lang, text)
    return exc


def _graph(nodes, inits=(), shape=(None, 1, 28, 28), output="out", **props) -> bytes:
    dims = ["N" if d is None else d for d in shape]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, dims)],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, None)],
        list(inits),
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    helper.set_model_props(model, props)
    return model.SerializeToString()


def _fc10(name: str = "out", source: str = "flat") -> tuple[list, list]:
    nodes = [helper.make_node("Flatten", ["x"], ["flat"]), helper.make_node("Gemm", [source, "W"], [name], transB=1)]
    return nodes, [numpy_helper.from_array(np.zeros((10, 784), np.float32), "W")]


def test_a_minimal_graph_imports_so_the_refusals_below_are_about_one_change():
    nodes, inits = _fc10()
    assert onnx_import.read_onnx(_graph(nodes, inits, input_norm="mnist")).net == "fc10"


@pytest.fixture(scope="module")
def small_onnx() -> bytes:
    torch.manual_seed(0)
    return _export(_torch_model(netspec.parse("tiny").layers))


def test_truncated_and_wrong_type_files_are_refused(small_onnx):
    for cut in (len(small_onnx) // 2, len(small_onnx) - 7, 40):
        with pytest.raises(onnx_import.ModelImportError) as info:
            onnx_import.import_bytes(small_onnx[:cut], "cut.onnx", "mnist")
        assert info.value.code in ("import_unreadable", "onnx_damaged"), (cut, info.value.code)
    _refused(b"\x89PNG\r\n\x1a\n" + bytes(200), "import_unreadable", "digit.png")
    _refused(b"just some text, not a model\n" * 20, "import_unreadable", "notes.txt")
    _refused(bytes(random.Random(1).randrange(256) for _ in range(4096)), "import_unreadable", "noise.onnx")
    _refused(b"", "import_empty")
    _refused(b"\x89HDF\r\n\x1a\n" + bytes(100), "import_keras", "model.h5")


def test_a_pytorch_pickle_is_never_opened_and_the_sentence_says_how_to_export(tmp_path):
    buf = io.BytesIO()
    torch.save(nn.Linear(784, 10).state_dict(), buf)
    for name in ("model.pt", "weights.pth", "model.onnx"):  # the bytes give it away whatever the name
        exc = _refused(buf.getvalue(), "import_pickle", name)
        assert "torch.onnx.export(" in str(exc) and "code" in str(exc)
        assert "torch.onnx.export(" in t_error(exc, "zh") and "代码" in t_error(exc, "zh")
    legacy = io.BytesIO()
    torch.save({"w": torch.zeros(3)}, legacy, _use_new_zipfile_serialization=False)
    _refused(legacy.getvalue(), "import_pickle", "old.pt")


def test_huge_dimensions_are_refused_before_anything_is_allocated():
    nodes, _ = _fc10()
    huge = TensorProto(name="W", data_type=TensorProto.FLOAT, dims=[100_000, 100_000], raw_data=b"\0" * 16)
    _refused(_graph(nodes, [huge]), "onnx_huge")
    liar = TensorProto(name="W", data_type=TensorProto.FLOAT, dims=[10, 784], raw_data=bytes(20))
    _refused(_graph(nodes, [liar]), "onnx_damaged")
    _, inits = _fc10()
    _refused(_graph(nodes, inits, shape=(1, 1, 100_000, 100_000)), "onnx_input_shape")
    _refused(_graph(nodes, inits, shape=(1, 3, 28, 28)), "onnx_input_shape")
    _refused(bytes(onnx_import.MAX_BYTES + 1), "import_too_large")


def test_external_data_is_refused_and_never_read(tmp_path):
    """A tensor whose data lives in another file: even one that exists and holds the right bytes is not read."""
    (tmp_path / "weights.bin").write_bytes(np.zeros((10, 784), np.float32).tobytes())
    nodes, _ = _fc10()
    outside = TensorProto(name="W", data_type=TensorProto.FLOAT, dims=[10, 784], data_location=TensorProto.EXTERNAL)
    for key, value in (("location", str(tmp_path / "weights.bin")), ("offset", "0"), ("length", "31360")):
        outside.external_data.add(key=key, value=value)
    exc = _refused(_graph(nodes, [outside], input_norm="unit"), "onnx_external")
    assert "W" in str(exc)
    relative = TensorProto(name="W", data_type=TensorProto.FLOAT, dims=[10, 784], data_location=TensorProto.EXTERNAL)
    relative.external_data.add(key="location", value="../../etc/passwd")
    _refused(_graph(nodes, [relative], input_norm="unit"), "onnx_external")


@pytest.mark.parametrize(
    "node, code, named",
    [
        (helper.make_node("LeakyRelu", ["flat"], ["act"]), "onnx_operator", "LeakyRelu"),
        (helper.make_node("Gelu", ["flat"], ["act"], approximate="tanh"), "onnx_gelu_tanh", "tanh"),
        (helper.make_node("Add", ["flat", "flat"], ["act"]), "onnx_chain", "Add"),  # a skip connection
        (helper.make_node("Softmax", ["flat"], ["act"]), "onnx_softmax", "Softmax"),
        (helper.make_node("Custom", ["flat"], ["act"], domain="com.example"), "onnx_operator", "com.example.Custom"),
        (helper.make_node("Reshape", ["flat", "shape"], ["act"]), "onnx_reshape", "Reshape"),
    ],
)
def test_unsupported_operators_are_named(node, code, named):
    """An operator between the flatten and the fc: refused, the sentence naming it."""
    nodes, inits = _fc10(source="act")
    inits.append(numpy_helper.from_array(np.array([-1, 392, 2], dtype=np.int64), "shape"))
    exc = _refused(_graph([nodes[0], node, nodes[1]], inits, input_norm="unit"), code)
    assert named in str(exc)


def test_unsupported_settings_are_named():
    w = numpy_helper.from_array(np.zeros((4, 1, 3, 3), np.float32), "w")
    fc = numpy_helper.from_array(np.zeros((10, 4 * 26 * 26), np.float32), "W")

    def conv(**attrs):
        nodes = [
            helper.make_node("Conv", ["x", "w"], ["c"], **attrs),
            helper.make_node("Flatten", ["c"], ["flat"]),
            helper.make_node("Gemm", ["flat", "W"], ["out"], transB=1),
        ]
        return _graph(nodes, [w, fc], input_norm="unit")

    assert onnx_import.read_onnx(conv()).net == "c4k3,fc10"
    assert "padding" in str(_refused(conv(pads=[1, 0, 0, 1]), "onnx_padding"))
    assert "strides" in str(_refused(conv(strides=[1, 2]), "onnx_nonsquare"))
    grouped = numpy_helper.from_array(np.zeros((4, 1, 3, 3), np.float32), "w")
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], group=2)]
    assert "group" in str(_refused(_graph(nodes, [grouped], shape=(1, 1, 28, 28)), "onnx_setting"))


def test_a_list_the_app_cannot_hold_is_explained_by_the_list_parser():
    """A chain that reads as layers but not as a list the app allows (the last layer is not fc10)."""
    nodes = [helper.make_node("Flatten", ["x"], ["flat"]), helper.make_node("Gemm", ["flat", "W"], ["out"], transB=1)]
    wide = numpy_helper.from_array(np.zeros((12, 784), np.float32), "W")
    with pytest.raises(netspec.NetSpecError) as info:
        onnx_import.import_bytes(_graph(nodes, [wide], input_norm="unit"), "m.onnx")
    assert "fc10" in str(info.value) or "10" in str(info.value)


def test_the_normalisation_is_asked_for_when_the_file_does_not_say(tmp_path, monkeypatch):
    monkeypatch.setenv("LENET_RUNS_DIR", str(tmp_path / "runs"))
    nodes, inits = _fc10()
    raw = _graph(nodes, inits)
    _refused(raw, "import_norm_needed")
    _refused(raw, "import_norm_invalid", input_norm="0.5,0")
    path, net, norm = onnx_import.import_bytes(raw, "m.onnx", "0.5,0.25")
    assert (net, norm) == ("fc10", (0.5, 0.25)) and path.parent == tmp_path / "runs"
    model, _ = load_checkpoint(path)
    assert model.input_norm == (0.5, 0.25) and model.net == "fc10"


def test_every_refusal_code_has_words_in_both_languages():
    source = (ROOT / "lenet" / "onnx_import.py").read_text()
    codes = set(re.findall(r'"((?:import|onnx)_[a-z_]+)"', source)) - {"onnx_import"}
    assert len(codes) >= 20
    assert not sorted(code for code in codes if f"error.{code}" not in STRINGS)
    fields = lambda text: {name for _, name, _, _ in string.Formatter().parse(text) if name}  # noqa: E731
    for key, entry in import_strings.STRINGS.items():
        assert entry["en"] and entry["zh"] and fields(entry["en"]) == fields(entry["zh"]), key


# --- checkpoints from another server, the CLI, the page ---------------------------------------------------


def test_the_apps_own_checkpoint_imports_and_a_tampered_one_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("LENET_RUNS_DIR", str(tmp_path / "runs"))
    raw = DEFAULT_CHECKPOINT.read_bytes()
    path, net, _ = onnx_import.import_bytes(raw, "lenet5.safetensors")
    assert net == netspec.NETWORKS["lenet5"] and path.read_bytes() == raw
    tampered = bytearray(raw)
    at = tampered.index(b"[6,1,5,5]")
    tampered[at : at + 9] = b"[6,1,5,4]"
    with pytest.raises(CheckpointError):
        onnx_import.import_bytes(bytes(tampered), "lenet5.safetensors")
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["lenet5.safetensors"]  # no temporary left


def _cli(*args, env_runs: Path) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "LENET_RUNS_DIR": str(env_runs), "HOME": str(env_runs)}
    return subprocess.run(
        [sys.executable, "-m", "lenet", "import", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_cli_imports_and_refuses_in_one_line(tmp_path, small_onnx):
    good = tmp_path / "tiny.onnx"
    good.write_bytes(small_onnx)
    done = _cli(str(good), "--input-norm", "mnist", "--json", env_runs=tmp_path / "runs")
    assert done.returncode == 0, done.stderr
    line = json.loads(done.stdout)
    assert line["net"] == netspec.NETWORKS["tiny"] and Path(line["checkpoint"]).parent == tmp_path / "runs"
    pickle = tmp_path / "model.pt"
    torch.save({"w": torch.zeros(2)}, pickle)
    bad = tmp_path / "cut.onnx"
    bad.write_bytes(small_onnx[:100])
    for path, words in ((pickle, "torch.onnx.export("), (bad, "cut.onnx"), (good, "--input-norm")):
        refused = _cli(str(path), "--json", env_runs=tmp_path / "runs")
        assert refused.returncode != 0 and refused.stdout == ""
        assert refused.stderr.startswith("error: ") and refused.stderr.count("\n") == 1, refused.stderr
        assert words in refused.stderr and "Traceback" not in refused.stderr


def test_the_train_page_imports_an_upload_and_refuses_a_pickle_in_chinese(tmp_path, monkeypatch, small_onnx):
    from apptest import open_app

    monkeypatch.setenv("LENET_RUNS_DIR", str(tmp_path / "runs"))
    at = open_app("pages/train.py", train_injected_model={"name": "tiny.onnx", "data": small_onnx})
    assert not at.exception and not at.success
    assert [e.value for e in at.error if "normalised" in e.value]  # the file does not say: the page asks
    at.radio(key="train_import_norm").set_value("unit").run()
    assert not at.exception
    assert [s.value for s in at.success if "Imported tiny" in s.value], [e.value for e in at.error]
    assert [c.value for c in at.code] == [netspec.NETWORKS["tiny"]]
    at.button(key="train_import_use").click().run()
    assert at.session_state["model"].endswith("tiny.safetensors") and not at.exception
    buf = io.BytesIO()
    torch.save({"w": torch.zeros(2)}, buf)
    at = open_app("pages/train.py", "zh", train_injected_model={"name": "model.pth", "data": buf.getvalue()})
    assert not at.exception and not at.success
    assert [e.value for e in at.error if "torch\\.onnx\\.export" in e.value and "代码" in e.value]
