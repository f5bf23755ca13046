"""The browser's engine (lenet/web/*.js) against the real thing: PyTorch's every block, in Node and in Chromium.

Python writes the cases (a network's weights through lenet.webweights, >= 200 inputs, and PyTorch's output of
every block for each) into a temporary folder; `node --test tests/js/` and a headless Chromium page compare
lenet/web/forward.js with them to 1e-4 absolute, with the same argmax (tests/js/parity.mjs does the comparing
for both).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from lenet.checkpoints import DEFAULT_CHECKPOINT, load_checkpoint
from lenet.config import LeNetConfig
from lenet.data import normalise
from lenet.model import LeNet
from lenet.preprocess import canvas_to_input
from lenet.webweights import checkpoint_weights, web_weights

ROOT = Path(__file__).resolve().parent.parent
NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="Node.js is not installed")

# One network for every option the Train page offers (activation x pooling) and the CLI's batch norm and
# dropout, with a 'same'-padded C1 of an even kernel (PyTorch pads the odd pixel after).
CONFIGS = {
    "tanh-avg": LeNetConfig(activation="tanh", pool="avg"),
    "sigmoid-none-bn": LeNetConfig(activation="sigmoid", pool="none", batch_norm=True),
    "relu-max-bn-dropout": LeNetConfig(batch_norm=True, dropout=0.3),
    "relu-none-same": LeNetConfig(pool="none", c1_kernel=4, c1_padding="same"),
}


def _inputs() -> np.ndarray:
    """>= 200 model inputs (N x 1 x 28 x 28 float32): drawings, MNIST digits, blanks and noise."""
    from strokes import drawn_digit_set

    drawn = [canvas_to_input(rgba).input for rgba, _, _ in drawn_digit_set(n_per_digit=10, seed=28)]
    mnist = normalise(np.load(ROOT / "assets" / "mnist_test_sample.npz")["images"][:80])
    rng = np.random.default_rng(28)
    blanks = normalise(np.stack([np.zeros((28, 28), np.uint8), np.full((28, 28), 255, np.uint8)]))
    noise = normalise(rng.integers(0, 256, (14, 28, 28), dtype=np.uint8))
    wild = rng.normal(0, 3, (6, 1, 28, 28)).astype(np.float32)  # far outside any image's range
    return np.concatenate([*drawn, mnist, blanks, noise, wild]).astype(np.float32)


@functools.cache
def inputs() -> np.ndarray:
    return _inputs()


def _with_statistics(model: torch.nn.Module, seed: int) -> torch.nn.Module:
    """Batch norm with running statistics and affine parameters far from the identity, so parity means something."""
    gen = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=gen) * 0.5)
            m.running_var.copy_(torch.rand(n, generator=gen) * 2 + 0.1)
            m.weight.data.copy_(torch.randn(n, generator=gen) * 0.5 + 1)
            m.bias.data.copy_(torch.randn(n, generator=gen) * 0.2)
    return model.eval()


def reference(model: torch.nn.Module, x: np.ndarray) -> dict[str, np.ndarray]:
    """PyTorch's output of every block (the pages' layers) and the probabilities, for a batch."""
    with torch.no_grad():
        logits, outputs = model.forward_with_activations(torch.from_numpy(x))
        out = {name: t.flatten(1).numpy() for name, t in outputs.items()}
        out["probs"] = torch.softmax(logits, 1).numpy()
    return out


def write_case(folder: Path, manifest: dict, blob: bytes, x: np.ndarray, expected: dict[str, np.ndarray]) -> Path:
    """One case as tests/js/forward.test.mjs reads it."""
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    (folder / "weights.bin").write_bytes(blob)
    (folder / "inputs.bin").write_bytes(np.ascontiguousarray(x, "<f4").tobytes())
    for name, values in expected.items():
        (folder / f"{name}.bin").write_bytes(np.ascontiguousarray(values, "<f4").tobytes())
    (folder / "expected.json").write_text(json.dumps({"outputs": list(expected)}))
    return folder


@pytest.fixture(scope="module")
def cases(tmp_path_factory) -> Path:
    """The shipped checkpoint and one network per option, each with PyTorch's answers on the same inputs."""
    root = tmp_path_factory.mktemp("web-cases")
    x = inputs()
    shipped, _ = load_checkpoint(DEFAULT_CHECKPOINT)
    write_case(root / "shipped", *checkpoint_weights(DEFAULT_CHECKPOINT), x, reference(shipped, x))
    for i, (name, config) in enumerate(CONFIGS.items()):
        torch.manual_seed(i)
        model = _with_statistics(LeNet(config), i)
        write_case(root / name, *web_weights(model), x, reference(model, x))
    return root


def run_node(cases_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [NODE, "--test", "--test-reporter=spec", *sorted(str(p) for p in (ROOT / "tests" / "js").glob("*.test.mjs"))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "LENET_WEB_CASES": str(cases_dir)},
    )


def test_enough_inputs_of_every_kind():
    x = inputs()
    assert len(x) >= 200 and x.shape[1:] == (1, 28, 28)
    # not all alike: drawings and MNIST digits differ from the blanks
    assert len({round(float(v), 3) for v in x.reshape(len(x), -1).std(1)}) > 150


@needs_node
def test_node_parity(cases):
    """Every block of every case within 1e-4 of PyTorch, with the same argmax, under Node."""
    proc = run_node(cases)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    for name in ("shipped", *CONFIGS):
        assert f"forward.js equals PyTorch: {name}" in proc.stdout


@needs_node
def test_node_parity_fails_when_a_weight_is_off(cases, tmp_path):
    """The comparison can fail: one C3 weight nudged by 0.01 breaks parity on the blocks after it."""
    case = tmp_path / "cases" / "nudged"
    shutil.copytree(cases / "shipped", case)
    manifest = json.loads((case / "manifest.json").read_text())
    offset = next(e for e in manifest["layers"] if e["block"] == "C3" and e["kind"] == "conv")["weight"]["offset"]
    blob = bytearray((case / "weights.bin").read_bytes())
    blob[offset : offset + 4] = (np.frombuffer(blob, "<f4", 1, offset) + np.float32(0.01)).tobytes()
    (case / "weights.bin").write_bytes(bytes(blob))
    proc = run_node(tmp_path / "cases")
    assert proc.returncode != 0
    assert "nudged: C3: " in proc.stdout  # the first block that fails is C3: C1 and S2 still agree


def test_manifest_of_the_shipped_checkpoint():
    manifest, blob = checkpoint_weights(DEFAULT_CHECKPOINT)
    assert manifest["blocks"] == ["C1", "S2", "C3", "S4", "C5", "F6", "output"]
    assert [e["kind"] for e in manifest["layers"]] == [
        *["conv", "relu", "maxpool", "conv", "relu", "maxpool", "conv", "relu"],
        *["dropout", "fc", "relu", "dropout", "fc"],
    ]
    assert manifest["layers"][0]["out"] == [6, 28, 28] and manifest["layers"][-1]["out"] == [10]
    assert (
        manifest["bytes"]
        == len(blob)
        == 4 * sum(p.numel() for p in load_checkpoint(DEFAULT_CHECKPOINT)[0].parameters())
    )
    assert manifest["name"] == "lenet5" and manifest["version"].isdigit()


def test_same_padding_and_blocks_of_a_plain_sequential():
    """Any model of the vocabulary's leaves: 'same' padding split as PyTorch does, blocks named by §4.7's rule."""
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 4, padding="same", dilation=2),
        torch.nn.GELU(),
        torch.nn.BatchNorm2d(4),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(4 * 14 * 14, 10),
    )
    manifest, _ = web_weights(model)
    conv = manifest["layers"][0]
    assert conv["padding"] == [3, 3, 3, 3] and conv["dilation"] == [2, 2]
    assert [e["block"] for e in manifest["layers"]] == ["conv1", "conv1", "conv1", "pool1", "output"]
    manifest, _ = web_weights(
        torch.nn.Sequential(torch.nn.Conv2d(1, 2, 2, padding="same"), torch.nn.Flatten(), torch.nn.Linear(1568, 10))
    )
    assert manifest["layers"][0]["padding"] == [0, 1, 0, 1]


@pytest.mark.parametrize(
    "layer",
    [
        torch.nn.Conv2d(1, 2, 3, groups=1, padding_mode="reflect"),
        torch.nn.MaxPool2d(2, ceil_mode=True),
        torch.nn.GELU("tanh"),
        torch.nn.LSTM(2, 2),
    ],
)
def test_layers_outside_the_vocabulary_are_refused(layer):
    with pytest.raises(ValueError, match="outside the browser's layer vocabulary"):
        web_weights(torch.nn.Sequential(layer))


# ---- the same parity in a real browser ----------------------------------------------------------------------


BROWSER_PARITY = """async ([names]) => {
  const { compareCase } = await import("/tests/js/parity.mjs");
  const get = async (url) => { const r = await fetch(url); if (!r.ok) throw new Error(url); return r; };
  const floats = async (url) => new Float32Array(await (await get(url)).arrayBuffer());
  const out = {};
  for (const name of names) {
    const base = `/cases/${name}/`;
    const manifest = await (await get(base + "manifest.json")).json();
    const weights = await (await get(base + "weights.bin")).arrayBuffer();
    const { outputs } = await (await get(base + "expected.json")).json();
    const expected = {};
    for (const o of outputs) expected[o] = await floats(`${base}${o}.bin`);
    const r = compareCase({ manifest, weights, inputs: await floats(base + "inputs.bin"), expected });
    out[name] = { n: r.n, worst: r.worst, fails: r.fails };
  }
  return out;
}"""


@pytest.mark.browser
def test_browser_parity(cases):
    """The same comparison in headless Chromium, the modules served by a local server as the app serves them."""
    from appserver import launch_browser
    from static_server import static_server

    routes = {"/lenet/web/": ROOT / "lenet" / "web", "/tests/js/": ROOT / "tests" / "js", "/cases/": cases}
    names = sorted(p.name for p in cases.iterdir())
    with static_server(routes) as url, launch_browser() as browser:
        page = browser.new_page()
        page.goto(url + "/tests/js/parity.mjs")
        report = page.evaluate(BROWSER_PARITY, [names])
    for name in names:
        assert report[name]["n"] >= 200, report[name]
        assert report[name]["fails"] == [], (name, report[name])
