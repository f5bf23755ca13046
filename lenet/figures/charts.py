"""Plotly figures for the Train and Evaluate pages: learning curves, per-class accuracy, confusion matrix.

Every function takes already translated text, so the engine stays free of UI state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from lenet.figures.theme import PALETTE, PRIMARY, REFERENCE

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


def _array(values: Sequence[float]) -> np.ndarray:
    """Plotly validates a numpy array at a fraction of a list's cost: the live charts are rebuilt every second."""
    return np.asarray(values, dtype=float)


def _colour(i: int, n: int) -> str:
    """The newest run (the last curve) gets the primary colour, older ones the palette."""
    return PRIMARY if i == n - 1 else PALETTE[i % len(PALETTE)]


def _layout(
    fig: go.Figure, title: str, x_title: str, y_title: str, height: int, x_max: float | None, yaxis: dict, **extra
) -> go.Figure:
    """The curves' shared layout, set in one update: the live charts are rebuilt every second."""
    # With x_max, the axis spans the whole run from the start and the curve grows into it.
    fig.update_layout(
        title=title,
        height=height,
        margin=_MARGIN,
        xaxis=dict(title=x_title, range=[0, x_max] if x_max else None),
        yaxis=dict(title=y_title, **yaxis),
        legend=dict(orientation="h", yanchor="top", y=-0.25),
        hovermode="x unified",
        uirevision="keep",
        **extra,
    )  # uirevision: live updates keep the zoom
    return fig


def loss_figure(
    curves: Sequence[Curve],
    title: str,
    x_title: str,
    y_title: str,
    raw_label: str | None = None,
    x_max: float | None = None,
    height: int = 320,
) -> go.Figure:
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
            fig.add_scatter(
                x=_array(c.epochs),
                y=_array(c.values),
                mode="lines",
                name=raw_label,
                line=dict(color=colour, width=1),
                opacity=0.25,
                hoverinfo="skip",
            )
        fig.add_scatter(
            x=_array(c.epochs),
            y=smooth(c.values),
            mode="lines",
            name=c.label,
            line=dict(color=colour, width=2.5),
            hovertemplate="%{y:.3f}",
        )
    return _layout(fig, title, x_title, y_title, height, x_max, dict(rangemode="tozero"))


def accuracy_figure(
    curves: Sequence[Curve],
    title: str,
    x_title: str,
    y_title: str,
    reference: tuple[str, float] | None = None,
    x_max: float | None = None,
    height: int = 320,
) -> go.Figure:
    """Test accuracy at each evaluation for each run, with an optional reference line (the shipped model).

    The y axis starts at the worst point shown rather than 0: the interesting part is the last few percent.
    """
    fig = go.Figure()
    lows = []
    for i, c in enumerate(curves):
        fig.add_scatter(
            x=_array(c.epochs),
            y=_array(c.values),
            mode="lines+markers",
            name=c.label,
            line=dict(color=_colour(i, len(curves)), width=2.5),
            hovertemplate="%{y:.2%}",
        )
        lows.extend(c.values)
    extra = {}
    if reference is not None:
        extra = _reference_line(*reference)
        lows.append(reference[1])
    low = min(lows) if lows else 0.9
    return _layout(
        fig,
        title,
        x_title,
        y_title,
        height,
        x_max,
        dict(tickformat=".0%", range=[max(0.0, min(low, 0.98) - 0.01), 1.0]),
        **extra,
    )


def _reference_line(label: str, acc: float) -> dict:
    """Layout for a dashed line across the whole width at `acc`, labelled at its right end."""
    line = dict(type="line", xref="x domain", x0=0, x1=1, yref="y", y0=acc, y1=acc)
    note = dict(xref="x domain", x=1, xanchor="right", yref="y", y=acc, yanchor="top", showarrow=False)
    return dict(
        shapes=[dict(line, line=dict(color=REFERENCE, dash="dash", width=1.5))],
        annotations=[dict(note, text=f"{label}: {acc:.2%}")],
    )


def per_class_figure(
    per_class: Sequence[float], title: str, x_title: str, y_title: str, height: int = 300
) -> go.Figure:
    """A bar per digit: the share of that digit's test images read correctly."""
    acc = np.nan_to_num(np.asarray(per_class, dtype=float))
    fig = go.Figure(
        go.Bar(
            x=[str(d) for d in range(len(acc))],
            y=acc,
            marker_color=PRIMARY,
            text=[f"{a:.1%}" for a in acc],
            textposition="outside",
            hovertemplate="%{x}: %{y:.2%}<extra></extra>",
        )
    )
    fig.update_layout(title=title, height=height, margin=_MARGIN, xaxis_title=x_title, yaxis_title=y_title)
    fig.update_yaxes(tickformat=".0%", range=[max(0.0, float(acc.min()) - 0.03), 1.01])
    fig.update_xaxes(type="category")
    return fig


def confusion_figure(
    confusion: np.ndarray,
    x_title: str,
    y_title: str,
    hover: str,
    hover_right: str | None = None,
    colormap: str = "viridis",
    height: int = 480,
) -> go.Figure:
    """The confusion matrix as a heatmap: rows are true digits, columns the model's answers.

    Colour follows log(1 + count): the diagonal holds ~1000 per cell and the mistakes a handful, so a linear
    scale would show only the diagonal. Each cell prints its count; hovering shows `hover` (`hover_right`
    on the diagonal), templates with {true}, {pred} and {count} placeholders.
    """
    counts = np.asarray(confusion)
    k = counts.shape[0]
    text = [
        [
            (hover_right if t == p and hover_right else hover).format(true=t, pred=p, count=int(counts[t, p]))
            for p in range(k)
        ]
        for t in range(k)
    ]
    fig = go.Figure(
        go.Heatmap(
            z=np.log1p(counts),
            x=[str(d) for d in range(k)],
            y=[str(d) for d in range(k)],
            colorscale=colormap,
            showscale=False,
            text=counts,
            texttemplate="%{text}",
            customdata=text,
            hovertemplate="%{customdata}<extra></extra>",
            xgap=1,
            ygap=1,
        )
    )
    fig.update_layout(height=height, margin=_MARGIN, xaxis_title=x_title, yaxis_title=y_title)
    fig.update_xaxes(side="top", type="category", constrain="domain")
    fig.update_yaxes(autorange="reversed", type="category", scaleanchor="x")
    return fig
