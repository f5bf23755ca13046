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


def _conv_and_activation(layer: nn.Module) -> tuple[nn.Conv2d | None, nn.Module | None]:
    """(conv, activation) for a block that is exactly a Conv2d then an activation; (None, None) otherwise."""
    plain = isinstance(layer, nn.Sequential) and len(layer) == 2 and isinstance(layer[0], nn.Conv2d)
    if plain and isinstance(layer[1], (nn.ReLU, nn.Tanh, nn.Sigmoid)):
        return layer[0], layer[1]
    return None, None


def _conv_or_gemm(conv: nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
    """conv(x); as one matrix product when the kernel covers the whole unpadded input (an N x C x 1 x 1 output)."""
    if tuple(x.shape[-2:]) != conv.kernel_size or conv.padding != (0, 0) or conv.groups != 1:
        return conv(x)
    weight = conv.weight.reshape(conv.out_channels, -1)
    return torch.nn.functional.linear(x.flatten(1), weight, conv.bias)[:, :, None, None]


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

    @property
    def net(self) -> str:
        """This network as a list's text (LeNetConfig.to_net): the question every model answers (Net.net too)."""
        return self.config.to_net().text

    @property
    def names(self) -> tuple[str, ...]:
        """The textbook layers' names in forward order (Net.names too)."""
        return LAYER_NAMES

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        return self.classifier(x)

    def forward_fast(self, x: torch.Tensor) -> torch.Tensor:
        """forward's function computed in a cheaper order: the same numbers up to rounding.

        - Max-pooling commutes with a non-decreasing activation (max(f(a), f(b)) = f(max(a, b)), and ReLU, tanh
          and sigmoid all are), so a conv block followed by max-pooling pools first and applies its activation
          to a quarter of the values, forward and backward.
        - A convolution whose kernel covers its whole unpadded input (C5: 5 x 5 on 5 x 5) is a matrix product:
          one GEMM instead of oneDNN's convolution, forward and backward.
        Average or learned pooling and batch norm run as in forward. Training uses it with TrainConfig.fast_kernels
        (the default); it rounds differently from forward, so the shipped recipe (the "shipped" preset) keeps forward.
        """
        layers = [*self.features.children(), *self.classifier.children()]
        i = 0
        while i < len(layers):
            layer = layers[i]
            conv, act = _conv_and_activation(layer)
            if conv is None:
                x = layer(x)
            elif i + 1 < len(layers) and isinstance(layers[i + 1], nn.MaxPool2d):
                x = act(layers[i + 1](_conv_or_gemm(conv, x)))
                i += 1
            else:
                x = act(_conv_or_gemm(conv, x))
            i += 1
        return x

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
