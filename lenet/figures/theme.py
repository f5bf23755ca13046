"""The colours every figure and page shares.

The primary colour is the Streamlit theme's (`primaryColor` in .streamlit/config.toml), so the
highlighted digit, the watched run and the page's own accents match the widgets around them.
"""

from __future__ import annotations

import plotly.colors

from lenet.settings import PRIMARY_COLOR

PRIMARY = PRIMARY_COLOR  # the predicted digit, the run being watched, per-class bars
RUNNER_UP = "#748ffc"  # a lighter shade of the primary colour: the close second guess
MUTED = "#adb5bd"  # the other digits' bars, "nothing to read"
REFERENCE = "#495057"  # the shipped model's reference line, captions in HTML pictures
GUTTER = (255, 255, 255)  # between mosaic tiles: the page background, so every map reads as a separate tile
# Paul Tol's colour-blind-safe qualitative palette, one colour per compared run.
PALETTE = plotly.colors.qualitative.Safe

# Perceptually uniform, colour-blind-safe maps (matplotlib's viridis family; cividis is tuned for
# deuteranomaly: Nuñez et al. 2018, https://doi.org/10.1371/journal.pone.0199239).
COLORMAPS = ("viridis", "cividis", "magma", "gray")
# For signed values (kernel weights, saliency): ColorBrewer's purple-orange, safe for all common
# colour-vision deficiencies, reversed so that negative is purple and positive is orange.
DIVERGING = "PuOr"
