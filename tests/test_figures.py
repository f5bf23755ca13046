"""The numpy and HTML pictures (lenet.figures.mosaics, lenet.figures.markup) and the theme they share."""

from __future__ import annotations

import io
import re
import tomllib
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lenet import settings
from lenet.figures import markup, mosaics, theme

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", [*theme.COLORMAPS, theme.DIVERGING])
def test_luts_are_256_rgb_entries_and_read_only(name):
    lut = mosaics.colormap_lut(name)
    assert lut.shape == (256, 3) and lut.dtype == np.uint8
    with pytest.raises(ValueError):
        lut[0, 0] = 1


def test_lut_end_points_match_the_published_maps():
    assert tuple(mosaics.colormap_lut("viridis")[0]) == (0x44, 0x01, 0x54)
    assert tuple(mosaics.colormap_lut("viridis")[255]) == (0xFD, 0xE7, 0x25)
    assert tuple(mosaics.colormap_lut("gray")[0]) == (0, 0, 0)
    assert tuple(mosaics.colormap_lut("gray")[255]) == (255, 255, 255)
    # Sequential maps get brighter from start to end (what "bright = strong" on the page relies on).
    for name in theme.COLORMAPS:
        lum = mosaics.colormap_lut(name).astype(float) @ [0.299, 0.587, 0.114]
        assert lum[255] > lum[128] > lum[0]


def test_diverging_map_is_purple_below_white_at_zero_orange_above():
    rgb = mosaics.colorize_signed(np.array([-1.0, 0.0, 1.0]))
    purple, middle, orange = rgb.astype(int)
    assert purple[2] > purple[1] and orange[0] > orange[2]  # blue-ish vs red-ish
    assert middle.min() >= 240


def test_colorize_scales_and_handles_constant_input():
    out = mosaics.colorize(np.array([[0.0, 1.0], [2.0, 4.0]]), "gray")
    assert out.shape == (2, 2, 3)
    assert out[0, 0, 0] == 0 and out[1, 1, 0] == 255
    zeros = mosaics.colorize(np.zeros((3, 3)), "viridis")
    assert (zeros == mosaics.colormap_lut("viridis")[0]).all()
    assert (mosaics.colorize_signed(np.zeros(4)) == mosaics.colormap_lut(theme.DIVERGING)[128]).all()
    nan = mosaics.colorize(np.array([np.nan, 1.0]), "gray")  # never crashes on a broken value
    assert nan.shape == (2, 3)


def test_robust_limit_ignores_one_outlier():
    values = np.concatenate([np.linspace(-1, 1, 1000), [100.0]])
    assert mosaics.robust_limit(values) < 2
    assert mosaics.robust_limit(np.zeros(5)) == 0.0


def test_tile_lays_out_rows_with_white_gutters():
    tiles = np.zeros((5, 2, 3, 3), np.uint8)
    out = mosaics.tile(tiles, cols=3)
    assert out.shape == (2 * 3 - 1, 3 * 4 - 1, 3)
    assert (out[2] == theme.GUTTER).all()  # gutter row between the two rows
    assert (out[:2, 3] == theme.GUTTER).all()  # gutter column
    assert (out[3:, 8:] == theme.GUTTER).all()  # the unused sixth cell stays white


@pytest.mark.parametrize("n, aspect, expected", [(120, 8.0, 30), (84, 8.0, 21), (6, 3.0, 3), (1, 3.0, 1)])
def test_grid_columns_prefers_full_rows(n, aspect, expected):
    assert mosaics.grid_columns(n, aspect) == expected


def _activations() -> OrderedDict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return OrderedDict(
        C1=rng.random((6, 28, 28)),
        S2=rng.random((6, 14, 14)),
        C3=rng.random((16, 10, 10)),
        S4=rng.random((16, 5, 5)),
        C5=rng.random((120, 1, 1)),
        F6=rng.random(84),
        output=rng.normal(size=10),
    )


def test_layer_images_one_mosaic_per_hidden_layer():
    images = mosaics.layer_images(_activations(), "magma")
    assert list(images) == ["C1", "S2", "C3", "S4", "C5", "F6"]
    assert images["C1"].shape == (28, 6 * 29 - 1, 3)  # six maps in a row
    assert images["C3"].shape == (2 * 11 - 1, 8 * 11 - 1, 3)  # sixteen maps in two rows of eight
    assert images["C5"].shape == (4 * 4 - 1, 30 * 4 - 1, 3)  # 120 cells of 3 px: 4 rows of 30
    for image in images.values():
        assert image.dtype == np.uint8


def test_feature_mosaic_shares_one_scale_per_layer():
    maps = np.stack([np.full((4, 4), 1.0), np.full((4, 4), 0.1)])
    out = mosaics.feature_mosaic(maps, "gray", cols=2)
    assert out[0, 0, 0] == 255 and out[0, 5, 0] < 40  # the weak map stays dark


def test_kernel_mosaic_has_one_column_per_filter():
    weights = np.random.default_rng(1).normal(size=(16, 6, 5, 5))
    out = mosaics.kernel_mosaic(weights)
    assert out.shape == (6 * 6 - 1, 16 * 6 - 1, 3)


def test_saliency_overlay_tints_supporting_pixels_orange():
    image = np.zeros((28, 28), np.uint8)
    saliency = np.zeros((28, 28))
    saliency[5, 5], saliency[20, 20] = 1.0, -1.0
    out = mosaics.saliency_overlay(image, saliency).astype(int)
    assert out.shape == (28, 28, 3)
    assert out[5, 5, 0] > out[5, 5, 2]  # orange
    assert out[20, 20, 2] > out[20, 20, 1]  # purple


def test_png_bytes_round_trip_and_thumbnail():
    rgb = mosaics.colorize(np.random.default_rng(2).random((7, 9)), "cividis")
    back = np.asarray(Image.open(io.BytesIO(markup.png_bytes(rgb))))
    assert (back == rgb).all()
    assert markup.thumbnail(np.zeros((2048, 1024), np.uint8), 280).shape == (280, 140)
    small = np.zeros((28, 28), np.uint8)
    assert markup.thumbnail(small) is not None and markup.thumbnail(small).shape == (28, 28)


def test_probability_bars_highlight_the_prediction_and_label_every_digit():
    probs = np.array([0.0, 0.02, 0.0, 0.9, 0.0, 0.08, 0, 0, 0, 0])
    out = markup.probability_bars(probs, 3, runner_up=5)
    assert out.count(theme.PRIMARY) == 1 and out.count(theme.RUNNER_UP) == 1
    assert "90%" in out and "8%" in out and 'aria-label="0: 0%"' in out  # every bar says its number
    text = re.sub(r"<[^>]+>", " ", out)
    assert re.findall(r"\b\d\b(?!%)", text) == [str(d) for d in range(10)]
    assert theme.PRIMARY not in markup.probability_bars(np.zeros(10), None)


def test_score_bars_grow_both_ways_from_zero():
    out = markup.score_bars(np.array([-10.0, 5.0] + [0.0] * 8), height=100)
    assert "top:50.0%;height:max(50.0%, 1px)" in out  # -10: the full lower half
    assert "bottom:50.0%;height:max(25.0%, 1px)" in out  # +5: half of the upper half
    assert 'aria-label="0: -10"' in out  # colour is not the only carrier: each bar says its number


def test_image_html_inlines_the_png():
    png = markup.png_bytes(np.zeros((2, 3, 3), np.uint8))
    out = markup.image_html(png, 30, alt='a "quote"')
    assert out.startswith('<img src="data:image/png;base64,') and "width:30px" in out and "pixelated" in out
    assert "&quot;quote&quot;" in out
    assert "pixelated" not in markup.image_html(png, 30, pixelated=False)


def test_digit_tile_scales_by_whole_pixels():
    digit = np.arange(28 * 28, dtype=np.uint8).reshape(28, 28)
    out = mosaics.digit_tile(digit, scale=3)
    assert out.shape == (84, 84) and out.dtype == np.uint8
    assert (out[::3, ::3] == digit).all() and (out[1::3, 2::3] == digit).all()


def test_every_offered_colour_map_has_its_own_anchors():
    assert set(theme.COLORMAPS) <= set(mosaics._ANCHORS)
    luts = {name: mosaics.colormap_lut(name).tobytes() for name in theme.COLORMAPS}
    assert len(set(luts.values())) == len(luts)  # none falls back to viridis


def test_the_primary_colour_is_the_streamlit_themes_and_written_nowhere_else():
    """.streamlit/config.toml is the one place the theme colour is set; figures and pages read it from there."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["theme"]["primaryColor"] == theme.PRIMARY
    sources = [*ROOT.glob("*.py"), *ROOT.glob("pages/*.py"), *ROOT.glob("lenet/**/*.py")]
    holders = [p.relative_to(ROOT).as_posix() for p in sources if theme.PRIMARY.lower() in p.read_text().lower()]
    assert holders == ["lenet/settings.py"], holders  # only the fallback for a missing config file


def test_missing_config_falls_back(tmp_path):
    config = settings._read(tmp_path / "nothing.toml")
    assert config == {}
    assert settings._setting(config, "theme", "primaryColor").startswith("#")
    assert settings._setting(config, "server", "maxUploadSize") > 0
