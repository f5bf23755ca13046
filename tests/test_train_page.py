"""AppTest of the Train page: both languages, start / stop / finish on a tiny MNIST, and friendly errors."""

import time

import pytest
import streamlit as st
from apptest import block_text, open_app
from streamlit.testing.v1 import AppTest
from tiny_mnist import write_tiny_mnist

from lenet import netspec
from lenet.checkpoints import list_checkpoints, read_info
from lenet.config import LeNetConfig

STATUS_WORDS = ("queued", "running", "finished", "stopped", "failed")


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A tiny MNIST, an empty runs folder and a fresh job registry (the registry is per process)."""
    monkeypatch.setenv("LENET_DATA_DIR", str(write_tiny_mnist(tmp_path / "mnist")))
    monkeypatch.setenv("LENET_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("LENET_MAX_EPOCHS", "3")
    st.cache_resource.clear()
    st.cache_data.clear()
    yield tmp_path
    st.cache_resource.clear()


def open_train(language="en", **state) -> AppTest:
    at = open_app("pages/train.py", language, **state)
    assert not at.exception
    return at


def status(at: AppTest) -> str:
    """The text of the train_status container."""
    text = block_text(at, "train_status")
    assert text is not None, "no train_status container"
    return text


def wait_for(at: AppTest, *words: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while True:
        text = status(at)
        if any(w in text for w in words) or time.monotonic() > deadline:
            return text
        time.sleep(0.2)
        at.run()
        assert not at.exception


@pytest.mark.parametrize("language", ["en", "zh"])
def test_page_renders_in_both_languages(env, language):
    at = open_train(language)
    assert {"start_training", "stop_training"} <= {b.key for b in at.button}
    assert at.button(key="stop_training").disabled
    assert not any(w in status(at) for w in STATUS_WORDS)


def test_a_run_finishes_and_can_be_used(env):
    at = open_train()
    at.button(key="start_training").click().run()
    assert not at.exception
    text = wait_for(at, "finished", "failed")
    assert "finished" in text, text
    runs = list((env / "runs").glob("*.safetensors"))
    assert len(runs) == 1 and runs[0].name.startswith("my-lenet-")
    assert str(runs[0]) in [str(info.path) for info in list_checkpoints()]  # what the sidebar offers
    at.button(key="use_model").click().run()
    assert at.session_state["model"] == str(runs[0]) and not at.exception


def test_a_class_download_is_trained_on(env):
    """A class's .npz on the Train page: read, mixed in, fine-tuning the sidebar's model; a bad file is refused."""
    from tiny_mnist import bars

    from lenet.classmode.export import idx_zip

    at = open_train(train_injected_dataset=b"PK not really a zip")
    assert any("not a digits dataset" in e.value for e in at.error), [e.value for e in at.error]
    images, labels = bars(40, 9)
    at = open_train(train_injected_dataset=idx_zip(images, labels))
    assert any("40 digits" in s.value for s in at.success)
    at.button(key="start_training").click().run()
    assert "finished" in wait_for(at, "finished", "failed")
    run = next(iter((env / "runs").glob("*.safetensors")))
    metrics = read_info(run).metrics
    assert metrics["extra"]["n_test"] == 8 and metrics["train_config"]["init_from"].endswith("lenet5.safetensors")
    assert any("held-back digits (8)" in i.value for i in at.info)


def test_stop_and_a_second_start(env):
    at = open_train()
    at.number_input(key="train_epochs").set_value(3)
    at.select_slider(key="train_batch").set_value(16)
    at.button(key="start_training").click().run()
    at.button(key="start_training").click().run()  # a second start while the first one runs
    assert at.error and "already" in at.error[0].value
    at.button(key="stop_training").click().run()
    assert "stopped" in wait_for(at, "stopped", "finished")
    assert not list((env / "runs").glob("*.safetensors"))  # not asked to keep it
    assert not at.exception


def test_a_diverging_run_says_why(env):
    at = open_train()
    at.selectbox(key="train_optimizer").set_value("sgd").run()
    at.number_input(key="train_lr").set_value(10.0)
    at.button(key="start_training").click().run()
    text = wait_for(at, "failed", "finished")
    assert "failed" in text and "learning rate is too high" in text


def test_impossible_settings_are_explained(env):
    at = open_train("zh")
    at.number_input(key="train_lr").set_value(0.0)
    at.button(key="start_training").click().run()
    assert at.error and "lr" in at.error[0].value and not at.exception


def test_the_conv_lab_network_is_offered(env):
    at = open_train(train_config=LeNetConfig(c1_channels=4, activation="tanh").to_dict())
    assert at.radio(key="train_network").value == "lab"
    assert at.selectbox(key="train_activation_lab").value == "tanh"
    broken = open_train(train_config={"c1_kernel": 99})
    assert broken.error and broken.button(key="start_training").disabled


def test_missing_mnist_offers_the_download(env, monkeypatch, tmp_path):
    monkeypatch.setenv("LENET_DATA_DIR", str(tmp_path / "nowhere"))
    at = open_train()
    assert "train_download" in {b.key for b in at.button}
    assert "fetch-data" in " ".join(w.value for w in at.warning)


def test_a_second_session_waits_in_the_queue(env, monkeypatch):
    monkeypatch.setenv("LENET_DATA_DIR", str(write_tiny_mnist(env / "bigger", n_train=8192)))
    monkeypatch.setenv("LENET_MAX_CONCURRENT_RUNS", "1")
    first, second = open_train(), open_train()
    first.select_slider(key="train_batch").set_value(16)
    first.number_input(key="train_epochs").set_value(3)
    first.button(key="start_training").click().run()
    second.button(key="start_training").click().run()
    assert "queued" in status(second) and "number 1" in status(second)
    assert second.button(key="stop_training").disabled is False
    first.button(key="stop_training").click().run()
    assert "stopped" in wait_for(first, "stopped")
    assert "finished" in wait_for(second, "finished", "failed")
    assert not first.exception and not second.exception


@pytest.mark.parametrize("module", ["train", "evaluate", "compare"])
def test_every_string_has_both_languages(module):
    import importlib
    import string

    strings = importlib.import_module(f"lenet.i18n.{module}").STRINGS
    for key, entry in strings.items():
        fields = [{f for _, f, _, _ in string.Formatter().parse(entry[lang]) if f} for lang in ("en", "zh")]
        # Chinese may leave out an English-only detail (bad_setting's "expected"), never add a field.
        assert entry["en"] and entry["zh"] and fields[1] <= fields[0], key


def test_a_list_of_layers_from_the_lab_trains_and_is_saved_as_that_list(env):
    """The designer's hand-off (`train_net`) opens the list choice; Start trains it and saves a Net checkpoint."""
    at = open_train(train_net="c4k3,relu,mp2,fc10")
    assert at.radio(key="train_network").value == "list"
    assert at.text_input(key="train_net").value == "c4k3,relu,mp2,fc10"
    at.number_input(key="train_epochs").set_value(1)
    at.button(key="start_training").click().run()
    assert "finished" in wait_for(at, "finished", "failed", timeout=120)
    (saved,) = list_checkpoints(include_default=False)
    assert saved.net == "c4k3,relu,mp2,fc10" and saved.config is None


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_typed_list_that_cannot_be_built_names_its_layer_and_a_preset_fills_the_text(env, language):
    at = open_train(language)
    at.radio(key="train_network").set_value("list").run()
    at.text_input(key="train_net").set_value("c6k5,relu,mp2,fc10,c16k5").run()
    assert not at.exception
    assert at.error and "c16k5" in at.error[0].value and "5" in at.error[0].value  # the layer, by index and text
    assert at.button(key="start_training").disabled
    at.selectbox(key="train_net_preset").set_value("tiny").run()
    assert at.text_input(key="train_net").value == netspec.NETWORKS["tiny"]
    assert not at.error and not at.button(key="start_training").disabled


def _traces(at: AppTest, key: str) -> list[str]:
    """The legend names of a plotly chart's curves."""
    import json

    chart = next(c for c in at.get("plotly_chart") if c.proto.id.endswith(f"-{key}"))
    return [trace.get("name") for trace in json.loads(chart.proto.spec)["data"]]


def test_two_runs_side_by_side(env):
    """Two finished runs join `train_compare_runs` and share each chart; a new session picks them from the saved
    runs (their checkpoints' history), and a run left out leaves the charts."""
    at = open_train()
    for _ in range(2):
        at.button(key="start_training").click().run()
        assert "finished" in wait_for(at, "finished", "failed", timeout=120)  # the 2nd waits for a new spare child
    at.run()
    picked = at.multiselect(key="train_compare_runs").value
    assert len(picked) == 2 and all(key.startswith("run:") for key in picked), picked
    assert _traces(at, "compare_acc") == ["1. my-lenet", "2. my-lenet"]
    later = open_train("zh")  # another session: the same runs, read from the runs folder
    saved = [str(info.path) for info in list_checkpoints(include_default=False)]
    assert later.multiselect(key="train_compare_runs").value == saved[:2] and len(saved) == 2
    assert len(_traces(later, "compare_loss")) == 2 and len(_traces(later, "compare_acc")) == 2
    later.multiselect(key="train_compare_runs").unselect(saved[0]).run()
    assert not later.exception and len(_traces(later, "compare_acc")) == 1
