"""Plotly figures for the Train and Evaluate pages: learning curves, per-class accuracy, confusion matrix.

Every function takes already translated text, so the engine stays free of UI state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import plotly.colors
import plotly.graph_objects as go

# Paul Tol's colour-blind-safe qualitative palette, one colour per compared run.
PALETTE = plotly.colors.qualitative.Safe
PRIMARY = "#3b5bdb"  # the theme's primary colour (.streamlit/config.toml): the run being watched
REFERENCE = "#495057"
_MARGIN = dict(l=10, r=10, t=40, b=10)


@dataclass(frozen=True)
class Curve:
    """One run's values against epochs, for overlaying runs with different batch sizes."""

    label: str
    epochs: Sequence[float]
    values: Sequence[float]


def smooth(values: Sequence[float], weight: float = 0.9) -> np.ndarray:
    """An exponential moving average, debiased at the start (as TensorBoard's smoothing slider does).

    The raw per-batch loss jumps around because each batch holds different digits; the average shows the trend.
    """
    v = np.asarray(values, dtype=float)
    out = np.empty_like(v)
    avg = 0.0
    for i, x in enumerate(v):
        avg = weight * avg + (1 - weight) * x
        out[i] = avg / (1 - weight ** (i + 1))
    return out


def _colour(i: int, n: int) -> str:
    """The newest run (the last curve) gets the primary colour, older ones the palette."""
    return PRIMARY if i == n - 1 else PALETTE[i % len(PALETTE)]


def _layout(fig: go.Figure, title: str, x_title: str, y_title: str, height: int, x_max: float | None) -> go.Figure:
    fig.update_layout(title=title, height=height, margin=_MARGIN, xaxis_title=x_title, yaxis_title=y_title,
                      legend=dict(orientation="h", yanchor="top", y=-0.25), hovermode="x unified",
                      uirevision="keep")  # live updates keep the user's zoom
    if x_max:
        fig.update_xaxes(range=[0, x_max])  # the whole run's length from the start: the curve grows into it
    return fig


def loss_figure(curves: Sequence[Curve], title: str, x_title: str, y_title: str, raw_label: str | None = None,
                x_max: float | None = None, height: int = 320) -> go.Figure:
    """Smoothed training loss per step for each run; the raw loss faintly behind it when there is one run.

    Args:
        curves: (label, epochs, loss per stored step), oldest run first.
        raw_label: the legend entry for the raw values; None hides them.
        x_max: the last epoch on the x axis; None fits the data.
    """
    fig = go.Figure()
    for i, c in enumerate(curves):
        colour = _colour(i, len(curves))
        if raw_label and len(curves) == 1:
            fig.add_scatter(x=list(c.epochs), y=list(c.values), mode="lines", name=raw_label,
                            line=dict(color=colour, width=1), opacity=0.25, hoverinfo="skip")
        fig.add_scatter(x=list(c.epochs), y=smooth(c.values).tolist(), mode="lines", name=c.label,
                        line=dict(color=colour, width=2.5), hovertemplate="%{y:.3f}")
    fig = _layout(fig, title, x_title, y_title, height, x_max)
    fig.update_yaxes(rangemode="tozero")
    return fig


def accuracy_figure(curves: Sequence[Curve], title: str, x_title: str, y_title: str,
                    reference: tuple[str, float] | None = None, x_max: float | None = None,
                    height: int = 320) -> go.Figure:
    """Test accuracy at each evaluation for each run, with an optional reference line (the shipped model).

    The y axis starts at the worst point shown rather than 0: the interesting part is the last few percent.
    """
    fig = go.Figure()
    lows = []
    for i, c in enumerate(curves):
        fig.add_scatter(x=list(c.epochs), y=list(c.values), mode="lines+markers", name=c.label,
                        line=dict(color=_colour(i, len(curves)), width=2.5), hovertemplate="%{y:.2%}")
        lows.extend(c.values)
    if reference is not None:
        label, acc = reference
        fig.add_hline(y=acc, line=dict(color=REFERENCE, dash="dash", width=1.5),
                      annotation_text=f"{label}: {acc:.2%}", annotation_position="bottom right")
        lows.append(acc)
    low = min(lows) if lows else 0.9
    fig = _layout(fig, title, x_title, y_title, height, x_max)
    fig.update_yaxes(tickformat=".0%", range=[max(0.0, min(low, 0.98) - 0.01), 1.0])
    return fig


def per_class_figure(per_class: Sequence[float], title: str, x_title: str, y_title: str,
                     height: int = 300) -> go.Figure:
    """A bar per digit: the share of that digit's test images read correctly."""
    acc = np.nan_to_num(np.asarray(per_class, dtype=float))
    fig = go.Figure(go.Bar(x=[str(d) for d in range(len(acc))], y=acc, marker_color=PRIMARY,
                           text=[f"{a:.1%}" for a in acc], textposition="outside",
                           hovertemplate="%{x}: %{y:.2%}<extra></extra>"))
    fig.update_layout(title=title, height=height, margin=_MARGIN, xaxis_title=x_title, yaxis_title=y_title)
    fig.update_yaxes(tickformat=".0%", range=[max(0.0, float(acc.min()) - 0.03), 1.01])
    fig.update_xaxes(type="category")
    return fig


def confusion_figure(confusion: np.ndarray, x_title: str, y_title: str, hover: str, hover_right: str | None = None,
                     colormap: str = "viridis", height: int = 480) -> go.Figure:
    """The confusion matrix as a heatmap: rows are true digits, columns the model's answers.

    Colour follows log(1 + count): the diagonal holds ~1000 per cell and the mistakes a handful, so a linear
    scale would show only the diagonal. Each cell prints its count; hovering shows `hover` (`hover_right`
    on the diagonal), templates with {true}, {pred} and {count} placeholders.
    """
    counts = np.asarray(confusion)
    k = counts.shape[0]
    text = [[(hover_right if t == p and hover_right else hover).format(true=t, pred=p, count=int(counts[t, p]))
             for p in range(k)] for t in range(k)]
    fig = go.Figure(go.Heatmap(
        z=np.log1p(counts), x=[str(d) for d in range(k)], y=[str(d) for d in range(k)], colorscale=colormap,
        showscale=False, text=counts, texttemplate="%{text}", customdata=text,
        hovertemplate="%{customdata}<extra></extra>", xgap=1, ygap=1))
    fig.update_layout(height=height, margin=_MARGIN, xaxis_title=x_title, yaxis_title=y_title)
    fig.update_xaxes(side="top", type="category", constrain="domain")
    fig.update_yaxes(autorange="reversed", type="category", scaleanchor="x")
    return fig


def digit_tile(image: np.ndarray, scale: int = 3) -> np.ndarray:
    """A 28 x 28 uint8 digit scaled up by whole pixels, so it stays crisp (no blurring) in the gallery."""
    return np.repeat(np.repeat(np.asarray(image, dtype=np.uint8), scale, axis=0), scale, axis=1)
