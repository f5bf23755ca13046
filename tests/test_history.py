"""A run's weight snapshots ("watch it learn your digit", issue 28): kept from step 0 to the end, geometrically
spaced, identical runs with or without them, stored beside the checkpoint (history/<name>), served to the browser."""

from __future__ import annotations

import copy
import dataclasses
import itertools
import json
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from tiny_mnist import bars

from lenet import checkpoints, webweights
from lenet.checkpoints import CheckpointError, history_path, load_history, read_history, save_checkpoint
from lenet.config import LeNetConfig
from lenet.data import MNIST
from lenet.model import LeNet
from lenet.train import SNAPSHOTS, TrainConfig, TrainError, fit, seed_everything, snapshot_steps


def _data() -> MNIST:
    images, labels = bars(256)
    return MNIST(images, labels, images[:64].copy(), labels[:64].copy())


def _run(**kwargs):
    tc = TrainConfig(device="cpu", batch_size=16, epochs=3, seed=3, **kwargs)  # 48 steps
    return fit(LeNetConfig(), tc, data=_data()), tc


@pytest.fixture(scope="module")
def run():
    return _run()


def test_snapshot_steps_are_geometric_from_0_to_the_end():
    steps = snapshot_steps(7035, 12)
    assert len(steps) == 12 and steps[:4] == [0, 1, 2, 6]
    assert steps[0] == 0 and steps[-1] == 7035 and steps == sorted(set(steps))
    gaps = np.diff(steps)
    assert all(b >= a for a, b in itertools.pairwise(gaps)), "the gaps grow: early changes are seen"
    assert steps[5] < 7035 / 100, "half the snapshots fall in the first 1 % of the run"
    for total in (11, 12, 13, 40, 100, 469):
        got = snapshot_steps(total, 12)
        assert len(got) == 12 and got[0] == 0 and got[-1] == total and got == sorted(set(got)), (total, got)
    assert snapshot_steps(5, 12) == [0, 1, 2, 3, 4, 5]  # a run shorter than that keeps every step
    assert snapshot_steps(100, 0) == []


def test_a_run_keeps_its_snapshots_from_the_random_start_to_the_end(run):
    result, tc = run
    assert SNAPSHOTS >= 12 and [s.step for s in result.snapshots] == snapshot_steps(48, SNAPSHOTS)
    first, last = result.snapshots[0], result.snapshots[-1]
    seed_everything(tc.seed)
    start = LeNet(LeNetConfig()).state_dict()  # the random start: the same seed builds the same weights
    assert all(np.array_equal(first.state[k], start[k].numpy()) for k in start)
    final = result.model.state_dict()
    assert all(np.array_equal(last.state[k], final[k].numpy()) for k in final)
    assert first.loss is None and all(s.loss is not None for s in result.snapshots[1:])
    assert [s.epoch for s in result.snapshots] == [s.step / 16 for s in result.snapshots]
    assert all(0 <= s.acc <= 1 for s in result.snapshots)
    assert result.snapshots[-1].acc > result.snapshots[0].acc + 0.3, "the bars are learned along the way"
    middle = result.snapshots[6].state["features.C1.0.weight"]
    assert not np.array_equal(middle, first.state["features.C1.0.weight"])
    assert not np.array_equal(middle, last.state["features.C1.0.weight"])


def test_snapshots_change_nothing_in_the_run(run):
    """Taking snapshots only reads: the final weights are the same bits with none."""
    result, _ = run
    plain, _ = _run(snapshots=0)
    assert plain.snapshots == []
    for key, value in result.model.state_dict().items():
        assert torch.equal(value, plain.model.state_dict()[key]), key


def test_a_stopped_run_ends_its_history_where_it_stopped():
    stop = threading.Event()

    def callback(event):
        if getattr(event, "step", 0) >= 9:
            stop.set()

    tc = TrainConfig(device="cpu", batch_size=16, epochs=3, seed=1)
    result = fit(LeNetConfig(), tc, callback=callback, stop_event=stop, data=_data())
    assert result.stopped and result.snapshots[-1].step == result.steps < 48
    assert [s.step for s in result.snapshots][:-1] == [s for s in snapshot_steps(48) if s < result.steps]


def test_fine_tuning_starts_its_history_at_the_checkpoint(run, tmp_path):
    result, _ = run
    start = save_checkpoint(result.model, tmp_path / "start.safetensors")
    tc = TrainConfig(device="cpu", batch_size=16, epochs=1, init_from=str(start))
    tuned = fit(None, tc, data=_data())
    state = result.model.state_dict()
    assert all(np.array_equal(tuned.snapshots[0].state[k], state[k].numpy()) for k in state)
    assert len(tuned.snapshots) == SNAPSHOTS


def test_bad_snapshot_counts_are_refused():
    for bad in (-1, 65, 2.5, True):
        with pytest.raises(TrainError):
            TrainConfig(snapshots=bad).validate()


def test_the_history_is_saved_beside_the_checkpoint_and_loads_strictly(run, tmp_path):
    result, _ = run
    path = tmp_path / "run.safetensors"
    saved = checkpoints.save_history(path, result.snapshots)
    save_checkpoint(result.model, path)
    assert saved == history_path(path) == tmp_path / "history" / "run.safetensors"
    header = read_history(path)
    assert [s["step"] for s in header.snapshots] == snapshot_steps(48) and header.total_steps == 48
    assert header.acc_digits == 1000 and header.snapshots[0]["loss"] is None
    history = load_history(path)
    assert len(history.states) == len(result.snapshots)
    for snap, state in zip(result.snapshots, history.states, strict=True):
        assert all(np.array_equal(snap.state[k], state[k].numpy()) for k in snap.state)
    # saved again without snapshots: the old history goes, never shown for another run's weights
    assert checkpoints.save_history(path, []) is None and read_history(path) is None


def test_the_history_folder_is_no_checkpoint_for_the_picker(run, tmp_path, monkeypatch):
    result, _ = run
    monkeypatch.setenv("LENET_RUNS_DIR", str(tmp_path))
    path = tmp_path / "a.safetensors"
    checkpoints.save_history(path, result.snapshots)
    save_checkpoint(result.model, path)
    assert [i.path for i in checkpoints.list_checkpoints(include_default=False)] == [path]


def test_a_damaged_or_foreign_history_is_refused(run, tmp_path):
    from safetensors.torch import save_file

    result, _ = run
    path = tmp_path / "run.safetensors"
    save_checkpoint(result.model, path)
    target = history_path(path)
    target.parent.mkdir()
    target.write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
    with pytest.raises(CheckpointError) as caught:
        read_history(path)
    assert caught.value.code == "history_invalid"
    # another network's snapshots (a LeNet with batch norm) under this checkpoint's name
    other = fit(LeNetConfig(batch_norm=True), TrainConfig(device="cpu", batch_size=16, max_steps=3), data=_data())
    checkpoints.save_history(path, other.snapshots)
    with pytest.raises(CheckpointError, match="do not match"):
        load_history(path)
    # NaN in a snapshot
    bad = [dataclasses.replace(s, state=dict(s.state)) for s in result.snapshots]
    bad[3].state["classifier.F6.0.weight"] = bad[3].state["classifier.F6.0.weight"].copy()
    bad[3].state["classifier.F6.0.weight"][0, 0] = np.nan
    checkpoints.save_history(path, bad)
    with pytest.raises(CheckpointError, match="NaN"):
        load_history(path)
    save_file({"x": torch.zeros(2)}, str(target), metadata={"format": "something else"})
    with pytest.raises(CheckpointError):
        read_history(path)


def test_a_checkpoint_without_history_loads_everywhere():
    """A checkpoint saved before histories existed (or an import) has none, and loads as ever."""
    with tempfile.TemporaryDirectory() as folder:
        path = save_checkpoint(LeNet(), Path(folder) / "old.safetensors")
        assert read_history(path) is None and load_history(path) is None
        assert webweights.history_weights(path) is None
        checkpoints.load_checkpoint(path)


def test_history_weights_for_the_browser(run, tmp_path):
    result, _ = run
    path = tmp_path / "run.safetensors"
    checkpoints.save_history(path, result.snapshots)
    save_checkpoint(result.model, path)
    manifest, blob = webweights.history_weights(path)
    final, final_blob = webweights.checkpoint_weights(path)
    assert manifest["count"] == len(result.snapshots)
    assert manifest["bytes"] == len(blob) == manifest["count"] * len(final_blob)
    assert manifest["weights"]["layers"] == final["layers"] and manifest["stride"] == len(final_blob)
    assert [s["step"] for s in manifest["snapshots"]] == snapshot_steps(48)
    last_manifest, last = webweights.snapshot_weights(manifest, blob, manifest["count"] - 1)
    assert last == final_blob and last_manifest["digest"] == final["digest"]  # the end is the checkpoint itself
    _, first = webweights.snapshot_weights(manifest, blob, 0)
    start = result.snapshots[0].state["features.C1.0.weight"].ravel()
    assert np.array_equal(np.frombuffer(first, "<f4", start.size), start)


def test_the_shipped_checkpoint_has_a_history_that_ends_in_its_own_weights():
    """The shipped run predates histories and its recipe gives other bits on this machine (ARCHITECTURE §3), so its
    history is a re-run's (`make checkpoint-history`): marked so, on the recipe's steps, ending in its own weights."""
    model, info = checkpoints.load_checkpoint(checkpoints.DEFAULT_CHECKPOINT)
    history = load_history(checkpoints.DEFAULT_CHECKPOINT)
    assert history is not None and history.total_steps == 7035 and history.acc_digits == 1000
    assert [s["step"] for s in history.snapshots] == snapshot_steps(7035, SNAPSHOTS)
    final = model.state_dict()
    assert all(torch.equal(history.states[-1][k], final[k]) for k in final)
    assert [s["rerun"] for s in history.snapshots] == [True] * 11 + [False]
    accs = [s["acc"] for s in history.snapshots]
    assert accs[0] < 0.2 and accs[-2] > 0.97 and accs[-1] > 0.98, accs  # from chance to the end
    assert not torch.equal(history.states[0]["features.C1.0.weight"], final["features.C1.0.weight"])
    assert info.metrics["test_acc"] == pytest.approx(0.9949, abs=1e-4)  # the weights are the shipped ones


def _saved(folder: Path, name: str, result, tc, model=None, history: bool = True, **changed) -> Path:
    """A checkpoint of `result` (or of `model`) with its recipe `tc` (fields `changed`) in its metadata."""
    out = folder / f"{name}.safetensors"
    metrics = result.metrics(dataclasses.replace(tc, **changed))
    if history:
        checkpoints.save_history(out, result.snapshots)
    save_checkpoint(model or result.model, out, metrics=metrics)
    return out


def test_a_history_is_grafted_onto_a_run_of_the_same_recipe_and_marked(run, tmp_path):
    result, tc = run
    donor = _saved(tmp_path, "rerun", result, tc)
    # the "same" run as another CPU would end it: same recipe, other final bits
    other = copy.deepcopy(result.model)
    with torch.no_grad():
        next(other.parameters()).add_(1e-3)
    onto = _saved(tmp_path, "shipped", result, tc, model=other, history=False)
    checkpoints.graft_history(onto, donor, 0.5)
    got = load_history(onto)
    assert [s["rerun"] for s in got.snapshots] == [True] * (len(got.snapshots) - 1) + [False]
    assert got.snapshots[-1]["acc"] == 0.5 and got.snapshots[-1]["loss"] is None
    assert all(torch.equal(got.states[-1][k], v) for k, v in other.state_dict().items())
    assert all(torch.equal(got.states[0][k], v) for k, v in load_history(donor).states[0].items())
    # the browser's copy says which snapshots are the re-run's
    manifest, _ = webweights.history_weights(onto)
    assert [s["rerun"] for s in manifest["snapshots"]] == [s["rerun"] for s in got.snapshots]
    # onto a checkpoint with the donor's very bits, nothing is marked
    same = _saved(tmp_path, "same", result, tc, history=False)
    checkpoints.graft_history(same, donor, 0.5)
    assert not any(s["rerun"] for s in read_history(same).snapshots)


def test_a_history_of_another_recipe_or_network_is_refused(run, tmp_path):
    result, tc = run
    donor = _saved(tmp_path, "rerun", result, tc)
    onto = _saved(tmp_path, "other-recipe", result, tc, history=False, lr=0.5)
    with pytest.raises(CheckpointError) as refused:
        checkpoints.graft_history(onto, donor, 0.5)
    assert refused.value.code == "history_mismatch" and "lr" in str(refused.value)
    assert read_history(onto) is None  # nothing written
    bare = _saved(tmp_path, "bare", result, tc, history=False)
    with pytest.raises(CheckpointError, match="kept no history"):
        checkpoints.graft_history(onto, bare, 0.5)


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_the_scrubbers_label_says_which_snapshots_are_a_reruns():
    """history.js's label, with the shipped history's data as surface._web_history gives it, in both languages."""
    import surface
    from lenet.i18n import common

    data = surface._web_history(str(checkpoints.DEFAULT_CHECKPOINT), 0)
    assert data["rerun"] == [True] * 11 + [False]
    module = (Path(__file__).parents[1] / "lenet" / "web" / "history.js").as_uri()
    for lang in ("en", "zh"):
        labels = {k.split(".", 1)[1]: v[lang] for k, v in common.STRINGS.items() if k.startswith("surface.history")}
        script = (
            f"import {{ historyText }} from {json.dumps(module)};"
            f"const [labels, data] = {json.dumps([labels, data])};"
            "console.log(JSON.stringify([6, 11].map((i) => historyText(labels, data, i))));"
        )
        done = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        middle, last = json.loads(done.stdout)
        assert labels["history_rerun"] in middle and labels["history_rerun"] not in last
        assert "84" in middle and "7,035" in last, (middle, last)
