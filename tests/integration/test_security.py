"""Accounts and transport walls: throttling, staff networks, idle timeout, headers, database down."""

import logging
import time
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from admin_app.config import ConfigError, load_config
from admin_app.extensions import db
from admin_app.services import accounts
from models import AuditLog, LoginLock, User
from tests.conftest import IsolatedClient, login, text_of
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


def test_registration_is_throttled_per_address_on_its_own_limit(app, client, world):
    app.config["REGISTER_RATE_LIMIT"] = "2 per minute"
    try:
        for _ in range(2):
            response = client.post("/register", data={}, environ_base={"REMOTE_ADDR": "10.9.8.1"})
            assert response.status_code == 200
        response = client.post("/register", data={}, environ_base={"REMOTE_ADDR": "10.9.8.1"})
        assert response.status_code == 429 and "操作过于频繁" in text_of(response)
        # Logins from that address are not counted against it.
        assert post_login(client, "unit_a", PASSWORD, "10.9.8.1").status_code == 302
    finally:
        app.config["REGISTER_RATE_LIMIT"] = "100000 per minute"


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


def test_oversized_request_body_is_refused_in_chinese(app, client, world):
    login(client, "unit_a")
    app.config["MAX_CONTENT_LENGTH"] = 1024
    try:
        response = client.post("/workers/new/", data={"name": "x" * 5000})
        assert response.status_code == 413 and "超过了允许的大小" in text_of(response)
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 25 * 1024 * 1024


def test_wrongly_encoded_input_is_handled(client, world):
    # Invalid UTF-8 in a form body: no crash, just a failed login.
    response = client.post(
        "/login",
        data=b"username=%FF%FEunit_a&password=%C3%28",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200 and "用户名或密码错误" in text_of(response)
    response = client.get("/workers/?search=%FF%FE")  # not logged in (the login failed): to the login page
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")


def test_very_long_strings_are_refused_with_a_message(client, world):
    from models import Worker

    login(client, "unit_a")
    response = client.post(
        "/workers/new/",
        data={"name": "长" * 5000, "gender": "M", "id_number": "1", "birth_date": "1970-01-01"},
    )
    assert response.status_code == 200 and "保存失败" in text_of(response)
    from admin_app.extensions import db

    assert db.session.query(Worker).filter(Worker.name.like("长长长%")).count() == 0


def test_script_in_every_text_field_is_escaped_on_output(client, world):
    from datetime import date

    from admin_app.extensions import db
    from models import Worker
    from tests.factories import make_id_number

    evil = "<script>alert('x')</script>"
    login(client, "unit_a")
    number = make_id_number("500103", date(1980, 5, 5), 77)
    data = {
        "name": "王" + evil[:20],
        "gender": "M",
        "id_number": number,
        "birth_date": "1980-05-05",
        "certificate_number": evil[:50],
        "rewards_punishments": evil,
        "other_exclusion": evil,
        "educations-0-level": "high_school",
        "educations-0-school": evil,
        "educations-0-major": evil,
        "work_history-0-start_month": "2000-01-01",
        "work_history-0-employer": evil,
    }
    response = client.post("/workers/new/", data=data)
    assert response.status_code == 302, text_of(response)[:500]
    worker = db.session.query(Worker).filter(Worker.id_number == number).one()
    for url in ["/workers/", f"/workers/details/?id={worker.id}", f"/workers/edit/?id={worker.id}"]:
        body = client.get(url).get_data(as_text=True)
        assert "<script>alert(" not in body, url


def test_redis_storage_shares_the_login_limit_between_app_servers(world):
    import redis

    from admin_app import create_app

    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    prefix = f"gk-test-{time.time_ns()}"
    servers = [
        create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": "sqlite://",
                "SECRET_KEY": "x",
                "WTF_CSRF_ENABLED": False,
                "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
                "RATELIMIT_KEY_PREFIX": prefix,
                "LOGIN_RATE_LIMIT": "2 per minute",
            }
        )
        for _ in range(2)
    ]
    first, second = (s.test_client() for s in servers)
    address = {"REMOTE_ADDR": "10.77.0.1"}
    for client in (first, second):  # one attempt on each server
        client.post("/login", data={"username": "x", "password": "y"}, environ_base=address)
    # The third attempt, on either server, is over the shared limit.
    assert (
        first.post("/login", data={"username": "x", "password": "y"}, environ_base=address).status_code == 429
    )


@contextmanager
def another_app(app, **config):
    """A second app (another server process) on the test database with its own settings. Flask-Limiter's
    module-level limiter is rebound by it; the session app's limiter state is put back afterwards."""
    from admin_app import create_app
    from admin_app.extensions import limiter

    saved = {**limiter.__dict__, "_storage_options": dict(limiter._storage_options)}
    settings = {
        key: app.config[key]
        for key in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "UPLOAD_DIR", "WTF_CSRF_ENABLED", "TESTING")
    }
    other = create_app({**settings, **config})
    other.test_client_class = IsolatedClient
    try:
        yield other
    finally:
        with other.app_context():
            db.engine.dispose()
        limiter.__dict__.clear()
        limiter.__dict__.update(saved)


def test_an_attackers_failures_do_not_lock_the_real_user_out_from_another_address(app, world):
    """Behind a proxy (PROXY_FIX_HOPS=1): the client address is the X-Forwarded-For one."""
    with another_app(app, PROXY_FIX_HOPS=1) as proxied:
        attacker, real = proxied.test_client(), proxied.test_client()

        def attempt(client, password, address):
            return client.post(
                "/login",
                data={"username": "office", "password": password},
                headers={"X-Forwarded-For": address},
            )

        for _ in range(6):
            assert accounts.LOGIN_FAILED in text_of(attempt(attacker, "wrong-pass1", "203.0.113.9"))
        lock = db.session.scalar(sa.select(LoginLock))
        assert (lock.username, lock.address) == ("office", "203.0.113.9")
        # The attacker's address is locked even with the right password; the real user's is not.
        assert accounts.LOGIN_FAILED in text_of(attempt(attacker, PASSWORD, "203.0.113.9"))
        assert attempt(real, PASSWORD, "10.10.1.5").status_code == 302
        assert real.get("/").status_code == 200


def test_password_spraying_from_one_address_locks_that_address_only(app, client, world):
    app.config["LOGIN_ADDRESS_MAX_FAILURES"] = 8
    names = ["office", "admin", "center", "city_hr", "party_org", "yuzhong_hr", "unit_a", "unit_b"]
    try:
        for name in names:  # one guess per account: no account reaches its own threshold
            post_login(client, name, "Spring2021", "198.51.100.7")
        locks = db.session.scalars(sa.select(LoginLock)).all()
        assert [(lock.username, lock.address) for lock in locks] == [(None, "198.51.100.7")]
        row = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "login_address_locked"))
        assert '"address": "198.51.100.7"' in row.detail and '"failures": 8' in row.detail
        # Nothing more from that address, not even a right password; other addresses are unaffected.
        assert accounts.LOGIN_FAILED in text_of(post_login(client, "unit_a", PASSWORD, "198.51.100.7"))
        assert post_login(app.test_client(), "unit_a", PASSWORD, "198.51.100.8").status_code == 302
    finally:
        app.config["LOGIN_ADDRESS_MAX_FAILURES"] = 30


def test_two_hundred_clerks_behind_one_address_all_log_in_at_nine(app, world, tmp_path):
    """The production defaults (LOGIN_RATE_LIMIT, address thresholds) with 200 successful logins and 20
    typos from one NAT address: nobody is throttled."""
    from limits import parse
    from werkzeug.security import generate_password_hash

    default = parse(load_config(str(tmp_path), {})["LOGIN_RATE_LIMIT"])
    # The default's amount over a whole hour: stricter than the default (per minute) however slowly this
    # machine runs the 220 attempts.
    app.config["LOGIN_RATE_LIMIT"] = f"{default.amount} per hour"
    # A cheap hash for these 200 accounts: what is tested here is the throttle, not scrypt's cost.
    cheap = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")
    bureau = world.users["district_hr"].organisation
    db.session.add_all(
        User(username=f"clerk{i:03d}", organisation=bureau, password_hash=cheap, full_name="科员")
        for i in range(200)
    )
    db.session.commit()
    try:
        for i in range(200):
            clerk = app.test_client()
            if i % 10 == 0:
                assert post_login(clerk, f"clerk{i:03d}", "typo-pass1", "10.50.0.1").status_code == 200
            response = post_login(clerk, f"clerk{i:03d}", PASSWORD, "10.50.0.1")
            assert response.status_code == 302, (i, text_of(response)[:300])
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginLock)) == 0
    finally:
        app.config["LOGIN_RATE_LIMIT"] = "100000 per minute"


def test_logins_keep_working_when_the_rate_limit_redis_is_down(app, world, tmp_path, caplog):
    """RATELIMIT_STORAGE_URI points at a Redis that is not there: logins work, limits are kept in memory,
    and a warning is logged."""
    config = load_config(str(tmp_path), {"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1"})
    limiter_config = {key: value for key, value in config.items() if key.startswith("RATELIMIT_")}
    assert limiter_config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] is True
    with another_app(app, **limiter_config, LOGIN_RATE_LIMIT="3 per minute") as cut_off:
        client = cut_off.test_client()
        with caplog.at_level(logging.WARNING, logger="flask-limiter"):
            assert post_login(client, "unit_a", PASSWORD, "10.77.1.1").status_code == 302
        assert client.get("/").status_code == 200
        assert any("falling back to in-memory" in record.getMessage() for record in caplog.records)
        # The limit still holds, per process.
        other = cut_off.test_client()
        for _ in range(3):
            assert post_login(other, "nobody", "wrong-pass1", "10.77.1.2").status_code == 200
        response = post_login(other, "unit_a", PASSWORD, "10.77.1.2")
        assert response.status_code == 429 and "操作过于频繁" in text_of(response)


@pytest.mark.parametrize(
    "env, secure",
    [
        ({}, False),
        ({"SESSION_COOKIE_SECURE": "1"}, True),
        ({"APP_ENV": "production", "SECRET_KEY": "k" * 32, "CERTIFICATE_LINK_KEY": "c" * 32}, True),
        (
            {
                "APP_ENV": "production",
                "SECRET_KEY": "k" * 32,
                "CERTIFICATE_LINK_KEY": "c" * 32,
                "SESSION_COOKIE_SECURE": "0",
            },
            False,
        ),
    ],
)
def test_session_cookie_is_secure_by_default_in_production(tmp_path, env, secure):
    assert load_config(str(tmp_path), env)["SESSION_COOKIE_SECURE"] is secure


def test_an_unclear_cookie_setting_stops_start_up(tmp_path):
    with pytest.raises(ConfigError, match="SESSION_COOKIE_SECURE"):
        load_config(
            str(tmp_path),
            {
                "APP_ENV": "production",
                "SECRET_KEY": "k",
                "CERTIFICATE_LINK_KEY": "c",
                "SESSION_COOKIE_SECURE": "ja",
            },
        )


def test_secure_cookie_setting_reaches_the_cookie(app, client, world):
    app.config["SESSION_COOKIE_SECURE"] = True
    try:
        cookie = login(client, "unit_a").headers.get("Set-Cookie", "")
        assert "Secure" in cookie and "HttpOnly" in cookie
    finally:
        app.config["SESSION_COOKIE_SECURE"] = False
