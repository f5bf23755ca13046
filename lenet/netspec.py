"""A network as a list of layers: the compact text form, its presets, its blocks and names (ARCHITECTURE §4.7).

`c6k5p2,relu,mp2,c16k5,relu,mp2,c120k5,relu,fc84,relu,fc10` is LeNet-5. `parse` reads such a list (or a preset's
name) into a NetSpec and refuses anything PyTorch could not build, naming the layer (its 1-based index and its
text), what is wrong and what would fit, the way the Convolution lab explains a stride that does not fit; the
shape arithmetic and the suggestions are lenet.conv's own. `str(spec)` writes the canonical text back:
parse(str(spec)) == spec.

No torch: the lab, the CLI's `shape --net` and the checkpoints' headers read lists without loading PyTorch.
lenet.netmodel.Net builds the module; lenet.conv.network.list_table measures it.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, replace
from functools import cached_property

from lenet.conv.arithmetic import LayerError
from lenet.conv.explain import explain_layer
from lenet.conv.network import LayerRow, list_table
from lenet.errors import CodedError

INPUT_SHAPE = (1, 28, 28)  # every network here reads one 28x28 digit
NUM_CLASSES = 10  # the last layer is fc10: one logit per digit
ACTIVATIONS = ("relu", "tanh", "sigmoid", "gelu")
POOLS = ("maxpool", "avgpool")
KINDS = ("conv", *POOLS, *ACTIVATIONS, "bn", "dropout", "fc")
BLOCK_STARTS = ("conv", *POOLS, "fc")  # an activation, bn or dropout joins the block before it
# Bounds of a list (ARCHITECTURE §4.7). A pooling layer's stride defaults to its kernel, so it may be as long.
LIMITS = {
    "channels": (1, 256),
    "kernel": (1, 28),
    "stride": (1, 8),
    "padding": (0, 8),
    "dilation": (1, 8),
    "units": (1, 4096),
}
POOL_STRIDE = LIMITS["kernel"]
MAX_LAYERS = 32
MAX_TEXT = 1000  # characters: 32 layers of the longest form fit easily
# A float32 model of 10 M parameters is 40 MB: within a checkpoint's 64 MB, and a few seconds per epoch on
# a laptop. Anything bigger is not a small CNN on 28x28 digits.
MAX_PARAMS = 10_000_000
TEXTBOOK_NAMES = ("C1", "S2", "C3", "S4", "C5", "F6", "output")  # LeCun et al. 1998

# The syntax of each family, shown with an example when an entry does not follow it.
FORMS = {
    "conv": ("c{out}k{k}[s{s}][p{p}|psame][d{d}]", "c6k5p2"),
    "pool": ("mp{k}[s{s}] / ap{k}[s{s}]", "mp2"),
    "dropout": ("drop{p}", "drop0.25"),
    "fc": ("fc{n}", "fc84"),
}
_WORDS = {"relu": "relu", "tanh": "tanh", "sigmoid": "sigmoid", "gelu": "gelu", "bn": "bn"}
_CONV = re.compile(r"c(?P<out>\d+)k(?P<k>\d+)(?:s(?P<s>\d+))?(?:p(?P<p>\d+|same))?(?:d(?P<d>\d+))?")
_POOL = re.compile(r"(?P<op>[ma])p(?P<k>\d+)(?:s(?P<s>\d+))?")
_DROP = re.compile(r"drop(?P<p>\d*\.?\d+(?:e-?\d+)?)")
_FC = re.compile(r"fc(?P<n>\d+)")


class NetSpecError(CodedError, ValueError):
    """A list that cannot be built. `params` always hold `index` (1-based; 0: the whole list) and `layer` (its text)."""

    default_code = "net_invalid"

    def __init__(self, message: str, code: str, index: int = 0, layer: str = "", **params) -> None:
        super().__init__(message, code, index=index, layer=layer, **params)

    @property
    def index(self) -> int:
        return self.params["index"]

    @property
    def layer(self) -> str:
        return self.params["layer"]


class NetLayerError(NetSpecError):
    """A layer whose input it cannot take (a kernel larger than the map, 'same' with a stride, ...).

    `params["reason"]` is lenet.conv.arithmetic's LayerError, translated in turn (lenet.i18n.t_error).
    """

    default_code = "net_layer_fails"


@dataclass(frozen=True)
class Layer:
    """One entry of a list: its kind and settings (the unused ones keep their defaults: equal layers compare equal)."""

    kind: str  # one of KINDS
    size: int = 0  # conv: output channels; fc: units
    kernel: int = 0  # conv and pooling
    stride: int = 1  # conv and pooling (a pooling layer's defaults to its kernel)
    padding: int | str = 0  # conv: pixels on every side, or "same"
    dilation: int = 1  # conv
    p: float = 0.0  # dropout: the probability of zeroing a value while training

    @property
    def text(self) -> str:
        """The canonical text: defaults left out (c6k5 rather than c6k5s1p0d1, mp2 rather than mp2s2)."""
        if self.kind == "conv":
            stride = f"s{self.stride}" if self.stride != 1 else ""
            padding = f"p{self.padding}" if self.padding not in (0, "0") else ""
            dilation = f"d{self.dilation}" if self.dilation != 1 else ""
            return f"c{self.size}k{self.kernel}{stride}{padding}{dilation}"
        if self.kind in POOLS:
            stride = f"s{self.stride}" if self.stride != self.kernel else ""
            return f"{self.kind[0]}p{self.kernel}{stride}"
        if self.kind == "dropout":
            return f"drop{_number(self.p)}"
        if self.kind == "fc":
            return f"fc{self.size}"
        return self.kind

    @property
    def starts_block(self) -> bool:
        return self.kind in BLOCK_STARTS

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class NetSpec:
    """A whole network: its layers in forward order, checked on construction (a NetSpec always builds)."""

    layers: tuple[Layer, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "layers", tuple(self.layers))
        check(self.layers)

    @property
    def text(self) -> str:
        return ",".join(layer.text for layer in self.layers)

    def __str__(self) -> str:
        return self.text

    @cached_property
    def preset(self) -> str | None:
        """The preset this list equals, if any."""
        return next((name for name, text in NETWORKS.items() if text == self.text), None)

    @cached_property
    def blocks(self) -> list[str]:
        """Each layer's block name, one per layer (see block_names)."""
        return block_names(self.layers, self.preset)

    @property
    def names(self) -> tuple[str, ...]:
        """The blocks' names in forward order: what the pages show and trace."""
        return tuple(dict.fromkeys(self.blocks))

    @property
    def block_layers(self) -> list[tuple[Layer, ...]]:
        """Each block's layers, in forward order (one tuple per name of `names`)."""
        groups: dict[str, list[Layer]] = {}
        for name, layer in zip(self.blocks, self.layers, strict=True):
            groups.setdefault(name, []).append(layer)
        return [tuple(group) for group in groups.values()]

    def table(self) -> list[LayerRow]:
        """The shape table: the input's row, then one row per layer carrying its block's name."""
        return table(self.layers, self.blocks)


def _number(p: float) -> str:
    """A probability as short as it reads back exactly: 0.25, 0.1, 0, 1e-05."""
    text = repr(float(p))
    return text[:-2] if text.endswith(".0") else text


# --- presets -------------------------------------------------------------------------------------

NETWORKS: dict[str, str] = {
    # the tutorial's LeNet-5 with ReLU and max pooling: the default, and the shipped checkpoint
    "lenet5": "c6k5p2,relu,mp2,c16k5,relu,mp2,c120k5,relu,fc84,relu,fc10",
    # as in LeCun et al. 1998: tanh (the paper's scaled tanh, unscaled) and average pooling (its subsampling)
    "lenet5-1998": "c6k5p2,tanh,ap2,c16k5,tanh,ap2,c120k5,tanh,fc84,tanh,fc10",
    # Springenberg et al. 2015, "Striving for Simplicity: The All Convolutional Net": every pooling a learned
    # stride-2 conv, and a batch norm after each of LeNet-5's convs (LeNetConfig's pool="none", batch_norm=True).
    # Without the norms, two more layers to train made 98.18 % in the quick recipe's one epoch (k3s2p1 strides:
    # 98.32 %); with them 99.00 % (seeds 0-2: 98.87-99.00 %). README, Performance, has the times.
    "allconv": "c6k5p2,bn,relu,c6k2s2,relu,c16k5,bn,relu,c16k2s2,relu,c120k5,bn,relu,fc84,relu,fc10",
    # two 3x3 convs and one small fc: the size of the networks in 2025's 3D demos
    "tiny": "c8k3,relu,mp2,c16k3,relu,mp2,fc10",
    # LeNet-5 with more channels: what more capacity buys
    "wide": "c16k5p2,relu,mp2,c32k5,relu,mp2,c120k5,relu,fc84,relu,fc10",
}
DEFAULT_NETWORK = "lenet5"
# The presets that are LeNet-5's seven layers take the textbook's names.
TEXTBOOK_PRESETS = ("lenet5", "lenet5-1998", "allconv")


def preset(name: str) -> NetSpec:
    """A preset by name (see NETWORKS). Raises NetSpecError for an unknown name."""
    if name not in NETWORKS:
        raise NetSpecError(
            f"{name!r} is not a network preset ({', '.join(NETWORKS)})",
            "net_unknown_preset",
            name=name,
            presets=", ".join(NETWORKS),
        )
    return parse(NETWORKS[name])


# --- blocks and names ----------------------------------------------------------------------------


def block_names(layers: tuple[Layer, ...] | list[Layer], preset_name: str | None = None) -> list[str]:
    """Each layer's block name: conv1, pool1, fc1, ... and `output` for the last block; a textbook preset's
    blocks are C1, S2, C3, S4, C5, F6, output. A leading activation, bn or dropout is a block of its own, named
    after its kind."""
    starts = [i for i, layer in enumerate(layers) if layer.starts_block or i == 0]
    if preset_name in TEXTBOOK_PRESETS and len(starts) == len(TEXTBOOK_NAMES):
        names = list(TEXTBOOK_NAMES)
    else:
        counts: dict[str, int] = {}
        names = []
        for i in starts:
            family = {"conv": "conv", "maxpool": "pool", "avgpool": "pool", "fc": "fc"}.get(layers[i].kind)
            if family is None:
                names.append(layers[i].kind)
                continue
            counts[family] = counts.get(family, 0) + 1
            names.append(f"{family}{counts[family]}")
        if names and layers[starts[-1]].kind == "fc":
            names[-1] = "output"
    out, block = [], -1
    for i in range(len(layers)):
        if block + 1 < len(starts) and starts[block + 1] == i:
            block += 1
        out.append(names[block])
    return out


# --- reading -------------------------------------------------------------------------------------


def parse(text: str | NetSpec) -> NetSpec:
    """A list's text, or a preset's name, as a checked NetSpec.

    Args:
        text: `c6k5p2,relu,mp2,...` (commas between layers; spaces and case ignored) or a key of NETWORKS.
    Returns:
        the NetSpec.
    Raises:
        NetSpecError: the first layer that is wrong, by index and text, with what would fit.
    """
    if isinstance(text, NetSpec):
        return text
    if not isinstance(text, str):
        raise NetSpecError(f"a network list must be text, not {type(text).__name__}", "net_not_text")
    text = NETWORKS.get(text.strip().lower(), text)
    layers, typed = parse_layers(text)
    check(layers, typed)
    return NetSpec(layers)


def parse_layers(text: str) -> tuple[tuple[Layer, ...], tuple[str, ...]]:
    """Each entry's syntax and bounds, without the checks that need the whole list (see check).

    Returns:
        the layers, and each entry's text as typed (for messages).
    Raises:
        NetSpecError: an empty list, too long a list, or an entry that is not a layer.
    """
    compact = re.sub(r"\s+", "", text).lower()
    if len(compact) > MAX_TEXT:
        raise NetSpecError(
            f"the list is {len(compact)} characters long; at most {MAX_TEXT}", "net_too_long", limit=MAX_TEXT
        )
    entries = tuple(compact.split(",")) if compact else ()
    _check_length(entries)
    return tuple(_layer(entry, i + 1) for i, entry in enumerate(entries)), tuple(entries)


def _check_length(texts: tuple[str, ...]) -> None:
    """Refuse an empty list, or one longer than MAX_LAYERS (naming the first layer too many)."""
    if not texts:
        raise NetSpecError("the list is empty: write layers such as c6k5p2,relu,mp2,fc10", "net_empty")
    if len(texts) > MAX_LAYERS:
        raise NetSpecError(
            f"the list has {len(texts)} layers; at most {MAX_LAYERS}",
            "net_too_many",
            index=MAX_LAYERS + 1,
            layer=texts[MAX_LAYERS],
            count=len(texts),
            limit=MAX_LAYERS,
        )


def parse_layer(entry: str, index: int = 1) -> Layer:
    """One entry of a list on its own (spaces and case ignored), its syntax and bounds checked: the lab's designer
    reads each row apart, so one wrong entry does not hide the others. `index` (1-based) names it in an error."""
    return _layer(re.sub(r"\s+", "", entry).lower(), index)


def _int(digits: str | None, default: int) -> int:
    if digits is None:
        return default
    return int(digits) if len(digits) <= 9 else 10**9  # out of every bound, without converting a huge number


def _layer(entry: str, index: int) -> Layer:
    """One entry as a Layer, its bounds checked."""
    if not entry:
        raise NetSpecError(
            f"layer {index} is empty: two commas in a row, or one at an end", "net_empty_layer", index=index
        )
    if entry in _WORDS:
        return Layer(entry)
    if m := _CONV.fullmatch(entry):
        padding = m["p"] if m["p"] == "same" else _int(m["p"], 0)
        layer = Layer("conv", _int(m["out"], 0), _int(m["k"], 0), _int(m["s"], 1), padding, _int(m["d"], 1))
        _bounds(layer, entry, index, channels=layer.size, kernel=layer.kernel, stride=layer.stride,
                padding=padding if isinstance(padding, int) else 0, dilation=layer.dilation)  # fmt: skip
        return layer
    if m := _POOL.fullmatch(entry):
        kernel = _int(m["k"], 0)
        layer = Layer("maxpool" if m["op"] == "m" else "avgpool", kernel=kernel, stride=_int(m["s"], kernel))
        _bounds(layer, entry, index, kernel=kernel, pool_stride=layer.stride)
        return layer
    if m := _DROP.fullmatch(entry):
        p = float(m["p"])
        if not 0.0 <= p < 1.0:
            raise NetSpecError(
                f"layer {index} “{entry}”: a dropout probability must be at least 0 and below 1, not {m['p']}",
                "net_dropout_range",
                index=index,
                layer=entry,
                value=m["p"],
            )
        return Layer("dropout", p=p)
    if m := _FC.fullmatch(entry):
        layer = Layer("fc", _int(m["n"], 0))
        _bounds(layer, entry, index, units=layer.size)
        return layer
    raise _not_a_layer(entry, index)


def _not_a_layer(entry: str, index: int) -> NetSpecError:
    """The error for an entry that matches no form: the form it starts like, with an example, or the nearest word."""
    family = next(
        (
            f
            for f, prefixes in (("dropout", ("drop",)), ("fc", ("fc",)), ("pool", ("mp", "ap")), ("conv", ("c",)))
            if entry.startswith(prefixes)
        ),
        None,
    )
    if family is not None:
        form, example = FORMS[family]
        return NetSpecError(
            f"layer {index} “{entry}” is not written as {form}; for example {example}",
            "net_syntax",
            index=index,
            layer=entry,
            form=form,
            example=example,
        )
    near = difflib.get_close_matches(entry, list(_WORDS), n=1, cutoff=0.6)
    if near:
        return NetSpecError(
            f"layer {index} “{entry}” is not a layer; did you mean {near[0]}?",
            "net_unknown_near",
            index=index,
            layer=entry,
            near=near[0],
        )
    return NetSpecError(
        f"layer {index} “{entry}” is not a layer: write c6k5p2, mp2, ap2, relu, tanh, sigmoid, gelu, bn, "
        "drop0.25 or fc84",
        "net_unknown_layer",
        index=index,
        layer=entry,
    )


def _bounds(layer: Layer, entry: str, index: int, **values: int) -> None:
    """Raise NetSpecError for the first setting outside LIMITS, suggesting the layer with it clamped."""
    for name, value in values.items():
        low, high = POOL_STRIDE if name == "pool_stride" else LIMITS[name]
        if low <= value <= high:
            continue
        clamped = min(max(value, low), high)
        field = {"channels": "size", "units": "size", "pool_stride": "stride"}.get(name, name)
        fix = replace(layer, **{field: clamped})
        if name == "kernel" and layer.kind in POOLS and layer.stride == layer.kernel:
            fix = replace(fix, stride=clamped)  # mp0 -> mp1, not mp1s0
        setting = "stride" if name == "pool_stride" else name
        raise NetSpecError(
            f"layer {index} “{entry}”: {setting} {value} is outside {low} to {high}; for example {fix.text}",
            "net_out_of_range",
            index=index,
            layer=entry,
            name=setting,
            value=value,
            low=low,
            high=high,
            fix=fix.text,
        )


# --- checking the whole list ---------------------------------------------------------------------


def check(layers: tuple[Layer, ...] | list[Layer], typed: tuple[str, ...] | None = None) -> None:
    """Check what needs the whole list: no map after a vector, the last layer fc10, every shape, the size.

    Args:
        layers: the list's layers.
        typed: each entry's text as typed (default: the canonical text), for messages.
    Raises:
        NetSpecError: the first layer that is wrong (NetLayerError when its input does not fit it).
    """
    layers = tuple(layers)
    texts = typed or tuple(layer.text for layer in layers)
    _check_length(texts)
    first_fc = next((i for i, layer in enumerate(layers) if layer.kind == "fc"), None)
    for i, layer in enumerate(layers):
        if first_fc is not None and i > first_fc and layer.kind in ("conv", *POOLS):
            raise NetSpecError(
                f"layer {i + 1} “{texts[i]}” comes after the fully connected layer {first_fc + 1} "
                f"“{texts[first_fc]}”: a conv or a pooling needs a map, and an fc leaves a vector; move it before "
                f"layer {first_fc + 1}",
                "net_map_after_vector",
                index=i + 1,
                layer=texts[i],
                fc_index=first_fc + 1,
                fc=texts[first_fc],
            )
    last = layers[-1]
    if last.kind != "fc" or last.size != NUM_CLASSES:
        code = "net_last_units" if last.kind == "fc" else "net_last_layer"
        raise NetSpecError(
            f"the last layer ({len(layers)}, “{texts[-1]}”) must be fc{NUM_CLASSES}, one output per digit: "
            + (f"make it fc{NUM_CLASSES}" if last.kind == "fc" else f"add fc{NUM_CLASSES} after it"),
            code,
            index=len(layers),
            layer=texts[-1],
            units=NUM_CLASSES,
        )
    rows = table(layers, block_names(layers))
    for i, row in enumerate(rows[1:]):
        if row.error is not None:
            raise _layer_fails(layers, texts, i, rows[i].output, row.error)
    total = 0
    for i, row in enumerate(rows[1:]):
        total += row.params
        if total > MAX_PARAMS:
            raise NetSpecError(
                f"layer {i + 1} “{texts[i]}” brings the parameters to {total:,}; at most {MAX_PARAMS:,} "
                "fit a small network: fewer channels or units, or a pooling before it",
                "net_too_big",
                index=i + 1,
                layer=texts[i],
                params=total,
                limit=MAX_PARAMS,
            )


def table(layers: tuple[Layer, ...] | list[Layer], blocks: list[str] | None = None) -> list[LayerRow]:
    """The shape table of a list, checked or not: the input's row, then one row per layer (never raises for a
    layer that does not fit: its row holds the reason, as lenet.conv.network.list_table)."""
    return list_table(INPUT_SHAPE, layers, blocks or block_names(layers))


def _layer_fails(
    layers: tuple[Layer, ...], texts: tuple[str, ...], i: int, shape: tuple[int, ...], error: LayerError
) -> NetLayerError:
    """The error of layer i, which cannot take its input `shape`: the arithmetic's reason, a nearby layer that fits."""
    layer = layers[i]
    height, width = shape[1:] if len(shape) == 3 else (0, 0)
    fix = _nearby(layer, shape) if len(shape) == 3 else None
    params = dict(index=i + 1, layer=texts[i], height=height, width=width, reason=error)
    where = f"layer {i + 1} “{texts[i]}” cannot take its {height}x{width} input: {error}"
    if fix is None:
        return NetLayerError(where, "net_layer_fails", **params)
    return NetLayerError(
        f"{where}; {fix[0]} would fit (output {fix[1]}x{fix[2]})",
        "net_layer_fix",
        **params,
        fix=fix[0],
        fix_height=fix[1],
        fix_width=fix[2],
    )


def _nearby(layer: Layer, shape: tuple[int, int, int]) -> tuple[str, int, int] | None:
    """The lab's first suggestion for this layer on this input (lenet.conv.explain), as a layer's text."""
    if layer.kind not in ("conv", *POOLS):
        return None
    channels, height, width = shape
    report = explain_layer(
        height,
        width,
        layer.kernel,
        layer.stride,
        layer.padding,
        layer.dilation,
        op=layer.kind,
        in_channels=channels,
        out_channels=max(layer.size, 1),
    )
    for suggestion in report.suggestions:
        changes = suggestion.changes
        if layer.kind in POOLS and not set(changes) <= {"kernel", "stride"}:
            continue  # a pooling here has no padding or dilation to change
        fixed = replace(layer, **changes)
        if layer.kind in POOLS and "kernel" in changes and layer.stride == layer.kernel:
            fixed = replace(fixed, stride=changes["kernel"])  # keep "stride = kernel" as typed
        if _fits(fixed, shape):
            out = list_table(shape, [fixed], ["x"])[1].output
            return fixed.text, out[1], out[2]
    return None


def _fits(layer: Layer, shape: tuple[int, int, int]) -> bool:
    """Whether this layer takes this input and stays within the bounds."""
    try:
        _layer(layer.text, 1)
    except NetSpecError:
        return False
    return list_table(shape, [layer], ["x"])[1].error is None


def model_config(value):
    """A model config as train.fit and the jobs take it: a LeNetConfig or NetSpec as is, text (a list or a
    preset's name) parsed. Raises NetSpecError for text that is no network."""
    if isinstance(value, str):
        return parse(value)
    return value
