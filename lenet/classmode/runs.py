"""The training queue every replica shares: run records in the class-mode database (table `runs`).

One database holds a lesson's classes and the server's runs, so a deployment has one thing to back up and one
URL to set (`LENET_DATABASE_URL`, else the SQLite file in `LENET_STATE_DIR`), and one Alembic history
(migrations/0002_runs.py). `RunStore` wraps an open `Store` and speaks plain dicts; lenet.jobs turns them into
`RunView`s. Every call is one committed transaction. The decisions that must hold across replicas (one
active run per owner, the queue's length, how many runs train at once, first come first served) are taken
inside one writing transaction each: SQLite's write lock (BEGIN IMMEDIATE), PostgreSQL's advisory lock.
"""

from __future__ import annotations

import sqlalchemy as sa

from lenet.classmode.schema import runs
from lenet.classmode.store import ClassError, Store

ACTIVE = ("queued", "running")
_QUEUE_LOCK = 0x1E7E8  # PostgreSQL advisory lock key for the queue's decisions
LIST_LIMIT = 200  # the newest runs listed on the Train page


class RunStoreError(ClassError):
    """A run the shared queue refuses ("already_running", "queue_full")."""


class RunStore:
    """The `runs` table of a class-mode database; thread-safe, as `Store` is."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _write(self):
        return self.store._transaction(write=True)

    @staticmethod
    def _lock(conn: sa.Connection) -> None:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _QUEUE_LOCK})

    def add(self, row: dict, max_queued: int) -> None:
        """Queue a run, unless its owner has an active run or the queue is full (RunStoreError)."""
        with self._write() as conn:
            self._lock(conn)
            mine = conn.execute(
                sa.select(runs.c.name, runs.c.status).where(runs.c.owner == row["owner"], runs.c.status.in_(ACTIVE))
            ).first()
            if mine is not None:
                raise RunStoreError(
                    f"you already have a run ({mine.name}) {mine.status}",
                    "already_running",
                    name=mine.name,
                    status=mine.status,
                )
            queued = conn.scalar(sa.select(sa.func.count()).select_from(runs).where(runs.c.status == "queued"))
            if queued >= max_queued:
                raise RunStoreError(
                    f"the queue is full ({max_queued} runs); try again later", "queue_full", max=max_queued
                )
            conn.execute(runs.insert().values(**row))

    def claim(self, run_id: str, replica: str, max_running: int, live_after: float, now: float) -> str:
        """Start a queued run if a slot is free across every replica and no live run queued before it waits.

        Returns:
            "started", "wait", or "gone" (it is no longer queued: stopped from another replica).
        """
        with self._write() as conn:
            self._lock(conn)
            row = conn.execute(sa.select(runs.c.status, runs.c.created_at).where(runs.c.id == run_id)).first()
            if row is None or row.status != "queued":
                return "gone"
            running = conn.scalar(sa.select(sa.func.count()).select_from(runs).where(runs.c.status == "running"))
            earlier = conn.scalar(
                sa.select(sa.func.count())
                .select_from(runs)
                .where(runs.c.status == "queued", runs.c.created_at < row.created_at, runs.c.updated_at >= live_after)
            )
            if running >= max_running or earlier:
                return "wait"
            conn.execute(
                runs.update()
                .where(runs.c.id == run_id)
                .values(status="running", started_at=now, updated_at=now, replica=replica)
            )
            return "started"

    def update(self, run_id: str, **values) -> None:
        """Change a run's row (progress, the end)."""
        with self._write() as conn:
            conn.execute(runs.update().where(runs.c.id == run_id).values(**values))

    def touch(self, replica: str, now: float) -> list[str]:
        """The replica's sign of life on its active runs; returns those of them asked to stop (from any replica)."""
        with self._write() as conn:
            conn.execute(
                runs.update().where(runs.c.replica == replica, runs.c.status.in_(ACTIVE)).values(updated_at=now)
            )
            return list(
                conn.execute(
                    sa.select(runs.c.id).where(
                        runs.c.replica == replica, runs.c.status.in_(ACTIVE), runs.c.stop_requested.is_(True)
                    )
                ).scalars()
            )

    def request_stop(self, run_id: str, keep: bool | None, now: float) -> dict | None:
        """Ask a run to stop: a queued one ends here and now, a running one is stopped by its replica."""
        with self._write() as conn:
            row = conn.execute(sa.select(runs).where(runs.c.id == run_id)).mappings().first()
            if row is None or row["status"] not in ACTIVE:
                return dict(row) if row is not None else None
            values = {"stop_requested": True}
            if keep is not None:
                values["keep_on_stop"] = keep
            if row["status"] == "queued":
                values |= {"status": "stopped", "ended_at": now}
            conn.execute(runs.update().where(runs.c.id == run_id).values(**values))
            return {**row, **values}

    def take_over(self, run_id: str, replica: str, lost_before: float, now: float) -> bool:
        """Make `replica` the driver of a run whose replica has gone silent; False when another was faster."""
        with self._write() as conn:
            done = conn.execute(
                runs.update()
                .where(runs.c.id == run_id, runs.c.status.in_(ACTIVE), runs.c.updated_at < lost_before)
                .values(replica=replica, updated_at=now)
            )
            return done.rowcount == 1

    def lost(self, lost_before: float) -> list[dict]:
        """Active runs whose replica has not shown a sign of life since `lost_before`."""
        with self.store._transaction() as conn:
            rows = conn.execute(sa.select(runs).where(runs.c.status.in_(ACTIVE), runs.c.updated_at < lost_before))
            return [dict(r) for r in rows.mappings()]

    def get(self, run_id: str) -> dict | None:
        with self.store._transaction() as conn:
            row = conn.execute(sa.select(runs).where(runs.c.id == run_id)).mappings().first()
            return dict(row) if row is not None else None

    def list(self, owner: str | None = None, limit: int = LIST_LIMIT) -> list[dict]:
        """The newest runs (of one owner, or everyone's), newest first."""
        query = sa.select(runs).order_by(runs.c.created_at.desc()).limit(limit)
        if owner is not None:
            query = query.where(runs.c.owner == owner)
        with self.store._transaction() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def queue(self) -> list[str]:
        """The queued runs' ids, first come first."""
        with self.store._transaction() as conn:
            query = sa.select(runs.c.id).where(runs.c.status == "queued").order_by(runs.c.created_at)
            return list(conn.execute(query).scalars())
