"""A classroom: N students drawing on the Draw page at once while the teacher's training run goes on.

One `streamlit run app.py` serves everybody; one headless Chromium holds a browser context (its own
Streamlit session) per student, driven concurrently with Playwright's async API, plus one more context
for the teacher. The teacher opens /train, sets the epochs so the run outlasts the measurement, presses
`start_training` and stays on the page, which polls the run every second as it would on the classroom's
projector; the run is stopped at the end. Each student draws a handwritten digit (tests/strokes.py) every
PACE_S seconds, stroke by stroke, and presses the clear button after each digit.

Per stroke, latency is measured exactly as in bench/draw_latency.py: mouse-up to the last DOM mutation of
the update in the main area, once the page has changed, Streamlit is idle and nothing moved for QUIET_MS.
Errors: exception boxes or JavaScript errors on any page, tracebacks in the server's log, strokes left
unanswered, clears that did not clear. Memory: the server's RSS (the process and any children, from /proc),
sampled every 0.5 s: before the students connect (the median over 3 s), the median and the peak while they
draw, and at the end. Before the students connect, one warm-up student draws a digit and leaves, so the
first-use costs (imports, the model cache) are in the baseline, and `mb_per_session` = (median while
drawing - baseline) / N is what each more student costs. (The median, not the peak: the training run's
test-set checks briefly take 100 MB and more, which says nothing about the sessions.) With --sweep, the
slope of that median against N is fitted too. `server_cpu_cores` is the server process's own CPU use while
drawing, `training_cpu_cores` that of its children (the training run: lenet.worker), `machine_cpu_busy` the
whole machine's, and the latency's phases are split as in bench/draw_latency.py (send / server / render).
`page_compute_ms` is the Draw page's own caption: the
server's wall time for each picture, which shows whether the server itself is held up (by its interpreter
lock or the CPU) rather than the browsers beside it.

With --cold, the students open the app all at once on the freshly started server, before the teacher and
with no warm-up: the start of a lesson. Opening a page that shows an exception counts as an error (the
student then reloads once).

Targets (the classroom issue): no errors, every drawing answered, p95 <= 1.5 s, <= 30 MB per session.

The browser runs on the same machine as the server, so on a small machine the students' Chromium takes
CPU from the server: the figures are an upper bound for a real classroom, where every student brings a CPU.

    python bench/classroom.py [--sessions 10] [--duration 40] [--sweep] [--quick] [--json]
                              [--cold] [--training page|page-closed|process|none]   (page: the real case)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import random
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
from common import machine, percentiles, report  # first: it puts the repository and tests/ on sys.path

# isort: split
from appserver import CHROMIUM, CHROMIUM_ARGS, serve
from draw_latency import (
    IDLE_JS,
    INIT_JS,
    LOADED_JS,
    QUIET_MS,
    SETTLED_JS,
    SIGNATURE_JS,
    phases,
    predicted_digit,
    server_env,
)
from strokes import random_strokes

from lenet.i18n import t

PACE_S = 2.0  # a new digit every this many seconds per student
MAX_POINTS = 60  # mouse events per stroke: a student's mouse at 60 Hz over a second
TIMEOUT_S = 20.0  # a stroke not answered within this counts as unanswered
LOAD_TIMEOUT_S = 180.0  # ten sessions opening the app at once on two cores take a while
POLL_MS = 100
TARGETS = {"p95_ms": 1500, "mb_per_session": 30}
# The Draw page's own caption (a `lenet-caption` paragraph in its steps block): the server's wall time for the
# picture (decode, network, figures), which grows when the server waits for its interpreter lock or a CPU, but
# not when only the browsers are slow.
# The students' pages are in English; the caption's text up to the number comes from the page's own string.
COMPUTE_PREFIX = t("draw.timing", "en").split("{ms", 1)[0]
COMPUTE_JS = """(prefix) => {
  for (const el of document.querySelectorAll('[data-testid="stCaptionContainer"], .lenet-caption')) {
    const at = el.textContent.indexOf(prefix);
    if (at >= 0) return parseInt(el.textContent.slice(at + prefix.length), 10);
  }
  return null;
}"""


# --- the server's memory ---------------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MB (VmRSS from /proc)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
        todo += _children(p)
    return total / 1024


def cpu_s(pid: int, descendants: bool = True) -> float:
    """CPU seconds (user + system) used so far by a process and (by default) all its descendants."""
    total, todo, tick = 0, [pid], os.sysconf("SC_CLK_TCK")
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            continue
        if descendants:
            todo += _children(p)
    return total / tick


def machine_busy_s() -> float:
    """CPU seconds all cores of this machine have spent busy (from /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait


class MemorySampler:
    def __init__(self, pid: int, every_s: float = 0.5):
        self.pid, self.every_s, self.samples = pid, every_s, []

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.samples.append((time.monotonic(), rss_mb(self.pid)))
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), self.every_s)


# --- one student -----------------------------------------------------------------------------------------


def thinned(points, n: int = MAX_POINTS):
    """At most `n` points of a stroke, evenly spaced along it, ends kept."""
    if len(points) <= n:
        return points
    idx = np.linspace(0, len(points) - 1, n).round().astype(int)
    return [points[i] for i in idx]


class Student:
    def __init__(self, browser, url: str, index: int, seed: int):
        self.browser, self.url, self.index = browser, url, index
        self.rng = np.random.default_rng(seed)
        self.latencies: list[float] = []
        self.phases: dict[str, list[float]] = {"send": [], "server": [], "render": []}
        self.compute: list[float] = []  # seconds, from the page's caption
        self.lost: list[dict] = []  # what the page looked like when a stroke went unanswered
        self.cleared_at = 0.0
        self.strokes = self.unanswered = self.clear_failed = self.digits = self.right = 0
        self.js_errors: list[str] = []
        self.exceptions: list[str] = []
        self.load_errors: list[str] = []  # the page showed an exception instead of the canvas (then reloaded)

    async def open(self) -> None:
        """Open the Draw page; if it shows an exception instead, note it and reload once, as a student would."""
        self.context = await self.browser.new_context(viewport={"width": 1400, "height": 1000})
        await self.context.add_init_script(INIT_JS)
        self.page = await self.context.new_page()
        self.page.on("pageerror", lambda exc: self.js_errors.append(str(exc)))
        for attempt in range(2):
            if attempt == 0:
                await self.page.goto(self.url, timeout=LOAD_TIMEOUT_S * 1000)
            else:
                await self.page.reload(timeout=LOAD_TIMEOUT_S * 1000)
            await self.page.wait_for_selector(
                '.st-key-canvas canvas.draw-surface, [data-testid="stException"]', timeout=LOAD_TIMEOUT_S * 1000
            )
            boxes = self.page.locator('[data-testid="stException"]')
            if not await boxes.count():
                break
            self.load_errors.append(f"student {self.index}, on opening: {(await boxes.first.inner_text())[:200]}")
        else:
            raise RuntimeError(self.load_errors[-1])
        await self.page.wait_for_selector(".st-key-canvas canvas.draw-surface", timeout=LOAD_TIMEOUT_S * 1000)
        await self.page.wait_for_function(LOADED_JS, timeout=LOAD_TIMEOUT_S * 1000, polling=POLL_MS)
        await self.wait_idle(LOAD_TIMEOUT_S)
        self.blank = await self.page.locator(".st-key-prediction").inner_text()
        await self.page.locator(".st-key-canvas").scroll_into_view_if_needed()
        canvases = self.page.locator(".st-key-canvas canvas.draw-surface")
        self.box = await canvases.nth(await canvases.count() - 1).bounding_box()

    async def wait_idle(self, timeout_s: float = TIMEOUT_S) -> None:
        await self.page.wait_for_function(IDLE_JS, arg=QUIET_MS, timeout=timeout_s * 1000, polling=POLL_MS)

    async def stroke(self, points) -> float | None:
        before = await self.page.evaluate(SIGNATURE_JS)
        x0, y0 = self.box["x"], self.box["y"]
        mouse = self.page.mouse
        await mouse.move(x0 + points[0][0], y0 + points[0][1])
        await mouse.down()
        for x, y in points[1:]:
            await mouse.move(x0 + x, y0 + y)
        await mouse.up()
        try:
            await self.page.wait_for_function(
                SETTLED_JS, arg=[before, QUIET_MS], timeout=TIMEOUT_S * 1000, polling=POLL_MS
            )
        except Exception:
            with contextlib.suppress(Exception):
                b = await self.page.evaluate("() => ({...window.__bench, now: performance.now()})")
                self.lost.append(
                    {
                        "student": self.index,
                        "s_since_clear_done": round(time.monotonic() - self.cleared_at, 2),
                        "prediction_before": before.split("|")[0][:60],
                        "prediction_now": (await self.page.locator(".st-key-prediction").inner_text())[:60],
                        "sent_after_mouseup": b["firstSend"] > b["up"],
                        "msg_after_mouseup": b["lastMsg"] > b["up"],
                        "mutation_after_mouseup": b["lastMain"] > b["up"],
                        "start_xy": [round(points[0][0]), round(points[0][1])],
                        **await self.canvas_state(points[0]),
                    }
                )
            return None
        b = await self.page.evaluate("() => window.__bench")
        for key, value in phases(b).items():
            if value is not None:
                self.phases[key[:-2]].append(value)
        if (ms := await self.page.evaluate(COMPUTE_JS, COMPUTE_PREFIX)) is not None:
            self.compute.append(ms / 1000)
        return (b["lastMain"] - b["up"]) / 1000

    async def canvas_state(self, point) -> dict:
        """Whether the canvas moved since it was measured, and what lies under a canvas point (the drawing
        surface itself, unless something covers it)."""
        canvases = self.page.locator(".st-key-canvas canvas.draw-surface")
        box = await canvases.nth(await canvases.count() - 1).bounding_box()
        under = await self.page.evaluate(
            """([x, y]) => {
          const host = document.querySelector('.st-key-canvas [data-testid="stBidiComponentIsolated"]');
          const root = host && host.shadowRoot;
          if (!root) return {under_start: "no shadow root"};
          const el = root.elementFromPoint(x, y);
          return {under_start: el ? (el.tagName + "." + String(el.className)).slice(0, 60) : null};
        }""",
            [self.box["x"] + point[0], self.box["y"] + point[1]],
        )
        return {"canvas_moved": any(abs(box[k] - self.box[k]) > 1 for k in ("x", "y")), **under}

    async def clear(self) -> bool:
        await self.page.locator(".st-key-draw_clear button").click()
        try:
            await self.page.wait_for_function(
                "(blank) => document.querySelector('.st-key-prediction')?.innerText === blank",
                arg=self.blank,
                timeout=TIMEOUT_S * 1000,
                polling=POLL_MS,
            )
            await self.wait_idle()
            self.cleared_at = time.monotonic()
            return True
        except Exception:
            return False

    async def draw_for(self, until: float, max_digits: int | None = None) -> None:
        """Draw a digit every PACE_S seconds (starting at a random offset) until `until` (monotonic)."""
        await asyncio.sleep(random.Random(self.index).uniform(0, PACE_S))
        slot = time.monotonic()
        while time.monotonic() < until and (max_digits is None or self.digits < max_digits):
            digit = int(self.rng.integers(10))
            for points in random_strokes(digit, self.rng):
                latency = await self.stroke(thinned(points))
                self.strokes += 1
                if latency is None:
                    self.unanswered += 1
                else:
                    self.latencies.append(latency)
            text = await self.page.locator(".st-key-prediction").inner_text()
            self.digits += 1
            self.right += predicted_digit(text) == digit
            if not await self.clear():
                self.clear_failed += 1
            slot += PACE_S
            await asyncio.sleep(max(0.0, slot - time.monotonic()))
            slot = max(slot, time.monotonic() - PACE_S)  # behind schedule: do not try to catch up in a burst

    async def collect_errors(self) -> None:
        boxes = await self.page.query_selector_all('[data-testid="stException"]')
        self.exceptions = [await b.inner_text() for b in boxes]
        self.js_errors += await self.page.evaluate("() => window.__bench.errors")


# --- the teacher -----------------------------------------------------------------------------------------

# The Train page's run (pages/train.py: TrainConfig defaults, 4 test-set checks an epoch, one CPU thread
# on a 2-core machine as lenet.jobs gives it), as a separate process: --training process.
_TRAIN_PROCESS = """
import sys
from lenet.config import LeNetConfig
from lenet.device import default_threads
from lenet.train import TrainConfig, fit
fit(LeNetConfig(), TrainConfig(epochs=int(sys.argv[1]), evals_per_epoch=4, device="cpu",
                               threads=default_threads(leave_one=True)))
"""


class Teacher:
    """Starts one training run and watches it: on the Train page (its own session, which stays open and
    polls), or, for comparison, the same run in a separate process."""

    def __init__(self, browser, url: str, mode: str = "page"):
        self.browser, self.url, self.mode = browser, url, mode
        self.statuses: list[str] = []
        self.js_errors: list[str] = []
        self.how = "Train page: start_training"
        self.proc = None
        self.page = None

    async def start(self, epochs: int, env: dict) -> None:
        if self.mode == "process":
            self.how = f"the Train page's run ({epochs} epochs) in a separate process, not in the server"
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                _TRAIN_PROCESS,
                str(epochs),
                env={**os.environ, **env},
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            return
        self.context = await self.browser.new_context(viewport={"width": 1400, "height": 1000})
        self.page = await self.context.new_page()
        self.page.on("pageerror", lambda exc: self.js_errors.append(str(exc)))
        try:
            await self.page.goto(self.url.rstrip("/") + "/train", timeout=LOAD_TIMEOUT_S * 1000)
            await self.page.wait_for_selector(".st-key-start_training button", timeout=LOAD_TIMEOUT_S * 1000)
            epochs_box = self.page.locator(".st-key-train_epochs input")
            await epochs_box.fill(str(epochs))
            await epochs_box.press("Enter")
            await self.page.wait_for_function(
                LOADED_JS.replace("st-key-prediction", "st-key-train_status"), timeout=60000, polling=POLL_MS
            )
            await asyncio.sleep(1.0)
            await self.page.locator(".st-key-start_training button").click()
            await self.page.wait_for_function(
                "() => /running/.test(document.querySelector('.st-key-train_status')?.innerText || '')",
                timeout=120000,
                polling=250,
            )
            if self.mode == "page-closed":  # the run goes on in the server; nobody polls it
                self.how += ", then the Train page closed"
                await self.context.close()
                self.page = None
        except Exception as exc:
            self.how = f"`python -m lenet train --epochs {epochs}` subprocess (Train page failed: {str(exc)[:120]})"
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "lenet",
                "train",
                "--epochs",
                str(epochs),
                "--device",
                "cpu",
                "--out",
                os.path.join(env["LENET_RUNS_DIR"], "classroom.safetensors"),
                env={**os.environ, **env},
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )

    async def status(self) -> str:
        if self.proc is not None:
            return "running" if self.proc.returncode is None else "finished"
        if self.page is None:
            return "unknown"
        try:
            text = await self.page.locator(".st-key-train_status").inner_text(timeout=5000)
        except Exception:
            return "unknown"
        match = re.search(r"queued|running|finished|stopped|failed", text)
        return match.group() if match else "unknown"

    async def watch(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.statuses.append(await self.status())
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), 2.0)

    async def stop(self) -> None:
        if self.proc is not None:
            if self.proc.returncode is None:
                self.proc.terminate()
            await self.proc.wait()
            return
        if self.page is None:
            return
        with contextlib.suppress(Exception):
            button = self.page.locator(".st-key-stop_training button")
            if await button.is_enabled(timeout=2000):
                await button.click()


class NoTeacher:
    """The control: nobody trains (--training none)."""

    how = "none (--training none)"
    statuses: ClassVar[list[str]] = []
    js_errors: ClassVar[list[str]] = []

    async def start(self, epochs: int, env: dict) -> None:
        pass

    async def watch(self, stop: asyncio.Event) -> None:
        pass

    async def stop(self) -> None:
        pass


# --- one classroom ---------------------------------------------------------------------------------------


def server_errors(log_path: Path) -> list[str]:
    """Every traceback in the server's log, as its last line and the innermost place it names."""
    try:
        text = log_path.read_text(errors="replace")
    except OSError:
        return []
    out = []
    for m in re.finditer(r"Traceback[^\n]*\n(?:[ \t].*\n)*.*", text):
        lines = m.group(0).splitlines()
        where = [line.strip() for line in lines if line.lstrip().startswith("File ")]
        out.append(f"{lines[-1].strip()[:200]} (at {where[-1][:150] if where else '?'})")  # the error, its place
    return out


@dataclass
class Window:
    """What one classroom measured: the sessions, and the server's figures before, during and after drawing."""

    students: list
    live: list
    failed_open: list[str]
    teacher: object
    open_s: float = 0.0
    window_s: float = 0.0
    server_cpu: float = 0.0
    own_cpu: float = 0.0
    machine_cpu: float = 0.0
    rss_idle: float = 0.0
    rss_before: float = 0.0
    rss_loaded: float = 0.0
    rss_end: float = 0.0
    during: list[float] = field(default_factory=list)
    tracebacks: list[str] = field(default_factory=list)


async def open_all(students: list) -> tuple[list, list[str], float]:
    """Open every student's page at once; returns the live ones, the failures and the time it took."""
    t_open = time.monotonic()
    opened = await asyncio.gather(*(s.open() for s in students), return_exceptions=True)
    open_s = time.monotonic() - t_open
    failed = [f"session {i}: {str(r)[:200]}" for i, r in enumerate(opened) if isinstance(r, Exception)]
    live = [s for s, r in zip(students, opened, strict=True) if not isinstance(r, Exception)]
    return live, failed, open_s


async def warm_up(browser, url: str, seed: int) -> None:
    """One student draws a digit and leaves, so that first-use costs (imports, the model cache) are in the
    baseline and the growth per session is what one more student costs."""
    warmup = Student(browser, url, -1, seed * 1000 + 999)
    await warmup.open()
    await warmup.draw_for(math.inf, max_digits=1)
    await warmup.context.close()


async def settled_rss(memory: MemorySampler, pid: int) -> float:
    """The server's median RSS over the next 3 s."""
    mark = len(memory.samples)
    await asyncio.sleep(3.0)
    return float(np.median([mb for _, mb in memory.samples[mark:]] or [rss_mb(pid)]))


async def draw_window(w: Window, pid: int, memory: MemorySampler, duration: float, max_digits: int | None) -> None:
    """Let the live students draw while the teacher's page polls; record CPU, time and memory into `w`."""
    w.rss_loaded = rss_mb(pid)
    watch_stop = asyncio.Event()
    watch_task = asyncio.create_task(w.teacher.watch(watch_stop))
    t0 = time.monotonic()
    cpu0, own0, busy0 = cpu_s(pid), cpu_s(pid, descendants=False), machine_busy_s()
    mem_from = len(memory.samples)
    await asyncio.gather(*(s.draw_for(t0 + duration, max_digits) for s in w.live))
    w.window_s = time.monotonic() - t0
    w.server_cpu, w.machine_cpu = cpu_s(pid) - cpu0, machine_busy_s() - busy0
    w.own_cpu = cpu_s(pid, descendants=False) - own0
    watch_stop.set()
    await watch_task
    for s in w.live:
        await s.collect_errors()
    w.rss_end = rss_mb(pid)
    w.during = [mb for _, mb in memory.samples[mem_from:]] or [w.rss_end]


async def lesson(
    browser,
    url: str,
    pid: int,
    env: dict,
    memory: MemorySampler,
    n: int,
    duration: float,
    seed: int,
    max_digits: int | None,
    training: str,
    cold: bool,
) -> Window:
    """The teacher starts training, the students open the app (before the teacher when cold) and draw."""
    epochs = 1 if max_digits else min(20, max(1, math.ceil(duration / 8)))  # outlasts the drawing
    teacher = NoTeacher() if training == "none" else Teacher(browser, url, training)
    students = [Student(browser, url, i, seed * 1000 + i) for i in range(n)]
    w = Window(students, [], [], teacher, rss_idle=rss_mb(pid))
    w.rss_before = w.rss_idle
    if cold:
        w.live, w.failed_open, w.open_s = await open_all(students)
    await teacher.start(epochs, env)
    if not cold:
        if not max_digits:  # the quick check needs no memory figures
            await warm_up(browser, url, seed)
        w.rss_before = await settled_rss(memory, pid)
        w.live, w.failed_open, w.open_s = await open_all(students)
    await draw_window(w, pid, memory, duration, max_digits)
    await teacher.stop()
    return w


async def classroom(
    n: int, duration: float, seed: int, max_digits: int | None = None, training: str = "page", cold: bool = False
) -> dict:
    """One server, one teacher training, `n` students drawing for `duration` s (or `max_digits` digits each).

    cold: the students open the app all at once on the freshly started server, before the teacher (and
    with no warm-up student), as when a class follows a link the moment the server is up.
    """
    from playwright.async_api import async_playwright

    with contextlib.ExitStack() as stack:
        env = server_env(stack)
        url, proc = stack.enter_context(serve("app.py", env=env, timeout=LOAD_TIMEOUT_S))
        log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"streamlit-{url.rsplit(':', 1)[1]}.log"
        stop = asyncio.Event()
        memory = MemorySampler(proc.pid)
        mem_task = asyncio.create_task(memory.run(stop))
        await asyncio.sleep(1.0)
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                w = await lesson(browser, url, proc.pid, env, memory, n, duration, seed, max_digits, training, cold)
            finally:
                await browser.close()
        stop.set()
        await mem_task
    w.tracebacks = server_errors(log_path)
    return summarise(w, n, cold)


def error_figures(w: Window) -> tuple[int, dict, list[str]]:
    """(the error count, its breakdown, a few samples) over every way a session can fail."""
    live = w.live
    exceptions = [e for s in live for e in s.exceptions]
    js_errors = [e for s in live for e in s.js_errors] + w.teacher.js_errors
    load_errors = [e for s in w.students for e in s.load_errors]
    detail = {
        "sessions_failed_to_open": len(w.failed_open),
        "exceptions_on_opening": len(load_errors),
        "exception_boxes": len(exceptions),
        "js_errors": len(js_errors),
        "server_tracebacks": len(w.tracebacks),
        "unanswered": sum(s.unanswered for s in live),
        "clear_failed": sum(s.clear_failed for s in live),
    }
    samples = (w.failed_open + load_errors + exceptions + js_errors + w.tracebacks)[:5]
    return sum(detail.values()), detail, samples


def summarise(w: Window, n: int, cold: bool) -> dict:
    """The classroom's figures as one JSON-ready dict."""
    live = w.live
    latencies = [x for s in live for x in s.latencies]
    strokes = sum(s.strokes for s in live)
    errors, detail, samples = error_figures(w)
    rss_median = float(np.median(w.during))
    per_student = sum(s.digits for s in live) / max(1, len(live))
    statuses = w.teacher.statuses
    result = {
        "sessions": n,
        "training": w.teacher.how,
        "training_running_share": round(statuses.count("running") / len(statuses), 2) if statuses else 0.0,
        "training_statuses": sorted(set(statuses)),
        "open_all_s": round(w.open_s, 1),
        "window_s": round(w.window_s, 1),
        "digits": sum(s.digits for s in live),
        "digits_read_right": sum(s.right for s in live),
        "strokes": strokes,
        "answered": strokes - detail["unanswered"],
        "errors": errors,
        "start": "cold: students first, at once, on a fresh server" if cold else "warm: teacher, warm-up, students",
        "error_detail": detail,
        "latency": {**percentiles(latencies), "max_ms": round(max(latencies) * 1000, 1) if latencies else None},
        "phases_median_ms": {
            key: percentiles([x for s in live for x in s.phases[key]]).get("median_ms")
            for key in ("send", "server", "render")
        },
        "page_compute_ms": percentiles([x for s in live for x in s.compute]),
        "s_per_digit_per_student": round(w.window_s / per_student, 1) if per_student else None,
        "server_cpu_cores": round(w.own_cpu / w.window_s, 2),
        "training_cpu_cores": round((w.server_cpu - w.own_cpu) / w.window_s, 2),
        "machine_cpu_busy": f"{w.machine_cpu / w.window_s:.2f} of {os.cpu_count() or 1} cores",
        "rss_idle_mb": round(w.rss_idle, 1),
        "rss_before_students_mb": round(w.rss_before, 1),
        "rss_sessions_open_mb": round(w.rss_loaded, 1),
        "rss_window_median_mb": round(rss_median, 1),
        "rss_peak_mb": round(max(w.during), 1),
        "rss_end_mb": round(w.rss_end, 1),
        # The median over the drawing, not the peak: the training run's test-set checks briefly take
        # 100 MB and more, which says nothing about the sessions.
        "mb_per_session": None if cold else round((rss_median - w.rss_before) / n, 1),
    }
    if samples:
        result["error_samples"] = [s[:300] for s in samples]
    lost = [x for s in live for x in s.lost]
    if lost:
        result["unanswered_detail"] = lost[:5]
    return result


def verdict(result: dict, quick: bool) -> dict:
    checks = {
        "no_errors": result["errors"] == 0,
        "every_drawing_answered": result["answered"] == result["strokes"] and result["strokes"] > 0,
    }
    if not quick:
        checks["p95_ok"] = (result["latency"].get("p95_ms") or math.inf) <= TARGETS["p95_ms"]
        if result["mb_per_session"] is not None:
            checks["memory_ok"] = result["mb_per_session"] <= TARGETS["mb_per_session"]
    return checks


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--duration", type=float, default=40.0, help="seconds of drawing")
    parser.add_argument("--sweep", action="store_true", help="1, 5 and 10 sessions, each on a fresh server")
    parser.add_argument("--quick", action="store_true", help="2 sessions, one digit each: checks answers, not speed")
    parser.add_argument(
        "--cold",
        action="store_true",
        help="the students open the app all at once on the fresh server, before the teacher",
    )
    parser.add_argument(
        "--training",
        choices=["page", "page-closed", "process", "none"],
        default="page",
        help="page: started on the Train page, which stays open (the real case); page-closed: "
        "its tab closed once the run is going; process: the same run as a plain process "
        "outside the server, at normal priority; none: the control",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    return parser.parse_args()


def sweep_figures(runs: list[dict]) -> dict:
    """One row per class size, and the fitted growth of memory and p95 per extra student."""
    ns = np.array([r["sessions"] for r in runs], float)
    medians = np.array([r["rss_window_median_mb"] for r in runs], float)
    out = {
        "sweep": [
            {
                "sessions": r["sessions"],
                "p50_ms": r["latency"].get("median_ms"),
                "p95_ms": r["latency"].get("p95_ms"),
                "errors": r["errors"],
                "answered": f"{r['answered']}/{r['strokes']}",
                "rss_median_mb": r["rss_window_median_mb"],
                "rss_peak_mb": r["rss_peak_mb"],
                "mb_per_session": r["mb_per_session"],
                "s_per_digit": r["s_per_digit_per_student"],
                "server_cpu_cores": r["server_cpu_cores"],
                "training_cpu_cores": r["training_cpu_cores"],
                "page_compute_p50_ms": r["page_compute_ms"].get("median_ms"),
                "page_compute_p95_ms": r["page_compute_ms"].get("p95_ms"),
            }
            for r in runs
        ]
    }
    out["memory_growth_mb_per_session_fit"] = round(float(np.polyfit(ns, medians, 1)[0]), 1)
    p95 = [r["latency"].get("p95_ms") for r in runs]
    out["p95_growth_ms_per_session_fit"] = (
        round(float(np.polyfit(ns, np.array(p95, float), 1)[0]), 1) if None not in p95 else None
    )
    return out


def main() -> int:
    args = parse_args()
    started = time.perf_counter()
    if args.quick:
        points, duration, max_digits = [2], 120.0, 1
    else:
        points, duration, max_digits = ([1, 5, 10] if args.sweep else [args.sessions]), args.duration, None
    runs = []
    for n in points:
        res = asyncio.run(classroom(n, duration, args.seed, max_digits, training=args.training, cold=args.cold))
        res["checks"] = verdict(res, args.quick)
        runs.append(res)
        if not args.json:
            report({f"N={n}": ""} | res, False)
            print()
    out = {
        "machine": machine(),
        "load_avg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "mode": "quick (CI: answers only)" if args.quick else "full",
        "pace_s": PACE_S,
        "quiet_ms": QUIET_MS,
        "targets": TARGETS,
    }
    if len(runs) > 1:
        out.update(sweep_figures(runs))
    out["runs"] = runs
    out["wall_s"] = round(time.perf_counter() - started, 1)
    if args.json:
        report(out, True)
    else:
        report({k: v for k, v in out.items() if k != "runs"}, False)
    ok = all(r["checks"]["no_errors"] and r["checks"]["every_drawing_answered"] for r in runs)
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
