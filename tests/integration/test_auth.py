from datetime import timedelta

import sqlalchemy as sa

from admin_app.extensions import db
from models import AuditLog, User
from models.org import utcnow
from tests.conftest import login, text_of
from tests.factories import PASSWORD


def test_login_page_is_chinese(client):
    body = text_of(client.get("/login"))
    assert "用户登录" in body and "用户注册" in body


def test_anonymous_is_sent_to_login(client, world):
    response = client.get("/workers/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_login_with_right_password_and_logout(client, world):
    response = login(client, "unit_a")
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302
    actions = set(db.session.scalars(sa.select(AuditLog.action)))
    assert {"login", "logout"} <= actions


def test_wrong_password_counts_and_fifth_failure_locks_for_15_minutes(client, world):
    for attempt in range(1, 5):
        body = text_of(login(client, "unit_a", "wrong-pass1"))
        assert f"再错{5 - attempt}次将锁定账号" in body
    body = text_of(login(client, "unit_a", "wrong-pass1"))
    assert "账号已锁定15分钟" in body
    user = db.session.scalar(sa.select(User).where(User.username == "unit_a"))
    assert user.locked_until > utcnow() + timedelta(minutes=14)
    # Even the right password is refused while locked.
    body = text_of(login(client, "unit_a", PASSWORD))
    assert "账号已锁定" in body
    assert client.get("/").status_code == 302
    # After the lock expires the right password works again.
    user.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert login(client, "unit_a", PASSWORD).status_code == 302
    assert client.get("/").status_code == 200


def test_unknown_user_gets_the_same_message(client, world):
    body = text_of(login(client, "nobody", "whatever1"))
    assert "用户名或密码错误" in body


def test_disabled_account_cannot_log_in(client, world):
    world.users["unit"].active = False
    db.session.commit()
    body = text_of(login(client, "unit_a"))
    assert "账号已停用" in body


def test_staff_must_change_password_first(client, world):
    world.users["office"].must_change_password = True
    db.session.commit()
    response = login(client, "office")
    assert response.headers["Location"].endswith("/password")
    # Every other page redirects to the change form.
    response = client.get("/units/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/password")
    # Policy enforced.
    body = text_of(
        client.post(
            "/password", data={"current_password": PASSWORD, "new_password": "short", "confirm": "short"}
        )
    )
    assert "密码长度至少8位" in body
    body = text_of(
        client.post(
            "/password", data={"current_password": PASSWORD, "new_password": PASSWORD, "confirm": PASSWORD}
        )
    )
    assert "新密码不能与原密码相同" in body
    response = client.post(
        "/password",
        data={"current_password": PASSWORD, "new_password": "NewPass2021", "confirm": "NewPass2021"},
    )
    assert response.status_code == 302
    assert client.get("/units/").status_code == 200
    db.session.expire_all()
    assert world.users["office"].must_change_password is False


def test_password_change_ends_other_sessions(app, world):
    first, second = app.test_client(), app.test_client()
    login(first, "unit_a")
    login(second, "unit_a")
    assert second.get("/").status_code == 200
    first.post(
        "/password",
        data={"current_password": PASSWORD, "new_password": "Another2021", "confirm": "Another2021"},
    )
    assert first.get("/").status_code == 200  # the session that changed it stays in
    assert second.get("/").status_code == 302  # the other one is out


def test_wrong_current_password_changes_nothing(client, world):
    login(client, "unit_a")
    before = world.users["unit"].password_hash
    body = text_of(
        client.post(
            "/password",
            data={"current_password": "bad", "new_password": "Another2021", "confirm": "Another2021"},
        )
    )
    assert "原密码不正确" in body
    db.session.expire_all()
    assert world.users["unit"].password_hash == before


def test_open_redirect_is_not_followed(client, world):
    response = client.post("/login?next=//evil.example/x", data={"username": "unit_a", "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_csrf_is_required_on_posts(app, client, world):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/login", data={"username": "unit_a", "password": PASSWORD})
        assert response.status_code == 400
        assert "CSRF" in text_of(response)
        # With the token from the page it works.
        import re

        token = re.search(
            r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").get_data(as_text=True)
        )
        assert token
        response = client.post(
            "/login", data={"username": "unit_a", "password": PASSWORD, "csrf_token": token.group(1)}
        )
        assert response.status_code == 302
        # Admin-view POSTs (delete, actions, edit) are refused without the token as well.
        worker = world.workers["A"]
        assert client.post("/workers/delete/", data={"id": worker.id}).status_code == 400
        assert (
            client.post("/workers/action/", data={"action": "delete", "rowid": worker.id}).status_code == 400
        )
        assert client.post(f"/workers/edit/?id={worker.id}", data={"name": "x"}).status_code == 400
        assert client.post("/logout").status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    db.session.expire_all()
    assert db.session.get(type(worker), worker.id).name == "A工人"
