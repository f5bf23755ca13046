import gzip
import struct

import numpy as np
import pytest

from lenet import data
from lenet.data import DataError, load_mnist


def _write_idx(folder, name, array, gz=True, magic=None):
    header = struct.pack(f">{1 + array.ndim}I", magic or (2051 if array.ndim == 3 else 2049), *array.shape)
    raw = header + array.astype(np.uint8).tobytes()
    if gz:
        with gzip.open(folder / f"{name}.gz", "wb") as fh:
            fh.write(raw)
    else:
        (folder / name).write_bytes(raw)


def _fake_mnist(folder, gz=True, n=20):
    for split, count in (("train", n), ("t10k", n // 2)):
        _write_idx(folder, f"{split}-images-idx3-ubyte", np.random.randint(0, 255, (count, 28, 28)), gz)
        _write_idx(folder, f"{split}-labels-idx1-ubyte", np.random.randint(0, 10, count), gz)


@pytest.mark.parametrize("gz", [True, False])
def test_reads_gzipped_or_raw(tmp_path, gz):
    _fake_mnist(tmp_path, gz)
    m = load_mnist(tmp_path)
    assert m.train_images.shape == (20, 28, 28) and m.test_labels.shape == (10,)
    assert m.train_images.dtype == np.uint8


def test_missing_says_where_and_how(tmp_path):
    with pytest.raises(DataError) as err:
        load_mnist(tmp_path / "nowhere")
    assert "fetch-data" in str(err.value) and "nowhere" in str(err.value)
    assert err.value.code == "data_missing"


@pytest.mark.parametrize("damage", ["truncate", "magic", "not_gzip"])
def test_corrupt_file_is_named(tmp_path, damage):
    _fake_mnist(tmp_path)
    victim = tmp_path / "train-images-idx3-ubyte.gz"
    if damage == "truncate":
        raw = gzip.decompress(victim.read_bytes())[:-100]
        victim.write_bytes(gzip.compress(raw))
    elif damage == "magic":
        raw = bytearray(gzip.decompress(victim.read_bytes()))
        raw[3] = 7
        victim.write_bytes(gzip.compress(bytes(raw)))
    else:
        victim.write_bytes(b"this is not gzip at all")
    with pytest.raises(DataError) as err:
        load_mnist(tmp_path)
    assert "train-images-idx3-ubyte" in str(err.value) and err.value.code == "data_corrupt"


@pytest.mark.skipif(
    not data.is_available(),
    reason="the real MNIST is not in LENET_DATA_DIR: this checks the files are the standard set",
)
def test_real_mnist_is_the_standard_set():
    m = load_mnist()
    assert m.train_images.shape == (60000, 28, 28) and m.test_images.shape == (10000, 28, 28)
    assert np.bincount(m.test_labels).tolist()[:2] == [980, 1135]


def test_normalise_gives_the_same_input_from_numpy_and_torch():
    import torch

    images = np.random.default_rng(0).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    from_numpy, from_torch = data.normalise(images), data.normalise(torch.from_numpy(images))
    assert from_numpy.shape == from_torch.shape == (3, 1, 28, 28) and from_numpy.dtype == np.float32
    np.testing.assert_allclose(from_numpy, from_torch.numpy(), rtol=0, atol=1e-6)
    assert data.normalise(images[0]).shape == (1, 1, 28, 28)
    blank = data.normalise(np.zeros((28, 28), np.uint8))
    assert np.allclose(blank, -data.MEAN / data.STD)


def test_the_default_data_folder_is_the_repositorys_wherever_the_app_starts(tmp_path, monkeypatch):
    from lenet import settings

    monkeypatch.delenv("LENET_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert data.data_dir() == settings.ROOT / "data" / "mnist"
    monkeypatch.setenv("LENET_DATA_DIR", str(tmp_path / "elsewhere"))
    assert data.data_dir() == tmp_path / "elsewhere"
