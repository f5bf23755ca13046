"""The command line, run as a user would: subprocesses, exit codes, one-line errors."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from tiny_mnist import write_tiny_mnist

from lenet import data

ROOT = Path(__file__).resolve().parent.parent


def run(*args, check=None):
    proc = subprocess.run(
        [sys.executable, "-m", "lenet", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "LENET_DEBUG": ""},
    )
    return proc


@pytest.mark.parametrize("sub", ["train", "evaluate", "predict", "shape", "fetch-data"])
def test_every_subcommand_has_help(sub):
    proc = run(sub, "--help")
    assert proc.returncode == 0 and "usage" in proc.stdout


def _one_clear_line(proc):
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_errors_are_one_line_with_nonzero_exit(tmp_path):
    _one_clear_line(run("evaluate", "--checkpoint", str(tmp_path / "missing.safetensors")))
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"garbage")
    _one_clear_line(run("evaluate", "--checkpoint", str(bad)))
    _one_clear_line(run("train", "--data-dir", str(tmp_path / "empty"), "--json"))
    proc = run("train", "--epochs", "0")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    proc = run("train", "--lr", "nan")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_shape_matches_design():
    proc = run("shape", "--input", "28", "--kernel", "5", "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout) == {"output": [24, 24]}
    proc = run("shape", "--input", "7", "--kernel", "3", "--stride", "2", "--padding", "same", "--json")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and proc.stderr.strip()


def _digit_png(tmp_path, name, digit, invert=False, size=200):
    """The first test digit with this label, as a file: from the real MNIST when it is there, else from the
    500 real test digits the repository ships (data.picker_digits), so this runs on every machine."""
    images, labels, _, _ = data.picker_digits()
    idx = int(np.flatnonzero(labels == digit)[0])
    img = Image.fromarray(images[idx]).resize((size, size), Image.BILINEAR)
    if invert:
        img = Image.fromarray(255 - np.asarray(img))
    path = tmp_path / name
    img.save(path)
    return path


def test_predict_reads_files_and_survives_a_bad_one(tmp_path):
    good = _digit_png(tmp_path, "seven.png", 7)
    inverted = _digit_png(tmp_path, "two.jpg", 2, invert=True, size=333)
    bad = tmp_path / "notes.png"
    bad.write_text("not an image")
    proc = run("predict", str(good), str(bad), str(inverted), "--json")
    assert proc.returncode == 1, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [line["file"] for line in lines] == [str(good), str(bad), str(inverted)]
    assert lines[0]["digit"] == 7 and len(lines[0]["probs"]) == 10
    assert "error" in lines[1]
    assert lines[2]["digit"] == 2


def test_train_dry_run_and_evaluate_json(tmp_path):
    """On the tests' tiny MNIST (200 test digits), so it runs on every machine."""
    tiny = str(write_tiny_mnist(tmp_path / "mnist"))
    out = tmp_path / "smoke.safetensors"
    proc = run("train", "--dry-run", "--json", "--out", str(out), "--data-dir", tiny)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert set(lines[0]) == {"epoch", "train_loss", "test_acc", "elapsed_s"}
    assert set(lines[-1]) == {"checkpoint", "net", "test_acc", "elapsed_s"} and out.exists()
    assert lines[-1]["net"] == "c6k5p2,relu,mp2,c16k5,relu,mp2,c120k5,relu,fc84,relu,fc10"  # LeNet-5's list
    proc = run("evaluate", "--checkpoint", str(out), "--json", "--data-dir", tiny)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["n"] == 200


@pytest.mark.skipif(
    not data.is_available(),
    reason="the real MNIST is not in LENET_DATA_DIR: this checks accuracy on its 10,000 test digits",
)
def test_shipped_checkpoint_reaches_99_3_percent():
    proc = run("evaluate", "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["n"] == 10000 and result["test_acc"] >= 0.993


def test_the_fast99_preset_sets_its_recipe_and_options_given_beside_it_win():
    from lenet.__main__ import _preset, build_parser
    from lenet.train import PRESETS

    argv = ["train", "--preset", "fast99"]
    args = build_parser("train", _preset(argv)).parse_args(argv)
    assert args.preset == "fast99"
    assert all(getattr(args, k) == v for k, v in PRESETS["fast99"].items() if hasattr(args, k))
    from lenet.__main__ import train_config

    tc = train_config(args)  # what `train --preset fast99` trains with, options or not
    assert all(getattr(tc, k) == v for k, v in PRESETS["fast99"].items() if k != "model")
    argv = ["train", "--preset=fast99", "--epochs", "3"]
    assert build_parser("train", _preset(argv)).parse_args(argv).epochs == 3
    assert train_config(build_parser("train", _preset(argv)).parse_args(argv)).epochs == 3
    argv = ["train", "--preset", "fast99", "--epochs", "0.5"]  # a fraction of an epoch, as the preset has
    assert train_config(build_parser("train", _preset(argv)).parse_args(argv)).epochs == 0.5
    argv = ["train", "--lr", "0.002"]  # no preset: today's quick recipe, and no preset setting leaks in
    plain = train_config(build_parser("train", _preset(argv)).parse_args(argv))
    from lenet.train import TrainConfig

    assert plain == TrainConfig(lr=0.002) and plain.functional_optimizer  # AdamW's default path
    for bad in ("0", "-1", "nan", "1e9", "two"):
        proc = run("train", "--epochs", bad, "--dry-run")
        assert proc.returncode == 2 and "--epochs" in proc.stderr and "Traceback" not in proc.stderr, bad
    proc = run("train", "--preset", "nonsense")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_the_shipped_preset_is_the_shipped_checkpoints_recipe_whatever_the_defaults():
    """`make checkpoint` trains `--preset shipped`: every setting the checkpoint recorded, and its kernels."""
    from lenet import checkpoints
    from lenet.__main__ import _preset, build_parser, train_config

    argv = ["train", "--preset", "shipped"]
    tc = train_config(build_parser("train", _preset(argv)).parse_args(argv))
    recorded = checkpoints.read_info(checkpoints.DEFAULT_CHECKPOINT).metrics["train_config"]
    assert recorded and {k: getattr(tc, k) for k in recorded} == recorded
    # trained before the fast layout and forward existed: the plain ones reproduce its numbers
    assert not tc.channels_last and not tc.fast_kernels
    assert "--preset shipped" in (ROOT / "Makefile").read_text()


def test_train_a_network_list_and_a_preset_with_a_recipe(tmp_path):
    """train --net takes a list or a network preset's name, beside --preset's training recipe."""
    tiny = str(write_tiny_mnist(tmp_path / "mnist"))
    spec = "c4k3,bn,relu,mp2,c8k3s2,gelu,drop0.1,fc32,relu,fc10"
    for net, extra in ((spec, []), ("allconv", ["--preset", "fast99"])):
        out = tmp_path / "net.safetensors"
        proc = run("train", "--net", net, *extra, "--max-steps", "3", "--json", "--out", str(out), "--data-dir", tiny)
        assert proc.returncode == 0, proc.stderr
        last = json.loads(proc.stdout.splitlines()[-1])
        from lenet import netspec

        assert last["net"] == str(netspec.parse(net)) and out.exists()
        proc = run("evaluate", "--checkpoint", str(out), "--json", "--data-dir", tiny)
        assert proc.returncode == 0 and json.loads(proc.stdout)["n"] == 200, proc.stderr


def test_train_refuses_a_bad_list_naming_its_layer(tmp_path):
    proc = run("train", "--net", "c6k5,relu,mp2,fc84,mp2,fc10", "--out", str(tmp_path / "x.safetensors"))
    assert proc.returncode == 2 and "layer 5" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    proc = run("train", "--net", "tiny", "--activation", "tanh", "--out", str(tmp_path / "x.safetensors"))
    assert proc.returncode == 2 and "--activation" in proc.stderr
    assert not (tmp_path / "x.safetensors").exists()
