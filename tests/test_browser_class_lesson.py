"""The lesson a teacher leads (issue 30) in real browsers: a teacher and 10 students, one Chromium, one server.

The teacher starts the lesson and advances through every step; each student's `lesson_step` must follow within
2 s. A recorder in each student's page notes when each step number first shows (Date.now(), one clock for every
page of the browser), and the teacher's page notes when Next was clicked; the follow latencies' median and p95
are printed for the report. On a few steps every student answers (the expected counts known), the teacher's
`class_lesson_answers` bars must show exactly those counts, the reveal must reach every student, and the
report's counts must equal the answers: the teacher downloads `class_lesson_report` (Playwright's expect_download)
and its rows are compared with what was sent. axe-core checks the teacher's lesson view and a student's.
"""

from __future__ import annotations

import csv
import io
import re
import statistics

import pytest
from appserver import AXE, launch_browser, page_exceptions, serve, wait_for_app
from test_browser_class import start_class

from lenet.i18n import t
from lenet.lesson import load_lesson

pytestmark = pytest.mark.browser

STUDENTS = 10
FOLLOW_WITHIN_S = 2.0  # the bound: every student's screen follows the teacher's within 2 s
LESSON = load_lesson()
ANSWERED = {0, 3, len(LESSON.steps) - 2}  # the steps every student answers (a choice, a size, one near the end)
LANGS = ["en"] * STUDENTS  # the students' languages (the join link as the QR code gives it: no ?lang=)

# Each student's page notes the first time each step number shows in its lesson_step; the teacher's notes Next.
RECORD_STEPS_JS = """() => {
  window.__seen = {};
  setInterval(() => {
    const m = /^\\s*(\\d+)\\./.exec(document.querySelector('.st-key-lesson_step')?.innerText || '');
    if (m && !(m[1] in window.__seen)) window.__seen[m[1]] = Date.now();
  }, 10);
}"""
RECORD_NEXT_JS = """() => document.addEventListener('click', (e) => {
  if (e.target.closest('.st-key-class_lesson_next')) window.__next = Date.now();
}, true)"""
AXE_JS = """async (where) => (await axe.run(where, {resultTypes: ['violations']})).violations
  .filter((v) => ['serious', 'critical'].includes(v.impact))
  .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`)"""
BARS_JS = """() => Array.from(document.querySelectorAll('.st-key-class_lesson_answers .lesson-bar'))
  .map((b) => [b.dataset.answer, Number(b.dataset.count)])"""


def given(step, i: int):
    """Student i's answer to `step`: an option's index, or a size as typed (the first six right, then 1x1)."""
    if step.question.kind == "choice":
        return i % len(step.question.options)
    return step.question.answer if i < 6 else "1x1"


def answer_label(step, value, lang: str = "en") -> str:
    """The bar's label for an answer, as the teacher's page shows it (in English)."""
    if step.question.kind == "choice":
        return step.question.options[value][lang]
    size = re.findall(r"\d+", str(value))
    return t("lesson.no_fit", lang) if not size else f"{size[0]}×{size[-1]}"


def send_answer(page, step, value, lang: str) -> None:
    # no stale element: while the page's run draws the live part, the old step's answer widget may still be there
    page.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')", timeout=30000)
    question = page.locator(".st-key-lesson_question")
    if step.question.kind == "choice":
        label = step.question.options[value][lang]
        question.get_by_text(label, exact=True).click()
        # what the student sees picked is what was meant (the page did not move under the click)
        checked = question.locator("label:has(input:checked)")
        assert checked.inner_text(timeout=5000).strip() == label, (label, checked.inner_text())
    else:
        box = page.locator(".st-key-lesson_answer input")
        box.fill(str(value))
        box.press("Enter")
    page.locator(".st-key-lesson_check button").click()
    sent = t("class_lesson.sent", lang, answer=answer_label(step, value, lang))
    page.wait_for_function(
        "(s) => document.querySelector('.st-key-class_lesson_sent')?.innerText.includes(s)", arg=sent, timeout=20000
    )


def click(page, key: str) -> None:
    """Click a button of the teacher's panel. The panel is a fragment reread every second, and for a moment the page
    can hold the old button and the new one: wait until there is one."""
    selector = f".st-key-{key} button"
    page.wait_for_function("(s) => document.querySelectorAll(s).length === 1", arg=selector, timeout=15000)
    page.locator(selector).first.click()


def axe_on(page, where: str) -> list[str]:
    """axe-core's serious and critical violations inside `where` (a CSS selector)."""
    if not page.evaluate("() => !!window.axe"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(AXE_JS, where)


def report_rows(teacher) -> list[list[str]]:
    """The CSV the teacher's `class_lesson_report` downloads, as rows (the header first)."""
    with teacher.expect_download(timeout=30000) as caught:
        click(teacher, "class_lesson_report")
    download = caught.value
    assert download.failure() is None, download.failure()
    assert download.suggested_filename.endswith(".csv")
    with open(download.path(), encoding="utf-8") as f:
        return list(csv.reader(io.StringIO(f.read())))


SHOWN_JS = """() => ({seen: Object.keys(window.__seen || {}),
  step: (document.querySelector('.st-key-lesson_step, .st-key-class_lesson_step')?.innerText || '').slice(0, 40),
  stale: document.querySelectorAll('[data-stale="true"]').length,
  running: !!document.querySelector('[data-testid="stStatusWidget"]')})"""


def wait_steps(students, number: int, timeout_s: float = 15, teacher=None) -> list[int]:
    """The Date.now() at which each student's page first showed step `number`. On a timeout, the failure says what
    the teacher's page and every student's page showed (which side lost the step)."""
    seen = []
    for page in students:
        try:
            page.wait_for_function("(n) => n in window.__seen", arg=str(number), timeout=timeout_s * 1000)
        except Exception as exc:
            shown = [p.evaluate(SHOWN_JS) for p in ([teacher] if teacher else []) + list(students)]
            raise AssertionError(f"step {number} not shown within {timeout_s} s; teacher, students: {shown}") from exc
        seen.append(page.evaluate("(n) => window.__seen[n]", str(number)))
    return seen


def test_a_teacher_leads_ten_students_through_the_lesson(app_env, tmp_path):
    env = {**app_env, "LENET_STATE_DIR": str(tmp_path / "state")}
    fired: list[str] = []
    with serve(env=env) as (url, _), launch_browser() as browser:
        teacher, _, link = start_class(browser, url, fired)
        click(teacher, "class_lesson_start")
        teacher.wait_for_selector(".st-key-class_lesson_step", timeout=30000)
        teacher.evaluate(RECORD_NEXT_JS)
        students = []
        for _ in LANGS:
            page = browser.new_context(viewport={"width": 1000, "height": 900}).new_page()
            page.goto(link)  # joining late: the lesson has started, so the student lands on its step
            wait_for_app(page)
            page.wait_for_selector(".st-key-lesson_step", timeout=60000)
            page.evaluate(RECORD_STEPS_JS)
            students.append(page)
        wait_steps(students, 1)

        latencies, expected, found = [], {}, []
        for index, step in enumerate(LESSON.steps):
            if index in ANSWERED:
                for i, page in enumerate(students):
                    send_answer(page, step, given(step, i), LANGS[i])
                counts: dict[str, int] = {}
                for i in range(STUDENTS):
                    label = answer_label(step, given(step, i))
                    counts[label] = counts.get(label, 0) + 1
                expected[index] = counts
                teacher.wait_for_function(
                    "(n) => document.querySelector('.st-key-class_lesson_answers')?.innerText.includes(n)",
                    arg=f"Answers received: {STUDENTS}",
                    timeout=10000,
                )
                shown = {label: n for label, n in teacher.evaluate(BARS_JS) if n}
                assert shown == counts, (step.id, shown, counts)
                click(teacher, "class_lesson_reveal")
                for page, lang in zip(students, LANGS, strict=True):
                    right = t("class_lesson.right_is", lang, answer=answer_label(step, step.question.answer, lang))
                    page.wait_for_selector(".st-key-lesson_result", timeout=10000)
                    assert right in page.locator(".st-key-lesson_result").inner_text()
            if index == 0:  # the teacher's lesson view (revealed, with its bars), and a student's
                found += axe_on(teacher, ".st-key-class_lesson") + axe_on(students[0], ".st-key-class_lesson_student")
            if index == len(LESSON.steps) - 1:
                break
            click(teacher, "class_lesson_next")
            seen = wait_steps(students, index + 2, teacher=teacher)
            clicked = teacher.evaluate("() => window.__next")
            latencies += [(s - clicked) / 1000 for s in seen]
            teacher.wait_for_function(
                "(n) => document.querySelector('.st-key-class_lesson_step')?.innerText.trim().startsWith(n)",
                arg=f"{index + 2}.",
            )

        ordered = sorted(latencies)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        print(
            f"follow latency over {len(latencies)} (step change, student) pairs:"
            f" median {statistics.median(latencies):.2f} s, p95 {p95:.2f} s, max {ordered[-1]:.2f} s"
        )
        assert ordered[-1] <= FOLLOW_WITHIN_S, ordered[-5:]
        assert not found, "\n".join(found)

        # The report the teacher downloads: per step (in order) how many answered and how many were right.
        rows = report_rows(teacher)
        header = rows[0]
        answered, right_col = (header.index(t(f"class_lesson.col.{c}", "en")) for c in ("answered", "right"))
        for index, (row, step) in enumerate(zip(rows[1 : 1 + len(LESSON.steps)], LESSON.steps, strict=True)):
            counts = expected.get(index, {})
            right = counts.get(answer_label(step, step.question.answer), 0)
            assert row[0] == str(index + 1), row
            assert (int(row[answered]), int(row[right_col])) == (sum(counts.values()), right), (step.id, row)
        for page in [teacher, *students]:
            assert not page_exceptions(page)
    assert not fired
