"""下载中心 across a restart (issue 19 point 1): an export asked for on a real web server (gunicorn) that is then
stopped is carried out by a worker while no web server runs, and the file is downloaded from a new web server
with the same session — the web process holds nothing of a job."""

import os
import pathlib
import re
import signal
import socket
import subprocess
import time

import pytest
import requests
import sqlalchemy as sa
from openpyxl import load_workbook

from admin_app.extensions import db
from admin_app.workflow.states import JobState
from models import Job, Worker
from tests import factories
from tests.integration.test_download_jobs import queue  # noqa: F401  (the fixture)
from tests.integration.test_download_worker import job_row, start_worker
from tests.processes import ROOT, app_env

CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_web(app, port: int) -> subprocess.Popen:
    """gunicorn serving wsgi:app on the tests' database, uploads, Redis and queue; answered once it is up."""
    env = app_env(
        app,
        EXPORT_JOB_ROWS="1",
        SESSION_COOKIE_SECURE="0",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS="1",
        GUNICORN_THREADS="2",
        GUNICORN_ACCESSLOG="/dev/null",
    )
    web = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=30)
            return web
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.2)
    stop(web)
    pytest.fail("gunicorn did not start")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def test_a_job_asked_for_before_a_restart_is_downloaded_after_it(app, world, queue, tmp_path):  # noqa: F811
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    browser = requests.Session()
    web = start_web(app, port)
    try:
        token = CSRF.search(browser.get(f"{base}/login", timeout=30).text).group(1)
        data = {"username": "unit_a", "password": factories.PASSWORD, "csrf_token": token}
        assert browser.post(f"{base}/login", data=data, timeout=30, allow_redirects=False).status_code == 302
        # 导出查询结果 is a form on the list (a POST with the page's CSRF token)
        token = CSRF.search(browser.get(f"{base}/workers/", timeout=30).text).group(1)
        asked = browser.post(
            f"{base}/workers/export.xlsx", data={"csrf_token": token}, timeout=30, allow_redirects=False
        )
        assert asked.headers["Location"].endswith("/downloads/"), asked.status_code
    finally:
        stop(web)
    job_id = db.session.scalar(sa.select(Job.id))
    db.session.rollback()
    assert job_row(job_id).state == JobState.QUEUED

    worker = start_worker(app, "--burst")  # no web server runs meanwhile
    try:
        assert worker.wait(90) == 0
    finally:
        stop(worker)
    assert job_row(job_id).state == JobState.FINISHED

    web = start_web(app, port)  # a new web server: the same session (kept in the database) and the same file
    try:
        listed = browser.get(f"{base}/downloads/", timeout=30).text
        assert "已完成" in listed and f"download/?id={job_id}" in listed
        response = browser.get(f"{base}/downloads/download/?id={job_id}", timeout=30)
        assert response.status_code == 200
        path = pathlib.Path(tmp_path, "export.xlsx")
        path.write_bytes(response.content)
        rows = list(load_workbook(path, read_only=True).active.iter_rows(values_only=True))[1:]
        names = db.session.scalars(sa.select(Worker.name).where(Worker.unit_id == world.units["A"].id)).all()
        assert rows and sorted(row[0] for row in rows) == sorted(names)  # unit A's workers, no one else's
    finally:
        stop(web)
