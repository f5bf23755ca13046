"""A Streamlit session without a browser: Streamlit 1.67's own websocket protocol, spoken from asyncio.

A browser's session costs the server one websocket on `/_stcore/stream`, `BackMsg(rerun_script=ClientState)`
protobufs coming in and `ForwardMsg`s going out. `Session` sends the same messages the frontend sends (read
from Streamlit's frontend bundle and checked against a real Chromium's frames on the class page), so the
server does the same work as for a browser, while the client costs almost no CPU:

- the first run names the page by its path (`page_name`) with the query string, as a fresh tab does; later
  runs name it by the `page_script_hash` the server's `navigation` message gave;
- every run carries the state of every widget on the page: a widget's default as soon as it is shown (the
  frontend registers it on mount: selectbox, text input, pills, file uploader, ...), then what was set; a
  button's `trigger_value` goes with one run only; states of widgets no longer shown are dropped;
- a widget inside an `@st.fragment` reruns only that fragment (`ClientState.fragment_id`, the `fragment_id`
  of the widget's delta), as the frontend's widget manager does;
- `auto_rerun` messages (an `@st.fragment(run_every=...)`) start a timer that reruns the fragment with
  `is_auto_rerun`, as the frontend's setInterval does, until `stop_auto_rerun`;
- messages the server marks cacheable are kept and their hashes sent back (`cached_message_hashes`), so the
  server may answer with `ref_hash` references, as it does to a browser.

The page is kept as the frontend keeps it: a tree of elements by delta path; at the end of a run the elements
that run did not write are dropped (only inside the fragments it ran, for a fragment run). Widgets and keyed
containers are found by their key (element ids end in `-<key>`), and `text(key)` is what a person would read
there (markdown, HTML, alerts, headings, metrics, code under it).

    async with Session("http://127.0.0.1:8501") as s:
        await s.open("/class", "join=ABC123")
        await s.set("class_label", string_array_value=["3"])
        await s.click("class_submit")
        await s.wait_text("class_sent", r"#\\d+")
"""

from __future__ import annotations

import asyncio
import collections
import json
import re
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ContextInfo
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.NumberInput_pb2 import NumberInput
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect

FINISHED = {0: "ok", 1: "compile_error", 2: "early_for_rerun", 3: "fragment_ok"}
HISTORY = 200  # messages kept in Session.history
TEXT_FIELDS = ("body", "label", "code_text")  # what a person reads in an element


@dataclass
class Node:
    """One element or block on the page, as the frontend holds it."""

    kind: str  # the Element's type (markdown, button, ...) or "block"
    proto: object  # the Element's sub-message or the Block
    run_id: str  # the run that wrote it
    fragment_id: str  # the fragment it belongs to ("" outside fragments)
    seq: int  # how many runs had started when it was written (Session.runs_started)

    @property
    def id(self) -> str:
        return getattr(self.proto, "id", "") or ""

    def text(self) -> str:
        parts = []
        for name in TEXT_FIELDS:
            if name in self.proto.DESCRIPTOR.fields_by_name:
                parts.append(str(getattr(self.proto, name)))
        return "\n".join(p for p in parts if p)


def _default_state(kind: str, proto) -> WidgetState | None:
    """The state a widget registers when the frontend mounts it (None: it registers none until used)."""
    state = WidgetState(id=proto.id)

    def has(field: str) -> bool:
        try:
            return proto.HasField(field)
        except ValueError:
            return False

    if kind in ("selectbox", "radio"):
        if proto.set_value:
            state.string_value = proto.raw_value
        elif has("default") and 0 <= proto.default < len(proto.options):
            state.string_value = proto.options[proto.default]
        else:
            return None
    elif kind in ("text_input", "text_area"):
        state.string_value = proto.value if proto.set_value else proto.default
    elif kind == "checkbox":
        state.bool_value = proto.value if proto.set_value else proto.default
    elif kind == "number_input":
        if not (proto.set_value or has("default")):
            return None
        value = proto.value if proto.set_value else proto.default
        if proto.data_type == NumberInput.INT:
            state.int_value = int(value)
        else:
            state.double_value = value
    elif kind == "button_group":
        values = list(proto.raw_values) if proto.set_value else [proto.options[i].content for i in proto.default]
        state.string_array_value.data.extend(values)
    elif kind == "file_uploader":
        state.file_uploader_state_value.SetInParent()
    else:
        return None
    return state


class Session:
    """One Streamlit session over the websocket; see the module's docstring."""

    def __init__(self, base_url: str, locale: str = "en-US", timezone: str = "UTC"):
        self.base_url = base_url.rstrip("/")
        parts = urlsplit(self.base_url)
        self.ws_url = f"ws://{parts.netloc}{parts.path}/_stcore/stream"
        self.context = ContextInfo(timezone=timezone, timezone_offset=0, locale=locale, is_embedded=False)
        self.context.color_scheme = "light"
        self.page_name = ""
        self.page_hash = ""
        self.query = ""
        self.nodes: dict[tuple[int, ...], Node] = {}
        self.states: dict[str, WidgetState] = {}
        self.triggers: set[str] = set()
        self.cache: dict[str, ForwardMsg] = {}
        self.run_id = ""
        self.run_fragments: list[str] = []
        self.runs_started = 0
        self.runs_finished = 0
        self.listeners: list = []  # called with no argument after each message
        self.running = False
        self.exceptions: list[str] = []
        self._ws = None
        self._reader: asyncio.Task | None = None
        self._timers: dict[str, tuple[float, asyncio.Task]] = {}
        self._changed = asyncio.Condition()
        self.closed = False
        self.ended: str | None = None  # why the connection ended, when it did
        # The last messages both ways, (seconds since opened, what): what a timeout was waiting behind.
        self.history: collections.deque = collections.deque(maxlen=HISTORY)
        self._opened = time.monotonic()

    async def __aenter__(self) -> Session:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    # Connection

    async def open(self, path: str = "/", query: str = "", timeout: float = 60) -> None:
        """Connect and run the page at `path` with `query` (no "?"), as a freshly opened tab; returns once the
        first run has finished."""
        self.page_name = path.strip("/")
        self.query = query
        self.context.url = f"{self.base_url}/{self.page_name}"
        self._ws = await connect(self.ws_url, subprotocols=["streamlit"], max_size=None, open_timeout=timeout)
        self._reader = asyncio.create_task(self._read())
        finished = self.runs_finished
        await self.rerun()
        await self.wait_for(lambda: self.runs_finished > finished and not self.running, timeout)

    async def close(self) -> None:
        self.closed = True
        for _, task in self._timers.values():
            task.cancel()
        self._timers.clear()
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            try:
                await self._reader
            except (asyncio.CancelledError, Exception):
                pass

    async def rerun(self, fragment_id: str = "", auto: bool = False) -> None:
        """Send a rerun request with every widget's state, as the frontend's sendRerunBackMsg does."""
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query
        state.widget_states.widgets.extend(self.states.values())
        if self.page_hash:
            state.page_script_hash = self.page_hash
        else:
            state.page_name = self.page_name
        state.fragment_id = fragment_id
        state.is_auto_rerun = auto
        state.cached_message_hashes.extend(self.cache)
        state.context_info.CopyFrom(self.context)
        for widget_id in self.triggers:  # a trigger goes with one run only (dropped before another can start)
            self.states.pop(widget_id, None)
        self.triggers.clear()
        triggers = [w.id.rsplit("-", 1)[-1] for w in state.widget_states.widgets if w.HasField("trigger_value")]
        self._log(f"> rerun fragment={fragment_id[:8] or 'app'} auto={auto} triggers={triggers}")
        await self._ws.send(msg.SerializeToString())

    # Widgets

    def node(self, key: str) -> tuple[tuple[int, ...], Node] | None:
        """The element or block whose id ends with `-<key>` (the last one on the page, as ids are unique)."""
        for path, node in self.nodes.items():
            if node.id.endswith(f"-{key}"):
                return path, node
        return None

    def widget_id(self, key: str) -> str:
        found = self.node(key)
        if found is None:
            raise KeyError(f"no widget with key {key!r} on the page")
        return found[1].id

    def fragment_of(self, key: str) -> str:
        found = self.node(key)
        return found[1].fragment_id if found else ""

    async def set(self, key: str, rerun: bool = True, **value) -> None:
        """Set a widget's value as WidgetState field=value (string_value="x", json_value="{...}",
        string_array_value=["3"], ...) and rerun its fragment (or the page), as a person's change does."""
        ((field, val),) = value.items()
        state = WidgetState(id=self.widget_id(key))
        if field.endswith("_array_value"):
            getattr(state, field).data.extend(val)
        else:
            setattr(state, field, val)
        self.states[state.id] = state
        if rerun:
            await self.rerun(self.fragment_of(key))

    async def set_json(self, key: str, value) -> None:
        """A custom component's value (the frontend's setJsonValue: JSON.stringify of the value)."""
        await self.set(key, json_value=json.dumps(value, separators=(",", ":")))

    async def click(self, key: str) -> None:
        """Press a button: its trigger_value goes with one rerun of its fragment (or the page)."""
        widget_id = self.widget_id(key)
        self.states[widget_id] = WidgetState(id=widget_id, trigger_value=True)
        self.triggers.add(widget_id)
        await self.rerun(self.fragment_of(key))

    # What the page shows

    def text(self, key: str) -> str:
        """Everything a person reads in the element or container with this key ("" when it is not shown)."""
        found = self.node(key)
        if found is None:
            return ""
        root, _ = found
        return "\n".join(n.text() for p, n in sorted(self.nodes.items()) if p[: len(root)] == root and n.text())

    def find(self, pattern: str) -> list[str]:
        """Texts of the elements on the page that match the regular expression."""
        rx = re.compile(pattern)
        return [n.text() for _, n in sorted(self.nodes.items()) if rx.search(n.text())]

    async def wait_for(self, predicate, timeout: float = 30) -> None:
        """Wait until predicate() holds (checked after each message); TimeoutError after `timeout` s."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)

    async def wait_text(self, key: str, pattern: str, timeout: float = 30) -> str:
        """Wait until the element with `key` shows text matching `pattern`; returns that text."""
        rx = re.compile(pattern)
        await self.wait_for(lambda: rx.search(self.text(key)) is not None, timeout)
        return self.text(key)

    # Messages from the server

    async def _read(self) -> None:
        try:
            async for payload in self._ws:
                msg = ForwardMsg()
                msg.ParseFromString(payload)
                self._handle(msg)
                for listener in self.listeners:
                    listener()
                async with self._changed:
                    self._changed.notify_all()
            self.ended = f"closed by the server: {self._ws.close_code} {self._ws.close_reason}"
        except Exception as exc:
            self.ended = f"{type(exc).__name__}: {exc}"
            raise

    def _log(self, what: str) -> None:
        self.history.append((round(time.monotonic() - self._opened, 3), what))

    def _handle(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        if kind != "delta":
            detail = ""
            if kind == "new_session":
                detail = f" fragments={[f[:8] for f in msg.metadata.run.fragment_ids]}"
            elif kind == "script_finished":
                detail = f" status={FINISHED.get(msg.script_finished, msg.script_finished)}"
            self._log(f"< {kind}{detail}")
        if kind == "ref_hash":
            cached = self.cache.get(msg.ref_hash)
            if cached is None:
                return
            full = ForwardMsg()
            full.CopyFrom(cached)
            full.metadata.CopyFrom(msg.metadata)
            msg, kind = full, full.WhichOneof("type")
        elif msg.metadata.cacheable and msg.hash:
            self.cache[msg.hash] = msg
        if kind == "new_session":
            self.run_id = msg.metadata.run.script_run_id
            self.run_fragments = list(msg.metadata.run.fragment_ids)
            self.runs_started += 1
            self.running = True
        elif kind == "navigation":
            self.page_hash = msg.navigation.page_script_hash or self.page_hash
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
        elif kind == "delta":
            self._delta(msg)
        elif kind == "script_finished":
            if msg.metadata.run.script_run_id:
                self.run_id = msg.metadata.run.script_run_id
                self.run_fragments = list(msg.metadata.run.fragment_ids)
            self._finished(msg.script_finished)
        elif kind == "auto_rerun":
            self._auto_rerun(msg.auto_rerun.fragment_id, msg.auto_rerun.interval)
        elif kind == "stop_auto_rerun":
            for fragment_id in msg.stop_auto_rerun.fragment_ids:
                _, task = self._timers.pop(fragment_id, (0, None))
                if task is not None:
                    task.cancel()

    def _delta(self, msg: ForwardMsg) -> None:
        delta = msg.delta
        path = tuple(msg.metadata.delta_path)
        run_id = msg.metadata.run.script_run_id or self.run_id
        which = delta.WhichOneof("type")
        if which == "new_element":
            kind = delta.new_element.WhichOneof("type")
            proto = getattr(delta.new_element, kind)
            if kind == "exception":
                self.exceptions.append(f"{proto.type}: {proto.message}")
        elif which == "add_block":
            kind, proto = "block", delta.add_block
        else:
            return
        node = self.nodes[path] = Node(kind, proto, run_id, delta.fragment_id, self.runs_started)
        if kind == "html" or node.id.endswith(("-class_sent", "-class_submit")):
            self._log(f"< {kind} {node.id.rsplit('-', 1)[-1] if node.id else node.text()[:60]!r}")
        widget_id = getattr(proto, "id", "")
        if widget_id and (widget_id not in self.states or getattr(proto, "set_value", False)):
            state = _default_state(kind, proto)
            if state is not None:
                self.states[widget_id] = state

    def _finished(self, status: int) -> None:
        """The end of a run: drop what it did not write (in its fragments only, for a fragment run), and the
        states of widgets no longer shown."""
        if status != 2:  # a run stopped early for a rerun leaves the page to the next run
            fragments = set(self.run_fragments)
            for path, node in list(self.nodes.items()):
                stale = node.run_id != self.run_id
                if stale and (not fragments or node.fragment_id in fragments):
                    del self.nodes[path]
            shown = {n.id for n in self.nodes.values() if n.id}
            for widget_id in list(self.states):
                if widget_id not in shown and widget_id not in self.triggers:
                    del self.states[widget_id]
        self.runs_finished += 1
        self.running = status == 2  # stopped early: the rerun that stopped it starts at once

    def _auto_rerun(self, fragment_id: str, interval: float) -> None:
        current = self._timers.get(fragment_id)
        if current is not None and current[0] == interval:
            return
        if current is not None:
            current[1].cancel()
        self._timers[fragment_id] = (interval, asyncio.create_task(self._every(fragment_id, interval)))

    async def _every(self, fragment_id: str, interval: float) -> None:
        next_at = time.monotonic() + interval
        while not self.closed:
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            next_at += interval
            try:
                await self.rerun(fragment_id, auto=True)
            except Exception:  # the connection is gone: the timer ends with it
                return
