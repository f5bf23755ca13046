"""Net: any network list (lenet.netspec) as an nn.Module, with the interface the pages use on LeNet.

The list's layers are `layers.<i>` (i: the 0-based index in the list), so the state dict reads
`layers.0.weight`, `layers.0.bias`, ... (ARCHITECTURE §4.7), the names ONNX import writes. Flatten is implied before
the first fc and is no module of its own, so the indices stay the list's. A block (a conv, pooling or fc with the
activations, bn and dropout after it) is what the pages show and trace, under the list's names (conv1, pool1, ...
or a preset's C1, S2, ...).
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import torch
from torch import nn

from lenet import data, netspec
from lenet.config import LeNetConfig
from lenet.model import LeNet, _conv_or_gemm
from lenet.netspec import Layer, NetSpec

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU}  # GELU: exact (erf)


def _module(layer: Layer, shape: tuple[int, ...], bias: bool) -> nn.Module:
    """The nn layer for one list entry, given the shape it receives (no batch dimension)."""
    if layer.kind == "conv":
        return nn.Conv2d(shape[0], layer.size, layer.kernel, layer.stride, layer.padding, layer.dilation, bias=bias)
    if layer.kind == "maxpool":
        return nn.MaxPool2d(layer.kernel, layer.stride)
    if layer.kind == "avgpool":
        return nn.AvgPool2d(layer.kernel, layer.stride)
    if layer.kind == "bn":
        return nn.BatchNorm2d(shape[0]) if len(shape) == 3 else nn.BatchNorm1d(shape[0])
    if layer.kind == "dropout":
        return nn.Dropout(layer.p)
    if layer.kind == "fc":
        return nn.Linear(int(np.prod(shape)), layer.size)
    return _ACTIVATIONS[layer.kind]()


class Net(nn.Module):
    """A network list as a module: `layers` holds one module per entry, in the list's order."""

    def __init__(self, spec: NetSpec | str = netspec.DEFAULT_NETWORK, input_norm: tuple[float, float] | None = None):
        """
        Args:
            spec: the list (a NetSpec, its text or a preset's name).
            input_norm: (mean, std) of the pixels in [0, 1] that the network was trained on, when not MNIST's
                (an imported model's); the app's inputs are MNIST-normalised and are re-normalised to it. None:
                MNIST's, and forward uses the input as it comes.
        """
        super().__init__()
        self.spec = netspec.parse(spec)
        self.input_norm = None if input_norm is None else (float(input_norm[0]), float(input_norm[1]))
        rows = self.spec.table()
        layers = self.spec.layers
        self.layers = nn.ModuleList(
            _module(layer, row.input, i + 1 == len(layers) or layers[i + 1].kind != "bn")
            for i, (layer, row) in enumerate(zip(layers, rows[1:], strict=True))
        )
        self._blocks = self.spec.blocks  # each entry's block name

    @property
    def config(self) -> NetSpec:
        """What rebuilds this network (as LeNet.config): its list."""
        return self.spec

    @property
    def net(self) -> str:
        """The list's canonical text: the question every model answers (LeNet.net too)."""
        return self.spec.text

    @property
    def names(self) -> tuple[str, ...]:
        """The blocks' names in forward order."""
        return self.spec.names

    def _normalised(self, x: torch.Tensor) -> torch.Tensor:
        """An MNIST-normalised input as this network expects it."""
        if self.input_norm is None:
            return x
        mean, std = self.input_norm
        return (x * data.STD + data.MEAN - mean) / std

    def _run(self, x: torch.Tensor, outputs: OrderedDict | None = None) -> torch.Tensor:
        """The forward pass; with `outputs`, each block's output (after its last entry) is written there by name."""
        x = self._normalised(x)
        for name, layer in zip(self._blocks, self.layers, strict=True):
            if isinstance(layer, nn.Linear) and x.dim() > 2:
                x = x.flatten(1)  # N x C*H*W, in C, H, W order as nn.Flatten
            x = layer(x)
            if outputs is not None:
                outputs[name] = x  # the block's last entry writes last
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._run(x)

    def forward_fast(self, x: torch.Tensor) -> torch.Tensor:
        """forward's function in a cheaper order, as LeNet.forward_fast: max-pooling before a non-decreasing
        activation (ReLU, tanh, sigmoid; not GELU), and a conv whose kernel covers its whole unpadded input as one
        matrix product. Equal to forward up to rounding."""
        x = self._normalised(x)
        layers, i = list(self.layers), 0
        while i < len(layers):
            layer = layers[i]
            pool_next = i + 1 < len(layers) and isinstance(layers[i + 1], nn.MaxPool2d)
            if isinstance(layer, (nn.ReLU, nn.Tanh, nn.Sigmoid)) and pool_next:
                x = layer(layers[i + 1](x))
                i += 2
                continue
            if isinstance(layer, nn.Linear) and x.dim() > 2:
                x = x.flatten(1)
            x = _conv_or_gemm(layer, x) if isinstance(layer, nn.Conv2d) else layer(x)
            i += 1
        return x

    def forward_with_activations(self, x: torch.Tensor) -> tuple[torch.Tensor, OrderedDict[str, torch.Tensor]]:
        """The same forward pass, also returning every block's output (after its last entry) by name.

        It walks the layers itself rather than using forward hooks, so one shared model can serve many sessions
        at once without their activations mixing.
        """
        outputs: OrderedDict[str, torch.Tensor] = OrderedDict()
        return self._run(x, outputs), outputs

    def block_layers(self, name: str) -> list[nn.Module]:
        """The modules of one block, in order."""
        return [layer for block, layer in zip(self._blocks, self.layers, strict=True) if block == name]

    def named_layers(self) -> OrderedDict[str, nn.Module]:
        """Every block by name, in forward order: its one module, or an nn.Sequential of its modules."""
        out: OrderedDict[str, nn.Module] = OrderedDict()
        for name in self.names:
            members = self.block_layers(name)
            out[name] = members[0] if len(members) == 1 else nn.Sequential(*members)
        return out

    def kernels(self, layer: str | None = None) -> np.ndarray:
        """The learned kernels of a block's conv, out_channels x in_channels x K x K as float32 numpy.

        Args:
            layer: a block's name (default: the first block).
        Raises:
            ValueError: the block has no convolution (or no block has that name).
        """
        name = layer or self.names[0]
        conv = next((m for m in self.block_layers(name) if isinstance(m, nn.Conv2d)), None)
        if conv is None:
            raise ValueError(f"{name} is not a convolution layer")
        return conv.weight.detach().cpu().numpy()


def build_model(config: LeNetConfig | NetSpec | str | None = None) -> LeNet | Net:
    """The module a model config describes: a LeNet for a LeNetConfig, a Net for a list (or its text, or a
    preset's name); None: the default LeNet-5."""
    config = netspec.model_config(config)
    if config is None or isinstance(config, LeNetConfig):
        return LeNet(config)
    return Net(config)
