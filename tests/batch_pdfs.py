"""A batch PDF (登记表, 准考证, 证书 of a list's 组合查询) as a user gets it: one person's document in the request,
more than one from the 下载中心 job the request queued (issue 19), run here by RQ's SimpleWorker. Tests that ask for
more than one document use the ``queue`` fixture (tests/integration/test_download_jobs.py)."""

import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.workflow.states import JobState
from models import Job
from tests.conftest import text_of
from tests.integration.test_download_jobs import run_queued


def submitted(client, url: str) -> Job:
    """POST to the batch endpoint ``url`` (its button's form): sent to the 下载中心; the one job it queued."""
    response = client.post(url)
    assert response.status_code == 302 and response.headers["Location"].endswith("/downloads/"), text_of(
        client.get(response.headers.get("Location", "/"))
    )
    job = db.session.scalars(sa.select(Job).order_by(Job.id.desc())).first()
    db.session.rollback()
    return job


def finished(app, job_id: int) -> Job:
    """The job after every queued job has run."""
    run_queued(app)
    db.session.expire_all()
    return db.session.get(Job, job_id)


def download(client, job: Job) -> bytes:
    """The finished job's file, downloaded by the logged-in user from the 下载中心."""
    response = client.get(f"/downloads/download/?id={job.id}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    return response.data


def batch_pdf(app, client, url: str, *, people: int) -> bytes:
    """The PDF of batch endpoint ``url`` for ``people`` people: made in the request for one, else queued as a
    job (never in the request), run, finished and downloaded from the 下载中心."""
    if people == 1:
        response = client.post(url)
        assert response.status_code == 200 and response.mimetype == "application/pdf", response.status_code
        return response.data
    job = finished(app, submitted(client, url).id)
    assert job.state == JobState.FINISHED, job.error
    return download(client, job)
