"""Take it away (lenet.conv.export): the exported network and training script are tested by running them.

The network file is executed in a fresh interpreter and must print the lab table's shapes and parameter
count, and build the same weights as lenet.model.LeNet from the same seed; the training script trains a
few steps on the tiny MNIST and its loss must go down.
"""

from __future__ import annotations

import ast
import json
import random
import re
import subprocess
import sys
from pathlib import Path

import torch
from test_train_page import env, open_train, wait_for  # noqa: F401 (env is a fixture)
from tiny_mnist import write_tiny_mnist

from lenet.config import LeNetConfig
from lenet.conv.export import network_source, script_filename, training_script
from lenet.conv.network import total_params
from lenet.i18n import t
from lenet.model import LeNet
from lenet.train import TrainConfig

ROOT = Path(__file__).resolve().parent.parent
# Runs every exported file as __main__ in one fresh interpreter (one torch import for all), then saves the
# weights its LeNet() starts with after torch.manual_seed(0).
DRIVER = """
import contextlib, io, json, runpy, sys, torch
results = []
for path in sys.argv[1:]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        module = runpy.run_path(path, run_name="__main__")
    torch.manual_seed(0)
    torch.save(module["LeNet"]().state_dict(), path + ".pt")
    results.append(out.getvalue())
print(json.dumps(results))
"""


def designer_fields(rng: random.Random) -> dict:
    """What the lab's network designer can set, drawn at random within its bounds (mostly small)."""
    return dict(
        c1_channels=rng.randint(1, 12),
        c1_kernel=rng.randint(1, 7),
        c1_stride=rng.randint(1, 3),
        c1_padding=rng.randint(0, 3),
        c3_channels=rng.randint(1, 16),
        c3_kernel=rng.randint(1, 5),
        c3_stride=rng.randint(1, 2),
        c3_padding=rng.randint(0, 2),
        c5_channels=rng.randint(1, 40),
        c5_kernel=rng.randint(1, 5),
        c5_stride=rng.randint(1, 2),
        c5_padding=rng.randint(0, 2),
        pool=rng.choice(["max", "avg", "none"]),
        pool_size=rng.randint(1, 3),
        f6_units=rng.randint(1, 100),
        activation=rng.choice(["relu", "tanh", "sigmoid"]),
        batch_norm=rng.random() < 0.3,
        dropout=rng.choice([0.0, 0.0, 0.25]),
    )


def random_designs(n: int, seed: int = 31) -> list[LeNetConfig]:
    rng, designs = random.Random(seed), []
    while len(designs) < n:
        try:
            designs.append(LeNetConfig(**designer_fields(rng)))
        except ValueError:
            continue  # the designer offers no export for a network that fails
    return designs


def printed_table(text: str) -> tuple[dict[str, tuple[int, ...]], int]:
    """The shapes and parameter count an exported network prints when run."""
    shapes, params = {}, None
    for line in text.splitlines():
        name, value = line.split()
        if name == "parameters":
            params = int(value)
        else:
            shapes[name] = tuple(int(n) for n in value.split("x"))
    return shapes, params


def run_exported(configs: list, driver: str, folder: Path) -> tuple[list[str], list[str]]:
    """Export each network (a LeNetConfig or a NetSpec), run every file through `driver` in one fresh interpreter.

    Returns:
        the files' paths (each file's first weights beside it, + ".pt"), and what each printed.
    """
    paths = []
    for i, config in enumerate(configs):
        source = network_source(config)
        ast.parse(source)
        path = folder / f"net_{i}.py"
        path.write_text(source)
        paths.append(str(path))
    proc = subprocess.run(
        [sys.executable, "-c", driver, *paths], cwd=folder, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    return paths, json.loads(proc.stdout)


def test_exported_networks_reproduce_the_table(tmp_path):
    designs = [LeNetConfig(), *random_designs(12)]
    paths, printed_all = run_exported(designs, DRIVER, tmp_path)
    for config, path, printed in zip(designs, paths, printed_all, strict=True):
        rows = config.table()
        shapes, params = printed_table(printed)
        assert shapes == {row.name: row.output for row in rows}, config
        assert params == total_params(rows), config
        # the same names, shapes and first weights as the app's LeNet: a checkpoint loads into it
        torch.manual_seed(0)
        expected = LeNet(config).state_dict()
        exported = torch.load(path + ".pt", weights_only=True)
        assert exported.keys() == expected.keys()
        assert all(torch.equal(exported[k], expected[k]) for k in expected), config


def run_script(script: str, folder: Path, *args: str) -> subprocess.CompletedProcess:
    path = folder / "train_script.py"
    path.write_text(script)
    return subprocess.run(
        [sys.executable, str(path), "--data-dir", str(folder / "mnist"), "--device", "cpu", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_exported_script_trains_on_a_small_mnist_and_its_loss_goes_down(tmp_path):
    write_tiny_mnist(tmp_path / "mnist")
    config = LeNetConfig(c1_channels=4, c3_channels=8, c5_channels=32, f6_units=32)
    script = training_script(config, TrainConfig(epochs=3, batch_size=64, seed=5), "bars")
    out = tmp_path / "weights.pt"
    proc = run_script(script, tmp_path, "--max-steps", "24", "--log-every", "1", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    losses = [float(v) for v in re.findall(r"^step \d+ loss ([\d.]+)$", proc.stdout, re.M)]
    assert len(losses) == 24, proc.stdout
    assert sum(losses[-4:]) / 4 < 0.8 * sum(losses[:4]) / 4, losses
    assert "epoch 1: test accuracy" in proc.stdout
    LeNet(config).load_state_dict(torch.load(out, weights_only=True))  # strict: the app can use the weights


def test_exported_script_with_augmentation_sgd_and_batch_norm_runs(tmp_path):
    write_tiny_mnist(tmp_path / "mnist")
    config = LeNetConfig(pool="none", batch_norm=True, activation="tanh", dropout=0.2)
    tc = TrainConfig(epochs=1, batch_size=32, optimizer="sgd", lr=0.05, augment=True, schedule="constant")
    proc = run_script(training_script(config, tc, "aug"), tmp_path, "--max-steps", "3", "--log-every", "1")
    assert proc.returncode == 0, proc.stderr
    assert len(re.findall(r"^step \d+ loss", proc.stdout, re.M)) == 3


def test_a_run_name_stays_a_string():
    name = 'x"""\nimport os; os.system("echo hacked")  # \\'
    script = training_script(LeNetConfig(), TrainConfig(), name)
    tree = ast.parse(script)
    assigned = {
        node.targets[0].id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
    }
    assert ast.literal_eval(assigned["RUN_NAME"]) == name
    assert not any(isinstance(node, ast.Import) and node.names[0].name == "os" for node in tree.body)
    assert re.fullmatch(r"train_[A-Za-z0-9_-]+\.py", script_filename(name))
    assert script_filename("") == "train_run.py"


def test_a_finished_run_offers_its_script(env):  # noqa: F811 (the fixture)
    at = open_train()
    assert not any(b.proto.id.endswith("train_download_script") for b in at.get("download_button"))
    at.button(key="start_training").click().run()
    assert "finished" in wait_for(at, "finished", "failed", timeout=180)  # a shared CPU can be slow
    (button,) = [b for b in at.get("download_button") if b.proto.id.endswith("train_download_script")]
    assert button.proto.label == t("export.script") and not at.exception


# --- network lists (issue 29) --------------------------------------------------------------------

NET_DRIVER = DRIVER.replace('module["LeNet"]', 'module["Net"]')


def test_exported_lists_reproduce_the_table_and_nets_weights(tmp_path):
    """Any list exports as `Net`: it prints each block's shape and the parameters, and builds lenet.netmodel.Net's
    very weights from the same seed (so the app's checkpoint loads into it)."""
    from test_netmodel import random_nets

    from lenet.netmodel import Net
    from lenet.netspec import NETWORKS, parse

    specs = [parse(name) for name in NETWORKS] + [parse(text) for text in random_nets(10, seed=11)]
    paths, printed_all = run_exported(specs, NET_DRIVER, tmp_path)
    for spec, path, printed in zip(specs, paths, printed_all, strict=True):
        rows = spec.table()
        shapes, params = printed_table(printed)
        assert shapes == {"input": rows[0].output, **{row.name: row.output for row in rows[1:]}}, spec
        assert params == total_params(rows), spec
        torch.manual_seed(0)
        expected = Net(spec).state_dict()
        exported = torch.load(path + ".pt", weights_only=True)
        assert exported.keys() == expected.keys()
        assert all(torch.equal(exported[k], expected[k]) for k in expected), spec


def test_an_exported_lists_script_trains_and_the_app_loads_its_weights(tmp_path):
    from lenet.netmodel import Net
    from lenet.netspec import parse

    write_tiny_mnist(tmp_path / "mnist")
    spec = parse("c4k3,bn,relu,mp2,c8k3psame,gelu,fc32,bn,drop0.1,fc10")
    script = training_script(spec, TrainConfig(epochs=3, batch_size=64, seed=5), "a list")
    out = tmp_path / "weights.pt"
    proc = run_script(script, tmp_path, "--max-steps", "24", "--log-every", "1", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    losses = [float(v) for v in re.findall(r"^step \d+ loss ([\d.]+)$", proc.stdout, re.M)]
    assert len(losses) == 24 and sum(losses[-4:]) / 4 < 0.8 * sum(losses[:4]) / 4, losses
    Net(spec).load_state_dict(torch.load(out, weights_only=True))  # strict: the app can use the weights


def test_an_imported_models_normalisation_is_exported(tmp_path):
    """A Net with its own input normalisation exports a forward that re-normalises the app's input the same way."""
    from lenet.netmodel import Net
    from lenet.netspec import parse

    torch.manual_seed(3)
    model = Net(parse("tiny"), input_norm=(0.5, 0.5)).eval()
    namespace: dict = {}
    exec(compile(network_source(model.spec, input_norm=model.input_norm), "net.py", "exec"), namespace)
    exported = namespace["Net"]().eval()
    exported.load_state_dict(model.state_dict())
    x = torch.randn(2, 1, 28, 28)
    with torch.no_grad():
        torch.testing.assert_close(exported(x), model(x), rtol=0, atol=1e-6)
