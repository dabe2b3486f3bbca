"""下载中心: long work (large exports, and every kind registered in ``KINDS``) runs as background jobs on Redis
(RQ), as the user who asked; its file is kept for 7 days.

Guarantees:
- ``submit_export`` records a ``Job`` (排队中) and queues it, or raises ``QueueUnavailable`` with nothing left
  queued: a job the queue did not take is 失败 at once with the reason.
- ``run`` (in a worker) takes a job only from 排队中 (a job is never run twice) and hands it to its kind's
  ``produce``: an export replays the export's request as its owner (``as_owner``: the list view's own
  ``filtered_query``, scope, filters, search, sort and columns) and writes the workbook to a temporary file,
  which is put into storage under its final name only when whole; then, in one transaction, the job becomes
  已完成 (with its kind's ``result``, if any) and its owner's unit gets a 站内消息. Any failure leaves 失败 with a
  Chinese message and no file.
- While it runs, progress (rows done / total) and a heartbeat with a time-to-live live in Redis, not in the
  database: SQLite cannot take a write while the export's read is open, and a row rewritten every second would
  be write traffic on the primary for nothing. The totals are written to the row at the start and the end.
- ``sweep`` marks 失败 every 进行中 job whose process is gone (same host: its pid; any host: its heartbeat
  expired) and every 排队中 job the queue lost; ``cleanup`` removes files past their expiry (已过期). The worker
  runs both when it starts, after each job and every ``JOB_MAINTENANCE_SECONDS``; ``flask jobs-cleanup`` too.

State changes are conditional UPDATEs (``UPDATE job SET state = :to WHERE id = :id AND state = :from``): two
processes never both move a job. A job is not a workflow machine (no user decides it, nothing to audit per step).
"""

import contextlib
import glob
import json
import logging
import os
import socket
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, g

from admin_app import limits
from admin_app.extensions import db
from admin_app.services import clock, uploads
from admin_app.services.validators import InvalidInput
from admin_app.workflow.states import JobState
from models import Job, Notification, User
from models.org import utcnow

log = logging.getLogger(__name__)

EXPORT = "export"
FAILED = "导出时发生错误，文件未生成，请稍后重新导出"
DIED = "处理该任务的后台进程意外停止，文件未生成，请重新导出"
LOST = "后台任务服务中断，任务已丢失，文件未生成，请重新导出"
NOT_QUEUED = "后台任务服务不可用，任务未能排队，请稍后重新导出"
NO_ACCESS = "您的账号已停用或已无权查看该列表，未导出"
NO_KIND = "该类后台任务已不再支持，请重新提交"
WORKER_PID = None  # the worker's own pid (flask worker); a job running in another pid is in a forked horse


class QueueUnavailable(Exception):
    """Redis did not answer: no job was queued."""


@dataclass
class Outcome:
    """What a job's ``produce`` made: ``rows`` done, the download's name (without time stamp and suffix), a
    result shown on the job's page (JSON-able: per-row decisions, an import's error table …) and whether a file
    was written to the path it was given."""

    rows: int
    name: str
    result: dict | None = None
    has_file: bool = True


@dataclass(frozen=True)
class Kind:
    """A kind of background job. ``produce(app, job, path, report) -> Outcome`` runs in the worker: it writes
    its file to ``path`` (a temporary file; stored only when it returns) and calls ``report(done, total)`` as it
    goes; it raises InvalidInput for a refusal the user should read (the job ends 失败 with that message).
    ``ready(job, outcome, expires) -> (title, body)`` is the 站内消息 sent when it is done. ``result_template``
    draws ``Outcome.result`` on the job's page in the 下载中心 (its details page, which the 站内消息 links to): it
    is included with ``job`` and ``result`` (the JSON read back)."""

    name: str
    produce: Callable
    suffix: str = ".xlsx"
    content_type: str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    failed: str = "后台任务执行时发生错误，文件未生成，请稍后重试"
    ready: Callable | None = field(default=None)
    # The sweep's message when the job's process died (an import says nothing was imported), or a function of the
    # job that writes it from what the database holds then (a bulk decision counts the rows it decided).
    died: str | Callable[[Job], str] = DIED
    lost: str = LOST  # the sweep's message when the queue lost the job
    result_template: str | None = None
    # What its progress counts (done / total on the 下载中心's bar): 行 of a sheet, 人 or 份 of a batch PDF, 条 …
    measure: str = "行"


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Add a kind of job (once, at import); its ``name`` is stored in ``job.kind``."""
    KINDS[kind.name] = kind
    return kind


def kind_of(job: Job) -> Kind:
    return KINDS[job.kind]


def died_message(job: Job) -> str:
    """What a job whose process died says (its kind's wording, made now when its kind makes it)."""
    died = KINDS[job.kind].died if job.kind in KINDS else DIED
    return died(job) if callable(died) else died


def lost_message(job: Job) -> str:
    return KINDS[job.kind].lost if job.kind in KINDS else LOST


# A job's parameter naming a stored file it reads (an import's upload): removed once the job has ended, whichever
# way (finished, refused, failed, found dead by the sweep, never queued).
INPUT = "input"


def input_of(job: Job) -> str | None:
    return json.loads(job.parameters or "{}").get(INPUT)


def queue_down_message(threshold: int) -> str:
    return (
        f"后台任务服务暂时不可用，超过{threshold:,}行的导出暂时无法进行。"
        f"请用组合查询缩小范围（{threshold:,}行以内可直接导出），或稍后再试。"
    )


# --- Redis -------------------------------------------------------------------------------------------------
def redis_connection():
    """This app's Redis for jobs (short timeouts: a page that asks must not hang when Redis is down)."""
    extensions = current_app.extensions
    if "gk_jobs_redis" not in extensions:
        from redis import Redis

        extensions["gk_jobs_redis"] = Redis.from_url(
            current_app.config["JOBS_REDIS_URL"], socket_connect_timeout=2, socket_timeout=5
        )
    return extensions["gk_jobs_redis"]


def queue():
    from rq import Queue

    return Queue(current_app.config["JOB_QUEUE"], connection=redis_connection())


def _key(job_id: int, what: str) -> str:
    return f"{current_app.config['JOB_QUEUE']}:job:{job_id}:{what}"


def rq_id(job_id: int) -> str:
    return f"{current_app.config['JOB_QUEUE']}-job-{job_id}"


def progress(ids) -> dict:
    """{job id: (rows done, total)} of running jobs, from Redis; {} when Redis does not answer."""
    from redis import RedisError

    ids = list(ids)
    if not ids:
        return {}
    try:
        pipe = redis_connection().pipeline()
        for job_id in ids:
            pipe.hmget(_key(job_id, "progress"), "done", "total")
        answers = pipe.execute()
    except RedisError:
        return {}
    return {
        i: (int(d), int(t)) for i, (d, t) in zip(ids, answers, strict=True) if d is not None and t is not None
    }


# --- state changes -----------------------------------------------------------------------------------------
def _move(job_id: int, sources: tuple, target: JobState, **values) -> bool:
    """The job moved from one of ``sources`` to ``target`` (with ``values``), committed; False if it was elsewhere."""
    moved = db.session.execute(
        sa.update(Job).where(Job.id == job_id, Job.state.in_(sources)).values(state=target, **values)
    ).rowcount
    db.session.commit()
    return bool(moved)


def temp_prefix(job_id: int) -> str:
    """The start of the name of a job's temporary file on its host: with the queue's name, as two installations
    (or two test runs) on one host number their jobs alike and must not remove each other's files."""
    return f"gk-job-{current_app.config['JOB_QUEUE']}-{job_id}-"


def stored_name_of(job: Job) -> str:
    """Where a job's file is stored: known from the job alone, so that a job failed after its file was stored
    (its process killed before the row said 已完成) leaves no file behind. Served only through the row's scope."""
    suffix = KINDS[job.kind].suffix if job.kind in KINDS else ".xlsx"
    return f"downloads/{job.owner_id}/{job.id}{suffix}"


def fail(job_id: int, message: str, sources=(JobState.QUEUED, JobState.RUNNING)) -> bool:
    """失败 with ``message``; the job's file, stored or temporary on this host, is removed."""
    db.session.rollback()
    moved = _move(job_id, sources, JobState.FAILED, error=message[:500], finished_at=utcnow())
    job = db.session.get(Job, job_id)
    if moved and job is not None:
        uploads.remove(stored_name_of(job))
        if input_of(job):
            uploads.remove(input_of(job))
    for path in glob.glob(os.path.join(tempfile.gettempdir(), f"{temp_prefix(job_id)}*")):
        with contextlib.suppress(OSError):
            os.remove(path)
    return moved


# --- the web side ------------------------------------------------------------------------------------------
def submit_export(actor, endpoint: str, title: str, path: str, args) -> Job:
    """Record and queue an export of list ``endpoint`` as ``actor`` sees it (``path`` and ``args``: the
    export's request). Raises QueueUnavailable when Redis does not answer (the row, if written, is 失败)."""
    return submit(actor, EXPORT, title, request_parameters(actor, endpoint, path, args))


def request_parameters(actor, endpoint: str, path: str, args, **more) -> dict:
    """The parameters of a job that replays a request of view ``endpoint`` as its owner (``as_owner``). ``args`` is
    the query string (the list's 组合查询) only: the endpoints that queue are POSTs whose CSRF token travels in the
    form body, so no token is stored in the job, and the replay needs none (it dispatches nothing)."""
    return {"endpoint": endpoint, "path": path, "args": args.to_dict(flat=False), "address": actor.ip, **more}


def submit(actor, kind: str, title: str, parameters: dict) -> Job:
    """Record a job of ``kind`` for ``actor`` (排队中) and queue it. Raises QueueUnavailable when Redis does not
    answer (the row, if written, is 失败 with the reason). The caller's session is committed."""
    from redis import RedisError

    assert kind in KINDS, kind
    try:
        redis_connection().ping()
    except RedisError as exc:
        raise QueueUnavailable from exc
    job = Job(
        owner_id=actor.user.id,
        kind=kind,
        title=title[:100],
        parameters=json.dumps(parameters, ensure_ascii=False),
        state=JobState.QUEUED,
        rows_done=0,
        created_at=actor.now,
        expires_at=actor.now + timedelta(days=limits.DOWNLOAD_KEEP_DAYS),
    )
    db.session.add(job)
    db.session.commit()
    try:
        queue().enqueue(
            run,
            job.id,
            job_id=rq_id(job.id),
            job_timeout=current_app.config["JOB_TIMEOUT_SECONDS"],
            result_ttl=3600,
            failure_ttl=7 * 86400,
        )
    except RedisError as exc:
        fail(job.id, NOT_QUEUED)
        raise QueueUnavailable from exc
    return job


# --- the worker side ---------------------------------------------------------------------------------------
class _Heartbeat(threading.Thread):
    """While a job runs: its ``alive`` key in Redis, renewed well within JOB_STALE_SECONDS."""

    def __init__(self, app, job_id: int):
        super().__init__(daemon=True)
        self.connection, self.key = redis_connection(), _key(job_id, "alive")
        self.ttl = max(3, app.config["JOB_STALE_SECONDS"])
        self.stopped = threading.Event()

    def run(self):
        from redis import RedisError

        while not self.stopped.is_set():
            with contextlib.suppress(RedisError):
                self.connection.set(self.key, "1", ex=self.ttl)
            self.stopped.wait(self.ttl / 3)

    def stop(self):
        self.stopped.set()
        with contextlib.suppress(Exception):
            self.connection.delete(self.key)


def _fresh_connections() -> None:
    """In a forked work horse, the parent's pooled connections are not ours to use: start new ones."""
    if WORKER_PID is not None and os.getpid() != WORKER_PID:
        for engine in db.engines.values():
            engine.dispose(close=False)


def run(job_id: int) -> None:
    """The RQ task: carry out job ``job_id`` if it is still 排队中 (see the module's guarantees)."""
    app = current_app._get_current_object()
    _fresh_connections()
    me = f"{socket.gethostname()}:{os.getpid()}"
    now = utcnow()
    if not _move(job_id, (JobState.QUEUED,), JobState.RUNNING, worker=me, started_at=now, heartbeat_at=now):
        return
    beat = _Heartbeat(app, job_id)
    beat.start()
    job = db.session.get(Job, job_id)
    kind, source = KINDS.get(job.kind), input_of(job)
    handle, path = tempfile.mkstemp(prefix=temp_prefix(job_id), suffix=f"{kind.suffix if kind else ''}.part")
    os.close(handle)
    try:
        if kind is None:
            raise InvalidInput(NO_KIND)
        outcome = kind.produce(app, job, path, _reporter(job))
        stored_name = stored_name_of(job) if outcome.has_file else None
        if stored_name:
            uploads.remove(
                stored_name
            )  # only this job (claimed once) owns the name: a file there is left over
            uploads.storage().save_file(stored_name, path, kind.content_type)
        _finish(job, kind, outcome, stored_name, os.path.getsize(path) if stored_name else None)
    except InvalidInput as exc:
        fail(job_id, str(exc))
    except Exception:  # noqa: BLE001 - whatever went wrong, the job ends 失败 and the cause is logged
        log.exception("job %s failed", job_id)
        fail(job_id, kind.failed if kind else FAILED)
    finally:
        beat.stop()
        with contextlib.suppress(OSError):
            os.remove(path)
        if source:  # the job has ended (已完成 or 失败): its input is no longer needed
            uploads.remove(source)
        with contextlib.suppress(Exception):
            redis_connection().delete(_key(job_id, "progress"))


def _reporter(job: Job):
    """``report(done, total)``: the total on the row at the start (done == 0), the progress in Redis."""
    connection, key = redis_connection(), _key(job.id, "progress")

    def report(done: int, total: int) -> None:
        if done == 0:
            db.session.execute(sa.update(Job).where(Job.id == job.id).values(rows_total=total))
            db.session.commit()
        connection.hset(key, mapping={"done": done, "total": total})
        connection.expire(key, 86400)

    return report


@contextlib.contextmanager
def as_owner(app, job: Job):
    """Inside a replay of the job's request (``request_parameters``) as its owner: yields the view it named.
    Raises InvalidInput(NO_ACCESS) when the owner is gone, disabled or no longer reaches the view."""
    parameters = json.loads(job.parameters)
    view = next((v for v in app.extensions["admin"][0]._views if v.endpoint == parameters["endpoint"]), None)
    owner = db.session.get(User, job.owner_id)
    environ = {"REMOTE_ADDR": parameters.get("address") or "127.0.0.1"}
    with app.test_request_context(
        parameters["path"],
        method=_route_method(app, parameters["path"]),
        base_url=parameters.get("base_url"),  # the host the request came to (links printed in a document)
        query_string=parameters["args"],
        environ_base=environ,
    ):
        g._login_user = owner  # flask_login's current_user: the list's scope is the owner's
        if view is None or owner is None or not view.is_accessible():
            raise InvalidInput(NO_ACCESS)
        yield view


def _route_method(app, path: str) -> str:
    """The method the replay uses: GET where the path's route takes it, else POST (the buttons that queue a job
    are forms). The replayed request must match its route — or ``request.blueprint`` is unknown and a document's
    ``url_for('.…')`` fails; nothing is dispatched, so no CSRF token is needed."""
    from werkzeug.exceptions import MethodNotAllowed, NotFound

    adapter = app.url_map.bind("localhost")
    try:
        adapter.match(path, method="GET")
    except MethodNotAllowed:
        return "POST"
    except NotFound:
        pass
    return "GET"


def _export(app, job: Job, path: str, report) -> Outcome:
    """Replay the export's request as its owner and write the workbook to ``path``."""
    with as_owner(app, job) as view:
        rows, name = view.export_to_file(path, report)
    return Outcome(rows=rows, name=name)


def ready_message(
    title: str,
    expires,
    *,
    count: int | None = None,
    measure: str = "行",
    who: str | None = None,
    done: str = "已生成",
) -> str:
    """The 站内消息 text of a job whose file is ready: what it is, how much it holds, that the 下载中心 has it and
    until when (Beijing time). With ``who`` (an export): "张三导出的“…”（1,234行）已生成，…"; else
    "“…”已生成（12人），…" (``count`` left out when None); ``done`` is the verb (a generic job 已完成)."""
    if who is not None:
        what = f"{who}导出的“{title}”（{count:,}{measure}）{done}"
    else:
        what = f"“{title}”{done}" + (f"（{count}{measure}）" if count is not None else "")
    return f"{what}，请在下载中心下载，保留至{clock.format_beijing(expires)}"


def _export_ready(job: Job, outcome: Outcome, expires) -> tuple[str, str]:
    owner = job.owner
    return "导出文件已生成", ready_message(
        job.title, expires, count=outcome.rows, who=owner.full_name or owner.username
    )


register(Kind(EXPORT, _export, content_type=uploads.XLSX_TYPE, failed=FAILED, ready=_export_ready))


def _default_ready(job: Job, outcome: Outcome, expires) -> tuple[str, str]:
    if outcome.has_file:
        return "后台任务已完成", ready_message(job.title, expires, done="已完成")
    return "后台任务已完成", f"“{job.title}”已完成，请在下载中心查看结果"


def _finish(job: Job, kind: Kind, outcome: Outcome, stored_name: str | None, size: int | None) -> None:
    """已完成 and the 站内消息, in one transaction; the stored file is removed if that fails."""
    now = utcnow()
    expires = now + timedelta(days=limits.DOWNLOAD_KEEP_DAYS)
    rows = outcome.rows
    download_name = f"{outcome.name}_{clock.to_beijing(now):%Y%m%d%H%M}{kind.suffix}" if stored_name else None
    try:
        moved = db.session.execute(
            sa.update(Job)
            .where(Job.id == job.id, Job.state == JobState.RUNNING)
            .values(
                state=JobState.FINISHED,
                rows_done=rows,
                rows_total=rows,
                stored_name=stored_name,
                download_name=download_name,
                size=size,
                result=json.dumps(outcome.result, ensure_ascii=False) if outcome.result is not None else None,
                finished_at=now,
                expires_at=expires,
            )
        ).rowcount
        if moved:
            owner = db.session.get(User, job.owner_id)
            title, body = (kind.ready or _default_ready)(job, outcome, expires)
            db.session.add(
                Notification(
                    organisation_id=owner.organisation_id,
                    kind="download_ready",
                    title=title[:100],
                    body=body[: limits.MESSAGE],
                    target="downloads",
                    object_id=job.id,
                    created_at=now,
                )
            )
        db.session.commit()
    except Exception:
        db.session.rollback()
        if stored_name:
            uploads.remove(stored_name)
        raise
    if not moved and stored_name:  # failed meanwhile (a sweep that took it for dead): its file must not stay
        uploads.remove(stored_name)
