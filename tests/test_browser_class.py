"""Class mode in real browsers: a teacher, five students drawing with the mouse, and two app replicas.

`test_a_lesson` does the whole lesson in one server (starting servers and browsers is most of the cost):
the teacher starts a class, five students in their own browser contexts join through the link, draw and send,
and the wall counts each within 2 s; a hostile nickname shows literally and runs nothing.
`test_two_replicas` serves the app twice on one database (an SQLite file, and PostgreSQL where its binaries
are installed), kills one server mid-lesson with SIGKILL and starts it again: nothing acknowledged is lost.
"""

from __future__ import annotations

import os
import re
import time

import pgserver
import pytest
import strokes
from appserver import LIVE, draw_strokes, launch_browser, page_exceptions, serve, wait_for_app

from lenet.classmode import codes
from lenet.classmode.store import Store

pytestmark = pytest.mark.browser

HOSTILE = "<img src=x onerror=alert(1)>"
WALL_WITHIN_S = 2.0  # the bound: a sent digit is counted on the wall within 2 s
CODE = re.compile(f"[{codes.ALPHABET}]{{{codes.CODE_LENGTH}}}")


def _watch_dialogs(page, fired: list) -> None:
    """Record (and dismiss) every alert/confirm the page opens: a nickname must never open one."""
    page.on("dialog", lambda dialog: (fired.append(dialog.message), dialog.dismiss()))


def start_class(browser, url: str, fired: list):
    """The teacher's page after "Start a class"; returns (page, code, join link)."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    _watch_dialogs(page, fired)
    page.goto(f"{url}/class")
    wait_for_app(page)
    page.locator(".st-key-class_start button").click()
    page.wait_for_selector(".st-key-class_count", timeout=30000)
    shown = page.locator(".st-key-class_code").inner_text()
    code = CODE.search(shown).group()
    link = f"{url}/class?join={code}"
    assert link in shown, shown
    assert page.locator('.st-key-class_code img[alt*="QR"]').count() == 1
    return page, code, link


def count(page) -> int:
    text = page.locator(".st-key-class_count").inner_text().strip()
    return int(text) if text.isdigit() else -1


def wait_count(page, wanted: int, timeout: float) -> float:
    """Seconds until the wall counts `wanted` digits; fails after `timeout`."""
    start = time.monotonic()
    while count(page) != wanted:
        if time.monotonic() - start > timeout:
            raise AssertionError(f"the wall shows {count(page)} digits, not {wanted}, after {timeout} s")
        time.sleep(0.05)
    return time.monotonic() - start


def join(browser, link: str, fired: list, name: str | None = None):
    """A student's page in a browser context of its own, joined through the link."""
    context = browser.new_context(viewport={"width": 1200, "height": 1000})
    page = context.new_page()
    _watch_dialogs(page, fired)
    page.goto(link)
    wait_for_app(page)
    page.wait_for_selector(".st-key-class_submit", timeout=60000)
    if name is not None:
        page.locator(".st-key-class_name input").fill(name)
        page.locator(".st-key-class_name input").press("Enter")
    return page


def draw_and_send(page, digit: int, seed: int) -> None:
    """Pick `digit` as the digit meant, draw it with the mouse, press Send, and wait for the acknowledgement,
    which names the reading the canvas showed live (the server reads the browser's 28 x 28: one truth)."""
    sent = page.locator(".st-key-class_sent")
    before = sent.inner_text() if sent.count() else ""
    page.locator(".st-key-class_label button", has_text=re.compile(f"^{digit}$")).click()
    page.wait_for_selector(".st-key-canvas canvas.draw-surface", timeout=30000)
    draw_strokes(page, strokes.digit_strokes(digit, seed), every=3)
    # The canvas reads the drawing in the browser; the drawing and the label reach the server with Send.
    live = page.locator(LIVE)
    deadline = time.monotonic() + 30
    while not re.fullmatch(r"\d", live.inner_text().strip()):
        assert time.monotonic() < deadline, f"no live reading: {live.inner_text()!r}"
        page.wait_for_timeout(50)
    read_live = live.inner_text().strip()
    page.locator(".st-key-class_submit button").click()
    page.wait_for_function(
        "(before) => { const el = document.querySelector('.st-key-class_sent');"
        " return el && el.innerText && el.innerText !== before; }",
        arg=before,
        timeout=30000,
    )
    assert sent.inner_text().rstrip(". \n").endswith(f" {read_live}"), (read_live, sent.inner_text())


def test_a_lesson(app_env, tmp_path):
    env = {**app_env, "LENET_STATE_DIR": str(tmp_path / "state")}
    fired: list[str] = []
    with serve(env=env) as (url, _), launch_browser() as browser:
        teacher, code, link = start_class(browser, url, fired)
        assert count(teacher) == 0
        waits = []
        for i, digit in enumerate([3, 7, 0, 4, 1]):
            page = join(browser, link, fired, HOSTILE if i == 0 else f"student {i}")
            draw_and_send(page, digit, seed=i)
            assert str(digit) in page.locator(".st-key-class_sent").inner_text()
            waits.append(wait_count(teacher, i + 1, timeout=10))
            assert not page_exceptions(page)
            page.context.close()
        print(f"acknowledgement to wall, s: {', '.join(f'{w:.2f}' for w in waits)}")
        assert max(waits) <= WALL_WITHIN_S, waits

        wall = teacher.locator(".st-key-class_wall")
        teacher.wait_for_function(
            "(name) => document.querySelector('.st-key-class_wall').innerText.includes(name)", arg=HOSTILE
        )
        assert HOSTILE in wall.inner_text()
        assert teacher.locator('img[src="x"]').count() == 0
        assert "student 4" in wall.inner_text()
        assert not fired, f"a dialog opened: {fired}"
        assert not page_exceptions(teacher)
    store = Store.open(None, tmp_path / "state")
    assert [d.label for d in store.digits(store.class_for_code(code).id)] == [3, 7, 0, 4, 1]
    store.close()


def _databases(tmp_path):
    yield "sqlite", {"LENET_STATE_DIR": str(tmp_path / "state")}
    binaries = pgserver.bin_dir()
    if binaries is None:
        if os.environ.get("CI"):
            pytest.fail("no PostgreSQL server binaries: `apt-get install -y postgresql`")
        return
    server = pgserver.PostgresServer(binaries).start()
    try:
        yield "postgresql", {"LENET_DATABASE_URL": server.create_database("lesson")}
    finally:
        server.stop()


def test_two_replicas(app_env, tmp_path):
    fired: list[str] = []
    for name, database in _databases(tmp_path):
        env = {**app_env, **database}
        with serve(env=env) as (url_a, _), launch_browser() as browser:
            teacher, code, _ = start_class(browser, url_a, fired)
            with serve(env=env) as (url_b, replica_b):
                pupil = join(browser, f"{url_b}/class?join={code}", fired, f"on B ({name})")
                for i, digit in enumerate([2, 5, 8]):
                    draw_and_send(pupil, digit, seed=i)
                    wait_count(teacher, i + 1, timeout=10)
                replica_b.kill()  # SIGKILL, mid-lesson
                replica_b.wait(10)
                pupil.context.close()  # (left open, it would reconnect to the restarted server and join again)
                port_b = int(url_b.rsplit(":", 1)[1])
            with serve(env=env, port=port_b) as (url_b, _):
                pupil = join(browser, f"{url_b}/class?join={code}", fired)
                draw_and_send(pupil, 6, seed=9)
                wait_count(teacher, 4, timeout=10)
            url = database.get("LENET_DATABASE_URL")
            store = Store.open(url, tmp_path / "state")
            assert [d.label for d in store.digits(store.class_for_code(code).id)] == [2, 5, 8, 6], name
            store.close()
    assert not fired
