"""Rows of unit B in the 考务 and results lists (查分, 考场编排, 公示异议, 违纪通报), for tests that open every
list of the app (the permission matrix, the Chinese labels of every details page)."""

from admin_app.extensions import db
from admin_app.workflow.states import ApplicationState, RegistrationState, ScorePublication, ScoreResult
from models import Job, NoticeEntry, Objection, ScoreRecheck
from tests.arrangement_world import add_matrix_arrangement
from tests.factories import add_application, add_registration, add_worker


def add_affairs_rows(world) -> None:
    """A 查分 request of B's candidate, B's candidate seated in a 编排中 session, an objection to B's candidate on
    the batch's published 公示, and a published 违纪 of another candidate of B: the row each of those lists
    tries."""
    reg = world.registrations["B"]
    db.session.add(
        ScoreRecheck(
            registration_id=reg.id,
            batch_id=reg.batch_id,
            unit_id=reg.unit_id,
            jurisdiction_id=reg.jurisdiction_id,
            reason="成绩有疑问",
        )
    )
    db.session.commit()
    add_matrix_arrangement(world)
    entry = db.session.query(NoticeEntry).filter_by(registration_id=reg.id).one()
    db.session.add(
        Objection(
            notice_id=entry.notice_id,
            entry_id=entry.id,
            registration_id=entry.registration_id,
            source="来信",
            text="异议",
        )
    )
    worker = add_worker(world.units["B"], "乙违纪", 290, world.trade, world.batch)
    db.session.flush()
    marked = add_registration(add_application(world, worker, grade=4, status=ApplicationState.APPROVED))
    marked.status, marked.score_result = RegistrationState.REGISTERED, ScoreResult.MISCONDUCT
    marked.misconduct_reason, marked.score_publication = "替考", ScorePublication.PUBLISHED
    db.session.commit()
    add_finished_download(world.users["unit"])  # unit A's own 下载中心 export


def add_finished_download(user) -> Job:
    """A finished 下载中心 export of ``user``, its workbook in storage (the row 下载中心 tries)."""
    import os
    import tempfile
    from datetime import timedelta

    from admin_app.services import excel, uploads
    from admin_app.workflow.states import JobState
    from models.org import utcnow

    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    excel.write_workbook(path, "工勤人员", [excel.Column("姓名", lambda row: row)], [user.username])
    stored = f"downloads/{user.id}/matrix-{os.urandom(4).hex()}.xlsx"
    uploads.storage().save_file(stored, path, uploads.XLSX_TYPE)
    os.remove(path)
    now = utcnow()
    job = Job(
        owner_id=user.id,
        kind="export",
        title="工勤人员",
        parameters="{}",
        state=JobState.FINISHED,
        rows_done=1,
        rows_total=1,
        stored_name=stored,
        download_name="工勤人员.xlsx",
        created_at=now,
        finished_at=now,
        expires_at=now + timedelta(days=7),
    )
    db.session.add(job)
    db.session.commit()
    return job
