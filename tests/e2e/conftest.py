"""Browser tests: the real app served on a loopback port from a demo-seeded SQLite file, driven by
Playwright in Debian's Chromium (never a downloaded browser)."""

import os
import socket
import tempfile
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]


# The browser tests share one seeded database. These leave rows in the open batch that the others do not expect — a
# 已报名 candidate that no 编排 seats (证书's recognised one), unit_demo's imported 待确认 candidates and approved
# applications (job progress): they run after the tests that arrange and count the batch's candidates.
LAST = ("test_certificates.py", "test_job_progress.py")


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
    items.sort(key=lambda item: "/e2e/" in str(item.fspath) and item.fspath.basename in LAST)  # stable


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server():
    from flask_migrate import upgrade

    from admin_app import create_app
    from seed import demo

    tmp = tempfile.mkdtemp(prefix="gk-e2e-")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/e2e.db",
            "UPLOAD_DIR": f"{tmp}/uploads",
            "LOGIN_RATE_LIMIT": "100000 per minute",  # the tests log in many times from 127.0.0.1
        }
    )
    with app.app_context():
        upgrade()
        demo.build()
        facts = _eligible_senior_worker()
    port = _free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(f"http://127.0.0.1:{port}", app, facts)
    server.shutdown()


class LiveServer(str):
    """The base URL (a str, so f"{live_server}/login" works) with the app and prepared facts attached."""

    def __new__(cls, url, app, facts):
        obj = super().__new__(cls, url)
        obj.app = app
        obj.facts = facts
        return obj


def _eligible_senior_worker() -> dict:
    """A worker of unit_demo's unit who qualifies for 技师 (区县属 → 区县人力社保局 → 市工考办)."""
    from datetime import date

    import sqlalchemy as sa

    from admin_app.extensions import db
    from models import AnnualAssessment, ExamBatch, PostSetting, Trade, User, Worker, WorkerEducation
    from tests.factories import make_id_number

    user = db.session.scalar(sa.select(User).where(User.username == "unit_demo"))
    batch = db.session.scalar(sa.select(ExamBatch).where(ExamBatch.year == 2021))
    trade = db.session.scalar(sa.select(Trade).where(Trade.name == "维修电工"))
    for setting in db.session.scalars(
        sa.select(PostSetting).where(PostSetting.unit_id == user.organisation_id)
    ):
        setting.approved_posts, setting.current_staff = 6, 2
    worker = Worker(
        unit_id=user.organisation_id,
        name="王技能",
        gender="M",
        id_number=make_id_number("500103", date(1972, 8, 8), 77),
        birth_date=date(1972, 8, 8),
        work_start_date=date(1992, 7, 1),
        education="high_school",
        current_trade=trade,
        certificate_trade=trade,
        current_grade=3,
        current_grade_date=date(2012, 1, 1),
        certificate_number="CQ2012000777",
        years_in_trade=28,
    )
    worker.educations.append(WorkerEducation(level="high_school", school="重庆市第七中学"))
    for year in batch.assessment_years:
        worker.assessments.append(AnnualAssessment(year=year, result="excellent" if year % 2 else "pass"))
    db.session.add(worker)
    db.session.commit()
    return {"worker_id": worker.id, "batch_id": batch.id, "trade_id": trade.id}


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run `bash .ci/browser-deps` (apt chromium fonts-noto-cjk)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def shots():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def add_candidate(
    unit, batch, trade, name: str, *, seq: int, birth, worker: dict, grade: int, **registration
):
    """A new worker of ``unit`` with an approved application for ``grade`` and its 报名 row (``registration``:
    the row's columns, 未报名 by default); flushed, not committed. ``worker``: the worker's other columns."""
    from admin_app.extensions import db
    from admin_app.workflow.states import ApplicationState, RegistrationState
    from models import Application, Registration, Worker
    from tests.factories import make_id_number

    gender = worker.pop("gender", "M")
    person = Worker(
        unit_id=unit.id,
        name=name,
        gender=gender,
        id_number=make_id_number("500103", birth, seq, gender),
        birth_date=birth,
        education="high_school",
        current_trade=trade,
        certificate_trade=trade,
        **worker,
    )
    db.session.add(person)
    db.session.flush()
    common = {
        "batch_id": batch.id,
        "worker_id": person.id,
        "unit_id": unit.id,
        "jurisdiction_id": unit.jurisdiction_id,
        "org_category": unit.org_category,
        "applied_trade_id": trade.id,
        "applied_grade": grade,
    }
    application = Application(**common, status=ApplicationState.APPROVED)
    db.session.add(application)
    db.session.flush()
    registration.setdefault("status", RegistrationState.UNREGISTERED)
    row = Registration(**common, application_id=application.id, **registration)
    db.session.add(row)
    db.session.flush()
    return row
