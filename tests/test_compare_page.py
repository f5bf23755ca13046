"""The Compare page (#29): two models read the same drawing, their blocks aligned row by row. AppTest with real
checkpoints (LeNet-5 and its all-conv twin trained a few steps on the tests' tiny MNIST, real torch) and an imported
ONNX model, in both languages; the alignment and the sentences of lenet.figures.compare checked on their own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
from apptest import block_text, open_app
from strokes import digit_strokes, render
from test_onnx_import import _export
from tiny_mnist import write_tiny_mnist

from lenet import checkpoints, data, netspec, onnx_import
from lenet.figures import compare
from lenet.i18n import t
from lenet.train import TrainConfig, fit

DRAWN = render(digit_strokes(3))


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, str]:
    """lenet5 and allconv trained 12 steps, an imported ONNX model and one whose weights do not fit its list."""
    runs = tmp_path_factory.mktemp("runs")
    mnist = data.load_mnist(write_tiny_mnist(tmp_path_factory.mktemp("mnist")))
    paths = {}
    for name in ("lenet5", "allconv"):
        result = fit(name, TrainConfig(max_steps=12, batch_size=64, seed=1), data=mnist)
        paths[name] = str(checkpoints.save_checkpoint(result.model, runs / f"{name}-run.safetensors"))
    source = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, stride=2), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(676, 10)
    ).eval()
    raw = _export(source)
    paths["imported"] = str(onnx_import.import_bytes(raw, "mine.onnx", "mnist", out=runs / "mine.safetensors")[0])
    from safetensors.torch import save_file

    broken = runs / "broken.safetensors"  # a header that reads, weights that do not fit `tiny`
    save_file(
        {"layers.0.weight": torch.zeros(3, 3)}, str(broken), metadata={"format": "lenet-explorer/1", "net": "tiny"}
    )
    paths["broken"] = str(broken)
    return paths


@pytest.fixture
def runs_env(models, monkeypatch):
    monkeypatch.setenv("LENET_RUNS_DIR", str(Path(models["lenet5"]).parent))
    return models


def _rows(at) -> list[tuple[str, str, str]]:
    """(A's block, B's block, same shape) of every row in compare_layers."""
    text = block_text(at, "compare_layers") or ""
    return re.findall(r'class="compare-row" data-a="([^"]*)" data-b="([^"]*)" data-same="(\d)"', text)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_lenet5_against_its_all_conv_twin(runs_env, language):
    """The link's ?a=&b= picks both; the rows face C1 ... output; S2 and S4 say pooling against strides."""
    query = {"a": "lenet5-run", "b": "allconv-run"}
    at = open_app("pages/compare.py", language, query=query, draw_injected_rgba=DRAWN)
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="compare_model_a").value == runs_env["lenet5"]
    assert at.selectbox(key="compare_model_b").value == runs_env["allconv"]
    assert _rows(at) == [(n, n, "1") for n in netspec.TEXTBOOK_NAMES]  # every shape agrees: all compared
    answer = block_text(at, "compare_answer")
    assert len(re.findall(r'class="compare-digit"[^>]*>(\d)<', answer)) == 2
    layers = block_text(at, "compare_layers")
    strides = t("compare.row.strides", language, pooled="A (lenet5-run)", strided="B (allconv-run)")
    assert layers.count(strides) == 2, layers  # S2 and S4
    assert any(
        t("compare.strides", language, pooled="A (lenet5-run)", strided="B (allconv-run)") == i.value for i in at.info
    )
    assert "Springenberg" in " ".join(i.value for i in at.info)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_an_imported_model_against_the_shipped_one(runs_env, language):
    """Shapes that differ are shown with both shapes and why; the pickers follow the sidebar; the link follows."""
    at = open_app("pages/compare.py", language, model=runs_env["imported"], draw_injected_rgba=DRAWN)
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="compare_model_a").value == runs_env["imported"]
    at.selectbox(key="compare_model_b").set_value(str(checkpoints.DEFAULT_CHECKPOINT)).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.query_params["a"] == "mine" and at.query_params["b"] == "lenet5"
    rows = _rows(at)
    assert rows[0] == ("conv1", "C1", "0") and rows[-1] == ("output", "output", "1"), rows
    assert ("", "F6", "0") in rows  # B's blocks beyond A's are shown alone
    layers = block_text(at, "compare_layers")
    differ = t("compare.why.size", language, a="13×13", b="28×28")
    assert differ in layers, layers


def test_a_model_that_fails_to_load_is_explained(runs_env):
    at = open_app("pages/compare.py", "en", draw_injected_rgba=DRAWN)
    at.selectbox(key="compare_model_b").set_value(runs_env["broken"]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Model B cannot be read" in e.value and "do not fit" in e.value for e in at.error), at.error
    assert block_text(at, "compare_layers") is not None and not _rows(at)


def test_nothing_drawn_reads_nothing(runs_env):
    at = open_app("pages/compare.py", "zh")
    assert not at.exception
    assert t("compare.answer.nothing", "zh") in block_text(at, "compare_answer")
    assert "compare-digit" not in block_text(at, "compare_answer") and not _rows(at)


def test_alignment_by_name_then_in_order():
    pairs = compare.align(["C1", "S2", "C3", "S4", "C5", "F6", "output"], ["conv1", "pool1", "conv2", "output"])
    assert pairs == [(0, 0), (1, 1), (2, 2), (3, None), (4, None), (5, None), (6, 3)]
    assert compare.align(["a", "x", "b"], ["a", "b"]) == [(0, 0), (1, None), (2, 1)]
    assert compare.pools_by_striding(netspec.parse("allconv"))
    assert not compare.pools_by_striding(netspec.parse("lenet5")) and compare.pools(netspec.parse("tiny"))
