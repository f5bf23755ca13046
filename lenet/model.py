"""LeNet-5 as an nn.Module, built from the layer table of its LeNetConfig (lenet.config).

Layer names follow LeCun et al. 1998 (C1, S2, C3, S4, C5, F6, output) so that
pages can label feature maps with the names the textbooks use.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np
import torch
from torch import nn

from lenet.config import LAYER_NAMES, LeNetConfig
from lenet.conv.network import LayerSpec


def _activation(name: str) -> nn.Module:
    return {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}[name]()


def _make_layer(spec: LayerSpec, in_shape: tuple[int, ...]) -> nn.Module:
    """The nn layer for one row of LeNetConfig.layers(), given the shape it receives (no batch dimension)."""
    if spec.kind == "pool" and spec.pool == "max":
        return nn.MaxPool2d(spec.kernel, spec.stride)
    if spec.kind == "pool" and spec.pool == "avg":
        return nn.AvgPool2d(spec.kernel, spec.stride)
    if spec.kind == "pool":  # pool "none": a learned conv downsamples, keeping the channels
        layers = [nn.Conv2d(in_shape[0], in_shape[0], spec.kernel, stride=spec.stride)]
    elif spec.kind == "conv":
        layers = [
            nn.Conv2d(
                in_shape[0],
                spec.channels,
                spec.kernel,
                stride=spec.stride,
                padding=spec.padding,
                bias=not spec.batch_norm,
            )
        ]
        if spec.batch_norm:
            layers.append(nn.BatchNorm2d(spec.channels))
    else:
        layers = [nn.Linear(math.prod(in_shape), spec.channels)]
    if spec.activation is None:
        return layers[0]  # the output layer: a bare Linear, as checkpoints store it
    return nn.Sequential(*layers, _activation(spec.activation))


class LeNet(nn.Module):
    """LeNet-5: a conv/pool feature extractor and a fully connected classifier."""

    def __init__(self, config: LeNetConfig | None = None) -> None:
        super().__init__()
        self.config = cfg = config or LeNetConfig()
        # each layer is built from its row of the table, with the input shape the table computed
        rows = cfg.table()[1:]  # [0] is the input
        layers = {spec.name: _make_layer(spec, row.input) for spec, row in zip(cfg.layers(), rows, strict=True)}
        self.features = nn.Sequential(
            OrderedDict(
                [
                    ("C1", layers["C1"]),  # N x 6 x 28 x 28
                    ("S2", layers["S2"]),  # N x 6 x 14 x 14
                    ("C3", layers["C3"]),  # N x 16 x 10 x 10
                    ("S4", layers["S4"]),  # N x 16 x 5 x 5
                    ("C5", layers["C5"]),  # N x 120 x 1 x 1
                ]
            )
        )
        self.classifier = nn.Sequential(
            OrderedDict(
                [
                    ("flatten", nn.Flatten()),  # N x 120
                    ("drop5", nn.Dropout(cfg.dropout)),
                    ("F6", layers["F6"]),  # N x 84
                    ("drop6", nn.Dropout(cfg.dropout)),
                    ("output", layers["output"]),  # N x 10 (logits)
                ]
            )
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        return self.classifier(x)

    def forward_with_activations(self, x: torch.Tensor) -> tuple[torch.Tensor, OrderedDict[str, torch.Tensor]]:
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

    def named_layers(self) -> OrderedDict[str, nn.Module]:
        """The seven textbook layers, by name, in forward order."""
        return OrderedDict(
            [
                (n, m)
                for n, m in [*self.features.named_children(), *self.classifier.named_children()]
                if n in LAYER_NAMES
            ]
        )

    def kernels(self, layer: str = "C1") -> np.ndarray:
        """The learned kernels of a conv layer (or of a learned pooling layer).

        Args:
            layer: a name from LAYER_NAMES whose block holds a Conv2d.
        Returns:
            the weights as float32 numpy, out_channels x in_channels x K x K.
        Raises:
            ValueError: the layer has no convolution (max or average pooling, or a fully connected layer).
        """
        conv = next((m for m in self.named_layers()[layer].modules() if isinstance(m, nn.Conv2d)), None)
        if conv is None:
            raise ValueError(f"{layer} is not a convolution layer")
        return conv.weight.detach().cpu().numpy()


def lenet(**overrides) -> LeNet:
    """A LeNet with the default config, changed by keyword arguments."""
    return LeNet(LeNetConfig(**overrides))
