"""Plotly figures and image mosaics for the pages. Functions return go.Figure or numpy RGB arrays."""

from __future__ import annotations

# Perceptually uniform, colour-blind-safe maps (matplotlib's viridis family; cividis is tuned for
# deuteranomaly: Nuñez et al. 2018, https://doi.org/10.1371/journal.pone.0199239).
COLORMAPS = ("viridis", "cividis", "magma", "gray")
