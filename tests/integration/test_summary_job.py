"""附表3 汇总表 (one sheet per 申报工种) as a 下载中心 job above ``limits.SUMMARY_DIRECT_ROWS`` people (issue 19
point 2): the job's workbook is the one the request would have made (sheets, header, rows), for its owner alone;
a unit's job holds only its own rows; no single batch is refused before anything is queued; Redis down refuses
in Chinese with nothing queued."""

import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from admin_app import limits
from admin_app.extensions import db
from admin_app.services import uploads
from admin_app.workflow.states import JobState, pending
from models import AuditLog, Job, Notification, Trade, enums
from tests.conftest import login, text_of
from tests.factories import add_application, add_worker
from tests.integration.test_applications import fresh
from tests.integration.test_download_jobs import queue, run_queued  # noqa: F401  (queue: the fixture)


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
def test_a_units_summary_above_the_threshold_is_its_own_job(app, client, world, two_trades, monkeypatch):
    monkeypatch.setattr(limits, "SUMMARY_DIRECT_ROWS", 1)
    login(client, two_trades.users[0].username)
    response = client.get("/applications/summary.xlsx")
    assert response.status_code == 302 and response.headers["Location"].endswith("/downloads/")
    assert "共2人，附表3汇总表已转为后台任务" in text_of(client.get("/downloads/"))
    job = db.session.scalars(sa.select(Job)).one()
    assert (job.kind, job.title) == ("summary_xlsx", "附表3汇总表（2021年度，2人）")
    db.session.rollback()
    run_queued(app)
    job = db.session.get(Job, job.id)
    assert job.state == JobState.FINISHED, job.error
    assert (job.rows_done, job.rows_total) == (2, 2)
    download = client.get(f"/downloads/download/?id={job.id}")
    assert download.status_code == 200 and download.mimetype == uploads.XLSX_TYPE
    book = load_workbook(io.BytesIO(download.data))
    assert set(book.sheetnames) == {"电工", "中式烹调师"}
    assert book["电工"]["A2"].value == "2021年度（电工工种）"
    assert book["电工"]["E3"].value == "填报单位（章）：汇总单位"
    assert names_of(book) == [
        "厨师甲",
        "汇总申报人",
    ]  # only this unit's, though world has others in the batch
    # The same workbook as the request makes below the threshold
    monkeypatch.setattr(limits, "SUMMARY_DIRECT_ROWS", 500)
    direct = load_workbook(io.BytesIO(client.get("/applications/summary.xlsx").data))
    assert direct.sheetnames == book.sheetnames and names_of(direct) == names_of(book)
    message = db.session.scalars(sa.select(Notification).where(Notification.kind == "download_ready")).one()
    assert message.title == "附表3汇总表已生成" and message.organisation_id == two_trades.id
    audits = db.session.scalars(sa.select(AuditLog.detail).where(AuditLog.action == "export")).all()
    assert len(audits) == 2 and sum('"background": true' in d for d in audits) == 1
    login(client, "office")
    assert client.get(f"/downloads/download/?id={job.id}").status_code == 404


@pytest.mark.usefixtures("queue")
def test_all_batches_is_refused_before_anything_is_queued(app, client, world, two_trades, monkeypatch):
    monkeypatch.setattr(limits, "SUMMARY_DIRECT_ROWS", 0)
    login(client, "office")
    page = client.get("/applications/summary.xlsx?all_batches=1", follow_redirects=True)
    assert "附表3按批次填报：请先在组合查询中选择一个批次" in text_of(page)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0


def test_with_redis_down_the_summary_job_is_refused_in_chinese(app, client, world, two_trades, monkeypatch):
    monkeypatch.setattr(limits, "SUMMARY_DIRECT_ROWS", 1)
    monkeypatch.setitem(app.config, "JOBS_REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.delitem(app.extensions, "gk_jobs_redis", raising=False)
    login(client, two_trades.users[0].username)
    page = client.get("/applications/summary.xlsx", follow_redirects=True)
    assert "后台任务服务暂时不可用，超过1人的附表3暂时无法生成" in text_of(page)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0
    assert not db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "export")).all()
    monkeypatch.delitem(app.extensions, "gk_jobs_redis", raising=False)
