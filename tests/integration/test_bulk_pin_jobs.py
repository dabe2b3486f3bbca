"""A pinned 「全部符合筛选条件」 decision above BULK_JOB_ROWS runs as a background job (views/bulk_pinned.py): the
pinned rows decided in chunks as the owner, progress per chunk, the per-row result page in the 下载中心 (the
owner's alone) and a 站内消息; a failure mid-way keeps the chunks done. Jobs run through RQ's SimpleWorker."""

import pytest
import sqlalchemy as sa

from admin_app import workflow
from admin_app.extensions import db
from admin_app.services import jobs
from admin_app.workflow.states import ApplicationState, JobState
from models import BulkPin, Job, Notification, enums
from tests.conftest import login, text_of
from tests.integration.test_bulk_pins import WAITING, statuses, waiting_at_yuzhong
from tests.integration.test_download_jobs import queue, run_queued  # noqa: F401 - the queue fixture
from tests.pinned import confirm_all
from views import bulk_pinned

pytestmark = pytest.mark.usefixtures("queue")


@pytest.fixture
def small_jobs(app, monkeypatch):
    """Decisions of more than 2 rows run as jobs, 2 rows per chunk."""
    monkeypatch.setitem(app.config, "BULK_JOB_ROWS", 2)
    monkeypatch.setitem(app.config, "BULK_JOB_CHUNK", 2)


def queue_decision(client, op="approve", data=None, search="big"):
    page, token = confirm_all(client, "/review_queue", op, f"search={search}")
    assert "将在后台处理" in text_of(page)
    return token, client.post("/review_queue/decide/", data={**(data or {}), "op": op, "pin": token})


def test_a_large_decision_runs_as_a_job_with_progress_and_the_per_row_result(
    app, client, world, small_jobs, monkeypatch
):
    ids = waiting_at_yuzhong(world, "big", 5, 400)
    login(client, "yuzhong_hr")
    token, response = queue_decision(client)
    # Meanwhile another reviewer decides one pinned row: the job refuses it with the reason.
    workflow.decide(world.users[enums.DISTRICT_HR], [ids[4]], "reject", "已另行处理")
    assert response.status_code == 302 and response.headers["Location"].endswith("/downloads/")
    listed = text_of(client.get("/downloads/"))
    assert "已转为后台处理" in listed and "待我审核：审核通过（5条）" in listed and "排队中" in listed
    job = db.session.scalars(sa.select(Job)).one()
    assert (job.kind, job.owner_id, job.state) == (
        "bulk_decision",
        world.users[enums.DISTRICT_HR].id,
        JobState.QUEUED,
    )
    assert db.session.scalars(sa.select(BulkPin.job_id).where(BulkPin.token == token)).one() == job.id
    assert statuses(ids[:4]) == {i: WAITING for i in ids[:4]}  # nothing decided in the request
    again = client.post("/review_queue/decide/", data={"op": "approve", "pin": token})
    assert again.headers["Location"].endswith(f"/downloads/details/?id={job.id}")  # not queued twice
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 1
    db.session.rollback()

    reported = []
    real_reporter = jobs._reporter

    def recording(job):
        report = real_reporter(job)
        return lambda done, total: (reported.append((done, total)), report(done, total))

    monkeypatch.setattr(jobs, "_reporter", recording)
    run_queued(app)
    job = db.session.get(Job, job.id)
    assert job.state == JobState.FINISHED, job.error
    assert reported == [(0, 5), (2, 5), (4, 5), (5, 5)]  # one report per chunk of 2
    assert (job.rows_done, job.rows_total, job.stored_name) == (5, 5, None)
    assert statuses(ids) == {
        **{i: ApplicationState.APPROVED for i in ids[:4]},
        ids[4]: ApplicationState.REJECTED,
    }

    page = text_of(client.get(f"/downloads/details/?id={job.id}"))
    assert '成功 <strong class="text-success">4</strong>' in page
    assert '未处理 <strong class="text-danger">1</strong>' in page and "当前状态为“审核未通过”" in page
    assert f'href="/review_queue/details/?id={ids[0]}"' in page and 'href="/review_queue/"' in page
    listed = text_of(client.get("/downloads/"))
    assert (
        f"/downloads/details/?id={job.id}" in listed and "5 / 5 条" in listed
    )  # 查看结果; its bar counts 条
    message = db.session.scalars(sa.select(Notification).where(Notification.kind == "download_ready")).one()
    assert (message.target, message.organisation_id) == (
        "downloads",
        world.users[enums.DISTRICT_HR].organisation_id,
    )
    assert "成功4条，未处理1条" in message.body
    # The result is its owner's alone.
    login(client, "liangjiang_hr")
    assert client.get(f"/downloads/details/?id={job.id}").status_code == 404


def test_a_failure_mid_way_keeps_the_chunks_done_and_reports_the_rest(
    app, client, world, small_jobs, monkeypatch
):
    ids = waiting_at_yuzhong(world, "big", 5, 420)
    login(client, "yuzhong_hr")
    queue_decision(client)
    real_apply, calls = workflow.apply, []

    def apply_then_lose_the_database(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise sa.exc.OperationalError("UPDATE application", {}, Exception("server closed the connection"))
        return real_apply(*args, **kwargs)

    monkeypatch.setattr(workflow, "apply", apply_then_lose_the_database)
    run_queued(app)
    job = db.session.scalars(sa.select(Job)).one()
    assert job.state == JobState.FINISHED, job.error
    decided = statuses(ids)
    assert [decided[i] for i in ids] == [ApplicationState.APPROVED] * 2 + [WAITING] * 3
    page = text_of(client.get(f"/downloads/details/?id={job.id}"))
    assert '成功 <strong class="text-success">2</strong>' in page
    assert (
        '未处理 <strong class="text-danger">3</strong>' in page and page.count(bulk_pinned.INTERRUPTED) == 3
    )


def test_inputs_are_checked_before_queuing_and_a_queue_down_keeps_the_pin(
    app, client, world, small_jobs, monkeypatch
):
    ids = waiting_at_yuzhong(world, "big", 3, 440)
    login(client, "yuzhong_hr")
    token, response = queue_decision(client, "reject", {"opinion": ""})
    assert "审核不通过须填写审核意见" in text_of(response) and f'value="{token}"' in text_of(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0
    monkeypatch.setitem(app.config, "JOBS_REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.delitem(app.extensions, "gk_jobs_redis", raising=False)
    down = client.post("/review_queue/decide/", data={"op": "reject", "pin": token, "opinion": "材料不全"})
    assert bulk_pinned.QUEUE_DOWN in text_of(down) and f'value="{token}"' in text_of(down)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0
    assert db.session.scalars(sa.select(BulkPin.used_at).where(BulkPin.token == token)).one() is None
    assert statuses(ids) == {i: WAITING for i in ids}


def test_a_job_whose_owner_was_disabled_decides_nothing(app, client, world, small_jobs):
    ids = waiting_at_yuzhong(world, "big", 3, 460)
    login(client, "yuzhong_hr")
    queue_decision(client)
    world.users[enums.DISTRICT_HR].active = False
    db.session.commit()
    run_queued(app)
    job = db.session.scalars(sa.select(Job)).one()
    assert (job.state, job.error) == (JobState.FAILED, bulk_pinned.NOT_ALLOWED)
    assert statuses(ids) == {i: WAITING for i in ids}


def test_a_job_decides_only_within_its_owners_scope_even_from_a_forged_pin(app, client, world, small_jobs):
    ids = waiting_at_yuzhong(world, "big", 3, 480)
    outside = world.applications["B"]  # unit B's (沙坪坝区): not 渝中区's to decide
    before = outside.status
    login(client, "yuzhong_hr")
    token, _response = queue_decision(client)
    pin = db.session.scalars(sa.select(BulkPin).where(BulkPin.token == token)).one()
    pin.ids = pin.ids.replace("[", f"[{outside.id},")  # the database row altered behind the app's back
    db.session.commit()
    run_queued(app)
    job = db.session.scalars(sa.select(Job)).one()
    assert job.state == JobState.FINISHED, job.error
    assert statuses([outside.id, *ids]) == {outside.id: before, **{i: ApplicationState.APPROVED for i in ids}}
    page = text_of(client.get(f"/downloads/details/?id={job.id}"))
    assert '成功 <strong class="text-success">3</strong>' in page and f"<td>{outside.id}</td>" in page
    assert "不在您的审核范围内" in page
