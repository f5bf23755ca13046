"""train page (placeholder until its issue lands)."""

import streamlit as st

import ui

st.title(ui.tr("nav.train"))
