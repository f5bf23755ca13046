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
