"""The 下载中心 in the permission matrix: for every login and every list it may export, the export taken as a
background job (threshold 0: every export is a job, run through RQ) holds exactly what the streamed export of
the same request holds — same rows, same cells, in the same order — and as many rows as the list's own scope
gives that login (``tests/scope_world.py``). The job replays the request as its owner; nothing of another
user's scope can enter it. Generated from the registered views, like the other matrices."""

import io

import pytest
import sqlalchemy as sa
from flask_admin.contrib.sqla import ModelView
from openpyxl import load_workbook

from admin_app.extensions import db
from admin_app.workflow.states import JobState
from models import Job, User
from tests.conftest import login
from tests.integration.test_download_jobs import queue, run_queued  # noqa: F401  (the fixture)
from tests.scope_world import LISTS, USERNAMES, build_inscope_world, expected_ids, viewer


def cells(data: bytes) -> list:
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    return [row for row in sheet.iter_rows(values_only=True)]


# One login of each kind of scope (a unit; a 区县 bureau with a merged 区县; 市委组织部; the city-wide office): the
# job replays the list's own scope code, so these cover its paths; every login's lists: test_scope_matrix*.py.
LOGINS = ("unit_a", "liangjiang_hr", "party_org", "office")
assert set(LOGINS) <= set(USERNAMES)


@pytest.mark.parametrize("username", LOGINS)
def test_an_export_job_holds_what_the_streamed_export_holds(app, client, world, queue, monkeypatch, username):  # noqa: F811
    build_inscope_world(world)
    login(client, username)
    role = viewer(username).role
    views = [
        v
        for v in app.extensions["admin"][0]._views
        if isinstance(v, ModelView) and role in v.read_roles and v.endpoint != "downloads"
    ]
    streamed = {}
    for view in views:
        response = client.post(f"{view.url}/export.xlsx")
        if response.status_code == 200:
            streamed[view.endpoint] = cells(response.data)
    assert streamed, username
    streamed = {
        endpoint: rows for endpoint, rows in streamed.items() if len(rows) > 1
    }  # an empty list streams
    monkeypatch.setitem(app.config, "EXPORT_JOB_ROWS", 0)
    before = db.session.scalar(sa.select(sa.func.max(Job.id))) or 0  # the world's own finished exports
    db.session.rollback()
    for endpoint in streamed:
        view = next(v for v in views if v.endpoint == endpoint)
        response = client.post(f"{view.url}/export.xlsx")
        assert response.status_code == 302 and response.headers["Location"].endswith("/downloads/"), endpoint
    run_queued(app)
    owner = db.session.query(User).filter_by(username=username).one().id
    finished = db.session.scalars(sa.select(Job).where(Job.id > before).order_by(Job.id)).all()
    db.session.rollback()
    assert len(finished) == len(streamed), username
    for job, endpoint in zip(finished, streamed, strict=True):
        assert job.state == JobState.FINISHED, (username, endpoint, job.error)
        assert job.owner_id == owner
        data = client.get(f"/downloads/download/?id={job.id}")
        assert data.status_code == 200, (username, endpoint)
        # 站内消息: the messages of the jobs that ended before this one are new rows of that list
        rows = [row for row in cells(data.data) if "导出文件已生成" not in row]
        if endpoint != "auditlog":  # the 审计日志 has the exports' own rows since
            assert rows == streamed[endpoint], (username, endpoint)
        if endpoint in LISTS and endpoint not in ("auditlog", "messages"):
            assert len(rows) - 1 == len(expected_ids(endpoint, username)), (username, endpoint)
