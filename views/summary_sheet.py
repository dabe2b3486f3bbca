"""附表3 汇总表 of the 考试资格申请 lists (a workbook of one sheet per 申报工种, ``notice_forms.write_summary``): a
multi-sheet workbook, so always a 下载中心 job (issue 19 point 2), whatever its size.

Guarantees:
- The rows are the list's (its 组合查询 and scope) in the one batch its 批次 condition chooses: that batch's
  submitted, not rejected applications (no 待提交, no 审核未通过; 退回修改 is still in play and kept), one row per
  person, in 工种 order; the sheet names the batch and the 填报单位 (the one unit of the rows, else the exporting
  body) and the exporting user as 填报人. No single batch, or no such row: a Chinese refusal, nothing queued.
- A job of kind ``summary_xlsx`` replays the request as its owner (``jobs.as_owner``: the same rows, header and
  audit row, re-read when it runs), calls ``report(done, total)`` every ``excel.CHUNK`` rows, and its owner is
  told by 站内消息; Redis down: a Chinese message, nothing queued. The workbook is not written in constant memory
  (its two-row merged header is written out of row order), so its memory grows with its rows: in the job's
  forked work horse, given back when it ends.
"""

import sqlalchemy as sa
from flask import flash, redirect, request, url_for
from flask_login import current_user

from admin_app.extensions import db
from admin_app.services import audit, excel, jobs, notice_forms, records
from admin_app.services.validators import InvalidInput
from admin_app.workflow.states import QUOTA_FREE_STATES
from models import Application, Organisation, Trade
from views.actor import current_actor
from views.mixins.batches import batch_label

KIND = "summary_xlsx"
NO_BATCH = "附表3按批次填报：请先在组合查询中选择一个批次（批次 等于 …），再导出附表3汇总表"
NO_ROWS = "当前查询在该批次没有已提交的申请，未生成附表3汇总表"


def summary_source(view) -> tuple:
    """(batch, the ids of its rows as a SELECT, how many) of the list's current 组合查询, as the current user
    sees it; InvalidInput(NO_BATCH) when it does not choose one batch."""
    batch = view.chosen_batch()
    if batch is None:
        raise InvalidInput(NO_BATCH)
    listed, _view_args = view.filtered_query(eager=False)
    per_person = (
        listed.filter(Application.batch_id == batch.id, Application.status.not_in(QUOTA_FREE_STATES))
        .order_by(None)
        .with_entities(sa.func.max(Application.id).label("id"))
        .group_by(Application.worker_id)
        .subquery()
    )
    count = db.session.scalar(sa.select(sa.func.count()).select_from(per_person))
    return batch, sa.select(per_person.c.id), count


def write_summary(path: str, batch, ids, progress, total: int) -> int:
    """Write the 附表3 of the applications ``ids`` of ``batch`` to ``path`` as the current user exports it,
    audited (``export``); calls ``progress(done, total)`` every ``excel.CHUNK`` rows. The rows."""
    apps = (
        db.session.query(Application)
        .join(Trade, Trade.id == Application.applied_trade_id)
        .filter(Application.id.in_(ids))
        .order_by(Trade.name, Application.applied_grade, Application.id)
    )
    units = db.session.scalars(
        sa.select(Application.unit_id).where(Application.id.in_(ids)).distinct().limit(2)
    ).all()
    user = current_user
    # 填报单位: the unit whose applications these are; a list of several units is the exporting body's.
    org = db.session.get(Organisation, units[0]) if len(units) == 1 else user.organisation
    header = {
        "batch": batch_label(batch),
        "supervisor": org.supervisor.name if org.supervisor else "",
        "unit": org.name,
        "person": user.full_name or user.username,
        "phone": user.phone or org.contact_phone or "",
    }
    rows = _counted(records.paired(apps.yield_per(excel.CHUNK)), progress, total)
    count = notice_forms.write_summary(path, rows, header)
    detail = {"form": "附表3", "batch": batch.id, "rows": count, "background": True}
    audit.record("export", user=current_actor(), object_type="Application", detail=detail)
    db.session.commit()
    return count


def _counted(rows, progress, total: int):
    for done, row in enumerate(rows, start=1):
        yield row
        if done % excel.CHUNK == 0:
            progress(done, total)


def summary_response(view):
    """The 附表3 endpoint's answer: the 下载中心 (a job queued), or the list with the reason."""
    back = redirect(view._get_list_url(view._get_list_extra_args()))
    try:
        batch, _ids, count = summary_source(view)
    except InvalidInput as exc:
        flash(str(exc), "error")
        return back
    if not count:
        flash(NO_ROWS, "warning")
        return back
    actor = current_actor()
    title = f"附表3汇总表（{batch.year}年度，{count}人）"
    try:
        jobs.submit(
            actor, KIND, title, jobs.request_parameters(actor, view.endpoint, request.path, request.args)
        )
    except jobs.QueueUnavailable:
        flash("后台任务服务暂时不可用，附表3汇总表暂时无法生成，请稍后再试。", "error")
        return back
    flash(
        f"共{count}人，附表3汇总表已转为后台任务。文件生成后将以站内消息通知，请在“下载中心”查看进度并下载。",
        "success",
    )
    return redirect(url_for("downloads.index_view"))


def _produce(app, job, path, report) -> jobs.Outcome:
    with jobs.as_owner(app, job) as view:
        batch, ids, count = summary_source(view)
        report(0, count)
        rows = write_summary(path, batch, ids, report, count)
        report(rows, count)
    return jobs.Outcome(rows=rows, name=f"附表3_申报汇总表_{batch.year}年度")


def _ready(job, outcome, expires) -> tuple[str, str]:
    return "附表3汇总表已生成", jobs.ready_message(job.title, expires, count=outcome.rows, measure="人")


jobs.register(
    jobs.Kind(KIND, _produce, failed="生成附表3汇总表时发生错误，文件未生成，请稍后重试", ready=_ready)
)
