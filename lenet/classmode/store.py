"""The class-mode store: every read and write of a lesson's data, each one database transaction.

`Store.open(url, state_dir, ttl_hours)` connects (an SQLite file in `state_dir` by default, PostgreSQL with a
`postgresql+psycopg://` URL), applies the Alembic migrations and sweeps away expired classes. One `Store` per
server process (the page holds it with `st.cache_resource`); several processes or replicas may share a database.

Every operation commits before it returns, so a digit the page acknowledges is on disk. A transient database
failure raises `DatabaseUnavailable` (code "db_unavailable") with nothing half-written: the page says "not sent
yet, trying again" and retries the same call; `submit_digit`'s `send_key` makes that retry safe even when the
first commit went through and only its answer was lost. Teacher operations take the teacher token and check it
here, on the server; student operations take the `Member` that `join` returned.
"""

from __future__ import annotations

import math
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import event, exc

from lenet.classmode import codes, export, limits
from lenet.classmode.lessons import LessonStore
from lenet.classmode.schema import answers, class_lessons, classes, digits, lesson_answers, members, questions
from lenet.errors import CodedError

DB_FILE = "class.sqlite3"
DEFAULT_TTL_HOURS = 12.0
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
MAX_CODE_ATTEMPTS = 20  # a collision needs two live classes with one code: retrying a few times always suffices
SQLITE_BUSY_TIMEOUT_S = 10.0  # how long a writer waits for another process's write before "db_unavailable"
_MIGRATION_LOCK = 0x1E7E7  # PostgreSQL advisory lock key: replicas starting at once migrate one after the other
IMAGE_SHAPE = (28, 28)
CLEANUP_EVERY_S = 300.0  # a class's TTL is hours: sweeping every few minutes deletes it close enough to on time
LIVE_MAX_AGE_S = 1.0  # live_view: one read per class per second serves every student's page in this process
# live_view's reads, by (database URL, class id): (when read, the class, its question). Shared by every Store of
# this process on one database, so a teacher action through any of them is seen by the next poll.
_LIVE_READS: dict[tuple[str, int], tuple[float, ClassInfo, Question | None]] = {}
_LIVE_LOCK = threading.Lock()


class ClassError(CodedError, ValueError):
    """A request class mode refuses. `code` is a stable key for translation ("class_unknown", "too_fast", ...)."""


class DatabaseUnavailable(ClassError):
    """The database did not answer or lost the connection; nothing was written, and the call may be retried."""

    default_code = "db_unavailable"


@dataclass(frozen=True)
class ClassInfo:
    """A class as the pages see it; never holds the token."""

    id: int
    code: str
    created_at: float
    expires_at: float
    ended_at: float | None
    prompt: str | None
    pushed_link: str | None
    pushed_at: float | None


@dataclass(frozen=True)
class Member:
    """A student in a class: what `join` returns and a student's operations take."""

    id: int
    class_id: int
    nickname: str


@dataclass(frozen=True)
class Digit:
    """One digit sent to a class: the 28 x 28 uint8 image (255 = ink), what was meant and what the model read."""

    id: int
    member_id: int
    nickname: str
    image: np.ndarray = field(repr=False)
    label: int
    prediction: int
    confidence: float
    created_at: float


@dataclass(frozen=True)
class Wall:
    """What the teacher's projector shows: the class's digits in the order sent, and how many students are in."""

    digits: tuple[Digit, ...]
    members: int
    names: tuple[str, ...] = ()  # the students' nicknames, in the order they joined

    @property
    def sent(self) -> int:
        """How many digits the class has sent (and the teacher has not deleted)."""
        return len(self.digits)

    def accuracy(self) -> float | None:
        """The share of the class's digits the model read as meant; None before the first digit."""
        if not self.digits:
            return None
        return sum(d.prediction == d.label for d in self.digits) / len(self.digits)

    def confusion(self) -> np.ndarray:
        """10 x 10 counts of the class's digits: rows the digit meant, columns what the model read."""
        counts = np.zeros((10, 10), dtype=np.int64)
        for digit in self.digits:
            counts[digit.label, digit.prediction] += 1
        return counts

    def by_label(self) -> dict[int, list[Digit]]:
        """The digits grouped by the digit meant (0-9, every key present), newest first."""
        groups: dict[int, list[Digit]] = {label: [] for label in range(10)}
        for digit in reversed(self.digits):
            groups[digit.label].append(digit)
        return groups

    def fooled(self) -> list[Digit]:
        """The digits the model read wrong, the most confident mistakes first."""
        return sorted((d for d in self.digits if d.prediction != d.label), key=lambda d: -d.confidence)


@dataclass(frozen=True)
class Question:
    """A quick question: its options, the right one (or None), and whether the answer has been revealed."""

    id: int
    text: str
    options: tuple[str, ...]
    correct: int | None
    revealed: bool
    created_at: float


def _text(value: str | None, cap: int) -> str:
    """Typed text as stored: as given, capped at `cap` characters. Only what no database can hold is changed:
    NUL characters are dropped (PostgreSQL refuses them) and lone surrogates become "?" (not valid UTF-8)."""
    text = str(value or "").replace("\x00", "")
    return text.encode("utf-8", "replace").decode("utf-8")[:cap]


def _sqlite_connect(dbapi_connection, _record) -> None:
    """Per SQLite connection: WAL (readers never wait for the writer), a busy timeout, enforced foreign keys.

    Python's sqlite3 is put in autocommit so that `_sqlite_begin` decides how each transaction starts
    (SQLAlchemy's documented recipe: https://docs.sqlalchemy.org/en/20/dialects/sqlite.html#serializable-isolation-savepoints-transactional-ddl).
    """
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
    # Switching a new file to WAL needs a moment's exclusive lock, and SQLite may answer "database is locked" at
    # once, without its busy timeout, while another process is creating the same file: wait and try again.
    for attempt in range(50):
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            break
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == 49:
                raise
            time.sleep(0.1)
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _sqlite_begin(connection) -> None:
    """Writes take the write lock at BEGIN: a deferred transaction that reads and then writes can fail at once
    with SQLITE_BUSY when another process wrote in between, without waiting for the busy timeout."""
    write = connection.get_execution_options().get("lenet_write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _engine(url: str) -> sa.Engine:
    """An engine for `url`: SQLite with the settings above, or PostgreSQL through psycopg 3."""
    if url.startswith(("postgresql://", "postgres://")):  # a plain libpq URL: use psycopg 3, not psycopg2
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)  # a replica survives the database restarting


def _class_row(conn: sa.Connection, class_id: int):
    """The class's row by id; ClassError "class_unknown" when it is gone."""
    row = conn.execute(sa.select(classes).where(classes.c.id == class_id)).first()
    if row is None:
        raise ClassError("This class no longer exists.", "class_unknown", class_code="")
    return row


def _class_info(row) -> ClassInfo:
    return ClassInfo(
        row.id, row.code, row.created_at, row.expires_at, row.ended_at, row.prompt, row.pushed_link, row.pushed_at
    )


def _digit(row) -> Digit:
    image = np.frombuffer(row.image, dtype=np.uint8).reshape(IMAGE_SHAPE).copy()
    return Digit(row.id, row.member_id, row.nickname, image, row.label, row.prediction, row.confidence, row.created_at)


def _digits_query(class_id: int) -> sa.Select:
    """A class's digits with their senders' nicknames, in the order sent."""
    return (
        sa.select(digits, members.c.nickname)
        .join(members, digits.c.member_id == members.c.id)
        .where(digits.c.class_id == class_id)
        .order_by(digits.c.id)
    )


def _check_digit(image, label, prediction, confidence) -> bytes:
    """The image's bytes, once the digit is known to be well-formed; ClassError "bad_digit" otherwise."""
    if not (isinstance(image, np.ndarray) and image.shape == IMAGE_SHAPE and image.dtype == np.uint8):
        raise ClassError("The image must be a 28 x 28 uint8 array.", "bad_digit", field="image")
    for name, value in (("label", label), ("prediction", prediction)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or not 0 <= value <= 9:
            raise ClassError(f"The {name} must be a digit 0-9, not {value!r}.", "bad_digit", field=name)
    if not (isinstance(confidence, float | int | np.floating) and math.isfinite(confidence) and 0 <= confidence <= 1):
        raise ClassError(
            f"The confidence must be between 0 and 1, not {confidence!r}.", "bad_digit", field="confidence"
        )
    return np.ascontiguousarray(image).tobytes()


def _check_link(link: str | None) -> str | None:
    """A link to push: a path inside the app ("/conv_lab?kernel=5"), never another site."""
    if link is None:
        return None
    if not (
        isinstance(link, str)
        and link.startswith("/")
        and not link.startswith("//")
        and "\\" not in link
        and len(link) <= limits.MAX_LINK_CHARS
        and link.isprintable()
    ):
        raise ClassError("Only a path inside the app (starting with one /) can be pushed to the class.", "bad_link")
    return link


class Store(LessonStore):
    """Class mode's data in one database; thread-safe (SQLAlchemy's pool gives each call its own connection)."""

    def __init__(self, engine: sa.Engine, ttl_hours: float = DEFAULT_TTL_HOURS, clock=time.time) -> None:
        self.engine = engine
        self.ttl_s = float(ttl_hours) * 3600.0
        self.clock = clock  # seconds since the epoch; tests pass a fake one to move through a class's lifetime
        self.guesses = limits.GuessLimiter()
        self._next_cleanup = 0.0  # when cleanup_if_due next sweeps

    @classmethod
    def open(
        cls, url: str | None, state_dir: Path | None, ttl_hours: float = DEFAULT_TTL_HOURS, clock=time.time
    ) -> Store:
        """Connect, bring the schema up to date and delete expired classes.

        Args:
            url: a database URL (`postgresql+psycopg://user:pass@host/db`, or `sqlite:///path`); None for the
                embedded SQLite file `state_dir/class.sqlite3`.
            state_dir: the folder for the SQLite file, created if missing (unused with a URL; may be None then).
            ttl_hours: how long a class lives after it starts.
            clock: the time source, seconds since the epoch.
        Returns:
            The store. Raises DatabaseUnavailable when the database cannot be reached.
        """
        if not url:
            Path(state_dir).mkdir(parents=True, exist_ok=True)
            url = f"sqlite:///{Path(state_dir) / DB_FILE}"
        store = cls(_engine(url), ttl_hours, clock)
        store.migrate()
        store.cleanup_expired()
        return store

    def close(self) -> None:
        """Close the database connections."""
        self.engine.dispose()

    @contextmanager
    def _transaction(self, write: bool = False, live: bool = False) -> Iterator[sa.Connection]:
        """One transaction, committed on leaving; a transient database failure becomes DatabaseUnavailable.
        `live`: it changes what students see live (live_view reads again once it has committed)."""
        try:
            with self.engine.connect() as conn:
                conn.execution_options(lenet_write=write)
                with conn.begin():
                    yield conn
            if live:
                self._forget_live()
        except (exc.OperationalError, exc.InterfaceError, exc.TimeoutError) as error:
            raise DatabaseUnavailable(f"The class database is not available: {error}", "db_unavailable") from error
        except exc.DBAPIError as error:
            if not error.connection_invalidated:
                raise
            raise DatabaseUnavailable(
                f"The connection to the class database was lost: {error}", "db_unavailable"
            ) from error

    def migrate(self) -> None:
        """Apply the Alembic migrations up to the newest; does nothing when the schema is already there."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self._transaction(write=True) as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            config.attributes["connection"] = conn
            command.upgrade(config, "head")

    # Classes and teachers

    def start_class(self) -> tuple[str, str]:
        """Start a class, first sweeping away expired ones.

        Returns:
            (code, token): the join code for the students and the teacher token for the teacher link. Only the
            token's hash is stored, so this is the one time it can be read.
        """
        self.cleanup_expired()
        now = self.clock()
        for _ in range(MAX_CODE_ATTEMPTS):
            code, token = codes.new_code(), codes.new_token()
            try:
                with self._transaction(write=True) as conn:
                    conn.execute(
                        classes.insert().values(
                            code=code, token_hash=codes.hash_token(token), created_at=now, expires_at=now + self.ttl_s
                        )
                    )
                return code, token
            except exc.IntegrityError:  # the code is taken (the database's unique constraint said so): draw again
                continue
        raise ClassError("No free class code was found; try again.", "no_free_code")

    def _live(self, row) -> ClassInfo:
        """The class of `row`, if it has neither ended nor expired."""
        if row.ended_at is not None:
            raise ClassError(f"Class {row.code} has ended.", "class_ended", class_code=row.code)
        if row.expires_at <= self.clock():
            raise ClassError(f"Class {row.code} has expired.", "class_expired", class_code=row.code)
        return _class_info(row)

    def _by_code(self, conn: sa.Connection, code: str, session_key: str | None) -> ClassInfo:
        if session_key is not None and self.guesses.blocked(session_key):
            raise ClassError(
                "Too many wrong codes; wait a minute and try again.",
                "too_many_guesses",
                wait_s=int(limits.GUESS_WINDOW_S),
            )
        code = codes.normalise_code(str(code))
        row = None
        if codes.looks_like_code(code):
            row = conn.execute(sa.select(classes).where(classes.c.code == code)).first()
        if row is None:
            if session_key is not None:
                self.guesses.miss(session_key)
            raise ClassError(
                f"There is no class with code {code[: codes.CODE_LENGTH * 2]!r}.",
                "class_unknown",
                class_code=code[: codes.CODE_LENGTH * 2],
            )
        return self._live(row)

    def class_for_code(self, code: str, session_key: str | None = None) -> ClassInfo:
        """The live class with join code `code` (case, spaces and dashes ignored).

        Args:
            code: the code as typed or taken from the join link.
            session_key: the asking session's id; wrong codes are rate-limited per key (limits.MAX_CODE_GUESSES).
                Pages must pass one; None (tests, the command line) is not limited.
        Returns:
            The class. Raises ClassError "class_unknown", "class_ended", "class_expired" or "too_many_guesses".
        """
        with self._transaction() as conn:
            return self._by_code(conn, code, session_key)

    def _teacher_row(self, conn: sa.Connection, token: str, write: bool = False):
        """The live class whose teacher token is `token`; ClassError "not_teacher" for any other token."""
        digest = codes.hash_token(str(token or ""))
        query = sa.select(classes).where(classes.c.token_hash == digest)
        row = conn.execute(query.with_for_update() if write else query).first()
        if row is None or not codes.token_matches(str(token or ""), row.token_hash):
            raise ClassError("This teacher link is not valid.", "not_teacher")
        return row

    def teacher_class(self, token: str) -> ClassInfo:
        """The live class that `token` is the teacher of.

        Args:
            token: the token from the teacher link.
        Returns:
            The class. Raises ClassError "not_teacher", "class_ended" or "class_expired".
        """
        with self._transaction() as conn:
            return self._live(self._teacher_row(conn, token))

    def class_info(self, class_id: int) -> ClassInfo:
        """A live class by id, for a student's page to read the prompt and the pushed link."""
        with self._transaction() as conn:
            return self._live(_class_row(conn, class_id))

    def live_view(self, class_id: int, max_age_s: float = LIVE_MAX_AGE_S) -> tuple[ClassInfo, Question | None]:
        """What a student's page shows live: the live class (prompt, pushed link) and its current question.

        Every student of a class polls this: one read from the database per class and `max_age_s` serves all of
        this process's students (a teacher action through this store is seen at once; one on another replica
        within `max_age_s`). The class's end and expiry are checked on every call.
        Raises ClassError as class_info does.
        """
        now = time.monotonic()
        where = (str(self.engine.url), class_id)
        with _LIVE_LOCK:
            kept = _LIVE_READS.get(where)
        if kept is None or now - kept[0] >= max_age_s:
            with self._transaction() as conn:
                row = _class_row(conn, class_id)
                question = self._current_question(conn, class_id)
            kept = (now, _class_info(row), question)
            with _LIVE_LOCK:
                _LIVE_READS[where] = kept
        info = kept[1]
        self._live(info)
        return info, kept[2]

    def _forget_live(self) -> None:
        """Drop live_view's reads after a teacher action, so this process's students see it at their next poll."""
        url = str(self.engine.url)
        with _LIVE_LOCK:
            for where in [where for where in _LIVE_READS if where[0] == url]:
                del _LIVE_READS[where]

    def set_prompt(self, token: str, text: str | None) -> None:
        """Show `text` ("Everyone draw a 7") on every student's screen; None or "" clears it."""
        with self._transaction(write=True, live=True) as conn:
            row = self._live(self._teacher_row(conn, token, write=True))
            prompt = _text(text, limits.MAX_PROMPT_CHARS) or None
            conn.execute(classes.update().where(classes.c.id == row.id).values(prompt=prompt))

    def push_link(self, token: str, link: str | None) -> None:
        """Send every student to `link`, a path inside the app ("/conv_lab?kernel=5"); None stops following."""
        link = _check_link(link)
        with self._transaction(write=True, live=True) as conn:
            row = self._live(self._teacher_row(conn, token, write=True))
            conn.execute(
                classes.update()
                .where(classes.c.id == row.id)
                .values(pushed_link=link, pushed_at=self.clock() if link else None)
            )

    def end_class(self, token: str) -> None:
        """End the class now: its digits, nicknames, questions and answers are deleted; its code reads "ended"."""
        with self._transaction(write=True, live=True) as conn:
            row = self._live(self._teacher_row(conn, token, write=True))
            self._delete_contents(conn, [row.id])
            conn.execute(
                classes.update()
                .where(classes.c.id == row.id)
                .values(ended_at=self.clock(), prompt=None, pushed_link=None, pushed_at=None)
            )

    @staticmethod
    def _delete_contents(conn: sa.Connection, class_ids: list[int]) -> None:
        """Delete everything a class holds about its students; children first, so no foreign key is left dangling."""
        for table in (lesson_answers, class_lessons, answers, questions, digits, members):
            conn.execute(table.delete().where(table.c.class_id.in_(class_ids)))

    def cleanup_expired(self, now: float | None = None) -> int:
        """Delete every class past its TTL with all its data (ended classes too, whose codes then read unknown).

        Args:
            now: the time to compare with; default the store's clock.
        Returns:
            How many classes were deleted.
        """
        now = self.clock() if now is None else now
        with self._transaction(write=True, live=True) as conn:
            ids = list(conn.scalars(sa.select(classes.c.id).where(classes.c.expires_at <= now)))
            if ids:
                self._delete_contents(conn, ids)
                conn.execute(classes.delete().where(classes.c.id.in_(ids)))
        return len(ids)

    def cleanup_if_due(self, every_s: float = CLEANUP_EVERY_S) -> int:
        """cleanup_expired, at most once every `every_s` seconds per process: pages call it on every refresh."""
        now = self.clock()
        if now < self._next_cleanup:
            return 0
        self._next_cleanup = now + every_s  # set first: concurrent refreshes sweep once, not each
        return self.cleanup_expired(now)

    # Students

    def _live_class_locked(self, conn: sa.Connection, class_id: int) -> ClassInfo:
        """The live class `class_id`, locked against ending (FOR SHARE) until this transaction commits.

        Sends and joins take this shared lock and `end_class` the exclusive one, so nothing lands in a class
        after its data has been deleted. (SQLite has no row locks; its transactions are serialized anyway.)
        """
        row = conn.execute(sa.select(classes).where(classes.c.id == class_id).with_for_update(read=True)).first()
        if row is None:
            raise ClassError("This class no longer exists.", "class_unknown", class_code="")
        return self._live(row)

    def join(
        self, code: str, nickname: str | None = None, session_key: str | None = None, seat: str | None = None
    ) -> Member:
        """Join the live class with `code` under `nickname` (optional; stored as given, capped, shown as text).

        Args:
            code: the join code, as for class_for_code.
            nickname: any text; capped at limits.MAX_NICKNAME_CHARS characters.
            session_key: the session's id, for the limit on guessing codes.
            seat: a secret the student's page keeps in its own link (codes.new_token()): joining again with it
                (a reload, a restarted server) is the same member, with its digits, and does not count twice.
                Only its hash is stored.
        Returns:
            The member. Raises ClassError as class_for_code does, or "class_full".
        """
        seat_hash = codes.hash_token(seat) if seat else None
        with self._transaction(write=True) as conn:
            info = self._live_class_locked(conn, self._by_code(conn, code, session_key).id)
            if seat_hash is not None:
                row = conn.execute(
                    sa.select(members).where(members.c.class_id == info.id, members.c.seat_hash == seat_hash)
                ).first()
                if row is not None:
                    return Member(row.id, row.class_id, row.nickname)
            count = conn.scalar(sa.select(sa.func.count()).select_from(members).where(members.c.class_id == info.id))
            if count >= limits.MAX_CLASS_MEMBERS:
                raise ClassError("This class is full.", "class_full", limit=limits.MAX_CLASS_MEMBERS)
            name = _text(nickname, limits.MAX_NICKNAME_CHARS)
            member_id = conn.execute(
                members.insert().values(class_id=info.id, nickname=name, joined_at=self.clock(), seat_hash=seat_hash)
            ).inserted_primary_key[0]
        return Member(member_id, info.id, name)

    def rename(self, member: Member, nickname: str | None) -> Member:
        """Change the member's nickname (stored as given, capped, shown as text); returns the renamed member.

        Raises ClassError "member_unknown", "class_ended" or "class_expired".
        """
        name = _text(nickname, limits.MAX_NICKNAME_CHARS)
        with self._transaction(write=True) as conn:
            self._member_row(conn, member)
            conn.execute(members.update().where(members.c.id == member.id).values(nickname=name))
        return Member(member.id, member.class_id, name)

    def _member_row(self, conn: sa.Connection, member: Member):
        """The member's row in its (live, locked) class; ClassError "member_unknown" if it is gone."""
        self._live_class_locked(conn, member.class_id)
        row = conn.execute(
            sa.select(members).where(members.c.id == member.id, members.c.class_id == member.class_id)
        ).first()
        if row is None:
            raise ClassError("You are no longer in this class; join again.", "member_unknown")
        return row

    def _sent_before(self, conn: sa.Connection, member: Member, send_key: str | None) -> int | None:
        if send_key is None:
            return None
        return conn.scalar(sa.select(digits.c.id).where(digits.c.member_id == member.id, digits.c.send_key == send_key))

    def _check_flood(self, conn: sa.Connection, member: Member, now: float) -> None:
        """ClassError "too_fast" past limits.FLOOD_MAX_DIGITS a window, "class_full" past MAX_CLASS_DIGITS."""
        recent = conn.scalar(
            sa.select(sa.func.count())
            .select_from(digits)
            .where(digits.c.member_id == member.id, digits.c.created_at > now - limits.FLOOD_WINDOW_S)
        )
        if recent >= limits.FLOOD_MAX_DIGITS:
            raise ClassError(
                "You are sending too fast; wait a few seconds.",
                "too_fast",
                limit=limits.FLOOD_MAX_DIGITS,
                window_s=int(limits.FLOOD_WINDOW_S),
            )
        total = conn.scalar(sa.select(sa.func.count()).select_from(digits).where(digits.c.class_id == member.class_id))
        if total >= limits.MAX_CLASS_DIGITS:
            raise ClassError("This class has all the digits it can hold.", "class_full", limit=limits.MAX_CLASS_DIGITS)

    def submit_digit(
        self,
        member: Member,
        image: np.ndarray,
        label: int,
        prediction: int,
        confidence: float,
        send_key: str | None = None,
    ) -> int:
        """Send one digit to the member's class; it is committed when this returns.

        Args:
            member: the sender, as returned by join.
            image: 28 x 28 uint8, 255 = ink (what the model read).
            label: the digit the student meant, 0-9.
            prediction, confidence: what the model read, and its probability.
            send_key: the page's id for this "Send" (e.g. a uuid4 hex), reused when retrying after
                "db_unavailable": a digit already committed under it is found instead of added twice.
        Returns:
            The digit's id. Raises ClassError "bad_digit", "too_fast", "class_full", "member_unknown",
            "class_ended", "class_expired" or DatabaseUnavailable.
        """
        data = _check_digit(image, label, prediction, confidence)
        send_key = None if send_key is None else _text(send_key, 64)
        try:
            with self._transaction(write=True) as conn:
                self._member_row(conn, member)
                earlier = self._sent_before(conn, member, send_key)
                if earlier is not None:
                    return earlier
                now = self.clock()
                self._check_flood(conn, member, now)
                return conn.execute(
                    digits.insert().values(
                        class_id=member.class_id,
                        member_id=member.id,
                        image=data,
                        label=int(label),
                        prediction=int(prediction),
                        confidence=float(confidence),
                        created_at=now,
                        send_key=send_key,
                    )
                ).inserted_primary_key[0]
        except exc.IntegrityError:  # the same send_key committed by a concurrent retry: that digit is this one
            with self._transaction() as conn:
                earlier = self._sent_before(conn, member, send_key)
            if earlier is None:
                raise
            return earlier

    # The wall

    def digits(self, class_id: int) -> list[Digit]:
        """Every digit of the class, in the order sent, with the sender's nickname.

        The wall reads them all on each refresh (a class holds at most limits.MAX_CLASS_DIGITS of 784 bytes):
        polling "ids after the last one seen" could miss a digit whose transaction committed late.
        """
        query = _digits_query(class_id)
        with self._transaction() as conn:
            return [_digit(row) for row in conn.execute(query)]

    def count_digits(self, class_id: int) -> int:
        """How many digits the class has received (and not deleted)."""
        with self._transaction() as conn:
            return conn.scalar(sa.select(sa.func.count()).select_from(digits).where(digits.c.class_id == class_id))

    def count_members(self, class_id: int) -> int:
        """How many students have joined the class."""
        with self._transaction() as conn:
            return conn.scalar(sa.select(sa.func.count()).select_from(members).where(members.c.class_id == class_id))

    def wall(self, class_id: int) -> Wall:
        """The digits and the number of students, read in one transaction so that they agree."""
        query = _digits_query(class_id)
        names = sa.select(members.c.nickname).where(members.c.class_id == class_id).order_by(members.c.id)
        with self._transaction() as conn:
            rows = tuple(_digit(row) for row in conn.execute(query))
            nicknames = tuple(conn.scalars(names))
        return Wall(rows, len(nicknames), nicknames)

    def delete_digit(self, token: str, digit_id: int) -> None:
        """Delete one digit of the teacher's class; ClassError "digit_unknown" if it is not in that class."""
        with self._transaction(write=True) as conn:
            row = self._live(self._teacher_row(conn, token, write=True))
            deleted = conn.execute(digits.delete().where(digits.c.id == digit_id, digits.c.class_id == row.id))
            if deleted.rowcount != 1:
                raise ClassError("There is no such digit in this class.", "digit_unknown", digit_id=digit_id)

    def dataset(self, class_id: int) -> tuple[np.ndarray, np.ndarray]:
        """The class's digits as arrays: images N x 28 x 28 uint8 (255 = ink) and labels N uint8 (the digit meant)."""
        query = sa.select(digits.c.image, digits.c.label).where(digits.c.class_id == class_id).order_by(digits.c.id)
        with self._transaction() as conn:
            rows = conn.execute(query).all()
        images = np.frombuffer(b"".join(row.image for row in rows), dtype=np.uint8).reshape(-1, *IMAGE_SHAPE)
        return images.copy(), np.array([row.label for row in rows], dtype=np.uint8)

    def export_idx(self, class_id: int) -> bytes:
        """The class's digits as a zip of MNIST's two IDX files (export.IMAGES_NAME, export.LABELS_NAME)."""
        return export.idx_zip(*self.dataset(class_id))

    def export_npz(self, class_id: int) -> bytes:
        """The class's digits as an .npz with `images` (N x 28 x 28 uint8) and `labels` (N uint8)."""
        return export.npz_bytes(*self.dataset(class_id))

    # Quick questions

    def ask(self, token: str, text: str, options: list[str], correct: int | None = None) -> int:
        """Put a quick question to the class; it becomes the class's current question.

        Args:
            token: the teacher token.
            text: the question, capped at limits.MAX_QUESTION_CHARS.
            options: 2 to limits.MAX_OPTIONS answers, each capped at limits.MAX_OPTION_CHARS.
            correct: the index of the right option, or None when there is none (a poll).
        Returns:
            The question's id. Raises ClassError "bad_question" or "not_teacher".
        """
        options = [_text(option, limits.MAX_OPTION_CHARS) for option in options]
        if not 2 <= len(options) <= limits.MAX_OPTIONS or (correct is not None and not 0 <= correct < len(options)):
            raise ClassError(
                f"A question needs 2 to {limits.MAX_OPTIONS} options and a right one among them.",
                "bad_question",
                limit=limits.MAX_OPTIONS,
            )
        with self._transaction(write=True, live=True) as conn:
            row = self._live(self._teacher_row(conn, token, write=True))
            return conn.execute(
                questions.insert().values(
                    class_id=row.id,
                    text=_text(text, limits.MAX_QUESTION_CHARS),
                    options=options,
                    correct=correct,
                    revealed=False,
                    created_at=self.clock(),
                )
            ).inserted_primary_key[0]

    def current_question(self, class_id: int) -> Question | None:
        """The class's latest question (revealed or not), or None before the first."""
        with self._transaction() as conn:
            return self._current_question(conn, class_id)

    @staticmethod
    def _current_question(conn: sa.Connection, class_id: int) -> Question | None:
        query = sa.select(questions).where(questions.c.class_id == class_id).order_by(questions.c.id.desc()).limit(1)
        row = conn.execute(query).first()
        if row is None:
            return None
        return Question(row.id, row.text, tuple(row.options), row.correct, bool(row.revealed), row.created_at)

    def answer(self, member: Member, question_id: int, choice: int) -> None:
        """Record the member's answer to an open question; answering again replaces the earlier answer.

        Raises ClassError "question_unknown", "question_closed" (revealed) or "bad_choice".
        """
        with self._transaction(write=True) as conn:
            self._member_row(conn, member)
            row = conn.execute(
                sa.select(questions).where(questions.c.id == question_id, questions.c.class_id == member.class_id)
            ).first()
            if row is None:
                raise ClassError("There is no such question in this class.", "question_unknown")
            if row.revealed:
                raise ClassError("The answer has been revealed; this question is closed.", "question_closed")
            if isinstance(choice, bool) or not isinstance(choice, int) or not 0 <= choice < len(row.options):
                raise ClassError(f"Choose one of the {len(row.options)} options.", "bad_choice")
            mine = (answers.c.question_id == question_id) & (answers.c.member_id == member.id)
            if conn.execute(answers.update().where(mine).values(choice=choice, created_at=self.clock())).rowcount:
                return
            conn.execute(
                answers.insert().values(
                    class_id=member.class_id,
                    question_id=question_id,
                    member_id=member.id,
                    choice=choice,
                    created_at=self.clock(),
                )
            )

    def reveal(self, token: str, question_id: int) -> None:
        """Reveal a question's answer and close it to further answers."""
        with self._transaction(write=True, live=True) as conn:
            row = self._live(self._teacher_row(conn, token, write=True))
            done = conn.execute(
                questions.update()
                .where(questions.c.id == question_id, questions.c.class_id == row.id)
                .values(revealed=True)
            )
            if done.rowcount != 1:
                raise ClassError("There is no such question in this class.", "question_unknown")

    def histogram(self, class_id: int, question_id: int) -> list[int]:
        """How many students chose each option of a question of the class, in the options' order."""
        with self._transaction() as conn:
            options = conn.scalar(
                sa.select(questions.c.options).where(questions.c.id == question_id, questions.c.class_id == class_id)
            )
            if options is None:
                raise ClassError("There is no such question in this class.", "question_unknown")
            rows = conn.execute(
                sa.select(answers.c.choice, sa.func.count())
                .where(answers.c.question_id == question_id)
                .group_by(answers.c.choice)
            ).all()
        counts = [0] * len(options)
        for choice, count in rows:
            counts[choice] += count
        return counts
