"""Faults answer in Chinese and never show SQL (issue 13, points 8 and 10): every database error class,
an error page that cannot render, other HTTP errors, and HEAD on a download."""

import logging
from unittest import mock

import pytest
from sqlalchemy import exc as sa_exc

from admin_app import errors
from admin_app.extensions import db
from admin_app.workflow import engine
from admin_app.workflow.states import ApplicationState
from models import AuditLog
from tests.conftest import snapshot_database, text_of

ENGLISH = ("Internal Server Error", "Bad Request", "Method Not Allowed", "SQL", "Traceback", "psycopg")


def failing(error):
    def view(*args, **kwargs):
        raise error

    return view


def assert_chinese(response, code, *texts):
    body = text_of(response)
    assert response.status_code == code, (response.status_code, body[:300])
    assert response.mimetype == "text/html"
    for text in texts:
        assert text in body, body[:500]
    for english in ENGLISH:
        assert english not in body, english


def _statement_error(cls, orig):
    return cls("INSERT INTO audit_log (…) VALUES (%(x)s)", {"x": 1}, orig)


psycopg = pytest.importorskip("psycopg")

DATABASE_ERRORS = [
    (
        _statement_error(sa_exc.OperationalError, Exception("server closed the connection")),
        503,
        "数据库暂时无法连接",
    ),
    (
        _statement_error(sa_exc.InterfaceError, Exception("connection already closed")),
        503,
        "数据库暂时无法连接",
    ),
    (
        psycopg.OperationalError("consuming input failed: server closed the connection"),
        503,
        "数据库暂时无法连接",
    ),
    (psycopg.InterfaceError("the connection is closed"), 503, "数据库暂时无法连接"),
    (sa_exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached"), 503, "数据库暂时无法连接"),
    (_statement_error(sa_exc.DataError, Exception("invalid byte sequence 0x00")), 400, "提交的数据格式有误"),
    (psycopg.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes"), 400, "提交的数据格式有误"),
    (OverflowError("Python int too large to convert to SQLite INTEGER"), 400, "提交的数据格式有误"),
    (_statement_error(sa_exc.IntegrityError, Exception("duplicate key")), 409, "数据冲突"),
    (psycopg.errors.UniqueViolation("duplicate key value"), 409, "数据冲突"),
    (_statement_error(sa_exc.ProgrammingError, Exception("syntax error at or near")), 500, "系统错误"),
    (psycopg.ProgrammingError("syntax error at or near"), 500, "系统错误"),
]


@pytest.mark.parametrize(
    "error, code, text",
    DATABASE_ERRORS,
    ids=[f"{type(e).__module__}.{type(e).__name__}" for e, _c, _t in DATABASE_ERRORS],
)
def test_every_database_error_class_answers_in_chinese_without_sql(
    app, client, world, monkeypatch, error, code, text
):
    """Raised inside a view — through SQLAlchemy, or by psycopg itself (COPY of audit rows, services/sql.py)."""
    from tests.conftest import login

    login(client, "office")
    monkeypatch.setitem(app.view_functions, "admin.index", failing(error))
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    assert_chinese(client.get("/"), code, text)


def test_a_lost_connection_during_the_audit_copy_writes_nothing_and_answers_in_chinese(
    app, client, world, monkeypatch
):
    """PostgreSQL lost while the audit rows of a bulk approval are copied (psycopg raises its own error,
    outside SQLAlchemy): a Chinese answer (the workflow reports the group as not done), no English, and the
    application is not half-moved."""
    from models import Application
    from tests.conftest import login

    def lost(table, rows):
        raise psycopg.OperationalError("consuming input failed: server closed the connection unexpectedly")

    monkeypatch.setattr("admin_app.services.audit.insert_rows", lost)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    login(client, "shapingba_hr")
    waiting = world.applications["B"]
    before = snapshot_database()
    response = client.post(
        "/review_queue/decide/", data={"op": "approve", "rowid": [waiting.id], "opinion": "同意"}
    )
    body = text_of(response)
    # The group that failed is rolled back and reported, row by row; nothing else was in the request.
    assert response.status_code == 200, response.status_code
    assert '成功 <strong class="text-success">0</strong>' in body
    assert engine.GROUP_FAILED in body
    for english in ENGLISH:
        assert english not in body
    assert snapshot_database() == before
    assert db.session.get(Application, waiting.id).status == ApplicationState.PENDING_DISTRICT_HR
    monkeypatch.undo()  # the same approval with the database back: it lands (the path reached the COPY)
    client.post("/review_queue/decide/", data={"op": "approve", "rowid": [waiting.id], "opinion": "同意"})
    db.session.expire_all()
    assert db.session.get(Application, waiting.id).status != ApplicationState.PENDING_DISTRICT_HR


def test_an_error_page_that_cannot_render_falls_back_to_static_chinese(app, client, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("template engine broken")

    monkeypatch.setattr(errors, "render_template", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setitem(app.view_functions, "favicon", failing(RuntimeError("boom")))
    with caplog.at_level(logging.ERROR):
        assert_chinese(client.get("/favicon.ico"), 500, "系统错误", "服务器处理请求时出错")
        assert_chinese(client.get("/no/such/page"), 404, "记录不存在")
        monkeypatch.setitem(app.view_functions, "favicon", failing(psycopg.OperationalError("gone")))
        assert_chinese(client.get("/favicon.ico"), 503, "数据库暂时无法连接")
    assert any("could not be rendered" in r.getMessage() for r in caplog.records)


def test_a_crash_answers_the_chinese_500_and_is_logged(app, client, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setitem(app.view_functions, "favicon", failing(KeyError("x")))
    with caplog.at_level(logging.ERROR):
        assert_chinese(client.get("/favicon.ico"), 500, "系统错误")
    assert caplog.records


def test_other_http_errors_are_chinese(client, world):
    assert_chinese(client.post("/favicon.ico"), 405, "请求方式不允许")
    assert_chinese(client.put("/login"), 405, "请求方式不允许")


def _get_endpoints(app):
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments:
            yield rule


@pytest.mark.parametrize("username", ["office", "unit_a", "admin"])
def test_head_never_builds_or_sends_a_file(app, client, world, login_as, username):
    """Every GET endpoint of the URL map, by HEAD: an endpoint whose GET answers a file (an attachment, or
    not a page) must answer HEAD with 405 without running — the builders and senders are never called and
    no export is audited."""
    from admin_app.services import excel
    from views import files as file_responses

    login_as(username)
    files = []
    for rule in _get_endpoints(app):
        url = rule.rule
        query = _row_args(rule)
        got = client.get(url, query_string=query)
        if got.status_code == 200 and (
            "attachment" in got.headers.get("Content-Disposition", "")
            or got.mimetype not in ("text/html", "application/json", "text/css", "text/javascript")
        ):
            files.append((url, query))
    assert any(url.endswith(".xlsx") for url, _q in files)  # 附表5 模板, 备案表 … (导出查询结果 is a POST)
    exported = AuditLog.query.filter_by(action="export").count()
    builders = [
        mock.patch.object(excel, "write_workbook", side_effect=AssertionError("built on HEAD")),
        mock.patch.object(file_responses, "send_stored", side_effect=AssertionError("sent on HEAD")),
        mock.patch("flask.send_file", side_effect=AssertionError("sent on HEAD")),
    ]
    for patcher in builders:
        patcher.start()
    try:
        for url, query in files:
            response = client.head(url, query_string=query)
            assert response.status_code == 405, url
            assert response.headers["Allow"] == "GET"
    finally:
        for patcher in builders:
            patcher.stop()
    assert AuditLog.query.filter_by(action="export").count() == exported


def _row_args(rule) -> dict:
    """A row for the row endpoints: the registration with a photo for the file views, else row 1."""
    from models import Material, Registration

    photo = Registration.query.filter(Registration.photo_stored.isnot(None)).first()
    row = photo.id if rule.rule.endswith("/file/") else 1
    return {"id": row, "kind": "photo", "mid": Material.query.first().id}


def test_head_on_an_export_does_not_call_the_export(app, client, world, login_as):
    from views.base import SecureModelView

    login_as("office")
    with (
        mock.patch.object(SecureModelView, "export_plan") as plan,
        mock.patch.object(SecureModelView, "filtered_query") as query,
    ):
        response = client.head("/workers/export.xlsx")
        assert response.status_code == 405 and response.data == b""
        assert not plan.called and not query.called
    assert client.post("/workers/export.xlsx").status_code == 200  # its button's POST still exports
    assert client.head("/workers/").status_code == 200  # pages keep answering HEAD
