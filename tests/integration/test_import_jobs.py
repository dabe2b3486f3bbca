"""Imports above IMPORT_JOB_ROWS as background jobs (issue 19 point 3), on both databases: 附表5 and 成绩导入 end
exactly as in the request — all or nothing, the error table and the marked copy — seen from the 下载中心 by the
uploader alone; Redis down refuses in Chinese with nothing stored; one import per scope at a time; the upload is
removed when the job ends. The jobs run through RQ in this process (``run_queued``); tests/integration/
test_import_worker.py kills a real worker mid-import."""

import io
import json
import pathlib

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from admin_app import limits
from admin_app.extensions import db
from admin_app.services import candidate_import, import_jobs, jobs, uploads
from admin_app.workflow.states import JobState, RegistrationState
from models import Job, Notification, Registration
from tests.conftest import login, text_of
from tests.integration.test_candidate_import import candidates, row_for, status_of, upload, xlsx
from tests.integration.test_download_jobs import queue, run_queued  # noqa: F401  (the fixture)
from tests.integration.test_exam_pipeline import approved
from tests.integration.test_score_import import (
    four,  # noqa: F401  (the fixture)
    good_rows,
    post,
    row,
)
from tests.integration.test_score_import import xlsx as score_xlsx


@pytest.fixture
def low_threshold(app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_JOB_ROWS", 1)


@pytest.fixture(autouse=True)
def no_job_files_left(ctx):
    """The session's upload folder outlives each test's database: the jobs' files go with their test."""
    yield
    db.session.rollback()
    for name in db.session.scalars(sa.select(Job.stored_name).where(Job.stored_name.is_not(None))):
        uploads.remove(name)


def the_job() -> Job:
    db.session.expire_all()
    return db.session.scalars(sa.select(Job).order_by(Job.id.desc())).first()


def ready_message(job: Job) -> Notification:
    return db.session.scalars(
        sa.select(Notification).where(Notification.kind == "download_ready", Notification.object_id == job.id)
    ).one()


def stored_inputs(app) -> list:
    folder = pathlib.Path(app.config["UPLOAD_DIR"], "job-inputs")
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


@pytest.mark.usefixtures("queue", "low_threshold")
def test_a_large_candidate_import_runs_as_the_uploaders_job(app, client, world):
    unit, regs = candidates(world, 2)
    login(client, unit.users[0].username)
    response = upload(client, xlsx([row_for(r) for r in regs]))
    assert response.status_code == 302 and response.headers["Location"].endswith("/downloads/")
    job = the_job()
    assert (job.kind, job.state, job.owner_id) == (import_jobs.CANDIDATES, JobState.QUEUED, unit.users[0].id)
    assert [status_of(r) for r in regs] == [RegistrationState.UNREGISTERED] * 2  # nothing yet
    assert len(stored_inputs(app)) == 1 and json.loads(job.parameters)["rows"] == 3  # header + 2, as counted
    page = text_of(client.get("/downloads/"))
    assert "已转为后台导入任务" in page and "附表5导入（附表5.xlsx）" in page and "排队中" in page

    run_queued(app)
    job = the_job()
    assert job.state == JobState.FINISHED, job.error
    assert (json.loads(job.result), job.rows_total, job.stored_name) == ({"imported": 2}, 2, None)
    assert [status_of(r) for r in regs] == [RegistrationState.PENDING] * 2
    assert stored_inputs(app) == []  # the upload is removed once the job has ended
    message = ready_message(job)
    assert message.title == "附表5导入已完成" and "已导入2名考生" in message.body
    details = text_of(client.get(f"/downloads/details/?id={job.id}"))
    assert "已导入 2 名考生，报名状态为“待确认”" in details


@pytest.mark.usefixtures("queue", "low_threshold")
def test_one_bad_row_imports_nothing_and_the_job_keeps_the_table_and_the_marked_copy(app, client, world):
    unit, regs = candidates(world, 2)
    login(client, unit.users[0].username)
    rows = [row_for(regs[0]), row_for(regs[1], 联系电话="12345")]
    assert upload(client, xlsx(rows)).status_code == 302
    run_queued(app)
    job = the_job()
    assert job.state == JobState.FINISHED, job.error
    result = json.loads(job.result)
    assert result["problem_count"] == 1 and result["problems"][0]["row"] == 3
    assert result["problems"][0]["column"] == "联系电话"
    assert [status_of(r) for r in regs] == [RegistrationState.UNREGISTERED] * 2
    assert stored_inputs(app) == []
    message = ready_message(job)
    assert message.title == "附表5导入未成功" and "未导入任何数据" in message.body

    details = text_of(client.get(f"/downloads/details/?id={job.id}"))
    assert "共发现 1 处问题，未导入任何数据" in details and "联系电话" in details
    assert f"/downloads/download/?id={job.id}" in details
    copy = client.get(f"/downloads/download/?id={job.id}")
    assert copy.status_code == 200 and job.download_name.startswith("附表5_导入错误标注_")
    sheet = load_workbook(io.BytesIO(copy.data)).active
    marked = [c.value for c in sheet[3]]
    assert any("联系电话" in str(v) for v in marked if v)  # the row's problem column names the cell

    # Another user — of another unit — reaches neither the job, its result nor its file.
    login(client, "unit_a")
    assert client.get(f"/downloads/details/?id={job.id}").status_code == 404
    assert client.get(f"/downloads/download/?id={job.id}").status_code == 404
    assert "附表5导入" not in text_of(client.get("/downloads/"))


@pytest.mark.usefixtures("queue", "low_threshold")
def test_a_second_import_of_the_same_unit_is_refused_while_one_runs(app, client, world):
    unit, regs = candidates(world, 2)
    login(client, unit.users[0].username)
    assert upload(client, xlsx([row_for(regs[0])])).status_code == 302
    for threshold in (1, 100):  # as a job, and as a small import in the request
        app.config["IMPORT_JOB_ROWS"] = threshold
        body = text_of(upload(client, xlsx([row_for(regs[1])])))
        assert "本单位的附表5导入正在后台进行" in body and "请在它完成后再导入" in body
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 1
    assert len(stored_inputs(app)) == 1
    # Another unit's import is not held up by it.
    other, _application, other_registration = approved(world, "imq", seq=700)
    assert other.id != unit.id
    login(client, other.users[0].username)
    assert "已导入 1 名考生" in text_of(upload(client, xlsx([row_for(other_registration)])))

    run_queued(app)
    login(client, unit.users[0].username)
    assert "已导入 1 名考生" in text_of(upload(client, xlsx([row_for(regs[1])])))
    assert [status_of(r) for r in regs] == [RegistrationState.PENDING] * 2


def test_with_redis_down_a_large_import_is_refused_and_nothing_is_stored(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.delitem(app.extensions, "gk_jobs_redis", raising=False)
    monkeypatch.setitem(app.config, "IMPORT_JOB_ROWS", 1)
    unit, regs = candidates(world, 2)
    login(client, unit.users[0].username)
    response = upload(client, xlsx([row_for(r) for r in regs]))
    body = text_of(response)
    assert response.status_code == 200 and "后台任务服务暂时不可用" in body and "未导入任何数据" in body
    assert [status_of(r) for r in regs] == [RegistrationState.UNREGISTERED] * 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0
    assert stored_inputs(app) == []
    monkeypatch.setitem(app.config, "IMPORT_JOB_ROWS", 100)  # below the threshold it still imports
    assert "已导入 2 名考生" in text_of(upload(client, xlsx([row_for(r) for r in regs])))
    monkeypatch.delitem(app.extensions, "gk_jobs_redis", raising=False)


@pytest.mark.usefixtures("queue", "low_threshold")
def test_a_large_score_import_runs_as_a_job_and_a_bad_one_saves_nothing(app, client, world, four):  # noqa: F811
    login(client, "center")
    bad = [*good_rows(four)[:3], row(four[3], 70, 80)]  # a 技师 without 综合评审
    assert post(client, score_xlsx(bad), world.batch.id).headers["Location"].endswith("/downloads/")
    busy = text_of(post(client, score_xlsx(good_rows(four)), world.batch.id))
    assert "本批次的成绩导入正在后台进行" in busy
    run_queued(app)
    job = the_job()
    assert job.kind == import_jobs.SCORES and job.title.startswith(f"成绩导入：{world.batch.year}年度")
    assert json.loads(job.result)["problems"][0]["column"] == "综合评审成绩"
    assert all(db.session.get(Registration, r.id).score_result is None for r in four)
    details = text_of(client.get(f"/downloads/details/?id={job.id}"))
    assert "未导入任何成绩" in details and "技师、高级技师须填写综合评审成绩" in details
    assert client.get(f"/downloads/download/?id={job.id}").status_code == 200  # the marked copy

    assert post(client, score_xlsx(good_rows(four)), world.batch.id).status_code == 302
    run_queued(app)
    job = the_job()
    assert json.loads(job.result) == {"entered": 4, "corrected": 0, "unchanged": 0}, job.error
    assert job.stored_name is None and stored_inputs(app) == []
    db.session.expire_all()
    assert float(db.session.get(Registration, four[0].id).theory_score) == 85
    assert "新录入 4 人" in text_of(client.get(f"/downloads/details/?id={job.id}"))


@pytest.mark.usefixtures("queue", "low_threshold")
def test_a_job_whose_owner_lost_access_fails_and_its_upload_is_removed(app, client, world):
    unit, regs = candidates(world, 1)
    login(client, unit.users[0].username)
    assert upload(client, xlsx([row_for(regs[0])])).status_code == 302
    unit.users[0].active = False
    db.session.commit()
    run_queued(app)
    job = the_job()
    assert (job.state, job.error) == (JobState.FAILED, jobs.NO_ACCESS)
    assert status_of(regs[0]) == RegistrationState.UNREGISTERED and stored_inputs(app) == []


def test_progress_counts_the_rows_checked(world, monkeypatch):
    monkeypatch.setattr(limits, "IMPORT_PROGRESS_EVERY", 2)
    unit, regs = candidates(world, 5)
    parsed = candidate_import.read_file(xlsx([row_for(r) for r in regs]))
    calls = []
    entries, problems = candidate_import.check_rows(unit.users[0], parsed, lambda *done: calls.append(done))
    assert calls == [(2, 5), (4, 5), (5, 5)] and len(entries) == 5 and not problems
