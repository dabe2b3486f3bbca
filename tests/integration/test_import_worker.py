"""A 附表5 import job killed mid-way in a real worker process (``flask worker``, issue 19 point 1): the work horse
is killed with SIGKILL while it checks the rows of a 10,000-row file; a worker started again ends the job 失败
with the import's Chinese message; no registration moved (the transaction never committed), the upload and every
temporary file are gone, and the 下载中心 offers no file."""

import glob
import io
import os
import pathlib
import signal
import tempfile
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
import xlsxwriter

from admin_app.extensions import db
from admin_app.services import import_jobs, jobs
from admin_app.workflow.states import JobState, RegistrationState
from models import Application, Job, Registration, Worker
from tests.conftest import login
from tests.factories import make_id_number
from tests.hostile_spreadsheets import HEADER
from tests.integration.test_candidate_import import row_for, upload
from tests.integration.test_download_jobs import queue  # noqa: F401  (the fixture)
from tests.integration.test_download_worker import job_row, start_worker, wait_for
from tests.integration.test_exam_pipeline import approved

ROWS = 10_000  # checking them lasts well beyond the first report (IMPORT_PROGRESS_EVERY rows)


def _columns(obj) -> dict:
    """The row of ``obj`` as column values (its id left out), for copies inserted in bulk."""
    mapper = sa.inspect(obj).mapper
    return {a.columns[0].name: getattr(obj, a.key) for a in mapper.column_attrs if a.key != "id"}


def clone_candidates(registration: Registration, count: int) -> None:
    """``count`` more approved candidates of the registration's unit, batch, trade and grade, waiting for 报名
    (workers, applications and registrations copied from it, inserted in bulk)."""
    worker, application = registration.worker, registration.application
    births = [date(1960, 1, 1) + timedelta(days=i // 100) for i in range(count)]
    numbers = [make_id_number("500103", births[i], i % 100) for i in range(count)]
    base = _columns(worker)
    db.session.execute(
        sa.insert(Worker.__table__),
        [
            {**base, "name": f"批量{i}", "id_number": numbers[i], "birth_date": births[i], "gender": "M"}
            for i in range(count)
        ],
    )
    workers = dict(
        db.session.execute(sa.select(Worker.id_number, Worker.id).where(Worker.name.like("批量%"))).all()
    )
    base = _columns(application)
    db.session.execute(sa.insert(Application.__table__), [{**base, "worker_id": workers[n]} for n in numbers])
    applications = db.session.execute(
        sa.select(Application.id, Application.worker_id).where(Application.worker_id.in_(workers.values()))
    ).all()
    base = _columns(registration)
    db.session.execute(
        sa.insert(Registration.__table__),
        [{**base, "application_id": a, "worker_id": w} for a, w in applications],
    )
    db.session.commit()


def big_file(unit_id: int, example: Registration) -> bytes:
    """The 附表5 of every registration of the unit (one query; the cells as ``row_for`` fills them)."""
    template = row_for(example)
    rows = db.session.execute(
        sa.select(Worker.name, Worker.id_number, Worker.birth_date)
        .join(Registration, Registration.worker_id == Worker.id)
        .where(Registration.unit_id == unit_id)
        .order_by(Registration.id)
    ).all()
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"constant_memory": True})
    sheet = book.add_worksheet("考生信息")
    sheet.write_row(0, 0, HEADER)
    for r, (name, number, birth) in enumerate(rows, start=1):
        values = {**template, "姓名": name, "身份证号码": number, "出生日期": birth.strftime("%Y-%m-%d")}
        sheet.write_row(r, 0, [values.get(h, "") for h in HEADER])
    book.close()
    return out.getvalue()


def waiting_count(unit_id: int) -> int:
    db.session.rollback()
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Registration)
        .where(Registration.unit_id == unit_id, Registration.status == RegistrationState.UNREGISTERED)
    )


@pytest.mark.usefixtures("queue")
def test_an_import_killed_while_its_rows_are_checked_ends_failed_and_imports_nothing(app, client, world):
    unit, _application, first = approved(world, "kill", seq=900)
    clone_candidates(first, ROWS - 1)
    assert waiting_count(unit.id) == ROWS
    data = big_file(unit.id, first)
    db.session.expire_all()
    login(client, unit.users[0].username)
    assert upload(client, data).headers["Location"].endswith("/downloads/")
    job_id = db.session.scalar(sa.select(Job.id).where(Job.kind == import_jobs.CANDIDATES))
    upload_name = jobs.input_of(job_row(job_id))
    assert upload_name and (pathlib.Path(app.config["UPLOAD_DIR"]) / upload_name).exists()
    connection, key = jobs.redis_connection(), jobs._key(job_id, "progress")
    worker = start_worker(app)
    try:
        # Killed once rows are being checked (the first report after IMPORT_PROGRESS_EVERY rows), long before
        # the last one: the work horse (the job's own process), then the worker.
        done, total = wait_for(
            lambda: (lambda d, t: (int(d), int(t)) if d and int(d) > 0 else None)(
                *connection.hmget(key, "done", "total")
            ),
            180,
            "the rows to be checked",
        )
        horse = int(job_row(job_id).worker.rpartition(":")[2])
        os.kill(horse, signal.SIGKILL)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)
    assert 0 < done < total == ROWS, (done, total)
    assert job_row(job_id).state == JobState.RUNNING  # nobody has noticed yet
    assert waiting_count(unit.id) == ROWS

    restarted = start_worker(app, "--burst")  # its upkeep finds the dead job at once (same host, pid gone)
    try:
        assert restarted.wait(90) == 0
    finally:
        if restarted.poll() is None:
            os.killpg(restarted.pid, signal.SIGKILL)
    dead = job_row(job_id)
    assert (dead.state, dead.error, dead.stored_name) == (JobState.FAILED, import_jobs.DIED, None)
    assert waiting_count(unit.id) == ROWS  # not one registration moved
    assert not (pathlib.Path(app.config["UPLOAD_DIR"]) / upload_name).exists()
    assert not glob.glob(os.path.join(tempfile.gettempdir(), f"gk-job-{job_id}-*"))
    assert client.get(f"/downloads/download/?id={job_id}").status_code == 404
    page = client.get("/downloads/").get_data(as_text=True)
    assert "处理该任务的后台进程意外停止，未导入任何数据，请重新导入" in page
