"""LeNet Explorer: `streamlit run app.py`. Page config, navigation and the shared sidebar; nothing else."""

from pathlib import Path

import streamlit as st

import ui
from lenet.figures.theme import COLORMAPS
from lenet.i18n import start_language

st.set_page_config(page_title="LeNet Explorer", page_icon="🔢", layout="wide")

if "language" not in st.session_state:  # a new session: ?lang= in the link, else the server's default
    st.session_state["language"] = start_language(st.query_params.get("lang"))
if "projector" not in st.session_state:  # a new session: ?view=projector opens the projector view
    st.session_state["projector"] = st.query_params.get("view") == "projector"
# Under st.navigation, Streamlit 1.67 gives these sidebar widgets a new identity on the first rerun
# after a page load, so the first change of language, model or colour map was silently lost.
# Re-assigning each value through the session-state API carries it over to the new widget.
for _key in ("language", "model", "colormap", "projector"):
    if _key in st.session_state:
        st.session_state[_key] = st.session_state[_key]

with st.sidebar:
    st.selectbox(
        ui.tr("sidebar.language"),
        list(ui.LANGUAGES),
        format_func=ui.LANGUAGES.get,
        key="language",
        on_change=ui.relabel_choices,
    )
    labels = {str(info.path): ui.checkpoint_label(info) for info in ui.model_choices()}
    paths = list(labels)
    picked = st.session_state.get("model")
    if picked and picked not in paths:
        st.warning(ui.tr("error.checkpoint_missing", name=Path(picked).name))
        del st.session_state["model"]
    if paths:
        st.selectbox(ui.tr("sidebar.model"), paths, format_func=labels.get, key="model")
    else:
        st.warning(ui.tr("sidebar.no_models"))
    st.selectbox(ui.tr("sidebar.colormap"), COLORMAPS, key="colormap")
    st.toggle(
        ui.tr("sidebar.projector"), key="projector", on_change=ui.sync_view_param, help=ui.tr("sidebar.projector.help")
    )
    st.caption(ui.tr("sidebar.device", device=ui.device_name()))
    st.caption(ui.tr("sidebar.credit"))

pages = [
    st.Page("pages/draw.py", title=ui.tr("nav.draw"), icon=":material/draw:", default=True),
    st.Page("pages/conv_lab.py", title=ui.tr("nav.conv_lab"), icon=":material/grid_on:", url_path="conv_lab"),
    st.Page("pages/train.py", title=ui.tr("nav.train"), icon=":material/model_training:", url_path="train"),
    st.Page("pages/compare.py", title=ui.tr("nav.compare"), icon=":material/compare:", url_path="compare"),
    st.Page("pages/evaluate.py", title=ui.tr("nav.evaluate"), icon=":material/analytics:", url_path="evaluate"),
    st.Page("pages/class.py", title=ui.tr("nav.class"), icon=":material/groups:", url_path="class"),
    st.Page("pages/lesson.py", title=ui.tr("nav.lesson"), icon=":material/school:", url_path="lesson"),
]
ui.shell_chrome()
# The projector view has no sidebar: the pages' links go along the top.
page = st.navigation(pages, position="top" if ui.projector() else "sidebar")
if page.url_path != "class":
    ui.class_banner()  # the teacher's prompt and link reach a student on every page
page.run()
ui.shorten_switch_interval()  # the whole server: see its docstring
ui.freeze_startup_heap()  # after the first page's imports; see its docstring
