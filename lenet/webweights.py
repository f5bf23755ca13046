"""A model's weights for the browser's forward pass (lenet/web/forward.js): a JSON manifest and one blob.

The model's modules are walked in forward order (registration order: LeNet's features then classifier, a
Net's `layers.<i>`), and each leaf becomes one layer of the vocabulary in docs/ARCHITECTURE.md §4.7: conv,
maxpool, avgpool, relu, tanh, sigmoid, gelu, bn, dropout, fc (flatten is implied before the first fc). Shapes
come from running the real modules on a blank input, so they are PyTorch's own. The format is in
docs/ARCHITECTURE.md §3 ("Browser weights").
"""

from __future__ import annotations

import hashlib
import json
import math
import os

import numpy as np
import torch
from torch import nn

from lenet.config import LAYER_NAMES
from lenet.data import MEAN, STD

FORMAT = "lenet-explorer-web/1"
DTYPES = ("float32", "float16")
_NUMPY = {"float32": np.dtype("<f4"), "float16": np.dtype("<f2")}  # little-endian, as JS typed arrays on every browser

_ACTIVATIONS = {nn.ReLU: "relu", nn.Tanh: "tanh", nn.Sigmoid: "sigmoid", nn.GELU: "gelu"}
_BLOCK_STARTS = ("conv", "maxpool", "avgpool", "fc")  # §4.7: these start a block; the others join it


def _leaves(module: nn.Module, prefix: str = "") -> list[tuple[str, nn.Module]]:
    """Every module without children, with its dotted path, in registration (= forward) order."""
    children = list(module.named_children())
    if not children:
        return [(prefix, module)]
    return [leaf for name, child in children for leaf in _leaves(child, f"{prefix}.{name}" if prefix else name)]


def _pair(value) -> list[int]:
    return [int(v) for v in value] if isinstance(value, (tuple, list)) else [int(value), int(value)]


def _conv_padding(conv: nn.Conv2d) -> list[int]:
    """[top, bottom, left, right]; "same" pads total // 2 before and the rest after, as PyTorch does."""
    if conv.padding == "valid":
        return [0, 0, 0, 0]
    if conv.padding == "same":
        out = []
        for k, d in zip(conv.kernel_size, conv.dilation, strict=True):
            total = d * (k - 1)
            out += [total // 2, total - total // 2]
        return out
    (ph, pw) = conv.padding
    return [ph, ph, pw, pw]


def _refuse(path: str, what: str) -> ValueError:
    return ValueError(f"{path}: {what} is outside the browser's layer vocabulary (docs/ARCHITECTURE.md §4.7)")


def _describe(path: str, layer: nn.Module) -> tuple[dict, dict[str, torch.Tensor]] | None:
    """(the layer's manifest entry without shapes, its tensors by role); None for a flatten (implied)."""
    if isinstance(layer, nn.Flatten):
        return None
    if isinstance(layer, nn.Conv2d):
        if layer.groups != 1 or layer.padding_mode != "zeros":
            raise _refuse(path, "a grouped or non-zero-padded conv")
        entry = {
            "kind": "conv",
            "kernel": _pair(layer.kernel_size),
            "stride": _pair(layer.stride),
            "padding": _conv_padding(layer),
            "dilation": _pair(layer.dilation),
        }
        return entry, {"weight": layer.weight, "bias": layer.bias}
    if isinstance(layer, (nn.MaxPool2d, nn.AvgPool2d)):
        if _pair(layer.padding) != [0, 0] or layer.ceil_mode or _pair(getattr(layer, "dilation", 1)) != [1, 1]:
            raise _refuse(path, "pooling with padding, dilation or ceil mode")
        kind = "maxpool" if isinstance(layer, nn.MaxPool2d) else "avgpool"
        stride = layer.stride if layer.stride is not None else layer.kernel_size
        return {"kind": kind, "kernel": _pair(layer.kernel_size), "stride": _pair(stride)}, {}
    if type(layer) in _ACTIVATIONS:
        if isinstance(layer, nn.GELU) and layer.approximate != "none":
            raise _refuse(path, "the tanh approximation of GELU")
        return {"kind": _ACTIVATIONS[type(layer)]}, {}
    if isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d)):
        if not layer.track_running_stats or not layer.affine:
            raise _refuse(path, "batch norm without running statistics or affine parameters")
        tensors = {"mean": layer.running_mean, "var": layer.running_var, "weight": layer.weight, "bias": layer.bias}
        return {"kind": "bn", "eps": float(layer.eps)}, tensors
    if isinstance(layer, nn.Dropout):
        return {"kind": "dropout", "p": float(layer.p)}, {}
    if isinstance(layer, nn.Linear):
        return {"kind": "fc"}, {"weight": layer.weight, "bias": layer.bias}
    raise _refuse(path, type(layer).__name__)


def _block_names(model: nn.Module, paths: list[str], kinds: list[str]) -> list[str]:
    """The block each layer belongs to (§4.7): a Net's own (its list's), LeNet's textbook names; for any other
    model of the vocabulary conv1, pool1, fc1, ..., output."""
    spec = getattr(model, "spec", None)
    if spec is not None and len(spec.blocks) == len(paths):  # lenet.netmodel.Net: one module per list entry
        return list(spec.blocks)
    names: list[str] = []
    if all(p.split(".")[0] in ("features", "classifier") for p in paths):  # lenet.model.LeNet
        for path in paths:
            top = path.split(".")[1]
            names.append(top if top in LAYER_NAMES or not names else names[-1])
        return names
    counts = {"conv": 0, "pool": 0, "fc": 0}
    for kind in kinds:
        if kind in _BLOCK_STARTS or not names:
            group = "pool" if kind.endswith("pool") else kind if kind in counts else None
            if group is None:
                names.append(kind)  # an activation, bn or dropout at the very start: a block of its own
                continue
            counts[group] += 1
            names.append(f"{group}{counts[group]}")
        else:
            names.append(names[-1])
    last = names[-1]
    return [("output" if n == last else n) for n in names]


def web_weights(model: nn.Module, dtype: str = "float32", **info) -> tuple[dict, bytes]:
    """The browser's weights of a model: its manifest (a JSON-ready dict) and the blob it points into.

    Args:
        model: lenet.model.LeNet (or any model whose leaves are §4.7's layers, in forward order).
        dtype: "float32", or "float16" (half the bytes; the parity tests say whether it holds).
        info: strings recorded in the manifest as they are (the checkpoint's "name", "version", ...).
    Returns:
        (manifest, blob): the blob holds every tensor, little-endian, at the manifest's byte offsets.
    Raises:
        ValueError: a module outside the vocabulary, or an unknown dtype.
    """
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    model = model.eval()
    config = getattr(model, "config", None)
    input_shape = list(getattr(config, "input_shape", (1, 28, 28)))
    described = [(path, d) for path, leaf in _leaves(model) if (d := _describe(path, leaf)) is not None]
    leaves = dict(_leaves(model))
    blocks = _block_names(model, [p for p, _ in described], [d[0]["kind"] for _, d in described])
    layers, chunks, offset = [], [], 0
    x = torch.zeros(1, *input_shape)
    with torch.no_grad():
        for (path, (entry, tensors)), block in zip(described, blocks, strict=True):
            if entry["kind"] == "fc" and x.dim() > 2:
                x = x.flatten(1)
            entry = {**entry, "block": block, "module": path, "in": list(x.shape[1:])}
            x = leaves[path](x)
            entry["out"] = list(x.shape[1:])
            for role, tensor in tensors.items():
                if tensor is None:
                    entry[role] = None
                    continue
                data = tensor.detach().cpu().to(torch.float32).numpy().astype(_NUMPY[dtype])
                entry[role] = {"offset": offset, "shape": list(data.shape)}
                pad = (-data.nbytes) % 4  # every tensor 4-byte aligned, so a typed array can view it in place
                chunks.append(data.tobytes() + b"\0" * pad)
                offset += data.nbytes + pad
            layers.append(entry)
    blob = b"".join(chunks)
    manifest = {
        "format": FORMAT,
        "dtype": dtype,
        "bytes": len(blob),
        "digest": hashlib.sha256(blob).hexdigest()[:16],
        "input": input_shape,
        "normalise": {"mean": MEAN, "std": STD},
        # an imported Net trained on other pixels: the MNIST-normalised input is re-normalised to its (mean, std)
        "input_norm": list(getattr(model, "input_norm", None) or []) or None,
        "blocks": list(dict.fromkeys(blocks)),
        "layers": layers,
        **{k: str(v) for k, v in info.items()},
    }
    return manifest, blob


def checkpoint_weights(path: str | os.PathLike, dtype: str = "float32") -> tuple[dict, bytes]:
    """web_weights of a checkpoint file, recording its name and version (the mtime that caches key on).

    Raises:
        lenet.checkpoints.CheckpointError: the checkpoint cannot be loaded.
    """
    from lenet.checkpoints import load_checkpoint

    model, info = load_checkpoint(path)
    return web_weights(model, dtype, name=info.name, version=info.version)


def write(manifest: dict, blob: bytes, folder: str | os.PathLike, stem: str = "weights") -> tuple[str, str]:
    """Write `<stem>.json` and `<stem>.bin` into a folder; returns their paths."""
    folder = os.fspath(folder)
    os.makedirs(folder, exist_ok=True)
    json_path, bin_path = os.path.join(folder, f"{stem}.json"), os.path.join(folder, f"{stem}.bin")
    with open(json_path, "w", encoding="utf-8") as f:
        json.dump(manifest, f, separators=(",", ":"))
    with open(bin_path, "wb") as f:
        f.write(blob)
    return json_path, bin_path


def parameter_count(manifest: dict) -> int:
    """How many numbers the blob holds (every tensor's size summed)."""
    return sum(
        math.prod(entry[role]["shape"])
        for entry in manifest["layers"]
        for role in ("weight", "bias", "mean", "var")
        if isinstance(entry.get(role), dict)
    )


def as_float32(manifest: dict, blob: bytes, role: dict) -> np.ndarray:
    """One tensor of the blob as float32 numpy (for tests and tools)."""
    n = math.prod(role["shape"])
    return np.frombuffer(blob, _NUMPY[manifest["dtype"]], n, role["offset"]).astype(np.float32).reshape(role["shape"])


HISTORY_FORMAT = "lenet-explorer-history-web/1"


def history_weights(path: str | os.PathLike, dtype: str = "float32") -> tuple[dict, bytes] | None:
    """A checkpoint's history for the browser: every snapshot's blob (web_weights' layout, which all share) one
    after the other, and a manifest; None for a checkpoint without a history.

    The manifest: `format`, `dtype`, `weights` (the snapshots' common manifest without its digest: loadModel takes it
    with any one snapshot's bytes), `stride` (one snapshot's bytes), `count`, `bytes`, `digest`, `snapshots`
    ([{step, epoch, loss, acc}]), `total_steps`, `acc_digits`, `name`, `version`.

    Raises:
        lenet.checkpoints.CheckpointError: the checkpoint or its history cannot be loaded.
    """
    from lenet.checkpoints import load_checkpoint, load_history

    history = load_history(path)
    if history is None:
        return None
    model, info = load_checkpoint(path)
    layout, blobs = None, []
    for state in history.states:
        model.load_state_dict(state)
        manifest, blob = web_weights(model, dtype, name=info.name, version=info.version)
        manifest = {k: v for k, v in manifest.items() if k != "digest"}
        if layout not in (None, manifest):
            raise ValueError("a history's snapshots differ in layout")
        layout = manifest
        blobs.append(blob)
    blob = b"".join(blobs)
    manifest = {
        "format": HISTORY_FORMAT,
        "dtype": dtype,
        "weights": layout,
        "stride": len(blobs[0]),
        "count": len(blobs),
        "bytes": len(blob),
        "digest": hashlib.sha256(blob).hexdigest()[:16],
        "snapshots": history.snapshots,
        "total_steps": history.total_steps,
        "acc_digits": history.acc_digits,
        "name": info.name,
        "version": str(info.version),
    }
    return manifest, blob


def snapshot_weights(manifest: dict, blob: bytes, index: int) -> tuple[dict, bytes]:
    """One snapshot of history_weights' answer as web_weights gives a model's: (its manifest, its blob)."""
    stride = manifest["stride"]
    part = blob[index * stride : (index + 1) * stride]
    return {**manifest["weights"], "digest": hashlib.sha256(part).hexdigest()[:16]}, part
