"""The Lesson page in a real browser: every step, in both languages, with its answer revealed, passes axe-core
(0 serious or critical violations), and nothing raises in the page."""

from __future__ import annotations

import pytest
from appserver import axe_violations, launch_browser, page_exceptions, serve, wait_for_app, wait_idle

from lenet.i18n import t
from lenet.lesson import load_lesson

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1440, "height": 900}
LESSON = load_lesson()


@pytest.fixture(scope="module")
def server(tiny_mnist_dir, tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    state = tmp_path_factory.mktemp("state")
    env = {"LENET_DATA_DIR": str(tiny_mnist_dir), "LENET_RUNS_DIR": str(runs), "LENET_STATE_DIR": str(state)}
    with serve(env=env) as (url, _):
        yield url


def _answer(page, question, lang: str) -> None:
    """Answer the step's question (the right answer) and press Check, as a student would."""
    box = page.locator(".st-key-lesson_question")
    if question.kind == "choice":
        box.locator('[role="radiogroup"] label').nth(question.answer).click()
        wait_idle(page)
    else:
        typed = t("lesson.no_fit", lang) if question.expected is None else "{}x{}".format(*question.expected)
        field = box.locator("input[type=text]")
        field.fill(typed)
        field.press("Enter")
        wait_idle(page)
    page.locator(".st-key-lesson_check button").click()
    page.locator(".st-key-lesson_result").wait_for(timeout=30000)
    wait_idle(page)


def test_every_step_passes_axe_in_both_languages(server):
    found = []
    with launch_browser() as browser:
        page = browser.new_context(viewport=DESKTOP).new_page()
        for lang in ("en", "zh"):
            page.goto(f"{server}/lesson?lang={lang}&step=1")
            wait_for_app(page)
            for number, step in enumerate(LESSON.steps, 1):
                heading = page.locator(".st-key-lesson_step h3")
                heading.filter(has_text=f"{number}. {step.title[lang]}").wait_for(timeout=60000)
                wait_idle(page)
                _answer(page, step.question, lang)
                assert t("lesson.right", lang) in page.locator(".st-key-lesson_result").inner_text()
                assert f"step={number}" in page.url
                found += [
                    f"{lang} step {number}: {v['id']} ({v['impact']}) {v['targets'][:3]} {v['html'][:1]}"
                    for v in axe_violations(page)
                ]
                assert not page_exceptions(page), (lang, number)
                if number < len(LESSON.steps):
                    page.locator(".st-key-lesson_next button").click()
    assert not found, "\n".join(found)
