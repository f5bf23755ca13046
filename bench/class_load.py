"""Class mode under load: N students each sending a digit every few seconds while the wall refreshes and a
training run trains.

One `streamlit run app.py` serves everybody, on a class database of its own (an SQLite file in a temporary
state folder, or LENET_DATABASE_URL when set). A training run (`python -m lenet train`, at the lowest priority,
as the app runs its own) keeps the CPU busy, standing in for the fine-tuning run.

The clients (`--clients`):
- `protocol` (the default): every student, and the teacher, is a bench/st_session.py session: Streamlit's own
  websocket protocol spoken from Python, the messages a browser sends (every widget's state on each run, the
  `run_every` fragments' auto reruns: the wall every second, each student's part every 3 s, and Send's run).
  The server does what it does for browsers; the clients cost almost no CPU (`client_cpu_cores`), as in a
  classroom where every browser runs on the student's own device. The drawing is the drawing surface's value
  as its frontend sends it: the strokes, the 280 x 280 picture as a PNG data URL and the browser's 28 x 28
  (tests/strokes.py renders the ink as the browser's canvas does; 50 digits, made before the lesson and drawn
  from at random). The canvas, the digit meant and Send are one form on the class page, so the browser holds
  the drawing and the label until Send, which posts them with its click in one rerun. The teacher's wall is a
  protocol session too: it reruns the wall fragment every second as the browser's timer does, and `wall` times
  the count's change on arrival of the message, which leaves out the projector's rendering (milliseconds on its
  own machine); a Chromium rendering the whole wall every second would take a good part of a 2-core machine
  from the server.
- `browser`: one headless Chromium holds a browser context (its own Streamlit session) per student, driven
  with Playwright's async API, and one for the teacher, whose wall page records each change of the count. On a
  small machine the browsers take the CPU from the server (10 students: load > 20), so the figures measure the
  browsers as much as the server; this is the end-to-end check of the pages themselves.

Each student joins through the link, then, every PACE_S seconds (jittered): picks the digit meant, draws it
(stroke by stroke, STROKE_PAUSE_S apart; the canvas reads it in the browser), presses Send and waits for the
acknowledgement (`class_sent`, naming the digit's number). With browsers, Send waits until the canvas's live
reading shows a digit.

Figures:
- `ack`: Send pressed to the acknowledgement shown, in the student's page (median and p95, ms);
- `wall`: the acknowledgement to the teacher's `class_count` counting that digit (the k-th digit committed is
  on the wall once the count reaches k: SQLite commits one at a time, in id order; 0 when the wall counted
  it before the acknowledgement arrived);
- `lost`: digits acknowledged that are not in the database (must be 0), and `db_digits` / `acked` (more
  digits in the database than acknowledged: acknowledgements that did not arrive within 30 s, in `errors`);
- `mb_per_session`: the server's memory (RSS, with its children but without the training process) once every
  student has joined, less before they joined, over N;
- `server_cpu_cores`: the server process's CPU over the lesson, in cores; `client_cpu_cores`: this process's
  (the protocol sessions; None with browsers, which run in processes of their own).

Goals (issue 28, 60 students on one server with a training run beside): p95 ack <= 1 s, p95 wall <= 2 s,
lost = 0. `--sessions 60,30` runs one lesson per class size, one after the other in one run (each with a fresh
server, database and training run), and prints the figures of each. Other work on the machine (tests, builds)
takes CPU from the server too: note the load average (`uptime`) beside the figures.

The training run reads MNIST from LENET_DATA_DIR, as the app does.

    python bench/class_load.py [--sessions 30[,60...]] [--duration 60] [--pace 4] [--clients protocol|browser]
                               [--no-training] [--quick] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import os
import random
import re
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

from common import ROOT, machine, percentiles, report  # first: it puts tests/ and the repository on sys.path

# isort: split
import numpy as np
from appserver import CHROMIUM, CHROMIUM_ARGS, LIVE, serve
from classroom import cpu_s, rss_mb, thinned
from PIL import Image
from st_session import Session
from strokes import random_strokes, render

from lenet.classmode.store import Store
from lenet.preprocess import canvas_to_input

TIMEOUT_MS = 30000
SENT_JS = """(before) => { const el = document.querySelector('.st-key-class_sent');
  return el && el.innerText && el.innerText !== before; }"""
# The teacher's page records every change of the count, with the time, as it happens.
COUNT_JS = """() => {
  window.__counts = [];
  const read = () => {
    const el = document.querySelector('.st-key-class_count');
    const n = el ? parseInt(el.innerText, 10) : NaN;
    const last = window.__counts[window.__counts.length - 1];
    if (!isNaN(n) && (!last || last[1] !== n)) window.__counts.push([Date.now(), n]);
  };
  new MutationObserver(read).observe(document.body, {childList: true, subtree: true, characterData: true});
  read();
}"""


async def start_class(browser, url: str):
    """The teacher's page with a started class; returns (page, code)."""
    page = await browser.new_page(viewport={"width": 1400, "height": 1000})
    await page.goto(f"{url}/class")
    await page.locator(".st-key-class_start button").click(timeout=120000)
    await page.wait_for_selector(".st-key-class_count", timeout=120000)
    code = re.search(r"\?join=(\w+)", await page.locator(".st-key-class_code").inner_text()).group(1)
    await page.evaluate(COUNT_JS)
    return page, code


async def send_one(page, rng: random.Random) -> tuple[float, float, int]:
    """Draw a digit and send it; returns (Send pressed, acknowledged) in epoch seconds, and the digit's id."""
    digit = rng.randrange(10)
    sent = page.locator(".st-key-class_sent")
    before = await sent.inner_text() if await sent.count() else ""
    await page.locator(".st-key-class_label button", has_text=re.compile(f"^{digit}$")).click()
    canvas = page.locator(".st-key-canvas canvas.draw-surface")
    box = await canvas.bounding_box()
    for stroke in random_strokes(digit, rng.randrange(1 << 30)):
        points = thinned(stroke, 20)
        await page.mouse.move(box["x"] + points[0][0], box["y"] + points[0][1])
        await page.mouse.down()
        for x, y in points[1:]:
            await page.mouse.move(box["x"] + x, box["y"] + y)
        await page.mouse.up()
    live = page.locator(LIVE)  # the canvas's own reading, made in the browser (inside its shadow root)
    deadline = time.time() + TIMEOUT_MS / 1000
    while not re.fullmatch(r"\d", (await live.inner_text()).strip()):
        if time.time() > deadline:
            raise TimeoutError("no live reading")
        await asyncio.sleep(0.05)
    pressed = time.time()
    await page.locator(".st-key-class_submit button").click()
    await page.wait_for_function(SENT_JS, arg=before, timeout=TIMEOUT_MS)
    acked = time.time()
    digit_id = int(re.search(r"#(\d+)", await sent.inner_text()).group(1))
    return pressed, acked, digit_id


async def student(browser, link: str, i: int, args, joined: list, out: list, errors: list) -> None:
    """One student: join, then send a digit every `args.pace` seconds (jittered) for `args.duration` seconds."""
    rng = random.Random(i)
    context = await browser.new_context(viewport={"width": 1100, "height": 1000})
    page = await context.new_page()
    try:
        await asyncio.sleep(rng.uniform(0, 10))  # students arrive over a few seconds, not in one instant
        try:
            await page.goto(link, timeout=180000, wait_until="domcontentloaded")
            await page.wait_for_selector(".st-key-class_submit", timeout=180000)
        except Exception as exc:  # a student who never got in: counted, and the lesson goes on
            errors.append(f"student {i} could not join: {type(exc).__name__}: {str(exc).splitlines()[0]}")
            return
        joined.append(i)
        stop_at = time.time() + args.duration  # joining (slow while 30 pages load at once) is not the lesson
        await asyncio.sleep(rng.uniform(0, args.pace))
        while time.time() < stop_at:
            began = time.time()
            try:
                out.append(await send_one(page, rng))
            except Exception as exc:  # a timeout: counted, and the student carries on
                errors.append(f"student {i}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
            await asyncio.sleep(max(0.0, args.pace * rng.uniform(0.8, 1.2) - (time.time() - began)))
    finally:
        await context.close()


def wall_delays(sends: list, counts: list) -> list[float]:
    """Seconds from each acknowledgement until the wall's count covered that digit."""
    rank = {digit_id: k for k, digit_id in enumerate(sorted(d for _, _, d in sends), start=1)}
    delays = []
    for _, acked, digit_id in sends:
        shown = next((at / 1000 for at, n in counts if n >= rank[digit_id]), None)
        if shown is not None:
            delays.append(max(0.0, shown - acked))  # the wall may count a commit before its answer reaches the page
    return delays


def training(folder: Path) -> subprocess.Popen:
    """The training run that keeps the CPU busy, at the lowest priority, as the app's own runs are."""
    args = [sys.executable, "-m", "lenet", "train", "--epochs", "20", "--out", str(folder / "load.safetensors")]
    return subprocess.Popen(["nice", "-n", "19", *args], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def lesson_browser(url: str, server_pid: int, args, sends: list, errors: list) -> dict:
    """The teacher's class, the students' sends and the server's memory; returns the figures measured here."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        teacher, code = await start_class(browser, url)
        before_mb = rss_mb(server_pid)
        link, joined = f"{url}/class?join={code}", []
        tasks = [
            asyncio.create_task(student(browser, link, i, args, joined, sends, errors)) for i in range(args.sessions)
        ]
        deadline = time.time() + 240
        while len(joined) + sum("could not join" in e for e in errors) < args.sessions and time.time() < deadline:
            await asyncio.sleep(0.5)
        during_mb = rss_mb(server_pid)
        await asyncio.gather(*tasks)
        await asyncio.sleep(3)  # the last digits reach the wall
        counts = await teacher.evaluate("() => window.__counts")
        await browser.close()
    return {"code": code, "counts": counts, "mb_per_session": round((during_mb - before_mb) / args.sessions, 2)}


# Protocol clients: one st_session.Session per student (and for the teacher), no browser


STROKE_PAUSE_S = 0.4  # a student's pen between two strokes (the strokes stay in the browser until Send)


def canvas_parts(strokes) -> tuple[str, bytes, str | None]:
    """The drawing surface after these strokes (surface.py, lenet/web/surface.js): its strokes as it sends them
    (JSON, [{"w": width, "p": [x0, y0, x1, y1, ...]}], one decimal place), its picture (PNG, 280 x 280 RGBA,
    white ink on the opaque black background; tests/strokes.py renders the ink as the browser's canvas does) and
    the browser's 28 x 28 (base64 of 784 bytes; the browser reads it with preprocess.js, which equals
    lenet.preprocess.canvas_to_input), or None for no ink."""
    ink = render(strokes, 280, 18)[..., 0] if strokes else np.zeros((280, 280), np.uint8)
    rgba = np.dstack([ink, ink, ink, np.full_like(ink, 255)])
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, format="PNG", compress_level=1)  # about as large as Chromium's
    packed = [{"w": 18, "p": [round(float(v), 1) for point in s for v in point]} for s in strokes]
    prep = canvas_to_input(rgba)
    image = None if prep.empty else base64.b64encode(prep.image.astype(np.uint8).tobytes()).decode()
    return json.dumps(packed, separators=(",", ":")), buf.getvalue(), image


def canvas_json(strokes: str, png: bytes, image: str | None, tag: str = "", nonce: int = 0) -> str:
    """The surface's component value, as JSON, as its frontend sends it at a stroke's end
    (setStateValue("drawing", {nonce, strokes, png, image})). `nonce` is the drawing it last loaded (the page
    ignores a value naming an older one): 0 on a fresh page, one more after each Clear or Send. A `tag` goes into
    a PNG text chunk: the same pixels in other bytes, so that a digit drawn again from the pool is a new picture
    to the class page (which keeps a reading per picture), as every drawing by hand is."""
    if tag:
        data = b"Comment\x00" + tag.encode()
        chunk = struct.pack(">I", len(data)) + b"tEXt" + data + struct.pack(">I", zlib.crc32(b"tEXt" + data))
        png = png[:-12] + chunk + png[-12:]  # before IEND, the last 12 bytes
    url = "data:image/png;base64," + base64.b64encode(png).decode()
    value = {"nonce": nonce, "strokes": json.loads(strokes), "png": url, "image": image}
    return json.dumps({"drawing": value}, separators=(",", ":"))


DRAWINGS_PER_DIGIT = 5  # the students' digits are drawn from 50 handwritten ones, rendered before the lesson


def drawing_pool(per_digit: int = DRAWINGS_PER_DIGIT, seed: int = 0) -> list[tuple[int, list]]:
    """Handwritten digits to send: (the digit meant, the canvas's parts after each stroke), made before the
    lesson so that rendering them takes no CPU from the server while it is measured."""
    rng = random.Random(seed)
    pool = []
    for digit in range(10):
        for _ in range(per_digit):
            strokes = random_strokes(digit, rng.randrange(1 << 30))
            n = len(strokes)
            pool.append((digit, [canvas_parts(strokes[:k]) for k in range(1, n + 1)]))
    return pool


async def timed(stage: str, waiting, timeout: float) -> None:
    """Await `waiting`; a timeout says which stage it was."""
    try:
        await asyncio.wait_for(waiting, timeout)
    except TimeoutError:
        raise TimeoutError(f"no {stage} within {timeout:.0f} s") from None


async def proto_send_one(session: Session, digit: int, drawing: list, tag: str, nonce: int) -> tuple[float, float, int]:
    """As send_one, over the protocol: the digit meant and the drawing stroke by stroke (held in the browser's
    form: nothing is sent), then Send, whose rerun carries both (the canvas's value after the last stroke, naming
    its `nonce`: how many digits this session has sent), and the acknowledgement."""
    before = session.text("class_sent")
    await asyncio.sleep(STROKE_PAUSE_S * len(drawing))
    await session.set("class_label", rerun=False, string_array_value=[str(digit)])
    await session.set("canvas", rerun=False, json_value=canvas_json(*drawing[-1], tag, nonce))
    pressed = time.time()
    await session.click("class_submit")
    sent = re.compile(r"#\d+")
    acked_text = lambda: sent.search(t := session.text("class_sent")) and t != before  # noqa: E731
    await timed("acknowledgement", session.wait_for(acked_text, 1e9), TIMEOUT_MS / 1000)
    acked = time.time()
    digit_id = int(re.search(r"#(\d+)", session.text("class_sent")).group(1))
    # The page cleared the canvas (a new nonce); the surface loads the empty drawing and sends nothing.
    return pressed, acked, digit_id


async def proto_student(url: str, code: str, i: int, args, pool: list, joined: list, out: list, errors: list) -> None:
    """As student, over the protocol."""
    rng = random.Random(i)
    session = Session(url)
    try:
        await asyncio.sleep(rng.uniform(0, 10))
        try:
            await session.open("/class", f"join={code}", timeout=180)
            await session.wait_for(lambda: session.node("class_submit") is not None, 180)
        except Exception as exc:
            errors.append(f"student {i} could not join: {type(exc).__name__}: {exc}")
            return
        joined.append(i)
        stop_at = time.time() + args.duration
        nonce = 0  # the canvas's drawing: one more after each digit sent (the page clears it)
        await asyncio.sleep(rng.uniform(0, args.pace))
        while time.time() < stop_at:
            began = time.time()
            try:
                tag = f"{i}-{len(out)}-{time.time()}"
                sent = await proto_send_one(session, *rng.choice(pool), tag=tag, nonce=nonce)
                out.append(sent)
                nonce += 1  # the page's Send cleared the canvas: its next drawing names the next nonce
            except Exception as exc:
                errors.append(f"student {i}: {type(exc).__name__}: {exc}")
                if args.trace:  # what the session sent and received before it gave up
                    lines = [f"{at:9.3f} {what}" for at, what in session.history]
                    Path(args.trace).mkdir(parents=True, exist_ok=True)
                    Path(args.trace, f"student-{i}-{len(errors)}.txt").write_text("\n".join(lines) + "\n")
            if session.ended:
                errors.append(f"student {i}: connection ended: {session.ended}")
                break
            await asyncio.sleep(max(0.0, args.pace * rng.uniform(0.8, 1.2) - (time.time() - began)))
        errors.extend(f"student {i}: exception on the page: {e}" for e in session.exceptions)
    finally:
        await session.close()


async def proto_teacher(url: str) -> tuple[Session, str, list]:
    """The teacher's session with a started class, its wall rerunning every second (the fragment's run_every,
    which the session honours as the browser does); returns it, the join code and the wall's count changes
    [(epoch ms, count)], recorded as each message arrives."""
    teacher = Session(url)
    await teacher.open("/class", timeout=180)
    await teacher.click("class_start")
    await teacher.wait_text("class_count", r"\d", 120)
    code = re.search(r"\?join=(\w+)", teacher.text("class_code")).group(1)
    counts: list = []

    def record() -> None:
        text = teacher.text("class_count").strip()
        if text.isdigit() and (not counts or counts[-1][1] != int(text)):
            counts.append([time.time() * 1000, int(text)])

    teacher.listeners.append(record)
    return teacher, code, counts


async def lesson_protocol(url: str, server_pid: int, args, sends: list, errors: list) -> dict:
    """As lesson_browser, with protocol sessions for the teacher and every student."""
    pool = drawing_pool()
    teacher, code, counts = await proto_teacher(url)
    try:
        before_mb = rss_mb(server_pid)
        joined: list = []
        tasks = [
            asyncio.create_task(proto_student(url, code, i, args, pool, joined, sends, errors))
            for i in range(args.sessions)
        ]
        deadline = time.time() + 240
        while len(joined) + sum("could not join" in e for e in errors) < args.sessions and time.time() < deadline:
            await asyncio.sleep(0.5)
        during_mb = rss_mb(server_pid)
        await asyncio.gather(*tasks)
        await asyncio.sleep(3)  # the last digits reach the wall
        errors.extend(f"teacher: exception on the page: {e}" for e in teacher.exceptions)
    finally:
        await teacher.close()
    return {"code": code, "counts": counts, "mb_per_session": round((during_mb - before_mb) / args.sessions, 2)}


def profile(pid: int, out: str) -> subprocess.Popen:
    """py-spy sampling the server (all its threads, idle ones left out) until interrupted; collapsed stacks."""
    spy = [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(pid), "--format", "raw"]
    return subprocess.Popen([*spy, "--rate", "50", "--output", out], stdout=subprocess.DEVNULL)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--sessions",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[30],
        help="students in the class; several (60,30): one lesson each, in this run",
    )
    parser.add_argument("--duration", type=float, default=60.0, help="seconds each student keeps sending")
    parser.add_argument("--pace", type=float, default=4.0, help="seconds between one student's digits")
    parser.add_argument(
        "--clients",
        choices=("protocol", "browser"),
        default="protocol",
        help="students (and teacher) as Streamlit websocket sessions from Python, or as Chromium pages",
    )
    parser.add_argument("--no-training", action="store_true", help="no training run alongside")
    parser.add_argument("--quick", action="store_true", help="CI: 2 students, 10 s, no training")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="record the server's Python stacks during the lesson with py-spy (requirements-dev.txt): "
        "collapsed stacks, one per line with its sample count",
    )
    parser.add_argument("--trace", metavar="DIR", help="on each timeout, the session's last messages into DIR")
    args = parser.parse_args()
    if args.quick:
        args.sessions, args.duration, args.no_training = [2], 10.0, True
    return args


def main() -> int:
    args = parse_args()
    failed = False
    for sessions in args.sessions:
        profile_to = args.profile and (args.profile if len(args.sessions) == 1 else f"{args.profile}.{sessions}")
        result = lesson_figures(argparse.Namespace(**{**vars(args), "sessions": sessions, "profile": profile_to}))
        report(result, args.json)
        failed = failed or result["lost"] != 0 or not result["acked"]
    return 1 if failed else 0


def lesson_figures(args: argparse.Namespace) -> dict:
    """One lesson of `args.sessions` students on a fresh server (and database, and training run): its figures."""
    sends: list[tuple[float, float, int]] = []
    errors: list[str] = []
    with tempfile.TemporaryDirectory(prefix="lenet-class-load-") as folder:
        env = {"LENET_STATE_DIR": str(Path(folder) / "state")}
        trainer = None if args.no_training else training(Path(folder))
        try:
            with serve(env=env, timeout=180) as (url, proc):
                lesson = lesson_protocol if args.clients == "protocol" else lesson_browser
                profiler = profile(proc.pid, args.profile) if args.profile else None
                began, client_began, server_began = time.time(), time.process_time(), cpu_s(proc.pid, False)
                measured = asyncio.run(lesson(url, proc.pid, args, sends, errors))
                lasted = time.time() - began
                server_cores = (cpu_s(proc.pid, False) - server_began) / lasted
                client_cores = (time.process_time() - client_began) / lasted
                if profiler is not None:
                    profiler.send_signal(signal.SIGINT)  # py-spy writes its file on an interrupt
                    profiler.wait(60)
        finally:
            # Still training at the end: the load lasted the whole lesson (a run that failed to start did not).
            trained_throughout = trainer is not None and trainer.poll() is None
            if trainer is not None:
                trainer.kill()
        store = Store.open(os.environ.get("LENET_DATABASE_URL") or None, Path(folder) / "state")
        in_db = len(store.digits(store.class_for_code(measured["code"]).id))
        store.close()
    result = {
        "mode": "quick" if args.quick else "full",
        "machine": machine(),
        "clients": args.clients,
        "sessions": args.sessions,
        "training": not args.no_training,
        "trained_throughout": trained_throughout,
        "acked": len(sends),
        "db_digits": in_db,
        "lost": len(sends) - in_db if in_db < len(sends) else 0,
        "ack": percentiles([acked - pressed for pressed, acked, _ in sends]),
        "wall": percentiles(wall_delays(sends, measured["counts"])),
        "mb_per_session": measured["mb_per_session"],
        "server_cpu_cores": round(server_cores, 2),
        # This process's own CPU (the protocol sessions); the browsers run in processes of their own.
        "client_cpu_cores": round(client_cores, 2) if args.clients == "protocol" else None,
        "errors": len(errors),
        "first_errors": errors[:5],
    }
    result["goals_met"] = bool(
        result["lost"] == 0 and result["ack"].get("p95_ms", 1e9) <= 1000 and result["wall"].get("p95_ms", 1e9) <= 2000
    )
    return result


if __name__ == "__main__":
    sys.exit(main())
