"""Accounts and transport walls: throttling, staff networks, idle timeout, headers, database down."""

import time

import pytest

from tests.conftest import login, text_of
from tests.factories import PASSWORD


def post_login(client, username, password, address):
    return client.post(
        "/login", data={"username": username, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def test_login_is_throttled_per_address(app, client, world):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    try:
        for _ in range(3):
            assert post_login(client, "nobody", "wrong-pass1", "10.9.9.1").status_code == 200
        response = post_login(client, "unit_a", PASSWORD, "10.9.9.1")
        assert response.status_code == 429 and "操作过于频繁" in text_of(response)
        # Another address is not affected.
        assert post_login(client, "unit_a", PASSWORD, "10.9.9.2").status_code == 302
    finally:
        app.config["LOGIN_RATE_LIMIT"] = "100000 per minute"


def test_staff_may_log_in_only_from_configured_networks(app, client, world):
    app.config["STAFF_ALLOWED_NETWORKS"] = ["10.10.0.0/16"]
    try:
        body = text_of(post_login(client, "office", PASSWORD, "203.0.113.5"))
        assert "须通过金保网（内网）登录" in body
        assert post_login(client, "office", PASSWORD, "10.10.54.101").status_code == 302
        # Units use the internet.
        assert post_login(app.test_client(), "unit_a", PASSWORD, "203.0.113.5").status_code == 302
    finally:
        app.config["STAFF_ALLOWED_NETWORKS"] = []


def test_idle_session_expires(app, client, world):
    from datetime import timedelta

    app.permanent_session_lifetime = timedelta(seconds=1)
    try:
        login(client, "unit_a")
        assert client.get("/").status_code == 200
        time.sleep(2.1)
        response = client.get("/")
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    finally:
        app.permanent_session_lifetime = timedelta(minutes=30)


def test_security_headers_and_cookie_flags(client, world):
    response = login(client, "unit_a")
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/workers/")
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert page.headers["Cache-Control"] == "no-store"


def test_database_unreachable_gives_a_chinese_503_and_writes_nothing(tmp_path):
    from admin_app import create_app

    broken = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1",
            "SECRET_KEY": "x",
            "WTF_CSRF_ENABLED": False,
        }
    )
    response = broken.test_client().post("/login", data={"username": "unit_a", "password": PASSWORD})
    assert response.status_code == 503
    assert "数据库暂时无法连接" in response.get_data(as_text=True)


@pytest.mark.parametrize("field", ["name", "address"])
def test_html_in_text_fields_is_escaped(client, world, field):
    from admin_app.extensions import db

    unit = world.units["A"]
    setattr(unit, field, "<script>alert(1)</script>甲")
    db.session.commit()
    login(client, "office")
    body = client.get(f"/units/details/?id={unit.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body
