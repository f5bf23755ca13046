"""Convolution lab through Streamlit's AppTest: both languages, links valid, invalid and tampered,
widgets writing the URL back, the digit demo, and the whole-network table.
"""

from __future__ import annotations

import random
import re
import string
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from lenet import checkpoints
from lenet.config import LeNetConfig
from lenet.conv import ops
from lenet.conv.arithmetic import LayerError, conv_output_size
from lenet.conv.explain import explain_layer
from lenet.conv.query import LabSettings, parse_padding, settings_from_query
from lenet.figures import lab as figures
from lenet.i18n import STRINGS, t
from lenet.i18n import conv_lab as lab_strings

APP = str(Path(__file__).resolve().parent.parent / "app.py")
LABELS = dict(input="in", output="out", padding="pad", play="play", pause="pause", position="position")


def lab(query: dict | None = None, language: str = "en", **state) -> AppTest:
    """The lab page opened from a link with `query`, in `language`.

    The language is set after the first (Draw page) run: AppTest calls the Draw page's format_func
    outside a script run, where its translated labels would not match. AppTest runs a switched-to
    page without the shell's sidebar, whose language widget would otherwise keep the choice, so
    `step` sets it again before every later run.
    """
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    for key, value in state.items():
        at.session_state[key] = value
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.switch_page("pages/conv_lab.py")
    return step(at, language)


def step(at: AppTest, language: str = "en") -> AppTest:
    at.session_state["language"] = language
    return at.run()


def block_text(node) -> str:
    """Every text value under an AppTest node, joined."""
    parts = []
    for child in getattr(node, "children", {}).values():
        value = getattr(child, "value", None)
        if isinstance(value, str):
            parts.append(value)
        parts.append(block_text(child))
    return " ".join(p for p in parts if p)


def find_block(node, key: str):
    for child in getattr(node, "children", {}).values():
        proto = getattr(child, "proto", None)
        if str(getattr(proto, "id", "")).endswith(f"-{key}"):
            return child
        found = find_block(child, key)
        if found is not None:
            return found
    return None


def output_text(at: AppTest) -> str:
    block = find_block(at._tree, "lab_output")
    assert block is not None, "the lab_output container is missing"
    return block_text(block)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_page_loads_in_both_languages(language):
    at = lab({"input": "28", "kernel": "5"}, language)
    assert not at.exception
    assert at.title[0].value == t("nav.conv_lab", language)
    assert "24×24" in output_text(at)
    assert t("lab.result", language, h=24, w=24, c=6) in output_text(at)


def test_language_from_session_state():
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.session_state["language"] = "zh"
    at.query_params["input"] = "28"
    at.query_params["kernel"] = "5"
    at.switch_page("pages/conv_lab.py")
    at.run()
    assert not at.exception
    assert t("lab.result", "zh", h=24, w=24, c=6) in output_text(at)


@pytest.mark.parametrize(
    "query, shape",
    [
        ({"input": "28", "kernel": "5"}, "24×24"),
        ({"input": "28x32", "kernel": "5", "padding": "same"}, "28×32"),
        ({"input": "28", "kernel": "2", "stride": "2", "op": "maxpool"}, "14×14"),
        ({"input": "7", "kernel": "2", "stride": "2", "op": "avgpool", "ceil": "1"}, "4×4"),
        ({"input": "28", "kernel": "3", "dilation": "2", "padding": "valid"}, "24×24"),
        ({"input": "32", "kernel": "5", "stride": "2", "padding": "2"}, "16×16"),
    ],
)
def test_valid_links_show_the_output_size(query, shape):
    at = lab(query)
    assert not at.exception
    assert shape in output_text(at)
    for key, value in query.items():  # the link survives: the page writes the same settings back
        assert at.query_params[key] == value


def test_a_stride_that_does_not_fit_is_explained():
    at = lab({"input": "28", "kernel": "5", "stride": "2"})
    text = output_text(at)
    assert "12×12" in text and "(W − K + 2P)/S + 1" in text
    assert "28" in " ".join(w.value for w in at.warning)  # the 28th row/column is never read
    assert t("lab.change.stride", value=1) in text or t("lab.change.kernel", value=4) in text


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize(
    "query, code",
    [
        ({"input": "3", "kernel": "5"}, "kernel_too_big"),
        ({"input": "8", "kernel": "3", "stride": "2", "padding": "same"}, "same_stride"),
        ({"input": "8", "kernel": "3", "padding": "same", "op": "maxpool"}, "same_pool"),
        ({"input": "8", "kernel": "3", "padding": "2", "op": "maxpool"}, "pool_padding"),
        ({"input": "8", "kernel": "3", "dilation": "2", "op": "avgpool"}, "avgpool_dilation"),
    ],
)
def test_invalid_links_say_why(query, code, language):
    at = lab(query, language)
    assert not at.exception
    text = output_text(at)
    assert t("lab.invalid", language).split("{")[0] in text
    assert t(f"error.{code}", language).split("{")[0] in text


@pytest.mark.parametrize(
    "query",
    [
        {"input": "0", "kernel": "0", "stride": "-3"},
        {"input": "abc", "kernel": "5.5", "op": "conv2d", "padding": "lots", "ceil": "maybe"},
        {"input": "99999999999999999999x1", "kernel": "1e9", "dilation": "-1"},
        {"input": "28x28x28", "stride": "", "padding": "-4", "channels": "0", "filters": "100000"},
        {"input": "<script>", "kernel": "5'; drop", "op": "", "padding": "same same"},
        {"input": "x" * 5000},
    ],
)
def test_tampered_links_never_raise(query):
    at = lab(query)
    assert not at.exception
    assert at.warning, "a tampered link must be reported"
    output_text(at)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_widgets_write_the_link_back(language):
    at = lab({"input": "28", "kernel": "5"}, language)
    at.number_input(key="lab_stride").set_value(2)
    step(at, language)
    assert not at.exception
    assert at.query_params["stride"] == "2" and t("lab.result", language, h=12, w=12, c=6) in output_text(at)
    at.selectbox(key="lab_op").set_value("maxpool")
    step(at, language)
    at.number_input(key="lab_kernel").set_value(2)
    step(at, language)
    at.checkbox(key="lab_ceil").check()
    step(at, language)
    assert at.query_params["op"] == "maxpool" and at.query_params["ceil"] == "1"
    assert "14×14" in output_text(at)
    at.selectbox(key="lab_padding_mode").set_value("same")
    step(at, language)
    assert at.query_params["padding"] == "same" and not at.exception


def test_page_numbers_agree_with_the_arithmetic_over_random_links():
    rng = random.Random(5)
    for _ in range(12):  # AppTest runs are slow; test_arithmetic covers hundreds against torch
        query = {
            "input": f"{rng.randint(1, 20)}x{rng.randint(1, 20)}",
            "kernel": str(rng.randint(1, 6)),
            "stride": str(rng.randint(1, 3)),
            "padding": rng.choice(["0", "1", "2", "same", "valid"]),
            "op": rng.choice(["conv", "maxpool", "avgpool"]),
        }
        at = lab(query)
        assert not at.exception
        h, w = (int(v) for v in query["input"].split("x"))
        try:
            out = [
                conv_output_size(
                    n, int(query["kernel"]), int(query["stride"]), parse_padding(query["padding"]), op=query["op"]
                )
                for n in (h, w)
            ]
        except LayerError:
            assert t("lab.invalid").split(":")[0] in output_text(at)
        else:
            assert f"{out[0]}×{out[1]}" in output_text(at), query


@pytest.mark.parametrize("preset", ["edge_horizontal", "blur", "random", "trained"])
def test_digit_demo_presets(preset):
    at = lab({"input": "28", "kernel": "5"}, lab_preset=preset)
    assert not at.exception
    assert len(at.get("plotly_chart")) >= 3  # picture, digit maps, filters


def test_trained_filters_of_another_size_offer_a_fix():
    if not checkpoints.DEFAULT_CHECKPOINT.exists():
        pytest.skip("no shipped model on this machine")
    at = lab({"input": "28", "kernel": "3"}, lab_preset="trained")
    assert not at.exception
    at.button(key="lab_use_trained_size").click().run()
    assert not at.exception
    assert at.query_params["kernel"] == "5" and "24×24" in output_text(at)


def test_large_inputs_are_clipped_or_explained():
    at = lab({"input": "512", "kernel": "31", "dilation": "8"})  # a 241-pixel window
    assert not at.exception and "272×272" in output_text(at)
    assert any(i.value == t("lab.picture.too_big", span=241) for i in at.info)
    at = lab({"input": "200", "kernel": "3"})
    assert not at.exception and "198×198" in output_text(at)
    assert any(i.value == t("lab.digit.too_big", n=128) for i in at.info)
    assert any(c.value.startswith(t("lab.picture.clipped").split("{")[0]) for c in at.caption)


def test_network_table_marks_the_failing_layer_and_everything_after():
    at = lab()
    assert not at.exception
    assert at.button(key="lab_net_train").disabled is False
    at.number_input(key="lab_net_c3_kernel").set_value(20).run()
    assert not at.exception
    assert at.button(key="lab_net_train").disabled is True
    assert any("C3" in e.value for e in at.error)
    frame = at.dataframe[0].value
    status = list(frame[t("lab.net.col.status")])
    assert status[:3] == [t("lab.net.ok")] * 3  # input, C1, S2
    assert status[4:] == [t("lab.net.unreachable")] * 4  # S4, C5, F6, output


def test_pytorch_check_agrees():
    at = lab()
    at.button(key="lab_net_check").click().run()
    assert not at.exception
    assert any(s.value == t("lab.net.check_ok") for s in at.success)


def test_train_this_network_hands_the_config_to_the_train_page():
    at = lab()
    at.number_input(key="lab_net_c1_channels").set_value(8).run()
    at.selectbox(key="lab_net_pool").set_value("none").run()
    at.button(key="lab_net_train").click().run()
    assert not at.exception
    sent = at.session_state["train_config"]
    assert sent["c1_channels"] == 8 and sent["pool"] == "none"


def test_every_string_has_both_languages_with_the_same_placeholders():
    fields = lambda text: {name for _, name, _, _ in string.Formatter().parse(text) if name}  # noqa: E731
    for key, entry in lab_strings.STRINGS.items():
        assert entry.get("en") and entry.get("zh"), key
        assert fields(entry["en"]) == fields(entry["zh"]), key


def test_every_literal_key_the_page_uses_exists():
    source = (Path(APP).parent / "pages" / "conv_lab.py").read_text()
    keys = set(re.findall(r'ui\.tr\("([a-z0-9_.]+)"', source))
    assert keys and not sorted(k for k in keys if k not in STRINGS)


# --- lenet.conv, the page's engine ----------------------------------------------------------------


def random_lab_settings(rng: random.Random) -> LabSettings:
    return LabSettings(
        height=rng.randint(1, 20),
        width=rng.randint(1, 20),
        kernel=rng.randint(1, 6),
        stride=rng.randint(1, 3),
        padding=rng.choice([0, 1, 2, "same", "valid"]),
        dilation=rng.choice([1, 1, 2]),
        op=rng.choice(["conv", "maxpool", "avgpool"]),
        ceil_mode=rng.random() < 0.3,
        in_channels=rng.randint(1, 4),
        out_channels=rng.randint(1, 4),
    )


def test_settings_survive_the_url_round_trip():
    rng = random.Random(6)
    for _ in range(100):
        settings = random_lab_settings(rng)
        settings.ceil_mode = settings.ceil_mode and settings.op != "conv"
        parsed, problems = settings_from_query(settings.to_query())
        assert parsed == settings and problems == []


def test_real_layers_on_a_digit_give_the_arithmetic_shapes():
    rng = random.Random(7)
    checked = 0
    for _ in range(150):
        s = random_lab_settings(rng)
        report = explain_layer(s.height, s.width, s.kernel, s.stride, s.padding, s.dilation, s.op, s.ceil_mode)
        if not report.ok:
            continue
        image = ops.fit_image(ops.synthetic_digit(), s.height, s.width)
        kernels = ops.preset_kernels("random", s.kernel, 3) if s.op == "conv" else None
        maps = ops.apply_layer(image, s, kernels)
        assert maps.shape[1:] == report.output[1:], s
        view = figures.window_figure(report, image, maps[0], LABELS)
        positions = report.output[1] * report.output[2]
        assert view.positions == positions if not view.clipped else 0 < view.positions <= positions
        if not report.ceil_mode:  # ceil mode may draw a last window past the padding: a larger grid
            assert view.clipped == (max(report.rows.padded, report.cols.padded) > figures.VIEW)
        checked += 1
    assert checked > 50


def test_window_figure_clips_large_inputs_and_refuses_huge_windows():
    image = ops.synthetic_digit(64)
    report = explain_layer(64, 64, 5)
    view = figures.window_figure(report, image, image[:60, :60], LABELS)
    assert view.clipped and view.positions == 16 * 16 and len(view.figure.frames) == view.positions
    huge = explain_layer(100, 100, 31, dilation=3)
    assert figures.window_figure(huge, np.zeros((100, 100)), np.zeros((10, 10)), LABELS) is None


def test_preset_kernels():
    for k in (1, 2, 3, 5, 7):
        edge = ops.preset_kernels("edge_horizontal", k)
        blur = ops.preset_kernels("blur", k)
        assert edge.shape == blur.shape == (1, k, k)
        assert abs(blur.sum() - 1) < 1e-5
        if k > 1:
            assert abs(edge.sum()) < 1e-5 and np.allclose(ops.preset_kernels("edge_vertical", k)[0], edge[0].T)
    assert ops.preset_kernels("random", 5, 4).shape == (4, 5, 5)
    trained = np.random.default_rng(0).standard_normal((6, 1, 5, 5))
    assert ops.preset_kernels("trained", 5, 8, trained=trained).shape == (6, 5, 5)
    with pytest.raises(ValueError):
        ops.preset_kernels("trained", 3, trained=trained)


def test_pytorch_shapes_match_the_table():
    config = LeNetConfig(pool="none", c1_padding=1, c5_kernel=4)
    rows = config.table()
    assert ops.pytorch_shapes(config) == {r.name: r.output for r in rows[1:]}
