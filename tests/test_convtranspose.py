"""Transposed convolutions in the lab: links, refusals, the conv they undo, the picture, and the digit demo.

The arithmetic itself is checked against nn.ConvTranspose2d over hundreds of settings in test_arithmetic.py.
"""

from __future__ import annotations

import random

import pytest
import torch
from test_conv_lab_page import lab, output_text, step
from torch import nn

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


WHY = {"input": "12x5", "kernel": "2", "stride": "2", "dilation": "2", "op": "convtranspose"}  # issue #27's link
WHY_SENTENCES = {
    # output padding 0, one other choice: the other choice is named, and no pick is announced
    ("en", "2", "0"): [
        "output padding 0 gives 25 and output padding 1 gives 26.",
        "gives 11 and output padding 1 gives 12.",
    ],
    ("zh", "2", "0"): ["输出填充 0 得到 25，输出填充 1 得到 26。", "输出填充 0 得到 11，输出填充 1 得到 12。"],
    # output padding 2 of three choices: every choice is named, then the one this setting picked
    ("en", "3", "2"): [
        "output padding 0 gives 36, output padding 1 gives 37 and output padding 2 gives 38. "
        "This setting picks output padding 2, which gives 38.",
        "output padding 0 gives 15, output padding 1 gives 16 and output padding 2 gives 17. "
        "This setting picks output padding 2, which gives 17.",
    ],
    ("zh", "3", "2"): [
        "输出填充 0 得到 36，输出填充 1 得到 37，输出填充 2 得到 38。这里选的是输出填充 2，得到 38。",
        "输出填充 0 得到 15，输出填充 1 得到 16，输出填充 2 得到 17。这里选的是输出填充 2，得到 17。",
    ],
}


@pytest.mark.parametrize("language", ["en", "zh"])
def test_why_output_padding_names_every_choice_and_the_pick(language):
    at = lab(WHY, language)
    for stride, output_padding in (("2", "0"), ("3", "2")):
        at.query_params.clear()
        at.query_params.update({**WHY, "stride": stride, "output_padding": output_padding})
        text = output_text(step(at, language))
        assert not at.exception
        for sentence in WHY_SENTENCES[language, stride, output_padding]:
            assert sentence in text, (stride, output_padding, text)
        picked = t("lab.tr.why.picked", language).split("{")[0]
        assert text.count(picked) == (0 if output_padding == "0" else 2)  # once per axis, and only for a pick


def torch_output(s: LabSettings) -> tuple[int, int, int] | None:
    """(C, H, W) of a real nn.ConvTranspose2d with these settings, or None when PyTorch refuses them."""
    try:
        layer = nn.ConvTranspose2d(
            s.in_channels, s.out_channels, s.kernel, s.stride, s.padding, s.output_padding, dilation=s.dilation
        )
        shape = tuple(layer(torch.zeros(1, s.in_channels, s.height, s.width)).shape[1:])
    except (RuntimeError, ValueError):
        return None
    return None if 0 in shape else shape  # an empty output is refused by one backend, returned by another


def test_the_output_size_headlines_lab_output_over_random_transposed_settings():
    """30 random links, each read from lab_output as `H×W` above the formulas, against nn.ConvTranspose2d."""
    rng = random.Random(27)
    at = lab(LINK)
    shown = refused = 0
    for i in range(30):
        s = random_transposed(rng)
        language = ("en", "zh")[i % 2]
        at.query_params.clear()
        at.query_params.update(s.to_query())
        text = output_text(step(at, language))
        assert not at.exception, s
        expected = torch_output(s)
        if expected is None:
            assert t("lab.invalid", language).split("{")[0] in text, s
            refused += 1
            continue
        channels, h, w = expected
        headline = t("lab.result", language, h=h, w=w, c=channels)
        assert f"{h}×{w}" in headline and headline in text, (s, expected, text[:200])
        assert text.index(headline) < text.index("O_W"), s  # the size comes first, then the formulas
        shown += 1
    assert shown >= 20 and refused >= 1, (shown, refused)


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
