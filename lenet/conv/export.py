"""Take it away: a designed network as a self-contained PyTorch module, and a run as a training script.

A LeNetConfig exports as `LeNet` (features / classifier, as lenet.model.LeNet); a network list (lenet.netspec) as
`Net`, whose `layers.<i>` are lenet.netmodel.Net's. Either way the state_dict's keys are the app's, so the file
loads the app's checkpoint (its `load(path)`).

Both are rendered from the Jinja2 templates in lenet/conv/templates/ (the network's class is one template
that both include), filled with the layer table the lab shows, so the exported code reproduces the table.
No torch here: the code is text until someone runs it. tests/test_export.py runs it.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from lenet.netspec import Layer, NetSpec

if TYPE_CHECKING:
    from lenet.config import LeNetConfig
    from lenet.train import TrainConfig

TEMPLATES = Path(__file__).with_name("templates")
ACTIVATIONS = {"relu": "nn.ReLU()", "tanh": "nn.Tanh()", "sigmoid": "nn.Sigmoid()"}
POOLING = {"max": "max pooling", "avg": "average pooling", "none": "strided convolutions for pooling"}


@functools.cache
def _environment() -> jinja2.Environment:
    # Python source, not HTML: no autoescaping, and every value a person typed goes through `py` (repr),
    # so a run's name can never close a string and become code.
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["py"] = repr
    return env


def _shape(shape: tuple[int, ...]) -> str:
    return " x ".join(str(n) for n in shape)


def _layers(config: LeNetConfig) -> list[dict]:
    """One dict per layer for the templates: its spec, the channels it receives and the shape it gives.

    Raises:
        ValueError: a layer of the table fails (the designer offers the export only for a valid network).
    """
    layers = []
    for spec, row in zip(config.layers(), config.table()[1:], strict=True):
        if row.error is not None:
            raise ValueError(f"{row.name}: {row.error}")
        fields = dataclasses.asdict(spec)
        fields.update(in_channels=row.input[0], fan_in=math.prod(row.input), shape=_shape(row.output))
        layers.append(fields)
    return layers


def _module(layer: Layer, shape: tuple[int, ...], bias: bool) -> str:
    """The nn module of one list entry as Python source (lenet.netmodel's _module, written out)."""
    if layer.kind == "conv":
        extra = (f", dilation={layer.dilation}" if layer.dilation != 1 else "") + ("" if bias else ", bias=False")
        return (
            f"nn.Conv2d({shape[0]}, {layer.size}, kernel_size={layer.kernel}, stride={layer.stride}, "
            f"padding={layer.padding!r}{extra})"
        )
    if layer.kind in ("maxpool", "avgpool"):
        name = "MaxPool2d" if layer.kind == "maxpool" else "AvgPool2d"
        return f"nn.{name}(kernel_size={layer.kernel}, stride={layer.stride})"
    if layer.kind == "bn":
        return f"nn.BatchNorm{2 if len(shape) == 3 else 1}d({shape[0]})"
    if layer.kind == "dropout":
        return f"nn.Dropout({layer.p!r})"
    if layer.kind == "fc":
        return f"nn.Linear({math.prod(shape)}, {layer.size})"
    return {**ACTIVATIONS, "gelu": "nn.GELU()"}[layer.kind]


def _net_context(spec: NetSpec, filename: str, input_norm: tuple[float, float] | None = None) -> dict:
    """The templates' values for a network list: one dict per entry, with its module's source."""
    rows, layers = spec.table(), []
    for i, (layer, row) in enumerate(zip(spec.layers, rows[1:], strict=True)):
        bias = i + 1 == len(spec.layers) or spec.layers[i + 1].kind != "bn"
        module = _module(layer, row.input, bias)
        layers.append(dict(index=i, text=layer.text, block=row.name, module=module, shape=_shape(row.output)))
    named = f"the {spec.preset} preset" if spec.preset else "a network"
    return dict(
        filename=filename,
        description=f"{named[0].upper()}{named[1:]} of {len(spec.names)} blocks: {', '.join(spec.names)}.",
        net=spec.text,
        blocks=tuple(spec.blocks),
        layers=layers,
        input_norm=input_norm,
        model_template="_net.py.j2",
        class_name="Net",
        input_shape=_shape(rows[0].output),
        input_channels=rows[0].output[0],
        input_size=rows[0].output[1],
    )


def _context(config: LeNetConfig | NetSpec, filename: str, input_norm: tuple[float, float] | None = None) -> dict:
    if isinstance(config, NetSpec):
        return _net_context(config, filename, input_norm)
    return _network_context(config, filename)


def _network_context(config: LeNetConfig, filename: str) -> dict:
    layers = _layers(config)
    features = [layer for layer in layers if layer["kind"] != "fc"]
    classifier = [layer for layer in layers if layer["kind"] == "fc"]
    return dict(
        filename=filename,
        description=f"LeNet-5 with {config.activation}, {POOLING[config.pool]}"
        + (" and batch norm" if config.batch_norm else "")
        + ": a conv/pool feature extractor and a fully connected classifier.",
        layer_names=tuple(layer["name"] for layer in layers),
        features=features,
        classifier=classifier,
        flat=classifier[0]["fan_in"],  # what Flatten hands to F6
        dropout=float(config.dropout),
        activations=ACTIVATIONS,
        input_shape=_shape(config.input_shape),
        input_channels=config.in_channels,
        input_size=config.input_size,
        net=None,
        model_template="_lenet.py.j2",
        class_name="LeNet",
    )


def network_source(
    config: LeNetConfig | NetSpec,
    filename: str = "lenet_network.py",
    input_norm: tuple[float, float] | None = None,
) -> str:
    """A self-contained Python file defining `LeNet(nn.Module)` for a LeNetConfig, `Net(nn.Module)` for a list.

    Its layer names and order are lenet.model.LeNet's (lenet.netmodel.Net's), so its state_dict loads the app's
    checkpoints (`load(path)`); run as a script it prints every layer's (block's) output shape and the parameter
    count.

    Args:
        config: the network (a valid LeNetConfig, e.g. from the lab's designer, or a NetSpec).
        filename: the name the file's docstring tells people to run.
        input_norm: a Net's input normalisation (an imported model's, lenet.netmodel.Net), written into forward.
    Returns:
        the source code.
    Raises:
        ValueError: a layer of the network cannot work.
    """
    return _environment().get_template("network.py.j2").render(**_context(config, filename, input_norm))


def script_filename(run_name: str) -> str:
    """A safe file name for a run's script: `train_<name>.py`, letters, digits, _ and - only."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "_", run_name).strip("_")[:40]
    return f"train_{slug or 'run'}.py"


def training_script(config: LeNetConfig | NetSpec, train_config: TrainConfig, run_name: str = "run") -> str:
    """A standalone torch + torchvision script that retrains this network with this run's settings and seed.

    Args:
        config: the run's network (a LeNetConfig or a list).
        train_config: the run's training settings (epochs, batch, optimizer, schedule, seed...).
        run_name: what the run is called; shown in the script as a string, never as code.
    Returns:
        the source code; `--data-dir`, `--max-steps`, `--device`, `--log-every` and `--out` on its command line.
    """
    filename = script_filename(run_name)
    context = _context(config, filename)
    context.update(
        name=str(run_name), tc=dataclasses.asdict(train_config), weights_file=filename.removesuffix(".py") + ".pt"
    )
    return _environment().get_template("train_script.py.j2").render(**context)
