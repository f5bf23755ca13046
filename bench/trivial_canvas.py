"""The baseline for bench/draw_latency.py: only the Draw page's canvas, and the drawing's checksum.

    streamlit run bench/trivial_canvas.py

The canvas has exactly the Draw page's settings (pages/draw.py: 280x280 px, white 18 px freedraw brush on
black, image data sent on every mouse-up), the same canvas patch (`ui.CANVAS_TOOLBAR_SCRIPT`, read from ui.py's
source: it hides the canvas's invisible toolbar, which would otherwise swallow strokes that start in the
top-right corner) and the same clear button (`draw_clear`, which loads an empty drawing through a nonce,
as the Draw page does). Instead of running a network, the page prints a short hash
of the canvas's RGBA bytes in `st.container(key="prediction")`: the time the real page needs on top of
this one is the cost of the model, its pictures and its layout.
"""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

CANVAS = 280  # px, as pages/draw.py
BRUSH = 18  # px, the Draw page's default brush

UI = Path(__file__).resolve().parent.parent / "ui.py"


@st.cache_data
def page_head() -> str:
    """The Draw page's canvas patch (`ui.CANVAS_TOOLBAR_SCRIPT`), taken from ui.py's source without importing it."""
    for node in ast.parse(UI.read_text(encoding="utf-8")).body:
        if (
            isinstance(node, ast.Assign)
            and any(getattr(t, "id", None) == "CANVAS_TOOLBAR_SCRIPT" for t in node.targets)
            and isinstance(node.value, ast.Constant)
        ):
            return node.value.value
    return ""


st.set_page_config(page_title="Trivial canvas", layout="wide")
st.session_state.setdefault("nonce", 0)
if page_head():
    st.html(page_head(), unsafe_allow_javascript=True)


def _clear() -> None:
    st.session_state["nonce"] += 1


result = st_canvas(
    stroke_color="#ffffff",
    background_color="#000000",
    stroke_width=BRUSH,
    height=CANVAS,
    width=CANVAS,
    drawing_mode="freedraw",
    update_streamlit=True,
    return_image_data=True,
    initial_drawing={"objects": [], "nonce": st.session_state["nonce"]},
    key="canvas",
)
st.button("Clear", key="draw_clear", on_click=_clear)

rgba = result.image_data
with st.container(key="prediction", border=True):
    rgba = None if rgba is None else np.ascontiguousarray(rgba)
    ink = 0 if rgba is None else int((rgba[..., :3].max(axis=-1) > 0).sum())  # white ink on the black background
    if not ink:
        st.markdown("empty")  # no ink: the text the benchmark waits for after a clear
    else:
        digest = hashlib.sha1(rgba.tobytes()).hexdigest()[:12]
        st.markdown(f"checksum `{digest}` · {ink} px of ink")
