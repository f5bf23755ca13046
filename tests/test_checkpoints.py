import json
import os
import pickle
import struct
from pathlib import Path

import pytest
import torch

from lenet import checkpoints
from lenet.checkpoints import CheckpointError, load_checkpoint, read_info, sanitize_name, save_checkpoint
from lenet.config import LeNetConfig
from lenet.model import LeNet


def test_round_trip_keeps_weights_config_and_metrics(tmp_path):
    model = LeNet(LeNetConfig(activation="tanh", batch_norm=True))
    path = save_checkpoint(model, tmp_path / "a.safetensors", {"test_acc": 0.5})
    loaded, info = load_checkpoint(path)
    assert info.config == model.config and info.test_acc == 0.5 and info.created
    for key, value in model.state_dict().items():
        assert torch.equal(value, loaded.state_dict()[key])
    assert not loaded.training
    assert not list(tmp_path.glob("*.tmp")), "no temporary file may be left behind"


def test_shipped_checkpoint_loads():
    _model, info = load_checkpoint(checkpoints.DEFAULT_CHECKPOINT)
    assert info.config == LeNetConfig() or isinstance(info.config, LeNetConfig)
    assert info.test_acc >= 0.993


class _Evil:
    def __reduce__(self):
        return (os.system, (f"touch {_Evil.marker}",))


def test_pickle_checkpoint_is_refused_and_never_executed(tmp_path):
    _Evil.marker = tmp_path / "pwned"
    path = tmp_path / "evil.safetensors"
    path.write_bytes(pickle.dumps({"state_dict": _Evil()}))
    with pytest.raises(CheckpointError):
        load_checkpoint(path)
    torch_style = tmp_path / "evil2.safetensors"
    torch.save({"x": _Evil()}, torch_style)
    with pytest.raises(CheckpointError):
        load_checkpoint(torch_style)
    assert not _Evil.marker.exists()


def _with_metadata(tmp_path, name, metadata, tensors=None):
    from safetensors.torch import save_file

    path = tmp_path / name
    save_file(tensors if tensors is not None else LeNet().state_dict(), str(path), metadata=metadata)
    return path


@pytest.mark.parametrize(
    "case",
    [
        "empty",
        "garbage",
        "truncated",
        "huge_header",
        "no_config",
        "bad_config",
        "wrong_shape",
        "missing_key",
        "nan",
        "text",
    ],
)
def test_corrupt_and_foreign_checkpoints_are_refused(tmp_path, case):
    good = save_checkpoint(LeNet(), tmp_path / "good.safetensors")
    if case == "empty":
        path = tmp_path / "x.safetensors"
        path.write_bytes(b"")
    elif case == "garbage":
        path = tmp_path / "x.safetensors"
        path.write_bytes(os.urandom(4096))
    elif case == "truncated":
        path = tmp_path / "x.safetensors"
        path.write_bytes(good.read_bytes()[:-1000])
    elif case == "huge_header":
        path = tmp_path / "x.safetensors"
        path.write_bytes(struct.pack("<Q", 2**60) + b"{}")
    elif case == "no_config":
        path = _with_metadata(tmp_path, "x.safetensors", {"hello": "world"})
    elif case == "bad_config":
        path = _with_metadata(tmp_path, "x.safetensors", {"config": json.dumps({"c5_kernel": 9})})
    elif case == "wrong_shape":
        sd = LeNet().state_dict()
        sd["features.C1.0.weight"] = torch.zeros(6, 1, 3, 3)
        path = _with_metadata(tmp_path, "x.safetensors", {"config": LeNetConfig().to_json()}, sd)
    elif case == "missing_key":
        sd = LeNet().state_dict()
        sd.pop("classifier.output.bias")
        path = _with_metadata(tmp_path, "x.safetensors", {"config": LeNetConfig().to_json()}, sd)
    elif case == "nan":
        sd = LeNet().state_dict()
        sd["classifier.output.bias"] = torch.full((10,), float("nan"))
        path = _with_metadata(tmp_path, "x.safetensors", {"config": LeNetConfig().to_json()}, sd)
    else:
        path = tmp_path / "x.safetensors"
        path.write_text("just some text renamed")
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(path)
    assert err.value.code.startswith("checkpoint_")


def test_missing_file_has_its_own_code(tmp_path):
    with pytest.raises(CheckpointError) as err:
        read_info(tmp_path / "gone.safetensors")
    assert err.value.code == "checkpoint_missing"


def test_listing_skips_broken_files_and_orders_newest_first(tmp_path, monkeypatch):
    monkeypatch.setenv("LENET_RUNS_DIR", str(tmp_path))
    a = save_checkpoint(LeNet(), tmp_path / "a.safetensors")
    save_checkpoint(LeNet(), tmp_path / "b.safetensors")
    os.utime(a, (1, 1))
    (tmp_path / "broken.safetensors").write_bytes(b"nope")
    names = [i.name for i in checkpoints.list_checkpoints(include_default=False)]
    assert names == ["b", "a"]


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("../../etc/passwd", "etc-passwd"),
        ("my run!", "my-run"),
        ("", "run"),
        ("/abs/path", "abs-path"),
        ("模型", "run"),
        ("a" * 100, "a" * 48),
    ],
)
def test_sanitize_name_never_yields_a_path(raw, expected):
    name = sanitize_name(raw)
    assert name == expected and "/" not in name and ".." not in name
    assert Path(name).name == name


def test_orphaned_temporaries_are_cleaned_but_live_ones_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("LENET_RUNS_DIR", str(tmp_path))
    old = tmp_path / ".run-abc.tmp"
    old.write_bytes(b"half")
    os.utime(old, (1, 1))
    live = tmp_path / ".run-def.tmp"
    live.write_bytes(b"being written")
    checkpoints.list_checkpoints(include_default=False)
    assert not old.exists() and live.exists()


# --- network lists (issue 29) --------------------------------------------------------------------

SHIPPED_SHA256 = "cfd5c06b1576a16925c243c9b907420787f9563ee18444e86556a9e84297d01a"


def test_the_shipped_checkpoint_is_unchanged_and_reads_as_lenet5():
    import hashlib

    from lenet import netspec

    assert hashlib.sha256(checkpoints.DEFAULT_CHECKPOINT.read_bytes()).hexdigest() == SHIPPED_SHA256
    info = read_info(checkpoints.DEFAULT_CHECKPOINT)
    assert info.net == netspec.NETWORKS["lenet5"] and info.spec is None and info.model_config == LeNetConfig()
    model, _ = load_checkpoint(checkpoints.DEFAULT_CHECKPOINT)
    assert isinstance(model, LeNet) and model.net == info.net


def test_old_checkpoints_load_unchanged_and_read_as_their_lists(tmp_path):
    """A LeNet checkpoint is written as before (no `net` in its metadata) and reports its list."""
    from safetensors import safe_open

    config = LeNetConfig(pool="none", batch_norm=True, dropout=0.25)
    path = save_checkpoint(LeNet(config), tmp_path / "old.safetensors")
    with safe_open(str(path), "pt") as fh:
        assert set(fh.metadata()) == {"format", "config", "metrics", "created"}
    info = read_info(path)
    assert info.net == str(config.to_net()) and info.config == config and info.num_classes == 10
    assert isinstance(load_checkpoint(path)[0], LeNet)


def test_a_net_checkpoint_round_trips_with_its_list_and_input_norm(tmp_path):
    from safetensors import safe_open

    from lenet.netmodel import Net

    model = Net("c4k3,bn,relu,mp2,fc16,bn,gelu,fc10", input_norm=(0.5, 0.25))
    path = save_checkpoint(model, tmp_path / "net.safetensors", {"test_acc": 0.25})
    with safe_open(str(path), "pt") as fh:
        meta = fh.metadata()
    assert meta["net"] == model.net and "config" not in meta and json.loads(meta["input_norm"]) == [0.5, 0.25]
    loaded, info = load_checkpoint(path)
    assert isinstance(loaded, Net) and loaded.input_norm == (0.5, 0.25) and info.input_norm == (0.5, 0.25)
    assert info.net == model.net and info.config is None and info.test_acc == 0.25 and info.num_classes == 10
    for key, value in model.state_dict().items():
        assert torch.equal(value, loaded.state_dict()[key])


@pytest.mark.parametrize("case", ["bad_net", "wrong_list", "wrong_shape", "nan", "bad_norm", "zero_std"])
def test_corrupt_net_checkpoints_are_refused(tmp_path, case):
    from lenet.netmodel import Net

    tensors = Net("tiny").state_dict()
    meta = {"net": "tiny"}
    if case == "bad_net":
        meta = {"net": "c6k5,fc84"}
    elif case == "wrong_list":
        meta = {"net": "lenet5"}
    elif case == "wrong_shape":
        tensors["layers.0.weight"] = torch.zeros(8, 1, 5, 5)
    elif case == "nan":
        tensors["layers.6.bias"] = torch.full((10,), float("inf"))
    elif case == "bad_norm":
        meta["input_norm"] = "[0.5]"
    else:
        meta["input_norm"] = "[0.5, 0]"
    path = _with_metadata(tmp_path, "x.safetensors", meta, tensors)
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(path)
    expected = {"wrong_list": "checkpoint_mismatch", "wrong_shape": "checkpoint_mismatch", "nan": "checkpoint_nan"}
    assert err.value.code == expected.get(case, "checkpoint_bad_config")
