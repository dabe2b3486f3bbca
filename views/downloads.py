"""下载中心: a user's own background exports (services/jobs.py) — state, a progress bar refreshed from
``progress.json`` (static/gk-downloads.js: CSP allows no inline script), the file while it is kept, and a
job's result (its kind's ``result_template``) on its details page.

Only the owner reaches a job: the scope is ``owner_id = current user`` on the list, its count, the details, the
download and the progress; anything else is 404, like every other row out of scope."""

import json
from datetime import timedelta

from flask import abort, g, jsonify, request
from flask_admin import expose
from flask_login import current_user
from markupsafe import Markup, escape

from admin_app.request_guard import download
from admin_app.services import clock, jobs
from admin_app.workflow.states import JobState
from models import Job, enums
from views.base import SecureModelView
from views.files import send_stored

ACTIVE = (JobState.QUEUED, JobState.RUNNING)
RECENT = timedelta(minutes=10)  # jobs ended this recently are still reported to a page that polls


def _percent(done: int, total: int | None) -> int:
    """0 before the total is known (排队中), 100 for an empty export."""
    if total is None:
        return 0
    return 100 if total == 0 else min(100, done * 100 // total)


def _counted(job: Job, done: int, total: int | None) -> str:
    """What the bar says: done / total in what the job's kind counts (行, 人, 份, 条), or that it has not begun."""
    if total is None:
        return "等待开始"
    kind = jobs.KINDS.get(job.kind)
    return f"{done:,} / {total:,} {kind.measure if kind else '行'}"


def _progress(view, context, model, name):
    """The bar: rows done / total (live from Redis while the job runs; refreshed by gk-downloads.js)."""
    done, total = g.get("gk_job_progress", {}).get(model.id, (model.rows_done or 0, model.rows_total))
    if model.state == JobState.FINISHED:
        done = total = model.rows_done
    elif model.state not in ACTIVE:
        return Markup('<span class="text-muted">—</span>')
    percent = _percent(done, total)
    shown = _counted(model, done, total)
    active = "1" if model.state in ACTIVE else "0"
    striped = " progress-bar-striped progress-bar-animated" if active == "1" else ""
    return Markup(
        f'<div class="progress gk-job-progress" data-job="{model.id}" data-active="{active}" '
        f'title="{escape(shown)}"><div class="progress-bar{striped}" role="progressbar" '
        f'style="width: {percent}%" aria-valuenow="{percent}" aria-valuemin="0" aria-valuemax="100"></div></div>'
        f'<small class="gk-job-rows" data-job="{model.id}">{escape(shown)}</small>'
    )


def _state(view, context, model, name):
    label = escape(JobState.label_of(model.state))
    if model.state == JobState.FAILED and model.error:
        return Markup(f'<span class="text-danger">{label}：{escape(model.error)}</span>')
    return label


def _file(view, context, model, name):
    if model.state == JobState.FINISHED and model.result is not None and _result_template(model):
        url = view.get_url(".details_view", id=model.id)
        return Markup(
            f'<a class="btn btn-sm btn-outline-primary gk-job-result" href="{escape(url)}">查看结果</a>'
        )
    if model.state != JobState.FINISHED or not model.stored_name:
        return ""
    url = view.get_url(".download_view", id=model.id)
    return Markup(f'<a class="btn btn-sm btn-primary gk-job-download" href="{escape(url)}">下载</a>')


def _result_template(job: Job) -> str | None:
    kind = jobs.KINDS.get(job.kind)
    return kind.result_template if kind else None


class DownloadView(SecureModelView):
    read_roles = frozenset(enums.ROLE_LABELS)
    write_roles = frozenset()
    can_create = can_edit = can_delete = False
    list_template = "gk/downloads.html"
    exportable = False  # the list of one's own files: nothing to export
    details_template = "gk/download_details.html"  # with the job's result (its kind's result_template)
    column_list = ["created_at", "title", "state", "progress", "finished_at", "expires_at", "file"]
    column_details_list = ["created_at", "title", "state", "rows_total", "finished_at", "expires_at"]
    column_labels = {
        "created_at": "提交时间",
        "title": "内容",  # an export, a batch PDF, an import, a bulk decision …
        "state": "状态",
        "progress": "进度",
        "rows_total": "行数",
        "finished_at": "完成时间",
        "expires_at": "保留至",
        "file": "文件",
    }
    column_formatters = {"state": _state, "progress": _progress, "file": _file}
    column_formatters_detail = {"state": _state}
    column_choices = {"state": JobState.choices()}
    column_filters = ["state"]
    column_sortable_list = ["created_at"]
    column_default_sort = ("id", True)
    export_name = "下载中心"

    def scope_condition(self):
        return Job.owner_id == current_user.id

    def render(self, template, **kwargs):
        """The details page of a finished job that has a result draws it with its kind's template (the
        per-row result of a bulk decision, an import's error table); the 站内消息 of the job links here."""
        job = kwargs.get("model")
        shown = job is not None and job.state == JobState.FINISHED and job.result is not None
        if template == self.details_template and shown and _result_template(job):
            kwargs["job_result"] = json.loads(job.result)
            kwargs["job_result_template"] = _result_template(job)
        return super().render(template, **kwargs)

    def get_list(self, *args, **kwargs):
        count, rows = super().get_list(*args, **kwargs)
        if kwargs.get("execute", True) and rows is not None:
            g.gk_job_progress = jobs.progress(job.id for job in rows if job.state == JobState.RUNNING)
        return count, rows

    @expose("/download/", methods=("GET",))
    @download
    def download_view(self):
        """The file of one of the user's own finished jobs; 404 for anyone else's, an unfinished or expired one."""
        job = self.get_one(request.args.get("id"))
        if job is None or job.state != JobState.FINISHED or not job.stored_name:
            abort(404)
        if job.expires_at < clock.utcnow():
            abort(404)
        kind = jobs.KINDS.get(job.kind)
        content_type = kind.content_type if kind else jobs.uploads.XLSX_TYPE
        return send_stored(
            job.stored_name, content_type=content_type, download_name=job.download_name, max_age=0
        )

    @expose("/progress.json", methods=("GET",))
    def progress_view(self):
        """The user's own queued and running jobs, and those that ended in the last minutes (the page reloads)."""
        rows = self.get_query().filter(Job.state.in_(ACTIVE) | (Job.finished_at > clock.utcnow() - RECENT))
        rows = rows.order_by(Job.id.desc()).limit(100).all()
        live = jobs.progress(job.id for job in rows if job.state == JobState.RUNNING)
        answer = []
        for job in rows:
            done, total = live.get(job.id, (job.rows_done or 0, job.rows_total))
            answer.append(
                {
                    "id": job.id,
                    "active": job.state in ACTIVE,
                    "state": JobState.label_of(job.state),
                    "done": done,
                    "total": total,
                    "percent": _percent(done, total),
                    "text": _counted(job, done, total),
                }
            )
        response = jsonify(jobs=answer)
        response.headers["Cache-Control"] = "no-store"
        return response
