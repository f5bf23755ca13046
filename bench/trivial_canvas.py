"""The baseline for bench/draw_latency.py: only the Draw page's canvas, and the drawing's checksum.

    streamlit run bench/trivial_canvas.py

The canvas is the Draw page's own drawing surface (surface.py, lenet/web/surface.*: 280x280 px, white 18 px
brush on black, one value per stroke at its end: the strokes, the PNG and the browser's 28x28), mounted through
the same call, and the same clear button (`draw_clear`, which loads an empty drawing through a nonce, as the
Draw page does). Instead of running a network, the page prints a short hash of the canvas's RGBA bytes in
`st.container(key="prediction")`: the time the real page needs on top of this one is the cost of the model,
its pictures and its layout.

Streamlit serves the static/ folder next to the main script, so here (bench/) the browser finds no weights for
its live reading: the surface says so under the canvas and sends its value without the 28x28, which is all the
server needs from it on this page.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np
import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository: surface.py, ui.py, lenet

import surface

BRUSH = 18  # px, the Draw page's default brush

st.set_page_config(page_title="Trivial canvas", layout="wide")
st.session_state.setdefault("nonce", 0)


def _clear() -> None:
    st.session_state["nonce"] += 1


surface.surface(key="canvas", nonce=st.session_state["nonce"], strokes=[], brush=BRUSH)
st.button("Clear", key="draw_clear", on_click=_clear)

drawing = surface.read_drawing(st.session_state.get("canvas"))
rgba = drawing.rgba if drawing.nonce == st.session_state["nonce"] else None  # a value from before a Clear: blank
with st.container(key="prediction", border=True):
    rgba = None if rgba is None else np.ascontiguousarray(rgba)
    ink = 0 if rgba is None else int((rgba[..., :3].max(axis=-1) > 0).sum())  # white ink on the black background
    if not ink:
        st.markdown("empty")  # no ink: the text the benchmark waits for after a clear
    else:
        digest = hashlib.sha1(rgba.tobytes()).hexdigest()[:12]
        st.markdown(f"checksum `{digest}` · {ink} px of ink")
