"""下载中心 (issue 19): an export above EXPORT_JOB_ROWS runs as a job on Redis (RQ) as its owner; the owner alone
downloads it; expired files are cleaned; with Redis down the large export is refused in Chinese and small ones
still stream. The jobs here run through RQ in this process (``run_queued``); tests/integration/
tests/integration/test_download_worker.py runs a real worker process and kills it."""

import io
import signal
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from admin_app.extensions import db
from admin_app.services import job_upkeep, jobs, uploads
from admin_app.workflow.states import JobState
from models import Job, Notification, Worker
from models.org import utcnow
from tests.conftest import login


def run_queued(app) -> None:
    """Every job of this run's queue, through RQ (a SimpleWorker in this process, in burst mode)."""
    from rq import SimpleWorker

    kept = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM, signal.SIGALRM)}
    try:
        with app.app_context():
            SimpleWorker([jobs.queue()], connection=jobs.redis_connection()).work(burst=True)
    finally:  # RQ's handlers would stay installed and stop the test run at the next signal
        for number, handler in kept.items():
            signal.signal(number, handler)


@pytest.fixture
def queue(app, ctx):
    """This run's queue, emptied before and after (its Redis database is the tests')."""
    q = jobs.queue()
    q.empty()
    yield q
    q.empty()
    connection = jobs.redis_connection()
    for key in connection.scan_iter(f"*{app.config['JOB_QUEUE']}*"):  # RQ's keys and the progress keys
        connection.delete(key)


@pytest.fixture
def low_threshold(app, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_JOB_ROWS", 1)


def rows_of(data: bytes) -> list:
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    return [row for row in sheet.iter_rows(values_only=True)][1:]


def test_an_export_above_the_threshold_runs_as_the_owners_job(app, client, world, queue, low_threshold):
    login(client, "unit_a")
    listed = client.get("/workers/").get_data(as_text=True)
    assert "列表 (2)" in listed  # unit A's two workers; B's are not in its scope
    response = client.post("/workers/export.xlsx?sort=0")
    assert response.status_code == 302 and response.headers["Location"].endswith("/downloads/")
    page = client.get("/downloads/").get_data(as_text=True)
    assert "已转为后台导出任务" in page and "排队中" in page and "工勤人员" in page
    job = db.session.scalars(sa.select(Job)).one()
    assert (job.state, job.owner_id, queue.count) == (JobState.QUEUED, world.users["unit"].id, 1)
    db.session.rollback()

    run_queued(app)
    job = db.session.get(Job, job.id)
    assert job.state == JobState.FINISHED, job.error
    assert (job.rows_done, job.rows_total) == (2, 2)
    assert job.expires_at - job.finished_at == timedelta(days=7)
    page = client.get("/downloads/").get_data(as_text=True)
    assert "已完成" in page and f"/downloads/download/?id={job.id}" in page
    download = client.get(f"/downloads/download/?id={job.id}")
    assert download.status_code == 200 and download.mimetype == uploads.XLSX_TYPE
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    names = sorted(row[0] for row in rows_of(download.data))
    assert names == sorted(
        w.name for w in db.session.scalars(sa.select(Worker).where(Worker.unit_id == world.units["A"].id))
    )
    message = db.session.scalars(sa.select(Notification).where(Notification.kind == "download_ready")).one()
    assert message.organisation_id == world.units["A"].id and "下载中心" in message.body
    # Only the owner: another user, even of a unit that sees more, gets 404 for the file and the row.
    login(client, "office")
    assert client.get(f"/downloads/download/?id={job.id}").status_code == 404
    assert client.get(f"/downloads/details/?id={job.id}").status_code == 404
    assert f"download/?id={job.id}" not in client.get("/downloads/").get_data(as_text=True)
    assert client.get("/downloads/progress.json").get_json() == {"jobs": []}


def test_the_progress_of_a_running_job_is_shown_from_redis(app, client, world, queue):
    with app.app_context():
        job = Job(
            owner_id=world.users["unit"].id,
            kind=jobs.EXPORT,
            title="考试报名",
            parameters="{}",
            state=JobState.RUNNING,
            rows_done=0,
            rows_total=40000,
            expires_at=utcnow() + timedelta(days=7),
        )
        db.session.add(job)
        db.session.commit()
        jobs.redis_connection().hset(jobs._key(job.id, "progress"), mapping={"done": 10000, "total": 40000})
        job_id = job.id
    login(client, "unit_a")
    page = client.get("/downloads/").get_data(as_text=True)
    assert "10,000 / 40,000 行" in page and 'style="width: 25%"' in page and "gk-downloads.js" in page
    answer = client.get("/downloads/progress.json").get_json()["jobs"]
    assert answer == [
        {
            "id": job_id,
            "active": True,
            "state": "进行中",
            "done": 10000,
            "total": 40000,
            "percent": 25,
            "text": "10,000 / 40,000 行",
        }
    ]


def test_a_job_whose_owner_lost_access_fails_with_a_chinese_message(app, client, world, queue, low_threshold):
    login(client, "unit_a")
    client.post("/workers/export.xlsx")
    with app.app_context():
        world_user = db.session.get(type(world.users["unit"]), world.users["unit"].id)
        world_user.active = False
        db.session.commit()
    run_queued(app)
    job = db.session.scalars(sa.select(Job)).one()
    assert (job.state, job.error, job.stored_name) == (JobState.FAILED, jobs.NO_ACCESS, None)


def test_expired_files_are_removed_by_the_cleanup(app, client, world, queue, low_threshold):
    login(client, "unit_a")
    client.post("/workers/export.xlsx")
    run_queued(app)
    with app.app_context():
        job = db.session.scalars(sa.select(Job)).one()
        stored = job.stored_name
        assert uploads.storage().exists(stored)
        job.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        assert job_upkeep.cleanup() == 1
        job = db.session.get(Job, job.id)
        assert (job.state, job.stored_name) == (JobState.EXPIRED, None)
        assert not uploads.storage().exists(stored)
        job_id = job.id
    assert client.get(f"/downloads/download/?id={job_id}").status_code == 404
    assert "已过期" in client.get("/downloads/").get_data(as_text=True)
    result = app.test_cli_runner().invoke(args=["jobs-cleanup"])
    assert result.exit_code == 0 and "清理过期文件 0 个" in result.output


def test_with_redis_down_a_large_export_is_refused_and_a_small_one_streams(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.delitem(app.extensions, "gk_jobs_redis", raising=False)
    login(client, "unit_a")
    monkeypatch.setitem(app.config, "EXPORT_JOB_ROWS", 1)
    response = client.post("/workers/export.xlsx", follow_redirects=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "后台任务服务暂时不可用" in body and "列表 (2)" in body
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0
    monkeypatch.setitem(app.config, "EXPORT_JOB_ROWS", 20000)
    small = client.post("/workers/export.xlsx")
    assert small.status_code == 200 and len(rows_of(small.data)) == 2
    assert client.get("/downloads/").status_code == 200  # the page itself needs no Redis
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.get_json() == {
        "status": "degraded",
        "checks": {"database": "ok", "queue": "unavailable"},
        "queue": {},
    }
    monkeypatch.delitem(app.extensions, "gk_jobs_redis", raising=False)


def test_healthz_reports_the_queue(app, client, world, queue, low_threshold):
    login(client, "unit_a")
    client.post("/workers/export.xlsx")
    answer = client.get("/healthz").get_json()
    assert answer["checks"]["queue"] == "ok" and answer["queue"] == {"length": 1, "workers": 0}


def test_a_lost_queued_job_and_a_dead_running_one_are_failed_by_the_sweep(app, world, queue, monkeypatch):
    monkeypatch.setitem(app.config, "JOB_STALE_SECONDS", 5)
    with app.app_context():
        old = utcnow() - timedelta(minutes=5)
        common = {
            "owner_id": world.users["unit"].id,
            "kind": jobs.EXPORT,
            "title": "工勤人员",
            "parameters": "{}",
        }
        lost = Job(**common, state=JobState.QUEUED, created_at=old, expires_at=old + timedelta(days=7))
        dead = Job(
            **common,
            state=JobState.RUNNING,
            created_at=old,
            started_at=old,
            worker="elsewhere:1",
            expires_at=old + timedelta(days=7),
        )
        alive = Job(
            **common,
            state=JobState.RUNNING,
            created_at=old,
            started_at=old,
            worker="elsewhere:2",
            expires_at=old + timedelta(days=7),
        )
        db.session.add_all([lost, dead, alive])
        db.session.commit()
        jobs.redis_connection().set(jobs._key(alive.id, "alive"), "1", ex=30)
        assert job_upkeep.sweep() == 2
        states = {j.id: (j.state, j.error) for j in db.session.scalars(sa.select(Job))}
    assert states[lost.id] == (JobState.FAILED, jobs.LOST)
    assert states[dead.id] == (JobState.FAILED, jobs.DIED)
    assert states[alive.id] == (JobState.RUNNING, None)


def test_a_job_above_the_excel_sheet_limit_fails_with_the_limit_named(
    app, client, world, queue, low_threshold, monkeypatch
):
    from admin_app import limits

    monkeypatch.setattr(limits, "EXPORT_ROWS", 1)
    login(client, "unit_a")
    client.post("/workers/export.xlsx")
    run_queued(app)
    job = db.session.scalars(sa.select(Job)).one()
    assert job.state == JobState.FAILED and "超出Excel单个工作表的行数上限" in job.error
    assert job.stored_name is None and "缩小范围" in client.get("/downloads/").get_data(as_text=True)


def test_the_download_center_offers_no_export_of_itself(app, client, world):
    """下载中心 lists one's own files: no 导出查询结果 button, and its export address is not served."""
    login(client, "unit_a")
    page = client.get("/downloads/").get_data(as_text=True)
    assert "下载中心" in page and "导出查询结果" not in page
    assert client.post("/downloads/export.xlsx").status_code == 404
    assert "导出查询结果" in client.get("/workers/").get_data(as_text=True)  # the other lists keep it
