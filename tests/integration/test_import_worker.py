"""A 附表5 import job killed mid-way in a real worker process (``flask worker``, issue 19 point 1): the work horse
is killed with SIGKILL while it checks the rows of a 10,000-row file, and (PostgreSQL) while its UPDATE of the rows
waits on a row lock inside its transaction; a worker started again ends the job 失败 with the import's Chinese
message; no registration moved (the transaction never committed), the upload and every temporary file are gone,
and the 下载中心 offers no file."""

import glob
import io
import os
import pathlib
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
from tests.integration.test_download_worker import job_row, kill_when
from tests.integration.test_exam_pipeline import approved
from tests.processes import run_burst_worker

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


def queue_import(app, client, unit, first) -> tuple[int, str]:
    """The unit's 附表5 of all its candidates, uploaded: (the job's id, its stored upload)."""
    data = big_file(unit.id, first)
    db.session.expire_all()
    login(client, unit.users[0].username)
    assert upload(client, data).headers["Location"].endswith("/downloads/")
    job_id = db.session.scalar(sa.select(Job.id).where(Job.kind == import_jobs.CANDIDATES))
    upload_name = jobs.input_of(job_row(job_id))
    assert upload_name and (pathlib.Path(app.config["UPLOAD_DIR"]) / upload_name).exists()
    return job_id, upload_name


def assert_failed_and_nothing_left(app, client, job_id: int, upload_name: str) -> None:
    """A worker started again ends the dead job 失败 with the import's message; nothing of it is left."""
    # a worker started again: its upkeep finds the dead job at once (same host, pid gone)
    assert run_burst_worker(app, 90, JOB_STALE_SECONDS="5").returncode == 0
    dead = job_row(job_id)
    assert (dead.state, dead.error, dead.stored_name) == (JobState.FAILED, import_jobs.DIED, None)
    assert not (pathlib.Path(app.config["UPLOAD_DIR"]) / upload_name).exists()
    assert not glob.glob(os.path.join(tempfile.gettempdir(), f"{jobs.temp_prefix(job_id)}*"))
    assert client.get(f"/downloads/download/?id={job_id}").status_code == 404
    page = client.get("/downloads/").get_data(as_text=True)
    assert "处理该任务的后台进程意外停止，未导入任何数据，请重新导入" in page


@pytest.mark.usefixtures("queue")
def test_an_import_killed_while_its_rows_are_checked_ends_failed_and_imports_nothing(app, client, world):
    unit, _application, first = approved(world, "kill", seq=900)
    clone_candidates(first, ROWS - 1)
    assert waiting_count(unit.id) == ROWS
    job_id, upload_name = queue_import(app, client, unit, first)
    progress = jobs.redis_connection(), jobs._key(job_id, "progress")

    def checking():  # (done, total) once the first IMPORT_PROGRESS_EVERY rows are checked
        done, total = progress[0].hmget(progress[1], "done", "total")
        return (int(done), int(total)) if done and int(done) > 0 else None

    done, total = kill_when(app, job_id, checking, "the rows to be checked")
    assert 0 < done < total == ROWS, (done, total)
    assert waiting_count(unit.id) == ROWS
    assert_failed_and_nothing_left(app, client, job_id, upload_name)
    assert waiting_count(unit.id) == ROWS  # not one registration moved


@pytest.mark.usefixtures("queue")
def test_an_import_killed_inside_its_uncommitted_write_leaves_every_row_as_it_was(app, client, world):
    """PostgreSQL: the test holds a lock on the unit's last registration, so the import's one UPDATE of its rows
    waits there, inside its open transaction (any row it reached before that one changed, uncommitted); the horse
    is killed while it waits."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip(
            "a row lock that holds the import's UPDATE needs PostgreSQL (SQLite locks the whole file)"
        )
    unit, _application, first = approved(world, "lock", seq=910)
    clone_candidates(first, 2_999)  # above IMPORT_JOB_ROWS (2,000): a job at the default threshold
    last = db.session.scalar(sa.select(sa.func.max(Registration.id)).where(Registration.unit_id == unit.id))
    job_id, upload_name = queue_import(app, client, unit, first)
    with db.engine.connect() as blocker:
        blocker.execute(sa.select(Registration.id).where(Registration.id == last).with_for_update())
        waiting = sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND query ILIKE 'UPDATE registration%'"
        )

        def update_waits():  # asked on a connection of its own: pg_stat_activity is frozen inside a transaction
            with db.engine.connect() as look:
                return look.execute(waiting).scalar()

        kill_when(app, job_id, update_waits, "the import's UPDATE to wait")
        blocker.rollback()
    assert_failed_and_nothing_left(app, client, job_id, upload_name)
    assert waiting_count(unit.id) == 3_000  # the rows its UPDATE had changed were never committed
