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
from PIL import Image

from lenet.checkpoints import DEFAULT_CHECKPOINT, load_checkpoint, load_history, save_checkpoint, save_history
from lenet.config import LeNetConfig
from lenet.data import normalise
from lenet.model import LeNet
from lenet.netmodel import Net
from lenet.preprocess import canvas_to_input
from lenet.webweights import checkpoint_weights, history_weights, snapshot_weights, web_weights

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


def _nets() -> dict[str, tuple[str, tuple[float, float] | None]]:
    """Network lists (lenet.netmodel.Net): the presets, the whole vocabulary by hand, random lists that build."""
    from test_netmodel import random_nets

    nets = {f"net-{name}": (name, None) for name in ("lenet5-1998", "allconv", "tiny", "wide")}
    # dilation, 'same' with an even kernel, gelu, bn on maps and after an fc, strided pools, dropout
    nets["net-vocabulary"] = (
        "c6k4psame,gelu,bn,mp2,c12k3d2,tanh,ap2s1,c16k3s2p1,sigmoid,fc40,bn,gelu,drop0.25,fc10",
        None,
    )
    nets["net-bn-first-fc"] = ("relu,c8k5s2,bn,relu,fc12,bn,fc10", None)
    nets["net-imported-norm"] = ("c4k3p1,relu,mp2,fc10", (0.5, 0.25))  # an imported model's own pixel statistics
    nets |= {f"net-random{i}": (text, None) for i, text in enumerate(random_nets(12, seed=28))}
    return nets


NETS = _nets()


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
    for i, (name, (text, norm)) in enumerate(NETS.items()):
        torch.manual_seed(100 + i)
        model = _with_statistics(Net(text, input_norm=norm), 100 + i)
        write_case(root / name, *web_weights(model), x, reference(model, x))
    # A real run's training snapshots, each as the browser's scrubber reads it: the history's blob sliced at its
    # stride, in the final weights' layout.
    path = history_run(tmp_path_factory.mktemp("history-run"))
    manifest, blob = history_weights(path)
    model, _ = load_checkpoint(path)
    for i, state in enumerate(load_history(path).states):
        model.load_state_dict(state)
        write_case(root / f"history-{i:02d}", *snapshot_weights(manifest, blob, i), x, reference(model, x))
    return root


def history_run(folder: Path) -> Path:
    """A checkpoint with its history: a real run of LeNet-5 on the tiny bars (tests/tiny_mnist.py), 48 steps."""
    from tiny_mnist import bars

    from lenet.data import MNIST
    from lenet.train import TrainConfig, fit

    images, labels = bars(768)
    result = fit(None, TrainConfig(device="cpu", batch_size=16, seed=7), data=MNIST(images, labels, images, labels))
    path = folder / "run.safetensors"
    save_history(path, result.snapshots)
    return save_checkpoint(result.model, path)


HISTORY_CASES = [f"history-{i:02d}" for i in range(12)]  # lenet.train.SNAPSHOTS of them


def _line_drawing(size: tuple[int, int], draw) -> np.ndarray:
    """A white-on-transparent RGBA drawing made by `draw(ImageDraw)` on an L image (the ink is the alpha)."""
    from PIL import Image, ImageDraw

    img = Image.new("L", size, 0)
    draw(ImageDraw.Draw(img))
    alpha = np.asarray(img)
    return np.dstack([alpha, alpha, alpha, alpha])


def _drawings() -> list[tuple[str, np.ndarray]]:
    """>= 200 canvases: digits at many brushes and sizes, dots, edges, one-pixel lines, specks, full and blank."""
    from strokes import digit_strokes, drawn_digit_set, random_strokes, render

    out = [(f"drawn{i}-{label}", rgba) for i, (rgba, label, _) in enumerate(drawn_digit_set(n_per_digit=12, seed=7))]
    rng = np.random.default_rng(7)
    for brush in (1, 2, 3, 5, 9, 14, 25, 45, 70):  # hairline to fat, every digit at least once
        for digit in range(10):
            if rng.random() < 0.45 or digit == brush % 10:
                out.append((f"brush{brush}-{digit}", render(random_strokes(digit, rng), 280, brush)))
    for size in (0.05, 0.09, 0.14, 0.2, 0.27):  # small digits: the Lanczos working size and the bilinear dot test
        for digit in (1, 3, 7, 8):
            out.append((f"small{size}-{digit}", render(digit_strokes(digit, rng, size=size), 280, 3 + 40 * size)))
    for brush in (1, 3, 6, 12, 20, 40):  # taps and dots
        out.append((f"dot{brush}", render([[(140.0, 140.0)]], 280, brush)))
        out.append((f"corner-dot{brush}", render([[(2.0, 277.0)]], 280, brush)))
    for digit in (0, 2, 4, 5, 6, 9):  # off the edge and back: the render clips it
        out.append((f"edge-{digit}", render(digit_strokes(digit, rng, size=0.8, center=(0.12, 0.5)), 280, 16)))
        out.append((f"edge-top-{digit}", render(digit_strokes(digit, rng, size=0.9, center=(0.5, 0.1)), 280, 20)))
    for i, xy in enumerate(
        [(0, 0, 279, 0), (0, 0, 0, 279), (0, 0, 279, 279), (140, 20, 140, 260), (20, 140, 260, 141)]
    ):
        out.append((f"one-px-line{i}", _line_drawing((280, 280), lambda d, xy=xy: d.line(xy, fill=255, width=1))))
    out.append(("one-px-seven", _line_drawing((280, 280), lambda d: d.line([(60, 50), (220, 50), (120, 250)], 255, 1))))
    full = np.full((280, 280, 4), 255, np.uint8)
    holed = full.copy()
    holed[100:180, 120:160] = 0
    out += [("full", full), ("full-with-hole", holed), ("blank", np.zeros((280, 280, 4), np.uint8))]
    faint = render(random_strokes(3, rng), 280, 18)
    out.append(("faint", (faint // 9).astype(np.uint8)))  # peak under the blank contrast
    out.append(("grey", (faint // 2).astype(np.uint8)))  # contrast stretched in float32
    black = render(random_strokes(5, rng), 280, 16)
    black[..., 3] = 255  # white ink on an opaque black canvas
    out.append(("opaque-black", black))
    tinted = render(random_strokes(2, rng), 280, 16)
    tinted[..., 0] = tinted[..., 0] // 3  # coloured ink: the luma counts
    out.append(("tinted", tinted))
    for i in range(4):  # a digit with dust beside it
        specks = render(random_strokes(i + 4, rng), 280, 14)
        y, x = rng.integers(5, 270, 2)
        specks[y : y + 3, x : x + 3] = 255
        out.append((f"speck{i}", specks))
    for i, (w, h) in enumerate([(200, 320), (320, 200), (97, 61)]):  # other canvas sizes
        rgba = render(random_strokes(i + 1, rng), 280, 18)
        out.append((f"size{w}x{h}", np.asarray(Image.fromarray(rgba).resize((w, h)))))
    return out


@functools.cache
def drawings() -> list[tuple[str, np.ndarray]]:
    return _drawings()


@pytest.fixture(scope="module")
def drawings_dir(tmp_path_factory) -> Path:
    """The drawings, the server's 28 x 28 of each and its reading, as tests/js/preprocess.test.mjs reads them."""
    folder = tmp_path_factory.mktemp("web-drawings")
    model, _ = load_checkpoint(DEFAULT_CHECKPOINT)
    meta, blobs, expected, offset = [], [], [], 0
    for name, rgba in drawings():
        pre = canvas_to_input(rgba)
        with torch.no_grad():
            digit = None if pre.empty else int(model(torch.from_numpy(pre.input)).argmax())
        h, w = rgba.shape[:2]
        meta.append(
            {"name": name, "w": w, "h": h, "offset": offset, "empty": pre.empty, "reason": pre.reason, "digit": digit}
        )
        blobs.append(np.ascontiguousarray(rgba, np.uint8).tobytes())
        offset += len(blobs[-1])
        expected.append(pre.image.tobytes())
    (folder / "drawings.json").write_text(json.dumps(meta))
    (folder / "drawings.bin").write_bytes(b"".join(blobs))
    (folder / "expected.bin").write_bytes(b"".join(expected))
    return folder


def run_node(cases_dir: Path, drawings_dir: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [NODE, "--test", "--test-reporter=spec", *sorted(str(p) for p in (ROOT / "tests" / "js").glob("*.test.mjs"))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "LENET_WEB_CASES": str(cases_dir), "LENET_WEB_DRAWINGS": str(drawings_dir or "")},
    )


def test_enough_inputs_of_every_kind():
    x = inputs()
    assert len(x) >= 200 and x.shape[1:] == (1, 28, 28)
    # not all alike: drawings and MNIST digits differ from the blanks
    assert len({round(float(v), 3) for v in x.reshape(len(x), -1).std(1)}) > 150


@needs_node
def test_node_parity(cases, drawings_dir):
    """Under Node: every block of every case within 1e-4 of PyTorch with the same argmax, and every drawing's
    28 x 28 within 2/255 of canvas_to_input's with the same reading."""
    proc = run_node(cases, drawings_dir)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    for name in ("shipped", *CONFIGS, *NETS, *HISTORY_CASES):
        assert f"forward.js equals PyTorch: {name}" in proc.stdout
    assert "preprocess.js equals canvas_to_input" in proc.stdout and "SKIP" not in proc.stdout


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


@needs_node
def test_preprocess_parity_fails_when_a_pixel_is_off(cases, drawings_dir, tmp_path):
    """The comparison can fail: one pixel of the server's 28 x 28 moved by 3/255 is caught, by name."""
    shutil.copytree(drawings_dir, tmp_path / "drawings")
    meta = json.loads((tmp_path / "drawings" / "drawings.json").read_text())
    k = next(i for i, d in enumerate(meta) if not d["empty"])
    expected = bytearray((tmp_path / "drawings" / "expected.bin").read_bytes())
    pixel = k * 784 + 14 * 28 + 14
    expected[pixel] = expected[pixel] + 3 if expected[pixel] < 128 else expected[pixel] - 3
    (tmp_path / "drawings" / "expected.bin").write_bytes(bytes(expected))
    proc = run_node(cases, tmp_path / "drawings")
    assert proc.returncode != 0
    assert f"{meta[k]['name']}: a pixel differs by 3" in proc.stdout


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
  const { comparePreprocess } = await import("/tests/js/parity.mjs");
  const bytes = async (url) => new Uint8Array(await (await get(url)).arrayBuffer());
  out.preprocess = comparePreprocess({
    meta: await (await get("/drawings/drawings.json")).json(),
    drawings: await bytes("/drawings/drawings.bin"),
    expected: await bytes("/drawings/expected.bin"),
    manifest: await (await get("/cases/shipped/manifest.json")).json(),
    weights: await (await get("/cases/shipped/weights.bin")).arrayBuffer(),
  });
  return out;
}"""


@pytest.mark.browser
def test_browser_parity(cases, drawings_dir):
    """The same comparisons in headless Chromium, the modules served by a local server as the app serves them."""
    from appserver import launch_browser
    from static_server import static_server

    routes = {
        "/lenet/web/": ROOT / "lenet" / "web",
        "/tests/js/": ROOT / "tests" / "js",
        "/cases/": cases,
        "/drawings/": drawings_dir,
    }
    names = sorted(p.name for p in cases.iterdir())
    assert set(HISTORY_CASES) <= set(names)
    with static_server(routes) as url, launch_browser() as browser:
        page = browser.new_page()
        page.goto(url + "/tests/js/parity.mjs")
        report = page.evaluate(BROWSER_PARITY, [names])
    for name in names:
        assert report[name]["n"] >= 200, report[name]
        assert report[name]["fails"] == [], (name, report[name])
    assert report["preprocess"]["summary"]["n"] >= 200 and report["preprocess"]["fails"] == [], report["preprocess"]
