"""Batch PDFs as 下载中心 jobs (issue 19 point 2): for more than one person (``limits.PDF_DIRECT_DOCUMENTS``) the
登记表, 准考证 and 证书 of a list's filter are made by a job that replays the request as its owner (RQ's SimpleWorker here), laid out
``limits.PDF_CHUNK`` documents at a time and merged: the file holds the same documents as the direct download
(pages read back), only the owner downloads it, a unit's job holds only its own rows, a refusal of every row ends
失败 with the Chinese reason and no file, Redis down refuses in Chinese with nothing queued. The content of the
files of each family, from the job: test_registration_pdf.py, test_exam_documents.py (准考证 and the 未能打印 page
first), test_certificates.py (证书 of the scope, signed once over the merged file)."""

import pytest
import sqlalchemy as sa

from admin_app import limits
from admin_app.extensions import db
from admin_app.services import uploads
from admin_app.workflow.states import JobState
from models import AuditLog, Job, Notification, enums
from tests.batch_pdfs import download, finished, submitted
from tests.conftest import login, text_of
from tests.integration.test_download_jobs import queue  # noqa: F401  (the fixture)
from tests.integration.test_exam_documents import SEARCH, arranged, pdf_text, username  # noqa: F401
from tests.integration.test_registration_pdf import assert_well_printed, flat, text_of_pdf, through_the_chain


@pytest.fixture
def one_document_per_call(monkeypatch):
    """Drawn one document per WeasyPrint call (merged); a batch of more than one document is a job by default."""
    assert limits.PDF_DIRECT_DOCUMENTS == 1
    monkeypatch.setattr(limits, "PDF_CHUNK", 1)


def test_registration_forms_of_the_filter_are_the_owners_job(
    app,
    client,
    world,
    queue,  # noqa: F811
    one_document_per_call,
):
    apps = [through_the_chain(world, f"pdfj{i}", grade=5, seq=430 + i)[1] for i in range(3)]
    login(client, "office")
    page = client.post("/applications/prints.pdf?search=pdfj", follow_redirects=True)
    assert "共3人，登记表PDF已转为后台任务" in text_of(page) and "排队中" in text_of(page)
    job = db.session.scalars(sa.select(Job)).one()
    assert (job.kind, job.title, job.state) == ("registration_pdf", "登记表PDF（3人）", JobState.QUEUED)
    db.session.rollback()

    job = finished(app, job.id)
    assert job.state == JobState.FINISHED, job.error
    assert (job.rows_done, job.rows_total) == (3, 3) and job.download_name.endswith(".pdf")
    assert "3 / 3 人" in text_of(client.get("/downloads/"))  # its bar counts people, not rows
    data = download(client, job)
    assert_well_printed(data, forms=3)  # three chunks merged: every page, every font embedded
    text = flat(text_of_pdf(data))
    for application in apps:
        assert text.count("姓名：" + application.worker.name) == 1
    assert text.index(apps[2].worker.name) < text.index(apps[0].worker.name)  # the list's order: newest first
    message = db.session.scalars(sa.select(Notification).where(Notification.kind == "download_ready")).one()
    assert message.title == "登记表PDF已生成" and "登记表PDF（3人）" in message.body
    assert message.organisation_id == world.users[enums.OFFICE].organisation_id
    (audit,) = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "export")).all()
    assert '"background": true' in audit.detail and audit.user_id == world.users[enums.OFFICE].id
    # Only the owner downloads it
    login(client, "center")
    assert client.get(f"/downloads/download/?id={job.id}").status_code == 404


def test_a_units_ticket_job_holds_only_its_candidates(app, client, arranged, queue, monkeypatch):  # noqa: F811
    monkeypatch.setattr(limits, "PDF_DIRECT_DOCUMENTS", 0)
    login(client, username(arranged, 1))
    job = submitted(client, f"/registrations/tickets.pdf?search={SEARCH}")
    assert job.title == "准考证PDF（1人）"
    job = finished(app, job.id)
    assert job.state == JobState.FINISHED, job.error
    (page,) = pdf_text(download(client, job))
    assert "票1申报人" in page and "未能打印" not in page and "票2" not in page


def test_a_job_of_which_nothing_may_be_printed_fails_with_the_reason_and_no_file(
    app,
    client,
    arranged,  # noqa: F811
    queue,  # noqa: F811
    one_document_per_call,
):
    login(client, "office")
    arranged["regs"][1].photo_stored = None  # 票1 has no photo now: none of the four may have a ticket
    db.session.commit()
    job = submitted(client, f"/registrations/tickets.pdf?search={SEARCH}")
    job = finished(app, job.id)
    assert job.state == JobState.FAILED
    assert job.error.startswith("没有可打印的准考证（票") and "电子照片无法读取" in job.error
    assert job.stored_name is None and not uploads.storage().exists(f"downloads/{job.owner_id}/{job.id}.pdf")
    assert not db.session.scalars(sa.select(Notification).where(Notification.kind == "download_ready")).all()
    assert not db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "export")).all()
    assert "没有可打印的准考证" in text_of(client.get("/downloads/"))


def test_with_redis_down_a_batch_is_refused_in_chinese_and_nothing_queued(
    app, client, world, one_document_per_call, monkeypatch
):
    for i in range(2):
        through_the_chain(world, f"pdfr{i}", grade=5, seq=440 + i)
    monkeypatch.setitem(app.config, "JOBS_REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.delitem(app.extensions, "gk_jobs_redis", raising=False)
    login(client, "office")
    page = client.post("/applications/prints.pdf?search=pdfr", follow_redirects=True)
    assert "后台任务服务暂时不可用，超过1人的登记表PDF暂时无法生成" in text_of(page)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0
    assert not db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "export")).all()
    monkeypatch.delitem(app.extensions, "gk_jobs_redis", raising=False)
