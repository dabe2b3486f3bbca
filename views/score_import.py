"""成绩导入 on the 成绩录入 list (市职鉴中心 only): the template prefilled per batch, exam session or room, the
import page (all or nothing, the problems by row and column) and the marked copy of a refused file."""

import sqlalchemy as sa
from flask import abort, current_app, flash, request
from flask_admin import expose

from admin_app.extensions import db
from admin_app.request_guard import download
from admin_app.services import excel, import_jobs, score_import, score_sheets
from admin_app.services.score_import import ImportRefused, Problem
from admin_app.services.spreadsheets import SheetLimits
from admin_app.services.validators import InvalidInput
from admin_app.workflow import scores
from admin_app.workflow.states import BatchState
from models import ExamBatch, ExamSession
from views.actor import current_actor
from views.base import send_temporary_file
from views.import_jobs import queue_if_large

# Who may use each endpoint (the view's ``endpoint_roles``): those who enter scores.
ENDPOINT_ROLES = {
    "score_template_view": scores.ENTER.roles,
    "score_import_view": scores.ENTER.roles,
    "score_import_report_view": scores.ENTER.roles,
}


def _id(name: str) -> int | None:
    """A positive id from the query string or the form, else None (any other text is no choice)."""
    text = (request.values.get(name) or "").strip()
    return int(text) if text.isdigit() and 0 < len(text) <= 9 else None


class ScoreImportMixin:
    """The three endpoints; the view declares ``ENDPOINT_ROLES`` in its ``endpoint_roles``."""

    @expose("/score-template.xlsx", methods=("GET",))
    @download
    def score_template_view(self):
        found = score_sheets.template_rows(_id("batch"), _id("session"), _id("room"))
        if found is None:
            abort(404)
        title, rows = found
        path = excel.temporary_path()
        score_sheets.write_template(path, title, rows)
        return send_temporary_file(path, f"成绩导入模板_{title.replace(' ', '_')}.xlsx")

    @expose("/score-import/", methods=("GET", "POST"))
    def score_import_view(self):
        limits = SheetLimits.from_config(current_app.config)  # IMPORT_MAX_MB, IMPORT_MAX_ROWS …
        batches = list(
            db.session.scalars(
                sa.select(ExamBatch)
                .where(ExamBatch.state != BatchState.ARCHIVED)
                .order_by(ExamBatch.year.desc(), ExamBatch.id.desc())
            )
        )
        batch_id = _id("batch") or (batches[0].id if batches else None)
        result, report = None, None
        if request.method == "POST":
            result, report = self._import(batch_id, limits)
            if not isinstance(result, score_import.ImportResult):  # queued as a job: to 下载中心
                return result
            if not result.problems:
                flash(
                    f"成绩已导入：新录入 {result.entered} 人，更正 {result.corrected} 人，"
                    f"未变化 {result.unchanged} 人",
                    "success",
                )
        sessions = list(
            db.session.scalars(
                sa.select(ExamSession)
                .where(ExamSession.batch_id == batch_id)
                .order_by(ExamSession.exam_date, ExamSession.start_time, ExamSession.id)
            )
        )
        return self.render(
            "gk/score_import.html",
            batches=batches,
            batch_id=batch_id,
            sessions=sessions,
            result=result,
            problems=result.problems if result else [],
            report=report,
            limits=limits,
        )

    def _import(self, batch_id, limits):
        upload = request.files.get("file")
        data = upload.stream.read(limits.max_bytes + 1) if upload and upload.filename else b""
        parsed = None
        try:
            if batch_id is None:
                raise InvalidInput("请选择考核批次")
            if not data:
                raise ImportRefused("请选择要导入的文件")
            queued = queue_if_large(self, import_jobs.SCORES, data, limits, upload.filename, batch_id)
            if queued is not None:  # above IMPORT_JOB_ROWS: a background job, followed in 下载中心
                return queued, None
            parsed = score_import.read_file(data, limits)
            result = score_import.import_scores(current_actor(), batch_id, parsed)
        except (ImportRefused, InvalidInput) as exc:
            result = score_import.ImportResult([Problem(0, "", str(exc))])
        if not result.problems or parsed is None:
            return result, None
        # views/exam_area declares the view and imports this module: its helper is imported when called.
        from views.exam_area import _store_report

        return result, _store_report(score_sheets.marked_copy(parsed, result.problems))

    @expose("/score-import/report.xlsx", methods=("GET",))
    @download
    def score_import_report_view(self):
        # views/exam_area declares the view and imports this module: its helper is imported when called.
        from views.exam_area import send_report

        return send_report(request.args.get("token", ""), "成绩导入_错误标注.xlsx")
