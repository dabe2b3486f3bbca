"""The request side of an import (附表5, 成绩导入) whose sheet holds more than ``IMPORT_JOB_ROWS`` rows: the upload
checked within the import's limits without reading a cell, then stored and queued as a background job
(``services/import_jobs``); the clerk is sent to the 下载中心. Below the threshold the import runs in the request
as it always did."""

from flask import current_app, flash, redirect, request, url_for

from admin_app.services import import_jobs, jobs
from admin_app.services.validators import InvalidInput
from views.actor import current_actor


def queue_if_large(view, kind: str, data: bytes, sheet_limits, file_name: str, batch_id=None):
    """The redirect to the 下载中心 once a job was queued for a large upload; None when the request imports it
    itself. Raises ImportRefused or InvalidInput (Chinese; nothing stored, nothing queued) for a file refused as a
    whole, another import of the same scope still running, or the job queue unreachable."""
    actor = current_actor()
    import_jobs.refuse_if_running(actor, kind, batch_id)
    threshold = current_app.config["IMPORT_JOB_ROWS"]
    rows = import_jobs.rows_of(data, sheet_limits)
    if rows <= threshold:
        return None
    try:
        import_jobs.submit(actor, kind, data, file_name, (view.endpoint, request.path), rows, batch_id)
    except jobs.QueueUnavailable:
        raise InvalidInput(import_jobs.queue_down_message(threshold)) from None
    flash(
        f"文件超过{threshold:,}行，已转为后台导入任务：进度见下载中心，完成后以站内消息通知结果",
        "info",
    )
    return redirect(url_for("downloads.index_view"))
