"""Bring your own model: an ONNX file (or another server's checkpoint) read into a layer list and Net's weights.

An ONNX graph imports when it is a chain of operators that each map onto the vocabulary of ARCHITECTURE §4.7
(Conv, MaxPool, AveragePool, Relu, Tanh, Sigmoid, Gelu or its Erf formula, BatchNormalization, Flatten or
Reshape, Gemm or MatMul with Add, Dropout, a Softmax at the end) on one 28x28 grey digit. Everything else is
refused with one CodedError naming what is unsupported. The file is parsed from bytes with protobuf only: no
onnxruntime, no external data (a tensor that points to another file is refused, never read), and never a pickle.

torch and onnx are imported inside the functions that need them, so `python -m lenet --help` stays fast.
"""

from __future__ import annotations

import json
import math
import os
import struct
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lenet import data, netspec
from lenet.errors import CodedError

MAX_BYTES = 64 * 1024 * 1024  # as lenet.checkpoints.MAX_BYTES: a small CNN on 28x28 digits is far below it
MAX_NODES = 2000  # a 32-layer chain exports to a few hundred nodes at most
MAX_ELEMENTS = MAX_BYTES // 4  # no tensor larger than the file itself could hold in float32
NORMS = {"mnist": (data.MEAN, data.STD), "unit": (0.0, 1.0)}  # --input-norm's names: (mean, std)
NORM_KEYS = ("input_norm", "lenet.input_norm")  # metadata_props that state the normalisation (mnist|unit|M,S)
PICKLE_SUFFIXES = (".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".bin", ".tar")
KERAS_SUFFIXES = (".h5", ".hdf5", ".keras")
EXPORT_HINT = "torch.onnx.export(model.eval(), torch.zeros(1, 1, 28, 28), 'model.onnx')"
_ACTIVATIONS = {"Relu": "relu", "Tanh": "tanh", "Sigmoid": "sigmoid"}
_ARITHMETIC = {"Add", "Sub", "Mul", "Div", "Erf", "Sqrt", "Pow", "Tanh"}  # GELU's formula, a normalisation
# computed from constants alone (the exporters' shapes for Reshape, a zero bias): evaluated here with numpy
_CONSTANT_OPS = {"Constant", "Identity", "Concat", "Unsqueeze", "Squeeze", "Cast", "Gather", "Shape", "Expand"}
_FLOAT_TYPES = {1: np.float32, 10: np.float16, 11: np.float64}  # TensorProto FLOAT, FLOAT16, DOUBLE
_INT_TYPES = {6: np.int32, 7: np.int64}


class ModelImportError(CodedError, ValueError):
    """A file the app will not import; the message names what is unsupported in one sentence."""

    default_code = "import_unreadable"


@dataclass(frozen=True)
class ImportedModel:
    """What an import reads: the network's list, its weights under Net's names, and the input it expects."""

    spec: netspec.NetSpec
    tensors: dict[str, np.ndarray]  # layers.<i>.weight, .bias, .running_mean, ... as Net's state dict
    input_norm: tuple[float, float] | None  # (mean, std) the first layer expects; None: not known yet
    source: str = "onnx"
    notes: list[str] = field(default_factory=list)

    @property
    def net(self) -> str:
        return self.spec.text


def parse_input_norm(text: str | tuple | None) -> tuple[float, float] | None:
    """`mnist`, `unit` or `MEAN,STD` as (mean, std); None stays None.

    Raises:
        ModelImportError: `import_norm_invalid` for anything else (a std of 0, text that is not two numbers).
    """
    if text is None or isinstance(text, tuple):
        return text
    word = str(text).strip().lower()
    if word in NORMS:
        return NORMS[word]
    try:
        mean, std = (float(part) for part in word.split(","))
    except ValueError:
        mean = std = float("nan")
    if not (math.isfinite(mean) and math.isfinite(std) and 0 < std <= 1000 and abs(mean) <= 1000):
        raise ModelImportError(
            f"input normalisation {str(text)[:40]!r} is not mnist, unit or MEAN,STD (a std above 0)",
            "import_norm_invalid",
            text=str(text)[:40],
        )
    return (mean, std)


# --- the file's format -----------------------------------------------------------------------------


def sniff(raw: bytes, name: str) -> str:
    """`onnx` or `safetensors`, from the bytes (the name only sharpens a refusal).

    Raises:
        ModelImportError: empty, too large, a pickle (a .pt/.pth: loading it can run code), a Keras file.
    """
    suffix = Path(name).suffix.lower()
    if not raw:
        raise ModelImportError(f"{name} is empty", "import_empty", name=name)
    if len(raw) > MAX_BYTES:
        raise ModelImportError(
            f"{name} is over {MAX_BYTES // 2**20} MiB, the most the app imports (a small CNN is far smaller)",
            "import_too_large",
            name=name,
            max_mb=MAX_BYTES // 2**20,
        )
    if suffix in KERAS_SUFFIXES or raw[:8] == b"\x89HDF\r\n\x1a\n":
        raise ModelImportError(
            f"{name} is a Keras file; convert it to ONNX first: python -m tf2onnx.convert --keras {name} "
            "--output model.onnx",
            "import_keras",
            name=name,
        )
    if suffix in PICKLE_SUFFIXES or raw[:1] == b"\x80" or raw[:4] == b"PK\x03\x04":
        raise ModelImportError(
            f"{name} is a PyTorch pickle file, which can run any code when loaded, so the app never opens one; "
            f"export it to ONNX instead: {EXPORT_HINT}",
            "import_pickle",
            name=name,
            hint=EXPORT_HINT,
        )
    if len(raw) > 9 and raw[8:9] == b"{":
        (n,) = struct.unpack("<Q", raw[:8])
        if 0 < n <= len(raw) - 8:
            return "safetensors"
    return "onnx"


# --- ONNX's tensors, read without ever following a path ---------------------------------------------


def _array(tensor, what: str) -> np.ndarray:
    """A TensorProto as a numpy array, after checking that it is inline, of a known type and of a sane size."""
    from onnx import numpy_helper

    name = tensor.name or what
    if tensor.data_location == 1 or len(tensor.external_data):  # TensorProto.EXTERNAL
        raise ModelImportError(
            f"tensor {name} keeps its data in another file; the app reads nothing a model points to "
            "(save it with its weights inside: onnx.save(model, path, save_as_external_data=False))",
            "onnx_external",
            name=name,
        )
    dims = [int(d) for d in tensor.dims]
    count = 1
    for d in dims:
        if d < 0 or d > MAX_ELEMENTS:
            count = MAX_ELEMENTS + 1
            break
        count *= d
    if count > MAX_ELEMENTS:
        raise ModelImportError(
            f"tensor {name} claims the shape {dims[:6]}, far larger than a small CNN",
            "onnx_huge",
            name=name,
            shape="×".join(str(d) for d in dims[:6]),
        )
    dtype = _FLOAT_TYPES.get(tensor.data_type) or _INT_TYPES.get(tensor.data_type)
    if dtype is None:
        raise ModelImportError(
            f"tensor {name} has data type {tensor.data_type}; the app reads float and integer tensors",
            "onnx_dtype",
            name=name,
            dtype=tensor.data_type,
        )
    stored = len(tensor.raw_data) // np.dtype(dtype).itemsize if tensor.HasField("raw_data") else None
    if stored is None:
        stored = max(len(tensor.float_data), len(tensor.int32_data), len(tensor.int64_data), len(tensor.double_data))
    if stored != count:
        raise ModelImportError(
            f"tensor {name} holds {stored} values for its shape {dims[:6]} (a damaged file)",
            "onnx_damaged",
            name=name,
        )
    try:
        return np.array(numpy_helper.to_array(tensor))
    except (ValueError, TypeError) as exc:
        raise ModelImportError(f"tensor {name} is damaged ({exc})", "onnx_damaged", name=name) from None


def _attrs(node) -> dict:
    """A node's attributes as Python values (tensors checked as _array does)."""
    from onnx import AttributeProto, helper

    out = {}
    for attr in node.attribute:
        if attr.type == AttributeProto.TENSOR:
            out[attr.name] = _array(attr.t, f"{node.op_type}.{attr.name}")
        elif attr.type in (AttributeProto.GRAPH, AttributeProto.GRAPHS, AttributeProto.SPARSE_TENSOR):
            raise _unsupported_op(node)
        else:
            value = helper.get_attribute_value(attr)
            out[attr.name] = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    return out


def _unsupported_op(node) -> ModelImportError:
    op = node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}.{node.op_type}"
    return ModelImportError(
        f"the operator {op} is not one the app can turn into a layer (it reads Conv, MaxPool, AveragePool, Relu, "
        "Tanh, Sigmoid, Gelu, BatchNormalization, Flatten, Reshape, Gemm, MatMul with Add, Dropout, Softmax)",
        "onnx_operator",
        op=op[:60],
    )


# --- the chain --------------------------------------------------------------------------------------


@dataclass
class _State:
    """The running tensor: a map (channels, height, width) in `order`, flattened or not, or a vector."""

    c: int
    h: int
    w: int
    order: str = "chw"  # the physical layout after the batch: chw (NCHW), hwc (NHWC) or hw (no channel axis)
    flat: bool = False  # flattened, not yet through a fc (the list's flatten is implied before the first fc)
    vector: bool = False  # after a fc: c is its units, h = w = 1

    @property
    def features(self) -> int:
        return self.c * self.h * self.w

    def physical(self, batch: int) -> list[int]:
        if self.vector or self.flat:
            return [batch, self.features]
        return {"chw": [batch, self.c, self.h, self.w], "hwc": [batch, self.h, self.w, self.c]}.get(
            self.order, [batch, self.h, self.w]
        )


class _Reader:
    """Walks a graph's nodes in order, keeping one running tensor and the layers read so far."""

    def __init__(self, model) -> None:
        self.graph = model.graph
        self.consts: dict[str, np.ndarray] = {}
        self.layers: list[netspec.Layer] = []
        self.tensors: dict[str, np.ndarray] = {}
        self.graph_norm: tuple[float, float] | None = None  # (x - mean) / std folded from the graph's start
        self.notes: list[str] = []
        self.fc_open = False  # the last layer is a fc whose bias an Add may still supply

    # -- inputs and outputs
    def start(self) -> tuple[str, _State]:
        for init in self.graph.initializer:
            self.consts[init.name] = _array(init, "initializer")
        if len(self.graph.sparse_initializer):
            raise ModelImportError("sparse initializers", "onnx_operator", op="SparseTensor")
        inputs = [i for i in self.graph.input if i.name not in self.consts]
        if len(inputs) != 1 or len(self.graph.output) != 1:
            raise ModelImportError(
                f"the model has {len(inputs)} inputs and {len(self.graph.output)} outputs; the app reads one "
                "image in and ten scores out",
                "onnx_inputs",
                inputs=len(inputs),
                outputs=len(self.graph.output),
            )
        tensor_type = inputs[0].type.tensor_type
        dims = [d.dim_value if d.HasField("dim_value") else None for d in tensor_type.shape.dim]
        shape = "×".join("N" if d is None else str(d) for d in dims) or "?"
        batch = dims[0] if dims and dims[0] else 7  # an unnamed batch: any size; 7 tells it apart from features
        layouts = {(1, 28, 28): "chw", (28, 28, 1): "hwc", (28, 28): "hw", (784,): "flat"}
        order = layouts.get(tuple(dims[1:])) if len(dims) >= 2 and None not in dims[1:] else None
        if order is None or tensor_type.elem_type not in _FLOAT_TYPES or not 1 <= batch <= 65536:
            raise ModelImportError(
                f"the input has the shape {shape[:60]}; the app reads one 28×28 grey digit: N×1×28×28 (NCHW), "
                "N×28×28×1 (NHWC), N×28×28 or N×784, in floats",
                "onnx_input_shape",
                shape=shape[:60],
            )
        self.batch = batch
        state = _State(1, 28, 28, "chw" if order == "flat" else order, flat=order == "flat")
        return inputs[0].name, state

    def read(self) -> tuple[list[netspec.Layer], dict[str, np.ndarray]]:
        cur, state = self.start()
        nodes = list(self.graph.node)
        if len(nodes) > MAX_NODES:
            raise ModelImportError(
                f"the graph has {len(nodes)} operators; a small CNN has a few hundred at most",
                "onnx_too_many",
                n=len(nodes),
            )
        uses = self._uses(nodes)
        i = 0
        while i < len(nodes):
            node = nodes[i]
            if node.domain not in ("", "ai.onnx"):
                raise _unsupported_op(node)
            if self._constant(node, cur, state):
                i += 1
                continue
            if any(uses.get(extra) for extra in node.output[1:]) or [
                name for name in node.input if name and name not in self.consts
            ] != [cur]:
                raise _not_chain(node)
            if self._fc_bias(node, cur, state):
                i += 1
            elif node.op_type in _ARITHMETIC and node.op_type != "Tanh":  # a Tanh alone is the activation
                i += self._formula(nodes, i, cur, state, uses)
                node = nodes[i - 1]
            elif node.op_type in ("Softmax", "LogSoftmax"):
                self._softmax(node, nodes[i + 1 :])
                i += 1
            else:
                state = self._layer(node, state)
                i += 1
            cur = node.output[0]
        if cur != self.graph.output[0].name:
            raise ModelImportError(
                "the model's output is not the end of its chain of layers", "onnx_chain", op=self.graph.output[0].name
            )
        return self.layers, self.tensors

    def _softmax(self, node, rest) -> None:
        """A softmax may end the model (dropped: the app applies its own to the ten scores); nowhere else."""
        if any(n.op_type != "Identity" for n in rest) or (not rest and node.output[0] != self.graph.output[0].name):
            raise ModelImportError(
                f"{node.op_type} before the last layer; it may only end the model", "onnx_softmax", op=node.op_type
            )
        self.notes.append(f"{node.op_type} at the end dropped: the app applies softmax itself")

    @staticmethod
    def _uses(nodes) -> dict[str, int]:
        uses: dict[str, int] = {}
        for node in nodes:
            for name in node.input:
                uses[name] = uses.get(name, 0) + 1
        return uses

    # -- constants: shapes for Reshape, Identity of a weight
    def _constant(self, node, cur: str, state: _State) -> bool:
        """Evaluate a node whose inputs are all constants (or the shape of the running tensor); False otherwise."""
        op = node.op_type
        if op == "Shape" and list(node.input) == [cur]:
            self.consts[node.output[0]] = np.array(state.physical(self.batch), dtype=np.int64)
            return True
        if op == "CastLike" and node.input[0] in self.consts and node.input[1] == cur:  # a zero bias's dtype
            self.consts[node.output[0]] = self.consts[node.input[0]].astype(np.float32)
            return True
        if op not in _CONSTANT_OPS or not all(name in self.consts for name in node.input if name):
            return False
        attrs = _attrs(node)
        args = [self.consts[name] for name in node.input if name]
        if op == "Shape":
            value = np.array(args[0].shape[attrs.get("start", 0) : attrs.get("end")], dtype=np.int64)
        elif op == "Expand":
            shape = np.broadcast_shapes(args[0].shape, tuple(int(d) for d in args[1].reshape(-1)))
            if math.prod(shape) > MAX_ELEMENTS:
                raise ModelImportError("an Expand too large", "onnx_huge", name=node.output[0], shape=str(shape))
            value = np.broadcast_to(args[0], shape).copy()
        elif op == "Constant":
            value = _constant_value(node, attrs)
        elif op == "Identity":
            value = args[0]
        elif op == "Concat":
            value = np.concatenate(args, axis=int(attrs.get("axis", 0)))
        elif op in ("Unsqueeze", "Squeeze"):
            axes = attrs.get("axes", args[1].tolist() if len(args) > 1 else None)
            value = args[0]
            if op == "Unsqueeze":
                for axis in sorted(int(a) % (value.ndim + len(axes)) for a in axes):
                    value = np.expand_dims(value, axis)
            else:
                value = np.squeeze(value, axis=tuple(axes) if axes is not None else None)
        elif op == "Cast":
            value = args[0].astype(np.int64 if attrs.get("to") in (6, 7) else np.float32)
        else:  # Gather
            value = np.take(args[0], args[1], axis=int(attrs.get("axis", 0)))
        if value.size > MAX_ELEMENTS:
            raise ModelImportError("a constant too large", "onnx_huge", name=node.output[0], shape=str(value.shape))
        self.consts[node.output[0]] = value
        return True

    def _const(self, node, index: int, what: str) -> np.ndarray:
        """Input `index` of `node` as a constant weight, else a refusal saying the weight is computed."""
        name = node.input[index] if len(node.input) > index else ""
        if name not in self.consts:
            raise ModelImportError(
                f"{node.op_type}'s {what} is computed while the model runs; the app needs it stored in the file",
                "onnx_weight",
                op=node.op_type,
                what=what,
            )
        return self.consts[name]

    # -- one node that is one layer
    def _layer(self, node, state: _State) -> _State:
        op = node.op_type
        attrs = _attrs(node)
        self.fc_open = False
        if op in ("Identity", "Dropout"):
            if op == "Dropout":
                self._dropout(node, attrs)
            return state
        if op in _ACTIVATIONS:
            self._add(netspec.Layer(_ACTIVATIONS[op]))
            return state
        if op == "Gelu":
            if attrs.get("approximate", "none") != "none":
                raise ModelImportError(
                    "Gelu with the tanh approximation; the app's gelu is the exact one (approximate='none')",
                    "onnx_gelu_tanh",
                )
            self._add(netspec.Layer("gelu"))
            return state
        if op in ("Flatten", "Reshape"):
            return self._reshape(node, attrs, state)
        if op == "Transpose":
            return self._transpose(attrs, state)
        if op in ("Gemm", "MatMul"):
            return self._fc(node, attrs, state)
        if op == "BatchNormalization":
            return self._bn(node, attrs, state)
        if op in ("Conv", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool"):
            if state.flat or state.vector or state.order != "chw":
                raise ModelImportError(
                    f"{op} on a tensor that is not a channels-first image (NCHW); put a Transpose from NHWC first",
                    "onnx_layout",
                    op=op,
                )
            return self._conv(node, attrs, state) if op == "Conv" else self._pool(node, attrs, state)
        raise _unsupported_op(node)

    def _add(self, layer: netspec.Layer, **tensors: np.ndarray) -> None:
        index = len(self.layers)
        self.layers.append(layer)
        for key, value in tensors.items():
            self.tensors[f"layers.{index}.{key}"] = value

    def _dropout(self, node, attrs: dict) -> None:
        ratio = attrs.get("ratio")
        if ratio is None and len(node.input) > 1 and node.input[1]:
            ratio = float(self._const(node, 1, "ratio").reshape(-1)[0])
        p = float(f"{0.5 if ratio is None else ratio:.6g}")
        self._add(netspec.Layer("dropout", p=p))

    def _reshape(self, node, attrs: dict, state: _State) -> _State:
        if node.op_type == "Flatten":
            if int(attrs.get("axis", 1)) != 1:
                raise _bad_reshape(node.op_type, f"axis={attrs.get('axis')}")
            target = [self.batch, state.features]
        else:
            shape = [int(d) for d in self._const(node, 1, "shape").reshape(-1)]
            target = _reshaped(state.physical(self.batch), shape, bool(attrs.get("allowzero", 0)))
            if target is None or target[0] != self.batch:
                raise _bad_reshape(node.op_type, "×".join(str(d) for d in shape))
        if len(target) == 2 and target[1] == state.features:
            if not (state.flat or state.vector):
                state.flat = True
            return state
        from_input = state.flat and not self.layers and state.c == 1
        maps = {(1, 28, 28): "chw", (28, 28, 1): "hwc", (28, 28): "hw"}
        if from_input and tuple(target[1:]) in maps:  # a flat 784 input made into an image again
            return _State(1, 28, 28, maps[tuple(target[1:])])
        raise _bad_reshape(node.op_type, "×".join(str(d) for d in target))

    def _transpose(self, attrs: dict, state: _State) -> _State:
        perm = list(attrs.get("perm", []))
        moves = {("hwc", (0, 3, 1, 2)): "chw", ("chw", (0, 2, 3, 1)): "hwc"}
        order = moves.get((state.order, tuple(perm))) if not (state.flat or state.vector) else None
        if order is None:
            raise ModelImportError(
                f"a Transpose with perm {perm} on a {state.order} tensor; only NHWC to NCHW and back are read",
                "onnx_transpose",
                perm=str(perm)[:40],
            )
        state.order = order
        return state

    def _fc(self, node, attrs: dict, state: _State) -> _State:
        if node.op_type == "Gemm":
            if attrs.get("transA", 0):
                raise ModelImportError("Gemm with transA=1", "onnx_setting", op="Gemm", setting="transA", value=1)
            b = self._const(node, 1, "weight")
            weight = (b if attrs.get("transB", 0) else b.T) * float(attrs.get("alpha", 1.0))
            bias = self._const(node, 2, "bias") * float(attrs.get("beta", 1.0)) if len(node.input) > 2 else None
        else:
            b = self._const(node, 1, "weight")
            weight, bias = (b.T if b.ndim == 2 else b), None
        if not (state.flat or state.vector) or weight.ndim != 2 or weight.shape[1] != state.features:
            raise _shape_error(node.op_type, b.shape, state.features)
        units = weight.shape[0]
        if state.flat and state.order == "hwc" and state.c > 1 and state.h * state.w > 1:
            # Keras flattens height, width, channels; the list flattens channels first (as nn.Flatten)
            weight = weight.reshape(units, state.h, state.w, state.c).transpose(0, 3, 1, 2).reshape(units, -1)
            self.notes.append("the first fc's inputs reordered from NHWC's flatten to NCHW's")
        tensors = {"weight": _f32(weight)}
        if bias is not None:
            tensors["bias"] = _f32(np.broadcast_to(bias.reshape(-1) if bias.size == units else bias, (units,)))
        self._add(netspec.Layer("fc", size=units), **tensors)
        self.fc_open = bias is None
        return _State(units, 1, 1, vector=True)

    def _fc_bias(self, node, cur: str, state: _State) -> bool:
        """An Add right after MatMul (or a Gemm without C) that adds a constant vector: the fc's bias."""
        if node.op_type != "Add" or not self.fc_open:
            return False
        others = [name for name in node.input if name != cur]
        if len(others) != 1 or others[0] not in self.consts:
            return False
        bias = self.consts[others[0]]
        if bias.size not in (1, state.c) or bias.ndim > 2:
            return False
        self.tensors[f"layers.{len(self.layers) - 1}.bias"] = _f32(np.broadcast_to(bias.reshape(-1), (state.c,)))
        self.fc_open = False
        return True

    def _bn(self, node, attrs: dict, state: _State) -> _State:
        if attrs.get("training_mode", 0):
            raise ModelImportError(
                "BatchNormalization in training mode", "onnx_setting", op=node.op_type, setting="training_mode", value=1
            )
        if state.flat or (not state.vector and state.order != "chw"):
            raise ModelImportError(
                "BatchNormalization on a flattened or channels-last tensor; the app's bn normalises channels",
                "onnx_layout",
                op=node.op_type,
            )
        scale, bias, mean, var = (
            self._const(node, k, what) for k, what in ((1, "scale"), (2, "B"), (3, "mean"), (4, "var"))
        )
        if any(t.shape != (state.c,) for t in (scale, bias, mean, var)):
            raise _shape_error(node.op_type, scale.shape, state.c)
        # The app's bn uses eps 1e-5: the variance takes up the difference, so the result is the same
        var = var.astype(np.float64) + float(attrs.get("epsilon", 1e-5)) - 1e-5
        mean = mean.astype(np.float64)
        before = len(self.layers) - 1
        bias_key = f"layers.{before}.bias"
        if before >= 0 and self.layers[before].kind == "conv" and bias_key in self.tensors:
            mean = mean - self.tensors.pop(bias_key)  # a conv right before bn has no bias of its own in Net
        self._add(
            netspec.Layer("bn"),
            weight=_f32(scale),
            bias=_f32(bias),
            running_mean=_f32(mean),
            running_var=_f32(np.maximum(var, 0.0)),
            num_batches_tracked=np.array(0, dtype=np.int64),
        )
        return state

    def _conv(self, node, attrs: dict, state: _State) -> _State:
        weight = self._const(node, 1, "weight")
        if int(attrs.get("group", 1)) != 1:
            raise ModelImportError(
                f"Conv with group={attrs.get('group')} (a grouped or depthwise convolution)",
                "onnx_setting",
                op="Conv",
                setting="group",
                value=attrs.get("group"),
            )
        if weight.ndim != 4 or weight.shape[1] != state.c:
            raise _shape_error("Conv", weight.shape, state.c)
        kernel = _square("Conv", "kernel_shape", attrs.get("kernel_shape", list(weight.shape[2:])))
        stride = _square("Conv", "strides", attrs.get("strides", [1, 1]))
        dilation = _square("Conv", "dilations", attrs.get("dilations", [1, 1]))
        padding = _padding("Conv", attrs, state, kernel, stride, dilation)
        out = weight.shape[0]
        tensors = {"weight": _f32(weight)}
        if len(node.input) > 2 and node.input[2]:
            tensors["bias"] = _f32(self._const(node, 2, "bias").reshape(-1))
        self._add(
            netspec.Layer("conv", size=out, kernel=kernel, stride=stride, padding=padding, dilation=dilation), **tensors
        )
        total = 2 * padding if isinstance(padding, int) else dilation * (kernel - 1)
        size = (state.h + total - dilation * (kernel - 1) - 1) // stride + 1
        return _State(out, size, size)

    def _pool(self, node, attrs: dict, state: _State) -> _State:
        op = node.op_type
        kind = "avgpool" if "Average" in op else "maxpool"
        if op.startswith("Global"):
            if state.h != state.w:
                raise ModelImportError(
                    f"{op} on a {state.h}×{state.w} map",
                    "onnx_nonsquare",
                    op=op,
                    setting="map",
                    value=f"{state.h}×{state.w}",
                )
            kernel = stride = state.h
        else:
            kernel = _square(op, "kernel_shape", attrs.get("kernel_shape", []))
            stride = _square(op, "strides", attrs.get("strides", [1, 1]))
            if attrs.get("ceil_mode", 0):
                raise ModelImportError(f"{op} with ceil_mode=1", "onnx_setting", op=op, setting="ceil_mode", value=1)
            if _square(op, "dilations", attrs.get("dilations", [1, 1])) != 1:
                raise ModelImportError(f"{op} with dilations", "onnx_setting", op=op, setting="dilations", value=2)
            if any(attrs.get("pads", [0])) or attrs.get("auto_pad", "NOTSET") not in ("NOTSET", "VALID"):
                raise ModelImportError(f"{op} with padding; the app's pooling has none", "onnx_pool_padding", op=op)
        self._add(netspec.Layer(kind, kernel=kernel, stride=stride))
        size = (state.h - kernel) // stride + 1
        return _State(state.c, size, size)

    # -- arithmetic: GELU's erf formula, or (x - mean) / std at the very start
    def _formula(self, nodes, i: int, cur: str, state: _State, uses: dict[str, int]) -> int:
        """How many nodes from i form one elementwise formula of the running tensor that reads as one layer:
        GELU's erf formula, or (x - mean) / std before the first layer (folded into the input normalisation)."""
        window, j = [], i
        x = np.linspace(-4.0, 4.0, 81)  # x[40] = 0, x[41] = 0.1
        while j < len(nodes) and len(window) < 8:
            node = nodes[j]
            j += 1
            if self._constant(node, cur, state):
                continue
            if node.op_type not in _ARITHMETIC:
                break
            window.append(node)
            fn = self._evaluate(window, cur, uses)
            if fn is None:
                continue
            y = fn(x)
            if np.allclose(y, 0.5 * x * (1 + _erf(x / math.sqrt(2))), rtol=1e-5, atol=1e-6):
                self._add(netspec.Layer("gelu"))
                return j - i
            a = (y[41] - y[40]) / 0.1
            if not self.layers and a > 0 and np.allclose(y, a * x + y[40], rtol=1e-5, atol=1e-6):
                self.graph_norm = (-y[40] / a, 1 / a)  # (x - mean) / std == a x + b
                return j - i
            tanh_gelu = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
            if len(window) > 1 and np.allclose(y, tanh_gelu, rtol=1e-4, atol=1e-5):
                raise ModelImportError("Gelu with the tanh approximation", "onnx_gelu_tanh")
        raise _unsupported_op(nodes[i])

    def _evaluate(self, window, cur: str, uses: dict[str, int]):
        """The window as a function of the running tensor's values, when it is closed (it reads only the running
        tensor, one-number constants and its own results, and only its last result is read outside it)."""
        known = {cur}
        for node in window:
            for name in node.input:
                if name in self.consts and self.consts[name].size != 1 and name not in known:
                    return None
                if name not in known and name not in self.consts:
                    return None
            known.add(node.output[0])
        inner = {node.output[0] for node in window[:-1]}
        read_inside = sum(1 for node in window for name in node.input if name in inner)
        if sum(uses.get(name, 0) for name in inner) != read_inside:
            return None

        def fn(x: np.ndarray) -> np.ndarray:
            values = {cur: x}
            with np.errstate(all="ignore"):
                for node in window:
                    args = [values[n] if n in values else float(self.consts[n].reshape(-1)[0]) for n in node.input]
                    values[node.output[0]] = _ELEMENTWISE[node.op_type](*args)
            return np.broadcast_to(values[window[-1].output[0]], x.shape)

        return fn


_ELEMENTWISE = {
    "Add": np.add,
    "Sub": np.subtract,
    "Mul": np.multiply,
    "Div": np.divide,
    "Pow": np.power,
    "Sqrt": np.sqrt,
    "Tanh": np.tanh,
    "Erf": lambda x: _erf(x),
}


def _erf(x) -> np.ndarray:
    return np.vectorize(math.erf)(x)


def _f32(value: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(value, dtype=np.float32)


def _constant_value(node, attrs: dict) -> np.ndarray:
    for key, dtype in (("value", None), ("value_float", np.float32), ("value_floats", np.float32)):
        if key in attrs:
            return np.asarray(attrs[key], dtype=dtype)
    for key in ("value_int", "value_ints"):
        if key in attrs:
            return np.asarray(attrs[key], dtype=np.int64)
    raise _unsupported_op(node)


def _square(op: str, setting: str, values) -> int:
    values = [int(v) for v in values]
    if len(values) != 2 or values[0] != values[1]:
        raise ModelImportError(
            f"{op} with {setting} {values}; the app's layers are square (the same on both axes)",
            "onnx_nonsquare",
            op=op,
            setting=setting,
            value=str(values)[:40],
        )
    return values[0]


def _padding(op: str, attrs: dict, state: _State, kernel: int, stride: int, dilation: int) -> int | str:
    """Conv's pads as the list's padding: a number on every side, or `same` (stride 1, the extra pixel after)."""
    auto = attrs.get("auto_pad", "NOTSET")
    span = dilation * (kernel - 1)
    if auto == "VALID":
        return 0
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        total = max((-(-state.h // stride) - 1) * stride + span + 1 - state.h, 0)
        pads = [total // 2, total // 2, total - total // 2, total - total // 2]
        if auto == "SAME_LOWER":
            pads = pads[2:] + pads[:2]
    else:
        pads = [int(p) for p in attrs.get("pads", [0, 0, 0, 0])]
    if len(pads) == 4 and len(set(pads)) == 1:
        return "same" if auto.startswith("SAME") and stride == 1 and pads[0] else pads[0]
    if stride == 1 and pads == [span // 2, span // 2, span - span // 2, span - span // 2]:
        return "same"
    raise ModelImportError(
        f"{op} with padding {pads} (top, left, bottom, right); the app pads every side alike, or `same`",
        "onnx_padding",
        op=op,
        pads=str(pads)[:40],
    )


def _reshaped(current: list[int], shape: list[int], allowzero: bool) -> list[int] | None:
    """ONNX Reshape's output shape (0 copies a dimension unless allowzero, -1 takes the rest); None if it can't."""
    total = math.prod(current)
    out = [current[k] if d == 0 and not allowzero and k < len(current) else d for k, d in enumerate(shape)]
    if out.count(-1) > 1 or any(d < -1 for d in out):
        return None
    if -1 in out:
        known = math.prod(d for d in out if d != -1)
        if known == 0 or total % known:
            return None
        out[out.index(-1)] = total // known
    return out if math.prod(out) == total else None


def _shape_error(op: str, shape: tuple, features: int) -> ModelImportError:
    shape = "×".join(str(d) for d in shape)
    return ModelImportError(
        f"{op}'s weights have the shape {shape}, which does not fit its input of {features}",
        "onnx_shape",
        op=op,
        shape=shape,
        features=features,
    )


def _bad_reshape(op: str, shape: str) -> ModelImportError:
    return ModelImportError(
        f"{op} to {shape}; the app reads only a flatten to (batch, features)", "onnx_reshape", op=op, shape=shape[:60]
    )


def _not_chain(node) -> ModelImportError:
    return ModelImportError(
        f"the graph branches at {node.op_type} (a skip connection or a second input); the app reads a chain of layers",
        "onnx_chain",
        op=node.op_type,
    )


def _norm_from_metadata(model) -> tuple[float, float] | None:
    for prop in model.metadata_props:
        if prop.key in NORM_KEYS:
            return parse_input_norm(prop.value)
    return None


def read_onnx(raw: bytes, name: str = "model.onnx", input_norm: str | tuple | None = None) -> ImportedModel:
    """An ONNX model's bytes as a list, Net's weights and its input normalisation.

    Args:
        raw: the file's bytes (never a path: nothing the model names is ever opened).
        input_norm: `mnist`, `unit`, `MEAN,STD` or (mean, std), which wins over the file's metadata_props.
    Returns:
        the ImportedModel; its input_norm is None when neither the file nor the caller says.
    Raises:
        ModelImportError: the first thing that is unsupported, by name.
    """
    from google.protobuf.message import DecodeError
    from onnx import ModelProto

    sniff(raw, name)
    model = ModelProto()
    try:
        model.ParseFromString(raw)
    except (DecodeError, RuntimeError, ValueError):
        model = None
    if model is None or not model.HasField("graph") or not len(model.graph.node) or model.ir_version < 1:
        raise ModelImportError(
            f"{name} is neither an ONNX model nor a LeNet Explorer checkpoint (or it is cut short)",
            "import_unreadable",
            name=name,
        )
    reader = _Reader(model)
    layers, tensors = reader.read()
    spec = netspec.NetSpec(tuple(layers))
    _fill_biases(spec, tensors)
    norm = parse_input_norm(input_norm) or _norm_from_metadata(model)
    if reader.graph_norm is not None and norm is not None:  # (u - m) / s of an input u = (x - M) / S
        norm = (norm[0] + reader.graph_norm[0] * norm[1], norm[1] * reader.graph_norm[1])
    return ImportedModel(spec, tensors, norm, "onnx", reader.notes)


def _fill_biases(spec: netspec.NetSpec, tensors: dict[str, np.ndarray]) -> None:
    """Zero biases where Net has one and the file had none (a conv with bias=False that no bn follows)."""
    layers = spec.layers
    for i, layer in enumerate(layers):
        if layer.kind not in ("conv", "fc"):
            continue
        key = f"layers.{i}.bias"
        before_bn = i + 1 < len(layers) and layers[i + 1].kind == "bn"
        if before_bn and layer.kind == "conv":
            tensors.pop(key, None)  # folded into the bn's mean by _bn: Net's conv right before a bn has none
        elif key not in tensors:
            tensors[key] = np.zeros(layer.size, dtype=np.float32)


# --- into the runs folder ------------------------------------------------------------------------------


def build(imported: ImportedModel):
    """The imported model as a Net in eval mode, its weights loaded strictly."""
    import torch

    from lenet.netmodel import Net

    norm = None if imported.input_norm == NORMS["mnist"] else imported.input_norm
    model = Net(imported.spec, norm)
    model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in imported.tensors.items()}, strict=True)
    return model.eval()


def out_path(name: str, out: str | os.PathLike | None = None) -> Path:
    """Where an import is saved: `out`, else the runs folder under the file's name (never over another run)."""
    from lenet import checkpoints

    if out is not None:
        return Path(out)
    folder = checkpoints.runs_dir()
    stem = checkpoints.sanitize_name(Path(name).stem, "imported")
    path = folder / f"{stem}.safetensors"
    n = 2
    while path.exists():
        path, n = folder / f"{stem}-{n}.safetensors", n + 1
    return path


def import_bytes(
    raw: bytes, name: str, input_norm: str | tuple | None = None, out: str | os.PathLike | None = None
) -> tuple[Path, str, tuple[float, float] | None]:
    """Read a model file's bytes and save it as a checkpoint, so that it joins every model picker like a run.

    Args:
        raw: the file (ONNX, or one of the app's own safetensors checkpoints from another server).
        name: its name, for messages and the saved run's name.
        input_norm: `mnist`, `unit` or `MEAN,STD` (ONNX only; a checkpoint states its own).
        out: where to save; default the runs folder.
    Returns:
        (the checkpoint's path, its network list, its input normalisation).
    Raises:
        ModelImportError: unsupported or hostile input, or `import_norm_needed` when the normalisation is unknown;
        lenet.checkpoints.CheckpointError: a safetensors file that the strict loader refuses.
    """
    from lenet import checkpoints

    if sniff(raw, name) == "safetensors":
        return _import_checkpoint(raw, out_path(name, out))
    imported = read_onnx(raw, name, input_norm)
    if imported.input_norm is None:
        raise ModelImportError(
            f"{name} does not say how its input pixels were normalised; give it: --input-norm mnist "
            "((x - 0.1307) / 0.3081), unit (pixels 0..1) or MEAN,STD",
            "import_norm_needed",
            name=name,
        )
    model = build(imported)
    path = checkpoints.save_checkpoint(model, out_path(name, out), {"imported": Path(name).name[:80]})
    return path, imported.net, imported.input_norm


def _import_checkpoint(raw: bytes, path: Path) -> tuple[Path, str, tuple[float, float] | None]:
    """Another server's checkpoint: checked by the strict loader in a temporary file, then renamed into place."""
    from lenet import checkpoints

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
        model, _ = checkpoints.load_checkpoint(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path, model.net, getattr(model, "input_norm", None) or NORMS["mnist"]


def import_file(path: str | os.PathLike, input_norm: str | None = None, out: str | os.PathLike | None = None):
    """import_bytes for a file on disk, its size checked before a byte of it is read."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)  # sniff refuses anything larger, having read no more than this
    except OSError as exc:
        raise ModelImportError(
            f"{path.name} cannot be read ({exc.strerror or exc.__class__.__name__})", "import_missing", name=path.name
        ) from None
    return import_bytes(raw, path.name, input_norm, out)


# --- python -m lenet import -------------------------------------------------------------------------------


def run(args) -> int:
    """`python -m lenet import FILE [--out FILE] [--input-norm mnist|unit|MEAN,STD] [--json]` (lenet.__main__): one
    line, the list (JSON: checkpoint, net, input_norm)."""
    path, net, norm = import_file(args.file, args.input_norm, args.out)
    payload = {"checkpoint": str(path), "net": net, "input_norm": list(norm) if norm else None}
    print(json.dumps(payload) if args.json else f"{net}\n(saved to {path})", flush=True)
    return 0
