"""LeNetConfig: the hyperparameters of LeNet-5 and the variants students try, checked in one place.

No torch: the Convolution lab and the CLI read it without loading PyTorch. Layer names follow
LeCun et al. 1998 (C1, S2, C3, S4, C5, F6, output) so that pages can label feature maps with the
names the textbooks use. Checkpoints store the config as JSON (to_json), so its field names and
defaults are part of the checkpoint format.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

from lenet.conv.network import LayerRow, LayerSpec, network_table

ACTIVATIONS = ("relu", "tanh", "sigmoid")
POOLS = ("max", "avg", "none")  # "none": a learned, strided conv downsamples instead
LAYER_NAMES = ("C1", "S2", "C3", "S4", "C5", "F6", "output")


@dataclass
class LeNetConfig:
    """Hyperparameters of a LeNet-style network. The defaults are the tutorial's LeNet-5."""

    input_size: int = 28  # MNIST images are 28x28
    in_channels: int = 1
    c1_channels: int = 6
    c1_kernel: int = 5
    c1_stride: int = 1
    c1_padding: int = 2  # 28x28 in, 28x28 out: keeps the digit's border, as LeCun's 32x32 input did
    c3_channels: int = 16
    c3_kernel: int = 5
    c3_stride: int = 1
    c3_padding: int = 0
    c5_channels: int = 120
    c5_kernel: int = 5  # on a 5x5 input this is the paper's "FC 400->120" written as a conv
    c5_stride: int = 1
    c5_padding: int = 0
    pool: str = "max"
    pool_size: int = 2  # kernel = stride: halves the map
    f6_units: int = 84
    num_classes: int = 10
    activation: str = "relu"
    dropout: float = 0.0  # before F6 and output
    batch_norm: bool = False  # after every conv

    def __post_init__(self) -> None:
        self.validate()

    @classmethod
    def unchecked(cls, **fields) -> LeNetConfig:
        """A config that may be invalid, for the lab's network designer, which shows each layer's error.

        Raises:
            TypeError: a field LeNetConfig does not have, as the constructor would.
        """
        names = {f.name: f.default for f in dataclasses.fields(cls)}
        unknown = sorted(set(fields) - set(names))
        if unknown:
            raise TypeError(f"LeNetConfig has no field {', '.join(unknown)}")
        config = cls.__new__(cls)  # skips __init__, and with it __post_init__'s validation
        for name, default in names.items():
            setattr(config, name, fields.get(name, default))
        return config

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """(channels, height, width) of one input image."""
        return self.in_channels, self.input_size, self.input_size

    def layers(self) -> list[LayerSpec]:
        """The network as a table, in forward order: network_table measures it and model.LeNet builds it."""
        act, bn = self.activation, self.batch_norm

        def conv(name: str, channels: int, kernel: int, stride: int, padding: int | str) -> LayerSpec:
            return LayerSpec(name, "conv", channels, kernel, stride, padding, batch_norm=bn, activation=act)

        def pool(name: str) -> LayerSpec:
            # only the learned replacement for pooling has an activation after it
            return LayerSpec(
                name,
                "pool",
                kernel=self.pool_size,
                stride=self.pool_size,
                pool=self.pool,
                activation=act if self.pool == "none" else None,
            )

        return [
            conv("C1", self.c1_channels, self.c1_kernel, self.c1_stride, self.c1_padding),
            pool("S2"),
            conv("C3", self.c3_channels, self.c3_kernel, self.c3_stride, self.c3_padding),
            pool("S4"),
            conv("C5", self.c5_channels, self.c5_kernel, self.c5_stride, self.c5_padding),
            LayerSpec("F6", "fc", self.f6_units, activation=act),
            LayerSpec("output", "fc", self.num_classes),  # logits: no activation
        ]

    def to_net(self):
        """This network as a list of layers (lenet.netspec.NetSpec): the same layers in the same order.

        Each textbook layer is its entries (a conv, its batch norm, its activation; a pooling; a learned pooling's
        strided conv and activation), with the dropout LeNet puts before F6 and before the output. The default
        config reads as the `lenet5` preset exactly. Raises NetSpecError for a config outside the list's bounds.
        """
        from lenet import netspec

        entries: list[str] = []
        for spec in self.layers():
            entries += _entries(spec, self)
        return netspec.parse(",".join(entries))

    def table(self) -> list[LayerRow]:
        """The shape and parameter table of this network (see lenet.conv.network.network_table)."""
        return network_table(self.input_shape, self.layers())

    def validate(self) -> None:
        """Raise ValueError naming the first setting or layer that cannot be built, and why."""
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation: {self.activation!r} is not one of {', '.join(ACTIVATIONS)}")
        if self.pool not in POOLS:
            raise ValueError(f"pool: {self.pool!r} is not one of {', '.join(POOLS)}")
        if not 0.0 <= float(self.dropout) < 1.0:
            raise ValueError(f"dropout: {self.dropout} must be at least 0 and below 1")
        for row in self.table():
            if row.error is not None:
                raise ValueError(f"{row.name}: {row.error}")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict) -> LeNetConfig:
        """Build a config from a dict, rejecting unknown keys and wrong types with ValueError."""
        if not isinstance(data, dict):
            raise ValueError("config must be a JSON object")
        fields = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - set(fields))
        if unknown:
            raise ValueError(f"config has unknown keys: {', '.join(unknown)}")
        for name, value in data.items():
            _check_type(name, value, type(fields[name].default))
        return cls(**{name: float(v) if isinstance(fields[name].default, float) else v for name, v in data.items()})

    @classmethod
    def from_json(cls, text: str) -> LeNetConfig:
        try:
            data = json.loads(text)
        except (TypeError, json.JSONDecodeError) as exc:
            raise ValueError(f"config is not valid JSON: {exc}") from None
        return cls.from_dict(data)


def _entries(spec: LayerSpec, config: LeNetConfig) -> list[str]:
    """One textbook layer of a LeNetConfig as list entries (see LeNetConfig.to_net)."""
    act = [spec.activation] if spec.activation else []
    if spec.kind == "pool" and spec.pool != "none":
        stride = f"s{spec.stride}" if spec.stride != spec.kernel else ""
        return [f"{spec.pool[0]}p{spec.kernel}{stride}"]
    if spec.kind == "fc":
        dropout = [f"drop{config.dropout!r}"] if config.dropout > 0 else []
        return [*dropout, f"fc{spec.channels}", *act]
    if spec.kind == "pool":  # a learned pooling: a strided conv that keeps the channels, with a bias
        channels, padding, bn = config.c1_channels if spec.name == "S2" else config.c3_channels, 0, []
    else:
        channels, padding, bn = spec.channels, spec.padding, ["bn"] if spec.batch_norm else []
    stride = f"s{spec.stride}" if spec.stride != 1 else ""
    pad = f"p{padding}" if padding != 0 else ""
    return [f"c{channels}k{spec.kernel}{stride}{pad}", *bn, *act]


def _check_type(name: str, value, kind: type) -> None:
    """Raise ValueError unless `value` has the type of the default (an int counts as a float, a bool as no int)."""
    if kind is bool:
        ok = isinstance(value, bool)
    elif kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    else:
        ok = isinstance(value, kind)
    if not ok:
        raise ValueError(f"config key {name!r} must be {kind.__name__}, got {value!r}")
