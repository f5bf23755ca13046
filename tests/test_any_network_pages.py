"""Every page works for any network of the list vocabulary (#29): the presets' checkpoints and an imported ONNX
model, in both languages, with a drawing read on the Draw page. AppTest, real checkpoints, real torch."""

from __future__ import annotations

import io
import warnings

import pytest
import torch
from apptest import block_text, open_app
from strokes import digit_strokes, render

from lenet import checkpoints, netspec, onnx_import
from lenet.netmodel import Net

PAGES = [
    None,
    "pages/conv_lab.py",
    "pages/train.py",
    "pages/compare.py",
    "pages/evaluate.py",
    "pages/class.py",
    "pages/lesson.py",
]
PRESETS = ["tiny", "allconv", "lenet5-1998", "wide"]


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, str]:
    """A checkpoint per non-default preset and one imported from ONNX, in a runs folder the app lists."""
    runs = tmp_path_factory.mktemp("runs")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LENET_RUNS_DIR", str(runs))
        torch.manual_seed(0)
        paths = {}
        for name in PRESETS:
            paths[name] = str(checkpoints.save_checkpoint(Net(netspec.parse(name)), runs / f"{name}.safetensors"))
        source = torch.nn.Sequential(
            torch.nn.Conv2d(1, 4, 3),
            torch.nn.ReLU(),
            torch.nn.MaxPool2d(2),
            torch.nn.Flatten(),
            torch.nn.Linear(676, 10),
        ).eval()
        buf = io.BytesIO()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the legacy exporter's DeprecationWarning
            torch.onnx.export(source, (torch.zeros(1, 1, 28, 28),), buf, dynamo=False)
        path, _, _ = onnx_import.import_bytes(buf.getvalue(), "student.onnx", "unit", out=runs / "student.safetensors")
        paths["imported"] = str(path)
        yield paths


@pytest.fixture
def runs_env(models, monkeypatch):
    from pathlib import Path

    monkeypatch.setenv("LENET_RUNS_DIR", str(Path(models["tiny"]).parent))
    return models


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("name", [*PRESETS, "imported"])
def test_the_draw_page_reads_a_drawing_on_any_network(runs_env, name, language):
    at = open_app(None, language, model=runs_env[name], draw_injected_rgba=render(digit_strokes(3)))
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["model"] == runs_env[name]  # the picker kept the network, not the shipped model
    assert any(ch.isdigit() for ch in block_text(at, "prediction"))
    names = Net(netspec.parse(checkpoints.read_info(runs_env[name]).net)).names
    page = " ".join(m.body for m in at.markdown) + " ".join(getattr(h, "body", "") for h in at.get("html"))
    assert all(block in page for block in names if block != "output"), names


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("page", PAGES[1:])
def test_every_other_page_renders_on_every_preset_and_on_an_imported_model(runs_env, page, language):
    for name in [*PRESETS, "imported"]:
        at = open_app(page, language, model=runs_env[name])
        assert not at.exception, (name, [e.value for e in at.exception])
