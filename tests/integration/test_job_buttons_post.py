"""The buttons that may queue a 下载中心 job — 导出查询结果, 附表3, the batch PDFs (登记表, 准考证, 证书), 统计分析's
exports — are CSRF-protected POST forms: a GET (a link or a top-level navigation from another site) answers 405
in Chinese and creates nothing; a POST without the page's token is refused with the app's CSRF message; the
form's action keeps the list's query string, and a job queued by it replays that query string without the token.
"""

import html
import json
import re

import pytest
import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.workflow.states import JobState
from models import AuditLog, Job
from tests.conftest import login, text_of
from tests.integration.test_download_jobs import queue, rows_of, run_queued  # noqa: F401  (queue: the fixture)

# The endpoints (the last part of their name) whose request may queue a job.
QUEUEING = {
    "export_xlsx_view",
    "summary_view",
    "prints_pdf_view",
    "tickets_pdf_view",
    "certificates_pdf_view",
}
FORM = re.compile(
    r'<form method="post" action="([^"]+)" class="d-inline gk-post-button">'
    r'<input name="csrf_token" type="hidden" value="([^"]+)"><button type="submit" class="([^"]+)"'
)


def queueing_rules(app) -> list:
    rules = [
        r
        for r in app.url_map.iter_rules()
        if r.endpoint.rsplit(".", 1)[-1] in QUEUEING or r.endpoint == "statistics.export_view"
    ]
    assert len(rules) > 20  # every list's 导出查询结果, 附表3 of two lists, the three batch PDFs, 统计分析
    return rules


def counts() -> tuple[int, int]:
    """(jobs, export audit rows)."""
    found = (
        db.session.scalar(sa.select(sa.func.count()).select_from(Job)),
        db.session.scalar(
            sa.select(sa.func.count()).select_from(AuditLog).where(AuditLog.action == "export")
        ),
    )
    db.session.rollback()
    return found


def buttons(client, page: str) -> list[tuple[str, str, str]]:
    """(action, token, classes) of each POST button of ``page``."""
    body = client.get(page).get_data(as_text=True)
    return [(html.unescape(action), token, classes) for action, token, classes in FORM.findall(body)]


def test_the_endpoints_that_may_queue_a_job_accept_post_only(app):
    for rule in queueing_rules(app):
        assert rule.methods - {"OPTIONS"} == {"POST"}, rule


@pytest.mark.usefixtures("queue")
@pytest.mark.parametrize("username", ["office", "unit_a"])
def test_a_get_creates_nothing_and_answers_405_in_chinese(app, client, world, username):
    login(client, username)
    before = counts()
    for rule in queueing_rules(app):
        response = client.get(rule.rule, query_string={"table": "all", "all_batches": "1"})
        assert response.status_code == 405, rule.rule
        assert "POST" in response.headers["Allow"], rule.rule
        body = text_of(response)
        assert "请求方式不允许" in body and "Method Not Allowed" not in body, rule.rule
    assert counts() == before


@pytest.mark.usefixtures("queue")
def test_a_post_without_the_csrf_token_is_refused(app, client, world):
    login(client, "office")
    before = counts()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        for rule in queueing_rules(app):
            response = client.post(rule.rule, query_string={"table": "all", "all_batches": "1"})
            assert response.status_code == 400, rule.rule
            assert "表单校验失败（CSRF）" in text_of(response), rule.rule
            wrong = client.post(rule.rule, query_string={"all_batches": "1"}, data={"csrf_token": "forged"})
            assert wrong.status_code == 400 and "表单校验失败（CSRF）" in text_of(wrong), rule.rule
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert counts() == before


def test_the_buttons_are_forms_that_keep_the_lists_query_string(client, world):
    login(client, "office")
    found = buttons(client, "/applications/?search=A考生&sort=1")
    actions = {action.split("?")[0]: action for action, _token, _classes in found}
    for path in ("/applications/export.xlsx", "/applications/summary.xlsx", "/applications/prints.pdf"):
        assert actions[path] == f"{path}?search=A考生&sort=1", actions
    assert all(classes.startswith("btn btn-sm btn-outline-primary") for _a, _t, classes in found)
    # No link to them is left on the page (a link would GET, now a 405).
    page = client.get("/applications/?search=A考生").get_data(as_text=True)
    assert not re.search(r'href="[^"]*(export\.xlsx|summary\.xlsx|prints\.pdf)', page)
    stats = {action.split("?")[0] for action, _token, _classes in buttons(client, "/statistics/")}
    assert stats == {"/statistics/export/"}
    assert 'id="gk-stats-export-all"' in client.get("/statistics/").get_data(as_text=True)


@pytest.mark.usefixtures("queue")
def test_a_job_queued_by_the_form_replays_its_query_string_without_the_token(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_JOB_ROWS", 0)  # every export a job
    login(client, "unit_a")
    ((action, token, _classes),) = [b for b in buttons(client, "/workers/?search=A工人") if "export" in b[0]]
    assert action == "/workers/export.xlsx?search=A工人"
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(action, data={"csrf_token": token})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 302 and response.headers["Location"].endswith("/downloads/")
    job = db.session.scalars(sa.select(Job)).one()
    parameters = json.loads(job.parameters)
    assert parameters["path"] == "/workers/export.xlsx" and parameters["args"] == {"search": ["A工人"]}
    assert "csrf_token" not in job.parameters and token not in job.parameters
    db.session.rollback()
    run_queued(app)
    job = db.session.get(Job, job.id)
    assert job.state == JobState.FINISHED, job.error
    download = client.get(f"/downloads/download/?id={job.id}")
    assert [row[0] for row in rows_of(download.data)] == ["A工人"]  # the form's 组合查询, not the whole list
