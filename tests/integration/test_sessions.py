"""Server-side sessions: logout really ends a login, users end their other sessions, admins see 在线用户 and
强制下线, idle sessions end on the server too, and "last seen" is not written on every request."""

from datetime import timedelta

import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.services import sessions
from models import AuditLog, UserSession
from models.org import utcnow
from tests.conftest import login, text_of
from tests.factories import PASSWORD


def log_in(client, username, address="127.0.0.1", agent="TestBrowser/1.0"):
    client.post("/logout")
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": address},
        headers={"User-Agent": agent},
    )
    assert response.status_code == 302, text_of(response)[:300]
    return client


def open_rows(username):
    db.session.expire_all()
    return db.session.scalars(
        sa.select(UserSession)
        .join(UserSession.user)
        .where(UserSession.ended_at.is_(None), UserSession.user.has(username=username))
        .order_by(UserSession.id)
    ).all()


def test_logout_ends_the_session_even_for_a_copied_cookie(app, client, world):
    login(client, "unit_a")
    stolen = client.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert "A工人" in text_of(thief.get("/workers/"))  # the copy works while the session is open
    assert client.post("/logout").status_code == 302

    for method, url in (("GET", "/workers/"), ("POST", "/workers/export.xlsx"), ("GET", "/")):
        response = thief.open(url, method=method)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
        assert "A工人" not in text_of(response) and not response.data.startswith(b"PK"), url
    (row,) = db.session.scalars(sa.select(UserSession)).all()
    assert row.ended_at is not None and row.end_reason == "logout"


def test_user_sees_own_sessions_and_ends_the_others(app, world):
    first = log_in(app.test_client(), "unit_a", "10.1.1.1", "Browser-One")
    second = log_in(app.test_client(), "unit_a", "10.1.1.2", "Browser-Two")
    stranger = log_in(app.test_client(), "unit_b", "10.1.1.3", "Browser-Three")
    mine = {row.ip: row.id for row in open_rows("unit_a")}
    theirs = open_rows("unit_b")[0].id

    page = text_of(first.get("/sessions"))
    assert "10.1.1.1" in page and "10.1.1.2" in page and "Browser-Two" in page
    assert page.count("当前会话") == 1 and "10.1.1.3" not in page
    assert "登录会话" in text_of(first.get("/"))  # linked from every page

    # Another user's session, the current one and nonsense are refused in Chinese and change nothing.
    for value in (str(theirs), str(mine["10.1.1.1"]), "abc", "9" * 30, "-1", "１"):
        response = first.post("/sessions/end", data={"session": value}, follow_redirects=True)
        assert "该会话不存在、已结束或是当前会话" in text_of(response), value
    assert stranger.get("/").status_code == 200 and second.get("/").status_code == 200

    response = first.post("/sessions/end", data={"session": str(mine["10.1.1.2"])}, follow_redirects=True)
    assert "已结束 1 个其他会话" in text_of(response)
    assert second.get("/").status_code == 302 and first.get("/").status_code == 200
    ended = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "session_ended"))
    assert ended.username == "unit_a" and '"reason": "ended_by_user"' in ended.detail

    third = log_in(app.test_client(), "unit_a", "10.1.1.4")
    first.post("/sessions/end", data={"others": "1"})
    assert third.get("/").status_code == 302 and first.get("/").status_code == 200
    assert stranger.get("/").status_code == 200
    assert [row.ip for row in open_rows("unit_a")] == ["10.1.1.1"]


def test_admin_sees_online_users_and_forces_them_out(app, client, world):
    unit = log_in(app.test_client(), "unit_a", "10.2.0.1", "UnitBrowser")
    gone = log_in(app.test_client(), "unit_b", "10.2.0.2")
    gone.post("/logout")
    office = log_in(app.test_client(), "office", "10.2.0.3")
    log_in(client, "admin", "10.2.0.9")

    listing = text_of(client.get("/online/"))
    assert (
        "在线用户" in listing and "unit_a" in listing and "10.2.0.1" in listing and "UnitBrowser" in listing
    )
    assert "10.2.0.2" not in listing  # ended sessions are not online
    (target,) = open_rows("unit_a")
    assert office.get("/online/").status_code == 403
    assert (
        office.post("/online/action/", data={"action": "force_logout", "rowid": target.id}).status_code == 403
    )
    assert unit.get("/").status_code == 200

    response = client.post(
        "/online/action/", data={"action": "force_logout", "rowid": [str(target.id)]}, follow_redirects=True
    )
    assert "已强制下线 1 个会话：unit_a" in text_of(response)
    assert unit.get("/").status_code == 302
    # The person forced out is told why, once, on the login page.
    assert "登录已失效" in text_of(unit.get("/login"))
    assert "登录已失效" not in text_of(unit.get("/login"))
    assert office.get("/").status_code == 200 and client.get("/online/").status_code == 200
    row = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "session_ended"))
    assert row.username == "admin" and row.object_id == str(target.id) and '"reason": "forced"' in row.detail
    # An ended session is not online any more: its details page is 404 and a second 强制下线 ends nothing.
    assert client.get(f"/online/details/?id={target.id}").status_code == 404
    response = client.post(
        "/online/action/", data={"action": "force_logout", "rowid": [str(target.id)]}, follow_redirects=True
    )
    assert "已强制下线 0 个会话" in text_of(response)


def test_idle_session_ends_on_the_server_even_with_a_valid_cookie(app, client, world):
    login(client, "unit_a")
    (row,) = open_rows("unit_a")
    row.last_seen_at = utcnow() - timedelta(minutes=29)
    db.session.commit()
    assert client.get("/").status_code == 200  # still within the 30 minutes
    row.last_seen_at = utcnow() - timedelta(minutes=32)
    db.session.commit()
    response = client.get("/workers/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    db.session.expire_all()
    assert row.end_reason == "expired"


def test_last_seen_is_written_at_most_once_a_minute(app, client, world, monkeypatch):
    moment = [utcnow()]
    monkeypatch.setattr(sessions, "utcnow", lambda: moment[0])
    login(client, "unit_a")
    writes = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE USER_SESSION"):
            writes.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        logged_in = moment[0]
        for seconds in (5, 30, 59):
            moment[0] = logged_in + timedelta(seconds=seconds)
            assert client.get("/workers/").status_code == 200
        assert writes == []
        moment[0] = logged_in + timedelta(seconds=61)
        assert client.get("/workers/").status_code == 200
        assert client.get("/workers/").status_code == 200
        assert len(writes) == 1
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    (row,) = open_rows("unit_a")
    assert row.last_seen_at == moment[0]


def test_control_characters_in_the_browser_name_do_not_break_login(app, client, world):
    log_in(client, "unit_a", agent="Evil\x00Agent\x1b")
    (row,) = open_rows("unit_a")
    assert row.user_agent == "EvilAgent"
    assert client.get("/").status_code == 200


def test_password_change_ends_the_other_sessions_on_the_server(app, world):
    first = log_in(app.test_client(), "unit_a", "10.3.0.1")
    second = log_in(app.test_client(), "unit_a", "10.3.0.2")
    first.post(
        "/password",
        data={"current_password": PASSWORD, "new_password": "Another2021", "confirm": "Another2021"},
    )
    assert first.get("/").status_code == 200 and second.get("/").status_code == 302
    reasons = {row.ip: row.end_reason for row in db.session.scalars(sa.select(UserSession))}
    assert reasons == {"10.3.0.1": None, "10.3.0.2": "password_changed"}
