"""Take it away: a designed network as a self-contained PyTorch module, and a run as a training script.

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
    )


def network_source(config: LeNetConfig, filename: str = "lenet_network.py") -> str:
    """A self-contained Python file defining `LeNet(nn.Module)` for this network.

    Its layer names and order are lenet.model.LeNet's, so its state_dict loads the app's checkpoints; run as a
    script it prints every layer's output shape and the parameter count.

    Args:
        config: the network (a valid LeNetConfig, e.g. from the lab's designer).
        filename: the name the file's docstring tells people to run.
    Returns:
        the source code.
    Raises:
        ValueError: a layer of the network cannot work.
    """
    return _environment().get_template("network.py.j2").render(**_network_context(config, filename))


def script_filename(run_name: str) -> str:
    """A safe file name for a run's script: `train_<name>.py`, letters, digits, _ and - only."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "_", run_name).strip("_")[:40]
    return f"train_{slug or 'run'}.py"


def training_script(config: LeNetConfig, train_config: TrainConfig, run_name: str = "run") -> str:
    """A standalone torch + torchvision script that retrains this network with this run's settings and seed.

    Args:
        config: the run's network.
        train_config: the run's training settings (epochs, batch, optimizer, schedule, seed...).
        run_name: what the run is called; shown in the script as a string, never as code.
    Returns:
        the source code; `--data-dir`, `--max-steps`, `--device`, `--log-every` and `--out` on its command line.
    """
    filename = script_filename(run_name)
    context = _network_context(config, filename)
    context.update(
        name=str(run_name), tc=dataclasses.asdict(train_config), weights_file=filename.removesuffix(".py") + ".pt"
    )
    return _environment().get_template("train_script.py.j2").render(**context)
