import gzip
import mmap
import multiprocessing
import os
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


# The decoded cache (lenet.data.build_cache): memory-mapped, rebuilt when MNIST changes or the cache is damaged,
# written atomically so that concurrent builders never leave a broken file.


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    """A fake MNIST folder, the user's cache folder inside tmp_path, and no arrays cached in this process."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    folder = tmp_path / "mnist"
    folder.mkdir()
    _fake_mnist(folder)
    data._load.cache_clear()
    yield folder
    data._load.cache_clear()


def _raw(folder):
    """The folder's arrays decoded straight from the IDX files, bypassing every cache."""
    root = folder.resolve()
    return data._decode(root, data._sources(root))


def _same(m, arrays):
    return all(np.array_equal(getattr(m, key), arrays[key]) for key in data.FILES)


def _mapped(array):
    """Whether the array's memory is a memory-mapped file (it or its bases)."""
    while isinstance(array, (np.ndarray, memoryview)):
        array = array.base if isinstance(array, np.ndarray) else array.obj
    return isinstance(array, mmap.mmap)


def test_the_cache_is_written_beside_the_data_and_memory_mapped(fresh):
    first = load_mnist(fresh)
    assert (fresh / data.CACHE_NAME).is_file() and not _mapped(first.train_images)  # decoded this time
    data._load.cache_clear()
    again = load_mnist(fresh)
    assert _same(again, _raw(fresh)) and all(_mapped(getattr(again, key)) for key in data.FILES)
    assert not again.train_images.flags.writeable
    assert [p.name for p in fresh.iterdir() if p.name.startswith(".")] == []  # no temporary file left


def test_a_read_only_data_folder_gets_its_cache_in_the_users_cache_folder(fresh, tmp_path):
    fresh.chmod(0o555)  # no write bit: respected even by root, who could write anyway
    try:
        load_mnist(fresh)
    finally:
        fresh.chmod(0o755)
    assert not (fresh / data.CACHE_NAME).exists()
    [cache] = (tmp_path / "xdg" / "lenet-explorer").iterdir()
    assert cache == data.cache_paths(fresh)[1] and _same(data.read_cache(fresh), _raw(fresh))


@pytest.mark.parametrize("change", ["other size", "same size, newer"])
def test_the_cache_is_rebuilt_when_the_source_files_change(fresh, change):
    folder = fresh.parent / "raw"  # uncompressed files: the same count of images gives the same size
    folder.mkdir()
    _fake_mnist(folder, gz=False)
    old = load_mnist(folder)
    victim = folder / "train-images-idx3-ubyte"
    stat = victim.stat()
    images = np.full((20 if change == "same size, newer" else 30, 28, 28), 7, np.uint8)
    _write_idx(folder, "train-images-idx3-ubyte", images, gz=False)
    _write_idx(folder, "train-labels-idx1-ubyte", np.zeros(len(images)), gz=False)
    assert (victim.stat().st_size == stat.st_size) == (change == "same size, newer")
    os.utime(victim, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # even a coarse clock sees the change
    new = load_mnist(folder)  # no cache_clear: the process notices the new files too
    assert np.array_equal(new.train_images, images) and not np.array_equal(old.train_images[:1], images[:1])
    data._load.cache_clear()
    assert np.array_equal(data.read_cache(folder).train_images, images)  # the file on disk was rebuilt


@pytest.mark.parametrize("damage", ["half-written", "flipped byte", "garbage", "empty", "missing tail"])
def test_a_damaged_cache_is_detected_and_rebuilt_never_used(fresh, damage):
    truth = _raw(fresh)
    load_mnist(fresh)
    cache = fresh / data.CACHE_NAME
    raw = bytearray(cache.read_bytes())
    if damage == "half-written":
        raw = raw[: len(raw) // 2]
    elif damage == "flipped byte":
        raw[-(16 * 28 * 28)] ^= 0xFF  # inside the training images (the padding between arrays is not data)
    elif damage == "garbage":
        raw = bytearray(os.urandom(len(raw)))
    elif damage == "empty":
        raw = bytearray()
    else:
        raw = raw[:-1]
    cache.write_bytes(bytes(raw))
    assert data.read_cache(fresh) is None
    data._load.cache_clear()
    assert _same(load_mnist(fresh), truth)
    assert _same(data.read_cache(fresh), truth)  # rebuilt whole


def _build_repeatedly(folder: str, times: int) -> None:
    for _ in range(times):
        assert data.build_cache(folder) is not None


def test_two_processes_building_at_once_never_leave_a_broken_cache(fresh):
    truth = _raw(fresh)
    data.build_cache(fresh)
    context = multiprocessing.get_context("spawn")
    builders = [context.Process(target=_build_repeatedly, args=(str(fresh), 150)) for _ in range(2)]
    for proc in builders:
        proc.start()
    reads = 0
    while any(proc.is_alive() for proc in builders) or reads < 20:
        cached = data.read_cache(fresh)  # a reader always finds the old file or the new one, whole
        assert cached is not None and _same(cached, truth)
        reads += 1
    for proc in builders:
        proc.join(60)
        assert proc.exitcode == 0
    assert _same(data.read_cache(fresh), truth)
    assert [p.name for p in fresh.iterdir() if p.suffix == ".tmp"] == []
