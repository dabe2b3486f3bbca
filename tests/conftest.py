"""Fixtures: one app and one migrated database per session (SQLite file, or TEST_DATABASE_URL for
PostgreSQL), every table emptied after each test, and a logged-in test client per role."""

import os
import re
import tempfile

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_migrate import upgrade

from admin_app import create_app
from admin_app.extensions import db
from tests import factories


def _database_url(tmp_dir: str) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_dir}/test.db"


class IsolatedClient(FlaskClient):
    """Each request gets its own app context (fresh ``g`` and DB session), as in production, even while
    the test itself holds one open to prepare and inspect data. The body is read and the response closed
    within the request, as a server does before its next request: a streamed body (Excel exports) left
    unread would otherwise be closed whenever it is garbage-collected, popping its request context out of
    order. Tests of the streaming itself call ``FlaskClient.open(client, url, buffered=False)``."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app():
    tmp_dir = tempfile.mkdtemp(prefix="gk-test-")
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": _database_url(tmp_dir),
            "UPLOAD_DIR": os.path.join(tmp_dir, "uploads"),
            "WTF_CSRF_ENABLED": False,
            "SECRET_KEY": "test-secret-key-not-for-production",
            # Tests log in thousands of times from 127.0.0.1; test_security sets its own limits.
            "LOGIN_RATE_LIMIT": "100000 per minute",
            "REGISTER_RATE_LIMIT": "100000 per minute",
            # 下载中心 jobs: a Redis database of the tests and a queue of this run alone (parallel runs)
            "JOBS_REDIS_URL": os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14"),
            "JOB_QUEUE": f"gk-test-{os.getpid()}",
        }
    )
    app.test_client_class = IsolatedClient
    with app.app_context():
        # A reused PostgreSQL database may hold an older schema: start from empty, through the migrations.
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
    yield app


@pytest.fixture(autouse=True)
def _clean_database(request):
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    yield
    with app.app_context():
        db.session.rollback()
        tables = [t for t in reversed(db.metadata.sorted_tables)]
        if db.engine.dialect.name == "postgresql":
            _empty_postgresql(tables)
        else:
            with db.engine.begin() as conn:
                conn.execute(sa.text("PRAGMA foreign_keys=OFF"))
                for table in tables:
                    conn.execute(table.delete())
                conn.execute(sa.text("PRAGMA foreign_keys=ON"))
        db.session.remove()


# PostgreSQL: DELETE with the triggers off (the audit log's append-only trigger, the tallies') and the
# sequences restarted — the same empty tables as TRUNCATE … RESTART IDENTITY, in ~0.05 s where TRUNCATE takes
# 0.4–1.5 s (it makes new files for every one of the ~200 tables and indexes): a third of the suite's time on
# PostgreSQL. A DELETE leaves the tables' pages and statistics behind: a test that reads a plan asks for
# ``pristine_tables`` (a TRUNCATE before it), and tests read rows in an explicit order. Turning the triggers
# off needs a superuser (CI's postgres); any other role gets the TRUNCATE.
_EMPTY = """
DO $$ DECLARE t text; s text; BEGIN
  FOR t IN SELECT unnest(CAST(:tables AS text[])) LOOP EXECUTE 'DELETE FROM ' || quote_ident(t); END LOOP;
  FOR s IN SELECT quote_ident(sequencename) FROM pg_sequences WHERE schemaname = current_schema() LOOP
    PERFORM setval(s, 1, false);
  END LOOP;
END $$"""


def _truncate_postgresql(conn, tables) -> None:
    names = ", ".join(f'"{t.name}"' for t in tables)
    conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


def _empty_postgresql(tables) -> None:
    with db.engine.begin() as conn:
        superuser = conn.scalar(sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))
        if superuser:
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
            conn.execute(sa.text(_EMPTY.replace(":tables", "'{" + ",".join(t.name for t in tables) + "}'")))
        else:
            _truncate_postgresql(conn, tables)


@pytest.fixture
def pristine_tables(app):
    """Tables as new before the test (PostgreSQL: no page, no statistics left by earlier tests), for tests
    that read the planner's choice."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                _truncate_postgresql(conn, db.metadata.sorted_tables)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def world(app, ctx):
    return factories.build_world()


@pytest.fixture
def client(app):
    return app.test_client()


def login(client, username, password=factories.PASSWORD):
    client.post("/logout")
    return client.post("/login", data={"username": username, "password": password})


@pytest.fixture
def login_as(client):
    def _login(username, password=factories.PASSWORD):
        response = login(client, username, password)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return _login


# Written by any request by design: the audit log, and the sessions' "last seen" and login bookkeeping.
# (certificate_lookup: the public 证书查验's look-ups, counted per address for its rate limit)
# bulk_pin: a confirmation page of 「全部符合筛选条件」 pins the rows it shows (a GET writes it by design)
BOOKKEEPING_TABLES = frozenset(
    {"audit_log", "user_session", "login_failure", "login_lock", "certificate_lookup", "bulk_pin"}
)


def snapshot_database() -> dict:
    """Every row of every table (bookkeeping aside): compare before/after to prove nothing changed."""
    rows = {}
    for table in db.metadata.sorted_tables:
        if table.name in BOOKKEEPING_TABLES:
            continue
        order = list(table.primary_key.columns)
        rows[table.name] = [tuple(r) for r in db.session.execute(sa.select(table).order_by(*order))]
    db.session.rollback()
    return rows


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))
