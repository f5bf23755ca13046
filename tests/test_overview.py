"""The overview's contributions (lenet/web/overview.js) against PyTorch: activation x weight with the model's own
modules and activations, for units of every block of a few networks, and the winning output's path back to the
input followed the same way. Also its Node tests (tests/js/overview.test.mjs: hand-worked cases).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from lenet.data import normalise
from lenet.netmodel import Net
from lenet.webweights import web_weights

ROOT = Path(__file__).resolve().parent.parent
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="Node.js is not installed")

NETS = {
    "lenet5": "lenet5",
    "allconv": "allconv",
    "tiny": "tiny",
    # dilation, 'same' with an even kernel, bn before and after an activation, strided and average pooling
    "vocabulary": "c6k4psame,bn,gelu,mp2,c12k3d2,tanh,bn,ap2s1,c16k3s2p1,sigmoid,fc40,bn,gelu,drop0.25,fc10",
}
_NONLINEAR = (nn.ReLU, nn.Tanh, nn.Sigmoid, nn.GELU)


def torch_contributions(model: Net, name: str, x: torch.Tensor, index: int) -> dict[int, float]:
    """What each input (flat index into `x`, the block's input) adds to unit `index` of block `name` before its
    activation, computed with the block's own modules: activation x weight (x the batch norm's scale before any
    activation), a pooling window's maximum or mean share."""
    head, *rest = model.block_layers(name)
    scale_of = torch.ones(1)
    for layer in rest:
        if isinstance(layer, _NONLINEAR):
            break
        if isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d)):
            scale_of = scale_of * layer.weight / torch.sqrt(layer.running_var + layer.eps)
    x = x[0].double()
    if isinstance(head, nn.Linear):
        flat = x.flatten()
        w = head.weight[index].double()
        scale = float(scale_of[index] if scale_of.numel() > 1 else scale_of[0])
        return {i: float(flat[i] * w[i]) * scale for i in range(flat.numel()) if flat[i] != 0}
    C, H, W = x.shape
    out_shape = model.forward_with_activations(torch.zeros(1, 1, 28, 28))[1][name].shape[1:]
    o, rem = divmod(index, out_shape[1] * out_shape[2])
    oy, ox = divmod(rem, out_shape[2])
    scale = float(scale_of[o] if scale_of.numel() > 1 else scale_of[0])
    if isinstance(head, nn.Conv2d):
        (kh, kw), (sh, sw), (dh, dw) = head.kernel_size, head.stride, head.dilation
        if head.padding == "same":
            pt, pl = (dh * (kh - 1)) // 2, (dw * (kw - 1)) // 2
        else:
            pt, pl = head.padding
        out = {}
        for c in range(C):
            for ky in range(kh):
                for kx in range(kw):
                    iy, ix = oy * sh - pt + ky * dh, ox * sw - pl + kx * dw
                    if 0 <= iy < H and 0 <= ix < W:
                        out[(c * H + iy) * W + ix] = float(x[c, iy, ix] * head.weight[o, c, ky, kx].double()) * scale
        return out
    k, s = head.kernel_size, head.stride
    k, s = (k, k) if isinstance(k, int) else k, (s, s) if isinstance(s, int) else s
    window = {(o * H + oy * s[0] + ky) * W + ox * s[1] + kx: float(x[o, oy * s[0] + ky, ox * s[1] + kx])
              for ky in range(k[0]) for kx in range(k[1])}  # fmt: skip
    if isinstance(head, nn.MaxPool2d):
        best = max(window, key=lambda i: (window[i], -i))
        return {best: window[best] * scale}
    return {i: v / (k[0] * k[1]) * scale for i, v in window.items()}


def _run_node(folder: Path) -> dict:
    proc = subprocess.run(
        [NODE, str(ROOT / "tests" / "js" / "contributions.mjs"), str(folder)],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _digit() -> np.ndarray:
    images = np.load(ROOT / "assets" / "mnist_test_sample.npz")["images"]
    return normalise(images[3:4]).astype(np.float32)  # N x 1 x 28 x 28


@pytest.mark.parametrize("net", list(NETS))
def test_contributions_and_path_equal_pytorch(net, tmp_path):
    torch.manual_seed(28)
    model = Net(NETS[net]).eval()
    with torch.no_grad():  # batch norm's running statistics, so that its scale is not 1
        for layer in model.layers:
            if isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d)):
                layer.running_var.uniform_(0.5, 2.0)
                layer.weight.uniform_(-1.5, 1.5)
    manifest, blob = web_weights(model)
    x = _digit()
    with torch.no_grad():
        logits, acts = model.forward_with_activations(torch.from_numpy(x))
    names = list(acts)
    inputs = {name: (acts[names[k - 1]] if k else torch.from_numpy(x)) for k, name in enumerate(names)}
    units = []
    for name in names:
        out = acts[name][0].flatten()
        units += [{"block": name, "index": i} for i in sorted({0, out.numel() // 2, int(out.argmax())})]
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    (tmp_path / "weights.bin").write_bytes(blob)
    (tmp_path / "input.bin").write_bytes(x.tobytes())
    (tmp_path / "units.json").write_text(json.dumps(units))
    got = _run_node(tmp_path)
    assert got["digit"] == int(logits.argmax())
    with torch.no_grad():
        for unit in got["units"]:
            want = torch_contributions(model, unit["block"], inputs[unit["block"]], unit["index"])
            js = dict(unit["contributions"])
            assert js.keys() == want.keys(), f"{net} {unit['block']}[{unit['index']}]: other inputs"
            worst = max(abs(js[i] - want[i]) for i in want)
            assert worst <= 1e-4, f"{net} {unit['block']}[{unit['index']}]: differs by {worst}"
        # the path: from the winning output, the strongest positive contribution, block by block
        path, index = [[len(names) - 1, got["digit"]]], got["digit"]
        for k in range(len(names) - 1, -1, -1):
            c = torch_contributions(model, names[k], inputs[names[k]], index)
            best = max(c, key=lambda i: (c[i], -i))
            if c[best] <= 0:
                break
            index = best
            path.append([k - 1, index])
    assert got["path"] == path
    assert len(path) >= 2  # a winning unit has something that pushed it up


def test_node_overview_tests():
    proc = subprocess.run(
        [NODE, "--test", str(ROOT / "tests" / "js" / "overview.test.mjs")],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "# pass 8" in proc.stdout and "# fail 0" in proc.stdout
