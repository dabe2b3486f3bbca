"""Imports (附表5 考生信息, 成绩导入) whose sheet holds more than ``IMPORT_JOB_ROWS`` rows, as background jobs
(``services/jobs``) that end exactly as the import in the request does.

Guarantees:
- The request checks the upload within the import's ``SheetLimits`` before any work (size, type, structure, the
  rows counted without building a cell: ``spreadsheets.count_rows``); only above the threshold is the file stored
  (``job-inputs/…``, named in the job's parameters as its ``jobs.INPUT``) and a job queued. Below it nothing changes.
- One import at a time per scope — a unit's 附表5 (its registrations), a batch's scores: while one is 排队中 or
  进行中, another (in the request or as a job) is refused with a Chinese message naming it (``refuse_if_running``).
  The check is a read, not a lock: two submitted at the same instant both run, and then the engine's conditional
  UPDATE keeps the outcome right (the second finds the rows moved and saves nothing).
- The job runs as its owner (``jobs.as_owner``: the owner still active and reaching the list; the services get an
  explicit ``Actor`` built from the owner and the address of the upload), so its scope is exactly the uploader's:
  附表5 matches the owner's unit's registrations, 成绩导入 requires the owner to be 市职鉴中心.
- It reads, checks (progress: rows checked / rows, every ``IMPORT_PROGRESS_EVERY`` rows) and then commits all or
  nothing in one transaction through the same services as the request (``candidate_import.check_rows`` +
  ``workflow.register_imported``; ``score_import.import_scores``). Its ``Outcome.result`` is what the import page
  shows: the counts, or the problems (the first ``PROBLEMS_SHOWN``, and how many) — then nothing was saved and the
  marked copy is the job's file in the 下载中心. The 站内消息 says which, and links to the job's page.
- A job killed mid-way never committed: the sweep ends it 失败 with ``DIED``; its upload is removed whichever way it
  ends (``jobs.run``/``jobs.fail``).
"""

import json
import secrets

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from admin_app import limits
from admin_app.actor import Actor
from admin_app.extensions import db
from admin_app.services import clock, jobs, spreadsheets, uploads
from admin_app.services.sheet_import import ImportRefused, Problem
from admin_app.services.spreadsheets import SheetLimits
from admin_app.services.validators import InvalidInput
from admin_app.workflow.states import JobState
from models import ExamBatch, Job, User

CANDIDATES, SCORES = "candidate_import", "score_import"
DIED = "处理该任务的后台进程意外停止，未导入任何数据，请重新导入"
LOST = "后台任务服务中断，任务已丢失，未导入任何数据，请重新导入"
FAILED = "导入时发生错误，未导入任何数据，请稍后重新导入"
GONE = "上传的文件已不存在，未导入任何数据，请重新导入"


def queue_down_message(threshold: int) -> str:
    return (
        f"后台任务服务暂时不可用，超过{threshold:,}行的文件暂时无法导入，未导入任何数据。"
        f"请分批导入（每次{threshold:,}行以内可直接导入），或稍后再试。"
    )


def rows_of(data: bytes, sheet_limits: SheetLimits) -> int:
    """The rows of the upload's largest sheet (counted within ``sheet_limits``, no cell built), to compare with
    ``IMPORT_JOB_ROWS``. Raises ImportRefused (Chinese) where reading would refuse the file as a whole."""
    return spreadsheets.count_rows(data, sheet_limits)


def _scope_key(kind: str, actor: Actor, batch_id: int | None) -> str:
    return f"batch:{batch_id}" if kind == SCORES else f"unit:{actor.organisation_id}"


def refuse_if_running(actor, kind: str, batch_id: int | None = None) -> None:
    """Raise InvalidInput (Chinese) while an import of the same scope is 排队中 or 进行中 (see the guarantees)."""
    actor = Actor.of(actor)
    key = _scope_key(kind, actor, batch_id)
    running = db.session.execute(
        sa.select(Job.parameters, Job.created_at, User.full_name, User.username)
        .join(User, User.id == Job.owner_id)
        .where(Job.kind == kind, Job.state.in_((JobState.QUEUED, JobState.RUNNING)))
        .order_by(Job.id)
    ).all()
    for parameters, created_at, full_name, username in running:
        if json.loads(parameters).get("scope") == key:
            what = "本批次的成绩导入" if kind == SCORES else "本单位的附表5导入"
            raise InvalidInput(
                f"{what}正在后台进行（{full_name or username}于{clock.format_beijing(created_at)}提交），"
                "请在它完成后再导入；进度见下载中心"
            )


def submit(
    actor, kind: str, data: bytes, file_name: str, view: tuple[str, str], rows: int, batch_id=None
) -> Job:
    """Store the upload (of ``rows`` rows, as counted) and queue the import job of ``kind`` for ``actor``
    (``view``: the import's list endpoint and its path, replayed by ``jobs.as_owner``). Raises QueueUnavailable — the upload removed, nothing queued —
    when Redis does not answer (any other error removes the upload too); InvalidInput while another import of the
    scope runs or for no such batch."""
    actor = Actor.of(actor)
    refuse_if_running(actor, kind, batch_id)
    name = (file_name or "导入文件")[: limits.FILE_NAME]
    if kind == SCORES:
        batch = db.session.get(ExamBatch, batch_id) if batch_id else None
        if batch is None:
            raise InvalidInput("请选择考核批次")
        title = f"成绩导入：{batch.year}年度（{name}）"
    else:
        title = f"附表5导入（{name}）"
    stored = f"job-inputs/{actor.user.id}/{secrets.token_hex(16)}"
    uploads.storage().save(stored, data, "application/octet-stream")
    parameters = jobs.request_parameters(
        actor,
        *view,
        MultiDict(),
        **{
            jobs.INPUT: stored,
            "scope": _scope_key(kind, actor, batch_id),
            "batch_id": batch_id,
            "rows": rows,
        },
    )
    try:
        return jobs.submit(actor, kind, title, parameters)
    except Exception:  # not queued (Redis down, a database error): the upload must not stay behind
        uploads.remove(stored)
        raise


# --- the worker side ---------------------------------------------------------------------------------------
def _read(app, job: Job, read_file, report):
    """(the owner as an Actor, the parsed file or the problem that refused it) — inside ``as_owner``."""
    parameters = json.loads(job.parameters)
    actor = Actor(db.session.get(User, job.owner_id), parameters.get("address"), clock.utcnow())
    report(0, parameters.get("rows") or 0)  # the sheet's rows as counted at upload, while the file is read
    try:
        data = uploads.storage().read(parameters[jobs.INPUT])
    except Exception as exc:  # noqa: BLE001 - a missing or unreadable stored upload: the clerk uploads again
        raise InvalidInput(GONE) from exc
    try:
        parsed = read_file(data, SheetLimits.from_config(app.config))
    except ImportRefused as exc:
        return actor, None, [Problem(0, "", str(exc))]
    report(0, len(parsed.rows))  # the data rows; from here the bar counts the rows checked
    return actor, parsed, []


def _refused(parsed, problems: list, marked_copy, path: str, name: str) -> jobs.Outcome:
    """The outcome of an import that saved nothing: its problems, and the marked copy as the job's file."""
    copy = marked_copy(parsed, problems) if parsed is not None else None
    if copy:
        with open(path, "wb") as out:
            out.write(copy)
    shown = [
        {"row": p.row, "column": p.column, "message": p.message} for p in problems[: limits.PROBLEMS_SHOWN]
    ]
    result = {"problems": shown, "problem_count": len(problems)}
    return jobs.Outcome(len(parsed.rows) if parsed else 0, name, result, has_file=bool(copy))


def _import_candidates(app, job: Job, path: str, report) -> jobs.Outcome:
    from admin_app import workflow
    from admin_app.services import candidate_import, candidate_sheets

    with jobs.as_owner(app, job):
        actor, parsed, problems = _read(app, job, candidate_import.read_file, report)
        if parsed is not None:
            entries, problems = candidate_import.check_rows(actor.user, parsed, report)
        if not problems:
            try:
                imported = workflow.register_imported(actor, entries)
            except InvalidInput as exc:  # rows moved meanwhile: nothing kept, as in the request
                problems = [Problem(0, "", str(exc))]
            else:
                return jobs.Outcome(len(parsed.rows), "附表5导入", {"imported": imported}, has_file=False)
        return _refused(parsed, problems, candidate_sheets.marked_copy, path, "附表5_导入错误标注")


def _import_scores(app, job: Job, path: str, report) -> jobs.Outcome:
    from admin_app.services import score_import, score_sheets

    with jobs.as_owner(app, job):
        actor, parsed, problems = _read(app, job, score_import.read_file, report)
        if parsed is not None:
            batch_id = json.loads(job.parameters)["batch_id"]
            result = score_import.import_scores(actor, batch_id, parsed, report)
            problems = result.problems
        if not problems:
            counts = {"entered": result.entered, "corrected": result.corrected, "unchanged": result.unchanged}
            return jobs.Outcome(len(parsed.rows), "成绩导入", counts, has_file=False)
        return _refused(parsed, problems, score_sheets.marked_copy, path, "成绩导入_错误标注")


def _ready(job: Job, outcome: jobs.Outcome, expires) -> tuple[str, str]:
    """The 站内消息: what was saved, or that nothing was and where the problems are."""
    what = "成绩导入" if job.kind == SCORES else "附表5导入"
    result = outcome.result or {}
    if "problems" in result:
        copy = f"标出错误的文件副本保留至{clock.format_beijing(expires)}" if outcome.has_file else ""
        return f"{what}未成功", (
            f"“{job.title}”发现{result['problem_count']:,}处问题，未导入任何数据。"
            f"请在下载中心查看问题{'并下载' + copy if copy else ''}。"
        )
    if job.kind == SCORES:
        return f"{what}已完成", (
            f"“{job.title}”已导入：新录入{result['entered']:,}人，更正{result['corrected']:,}人，"
            f"未变化{result['unchanged']:,}人。"
        )
    return f"{what}已完成", f"“{job.title}”已导入{result['imported']:,}名考生，报名状态为“待确认”。"


for _name, _produce in ((CANDIDATES, _import_candidates), (SCORES, _import_scores)):
    jobs.register(
        jobs.Kind(
            _name,
            _produce,
            content_type=uploads.XLSX_TYPE,
            failed=FAILED,
            ready=_ready,
            died=DIED,
            lost=LOST,
            result_template="gk/import_job_result.html",
        )
    )
