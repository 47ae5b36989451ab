"""The ledger of recurring job runs and the queue of delayed tasks (a mixin of :class:`Store`).

Exactly-once comes from here, not from the scheduler: a run is one ``JobRun`` row per job and
period, created by INSERT … ON CONFLICT DO NOTHING, and a delayed task is taken by a conditional
UPDATE. Whoever wins the row runs the work; every other process, thread or restart sees the row
and does nothing. A process that dies while running leaves its row ``running`` with a lease in
the past; the next claim after the lease re-takes it (``attempts`` + 1).

Claims commit on their own (they refuse to join a unit of work): another process must see the
claim before the work starts, and a claim rolled back with the caller's transaction would let
two processes run the same period.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select, update

from skills_db.storage.database import Database, insert_ignoring_duplicates
from skills_db.storage.models import DelayedTask, JobRun, utcnow

RUN_FINISHED = ("done", "failed", "skipped")
TASK_FINISHED = ("done", "failed", "cancelled")


@dataclass(frozen=True)
class RunState:
    """What the ledger says of one period of a job, read without taking anything."""

    status: str
    owner: str
    lease_until: datetime | None
    attempts: int

    @property
    def finished(self) -> bool:
        return self.status in RUN_FINISHED

    def lease_expired(self, now: datetime) -> bool:
        # The same test as the conditional UPDATE of claim_run: strictly before now.
        return self.status == "running" and (self.lease_until is None or self.lease_until < now)


def _run_is(job: str, period: str) -> sa.ColumnElement[bool]:
    return sa.and_(col(JobRun.job) == job, col(JobRun.period) == period)


def _run_held(job: str, period: str, owner: str) -> sa.ColumnElement[bool]:
    """The run is still ``owner``'s, and still running: renewing or finishing it is theirs."""
    return sa.and_(_run_is(job, period), col(JobRun.owner) == owner, col(JobRun.status) == "running")


def _task_held(task_id: int, owner: str) -> sa.ColumnElement[bool]:
    """The task is still ``owner``'s, and still running."""
    return sa.and_(
        col(DelayedTask.id) == task_id, col(DelayedTask.owner) == owner, col(DelayedTask.status) == "running"
    )


def _task_claimable(now: datetime) -> sa.ColumnElement[bool]:
    """Due, and pending or taken by a process whose lease ran out (it died or hung up).

    Due in both cases: a console script resumed after a crash replays its clock from the start,
    so a task its predecessor took at a later time must wait for that time again, not run early.
    """
    return sa.and_(
        col(DelayedTask.due_at) <= now,
        sa.or_(
            col(DelayedTask.status) == "pending",
            sa.and_(col(DelayedTask.status) == "running", col(DelayedTask.lease_until) < now),
        ),
    )


class JobQueries(Database):
    def _committing_alone(self, what: str) -> None:
        if self.in_unit_of_work:
            raise RuntimeError(
                f"{what} commits on its own so that other processes see it at once; "
                "call it outside a unit of work"
            )

    # -- recurring jobs ----------------------------------------------------------------------

    def run_state(self, job: str, period: str) -> RunState | None:
        with self.session() as session:
            row = session.exec(
                select(JobRun.status, JobRun.owner, JobRun.lease_until, JobRun.attempts).where(
                    _run_is(job, period)
                )
            ).first()
            return None if row is None else RunState(*row)

    def claim_run(self, job: str, period: str, owner: str, now: datetime, lease: timedelta) -> bool:
        """Take this period of the job for ``owner``: True for exactly one caller per period.

        A row left ``running`` by a process whose lease expired is taken over (attempts + 1).
        Commits before returning.
        """
        self._committing_alone("claim_run")
        until = now + lease
        row = {
            "job": job,
            "period": period,
            "status": "running",
            "owner": owner,
            "lease_until": until,
            "attempts": 1,
            "started_at": now,
            "finished_at": None,
            "detail": "",
        }
        with self.session() as session:
            if insert_ignoring_duplicates(session, JobRun, row):
                return True
            # Conditional: of two processes finding the same expired lease, the second one's
            # UPDATE matches nothing (PostgreSQL re-checks the WHERE after the first commits;
            # SQLite runs one writer at a time).
            result = session.exec(
                update(JobRun)
                .where(
                    _run_is(job, period),
                    col(JobRun.status) == "running",
                    col(JobRun.lease_until) < now,
                )
                .values(owner=owner, lease_until=until, attempts=col(JobRun.attempts) + 1, started_at=now)
            )
            return result.rowcount == 1

    def renew_run(self, job: str, period: str, owner: str, now: datetime, lease: timedelta) -> bool:
        """Extend the lease of a run still in flight; False when it is no longer ours."""
        with self.session() as session:
            result = session.exec(
                update(JobRun).where(_run_held(job, period, owner)).values(lease_until=now + lease)
            )
            return result.rowcount == 1

    def finish_run(
        self, job: str, period: str, owner: str, status: str, detail: str = "", *, at: datetime | None = None
    ) -> bool:
        """Record the outcome (done or failed); False when the run was taken over meanwhile."""
        if status not in ("done", "failed"):
            raise ValueError(f"a run finishes done or failed, not {status!r}")
        with self.session() as session:
            result = session.exec(
                update(JobRun)
                .where(_run_held(job, period, owner))
                .values(status=status, detail=detail, finished_at=at or utcnow(), lease_until=None)
            )
            return result.rowcount == 1

    def record_skipped(self, job: str, period: str, now: datetime, detail: str = "") -> bool:
        """Mark a period that will never run; True only for the caller that recorded it."""
        row = {
            "job": job,
            "period": period,
            "status": "skipped",
            "owner": "",
            "lease_until": None,
            "attempts": 0,
            "started_at": now,
            "finished_at": now,
            "detail": detail,
        }
        with self.session() as session:
            return insert_ignoring_duplicates(session, JobRun, row)

    def abandon_run(self, job: str, period: str, now: datetime, detail: str) -> bool:
        """Fail a run whose process died and which is now too late to run again."""
        with self.session() as session:
            result = session.exec(
                update(JobRun)
                .where(
                    _run_is(job, period),
                    col(JobRun.status) == "running",
                    col(JobRun.lease_until) < now,
                )
                .values(status="failed", detail=detail, finished_at=now, lease_until=None)
            )
            return result.rowcount == 1

    def job_run(self, job: str, period: str) -> JobRun | None:
        with self.session() as session:
            return session.get(JobRun, (job, period))

    def job_runs(self, job: str | None = None, limit: int = 50) -> list[JobRun]:
        """The latest runs, newest first (for the console and for tests)."""
        query = select(JobRun)
        if job is not None:
            query = query.where(col(JobRun.job) == job)
        with self.session() as session:
            return list(session.exec(query.order_by(col(JobRun.started_at).desc()).limit(limit)).all())

    # -- delayed tasks -----------------------------------------------------------------------

    def schedule_task(
        self,
        kind: str,
        key: str,
        due_at: datetime,
        payload: dict[str, Any] | None = None,
        *,
        now: datetime | None = None,
    ) -> bool:
        """Work to do at ``due_at``; False when a task with this key already exists.

        Joins the caller's unit of work: the task exists if and only if what asked for it
        committed.
        """
        row = {
            "kind": kind,
            "key": key,
            "payload": payload or {},
            "due_at": due_at,
            "status": "pending",
            "owner": "",
            "lease_until": None,
            "attempts": 0,
            "created_at": now or utcnow(),
            "done_at": None,
        }
        with self.session() as session:
            return insert_ignoring_duplicates(session, DelayedTask, row)

    def prune_jobs(self, before: datetime) -> int:
        """Forget delayed tasks finished before ``before`` and job runs started before it.

        Safe for exactly-once: a finished task's key is never scheduled again (each names its
        ask, need or period), and a period that old is beyond every job's grace.
        """
        finished = ("done", "cancelled", "failed")
        with self.session() as session:
            tasks = session.execute(
                sa.delete(DelayedTask).where(
                    col(DelayedTask.status).in_(finished), col(DelayedTask.done_at) < before
                )
            )
            runs = session.execute(
                sa.delete(JobRun).where(col(JobRun.status) != "running", col(JobRun.started_at) < before)
            )
            return int(getattr(tasks, "rowcount", 0) or 0) + int(getattr(runs, "rowcount", 0) or 0)

    def release_leases(self, now: datetime) -> int:
        """End every running lease at ``now``, as if its holder had just died; how many.

        Only for a process that knows it is alone on its database and that its predecessors are
        gone: a console on a clock that stands still (``--clock-at``), where a lease measured on
        that clock would never run out. Nothing is redone by this alone: a job run or a task is
        taken over by the next claim, as after any lease.
        """
        expired = now - timedelta(microseconds=1)
        with self.session() as session:
            runs = session.execute(
                sa.update(JobRun).where(col(JobRun.status) == "running").values(lease_until=expired)
            )
            tasks = session.execute(
                sa.update(DelayedTask).where(col(DelayedTask.status) == "running").values(lease_until=expired)
            )
            return int(getattr(runs, "rowcount", 0) or 0) + int(getattr(tasks, "rowcount", 0) or 0)

    def cancel_task(self, key: str, *, at: datetime | None = None) -> bool:
        """Cancel a task not yet taken; False when there is none pending under this key."""
        with self.session() as session:
            result = session.exec(
                update(DelayedTask)
                .where(col(DelayedTask.key) == key, col(DelayedTask.status) == "pending")
                .values(status="cancelled", done_at=at or utcnow())
            )
            return result.rowcount == 1

    def get_task(self, key: str) -> DelayedTask | None:
        with self.session() as session:
            return session.exec(select(DelayedTask).where(col(DelayedTask.key) == key)).first()

    def next_task_due(self, now: datetime, kinds: Collection[str] | None = None) -> datetime | None:
        """The due time of the first task :meth:`claim_due_tasks` would take at ``now``."""
        query = sa.select(sa.func.min(col(DelayedTask.due_at))).where(_task_claimable(now))
        if kinds is not None:
            query = query.where(col(DelayedTask.kind).in_(list(kinds)))
        with self.session() as session:
            # min() takes the column's type, so the value comes back an aware UTC datetime.
            value: datetime | None = session.execute(query).scalar()
            return value

    def claim_due_tasks(
        self,
        now: datetime,
        owner: str,
        lease: timedelta,
        limit: int,
        *,
        kinds: Collection[str] | None = None,
    ) -> list[DelayedTask]:
        """Take up to ``limit`` due tasks for ``owner``, earliest due first; commits at once.

        Each row is taken by its own conditional UPDATE, so of two processes reading the same
        candidates each task goes to one of them. Rows are updated in (due_at, id) order by
        everyone, so the row locks of two claimers never wait on each other in a cycle.
        """
        self._committing_alone("claim_due_tasks")
        if limit <= 0:
            return []
        query = select(DelayedTask.id).where(_task_claimable(now))
        if kinds is not None:
            query = query.where(col(DelayedTask.kind).in_(list(kinds)))
        query = query.order_by(col(DelayedTask.due_at), col(DelayedTask.id)).limit(limit)
        with self.session() as session:
            taken: list[int] = []
            for task_id in session.exec(query).all():
                result = session.exec(
                    update(DelayedTask)
                    .where(col(DelayedTask.id) == task_id, _task_claimable(now))
                    .values(
                        status="running",
                        owner=owner,
                        lease_until=now + lease,
                        attempts=col(DelayedTask.attempts) + 1,
                    )
                )
                if result.rowcount == 1 and task_id is not None:
                    taken.append(task_id)
            if not taken:
                return []
            rows = session.exec(
                select(DelayedTask)
                .where(col(DelayedTask.id).in_(taken))
                .order_by(col(DelayedTask.due_at), col(DelayedTask.id))
            ).all()
            return list(rows)

    def renew_task(self, task_id: int, owner: str, now: datetime, lease: timedelta) -> bool:
        with self.session() as session:
            result = session.exec(
                update(DelayedTask).where(_task_held(task_id, owner)).values(lease_until=now + lease)
            )
            return result.rowcount == 1

    def finish_task(self, task_id: int, owner: str, status: str, *, at: datetime | None = None) -> bool:
        """Record a task done or failed; False when it was taken over meanwhile."""
        if status not in ("done", "failed"):
            raise ValueError(f"a task finishes done or failed, not {status!r}")
        with self.session() as session:
            result = session.exec(
                update(DelayedTask)
                .where(_task_held(task_id, owner))
                .values(status=status, done_at=at or utcnow(), lease_until=None)
            )
            return result.rowcount == 1

    def give_up_tasks(self, now: datetime, max_attempts: int) -> list[DelayedTask]:
        """Fail the tasks taken ``max_attempts`` times by processes that all died running them.

        Without this, a task that kills its process would be re-taken, and kill the next one,
        forever.
        """
        stuck = sa.and_(
            col(DelayedTask.status) == "running",
            col(DelayedTask.lease_until) < now,
            col(DelayedTask.attempts) >= max_attempts,
        )
        with self.session() as session:
            rows = list(session.exec(select(DelayedTask).where(stuck)).all())
            failed: list[DelayedTask] = []
            for row in rows:
                result = session.exec(
                    update(DelayedTask)
                    .where(col(DelayedTask.id) == row.id, stuck)
                    .values(status="failed", done_at=now, lease_until=None)
                )
                if result.rowcount == 1:
                    failed.append(row)
            return failed
