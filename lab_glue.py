"""The Convolution lab's glue for pages/conv_lab.py: the single layer's settings kept in the widgets and the link,
and the exercises' seed, position and score.

Glue, as ui.py: the page lays out the widgets and calls these (the network designer's tab is lab_network.py). The
single layer's settings live in the URL query (DESIGN §4.2) and in the `lab_*` widgets, so a link reproduces what
the teacher projects; a teacher's `exercise=SEED` gives the whole class the same exercises.
"""

from __future__ import annotations

import random
import re

import streamlit as st

from lenet.conv import exercise
from lenet.conv.arithmetic import TRANSPOSED
from lenet.conv.query import LabSettings, settings_from_query

WIDGETS = {  # a LabSettings field -> the widget that shows it
    "height": "lab_height",
    "width": "lab_width",
    "in_channels": "lab_channels",
    "op": "lab_op",
    "kernel": "lab_kernel",
    "out_channels": "lab_filters",
    "stride": "lab_stride",
    "dilation": "lab_dilation",
    "ceil_mode": "lab_ceil",
    "output_padding": "lab_output_padding",
}
LEARNED = ("conv", TRANSPOSED)  # the ops with filters


# The single layer's settings <-> the URL and the widgets


def load_settings_into_widgets() -> None:
    """Fill the widgets from the URL when it holds something they do not show yet.

    That is the first run of a session (a shared link), or a return to this page, whose URL
    navigation has emptied: then the settings last shown in this session come back.
    """
    query = {k: v for k, v in st.query_params.to_dict().items() if k != "net"}  # the designer reads its own
    if not query:
        query = st.session_state.get("lab_last_query", {})
    present = all(key in st.session_state for key in (*WIDGETS.values(), "lab_padding_mode", "lab_padding"))
    if present and query == st.session_state.get("lab_seen"):
        return
    settings, problems = settings_from_query(query)
    for field, key in WIDGETS.items():
        st.session_state[key] = getattr(settings, field)
    mode = settings.padding if isinstance(settings.padding, str) else "number"
    st.session_state["lab_padding_mode"] = mode
    st.session_state["lab_padding"] = settings.padding if mode == "number" else 0
    # the problems are shown for as long as the settings they led to stay unchanged
    st.session_state["lab_problems"] = (settings.to_query(), problems)


def write_query(settings: LabSettings) -> None:
    query = settings.to_query()
    if "exercise" in st.query_params:  # a teacher's exercise link keeps its seed while the layer changes
        query["exercise"] = str(st.query_params["exercise"])[:20]
    st.session_state["lab_seen"] = st.session_state["lab_last_query"] = dict(query)
    if "net" in st.query_params:  # the designer's network (network_tab) stays in the link too
        query["net"] = st.query_params["net"]
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)


def widget_settings(op: str, mode: str) -> LabSettings:
    """The layer the single-layer widgets show (`op` and the padding `mode` as their selectboxes return them)."""
    state = st.session_state
    return LabSettings(
        height=int(state["lab_height"]),
        width=int(state["lab_width"]),
        kernel=int(state["lab_kernel"]),
        stride=int(state["lab_stride"]),
        padding=int(state["lab_padding"]) if mode == "number" else mode,
        dilation=int(state["lab_dilation"]),
        op=op,
        ceil_mode=bool(state["lab_ceil"]) and op not in LEARNED,
        in_channels=int(state["lab_channels"]),
        out_channels=int(state["lab_filters"]),
        output_padding=int(state["lab_output_padding"]) if op == TRANSPOSED else 0,
    )


def use_trained_size(size: int) -> None:
    st.session_state["lab_kernel"] = size


# Guess, then reveal


def exercise_seed() -> tuple[int, bool]:
    """(seed, shared): the teacher's `exercise=SEED` from the link, else this session's own random seed."""
    text = str(st.query_params.get("exercise", "")).strip()
    if re.fullmatch(r"\d{1,9}", text):
        return int(text), True
    if "lab_ex_seed" not in st.session_state:
        st.session_state["lab_ex_seed"] = random.randrange(exercise.SEED_LIMIT)
    return st.session_state["lab_ex_seed"], False


def next_exercise(level: str) -> None:
    positions = st.session_state.setdefault("lab_ex_index", {})
    positions[level] = positions.get(level, 0) + 1
    st.session_state["lab_answer"] = ""
    st.session_state.pop("lab_ex_verdict", None)


def check_clicked(ex: exercise.Exercise) -> None:
    """Score a readable answer once per exercise; an unreadable one is only pointed out."""
    verdict = exercise.check_answer(ex, st.session_state.get("lab_answer", ""))
    st.session_state["lab_ex_verdict"] = (ex, verdict)
    scored = st.session_state.setdefault("lab_ex_scored", {})
    key = (ex.level, ex.index)
    if verdict.readable and key not in scored:
        scored[key] = verdict.correct
