"""A lesson led by a teacher, under load: a teacher and N students on one server go through every step.

Every student and the teacher is a bench/st_session.py session: Streamlit's own websocket protocol spoken from
Python, the messages a browser sends (every widget's state on each run, and the `run_every` fragments' auto
reruns: the teacher's panel every second, each student's lesson every 0.5 s). The server does what it does for
browsers; the clients cost almost no CPU, as in a classroom where every browser runs on the student's own device
(tests/test_browser_class_lesson.py is the end-to-end check with 10 real pages).

The teacher starts a class and the lesson; the students join through the link. On every step, every student
answers the question (a random option, or a typed size) and presses Send, the teacher waits until
`class_lesson_answers` says "Answers received: N", presses Reveal, waits until every student shows
`lesson_result`, then presses Next. Times are taken when a message arrives (the page's rendering is left out:
milliseconds on the student's own machine).

Figures (per class size):
- `follow`: Next pressed to each student's `lesson_step` showing the next step: median, p95 and max over steps x
  students; `start`: the same for Start and the first step (a waiting student's page polls every 1.5 s, not 0.5);
  `within_2s`: both within the issue's bound of 2 s, every time;
- `reveal`: Reveal pressed to each student's `lesson_result` shown;
- `answers_sent` and `answers_counted` (the teacher's count on each step, summed): equal when nothing is lost;
- `server_cpu_cores`, `errors`.

    python bench/lesson_load.py [--sessions 30[,60]] [--quick] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import sys
import tempfile
import time
from pathlib import Path

from common import machine, percentiles, report  # first: it puts tests/ and the repository on sys.path

# isort: split
from appserver import serve
from class_load import proto_teacher, timed
from classroom import cpu_s
from st_session import Session

from lenet.i18n import t
from lenet.lesson import load_lesson

STEP_TIMEOUT_S = 30.0  # a student who has not shown a step (or the reveal) by then counts as an error
NUMBER = re.compile(r"^\s*(\d+)\.")  # `lesson_step` and `class_lesson_step` start with "N. title"


class Student:
    """One student's session, noting when each step and each reveal first arrived."""

    def __init__(self, url: str, i: int):
        self.session = Session(url)
        self.rng = random.Random(i)
        self.steps: dict[int, float] = {}  # step number -> time.time() of the message that showed it
        self.reveals: dict[int, float] = {}
        self.session.listeners.append(self._note)

    def _note(self) -> None:
        number, now = shown_step(self.session, "lesson_step"), time.time()
        if number is None:
            return
        self.steps.setdefault(number, now)
        result = self.session.node("lesson_result")
        if result is not None and result[1].run_id == self.session.run_id:  # this run's, not the last step's
            self.reveals.setdefault(number, now)

    async def join(self, code: str) -> None:
        await asyncio.sleep(self.rng.uniform(0, 5))
        await self.session.open("/class", f"join={code}", timeout=180)
        await self.session.wait_for(lambda: self.session.node("class_submit") is not None, 180)

    async def answer(self) -> None:
        """Answer the question on screen and press Send; returns once the page says the answer is in."""
        s = self.session
        # The step's number comes first in its run; the question, its widget and Send a few messages later.
        await s.wait_for(
            lambda: s.node("lesson_answer") is not None and s.node("lesson_check") is not None, STEP_TIMEOUT_S
        )
        node = s.node("lesson_answer")[1]
        if node.kind == "radio":
            # Streamlit 1.67's radio sends the label of the option picked (its string serde), as the frontend does
            await s.set("lesson_answer", rerun=False, string_value=self.rng.choice(list(node.proto.options)))
        else:
            await s.set("lesson_answer", rerun=False, string_value=self.rng.choice(["12x12", "5x5", "doesn't fit"]))
        await s.click("lesson_check")
        await s.wait_for(lambda: s.node("class_lesson_sent") is not None, STEP_TIMEOUT_S)


def shown_step(session: Session, key: str) -> int | None:
    """The step number the container `key` shows, or None."""
    match = NUMBER.match(session.text(key))
    return int(match.group(1)) if match else None


def received(teacher: Session) -> int | None:
    """The teacher's "Answers received: N", or None when it is not shown."""
    match = re.search(t("class_lesson.answers", "en", n=r"(\d+)"), teacher.text("class_lesson_answers"))
    return int(match.group(1)) if match else None


async def teacher_step(teacher: Session, number: int) -> None:
    await teacher.wait_for(lambda: shown_step(teacher, "class_lesson_step") == number, STEP_TIMEOUT_S)


async def arrived(students: list[Student], number: int, field: str, errors: list) -> None:
    """Wait until every student has shown step `number` (field "steps") or its reveal ("reveals")."""
    deadline = time.time() + STEP_TIMEOUT_S
    while time.time() < deadline and any(number not in getattr(s, field) for s in students):
        await asyncio.sleep(0.02)
    late = sum(number not in getattr(s, field) for s in students)
    if late:
        errors.append(f"step {number}: {late} students showed no {field[:-1]} within {STEP_TIMEOUT_S:.0f} s")


async def lesson(url: str, args, errors: list) -> dict:
    """The whole lesson; returns the raw figures."""
    teacher, code, _ = await proto_teacher(url)
    students = [Student(url, i) for i in range(args.sessions)]
    start, follow, reveal, sent, counted = [], [], [], 0, 0
    try:
        joined = await asyncio.gather(*(s.join(code) for s in students), return_exceptions=True)
        errors.extend(f"student {i} could not join: {e!r}" for i, e in enumerate(joined) if e is not None)
        students = [s for s, e in zip(students, joined, strict=True) if e is None]
        pressed = time.time()
        await teacher.click("class_lesson_start")
        await timed("lesson start", teacher_step(teacher, 1), STEP_TIMEOUT_S)
        number = 1
        while True:
            await arrived(students, number, "steps", errors)
            took = [s.steps[number] - pressed for s in students if number in s.steps]
            if number == 1:
                start += took
            else:
                follow += took
            results = await asyncio.gather(*(s.answer() for s in students), return_exceptions=True)
            errors.extend(f"step {number}: an answer failed: {e!r}" for e in results if e is not None)
            answered = sum(e is None for e in results)
            sent += answered
            try:
                await teacher.wait_for(lambda n=answered: received(teacher) == n, STEP_TIMEOUT_S)
            except TimeoutError:
                errors.append(f"step {number}: the teacher's count is {received(teacher)}, not {answered}")
            counted += received(teacher) or 0
            pressed = time.time()
            await teacher.click("class_lesson_reveal")
            await arrived(students, number, "reveals", errors)
            reveal += [s.reveals[number] - pressed for s in students if number in s.reveals]
            if number >= min(args.steps, len(load_lesson().steps)):
                break
            pressed = time.time()
            await teacher.click("class_lesson_next")
            number += 1
            await timed(f"step {number} on the teacher's page", teacher_step(teacher, number), STEP_TIMEOUT_S)
        sessions = [teacher, *(x.session for x in students)]
        errors.extend(f"exception on a page: {e}" for s in sessions for e in s.exceptions)
    finally:
        await asyncio.gather(teacher.close(), *(s.session.close() for s in students), return_exceptions=True)
    return {
        "steps": number,
        "students": len(students),
        "start": start,
        "follow": follow,
        "reveal": reveal,
        "sent": sent,
        "counted": counted,
    }


def figures(args: argparse.Namespace) -> dict:
    """One lesson of `args.sessions` students on a fresh server and class database."""
    errors: list[str] = []
    with (
        tempfile.TemporaryDirectory(prefix="lenet-lesson-load-") as folder,
        serve(env={"LENET_STATE_DIR": str(Path(folder) / "state")}, timeout=180) as (url, proc),
    ):
        began, server_began = time.time(), cpu_s(proc.pid, False)
        raw = asyncio.run(lesson(url, args, errors))
        server_cores = (cpu_s(proc.pid, False) - server_began) / (time.time() - began)
    follow, start = percentiles(raw["follow"]), percentiles(raw["start"])
    for figure, values in ((follow, raw["follow"]), (start, raw["start"])):
        if values:
            figure["max_ms"] = round(max(values) * 1000, 1)
    return {
        "mode": "quick" if args.quick else "full",
        "machine": machine(),
        "sessions": args.sessions,
        "students_joined": raw["students"],
        "steps": raw["steps"],
        "follow": follow,
        "start": start,
        "within_2s": bool(raw["follow"]) and max(raw["follow"] + raw["start"]) <= 2.0,
        "reveal": percentiles(raw["reveal"]),
        "answers_sent": raw["sent"],
        "answers_counted": raw["counted"],
        "server_cpu_cores": round(server_cores, 2),
        "errors": len(errors),
        "first_errors": errors[:5],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--sessions",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[30],
        help="students in the class; several (30,60): one lesson each, in this run",
    )
    parser.add_argument("--steps", type=int, default=99, help="stop after this many steps (default: all)")
    parser.add_argument("--quick", action="store_true", help="CI: 2 students, 3 steps")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.sessions, args.steps = [2], 3
    failed = False
    for sessions in args.sessions:
        result = figures(argparse.Namespace(**{**vars(args), "sessions": sessions}))
        report(result, args.json)
        failed = failed or result["errors"] > 0 or result["answers_counted"] != result["answers_sent"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
