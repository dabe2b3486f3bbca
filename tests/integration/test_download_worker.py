"""下载中心 with a real worker process (``flask worker``) on Redis: a worker killed with SIGKILL in the middle of
a large export leaves the job 失败 with a Chinese message and no file, decided when a worker starts again; that
worker then runs the next job to the end."""

import glob
import os
import pathlib
import shutil
import signal
import subprocess
import tempfile
import time
from datetime import date

import pytest
import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.services import jobs
from admin_app.workflow.states import JobState
from models import Job, Worker
from models.org import utcnow
from tests.conftest import login
from tests.integration.test_download_jobs import queue  # noqa: F401  (the fixture)
from tests.processes import ROOT, app_env, flask_command, run_burst_worker

ROWS = 60_000  # enough for the export to be killed well inside it


def start_worker(app, *args, **env) -> subprocess.Popen:
    return subprocess.Popen(
        [flask_command(), "worker", *args],
        cwd=ROOT,
        env=app_env(app, JOB_STALE_SECONDS="5", **env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def add_workers(unit_id: int, count: int) -> None:
    now = utcnow()
    rows = [
        {
            "unit_id": unit_id,
            "name": f"批量{i}",
            "gender": "M",
            "id_number": f"T{i:017d}",
            "birth_date": date(1980, 1, 1),
            "detained_or_probation": False,
            "long_sick_leave_or_absence": False,
            "holds_professional_title": False,
            "is_veteran": False,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(count)
    ]
    db.session.execute(sa.insert(Worker), rows)
    db.session.commit()


def wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def job_row(job_id: int) -> Job:
    db.session.rollback()
    job = db.session.get(Job, job_id)
    db.session.rollback()
    return job


def kill_when(app, job_id: int, condition, what: str, **env):
    """Start a worker (``env``: more of its environment); once ``condition()`` holds (within 180 s), SIGKILL the
    job's work horse (the job's own process), then the worker. The job is left 进行中: nobody has noticed yet.
    Returns the condition's value."""
    worker = start_worker(app, **env)
    try:
        value = wait_for(condition, 180, what)
        horse = int(job_row(job_id).worker.rpartition(":")[2])
        os.kill(horse, signal.SIGKILL)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)
    assert job_row(job_id).state == JobState.RUNNING
    return value


def test_a_worker_killed_mid_export_leaves_the_job_failed_without_a_file(
    app,
    client,
    world,
    queue,  # noqa: F811
):
    # the finished files of the tests before are gone (job ids restart with every test: their 1.xlsx is not
    # this dead job's); their rows are deleted already
    shutil.rmtree(pathlib.Path(app.config["UPLOAD_DIR"], "downloads"), ignore_errors=True)
    add_workers(world.units["A"].id, ROWS)
    login(client, "unit_a")
    assert client.post("/workers/export.xlsx").headers["Location"].endswith("/downloads/")
    job_id = db.session.scalar(sa.select(Job.id))
    db.session.rollback()
    connection = jobs.redis_connection()
    # Killed once the export has written rows.
    kill_when(
        app,
        job_id,
        lambda: int(connection.hget(jobs._key(job_id, "progress"), "done") or 0) >= 1000,
        "the export to be under way",
    )
    assert glob.glob(os.path.join(tempfile.gettempdir(), f"{jobs.temp_prefix(job_id)}*")), (
        "the partial file, kept aside"
    )

    # The next export (a short one), then a worker starts: it fails the dead job first, then runs the new one.
    app.config["EXPORT_JOB_ROWS"] = 1
    try:
        assert client.post("/workers/export.xlsx?search=A").status_code == 302
    finally:
        app.config["EXPORT_JOB_ROWS"] = 20000
    second = db.session.scalar(sa.select(sa.func.max(Job.id)))
    db.session.rollback()
    # a worker started again: its upkeep finds the dead job at once (same host, pid gone)
    assert run_burst_worker(app, 90, JOB_STALE_SECONDS="5").returncode == 0
    dead = job_row(job_id)
    assert (dead.state, dead.error, dead.stored_name) == (JobState.FAILED, jobs.DIED, None)
    assert not glob.glob(os.path.join(tempfile.gettempdir(), f"{jobs.temp_prefix(job_id)}*"))
    downloads = pathlib.Path(app.config["UPLOAD_DIR"], "downloads")
    files = [p.name for p in downloads.rglob("*")] if downloads.exists() else []
    assert f"{job_id}.xlsx" not in files and not [name for name in files if name.endswith(".part")], files
    done = job_row(second)
    assert done.state == JobState.FINISHED and done.rows_done >= 1, done.error
    assert client.get(f"/downloads/download/?id={second}").status_code == 200
    assert client.get(f"/downloads/download/?id={job_id}").status_code == 404
