import re
from datetime import timedelta

import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.services import accounts
from models import AuditLog, LoginFailure, LoginLock
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


def login_message(response) -> str:
    """The text of the page's flashed alert(s): what the person is told."""
    return " ".join(
        re.sub(r"\s+", " ", m).strip()
        for m in re.findall(
            r'<div class="alert[^"]*" role="alert">(.*?)</div>', response.get_data(as_text=True)
        )
    )


def attempt(client, username, password):
    return client.post("/login", data={"username": username, "password": password})


def test_fifth_failure_locks_that_name_from_that_address_for_15_minutes(client, world):
    for _attempt in range(4):
        assert login_message(attempt(client, "unit_a", "wrong-pass1")) == accounts.LOGIN_FAILED
    assert not db.session.scalar(sa.select(LoginLock.id))
    assert login_message(attempt(client, "unit_a", "wrong-pass1")) == accounts.LOGIN_FAILED
    lock = db.session.scalar(sa.select(LoginLock).where(LoginLock.username == "unit_a"))
    assert lock.address == "127.0.0.1"
    assert utcnow() + timedelta(minutes=14) < lock.locked_until <= utcnow() + timedelta(minutes=15)
    audited = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "login_locked"))
    assert audited.object_id == str(lock.id) and '"username": "unit_a"' in audited.detail
    # Even the right password is refused while locked, with the same answer.
    assert login_message(attempt(client, "unit_a", PASSWORD)) == accounts.LOGIN_FAILED
    assert client.get("/").status_code == 302
    # After the lock expires the right password works again.
    lock.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert login(client, "unit_a", PASSWORD).status_code == 302
    assert client.get("/").status_code == 200


def test_unknown_user_wrong_password_and_locked_login_get_the_same_answer(client, world):
    unknown = login_message(attempt(client, "nobody", "whatever1"))
    wrong = login_message(attempt(client, "unit_a", "wrong-pass1"))
    for _ in range(5):
        attempt(client, "unit_b", "wrong-pass1")
    locked = login_message(attempt(client, "unit_b", PASSWORD))  # locked: the right password is refused
    assert unknown == wrong == locked == accounts.LOGIN_FAILED
    assert "用户名或密码错误" in unknown
    for revealing in ("再错", "次将锁定", "已锁定", "账号已", "不存在"):
        assert revealing not in unknown
    # A name that does not exist is throttled exactly like one that does (no enumeration by locking).
    for _ in range(5):
        attempt(client, "nobody2", "whatever1")
    assert db.session.scalar(sa.select(LoginLock.id).where(LoginLock.username == "nobody2"))


def test_control_characters_in_the_name_are_a_failed_login_not_an_error(client, world):
    # PostgreSQL refuses NUL in a query parameter: the name is cleaned before it is looked up or counted.
    for name in ("unit_a\x00", "\x00", "unit\x1b_a"):
        response = attempt(client, name, PASSWORD)
        assert response.status_code == 200 and login_message(response) == accounts.LOGIN_FAILED, repr(name)
    # Counted under the cleaned name (they count towards that name's lock), never logged in as it.
    assert sorted(db.session.scalars(sa.select(LoginFailure.username))) == ["", "unit_a", "unit_a"]


def test_unknown_and_locked_logins_check_a_dummy_hash_of_the_same_cost(app, client, world, monkeypatch):
    """One scrypt check per refused login whatever the reason, with the parameters of a real hash."""
    import admin_app.services.accounts as accounts_module

    world.users["unit_b"].set_password(PASSWORD)  # the app's own cost (the test accounts' hash is cheaper)
    db.session.commit()
    checked = []
    real = accounts_module.check_password_hash
    monkeypatch.setattr(
        accounts_module, "check_password_hash", lambda h, p: checked.append(h.split("$")[0]) or real(h, p)
    )
    for _ in range(5):
        attempt(client, "unit_b", "wrong-pass1")
    checked.clear()
    attempt(client, "nobody", "whatever1")  # unknown
    attempt(client, "unit_b", PASSWORD)  # locked
    stored = world.users["unit_b"].password_hash.split("$")[0]
    assert checked == [stored, stored] and stored.startswith("scrypt:")


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
        assert client.post("/sessions/end", data={"others": "1"}).status_code == 400
        assert client.post("/logout").status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    db.session.expire_all()
    assert db.session.get(type(worker), worker.id).name == "A工人"
