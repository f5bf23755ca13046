"""The class-mode store against SQLite always, and against a real PostgreSQL server where one is installed.

The PostgreSQL server is started by this test session (tests/pgserver.py) and each test gets a new, empty
database on it; without the server binaries those cases are skipped, saying how to install them (in CI they fail).
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import os
import sqlite3
import subprocess
import sys
import threading
import zipfile
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pgserver
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from lenet import data
from lenet.classmode import codes, export, limits
from lenet.classmode import store as store_module
from lenet.classmode.schema import classes, metadata
from lenet.classmode.store import MIGRATIONS, ClassError, DatabaseUnavailable, Member, Store

ROOT = Path(__file__).resolve().parent.parent
TTL_HOURS = 12.0
T0 = 1_800_000_000.0
HOSTILE_NICKNAMES = [
    "<img src=x onerror=alert(1)>",
    "<script>alert('x')</script>",
    "[click](javascript:alert(1)) ![x](http://example.com/x.png)",
    "x" * 10_000,
    "مرحبا بالعالم \u202eevil",
    "👩‍🏫🎉 数字",
    "",
    "   ",
    "a\x00b",
]


class DB(NamedTuple):
    url: str | None  # None: the embedded SQLite file in state_dir
    state_dir: Path


class Clock:
    """A fake clock for the store: seconds since the epoch, moved on by hand."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


_databases = itertools.count()


@pytest.fixture(scope="session")
def postgres():
    binaries = pgserver.bin_dir()
    if binaries is None:
        message = "no PostgreSQL server binaries (/usr/lib/postgresql/*/bin): `apt-get install -y postgresql`"
        if os.environ.get("CI"):  # CI installs the server: there a missing one must fail, not skip
            pytest.fail(message)
        pytest.skip(message)
    server = pgserver.PostgresServer(binaries).start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path) -> DB:
    if request.param == "sqlite":
        return DB(None, tmp_path / "state")
    server = request.getfixturevalue("postgres")
    return DB(server.create_database(f"class_test_{next(_databases)}"), tmp_path / "state")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(db, clock):
    opened = Store.open(db.url, db.state_dir, TTL_HOURS, clock=clock)
    yield opened
    opened.close()


def _image(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (28, 28), dtype=np.uint8)


def _send(store: Store, member: Member, label: int = 7, prediction: int = 7, seed: int = 0, clock=None) -> int:
    if clock is not None:
        clock.now += limits.FLOOD_WINDOW_S  # each send in its own flood window
    return store.submit_digit(member, _image(seed), label, prediction, 0.5)


def _rows(store: Store, table: str, class_id: int) -> int:
    column = "id" if table == "classes" else "class_id"
    with store.engine.connect() as conn:
        return conn.scalar(sa.text(f"SELECT count(*) FROM {table} WHERE {column} = :c"), {"c": class_id})


def _code(excinfo) -> str:
    return excinfo.value.code


# Codes and tokens


def test_alphabet_has_no_look_alikes():
    assert not set("0OQD1IL2Z5S8BUV") & set(codes.ALPHABET)
    assert len(set(codes.ALPHABET)) == len(codes.ALPHABET) >= 20
    drawn = {codes.new_code() for _ in range(2000)}
    assert all(len(c) == codes.CODE_LENGTH and set(c) <= set(codes.ALPHABET) for c in drawn)
    assert set("".join(drawn)) == set(codes.ALPHABET)  # every character is used
    assert codes.normalise_code(" 7yt-e9m ") == "7YTE9M"


def test_codes_unique_and_from_the_alphabet(store):
    started = [store.start_class() for _ in range(150)]
    class_codes = [code for code, _ in started]
    tokens = [token for _, token in started]
    assert len(set(class_codes)) == len(class_codes) and len(set(tokens)) == len(tokens)
    assert all(len(c) == codes.CODE_LENGTH and set(c) <= set(codes.ALPHABET) for c in class_codes)
    assert all(len(t) >= 43 for t in tokens)  # 32 random bytes, base64
    assert {store.teacher_class(t).code for t in tokens[:10]} == set(class_codes[:10])


def test_tokens_checked_and_never_stored_in_clear(store, db):
    code, token = store.start_class()
    other_code, other_token = store.start_class()
    info = store.teacher_class(token)
    assert info.code == code
    member = store.join(code, "eve")
    digit = _send(store, member)
    for wrong in ("", "x", token[:-1], token + "x", token.upper(), code, other_code, None):
        with pytest.raises(ClassError) as refused:
            store.teacher_class(wrong)
        assert _code(refused) == "not_teacher"
        for action in (
            lambda w: store.delete_digit(w, digit),
            lambda w: store.set_prompt(w, "hi"),
            lambda w: store.push_link(w, "/"),
            lambda w: store.ask(w, "q", ["a", "b"]),
            store.end_class,
        ):
            with pytest.raises(ClassError, match="not valid"):
                action(wrong)
    assert store.count_digits(info.id) == 1 and store.teacher_class(other_token).code == other_code
    with store.engine.connect() as conn:
        stored = [str(value) for row in conn.execute(sa.text("SELECT * FROM classes")) for value in row]
    assert hashlib.sha256(token.encode()).hexdigest() in stored
    assert not any(token in value or other_token in value for value in stored)
    if db.url is None:  # nor anywhere in the SQLite files, WAL included
        for path in db.state_dir.iterdir():
            assert token.encode() not in path.read_bytes()


def test_wrong_ended_and_expired_codes_say_so(store, clock):
    with pytest.raises(ClassError) as unknown:
        store.class_for_code("777777")
    assert _code(unknown) == "class_unknown"
    with pytest.raises(ClassError) as garbage:
        store.join("<script>" * 100, "x")
    assert _code(garbage) == "class_unknown" and len(garbage.value.params["class_code"]) <= 12
    code, token = store.start_class()
    assert store.class_for_code(f" {code[:3].lower()}-{code[3:]} ").code == code
    store.end_class(token)
    with pytest.raises(ClassError) as ended:
        store.class_for_code(code)
    assert _code(ended) == "class_ended"
    with pytest.raises(ClassError) as ended_teacher:
        store.teacher_class(token)
    assert _code(ended_teacher) == "class_ended"
    late, _ = store.start_class()
    clock.now += TTL_HOURS * 3600
    with pytest.raises(ClassError) as expired:
        store.join(late, "x")
    assert _code(expired) == "class_expired"


def test_guessing_codes_is_rate_limited_per_session(store):
    fake = Clock(0.0)
    store.guesses = limits.GuessLimiter(clock=fake)
    code, _ = store.start_class()
    for _ in range(limits.MAX_CODE_GUESSES):
        with pytest.raises(ClassError, match="no class"):
            store.class_for_code("777777", session_key="guesser")
    with pytest.raises(ClassError) as blocked:
        store.class_for_code(code, session_key="guesser")  # even the right code, until the window passes
    assert _code(blocked) == "too_many_guesses"
    assert store.join(code, "ok", session_key="another").nickname == "ok"
    fake.now += limits.GUESS_WINDOW_S + 1
    assert store.class_for_code(code, session_key="guesser").code == code


# Lifetime: end, TTL, migrations, reopening


def _fill(store: Store, code: str, token: str, clock: Clock) -> Member:
    member = store.join(code, "sam")
    _send(store, member, clock=clock)
    question = store.ask(token, "which?", ["a", "b"], correct=1)
    store.answer(member, question, 1)
    store.set_prompt(token, "draw a 7")
    return member


def test_ttl_cleanup_deletes_everything_of_expired_classes_and_nothing_else(store, clock):
    old_code, old_token = store.start_class()
    old = _fill(store, old_code, old_token, clock)
    clock.now = T0 + 6 * 3600
    new_code, new_token = store.start_class()
    new = _fill(store, new_code, new_token, clock)
    assert store.cleanup_expired(T0 + TTL_HOURS * 3600 - 1) == 0
    clock.now = T0 + TTL_HOURS * 3600 + 1
    assert store.cleanup_expired() == 1
    for table in ("classes", "members", "digits", "questions", "answers"):
        assert _rows(store, table, old.class_id) == 0, table
        assert _rows(store, table, new.class_id) == 1, table
    with pytest.raises(ClassError) as gone:
        store.class_for_code(old_code)
    assert _code(gone) == "class_unknown"
    assert store.wall(new.class_id).sent == 1 and store.teacher_class(new_token).prompt == "draw a 7"


def test_end_class_deletes_digits_and_nicknames_only_of_that_class(store, clock):
    code, token = store.start_class()
    other_code, other_token = store.start_class()
    member = _fill(store, code, token, clock)
    other = _fill(store, other_code, other_token, clock)
    store.end_class(token)
    for table in ("members", "digits", "questions", "answers"):
        assert _rows(store, table, member.class_id) == 0, table
        assert _rows(store, table, other.class_id) == 1, table
    with pytest.raises(ClassError) as ended:
        _send(store, member, clock=clock)
    assert _code(ended) == "class_ended"
    assert store.count_digits(other.class_id) == 1


def _head() -> str:
    """The newest migration's revision (there must be exactly one head)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    (head,) = ScriptDirectory.from_config(config).get_heads()
    return head


def test_migrations_run_from_empty_match_the_schema_and_are_idempotent(db, clock):
    first = Store.open(db.url, db.state_dir, TTL_HOURS, clock=clock)
    code, _ = first.start_class()
    with first.engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT version_num FROM alembic_version")) == _head()
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    first.close()
    again = Store.open(db.url, db.state_dir, TTL_HOURS, clock=clock)  # a restart: nothing to do, nothing lost
    assert again.class_for_code(code).code == code
    with again.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all() == [_head()]
    again.close()


def test_a_database_from_the_first_schema_upgrades_with_its_lesson_intact(db, clock):
    code = codes.ALPHABET[: codes.CODE_LENGTH]
    db.state_dir.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(db.url or f"sqlite:///{db.state_dir / store_module.DB_FILE}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:  # a server of the first release ran a lesson on this database
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
        conn.execute(
            sa.text("INSERT INTO classes (code, token_hash, created_at, expires_at) VALUES (:code, 'x', :now, :end)"),
            {"code": code, "now": clock(), "end": clock() + 3600},
        )
        class_id = conn.scalar(sa.text("SELECT id FROM classes"))
        conn.execute(
            sa.text("INSERT INTO members (class_id, nickname, joined_at) VALUES (:class_id, 'ana', :now)"),
            {"class_id": class_id, "now": clock()},
        )
    engine.dispose()
    store = Store.open(db.url, db.state_dir, TTL_HOURS, clock=clock)  # the new release migrates on start-up
    assert store.count_members(class_id) == 1 and store.class_for_code(code).id == class_id
    member = store.join(code, "ben", seat="s3cret")
    assert store.join(code, "ben again", seat="s3cret") == member and store.count_members(class_id) == 2
    store.close()


def test_a_seat_rejoins_the_same_member_and_is_stored_only_hashed(store):
    code, _ = store.start_class()
    member = store.join(code, "ana", seat="my-seat")
    assert store.join(code, "whoever", seat="my-seat") == member  # a reload: same student, same digits
    assert store.join(code, "ana", seat="other") != member and store.join(code, "ana") != member
    assert store.count_members(member.class_id) == 3
    with store.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT seat_hash FROM members")).scalars().all()
    assert "my-seat" not in stored and hashlib.sha256(b"my-seat").hexdigest() in stored


def test_a_committed_digit_survives_reopening_the_store(db, clock):
    first = Store.open(db.url, db.state_dir, TTL_HOURS, clock=clock)
    code, token = first.start_class()
    member = first.join(code, "ana")
    digit = first.submit_digit(member, _image(3), 4, 9, 0.75)
    replica = Store.open(db.url, db.state_dir, TTL_HOURS, clock=clock)  # a second process on the same database
    assert [d.id for d in replica.digits(member.class_id)] == [digit]
    first.close()
    replica.close()
    reopened = Store.open(db.url, db.state_dir, TTL_HOURS, clock=clock)
    (saved,) = reopened.digits(member.class_id)
    assert (saved.id, saved.label, saved.prediction, saved.confidence, saved.nickname) == (digit, 4, 9, 0.75, "ana")
    assert np.array_equal(saved.image, _image(3)) and reopened.teacher_class(token).code == code
    reopened.close()


# Students, the wall, isolation


def test_hostile_nicknames_are_stored_exactly_capped(store, clock):
    code, token = store.start_class()
    joined = [store.join(code, name) for name in HOSTILE_NICKNAMES]
    for member in joined:
        _send(store, member, clock=clock)
    expected = [name.replace("\x00", "")[: limits.MAX_NICKNAME_CHARS] for name in HOSTILE_NICKNAMES]
    assert [m.nickname for m in joined] == expected
    assert [d.nickname for d in store.wall(joined[0].class_id).digits] == expected
    assert store.join(code, None).nickname == "" and store.join(code, "\ud800x").nickname == "?x"
    store.set_prompt(token, HOSTILE_NICKNAMES[0])
    assert store.teacher_class(token).prompt == HOSTILE_NICKNAMES[0]


def test_one_class_never_sees_another_s_digits(store, clock):
    code_a, token_a = store.start_class()
    code_b, token_b = store.start_class()
    a, b = store.join(code_a, "a"), store.join(code_b, "b")
    digits_a = [_send(store, a, label=1, seed=s, clock=clock) for s in range(3)]
    digits_b = [_send(store, b, label=2, seed=10 + s, clock=clock) for s in range(2)]
    assert [d.id for d in store.digits(a.class_id)] == digits_a
    assert [d.id for d in store.wall(b.class_id).digits] == digits_b
    assert store.count_digits(a.class_id) == 3 and store.count_members(b.class_id) == 1
    assert list(store.dataset(b.class_id)[1]) == [2, 2]
    with pytest.raises(ClassError) as foreign_digit:
        store.delete_digit(token_a, digits_b[0])
    assert _code(foreign_digit) == "digit_unknown" and store.count_digits(b.class_id) == 2
    question_b = store.ask(token_b, "?", ["x", "y"])
    with pytest.raises(ClassError, match="no such question"):
        store.answer(a, question_b, 0)
    with pytest.raises(ClassError, match="no such question"):
        store.histogram(a.class_id, question_b)
    with pytest.raises(ClassError, match="no such question"):
        store.reveal(token_a, question_b)
    forged = Member(a.id, b.class_id, "a")  # a's member id claiming class b
    with pytest.raises(ClassError) as not_member:
        store.submit_digit(forged, _image(0), 1, 1, 0.5)
    assert _code(not_member) == "member_unknown" and store.count_digits(b.class_id) == 2
    store.delete_digit(token_a, digits_a[0])
    assert [d.id for d in store.digits(a.class_id)] == digits_a[1:]


def test_the_wall_groups_by_label_and_lists_the_mistakes(store, clock):
    code, _ = store.start_class()
    member = store.join(code, "kim")
    for label, prediction, confidence in ((3, 3, 0.9), (3, 8, 0.6), (5, 6, 0.95), (3, 3, 0.99)):
        clock.now += limits.FLOOD_WINDOW_S
        store.submit_digit(member, _image(label), label, prediction, confidence)
    wall = store.wall(member.class_id)
    groups = wall.by_label()
    assert wall.sent == 4 and wall.members == 1 and sorted(groups) == list(range(10))
    assert [d.confidence for d in groups[3]] == [0.99, 0.6, 0.9]  # newest first
    assert [(d.label, d.prediction) for d in wall.fooled()] == [(5, 6), (3, 8)]


def test_bad_digits_are_refused(store):
    code, _ = store.start_class()
    member = store.join(code, "x")
    for image, label, prediction, confidence in (
        (np.zeros((28, 27), np.uint8), 1, 1, 0.5),
        (np.zeros((28, 28), np.float32), 1, 1, 0.5),
        ([[0] * 28] * 28, 1, 1, 0.5),
        (_image(0), 10, 1, 0.5),
        (_image(0), 1, -1, 0.5),
        (_image(0), True, 1, 0.5),
        (_image(0), 1, 1, float("nan")),
        (_image(0), 1, 1, 1.5),
    ):
        with pytest.raises(ClassError) as refused:
            store.submit_digit(member, image, label, prediction, confidence)
        assert _code(refused) == "bad_digit"
    assert store.count_digits(member.class_id) == 0


def test_a_flood_is_slowed_and_nothing_refused_is_written(store, clock):
    code, _ = store.start_class()
    member, calm = store.join(code, "flood"), store.join(code, "calm")
    for seed in range(limits.FLOOD_MAX_DIGITS):
        store.submit_digit(member, _image(seed), 1, 1, 0.5)
    for _ in range(20):
        with pytest.raises(ClassError) as slowed:
            store.submit_digit(member, _image(99), 1, 1, 0.5)
        assert _code(slowed) == "too_fast"
    assert store.submit_digit(calm, _image(0), 2, 2, 0.5)  # the limit is per member
    assert store.count_digits(member.class_id) == limits.FLOOD_MAX_DIGITS + 1
    clock.now += limits.FLOOD_WINDOW_S
    assert store.submit_digit(member, _image(99), 1, 1, 0.5)


def test_a_retried_send_is_stored_once(store, clock):
    code, _ = store.start_class()
    member = store.join(code, "x")
    first = store.submit_digit(member, _image(1), 1, 1, 0.5, send_key="send-1")
    assert store.submit_digit(member, _image(1), 1, 1, 0.5, send_key="send-1") == first
    assert store.submit_digit(member, _image(2), 2, 2, 0.5, send_key="send-2") != first
    assert store.count_digits(member.class_id) == 2


def test_prompt_link_and_quiz(store, clock):
    code, token = store.start_class()
    students = [store.join(code, f"s{i}") for i in range(4)]
    store.set_prompt(token, "Everyone draw a 7")
    store.push_link(token, "/conv_lab?kernel=5")
    info = store.class_info(students[0].class_id)
    assert (info.prompt, info.pushed_link, info.pushed_at) == ("Everyone draw a 7", "/conv_lab?kernel=5", clock.now)
    for bad in ("https://evil.example", "//evil.example", "javascript:alert(1)", "/\\evil", "/a\nb", "/" * 600):
        with pytest.raises(ClassError) as refused:
            store.push_link(token, bad)
        assert _code(refused) == "bad_link"
    store.set_prompt(token, "")
    store.push_link(token, None)
    assert store.class_info(info.id).prompt is None and store.class_info(info.id).pushed_link is None
    assert store.current_question(info.id) is None
    with pytest.raises(ClassError, match="2 to"):
        store.ask(token, "?", ["only one"])
    question = store.ask(token, "What size comes out of conv1?", ["24", "28", "14"], correct=0)
    for student, choice in zip(students, (0, 0, 1, 2), strict=True):
        store.answer(student, question, choice)
    store.answer(students[3], question, 0)  # a change of mind replaces the answer
    assert store.histogram(info.id, question) == [3, 1, 0]
    with pytest.raises(ClassError) as bad_choice:
        store.answer(students[0], question, 3)
    assert _code(bad_choice) == "bad_choice"
    store.reveal(token, question)
    current = store.current_question(info.id)
    assert (current.id, current.options, current.correct, current.revealed) == (question, ("24", "28", "14"), 0, True)
    with pytest.raises(ClassError) as closed:
        store.answer(students[1], question, 0)
    assert _code(closed) == "question_closed" and store.histogram(info.id, question) == [3, 1, 0]


# Export


def test_export_round_trips_through_the_mnist_reader(store, clock, tmp_path):
    code, _ = store.start_class()
    member = store.join(code, "x")
    labels = [3, 1, 4, 1, 5, 9, 2]
    for seed, label in enumerate(labels):
        _send(store, member, label=label, seed=seed, clock=clock)
    with zipfile.ZipFile(io.BytesIO(store.export_idx(member.class_id))) as archive:
        assert sorted(archive.namelist()) == sorted([export.IMAGES_NAME, export.LABELS_NAME])
        archive.extractall(tmp_path)
    images = data._read_idx(tmp_path / export.IMAGES_NAME, 3)
    assert images.shape == (7, 28, 28) and images.dtype == np.uint8
    assert np.array_equal(images, np.stack([_image(s) for s in range(7)]))
    assert data._read_idx(tmp_path / export.LABELS_NAME, 1).tolist() == labels
    with np.load(io.BytesIO(store.export_npz(member.class_id))) as npz:
        assert np.array_equal(npz["images"], images) and npz["labels"].tolist() == labels
        assert npz["images"].dtype == np.uint8 and npz["labels"].dtype == np.uint8
    empty, _ = store.start_class()
    assert store.dataset(store.class_for_code(empty).id)[0].shape == (0, 28, 28)


# Concurrency and failures


def test_two_threads_starting_classes_never_collide(store, monkeypatch):
    offered, lock = [], threading.Lock()
    duplicated = (code for code in itertools.product(codes.ALPHABET, repeat=codes.CODE_LENGTH) for _ in range(2))

    def every_code_twice() -> str:  # every code is offered twice, so every other start collides and retries
        with lock:
            offered.append("".join(next(duplicated)))
            return offered[-1]

    monkeypatch.setattr(codes, "new_code", every_code_twice)
    started, errors = [], []

    def start_many() -> None:
        try:
            started.extend(store.start_class()[0] for _ in range(15))
        except Exception as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=start_many) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(started) == 30 == len(set(started))
    assert len(offered) >= 59  # the database's unique constraint refused every second code


_START_MANY = """
import json, sys
from pathlib import Path
from lenet.classmode.store import Store
store = Store.open(sys.argv[1] or None, Path(sys.argv[2]), 12)
print(json.dumps([store.start_class()[0] for _ in range(int(sys.argv[3]))]))
"""


def test_two_processes_starting_classes_at_once_never_collide(db):
    """Two app processes on one fresh database: both migrate at once, then start classes side by side."""
    command = [sys.executable, "-c", _START_MANY, db.url or "", str(db.state_dir), "20"]
    processes = [
        subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)
    ]
    results = [process.communicate(timeout=120) for process in processes]
    assert [p.returncode for p in processes] == [0, 0], [err for _, err in results]
    started = [code for out, _ in results for code in json.loads(out)]
    assert len(started) == 40 == len(set(started))
    check = Store.open(db.url, db.state_dir, TTL_HOURS)
    assert all(check.class_for_code(code) for code in started)
    check.close()


def test_a_locked_sqlite_file_is_db_unavailable_and_the_retry_lands_once(tmp_path, monkeypatch, clock):
    monkeypatch.setattr(store_module, "SQLITE_BUSY_TIMEOUT_S", 0.2)
    store = Store.open(None, tmp_path, TTL_HOURS, clock=clock)
    member = store.join(store.start_class()[0], "x")
    blocker = sqlite3.connect(tmp_path / store_module.DB_FILE, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    with pytest.raises(DatabaseUnavailable) as unavailable:
        store.submit_digit(member, _image(0), 1, 1, 0.5, send_key="k")
    assert _code(unavailable) == "db_unavailable"
    blocker.execute("ROLLBACK")
    blocker.close()
    assert store.count_digits(member.class_id) == 0  # nothing half-written
    store.submit_digit(member, _image(0), 1, 1, 0.5, send_key="k")
    store.submit_digit(member, _image(0), 1, 1, 0.5, send_key="k")
    assert store.count_digits(member.class_id) == 1
    store.close()


def test_an_unreachable_server_is_db_unavailable(tmp_path):
    url = f"postgresql+psycopg://nobody@/lenet?host={tmp_path}&port=1&connect_timeout=2"
    with pytest.raises(DatabaseUnavailable) as unavailable:
        Store.open(url, None, TTL_HOURS)
    assert _code(unavailable) == "db_unavailable"


def test_a_postgres_store_survives_its_connections_being_killed(postgres, clock):
    url = postgres.create_database(f"class_test_{next(_databases)}")
    store = Store.open(url, None, TTL_HOURS, clock=clock)
    member = store.join(store.start_class()[0], "x")
    with store.engine.connect() as conn:
        backends = conn.scalar(sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"))
    with sa.create_engine(postgres.url()).connect() as admin:  # as a server restart would
        admin.execute(
            sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :db"),
            {"db": url.split("/")[-1].split("?")[0]},
        )
    assert backends >= 1
    store.submit_digit(member, _image(0), 1, 1, 0.5)  # the pool notices the dead connection and reconnects
    assert store.count_digits(member.class_id) == 1
    store.close()


def test_a_plain_postgresql_url_uses_psycopg_3():
    engine = store_module._engine("postgresql://user@localhost/db")
    assert engine.dialect.driver == "psycopg"
    engine.dispose()


def test_live_view_is_one_read_per_class_and_second_and_sees_teacher_actions_at_once(store, db, clock):
    code, token = store.start_class()
    member = store.join(code, "ana")
    other = Store.open(db.url, db.state_dir, TTL_HOURS, clock=clock)  # (opening sweeps expired classes)
    info, question = store.live_view(member.class_id)
    assert info.code == code and info.prompt is None and question is None
    # Another process on the same database (a replica): its prompt shows once the shared read is older than
    # max_age_s, and at once with max_age_s=0.
    with other.engine.begin() as conn:  # written past the store's methods, as another process's would be
        conn.execute(classes.update().where(classes.c.id == info.id).values(prompt="from elsewhere"))
    assert store.live_view(member.class_id, max_age_s=600)[0].prompt is None, "one read serves the class"
    assert store.live_view(member.class_id, max_age_s=0)[0].prompt == "from elsewhere"
    # A teacher action through any Store of this process is seen by the next poll, without waiting.
    other.set_prompt(token, "Everyone draw a 7")
    question_id = other.ask(token, "Which?", ["a", "b"])
    info, question = store.live_view(member.class_id)
    assert info.prompt == "Everyone draw a 7" and question.id == question_id
    other.close()
    # The class's end and expiry are checked on every call, kept read or not.
    clock.now += TTL_HOURS * 3600
    with pytest.raises(ClassError) as expired:
        store.live_view(member.class_id)
    assert _code(expired) == "class_expired"


def test_the_reading_at_send_is_the_draw_pages_answer():
    """classmode.reading (one forward pass, no gradients) gives the Draw page's answer (explain) for drawn digits,
    and says why it reads nothing for a blank canvas, a dot, a scribble or no model."""
    import strokes

    from lenet import checkpoints
    from lenet.classmode.reading import read
    from lenet.explain import explain
    from lenet.preprocess import canvas_to_input

    model, _ = checkpoints.load_checkpoint(checkpoints.DEFAULT_CHECKPOINT)
    for digit in range(10):
        prep = canvas_to_input(strokes.render(strokes.digit_strokes(digit, digit)))
        got, want = read(prep, model, canvas=True), explain(model, prep.input)
        np.testing.assert_allclose(got.probs, want.probs, rtol=1e-5, atol=1e-6)
        assert (got.prediction, got.reason) == (want.prediction, None)
        assert got.confidence == pytest.approx(float(want.probs.max()))
    dot = np.zeros((280, 280, 4), np.uint8)
    dot[140:143, 140:143] = 255
    scribble = np.zeros((280, 280, 4), np.uint8)
    scribble[20:260, 20:260] = 255  # ink over 73 % of the canvas
    scribble[100:180, 100:180, :3] = 0
    for prep, reason in ((None, "blank"), (canvas_to_input(dot), "too_small"), (canvas_to_input(scribble), "scribble")):
        got = read(prep, model, canvas=True)
        assert (got.probs, got.prediction, got.reason) == (None, None, reason)
    assert read(canvas_to_input(strokes.render(strokes.digit_strokes(3, 0))), None).reason == "no_model"
