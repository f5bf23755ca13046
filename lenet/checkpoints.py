"""Checkpoints as safetensors: weights plus config and metrics in the metadata. No pickle anywhere.

Two kinds share the format. A LeNet's metadata holds its LeNetConfig as JSON (`config`), as every checkpoint
written before network lists did; a Net's holds its list's text (`net`, ARCHITECTURE §4.7) and, for an imported
model, the input normalisation it expects (`input_norm`, JSON [mean, std]). Either reads as its list
(CheckpointInfo.net).

Writes are atomic (a temporary file in the same folder, fsync, then os.replace), so a reader
never sees half a file, and a run stopped mid-save leaves the old file or nothing.

A run's history (the weights along the way, lenet.train.Snapshot) is a file of its own, `history/<name>` beside the
checkpoint (a folder, so that nothing that lists or globs checkpoints takes it for one): the checkpoint's own bits
never change for it, and a checkpoint without one (every file written before it existed, an import) loads as before.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import re
import struct
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from lenet import netspec, settings
from lenet.config import LeNetConfig
from lenet.errors import CodedError
from lenet.model import LeNet
from lenet.netmodel import Net
from lenet.netspec import NetSpec, NetSpecError

DEFAULT_CHECKPOINT = settings.ROOT / "checkpoints" / "lenet5.safetensors"
MAX_BYTES = 64 * 1024 * 1024  # a LeNet is well under 1 MB; anything this big is not ours
_HEADER_MAX = 1024 * 1024
HISTORY_DIR = "history"  # beside the checkpoints: runs/history/<run>.safetensors
HISTORY_FORMAT = "lenet-explorer-history/1"


class CheckpointError(CodedError, ValueError):
    """A checkpoint that cannot be used; the message says why in one line."""

    default_code = "checkpoint_invalid"


@dataclass(frozen=True)
class CheckpointInfo:
    """What a checkpoint file says about itself, read from its header only: the record every cache keys on."""

    path: Path
    config: LeNetConfig | None  # a LeNet's; None for a Net (its list is `spec`)
    metrics: dict = field(default_factory=dict)
    created: str = ""
    # The file's modification time in ns when this was read: (path, version) names one version of the
    # weights, so a run saved again under the same name is never served from a cache of the old one.
    version: int = 0
    spec: NetSpec | None = None  # a Net's list; None for a LeNet (see `net`)
    input_norm: tuple[float, float] | None = None  # a Net's: (mean, std) it expects; None: MNIST's

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def net(self) -> str:
        """The network as a list's text, for either kind ("" for a LeNet outside the list's bounds)."""
        if self.spec is not None:
            return self.spec.text
        try:
            return self.config.to_net().text
        except NetSpecError:
            return ""

    @property
    def model_config(self) -> LeNetConfig | NetSpec:
        """What rebuilds the model (lenet.netmodel.build_model): the LeNetConfig or the list."""
        return self.spec if self.spec is not None else self.config

    @property
    def num_classes(self) -> int:
        return self.config.num_classes if self.config is not None else netspec.NUM_CLASSES

    @property
    def test_acc(self) -> float | None:
        acc = self.metrics.get("test_acc")
        return float(acc) if isinstance(acc, (int, float)) else None


def runs_dir() -> Path:
    """Where user runs are saved: $LENET_RUNS_DIR, default the repository's checkpoints/runs."""
    return settings.current().runs_dir


def sanitize_name(name: str, fallback: str = "run") -> str:
    """A file stem made only of letters, digits, '-' and '_', at most 48 characters; never a path."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", str(name)).strip("-_")[:48]
    return stem or fallback


def save_checkpoint(model: LeNet | Net, path: str | os.PathLike, metrics: dict | None = None) -> Path:
    """Save weights, config (a LeNet's) or list (a Net's) and metrics to `path` atomically.

    Returns:
        the path written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
    if isinstance(model.config, NetSpec):
        described = {"net": model.config.text}
        if model.input_norm is not None:
            described["input_norm"] = json.dumps(list(model.input_norm))
    else:
        described = {"config": model.config.to_json()}
    metadata = {
        "format": "lenet-explorer/1",
        **described,
        "metrics": json.dumps(metrics or {}, sort_keys=True),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    return _write(tensors, metadata, path)


def _write(tensors: dict, metadata: dict, path: Path) -> Path:
    """safetensors' save_file into a temporary file of the same folder, fsync, then renamed over `path`."""
    from safetensors.torch import save_file

    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        save_file(tensors, tmp, metadata=metadata)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


# --- a run's history: its weights along the way ---------------------------------------------------------


def history_path(path: str | os.PathLike) -> Path:
    """Where a checkpoint's history lives: `runs/a.safetensors` -> `runs/history/a.safetensors`."""
    path = Path(path)
    return path.parent / HISTORY_DIR / path.name


@dataclass(frozen=True)
class History:
    """A run's snapshots (lenet.train.Snapshot without the weights, as dicts: step, epoch, loss, acc) and, when
    loaded, their weights: one state dict per snapshot, in step order."""

    path: Path
    snapshots: list[dict]
    total_steps: int
    acc_digits: int  # how many test digits each snapshot's accuracy was read on
    states: list[dict] = field(default_factory=list)


def save_history(path: str | os.PathLike, snapshots: list) -> Path | None:
    """Write a checkpoint's history beside it atomically (snapshots: lenet.train.Snapshot, step order).

    No snapshots remove an older history of the same name, so a checkpoint is never shown another run's.
    Returns:
        the history's path, or None when there is none.
    """
    from lenet.train import SNAPSHOT_TEST_DIGITS

    target = history_path(path)
    if len(snapshots) < 2:
        target.unlink(missing_ok=True)
        return None
    rows = [
        {"step": s.step, "epoch": round(s.epoch, 5), "loss": None if s.loss is None else round(s.loss, 5), "acc": s.acc}
        for s in snapshots
    ]
    return _write_history(target, [s.state for s in snapshots], rows, SNAPSHOT_TEST_DIGITS)


def _write_history(target: Path, states: list[dict], rows: list[dict], acc_digits: int) -> Path:
    """Write a history (one state dict of numpy arrays and one row per snapshot) atomically at `target`."""
    import torch

    target.parent.mkdir(parents=True, exist_ok=True)
    tensors = {  # a snapshot from a Ray worker arrives read-only: copied, as torch cannot share it
        f"s{i:02d}.{k}": torch.from_numpy(v if v.flags.writeable else v.copy()).contiguous()
        for i, state in enumerate(states)
        for k, v in state.items()
    }
    metadata = {
        "format": HISTORY_FORMAT,
        "snapshots": json.dumps(rows),
        "total_steps": str(rows[-1]["step"]),
        "acc_digits": str(acc_digits),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    try:
        return _write(tensors, metadata, target)
    except BaseException:
        with contextlib.suppress(OSError):
            target.parent.rmdir()  # a failed save leaves nothing behind, not even the folder (unless others are in it)
        raise


def graft_history(onto: str | os.PathLike, donor: str | os.PathLike, final_acc: float | None) -> Path:
    """Give the checkpoint `onto` the history of `donor`, a run of the same network and recipe that ended elsewhere.

    The shipped checkpoint's run predates histories, and its recipe run again on another CPU ends in other bits
    (docs/ARCHITECTURE.md §3). The donor's snapshots are kept, each marked `rerun` unless the donor ends in exactly
    `onto`'s weights; the last is replaced by `onto`'s own weights (accuracy `final_acc` on the same test digits),
    so the scrubber still ends at the checkpoint a student reads with. `onto` itself is not touched.

    Raises:
        CheckpointError: either cannot be loaded, the donor has no history, or "history_mismatch" (another network
        or recipe).
    """
    import torch

    onto_model, onto_info = load_checkpoint(onto)
    donor_model, donor_info = load_checkpoint(donor)
    history = load_history(donor)
    name = Path(onto).name
    if history is None:
        raise CheckpointError(f"{Path(donor).name} kept no history", "history_invalid", name=Path(donor).name)
    mine = onto_info.metrics.get("train_config") or {}
    theirs = donor_info.metrics.get("train_config") or {}
    differ = sorted(k for k in set(mine) & set(theirs) if mine[k] != theirs[k])
    if onto_info.net != donor_info.net or differ or not mine:
        other_net = onto_info.net != donor_info.net
        why = ", ".join(differ) if differ else "the network" if other_net else "no recipe recorded"
        raise CheckpointError(
            f"{name}: {Path(donor).name} is not a run of its network and recipe ({why})", "history_mismatch", name=name
        )
    final = {k: v.detach().cpu().contiguous() for k, v in onto_model.state_dict().items()}
    same = all(torch.equal(final[k], v) for k, v in donor_model.state_dict().items())
    rows = [dict(r, rerun=not same) for r in history.snapshots]
    rows[-1] = dict(rows[-1], acc=final_acc, loss=None if not same else rows[-1]["loss"], rerun=False)
    states = [{k: v.numpy() for k, v in state.items()} for state in history.states[:-1]]
    states.append({k: v.numpy() for k, v in final.items()})
    return _write_history(history_path(onto), states, rows, history.acc_digits)


def read_history(path: str | os.PathLike) -> History | None:
    """A checkpoint's history as its header says (no weights); None when it has none.

    Raises:
        CheckpointError: "history_invalid" for a history file that is not one.
    """
    target = history_path(path)
    if not target.is_file():
        return None
    header, _ = _read_header(target)
    meta = header.get("__metadata__") or {}
    try:
        if not isinstance(meta, dict) or meta.get("format") != HISTORY_FORMAT:
            raise ValueError("not a history")
        rows = json.loads(meta["snapshots"])
        snapshots = [
            {
                "step": int(r["step"]),
                "epoch": float(r["epoch"]),
                "loss": None if r.get("loss") is None else float(r["loss"]),
                "acc": None if r.get("acc") is None else float(r["acc"]),
                "rerun": bool(r.get("rerun", False)),  # graft_history: a re-run of the recipe, not this run
            }
            for r in rows
        ]
        steps = [r["step"] for r in snapshots]
        if len(steps) < 2 or steps != sorted(set(steps)) or steps[0] < 0:
            raise ValueError("its steps are not in order")
        history = History(target, snapshots, int(meta["total_steps"]), int(meta["acc_digits"]))
    except (KeyError, TypeError, ValueError, json.JSONDecodeError) as exc:
        raise CheckpointError(
            f"{target.name}: not a run's history ({exc})", "history_invalid", name=target.name
        ) from None
    return history


def load_history(path: str | os.PathLike) -> History | None:
    """A checkpoint's history with its weights, checked as strictly as the checkpoint: every snapshot has the
    checkpoint model's keys, shapes and dtypes, and finite values. None when it has none.

    Raises:
        CheckpointError: the checkpoint cannot be loaded, or "history_invalid".
    """
    import torch
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    history = read_history(path)
    if history is None:
        return None
    model, _ = load_checkpoint(path)
    expected = model.state_dict()

    def refuse(why: str) -> CheckpointError:
        return CheckpointError(f"{history.path.name}: {why}", "history_invalid", name=history.path.name)

    try:
        tensors = load_file(str(history.path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise refuse(f"corrupt weights ({exc})") from None
    keys = {f"s{i:02d}.{k}" for i in range(len(history.snapshots)) for k in expected}
    if set(tensors) != keys:
        raise refuse("its weights do not match the checkpoint's network")
    states = []
    for i in range(len(history.snapshots)):
        state = {k: tensors[f"s{i:02d}.{k}"] for k in expected}
        for key, ref in expected.items():
            got = state[key]
            if tuple(got.shape) != tuple(ref.shape) or got.dtype != ref.dtype:
                raise refuse(f"snapshot {i}: {key} has shape {tuple(got.shape)} {got.dtype}")
            if got.is_floating_point() and not torch.isfinite(got).all():
                raise refuse(f"snapshot {i}: {key} holds NaN or infinite values")
        states.append(state)
    return dataclasses.replace(history, states=states)


def _read_header(path: Path) -> tuple[dict, int]:
    """The safetensors header, and the file's version (st_mtime_ns) taken before reading it."""
    try:
        stat = path.stat()
    except OSError:
        raise CheckpointError(
            f"{path.name}: the file does not exist (it may have been deleted)", "checkpoint_missing", name=path.name
        ) from None
    size = stat.st_size
    if size > MAX_BYTES:
        raise CheckpointError(
            f"{path.name}: {size / 1e6:.0f} MB is far too large for a LeNet checkpoint",
            "checkpoint_too_large",
            name=path.name,
        )
    with open(path, "rb") as fh:
        head = fh.read(8)
        if len(head) < 8:
            raise CheckpointError(
                f"{path.name}: not a safetensors file (too short)", "checkpoint_corrupt", name=path.name
            )
        (n,) = struct.unpack("<Q", head)
        if n > _HEADER_MAX or n + 8 > size:
            raise CheckpointError(
                f"{path.name}: not a safetensors file (bad header length)", "checkpoint_corrupt", name=path.name
            )
        try:
            header = json.loads(fh.read(n))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise CheckpointError(
                f"{path.name}: not a safetensors file (unreadable header)", "checkpoint_corrupt", name=path.name
            ) from None
    if not isinstance(header, dict):
        raise CheckpointError(f"{path.name}: not a safetensors file", "checkpoint_corrupt", name=path.name)
    return header, stat.st_mtime_ns


def read_info(path: str | os.PathLike) -> CheckpointInfo:
    """Read a checkpoint's config and metrics from its header, without loading weights."""
    path = Path(path)
    header, version = _read_header(path)
    meta = header.get("__metadata__") or {}
    if not isinstance(meta, dict) or ("config" not in meta and "net" not in meta):
        raise CheckpointError(
            f"{path.name}: no LeNet config in the metadata; not a LeNet Explorer checkpoint",
            "checkpoint_no_config",
            name=path.name,
        )
    config, spec, norm = None, None, None
    try:
        if "net" in meta:
            spec, norm = netspec.parse(meta["net"]), _input_norm(meta.get("input_norm"))
        else:
            config = LeNetConfig.from_json(meta["config"])
    except ValueError as exc:
        raise CheckpointError(
            f"{path.name}: its config is invalid ({exc})", "checkpoint_bad_config", name=path.name, reason=str(exc)
        ) from None
    try:
        metrics = json.loads(meta.get("metrics") or "{}")
    except json.JSONDecodeError:
        metrics = {}
    return CheckpointInfo(
        path, config, metrics if isinstance(metrics, dict) else {}, str(meta.get("created", "")), version, spec, norm
    )


def _input_norm(text: str | None) -> tuple[float, float] | None:
    """A Net's input normalisation from its metadata: JSON [mean, std], std above 0. Raises ValueError."""
    if text is None:
        return None
    try:
        mean, std = json.loads(text)
        mean, std = float(mean), float(std)
    except (TypeError, ValueError, json.JSONDecodeError):
        raise ValueError(f"input_norm must be [mean, std], not {text!r}") from None
    if not (math.isfinite(mean) and math.isfinite(std) and std > 0):
        raise ValueError(f"input_norm must be finite with a std above 0, not {text!r}")
    return mean, std


def load_checkpoint(path: str | os.PathLike, device="cpu") -> tuple[LeNet | Net, CheckpointInfo]:
    """Load a checkpoint strictly: the tensors must match the config's (or the list's) model key for key and shape
    for shape.

    Returns:
        the model in eval mode on `device`, and its info.
    Raises:
        CheckpointError: missing, corrupt, foreign, or mismatched, with the reason.
    """
    import torch
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    info = read_info(path)
    model = LeNet(info.config) if info.spec is None else Net(info.spec, info.input_norm)
    expected = model.state_dict()
    try:
        tensors = load_file(str(info.path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise CheckpointError(
            f"{info.path.name}: corrupt weights ({exc})", "checkpoint_corrupt", name=info.path.name
        ) from None
    missing = sorted(set(expected) - set(tensors))
    extra = sorted(set(tensors) - set(expected))
    if missing or extra:
        raise CheckpointError(
            f"{info.path.name}: weights do not match its config (missing: {missing[:3]}, unexpected: {extra[:3]})",
            "checkpoint_mismatch",
            name=info.path.name,
        )
    for key, ref in expected.items():
        got = tensors[key]
        if tuple(got.shape) != tuple(ref.shape) or got.dtype != ref.dtype:
            raise CheckpointError(
                f"{info.path.name}: {key} has shape {tuple(got.shape)} {got.dtype}, expected "
                f"{tuple(ref.shape)} {ref.dtype}",
                "checkpoint_mismatch",
                name=info.path.name,
            )
        if got.is_floating_point() and not torch.isfinite(got).all():
            raise CheckpointError(
                f"{info.path.name}: {key} holds NaN or infinite values", "checkpoint_nan", name=info.path.name
            )
    model.load_state_dict(tensors, strict=True)
    return model.to(device).eval(), info


def remove_stale_temporaries(folder: Path, older_than_s: float = 600) -> int:
    """Delete temporary files left by a save that was killed (a crash or a server restart mid-save).

    A live save finishes in milliseconds, so a temporary file older than `older_than_s` is an orphan.
    Returns:
        how many files were removed.
    """
    removed = 0
    now = time.time()
    for tmp in folder.glob(".*.tmp"):
        try:
            if now - tmp.stat().st_mtime > older_than_s:
                tmp.unlink()
                removed += 1
        except OSError:
            continue
    return removed


def list_checkpoints(include_default: bool = True) -> list[CheckpointInfo]:
    """The shipped model first, then saved runs newest first. Unreadable files are skipped."""
    paths: list[Path] = []
    if include_default and DEFAULT_CHECKPOINT.exists():
        paths.append(DEFAULT_CHECKPOINT)
    folder = runs_dir()
    if folder.is_dir():
        remove_stale_temporaries(folder)
        if (folder / HISTORY_DIR).is_dir():
            remove_stale_temporaries(folder / HISTORY_DIR)
        runs = [p for p in folder.glob("*.safetensors") if p.is_file()]
        paths.extend(sorted(runs, key=lambda p: p.stat().st_mtime, reverse=True))
    infos = []
    for p in paths:
        try:
            infos.append(read_info(p))
        except (CheckpointError, OSError):
            continue
    return infos
