"""LeNet-5 and the config that describes it and the variants students try.

Layer names follow LeCun et al. 1998 (C1, S2, C3, S4, C5, F6, output) so that
pages can label feature maps with the names the textbooks use.
"""

from __future__ import annotations

import dataclasses
import json
from collections import OrderedDict
from dataclasses import dataclass

import torch
from torch import nn

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

    def validate(self) -> None:
        """Raise ValueError naming the first layer that cannot be built, and why."""
        from lenet.arithmetic import network_table  # local: arithmetic imports this module's names

        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation: {self.activation!r} is not one of {', '.join(ACTIVATIONS)}")
        if self.pool not in POOLS:
            raise ValueError(f"pool: {self.pool!r} is not one of {', '.join(POOLS)}")
        if not 0.0 <= float(self.dropout) < 1.0:
            raise ValueError(f"dropout: {self.dropout} must be at least 0 and below 1")
        for row in network_table(self):
            if row.error:
                raise ValueError(f"{row.name}: {row.error}")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict) -> "LeNetConfig":
        """Build a config from a dict, rejecting unknown keys and wrong types with ValueError."""
        if not isinstance(data, dict):
            raise ValueError("config must be a JSON object")
        fields = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - set(fields))
        if unknown:
            raise ValueError(f"config has unknown keys: {', '.join(unknown)}")
        clean = {}
        for name, value in data.items():
            default = fields[name].default
            kind = type(default)
            if kind is bool:
                ok = isinstance(value, bool)
            elif kind is int:
                ok = isinstance(value, int) and not isinstance(value, bool)
            elif kind is float:
                ok = isinstance(value, (int, float)) and not isinstance(value, bool)
                value = float(value) if ok else value
            else:
                ok = isinstance(value, kind)
            if not ok:
                raise ValueError(f"config key {name!r} must be {kind.__name__}, got {value!r}")
            clean[name] = value
        return cls(**clean)

    @classmethod
    def from_json(cls, text: str) -> "LeNetConfig":
        try:
            data = json.loads(text)
        except (TypeError, json.JSONDecodeError) as exc:
            raise ValueError(f"config is not valid JSON: {exc}") from None
        return cls.from_dict(data)


def _activation(name: str) -> nn.Module:
    return {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}[name]()


class LeNet(nn.Module):
    """LeNet-5: a conv/pool feature extractor and a fully connected classifier."""

    def __init__(self, config: LeNetConfig | None = None) -> None:
        super().__init__()
        self.config = cfg = config or LeNetConfig()
        from lenet.arithmetic import network_table

        shapes = {row.name: row.output for row in network_table(cfg)}

        def conv(name: str, cin: int) -> nn.Sequential:
            cout = getattr(cfg, f"{name.lower()}_channels")
            layers = [nn.Conv2d(cin, cout, getattr(cfg, f"{name.lower()}_kernel"),
                                stride=getattr(cfg, f"{name.lower()}_stride"),
                                padding=getattr(cfg, f"{name.lower()}_padding"),
                                bias=not cfg.batch_norm)]
            if cfg.batch_norm:
                layers.append(nn.BatchNorm2d(cout))
            layers.append(_activation(cfg.activation))
            return nn.Sequential(*layers)

        def pool(channels: int) -> nn.Module:
            k = cfg.pool_size
            if cfg.pool == "max":
                return nn.MaxPool2d(k, k)
            if cfg.pool == "avg":
                return nn.AvgPool2d(k, k)
            return nn.Sequential(nn.Conv2d(channels, channels, k, stride=k), _activation(cfg.activation))

        c5_c, c5_h, c5_w = shapes["C5"]
        self.features = nn.Sequential(OrderedDict([
            ("C1", conv("C1", cfg.in_channels)),  # N x 6 x 28 x 28
            ("S2", pool(cfg.c1_channels)),        # N x 6 x 14 x 14
            ("C3", conv("C3", cfg.c1_channels)),  # N x 16 x 10 x 10
            ("S4", pool(cfg.c3_channels)),        # N x 16 x 5 x 5
            ("C5", conv("C5", cfg.c3_channels)),  # N x 120 x 1 x 1
        ]))
        self.classifier = nn.Sequential(OrderedDict([
            ("flatten", nn.Flatten()),            # N x 120
            ("drop5", nn.Dropout(cfg.dropout)),
            ("F6", nn.Sequential(nn.Linear(c5_c * c5_h * c5_w, cfg.f6_units), _activation(cfg.activation))),  # N x 84
            ("drop6", nn.Dropout(cfg.dropout)),
            ("output", nn.Linear(cfg.f6_units, cfg.num_classes)),  # N x 10 (logits)
        ]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        return self.classifier(x)

    def forward_with_activations(self, x: torch.Tensor) -> tuple[torch.Tensor, "OrderedDict[str, torch.Tensor]"]:
        """The same forward pass, also returning every textbook layer's output by name.

        It walks the layers itself rather than using forward hooks, so one shared model can serve
        many sessions at once without their activations mixing.
        """
        outputs: OrderedDict[str, torch.Tensor] = OrderedDict()
        for name, layer in [*self.features.named_children(), *self.classifier.named_children()]:
            x = layer(x)
            if name in LAYER_NAMES:
                outputs[name] = x
        return x, outputs

    def named_layers(self) -> "OrderedDict[str, nn.Module]":
        """The seven textbook layers, by name, in forward order."""
        return OrderedDict([(n, m) for n, m in [*self.features.named_children(), *self.classifier.named_children()]
                            if n in LAYER_NAMES])


def lenet(**overrides) -> LeNet:
    """A LeNet with the default config, changed by keyword arguments."""
    return LeNet(LeNetConfig(**overrides))
