"""Every picture the pages show, in one package.

- theme: the colours: the theme's primary colour (read from .streamlit/config.toml), the muted and
  reference greys, the palette for compared runs, and the colour maps offered in the sidebar.
- mosaics: numpy RGB pictures: colour-map lookup tables, layer and kernel mosaics, the saliency
  overlay and the gallery's digit tiles.
- markup: PNG encoding and plain-HTML pictures (inlined images, probability and score bars), for what
  changes on every stroke.
- charts: plotly figures for the Train and Evaluate pages (learning curves, per-class accuracy,
  confusion matrix).
- lab: plotly figures for the Convolution lab (maps on a digit, the animated sliding window).
- draw_view: the Draw page's view of one input: the network's answer and every picture it shows.
"""
