"""The Class page through Streamlit's AppTest: a teacher's session and students' sessions on one store.

Each test has its own state folder (LENET_STATE_DIR), so its own SQLite database. AppTest cannot draw on the
canvas, so students' drawings are injected as on the Draw page (`draw_injected_rgba`).
"""

from __future__ import annotations

import io
import re
import string
import time
from pathlib import Path

import numpy as np
import pytest
import strokes
from apptest import open_app
from PIL import Image
from streamlit.testing.v1 import AppTest

from lenet import checkpoints
from lenet.classmode import codes
from lenet.classmode.store import DatabaseUnavailable, Store
from lenet.i18n import STRINGS, t
from lenet.i18n import class_mode as class_strings
from lenet.i18n import errors as error_strings

PAGE = "pages/class.py"
HOSTILE = "<img src=x onerror=alert(1)>"
HOSTILE_NAMES = [
    "<script>alert('x')</script>",
    "[click](javascript:alert(1)) ![x](http://example.com/x.png)",
    "x" * 10_000,
    "مرحبا بالعالم \u202eevil",
    "👩‍🏫🎉 数字",
    "",
    "   ",
]


@pytest.fixture
def state_dir(tmp_path, monkeypatch):
    """A fresh, empty class database for the test (the page's store is cached per state folder)."""
    folder = tmp_path / "state"
    monkeypatch.setenv("LENET_STATE_DIR", str(folder))
    monkeypatch.delenv("LENET_DATABASE_URL", raising=False)
    return folder


def find_block(node, key: str):
    for child in getattr(node, "children", {}).values():
        if str(getattr(getattr(child, "proto", None), "id", "")).endswith(f"-{key}"):
            return child
        found = find_block(child, key)
        if found is not None:
            return found
    return None


def texts(node) -> list[str]:
    out = []
    for child in getattr(node, "children", {}).values():
        if isinstance(getattr(child, "value", None), str):
            out.append(child.value)
        out += texts(child)
    return out


def block_text(at: AppTest, key: str) -> str | None:
    """The text of the keyed container (markdown and HTML values, joined), or None when it is not shown."""
    block = find_block(at._tree, key)
    return None if block is None else " ".join(texts(block))


def unescaped(text: str) -> str:
    """Markdown's backslash escapes removed: what the reader sees."""
    return re.sub(r"\\(.)", r"\1", text)


def messages(at: AppTest) -> str:
    return " ".join(unescaped(m.value) for m in [*at.error, *at.warning, *at.info, *at.success])


def count(at: AppTest) -> int:
    text = block_text(at, "class_count")
    assert text is not None, "no class_count element"
    assert text.strip().isdigit(), text
    return int(text)


def start_class(language: str = "en") -> tuple[AppTest, str]:
    """A teacher's session that has started a class, and the class's code."""
    at = open_app(PAGE, language)
    at.button(key="class_start").click().run()
    assert not at.exception
    shown = block_text(at, "class_code")
    assert shown is not None, "no class_code container"
    code = re.search(f"[{codes.ALPHABET}]{{{codes.CODE_LENGTH}}}", shown).group()
    assert f"/class?join={code}" in shown
    return at, code


def student(code: str, language: str = "en", digit: int = 3, seed: int = 0) -> AppTest:
    """A student's session that opened the join link, with a drawing of `digit` on the canvas."""
    drawing = strokes.render(strokes.digit_strokes(digit, seed))
    at = open_app(PAGE, language, query={"join": code}, draw_injected_rgba=drawing)
    assert not at.exception
    assert at.button(key="class_submit"), "the student view is missing"
    return at


def send(at: AppTest, label: int) -> AppTest:
    at.pills(key="class_label").set_value(label)
    at.button(key="class_submit").click().run()
    assert not at.exception
    return at


@pytest.mark.parametrize("language", ["en", "zh"])
def test_landing_offers_joining_and_starting(state_dir, language):
    at = open_app(PAGE, language)
    assert not at.exception
    assert at.title[0].value == t("class.title", language)
    assert {"class_start", "class_join"} <= {b.key for b in at.button}
    assert {"class_join_code", "class_name"} <= {w.key for w in at.text_input}
    assert block_text(at, "class_wall") is None


@pytest.mark.parametrize("language", ["en", "zh"])
def test_teacher_and_student_views(state_dir, language):
    teacher, code = start_class(language)
    assert block_text(teacher, "class_wall") is not None
    assert count(teacher) == 0
    assert t("class.wall.sent", language) in " ".join(c.value for c in teacher.caption)
    alts = " ".join(h.value for h in teacher.html)
    assert t("class.code.qr_alt", language, link=f"/class?join={code}") in alts  # the QR code's alt text

    pupil = student(code, language)
    assert t("class.student.in", language, code=code) in " ".join(m.value for m in pupil.markdown)
    assert pupil.pills(key="class_label").options == [str(d) for d in range(10)]
    assert block_text(pupil, "class_sent") is None
    send(pupil, 3)
    assert t("class.sent", language, id=1, label=3, prediction=3) in block_text(pupil, "class_sent")

    teacher.run()
    assert count(teacher) == 1
    assert "class_end" in {b.key for b in teacher.button}


def test_sent_digits_show_in_the_teachers_counts_and_wall(state_dir):
    teacher, code = start_class()
    sent = 0
    for seed, digits in enumerate([(1, 7), (4,), (0, 2)]):
        pupil = student(code, seed=seed)
        pupil.text_input(key="class_name").input(f"pupil {seed}").run()
        for digit in digits:
            pupil.session_state["draw_injected_rgba"] = strokes.render(strokes.digit_strokes(digit, seed))
            send(pupil, digit)
            sent += 1
            assert block_text(pupil, "class_sent") is not None
            teacher.run()
            assert count(teacher) == sent
    wall = " ".join(h.value for h in teacher.html)
    for seed in range(3):
        assert f"pupil {seed}" in wall
    assert t("class.wall.meant", digit=7, n=1) in wall
    members = next(m for m in teacher.metric if m.label == t("class.wall.members"))
    assert members.value == "3"


def test_hostile_nicknames_are_shown_as_text(state_dir):
    teacher, code = start_class()
    pupil = student(code)
    pupil.text_input(key="class_name").input(HOSTILE).run()
    send(pupil, 3)
    store = Store.open(None, state_dir)  # the same database as the page's store
    image = strokes.render(strokes.digit_strokes(1, 0))[..., 3]  # any 28 x 28 would do; a real one reads better
    image = np.asarray(Image.fromarray(image).resize((28, 28)))
    for name in HOSTILE_NAMES:
        store.submit_digit(store.join(code, name), image, 1, 1, 0.9)
    teacher.run()
    assert not teacher.exception
    wall = " ".join(h.value for h in teacher.html)
    assert "&lt;img src=x onerror=alert(1)&gt;" in wall
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in wall
    assert "[click](javascript:alert(1))" in wall and "<bdi>مرحبا" in wall and "👩‍🏫🎉 数字" in wall
    assert "x" * 40 in wall and "x" * 41 not in wall  # capped
    assert wall.count(f"<bdi>{t('class.anonymous')}</bdi>") >= 2  # empty, and only spaces
    for raw in ("<img src=x", "<script>", '<a href="javascript'):
        assert raw not in wall


def test_a_wrong_code_says_so(state_dir):
    at = open_app(PAGE, "zh", query={"join": "WWWWWW"})
    assert not at.exception
    assert t("error.class_unknown", "zh", class_code="WWWWWW") in messages(at)
    assert "class_submit" not in {b.key for b in at.button}

    at = open_app(PAGE)
    at.text_input(key="class_join_code").input("abc-123")
    at.button(key="class_join").click().run()
    assert t("error.class_unknown", class_code="ABC123") in messages(at)


def test_an_ended_class_says_so(state_dir):
    store = Store.open(None, state_dir)
    code, token = store.start_class()
    store.end_class(token)
    at = open_app(PAGE, query={"join": code})
    assert t("error.class_ended", class_code=code) in messages(at)
    assert "class_submit" not in {b.key for b in at.button}


def test_the_teacher_link_opens_the_teachers_view(state_dir):
    code, token = Store.open(None, state_dir).start_class()
    at = open_app(PAGE, query={"teach": token})
    assert not at.exception
    assert code in block_text(at, "class_code")
    assert "teach" not in at.query_params  # off the projector's address bar


def test_a_student_session_cannot_use_teacher_actions(state_dir):
    code, _token = Store.open(None, state_dir).start_class()
    for forged in ("forged", code, ""):
        at = open_app(PAGE, query={"teach": forged} if forged else None, class_token=forged or "x" * 43)
        assert not at.exception
        assert block_text(at, "class_wall") is None and block_text(at, "class_code") is None
        assert "class_end" not in {b.key for b in at.button}
        assert t("error.not_teacher") in messages(at)
    pupil = student(code)
    assert not {"class_end", "class_prompt_set", "class_delete", "class_follow_push"} & {b.key for b in pupil.button}


def test_a_send_the_database_lost_is_retried_with_its_key(state_dir, monkeypatch):
    teacher, code = start_class()
    pupil = student(code)
    real = Store.submit_digit
    calls = []

    def flaky(self, *args, **kwargs):
        calls.append(kwargs["send_key"])
        if len(calls) == 1:  # the commit goes through, but its answer is lost
            real(self, *args, **kwargs)
            raise DatabaseUnavailable("lost", "db_unavailable")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Store, "submit_digit", flaky)
    send(pupil, 3)
    assert t("class.retrying") in messages(pupil)
    assert block_text(pupil, "class_sent") is None
    pupil.run()  # the student's live part retries
    assert block_text(pupil, "class_sent") is not None
    assert len(calls) == 2 and calls[0] == calls[1]
    teacher.run()
    assert count(teacher) == 1  # once, not twice


def test_guessing_codes_is_slowed_and_told(state_dir):
    at = open_app(PAGE, "zh")
    for attempt in range(11):
        at.session_state["language"] = "zh"  # AppTest runs the page without the sidebar's language widget
        at.text_input(key="class_join_code").input(f"WWWWW{codes.ALPHABET[attempt]}")
        at.button(key="class_join").click().run()
    assert t("error.too_many_guesses", "zh") in messages(at)


def test_a_flood_is_slowed_and_told(state_dir):
    _, code = start_class()
    pupil = student(code)
    for _ in range(5):
        send(pupil, 3)
        assert t("class.retrying") not in messages(pupil)
    send(pupil, 3)
    assert t("error.too_fast", limit=5, window_s=10) in messages(pupil)


def test_the_teacher_steers_the_class(state_dir):
    teacher, code = start_class()
    pupil = student(code)
    send(pupil, 3)

    teacher.text_input(key="class_prompt").input("Everyone draw a 7 [now](javascript:x)")
    teacher.button(key="class_prompt_set").click().run()
    teacher.selectbox(key="class_follow_page").set_value("/conv_lab")
    teacher.text_input(key="class_follow_query").input("kernel=5&stride=2")
    teacher.button(key="class_follow_push").click().run()
    teacher.text_input(key="class_quiz_text").input("What size comes out of C1?")
    teacher.text_area(key="class_quiz_options").input("24×24\n28×28\n<b>5×5</b>")
    teacher.run()
    teacher.selectbox(key="class_quiz_correct").set_value(0)
    teacher.button(key="class_quiz_ask").click().run()
    assert not teacher.exception

    pupil.run()
    shown = " ".join(h.value for h in pupil.html)
    assert "Everyone draw a 7 [now](javascript:x)" in shown
    assert any(b.proto.url == "/conv_lab?kernel=5&stride=2" for b in pupil.link_button)
    question = next(r for r in pupil.radio if r.key.startswith("class_answer_"))
    question.set_value(0).run()
    assert t("class.quiz.recorded") in " ".join(c.value for c in pupil.caption)

    teacher.run()
    assert t("class.quiz.answered", n=1) in " ".join(c.value for c in teacher.caption)
    teacher.button(key="class_quiz_reveal").click().run()
    pupil.run()
    assert t("class.quiz.right", option="24×24") in messages(pupil)
    assert "&lt;b&gt;5×5&lt;/b&gt;" in " ".join(h.value for h in pupil.html)

    teacher.number_input(key="class_delete_id").set_value(1)
    teacher.button(key="class_delete").click().run()
    assert count(teacher) == 0

    teacher.checkbox(key="class_end_confirm").check().run()
    teacher.button(key="class_end").click().run()
    assert not teacher.exception
    assert block_text(teacher, "class_wall") is None
    pupil.run()
    assert t("error.class_ended", class_code=code) in messages(pupil)
    assert "class_submit" not in {b.key for b in pupil.button}


def test_the_class_digits_download_as_mnist(state_dir):
    teacher, code = start_class()
    pupil = student(code)
    send(pupil, 3)
    store = Store.open(None, state_dir)
    images, labels = store.dataset(store.class_for_code(code).id)
    assert images.shape == (1, 28, 28) and labels.tolist() == [3]
    assert {"class_export_idx", "class_export_npz"} <= {b.key for b in teacher.download_button}


def test_every_string_has_both_languages_with_the_same_placeholders():
    fields = lambda text: {name for _, name, _, _ in string.Formatter().parse(text) if name}  # noqa: E731
    entries = {**class_strings.STRINGS, **error_strings.STRINGS}
    for key, entry in entries.items():
        assert entry.get("en") and entry.get("zh"), key
        assert fields(entry["en"]) == fields(entry["zh"]), key


def test_every_key_the_page_uses_and_every_store_error_has_words():
    root = Path(__file__).resolve().parent.parent
    source = "".join((root / name).read_text() for name in (PAGE, "class_glue.py", "class_tune.py"))  # and its glue
    keys = set(re.findall(r'ui\.tr\("([a-z0-9_.]+)"', source)) | set(re.findall(r'"(class\.[a-z0-9_.]+)"', source))
    assert keys and not sorted(k for k in keys if k not in STRINGS)
    store_source = (root / "lenet" / "classmode" / "store.py").read_text()
    raised = r'(?:ClassError|DatabaseUnavailable)\(\s*(?:f?"[^"]*"\s*)+,\s*"([a-z_]+)"'
    codes_raised = set(re.findall(raised, store_source))
    assert {"class_unknown", "too_fast", "not_teacher"} <= codes_raised
    assert not sorted(c for c in codes_raised if f"error.{c}" not in STRINGS)


# --- the store's additions for this page ---------------------------------------------------------------


def test_rename_wall_statistics_and_the_sweep(tmp_path):
    now = [1_800_000_000.0]
    store = Store.open(None, tmp_path, ttl_hours=1, clock=lambda: now[0])
    code, _ = store.start_class()
    member = store.join(code, "first")
    renamed = store.rename(member, HOSTILE + "x" * 100)
    assert renamed.nickname == (HOSTILE + "x" * 100)[:40] and renamed.id == member.id
    image = np.zeros((28, 28), np.uint8)
    for label, prediction in [(3, 3), (7, 1), (7, 7), (2, 2)]:
        store.submit_digit(renamed, image, label, prediction, 0.9)
    wall = store.wall(member.class_id)
    assert wall.names == (renamed.nickname,) and wall.members == 1
    assert wall.accuracy() == 0.75
    confusion = wall.confusion()
    assert confusion.sum() == 4 and confusion[7, 1] == 1 and confusion[7, 7] == 1 and np.trace(confusion) == 3
    assert store.wall(member.class_id + 1).accuracy() is None

    assert store.cleanup_if_due() == 0  # a sweep (nothing has expired); the next one is due in 5 minutes
    now[0] += 2 * 3600
    assert store.cleanup_if_due(every_s=300) == 1  # two hours on: due, and the class has expired
    assert store.cleanup_if_due(every_s=300) == 0  # not again within 5 minutes
    assert store.count_digits(member.class_id) == 0


def test_an_uploaded_photo_is_sent_and_a_hostile_one_is_refused(state_dir):
    teacher, code = start_class()
    ink = strokes.render(strokes.digit_strokes(7, 0))[..., 3]
    photo = Image.fromarray(255 - ink).convert("RGB")  # dark ink on white paper, as a phone takes it
    buffer = io.BytesIO()
    photo.save(buffer, format="JPEG")
    pupil = student(code)
    pupil.session_state["draw_injected_upload"] = buffer.getvalue()
    send(pupil, 7)
    assert t("class.sent", id=1, label=7, prediction=7) in block_text(pupil, "class_sent")
    pupil.session_state["draw_injected_upload"] = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    pupil.run()
    assert not pupil.exception
    assert pupil.error, "a broken file is refused with a sentence"
    teacher.run()
    assert count(teacher) == 1


@pytest.fixture
def training_env(state_dir, tmp_path, monkeypatch):
    """A tiny MNIST to mix in, an empty runs folder, and a fresh job registry."""
    import streamlit as st
    from tiny_mnist import write_tiny_mnist

    monkeypatch.setenv("LENET_DATA_DIR", str(write_tiny_mnist(tmp_path / "mnist", n_train=512)))
    monkeypatch.setenv("LENET_RUNS_DIR", str(tmp_path / "runs"))
    st.cache_resource.clear()
    yield tmp_path
    st.cache_resource.clear()


def _send_directly(store: Store, code: str, n: int) -> None:
    """n drawn digits from n students (one each, so no flood limit), committed as a Send commits them."""
    for i in range(n):
        member = store.join(code, f"s{i}", session_key=f"key{i}")
        image = strokes.render(strokes.digit_strokes(i % 10, i))[..., 3]
        small = np.asarray(Image.fromarray(image).resize((28, 28), Image.Resampling.BILINEAR))
        store.submit_digit(member, small, i % 10, prediction=(i + 1) % 10, confidence=0.5)


def test_teaching_it_our_handwriting(training_env):
    teacher, code = start_class()
    store = Store.open(None, Path(training_env / "state"))
    _send_directly(store, code, 4)
    teacher.button(key="class_tune").click().run()
    assert t("class.tune.too_few", n=4, min=10) in messages(teacher)
    _send_directly(store, code, 12)  # 16 in all: 4 held back
    teacher.button(key="class_tune").click().run()
    assert not teacher.exception
    dataset = Path(teacher.session_state["class_tune_run"]["file"])
    assert dataset.exists() and dataset.parent == training_env / "runs" / "datasets"
    deadline = time.monotonic() + 60
    while block_text(teacher, "class_tune_result") is None and time.monotonic() < deadline:
        time.sleep(0.5)
        teacher.run()
        assert not teacher.exception, teacher.exception
    shown = block_text(teacher, "class_tune_result")
    assert shown is not None, messages(teacher)
    tuned = list((training_env / "runs").glob(f"class-{code}-*.safetensors"))
    assert len(tuned) == 1
    extra = checkpoints.read_info(tuned[0]).metrics["extra"]
    assert extra["n_test"] == 4 and extra["n_train"] >= 12
    metric = next(m for m in teacher.metric if m.label == t("class.tune.after", n=4))
    assert metric.value == f"{extra['after']:.0%}" and f"{extra['before']:.0%}" in metric.delta
    assert not dataset.exists(), "the class's handwriting must not outlive the run"
    assert str(tuned[0]) in [str(info.path) for info in checkpoints.list_checkpoints()], "in everyone's picker"
    teacher.button(key="class_tune_use").click().run()
    assert teacher.session_state["model"] == str(tuned[0]), "the sidebar's picker (key `model`) holds it"


def test_a_digit_that_fooled_the_model_opens_in_draw_and_explore_traced(state_dir):
    teacher, code = start_class()
    pupil = student(code, digit=3)
    send(pupil, 8)  # meant 8, drawn 3: the model reads 3, so it "fooled" it
    teacher.run()
    opened = next(b for b in teacher.button if b.key and b.key.startswith("class_open_"))
    opened.click().run()
    assert not teacher.exception
    trace = block_text(teacher, "trace")
    assert trace is not None, "Draw & explore should open with the output unit traced"
    assert "Its value:" in trace and "Probability of digit 3:" in trace, trace
    prediction = block_text(teacher, "prediction")
    assert prediction is not None and "3" in prediction
    assert teacher.session_state["trace"]["layer"] == "output"


def test_a_student_on_another_page_sees_the_prompt_and_the_link(state_dir):
    store = Store.open(None, state_dir)
    code, token = store.start_class()
    member = store.join(code, "ana")
    plain_page = open_app(class_member=member)  # the Draw page, with nothing pushed yet
    assert block_text(plain_page, "class_banner") is None and not plain_page.exception
    store.set_prompt(token, "Everyone draw a 7 <b>now</b>")
    store.push_link(token, "/conv_lab?kernel=5")
    at = open_app(class_member=member)
    assert not at.exception
    shown = unescaped(block_text(at, "class_banner") or "")
    assert "Everyone draw a 7 <b>now</b>" in shown
    assert any(b.proto.url == "/conv_lab?kernel=5" for b in at.link_button)


def test_a_reload_rejoins_as_the_same_student(state_dir):
    _teacher, code = start_class()
    pupil = student(code)
    seat = pupil.query_params["seat"]
    seat = seat[0] if isinstance(seat, list) else seat
    assert len(seat) >= 20, "the student's own link names their seat"
    member = pupil.session_state["class_member"]
    reloaded = open_app(PAGE, "en", query={"join": code, "seat": seat})  # a new session from the same link
    assert not reloaded.exception and reloaded.session_state["class_member"] == member
    other = student(code, seed=1)  # the QR code's link, without a seat: a new student
    assert other.session_state["class_member"] != member
    assert Store.open(None, state_dir).count_members(member.class_id) == 2
