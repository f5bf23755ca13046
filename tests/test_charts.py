"""The Train and Evaluate pages' charts, checked on the figure objects they send to the browser."""

import numpy as np
import pytest

from lenet.figures.charts import Curve, accuracy_figure, confusion_figure, loss_figure, smooth
from lenet.figures.theme import PRIMARY


def test_smoothing_is_debiased_and_follows_the_trend():
    assert smooth([2.0, 2.0, 2.0]) == pytest.approx([2.0, 2.0, 2.0])  # no pull towards 0 at the start
    noisy = 1.0 + np.random.default_rng(0).normal(0, 0.5, 2000)  # an EMA at 0.9 keeps sqrt(0.1/1.9) of the noise
    assert np.std(smooth(noisy)[100:]) == pytest.approx(np.sqrt(0.1 / 1.9) * 0.5, rel=0.15)


def test_one_live_run_shows_its_raw_loss_behind_the_smoothed_curve_on_the_whole_run():
    fig = loss_figure([Curve("mine", [0.1, 0.2, 0.3], [2.3, 1.0, 0.5])], "Loss", "epoch", "loss", "raw", x_max=2)
    raw, smoothed = fig.data
    assert raw.name == "raw" and raw.opacity < 0.5 and list(raw.y) == [2.3, 1.0, 0.5]
    assert smoothed.name == "mine" and smoothed.line.color == PRIMARY
    assert tuple(fig.layout.xaxis.range) == (0, 2) and fig.layout.uirevision == "keep"


def test_compared_runs_get_no_raw_trace_and_distinct_colours():
    fig = loss_figure([Curve("a", [1], [1.0]), Curve("b", [1], [2.0])], "Loss", "epoch", "loss", "raw")
    assert [t.name for t in fig.data] == ["a", "b"] and fig.data[0].line.color != fig.data[1].line.color
    assert fig.layout.xaxis.range is None  # no run length given: fit the data


def test_accuracy_chart_draws_the_reference_and_zooms_to_the_last_percents():
    fig = accuracy_figure([Curve("mine", [0.5, 1.0], [0.95, 0.985])], "Acc", "epoch", "acc", ("shipped", 0.9949))
    [line], [label] = fig.layout.shapes, fig.layout.annotations
    assert line.y0 == line.y1 == 0.9949 and (line.x0, line.x1, line.xref) == (0, 1, "x domain")
    assert label.text == "shipped: 99.49%"
    low, high = fig.layout.yaxis.range
    assert low == pytest.approx(0.94) and high == 1.0


def test_confusion_matrix_colours_by_log_count_and_prints_counts():
    counts = np.diag([980, 1135]) + np.array([[0, 3], [1, 0]])
    fig = confusion_figure(counts, "predicted", "true", "{true} read as {pred}: {count}", "{true}: {count} right")
    heat = fig.data[0]
    assert np.allclose(heat.z, np.log1p(counts)) and heat.customdata[0][1] == "0 read as 1: 3"
    assert heat.customdata[1][1] == "1: 1135 right"
