"""附表3 汇总表 (one sheet per 申报工种), a multi-sheet workbook, is always a 下载中心 job (issue 19 point 2): run by
a real worker process, its workbook holds the sheets, header and rows the request used to make, for its owner
alone (404 for anyone else); a unit's job holds only its own rows; its owner is told by 站内消息; no single batch
or no row is refused before anything is queued; Redis down refuses in Chinese with nothing queued.

``job_workbook`` (the job a URL queues, run and downloaded) serves the other 附表3 tests."""

import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from admin_app.extensions import db
from admin_app.services import uploads
from admin_app.workflow.states import JobState, pending
from models import AuditLog, Job, Notification, Trade, enums
from tests.conftest import login, text_of
from tests.factories import add_application, add_worker
from tests.integration.test_applications import fresh
from tests.integration.test_download_jobs import queue, run_queued  # noqa: F401  (queue: the fixture)
from tests.processes import run_burst_worker


def queued_job(client, url: str) -> Job:
    """POST to ``url`` (a button that queues a job: a form): sent to the 下载中心; the job it queued (the latest)."""
    response = client.post(url)
    assert response.status_code == 302 and response.headers["Location"].endswith("/downloads/"), (
        response.status_code,
        response.headers.get("Location"),
    )
    job = db.session.scalars(sa.select(Job).order_by(Job.id.desc()).limit(1)).one()
    db.session.rollback()
    return job


def downloaded(client, job_id: int):
    """The finished job's file from the 下载中心 (the logged-in user's), as a workbook; and the response."""
    db.session.rollback()
    job = db.session.get(Job, job_id)
    assert job.state == JobState.FINISHED, job.error
    download = client.get(f"/downloads/download/?id={job_id}")
    assert download.status_code == 200 and download.mimetype == uploads.XLSX_TYPE
    return load_workbook(io.BytesIO(download.data)), download


def job_workbook(client, url: str):
    """The workbook of the job ``url`` queues, run through RQ in this process (the ``queue`` fixture in use)."""
    job = queued_job(client, url)
    run_queued(client.application)
    return downloaded(client, job.id)


@pytest.fixture
def two_trades(world):
    """A 区县属 unit with two submitted applications of two 工种 (电工, 中式烹调师)."""
    unit, app = fresh(world, "汇总", enums.CAT_DISTRICT)
    unit.supervisor = world.units["P"]
    app.status = pending(enums.DISTRICT_HR)
    cook = Trade.query.filter_by(name="中式烹调师").one()
    other = add_worker(unit, "厨师甲", 400, cook, world.batch)
    other.current_trade = other.certificate_trade = cook
    db.session.flush()
    add_application(world, other, applied_trade=cook, status=pending(enums.DISTRICT_HR))
    db.session.commit()
    return unit


def names_of(book) -> list[str]:
    return sorted(c.value for sheet in book for c in sheet["B"][5:] if c.value and "备注" not in str(c.value))


@pytest.mark.usefixtures("queue")
def test_a_units_summary_is_its_own_job_run_by_a_worker(app, client, world, two_trades):
    login(client, two_trades.users[0].username)
    job = queued_job(client, "/applications/summary.xlsx")
    assert "共2人，附表3汇总表已转为后台任务" in text_of(client.get("/downloads/"))
    assert (job.kind, job.title, job.state) == (
        "summary_xlsx",
        "附表3汇总表（2021年度，2人）",
        JobState.QUEUED,
    )

    worker = run_burst_worker(app, 90)
    assert worker.returncode == 0, worker.stderr[-2000:]
    book, _response = downloaded(client, job.id)
    job = db.session.get(Job, job.id)
    assert (job.rows_done, job.rows_total) == (2, 2)
    assert set(book.sheetnames) == {"电工", "中式烹调师"}
    sheet = book["电工"]
    assert sheet["A1"].value == "重庆市机关事业单位工勤人员技术等级晋升申报汇总表"
    assert sheet["A2"].value == "2021年度（电工工种）"
    assert sheet["A3"].value.startswith("主管部门（章）：丙单位")
    assert sheet["E3"].value == "填报单位（章）：汇总单位"
    assert [c.value for c in sheet[6]][:3] == ["1", "汇总申报人", "男"]
    assert book["中式烹调师"]["A2"].value == "2021年度（中式烹调师工种）"
    assert names_of(book) == [
        "厨师甲",
        "汇总申报人",
    ]  # only this unit's, though world has others in the batch
    message = db.session.scalars(sa.select(Notification).where(Notification.kind == "download_ready")).one()
    assert message.title == "附表3汇总表已生成" and message.organisation_id == two_trades.id
    assert "（2人）" in message.body and "下载中心" in message.body
    audits = db.session.scalars(sa.select(AuditLog.detail).where(AuditLog.action == "export")).all()
    assert len(audits) == 1 and '"background": true' in audits[0]
    for other in ("office", world.units["A"].users[0].username):
        login(client, other)
        assert client.get(f"/downloads/download/?id={job.id}").status_code == 404


@pytest.mark.usefixtures("queue")
def test_all_batches_is_refused_before_anything_is_queued(app, client, world, two_trades):
    login(client, "office")
    page = client.post("/applications/summary.xlsx?all_batches=1", follow_redirects=True)
    assert "附表3按批次填报：请先在组合查询中选择一个批次" in text_of(page)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0


@pytest.mark.usefixtures("queue")
def test_a_query_without_submitted_applications_queues_nothing(app, client, world, two_trades):
    login(client, two_trades.users[0].username)
    page = client.post("/applications/summary.xlsx?search=无此人", follow_redirects=True)
    assert "当前查询在该批次没有已提交的申请，未生成附表3汇总表" in text_of(page)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0


def test_with_redis_down_the_summary_job_is_refused_in_chinese(app, client, world, two_trades, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.delitem(app.extensions, "gk_jobs_redis", raising=False)
    login(client, two_trades.users[0].username)
    page = client.post("/applications/summary.xlsx", follow_redirects=True)
    assert "后台任务服务暂时不可用，附表3汇总表暂时无法生成" in text_of(page)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0
    assert not db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "export")).all()
    monkeypatch.delitem(app.extensions, "gk_jobs_redis", raising=False)
