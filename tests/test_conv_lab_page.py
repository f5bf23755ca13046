"""Convolution lab through Streamlit's AppTest: both languages, links valid, invalid and tampered,
widgets writing the URL back, the digit demo, and the network designer (a list of layers, issue 29).
"""

from __future__ import annotations

import html
import random
import re
import string
from pathlib import Path

import numpy as np
import pytest
import torch
from apptest import open_app
from streamlit.testing.v1 import AppTest

from lenet import checkpoints, netspec
from lenet.config import LeNetConfig
from lenet.conv import ops
from lenet.conv.arithmetic import LayerError, conv_output_size
from lenet.conv.explain import explain_layer
from lenet.conv.network import totals
from lenet.conv.query import LabSettings, parse_padding, settings_from_query
from lenet.figures import designer
from lenet.figures import lab as figures
from lenet.i18n import STRINGS, t, t_error
from lenet.i18n import conv_lab as lab_strings
from lenet.netmodel import Net

APP = str(Path(__file__).resolve().parent.parent / "app.py")
LABELS = dict(input="in", output="out", padding="pad", play="play", pause="pause", position="position")


def lab(query: dict | None = None, language: str = "en", **state) -> AppTest:
    """The lab page opened from a link with `query`, in `language` (tests/apptest.open_app).

    AppTest runs a switched-to page without the shell's sidebar, whose language widget would otherwise keep the
    choice, so `step` sets the language again before every later run.
    """
    return open_app("pages/conv_lab.py", language, query, **state)


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


# --- the network designer (issue 29): a list of layers ----------------------------------------------------


def net_table(at: AppTest) -> str:
    """The designer's table: the one HTML block inside container `lab_network`."""
    block = find_block(at._tree, "lab_network")
    assert block is not None, "the lab_network container is missing"
    tables = [h.value for h in at.html if "lenet-net-table" in h.value]
    assert len(tables) == 1
    return tables[0]


def table_rows(at: AppTest) -> dict[int, list[str]]:
    """Each row's cells by its layer number (0: the input): #, layer, block, output, params, macs, field, memory."""
    rows = {}
    for number, body in re.findall(r'<tr data-layer="(\d+)"[^>]*>(.*?)</tr>', net_table(at)):
        rows[int(number)] = [html.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<td>(.*?)</td>", body)]
    return rows


def table_errors(at: AppTest) -> dict[int, str]:
    """The refusal shown under each layer that causes one, by layer number."""
    found = re.findall(r'<tr data-error="(\d+)"[^>]*><td[^>]*>⚠ (.*?)</td></tr>', net_table(at))
    return {int(number): html.unescape(text) for number, text in found}


def torch_rows(text: str) -> list[tuple[str, int]]:
    """Each entry's output shape (as the table writes it) and parameter count, from a real forward of Net."""
    net = Net(text).eval()
    x, out = torch.zeros(1, 1, 28, 28), []
    with torch.no_grad():
        for layer in net.layers:
            x = layer(x.flatten(1) if isinstance(layer, torch.nn.Linear) else x)
            params = sum(p.numel() for p in layer.parameters())
            out.append(("×".join(str(n) for n in x.shape[1:]), params))
    return out


def entries(at: AppTest) -> list[str]:
    return list(at.session_state["lab_net_entries"])


@pytest.mark.parametrize("language", ["en", "zh"])
def test_designer_shows_lenet5_in_both_languages(language):
    at = lab(language=language)
    assert not at.exception
    table = net_table(at)
    for column in ("layer", "block", "output", "params", "macs", "receptive", "memory"):
        assert html.escape(t(f"lab.net.col.{column}", language), quote=False) in table
    rows = table_rows(at)
    assert len(rows) == 12 and rows[0][3] == "1×28×28" and rows[1][1:4] == ["c6k5p2", "C1", "6×28×28"]
    assert rows[11][3] == "10" and not table_errors(at)
    assert "net" not in at.query_params  # LeNet-5, the default, keeps the calculator's links short
    params = f"{sum(p.numel() for p in Net('lenet5').parameters()):,}"
    assert html.escape(t("lab.net.totals", language), quote=False) in table and f"<th>{params}</th>" in table
    assert at.button(key="lab_net_train").disabled is False


def test_every_preset_renders_the_shapes_of_a_real_forward():
    at = lab()
    for name, text in netspec.NETWORKS.items():
        at.pills(key="lab_net_preset").set_value(name)
        step(at)
        assert not at.exception and entries(at) == text.split(",")
        rows = table_rows(at)
        assert [(r[3], int(r[4].replace(",", ""))) for _, r in sorted(rows.items())[1:]] == torch_rows(text), name
        assert [r[1] for _, r in sorted(rows.items())[1:]] == text.split(",")
        assert at.pills(key="lab_net_preset").value == name
        assert at.query_params.get("net") == (None if name == "lenet5" else text)


def test_add_remove_duplicate_and_reorder_change_the_table_and_the_link():
    at = lab({"input": "28", "kernel": "3"})
    at.selectbox(key="lab_net_layer").set_value(2)  # the third layer, mp2
    step(at)
    at.button(key="lab_net_duplicate").click()
    step(at)
    assert entries(at)[:5] == ["c6k5p2", "relu", "mp2", "mp2", "c16k5"]
    rows = table_rows(at)
    assert len(rows) == 13 and rows[4][1:4] == ["mp2", "pool2", "6×7×7"]
    assert at.query_params["net"] == ",".join(entries(at)) and at.query_params["kernel"] == "3"
    assert list(table_errors(at)) == [8]  # 7x7, then 3x3 and 1x1 after c16k5 and mp2: too small for c120k5
    at.button(key="lab_net_remove").click()
    step(at)
    assert entries(at) == netspec.NETWORKS["lenet5"].split(",") and "net" not in at.query_params
    at.selectbox(key="lab_net_layer").set_value(1)  # relu
    step(at)
    at.button(key="lab_net_up").click()
    step(at)
    assert entries(at)[:2] == ["relu", "c6k5p2"] and at.query_params["net"].startswith("relu,c6k5p2,")
    assert table_rows(at)[1][1:4] == ["relu", "relu", "1×28×28"]
    at.button(key="lab_net_down").click()
    step(at)
    assert entries(at) == netspec.NETWORKS["lenet5"].split(",")
    at.selectbox(key="lab_net_add_kind").set_value("bn")
    at.button(key="lab_net_add").click()
    step(at)
    assert entries(at)[:3] == ["c6k5p2", "relu", "bn"]
    rows = table_rows(at)
    assert rows[3][1:5] == ["bn", "C1", "6×28×28", "12"] or rows[3][1:5] == ["bn", "conv1", "6×28×28", "12"]
    assert [(r[3], int(r[4].replace(",", ""))) for _, r in sorted(rows.items())[1:]] == torch_rows(
        at.query_params["net"]
    )
    assert not at.exception


def test_a_layers_settings_rewrite_it():
    at = lab()
    at.selectbox(key="lab_net_layer").set_value(0)
    step(at)
    at.number_input(key="lab_net_size").set_value(10)
    step(at)
    at.checkbox(key="lab_net_same").check()
    step(at)
    at.number_input(key="lab_net_kernel").set_value(3)
    step(at)
    assert entries(at)[0] == "c10k3psame" and table_rows(at)[1][3] == "10×28×28"
    at.selectbox(key="lab_net_kind").set_value("avgpool")
    step(at)
    at.number_input(key="lab_net_stride").set_value(1)
    step(at)
    assert entries(at)[0] == "ap2s1" and table_rows(at)[1][3] == "1×27×27"
    assert not at.exception


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize(
    "text, index, code",
    [
        ("c6k5,relu,mp2,c16k30,fc10", 4, "net_out_of_range"),
        ("c6k5,relu,mp2,c16k13,relu,fc10", 4, "net_layer_fix"),
        ("c6k5,fc84,mp2,fc10", 3, "net_map_after_vector"),
        ("c6k5,relu,mp2,fc12", 4, "net_last_units"),
        ("c6k5,relux,mp2,fc10", 2, "net_unknown_near"),
        ("c6k5,,mp2,fc10", 2, "net_empty_layer"),
    ],
)
def test_a_bad_list_shows_the_refusal_on_its_layer(text, index, code, language):
    at = lab(language=language)
    at.text_area(key="lab_net_text").input(text)
    step(at, language)
    assert not at.exception
    errors = table_errors(at)
    assert list(errors) == [index], errors
    with pytest.raises(netspec.NetSpecError) as refused:
        netspec.parse(text)
    assert refused.value.code == code and refused.value.index == index
    assert errors[index] == t_error(refused.value, language)
    assert at.button(key="lab_net_train").disabled is True
    assert f'data-layer="{index}" style="background-color:#fdb863' in net_table(at)


def test_typed_text_is_shown_as_text():
    at = lab()
    at.text_area(key="lab_net_text").input("c6k5,<b>x</b>,fc10")
    step(at)
    assert not at.exception and "<b>x</b>" not in net_table(at) and "&lt;b&gt;x&lt;/b&gt;" in net_table(at)


def test_too_long_a_list_is_refused_and_the_design_kept():
    at = lab()
    at.text_area(key="lab_net_text").input(",".join(["relu"] * 40 + ["fc10"]))
    step(at)
    assert not at.exception and entries(at) == netspec.NETWORKS["lenet5"].split(",")
    assert any(t("lab.net.text_kept").split("{")[0] in e.value for e in at.error)


def test_net_in_the_link_round_trips():
    text = "c8k3psame,gelu,bn,mp2,c16k3d2,relu,ap2s1,drop0.1,fc32,relu,fc10"
    at = lab({"net": text, "input": "28", "kernel": "5"})
    assert not at.exception and entries(at) == text.split(",") and at.query_params["net"] == text
    assert at.query_params["kernel"] == "5" and "24×24" in output_text(at)
    rows = table_rows(at)
    assert [(r[3], int(r[4].replace(",", ""))) for _, r in sorted(rows.items())[1:]] == torch_rows(text)
    at.selectbox(key="lab_net_layer").set_value(7)
    step(at)
    at.button(key="lab_net_remove").click()
    step(at)
    changed = at.query_params["net"]
    assert changed == text.replace("drop0.1,", "")
    again = lab({"net": changed})
    assert entries(again) == changed.split(",")
    assert [r[1:] for r in table_rows(again).values()] == [r[1:] for r in table_rows(at).values()]
    preset = lab({"net": "allconv"})
    assert entries(preset) == netspec.NETWORKS["allconv"].split(",")
    assert preset.query_params["net"] == netspec.NETWORKS["allconv"]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_bad_net_in_the_link_falls_back_to_lenet5_and_says_why(language):
    at = lab({"net": "c6k5,relu,mp2,fc11", "kernel": "5"}, language)
    assert not at.exception and entries(at) == netspec.NETWORKS["lenet5"].split(",")
    with pytest.raises(netspec.NetSpecError) as refused:
        netspec.parse("c6k5,relu,mp2,fc11")
    said = " ".join(w.value for w in at.warning)
    assert t_error(refused.value, language) in said and t("lab.net.url_bad", language).split("{")[0] in said
    assert "net" not in at.query_params and at.query_params["kernel"] == "5"


def test_send_to_train_hands_the_list_on():
    at = lab({"net": "tiny"})
    at.button(key="lab_net_train").click()
    step(at)
    assert not at.exception
    assert at.session_state["train_net"] == netspec.NETWORKS["tiny"]
    at = lab({"net": "allconv"})
    at.button(key="lab_net_train").click()
    step(at)
    assert at.session_state["train_net"] == netspec.NETWORKS["allconv"]
    assert LeNetConfig.from_dict(at.session_state["train_config"]).to_net() == netspec.parse("allconv")


def test_pytorch_check_agrees():
    at = lab({"net": "c8k3psame,gelu,bn,mp2,c16k3d2,relu,ap2s1,drop0.1,fc32,relu,fc10"})
    at.button(key="lab_net_check").click()
    step(at)
    assert not at.exception
    assert any(s.value == t("lab.net.check_ok") for s in at.success)


def test_export_writes_any_designed_list():
    text = "c8k3psame,gelu,bn,mp2,c16k3d2,relu,ap2s1,drop0.1,fc32,relu,fc10"
    at = lab({"net": text})
    assert at.get("download_button")[0].proto.id.endswith("lab_net_download")
    source = at.code[0].value
    assert "nn.GELU()" in source and "dilation=2" in source and "AvgPool2d(kernel_size=2, stride=1)" in source
    namespace = {"__name__": "exported"}
    exec(compile(source, "lenet_network.py", "exec"), namespace)  # the file as a student runs it
    model, ours = namespace["Net"]().eval(), Net(text).eval()
    model.load_state_dict(ours.state_dict())
    x = torch.randn(2, 1, 28, 28)
    with torch.no_grad():
        assert torch.allclose(model(x), ours(x), atol=1e-6)


def test_every_string_has_both_languages_with_the_same_placeholders():
    fields = lambda text: {name for _, name, _, _ in string.Formatter().parse(text) if name}  # noqa: E731
    for key, entry in lab_strings.STRINGS.items():
        assert entry.get("en") and entry.get("zh"), key
        assert fields(entry["en"]) == fields(entry["zh"]), key


def test_every_literal_key_the_page_uses_exists():
    root = Path(APP).parent
    source = "".join((root / name).read_text() for name in ("pages/conv_lab.py", "lab_glue.py", "lab_network.py"))
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
    for name in netspec.NETWORKS:
        spec = netspec.parse(name)
        last = {r.name: r.output for r in spec.table()[1:]}  # each block's last entry writes last
        assert ops.pytorch_shapes(spec) == last


def test_designer_edits_and_measures():
    lenet5 = designer.split_entries(netspec.NETWORKS["lenet5"])
    assert designer.split_entries(" C6K5P2 , ReLU ") == ["c6k5p2", "relu"] and designer.split_entries(" ") == []
    assert designer.move(lenet5, 0, -1) == (lenet5, 0) and designer.move(lenet5, 10, 1) == (lenet5, 10)
    assert designer.remove(["fc10"], 0) == (["fc10"], 0) and designer.remove(lenet5, 10)[1] == 9
    assert designer.duplicate(lenet5, 2)[0][2:4] == ["mp2", "mp2"] and designer.insert(lenet5, -1, "bn")[1] == 0
    design = designer.measure(lenet5)
    assert design.spec == netspec.parse("lenet5") and design.error is None
    params, macs, memory = design.totals()
    assert params == sum(p.numel() for p in Net("lenet5").parameters())
    assert (params, macs, memory) == totals(netspec.parse("lenet5").table())
    assert designer.measure([]).error.code == "net_empty"
    for kind, text in designer.NEW_LAYER.items():
        assert netspec.parse_layer(text).kind == kind and netspec.parse_layer(text).text == text
    for name, text in netspec.NETWORKS.items():
        config = designer.lenet_config(netspec.parse(text))
        assert (config is None) == (name == "tiny") and (config is None or config.to_net() == netspec.parse(text))
