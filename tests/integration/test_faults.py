"""Faults answer in Chinese and never lie: /healthz for load balancers, and a database lost after the work
was committed never gives the page that says nothing was saved."""

import re
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from admin_app import create_app, workflow
from admin_app.extensions import db
from admin_app.workflow.states import ApplicationState
from models import Application, enums
from tests.conftest import login, text_of
from tests.factories import add_material
from tests.integration.test_applications import fresh

NOT_SAVED = "您的操作没有被保存"


@contextmanager
def database_lost_after_the_next_commit(engine):
    """Every statement after the next commit fails as if the server had gone away."""
    lost = []
    error = engine.dialect.dbapi.OperationalError

    def after_commit(session):
        lost.append(True)

    def before_execute(conn, cursor, statement, parameters, context, executemany):
        if lost:
            raise error("server closed the connection unexpectedly")

    event.listen(Session, "after_commit", after_commit)
    event.listen(engine, "before_cursor_execute", before_execute)
    try:
        yield lost
    finally:
        event.remove(engine, "before_cursor_execute", before_execute)
        event.remove(Session, "after_commit", after_commit)


def test_healthz_answers_ok_with_the_database(client, world):
    response = client.get("/healthz")
    assert response.status_code == 200
    # the job queue (下载中心) is this run's own, empty, and no worker serves it here
    assert response.get_json() == {
        "status": "ok",
        "checks": {"database": "ok", "queue": "ok"},
        "queue": {"length": 0, "workers": 0},
    }
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_is_503_without_the_database_and_names_no_address():
    broken = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1",
            "SECRET_KEY": "x",
            "JOBS_REDIS_URL": "redis://127.0.0.1:1/0",
        }
    )
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "unavailable",
        "checks": {"database": "unavailable", "queue": "unavailable"},
        "queue": {},
    }
    assert "127.0.0.1" not in response.get_data(as_text=True)


def test_healthz_checks_redis_when_the_limits_live_there(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/15")
    assert client.get("/healthz").get_json()["checks"] == {"database": "ok", "queue": "ok", "redis": "ok"}
    # Redis gone: logins fall back to this process's limits, so the server stays in rotation.
    monkeypatch.setitem(app.config, "RATELIMIT_STORAGE_URI", "redis://127.0.0.1:1/0")
    response = client.get("/healthz")
    assert response.status_code == 200
    answer = response.get_json()
    assert (answer["status"], answer["checks"]) == (
        "degraded",
        {"database": "ok", "queue": "ok", "redis": "unavailable"},
    )


def test_a_bulk_decision_saved_before_the_database_was_lost_shows_its_result(app, client, world):
    unit, application = fresh(world, "lost", enums.CAT_DISTRICT)
    workflow.submit(unit.users[0], [application.id])
    add_material(db.session.get(Application, application.id))
    db.session.commit()
    login(client, "yuzhong_hr")
    with app.app_context(), database_lost_after_the_next_commit(db.engine) as lost:
        response = client.post(
            "/review_queue/decide/", data={"op": "approve", "rowid": application.id, "opinion": "同意"}
        )
    assert lost, "the decision was committed"
    body = re.sub(r"<[^>]+>", "", text_of(response))
    assert response.status_code == 200
    assert NOT_SAVED not in body
    assert "以下操作已经保存" in body and "成功 1 条" in body and "lost申报人" in body
    db.session.expire_all()
    assert db.session.get(Application, application.id).status == ApplicationState.APPROVED


def test_the_503_page_after_a_commit_says_the_work_was_saved(tmp_path):
    probe = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/probe.db", "SECRET_KEY": "x"}
    )

    def save_then_fail():
        db.session.commit()
        db.session.execute(sa.text("SELECT 1"))
        return "unreachable"

    probe.add_url_rule("/probe", "probe", save_then_fail, methods=["GET", "POST"])
    probe.config["WTF_CSRF_ENABLED"] = False
    with probe.app_context(), database_lost_after_the_next_commit(db.engine):
        posted = probe.test_client().post("/probe")
    assert posted.status_code == 503
    assert "您的操作已经保存" in text_of(posted) and NOT_SAVED not in text_of(posted)
    with probe.app_context(), database_lost_after_the_next_commit(db.engine):
        fetched = probe.test_client().get("/probe")
    assert fetched.status_code == 503 and NOT_SAVED in text_of(fetched)


def test_a_last_seen_write_before_the_loss_is_not_called_saved_work(app, client, world, monkeypatch):
    """The session's "last seen" commit is bookkeeping: the decision after it was not saved, and the page
    says so."""
    unit, application = fresh(world, "touch", enums.CAT_DISTRICT)
    workflow.submit(unit.users[0], [application.id])
    add_material(db.session.get(Application, application.id))
    db.session.commit()
    login(client, "yuzhong_hr")
    monkeypatch.setitem(app.config, "SESSION_TOUCH_SECONDS", 0)  # every request writes "last seen"
    with app.app_context(), database_lost_after_the_next_commit(db.engine) as lost:
        response = client.post(
            "/review_queue/decide/", data={"op": "approve", "rowid": application.id, "opinion": "同意"}
        )
    assert lost, "the last-seen time was committed first"
    assert response.status_code == 503
    assert NOT_SAVED in text_of(response) and "已经保存" not in text_of(response)
    db.session.expire_all()
    assert db.session.get(Application, application.id).status != ApplicationState.APPROVED
