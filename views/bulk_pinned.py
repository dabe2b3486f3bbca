"""「全部符合筛选条件」 decided on the rows the confirmation page showed (issue 19 point 4), and, above
``BULK_JOB_ROWS`` (config) rows, in the background (下载中心) with progress and the same per-row result page.

The confirmation page pins the ids it lists (``services/bulk_pins.py``); its form carries only the pin's token
(and the CSRF token, as every POST). 确认 claims the pin once — another user's token, or one of another list or
operation, is 404; a used one decides nothing again; an expired one (``limits.BULK_PIN_MINUTES``) sends the clerk
back to a fresh confirmation page — and decides exactly those ids through the operation (the workflow engine:
scope, state and guards checked again in its conditional UPDATE; a row that left the state is refused with its
reason, a row that arrived after the page was shown is not among the ids).

A large set is a job of kind ``bulk_decision`` (``services/jobs.py``, no file): the worker replays the
confirmation page's request as its owner (``jobs.as_owner``: the owner's role must still offer the operation) and
decides the pinned ids ``BULK_JOB_CHUNK`` (config) at a time, each chunk one engine call with its own transactions
(history and audit with the rows, as in the request) and the progress (rows handled / total) reported after each.
A failure mid-way keeps the chunks already decided and reports the remaining rows as not handled, with the
reason, on the result page; a worker killed mid-way leaves the job 失败 (the sweep) with the chunks done decided
and a message that counts them (``died``: the rows decided, read back from their audit rows, and the rest not
handled) — the list shows what is left, and a new 「全部符合筛选条件」 finds only those rows. Each row is decided
whole or not at all: its new state, history row and audit row are one transaction of the engine. The inputs
(opinion, fields) are checked in the request first (the engine with no rows), so a bad input is shown on the page,
never queued.
"""

import json
import logging

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, request, url_for
from werkzeug.datastructures import MultiDict

from admin_app import limits
from admin_app.extensions import db
from admin_app.services import bulk_pins, clock, jobs
from admin_app.services.validators import InvalidInput
from admin_app.workflow.engine import BulkResult
from admin_app.workflow.table import machines
from models import AuditLog
from views.actor import current_actor

log = logging.getLogger(__name__)

BULK_DECISION = "bulk_decision"
NOT_ALLOWED = "您的账号已停用或已无权执行该操作，未处理任何记录"
INTERRUPTED = "后台处理中断，本条未处理（之前的记录已处理），请在列表中重新操作"
QUEUE_DOWN = "后台任务服务暂时不可用，大批量处理暂时无法进行：请缩小筛选范围，或稍后再试"
FORM_SKIPPED = ("csrf_token", "pin", "op")  # the rest of the confirmation form is the operation's input
DIED = "处理该任务的后台进程意外停止：已处理的记录保持已处理，其余未处理，请在列表中查看并重新操作"


class PinnedBulkMixin:
    """The pinned path of :class:`views.bulk.BulkWorkflowMixin` (its ``_confirm`` and ``_show_result``)."""

    def confirm_pinned(self, op, ids):
        """The confirmation page of 「全部符合筛选条件」: the ids are pinned (when there are some, within the limit)."""
        pin = None
        if 0 < len(ids) <= limits.BULK:
            pin = bulk_pins.pin(current_actor(), self.endpoint, op.name, ids, request.query_string.decode())
        return self._confirm(op, ids, all_matching=True, pin=pin)

    def decide_pinned(self, op):
        """确认 of a confirmation page: the pinned ids, decided now or queued as a job (see the module)."""
        actor = current_actor()
        try:
            pin = bulk_pins.claim(actor, request.form.get("pin", ""), self.endpoint, op.name)
        except bulk_pins.PinNotFound:
            abort(404)
        except bulk_pins.PinRefused as exc:
            flash(str(exc), "warning")
            if exc.expired:
                return redirect(f"{self.get_url('.bulk_view')}?{exc.pin.query}")
            if exc.pin.job_id:
                return redirect(url_for("downloads.details_view", id=exc.pin.job_id))
            return redirect(self.get_url(".index_view"))
        ids = bulk_pins.ids_of(pin)
        try:
            if len(ids) > current_app.config["BULK_JOB_ROWS"]:
                return self._queue_decision(actor, op, pin, len(ids))
            result = op.run(actor, ids, request.form)
        except (InvalidInput, jobs.QueueUnavailable) as exc:
            bulk_pins.release(pin)
            flash(str(exc) if isinstance(exc, InvalidInput) else QUEUE_DOWN, "error")
            return self._confirm(op, ids, all_matching=True, pin=pin)
        return self._show_result(op, result)

    def _queue_decision(self, actor, op, pin, total):
        op.run(actor, [], request.form)  # the inputs checked now (InvalidInput); no row is read or changed
        db.session.rollback()
        form = MultiDict([(k, v) for k, v in request.form.items(multi=True) if k not in FORM_SKIPPED])
        parameters = jobs.request_parameters(
            actor,
            self.endpoint,
            request.path,
            MultiDict(),
            pin=pin.id,
            operation=op.name,
            form=form.to_dict(False),
        )
        job = jobs.submit(actor, BULK_DECISION, f"{self.name}：{op.label}（{total:,}条）", parameters)
        bulk_pins.attach_job(pin, job.id)
        flash(
            f"共{total:,}条，已转为后台处理：可在下载中心查看进度，完成后以站内消息通知并列出每条的结果",
            "success",
        )
        return redirect(url_for("downloads.index_view"))


def decide_in_chunks(view, op, ids: list[int], form, report) -> BulkResult:
    """Decide ``ids`` with ``op`` as the current (replayed) user, ``BULK_JOB_CHUNK`` (config) at a time (an atomic
    transition at once); ``report(handled, total)`` after each chunk. A failure keeps the chunks done and
    refuses the rest with its reason (an input refused before anything was decided is raised)."""
    result, total = BulkResult(op.name, op.label), len(ids)
    chunk_rows = max(1, current_app.config["BULK_JOB_CHUNK"])
    size = max(1, total) if op.transition is not None and op.transition.atomic else chunk_rows
    report(0, total)
    for start in range(0, total, size):
        chunk = ids[start : start + size]
        try:
            part = op.run(current_actor(), chunk, form)
        except Exception as exc:  # noqa: BLE001 - the rows not handled are reported, the cause logged
            db.session.rollback()
            if isinstance(exc, InvalidInput) and not (result.done or result.refused):
                raise
            log.exception("bulk decision %s of %s stopped at row %s", op.name, view.endpoint, start)
            reason = str(exc) if isinstance(exc, InvalidInput) else INTERRUPTED
            result.refused.extend((row_id, "", reason) for row_id in ids[start:])
            break
        result.done.extend(part.done)
        result.refused.extend(part.refused)
        report(start + len(chunk), total)
    return result


def _decide(app, job, path, report) -> jobs.Outcome:
    """The worker's side: the pinned ids of the job's pin, decided as its owner."""
    parameters = json.loads(job.parameters)
    try:
        with jobs.as_owner(app, job) as view:
            op = view._operation(parameters["operation"])
            if op is None:
                raise InvalidInput(NOT_ALLOWED)
            ids = bulk_pins.ids_of(bulk_pins.for_job(job.owner_id, parameters["pin"]))
            result = decide_in_chunks(view, op, ids, MultiDict(parameters["form"]), report)
    except InvalidInput as exc:
        if (
            str(exc) == jobs.NO_ACCESS
        ):  # the owner disabled, or the list no longer theirs: said for a decision
            raise InvalidInput(NOT_ALLOWED) from exc
        raise
    shown = {
        "label": op.label,
        "endpoint": view.endpoint,
        "done": result.done,
        "refused": result.refused,
    }
    return jobs.Outcome(rows=len(ids), name=job.title, result=shown, has_file=False)


def decided_rows(job, pin) -> int:
    """How many of the job's pinned rows are decided now. The engine writes a row's new state, its history row and
    its audit row in one transaction, so the pinned rows with a state change audited for the job's owner since the
    job started are exactly those decided (by the job — or meanwhile by its owner's own hand, decided all the same)."""
    pinned = [str(i) for i in bulk_pins.ids_of(pin)]
    since, counted = job.started_at or job.created_at, 0
    # the audit rows of the rows the operation moves (not those of another table with the same ids)
    types = [m.audit_type or m.model.__name__ for m in machines().values() if pin.operation in m.transitions]
    for start in range(0, len(pinned), limits.CHUNK):
        counted += db.session.scalar(
            sa.select(sa.func.count(sa.distinct(AuditLog.object_id))).where(
                AuditLog.object_type.in_(types),
                AuditLog.object_id.in_(pinned[start : start + limits.CHUNK]),
                AuditLog.user_id == job.owner_id,
                AuditLog.created_at >= since,
                AuditLog.to_state.is_not(None),
            )
        )
    return counted


def _died(job) -> str:
    """The message of a job whose worker died mid-way: how many rows it decided, and that the rest were not."""
    try:
        pin = bulk_pins.for_job(job.owner_id, json.loads(job.parameters or "{}").get("pin"))
    except InvalidInput:  # the pin is gone: nothing can be counted
        return DIED
    decided = decided_rows(job, pin)
    return (
        f"处理该任务的后台进程意外停止：已处理{decided:,}条（已保存），其余{pin.total - decided:,}条未处理，"
        "请在列表中查看并重新操作"
    )


def _ready(job, outcome, expires) -> tuple[str, str]:
    done, refused = len(outcome.result["done"]), len(outcome.result["refused"])
    return "批量处理已完成", (
        f"“{job.title}”已处理完毕：成功{done:,}条，未处理{refused:,}条。"
        f"每条的结果请在下载中心查看（保留至{clock.format_beijing(expires)}）"
    )


jobs.register(
    jobs.Kind(
        BULK_DECISION,
        _decide,
        suffix="",
        content_type="application/json",
        failed="后台处理时发生错误：已处理的记录保持已处理，其余未处理，请在列表中查看并重新操作",
        ready=_ready,
        died=_died,
        lost="后台任务服务中断，任务已丢失，未处理任何记录，请重新操作",
        result_template="gk/bulk_job_result.html",
        measure="条",
    )
)
