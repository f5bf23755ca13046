"""Fine-tuning on digits a person brings (class mode's "teach it our handwriting", the Train page, the CLI):
reading such a dataset safely, and a run that starts from a checkpoint and mixes the new digits into MNIST."""

import io
import json
import subprocess
import sys
import warnings
import zipfile
from dataclasses import replace

import numpy as np
import pytest
from tiny_mnist import bars, write_tiny_mnist

from lenet import checkpoints, netspec, onnx_import
from lenet.classmode import tune
from lenet.classmode.export import idx_bytes, idx_zip, npz_bytes
from lenet.config import LeNetConfig
from lenet.data import DataError, load_mnist, read_dataset
from lenet.train import TrainConfig, TrainError, fit


def columns(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A new "handwriting": the label is the column of a vertical bar, which a model of row bars misreads."""
    images, labels = bars(n, seed)
    return np.ascontiguousarray(images.transpose(0, 2, 1)), labels


def test_a_class_export_reads_back_in_both_formats():
    images, labels = columns(40, 5)
    for blob in (idx_zip(images, labels), npz_bytes(images, labels)):
        got_images, got_labels = read_dataset(blob)
        assert np.array_equal(got_images, images) and np.array_equal(got_labels, labels)


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in members.items():
            archive.writestr(name, body)
    return buffer.getvalue()


def _npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


HOSTILE = {
    "not a zip": b"\x89PNG\r\n\x1a\n" + bytes(100),
    "empty": b"",
    "broken zip": idx_zip(*columns(10, 1))[:50],
    "pickled objects": _npz(images=np.array([object()] * 2, dtype=object), labels=np.zeros(2, np.uint8)),
    "wrong size": npz_bytes(np.zeros((3, 32, 32), np.uint8), np.zeros(3, np.uint8)),
    "labels out of range": npz_bytes(np.zeros((3, 28, 28), np.uint8), np.array([1, 2, 11], np.uint8)),
    "count mismatch": npz_bytes(np.zeros((3, 28, 28), np.uint8), np.zeros(4, np.uint8)),
    "no labels file": _zip({"train-images-idx3-ubyte": idx_bytes(np.zeros((2, 28, 28), np.uint8))}),
    "bomb": _zip({"train-images-idx3-ubyte": bytes(120_000_000), "train-labels-idx1-ubyte": b""}),
    "truncated idx": _zip(
        {"train-images-idx3-ubyte": idx_bytes(np.zeros((2, 28, 28), np.uint8))[:-5], "train-labels-idx1-ubyte": b""}
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_anything_else_is_refused_with_a_reason(case):
    with pytest.raises(DataError) as caught:
        read_dataset(HOSTILE[case])
    assert caught.value.code == "dataset_bad" and caught.value.params["reason"]


@pytest.fixture(scope="module")
def row_model(tmp_path_factory):
    """A checkpoint that reads row bars (the tiny MNIST) and not column bars, and that MNIST's folder."""
    folder = tmp_path_factory.mktemp("finetune")
    data_dir = write_tiny_mnist(folder / "mnist", n_train=1024, n_test=200)
    result = fit(LeNetConfig(), TrainConfig(epochs=3, batch_size=32, device="cpu"), data=load_mnist(data_dir))
    assert result.test_acc > 0.9
    path = checkpoints.save_checkpoint(result.model, folder / "rows.safetensors", result.metrics(TrainConfig()))
    extra = folder / "columns.npz"
    extra.write_bytes(npz_bytes(*columns(200, 7)))
    return path, data_dir, extra


def test_fine_tuning_learns_the_new_digits_without_forgetting(row_model):
    path, data_dir, extra = row_model
    tc = TrainConfig(
        epochs=3, batch_size=32, lr=2e-3, device="cpu", init_from=str(path), extra_data=str(extra),
        extra_holdout=0.25, extra_repeat=2, mnist_mix=400,
    )  # fmt: skip
    result = fit(None, tc, data=load_mnist(data_dir))
    assert result.extra["n_test"] == 50 and result.extra["n_train"] == 150 * 2
    assert result.extra["before"] < 0.5, "the starting model should not read columns yet"
    assert result.extra["after"] >= 0.8, result.extra
    assert result.test_acc > 0.9, "MNIST (rows) mixed in: it must not forget"
    assert result.metrics(tc)["extra"] == result.extra


def test_impossible_fine_tuning_settings_are_refused():
    for bad in ({"extra_holdout": 0.95}, {"extra_repeat": 0}, {"mnist_mix": -1}, {"mnist_mix": 0}):
        with pytest.raises(TrainError) as caught:
            TrainConfig(**bad).validate()
        assert caught.value.code == "bad_setting"


def test_the_cli_fine_tunes_and_refuses_a_bad_dataset(row_model, tmp_path):
    path, data_dir, extra = row_model
    out = tmp_path / "tuned.safetensors"
    common = [sys.executable, "-m", "lenet", "train", "--data-dir", str(data_dir), "--device", "cpu", "--json"]
    done = subprocess.run(
        [*common, "--init-from", str(path), "--extra-data", str(extra), "--holdout", "0.25", "--mnist-mix", "400",
         "--extra-repeat", "2", "--epochs", "2", "--batch-size", "32", "--out", str(out)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert last["checkpoint"] == str(out) and last["extra"]["after"] > last["extra"]["before"]
    assert checkpoints.read_info(out).metrics["extra"]["n_test"] == 50
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a dataset")
    refused = subprocess.run([*common, "--extra-data", str(bad)], capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0 and "Traceback" not in refused.stderr and "dataset" in refused.stderr


def _imported_start(folder, data) -> str:
    """A student's own model: a torch module on pixels in 0..1, exported to ONNX, imported ("unit"), then trained on
    the rows through init_from (the way an imported model trains in the app), so it reads rows and not columns."""
    import torch
    from torch import nn

    torch.manual_seed(0)
    source = nn.Sequential(
        nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3), nn.GELU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 10),
    ).eval()  # fmt: skip
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy exporter's DeprecationWarning
        torch.onnx.export(source, (torch.zeros(1, 1, 28, 28),), buf, dynamo=False)
    imported, _, _ = onnx_import.import_bytes(
        buf.getvalue(), "student.onnx", "unit", out=folder / "student.safetensors"
    )
    trained = fit(None, TrainConfig(epochs=3, batch_size=32, device="cpu", init_from=str(imported)), data=data)
    assert trained.model.input_norm == (0.0, 1.0), "training an imported model keeps its normalisation"
    return str(checkpoints.save_checkpoint(trained.model, folder / "student-rows.safetensors"))


@pytest.mark.parametrize("start", ["tiny", "allconv", "imported"])
def test_class_mode_fine_tunes_any_network(row_model, tmp_path, start):
    """Class mode's recipe (tune.model_config, tune.train_config) from a preset list's checkpoint and from an
    imported ONNX model with a normalisation of its own: the same network comes back, now reading columns."""
    _, data_dir, extra = row_model
    data = load_mnist(data_dir)
    if start == "imported":
        path = _imported_start(tmp_path, data)
    else:
        rows = fit(netspec.parse(start), TrainConfig(epochs=3, batch_size=32, device="cpu"), data=data)
        path = str(checkpoints.save_checkpoint(rows.model, tmp_path / f"{start}.safetensors"))
    before = checkpoints.read_info(path)
    assert tune.model_config(path) == before.spec and before.spec is not None
    # As many steps as a real class's run takes (6,000 MNIST digits and the class's, 2 epochs: about 120 batches);
    # the tiny MNIST has only 1,024 to mix in, so 6 epochs of it.
    tc = replace(tune.train_config(path, extra, 200), epochs=6)
    result = fit(tune.model_config(path), tc, data=data)
    assert result.extra["n_test"] == 50
    # it read few columns before; after, most (the imported model, the smallest, about three in four)
    assert result.extra["before"] < 0.5 and result.extra["after"] - result.extra["before"] >= 0.4, result.extra
    assert result.test_acc > 0.9, "MNIST (rows) mixed in: it must not forget"
    tuned = checkpoints.save_checkpoint(result.model, tmp_path / "tuned.safetensors", result.metrics(tc))
    after = checkpoints.read_info(tuned)
    assert after.spec == before.spec and after.input_norm == before.input_norm
    assert after.metrics["extra"] == result.extra
