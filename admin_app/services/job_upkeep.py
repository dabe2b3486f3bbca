"""下载中心 upkeep, run by the worker (at start, after each job, every ``JOB_MAINTENANCE_SECONDS``) and by
``flask jobs-cleanup``: jobs whose process died are 失败, jobs the queue lost are 失败, expired files removed.

Guarantees: a 进行中 job is failed only when its process is known dead — on this host its pid is gone, or on any
host its heartbeat key (renewed every JOB_STALE_SECONDS / 3 while it runs) has expired; a file is removed only
after its row left 已完成 (已过期), so a download never finds a row without its file. Each step commits alone.
"""

import logging
import os
import socket
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from admin_app.extensions import db
from admin_app.services import jobs, uploads
from admin_app.workflow.states import JobState
from models import Job
from models.org import utcnow

log = logging.getLogger(__name__)


def _pid_alive(pid: int) -> bool:
    """Whether the process runs. A zombie does not: a horse killed with its worker stays one until init reaps it,
    and a worker restarted at once must already see it dead."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            state = stat.read().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return True  # no /proc here: signal 0 answered, so it is there
    return state not in ("Z", "X")


def _dead(job: Job, alive_keys: set, stale: timedelta, now) -> bool:
    host, _, pid = (job.worker or "").rpartition(":")
    if host == socket.gethostname() and pid.isdigit() and not _pid_alive(int(pid)):
        return True
    started = job.started_at or job.created_at
    return job.id not in alive_keys and started < now - stale


def sweep() -> int:
    """Fail the running jobs whose process died and the queued ones the queue lost; how many."""
    from redis import RedisError
    from rq.job import Job as RqJob

    now = utcnow()
    stale = timedelta(seconds=current_app.config["JOB_STALE_SECONDS"])
    running = db.session.scalars(sa.select(Job).where(Job.state == JobState.RUNNING)).all()
    queued = db.session.scalars(
        sa.select(Job).where(Job.state == JobState.QUEUED, Job.created_at < now - stale)
    ).all()
    db.session.rollback()
    connection = jobs.redis_connection()
    try:
        alive = {job.id for job in running if connection.exists(jobs._key(job.id, "alive"))}
        lost = [job for job in queued if not RqJob.exists(jobs.rq_id(job.id), connection=connection)]
    except RedisError:
        log.warning("job sweep: Redis unreachable, nothing decided")
        return 0
    failed = 0
    for job in running:
        if _dead(job, alive, stale, now) and jobs.fail(
            job.id, jobs.died_message(job), sources=(JobState.RUNNING,)
        ):
            log.warning("job %s: its process %s is gone, marked failed", job.id, job.worker)
            failed += 1
    for job in lost:
        failed += jobs.fail(job.id, jobs.lost_message(job), sources=(JobState.QUEUED,))
    return failed


def cleanup() -> int:
    """已完成 jobs past ``expires_at``: 已过期, then their files removed; how many."""
    now = utcnow()
    rows = db.session.execute(
        sa.select(Job.id, Job.stored_name).where(Job.state == JobState.FINISHED, Job.expires_at < now)
    ).all()
    for job_id, stored_name in rows:
        moved = db.session.execute(
            sa.update(Job)
            .where(Job.id == job_id, Job.state == JobState.FINISHED)
            .values(state=JobState.EXPIRED, stored_name=None)
        ).rowcount
        db.session.commit()
        if moved and stored_name:
            uploads.remove(stored_name)
    return len(rows)


def upkeep() -> tuple[int, int]:
    """``sweep`` and ``cleanup``; an error is logged, never raised (the worker keeps working)."""
    try:
        return sweep(), cleanup()
    except Exception:  # noqa: BLE001
        db.session.rollback()
        log.exception("job upkeep failed")
        return 0, 0
