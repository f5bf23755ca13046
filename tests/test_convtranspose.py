"""Transposed convolutions in the lab: links, refusals, the conv they undo, the picture, and the digit demo.

The arithmetic itself is checked against nn.ConvTranspose2d over hundreds of settings in test_arithmetic.py.
"""

from __future__ import annotations

import random

import pytest
from test_conv_lab_page import lab, output_text, step

from lenet.conv import ops
from lenet.conv.explain import explain_layer
from lenet.conv.query import LabSettings, settings_from_query
from lenet.figures import lab as figures
from lenet.i18n import t

LABELS = dict(input="in", spread="spread", output="out", padding="pad", play="play", pause="pause", position="at")
LINK = {"input": "5", "kernel": "3", "stride": "2", "padding": "0", "op": "convtranspose", "output_padding": "1"}


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_transposed_link_shows_the_size_and_the_conv_it_undoes(language):
    at = lab(LINK, language)
    assert not at.exception
    text = output_text(at)
    assert "12×12" in text and t("lab.result", language, h=12, w=12, c=6) in text
    assert t("lab.tr.back", language, h=5, w=5, oh=12, ow=12) in text
    assert r"(5 - 1)\cdot 2" in text  # the formula, filled in
    assert "11, 12" in text  # a conv turns 11 and 12 into 5: output padding picks 12
    for key, value in LINK.items():
        assert at.query_params[key] == value


@pytest.mark.parametrize(
    "change, code",
    [
        ({"output_padding": "2"}, "output_padding_too_big"),
        ({"padding": "same"}, "transpose_padding_word"),
        ({"input": "1", "padding": "4"}, "transpose_too_small"),
    ],
)
@pytest.mark.parametrize("language", ["en", "zh"])
def test_refused_transposed_links_say_why(change, code, language):
    at = lab({**LINK, **change}, language)
    assert not at.exception
    text = output_text(at)
    assert t("lab.invalid", language).split("{")[0] in text
    assert t(f"error.{code}", language).split("{")[0] in text


@pytest.mark.parametrize("value", ["abc", "99", "-1", "1.5"])
def test_tampered_output_padding_is_reported(value):
    at = lab({**LINK, "output_padding": value})
    assert not at.exception and at.warning
    output_text(at)


def test_picking_transposed_in_the_widgets_writes_the_link():
    at = lab({"input": "7", "kernel": "3", "stride": "2"})
    at.selectbox(key="lab_op").set_value("convtranspose")
    at = step(at)
    at.number_input(key="lab_output_padding").set_value(1)
    at = step(at)
    assert not at.exception
    assert at.query_params["op"] == "convtranspose" and at.query_params["output_padding"] == "1"
    assert "16×16" in output_text(at)  # (7 - 1) * 2 + (3 - 1) + 1 + 1
    at.selectbox(key="lab_op").set_value("conv")
    at = step(at)
    assert "output_padding" not in at.query_params and "3×3" in output_text(at)


def random_transposed(rng: random.Random) -> LabSettings:
    return LabSettings(
        height=rng.randint(1, 12),
        width=rng.randint(1, 12),
        kernel=rng.randint(1, 5),
        stride=rng.randint(1, 3),
        padding=rng.randint(0, 3),
        dilation=rng.choice([1, 1, 2]),
        op="convtranspose",
        out_channels=rng.randint(1, 4),
        output_padding=rng.choice([0, 0, 1, 2]),
    )


def test_transposed_settings_survive_the_url_round_trip():
    rng = random.Random(8)
    for _ in range(100):
        settings = random_transposed(rng)
        assert settings_from_query(settings.to_query()) == (settings, [])


def test_the_digit_demo_and_the_picture_agree_with_the_arithmetic():
    rng = random.Random(9)
    checked = 0
    for _ in range(120):
        s = random_transposed(rng)
        report = explain_layer(
            s.height, s.width, s.kernel, s.stride, s.padding, s.dilation, s.op, output_padding=s.output_padding
        )
        if not report.ok:
            continue
        image = ops.fit_image(ops.synthetic_digit(), s.height, s.width)
        maps = ops.apply_layer(image, s, ops.preset_kernels("random", s.kernel, 2))
        assert maps.shape == (2, *report.output[1:]), s
        view = figures.transposed_figure(report, LABELS)
        rows, cols = min(s.height, figures.TRANSPOSED_VIEW), min(s.width, figures.TRANSPOSED_VIEW)
        assert view is not None and view.positions == rows * cols
        assert view.clipped == ((rows, cols) != (s.height, s.width))
        # frame j outlines, on the output, exactly the cells input cell j paints
        j = rng.randrange(view.positions)
        r, c = divmod(j, cols)
        outline = view.figure.frames[j].data[2]
        corners = {(round(y + 0.5), round(x + 0.5)) for x, y in zip(outline.x, outline.y, strict=True) if x == x}
        painted = {(y, x) for y in report.rows.painted(r) for x in report.cols.painted(c)}
        assert {(y, x) for y, x in corners} >= painted and len(outline.x) == 6 * max(1, len(painted))
        checked += 1
    assert checked > 40


def test_large_transposed_layers_are_clipped_or_explained():
    report = explain_layer(40, 40, 3, 2, op="convtranspose")
    view = figures.transposed_figure(report, LABELS)
    assert view.clipped and view.positions == 64
    huge = explain_layer(40, 40, 31, 16, op="convtranspose", dilation=8)
    assert figures.transposed_figure(huge, LABELS) is None
    at = lab({"input": "128", "kernel": "5", "stride": "8", "op": "convtranspose"})
    assert not at.exception
    assert any(i.value.startswith(t("lab.digit.too_big_output").split("(")[0]) for i in at.info)
