"""The Convolution lab's network designer (pages/conv_lab.py's "whole network" tab): a list of layers
(lenet.netspec) edited row by row, measured as it changes, checked against PyTorch, exported, sent to Train.

Glue, as class_lesson.py is for the Class page: the page calls `network_tab`, a fragment, so a change reruns only
this part. The list lives in the session (`lab_net_entries`, the picked row `lab_net_selected`) and in the link's
`net` (left out for LeNet-5, the default); the edits are lenet.figures.designer's pure functions.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

import ui
from lenet import netspec
from lenet.conv import export, ops
from lenet.figures import designer
from lenet.netspec import NetSpec, NetSpecError

NET_DEFAULT = netspec.NETWORKS[netspec.DEFAULT_NETWORK]
NET_KINDS = netspec.KINDS


# The list, kept in the session and in the link


def net_entries() -> list[str]:
    return st.session_state["lab_net_entries"]


def set_entries(entries: list[str], selected: int = 0) -> None:
    st.session_state["lab_net_entries"] = list(entries)
    st.session_state["lab_net_selected"] = min(max(selected, 0), len(entries) - 1)


def read_net_link() -> None:
    """Start from the link's `net` when it holds a design this session has not seen (a shared link, a teacher's
    "follow me"); a list that cannot be read falls back to LeNet-5, and the page says why."""
    state = st.session_state
    if "lab_net_entries" not in state:
        set_entries(designer.split_entries(NET_DEFAULT))
    link = st.query_params.get("net")
    if link is None or link == state.get("lab_net_url"):
        return
    state["lab_net_url"] = link
    try:
        spec = netspec.parse(link)
    except NetSpecError as exc:
        set_entries(designer.split_entries(NET_DEFAULT))
        state["lab_net_problem"] = (net_entries().copy(), ui.tr("lab.net.url_bad", reason=ui.tr_error(exc)))
        return
    set_entries([layer.text for layer in spec.layers])


def write_net_link() -> None:
    """The design into the link: `net` holds the list (left out for LeNet-5, the default)."""
    text = ",".join(net_entries())
    if text == NET_DEFAULT:
        if "net" in st.query_params:
            del st.query_params["net"]
    elif st.query_params.get("net") != text:
        st.query_params["net"] = text
    st.session_state["lab_net_url"] = text


def text_changed() -> None:
    """The typed list replaces the design; a list too long to be a design is refused and the design kept."""
    text = str(st.session_state.get("lab_net_text", ""))
    text = netspec.NETWORKS.get(text.strip().lower(), text)
    try:
        netspec.parse_layers(text)  # only the whole-list limits matter here: length, number of layers, empty
    except NetSpecError as exc:
        if exc.code in ("net_too_long", "net_too_many", "net_empty"):
            st.session_state["lab_net_text_error"] = (net_entries().copy(), ui.tr_error(exc))
            return
    set_entries(designer.canonical(designer.split_entries(text)), st.session_state.get("lab_net_selected", 0))


def preset_changed() -> None:
    name = st.session_state.get("lab_net_preset")
    if name:
        set_entries(designer.split_entries(netspec.NETWORKS[name]))


def edit(operation, *args) -> None:
    """A button's change to the list (lenet.figures.designer's insert, remove, duplicate, move)."""
    entries, selected = operation(net_entries(), *args)
    set_entries(entries, selected)


def add_layer() -> None:
    kind = st.session_state.get("lab_net_add_kind") or "conv"
    edit(designer.insert, st.session_state["lab_net_selected"], designer.NEW_LAYER[kind])


def layer_picked() -> None:
    st.session_state["lab_net_selected"] = int(st.session_state["lab_net_layer"])


def kind_changed() -> None:
    kind = st.session_state.get("lab_net_kind")
    if kind:
        entries = net_entries().copy()
        entries[st.session_state["lab_net_selected"]] = designer.NEW_LAYER[kind]
        set_entries(entries, st.session_state["lab_net_selected"])


def setting_changed() -> None:
    """The picked layer rewritten from its settings' widgets."""
    state = st.session_state
    values = {field: state.get(f"lab_net_{field}") for field in designer.SETTING_FIELDS}
    layer = designer.layer_from_settings(state["lab_net_kind"], values)
    entries = net_entries().copy()
    entries[state["lab_net_selected"]] = layer.text
    set_entries(entries, state["lab_net_selected"])


def sync_widgets(design: designer.Design) -> None:
    """Show the design in the widgets before they are drawn: the text, the preset, the picked layer's settings."""
    state = st.session_state
    text = design.text
    kept = state.get("lab_net_text_error")
    if kept is not None and kept[0] != list(design.entries):
        state.pop("lab_net_text_error")
    if state.get("lab_net_text_error") is None:
        state["lab_net_text"] = text
    state["lab_net_preset"] = next((n for n, t in netspec.NETWORKS.items() if t == text), None)
    selected = state["lab_net_selected"]
    state["lab_net_layer"] = selected
    picked = design.rows[selected]
    if state.get("lab_net_editing") == (selected, picked.text):
        return
    state["lab_net_editing"] = (selected, picked.text)
    layer = picked.layer
    state["lab_net_kind"] = None if layer is None else layer.kind
    if layer is not None:
        state.update({f"lab_net_{field}": value for field, value in designer.settings_of(layer).items()})


def row_sentence(row: designer.DesignRow) -> str:
    """A row's error in the page's language: the list's own refusal, or the arithmetic's reason behind it."""
    if isinstance(row.error, NetSpecError):
        return ui.tr_error(row.error)
    return ui.tr("lab.net.row_fails", index=row.index, layer=row.text, reason=ui.tr_error(row.error))


def send_to_train(spec: NetSpec) -> None:
    """The list to the Train page (`train_net`); a LeNet-shaped one also as the LeNetConfig it reads today."""
    st.session_state["train_net"] = spec.text
    config = designer.lenet_config(spec)
    if config is not None:
        st.session_state["train_config"] = config.to_dict()
    st.switch_page("pages/train.py")


# The tab's layout


def preset_and_text_ui() -> None:
    names = list(netspec.NETWORKS)
    st.pills(
        ui.tr("lab.net.preset"),
        names,
        key="lab_net_preset",
        on_change=preset_changed,
        format_func=ui.option_labels("lab.net.preset.", names).get,
        help=ui.tr("lab.net.preset_help"),
    )
    st.text_area(
        ui.tr("lab.net.text"),
        key="lab_net_text",
        on_change=text_changed,
        help=ui.tr("lab.net.text_help"),
        height=68,
    )
    kept = st.session_state.get("lab_net_text_error")
    if kept is not None:
        st.error(ui.tr("lab.net.text_kept", reason=kept[1]))
    problem = st.session_state.get("lab_net_problem")
    if problem is not None:
        if problem[0] == net_entries():
            st.warning(problem[1])
        else:  # shown until the design changes
            st.session_state.pop("lab_net_problem")


def layer_settings_ui(design: designer.Design) -> None:
    """The picked layer: its kind and the settings that kind has."""
    selected = st.session_state["lab_net_selected"]
    options = list(range(len(design.rows)))
    labels = {i: ui.tr("lab.net.layer_option", index=i + 1, text=design.rows[i].text or "∅") for i in options}
    left, right = st.columns(2)
    left.selectbox(ui.tr("lab.net.layer"), options, key="lab_net_layer", format_func=labels.get, on_change=layer_picked)
    kind = right.selectbox(
        ui.tr("lab.net.kind"),
        NET_KINDS,
        key="lab_net_kind",
        format_func=ui.option_labels("lab.net.kind.", NET_KINDS).get,
        on_change=kind_changed,
    )
    if kind is None:
        st.info(ui.tr("lab.net.not_a_layer", index=selected + 1))
        return
    fields = designer.KIND_SETTINGS.get(kind, ())
    if not fields:
        st.caption(ui.tr("lab.net.no_settings"))
        return
    same = kind == "conv" and st.session_state.get("lab_net_same")
    for column, field in zip(st.columns(len(fields)), fields, strict=True):
        key = f"lab_net_{field}"
        if field == "same":
            column.checkbox(ui.tr("lab.net.same"), key=key, on_change=setting_changed)
        elif field == "p":
            column.number_input(ui.tr("lab.net.p"), 0.0, 0.95, step=0.05, key=key, on_change=setting_changed)
        else:
            label = ui.tr(f"lab.net.size.{kind}") if field == "size" else ui.tr(f"lab.net.{field}")
            low, high = designer.setting_bounds(kind, field)
            column.number_input(
                label, low, high, step=1, key=key, on_change=setting_changed, disabled=field == "padding" and same
            )


def layer_buttons_ui(count: int) -> None:
    selected = st.session_state["lab_net_selected"]
    up, down, copy, drop = st.columns(4)
    up.button(ui.tr("lab.net.up"), key="lab_net_up", on_click=edit, args=(designer.move, selected, -1),
              disabled=selected == 0, icon=":material/arrow_upward:")  # fmt: skip
    down.button(ui.tr("lab.net.down"), key="lab_net_down", on_click=edit, args=(designer.move, selected, 1),
                disabled=selected == count - 1, icon=":material/arrow_downward:")  # fmt: skip
    full = count >= netspec.MAX_LAYERS
    copy.button(ui.tr("lab.net.duplicate"), key="lab_net_duplicate", on_click=edit,
                args=(designer.duplicate, selected), disabled=full, icon=":material/content_copy:")  # fmt: skip
    drop.button(ui.tr("lab.net.remove"), key="lab_net_remove", on_click=edit, args=(designer.remove, selected),
                disabled=count == 1, icon=":material/delete:")  # fmt: skip
    kind, add = st.columns(2)
    kind.selectbox(
        ui.tr("lab.net.add_kind"),
        NET_KINDS,
        key="lab_net_add_kind",
        format_func=ui.option_labels("lab.net.kind.", NET_KINDS).get,
    )
    add.button(ui.tr("lab.net.add", index=selected + 1), key="lab_net_add", on_click=add_layer, disabled=full,
               icon=":material/add:")  # fmt: skip


def network_table_ui(design: designer.Design) -> None:
    columns = ("index", "layer", "block", "output", "params", "macs", "receptive", "memory")
    labels = {c: ui.tr(f"lab.net.col.{c}") for c in columns}
    labels |= {"input": ui.tr("lab.net.input"), "total": ui.tr("lab.net.totals"), "region": ui.tr("lab.net.region")}
    sentences = {r.index: row_sentence(r) for r in design.rows if r.error is not None}
    with st.container(key="lab_network"):
        st.html(designer.table_html(design, labels, sentences, st.session_state["lab_net_selected"]))
        if design.error is not None and not design.error.index:  # a refusal of the whole list, on no one row
            st.error(ui.tr_error(design.error))
        params, macs, memory = design.totals()
        st.caption(ui.tr("lab.net.costs", params=f"{params:,}", macs=f"{macs:,}", memory=designer.memory_text(memory)))


def pytorch_check(design: designer.Design) -> None:
    with st.expander(ui.tr("lab.net.check")):
        st.caption(ui.tr("lab.net.check_intro"))
        if design.spec is None:
            st.info(ui.tr("lab.net.check_invalid"))
            return
        if not st.button(ui.tr("lab.net.check_run"), key="lab_net_check"):
            return
        shapes = ops.pytorch_shapes(design.spec)
        ours = {r.row.name: r.row.output for r in design.rows}  # each block's output: after its last entry
        names = list(design.spec.names)
        table = pd.DataFrame(
            {
                ui.tr("lab.net.col.name"): names,
                ui.tr("lab.net.col.arithmetic"): [designer.shape_text(ours[n]) for n in names],
                ui.tr("lab.net.col.pytorch"): [designer.shape_text(shapes.get(n)) for n in names],
            }
        )
        st.dataframe(table, hide_index=True, width="stretch")
        different = [n for n in names if shapes.get(n) != ours[n]]
        if different:
            st.error(ui.tr("lab.net.check_diff", names=", ".join(different)))
        else:
            st.success(ui.tr("lab.net.check_ok"))


def export_ui(spec: NetSpec | None) -> None:
    """The designed network as a self-contained PyTorch file (st.code has a copy button)."""
    with st.expander(ui.tr("lab.net.export")):
        if spec is None:
            st.info(ui.tr("lab.net.export_invalid"))
            return
        source = export.network_source(spec)
        st.caption(ui.tr("lab.net.export_help"))
        st.code(source, language="python")
        st.download_button(
            ui.tr("lab.net.export_download"),
            source,
            file_name="lenet_network.py",
            mime="text/x-python",
            key="lab_net_download",
        )


@st.fragment
def network_tab() -> None:
    """The designer: a change reruns only this part of the page."""
    st.caption(ui.tr("lab.net.intro"))
    read_net_link()
    design = designer.measure(net_entries())
    sync_widgets(design)
    preset_and_text_ui()
    st.markdown(f"**{ui.tr('lab.net.edit')}**")
    layer_settings_ui(design)
    layer_buttons_ui(len(design.rows))
    network_table_ui(design)
    write_net_link()
    if design.spec is None:
        st.caption(ui.tr("lab.net.train_invalid"))
    if st.button(
        ui.tr("lab.net.train"),
        type="primary",
        disabled=design.spec is None,
        help=ui.tr("lab.net.train_help"),
        key="lab_net_train",
    ):
        send_to_train(design.spec)
    pytorch_check(design)
    export_ui(design.spec)
