"""Long work followed in the 下载中心, in the browser (issue 19), with a real worker process on the server's Redis:

- a unit uploads a 附表5 above IMPORT_JOB_ROWS (lowered for the server): it is sent to the 下载中心, where the
  import waits with its progress bar; the worker runs it; the page turns to 已完成 by itself and 查看结果 shows the
  import's result (3 candidates now 待确认);
- 市工考办 asks for the 登记表 PDF of PEOPLE people of its filter: a 下载中心 job; while the worker lays it out a
  chunk at a time, the bar shows the people done of the total (read live); the finished PDF is downloaded through
  the browser and holds every person's form (pypdf: PEOPLE × 3 pages).

Screenshots: docs/screenshots/job-progress-*.png."""

import io
import re
import threading
import time
from datetime import date

import sqlalchemy as sa
from pypdf import PdfReader

from admin_app import limits
from tests.e2e.job_queue import download_newest, own_queue, run_worker
from tests.e2e.test_menus import login
from tests.integration.test_registration_pdf import PAGES_PER_FORM
from tests.processes import ROOT

SCREENSHOTS = ROOT / "docs" / "screenshots"
IMPORTED = ("进度导入甲", "进度导入乙", "进度导入丙")
PEOPLE = 25  # three chunks of PDF_CHUNK (10): the bar stands at 10 and 20 of 25 for a few seconds each
PDF_PREFIX = "进度登记"


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"job-progress-{name}.png"), full_page=True)


def _demo_facts():
    from admin_app.extensions import db
    from models import ExamBatch, Trade, User

    user = db.session.scalar(sa.select(User).where(User.username == "unit_demo"))
    batch = db.session.scalar(sa.select(ExamBatch).where(ExamBatch.year == 2021))
    trade = db.session.scalar(sa.select(Trade).where(Trade.name == "维修电工"))
    return user.organisation, batch, trade


def candidates_file(app) -> tuple[bytes, list[int]]:
    """unit_demo's candidates IMPORTED (考试资格 approved, not yet 报名) and their 附表5 filled in: (the file, the
    registrations' ids)."""
    from admin_app.extensions import db
    from tests.e2e.conftest import add_candidate
    from tests.integration.test_candidate_import import row_for, xlsx

    with app.app_context():
        unit, batch, trade = _demo_facts()
        rows, ids = [], []
        for n, name in enumerate(IMPORTED, start=1):
            reg = add_candidate(
                unit,
                batch,
                trade,
                name,
                seq=n,
                birth=date(1979, 11, n),
                worker={"work_start_date": date(2001, 7, 1), "current_grade": 5},
                grade=4,
            )
            rows.append(row_for(reg, 序号=str(n)))
            ids.append(reg.id)
        db.session.commit()
    return xlsx(rows), ids


def applications_to_print(app) -> None:
    """PEOPLE applications of unit_demo's unit, named PDF_PREFIX…, whose 登记表 市工考办 prints."""
    from admin_app.extensions import db
    from admin_app.workflow.states import ApplicationState
    from models import Application, Worker
    from tests.factories import make_id_number

    with app.app_context():
        unit, batch, trade = _demo_facts()
        for n in range(1, PEOPLE + 1):
            birth = date(1978, 1 + n % 12, n)
            person = Worker(
                unit_id=unit.id,
                name=f"{PDF_PREFIX}{n:02d}",
                gender="M",
                id_number=make_id_number("500103", birth, n),
                birth_date=birth,
                education="high_school",
                work_start_date=date(2000, 7, 1),
                current_trade=trade,
                certificate_trade=trade,
                current_grade=5,
            )
            db.session.add(person)
            db.session.flush()
            db.session.add(
                Application(
                    batch_id=batch.id,
                    worker_id=person.id,
                    unit_id=unit.id,
                    jurisdiction_id=unit.jurisdiction_id,
                    org_category=unit.org_category,
                    applied_trade_id=trade.id,
                    applied_grade=4,
                    status=ApplicationState.APPROVED,
                )
            )
        db.session.commit()


def statuses(app, ids) -> set:
    from admin_app.extensions import db
    from models import Registration

    with app.app_context():
        return set(db.session.scalars(sa.select(Registration.status).where(Registration.id.in_(ids))))


def test_a_large_import_is_followed_in_the_download_center_to_its_result(page, live_server, tmp_path):
    from admin_app.workflow.states import RegistrationState

    app = live_server.app
    data, ids = candidates_file(app)
    upload = tmp_path / "附表5_三人.xlsx"
    upload.write_bytes(data)
    with own_queue(app, "import", IMPORT_JOB_ROWS=2):
        login(page, live_server, "unit_demo")
        page.goto(f"{live_server}/registrations/import/")
        assert "超过2行的文件在后台导入" in page.content()
        page.set_input_files("input[name=file]", str(upload))
        page.click("form[enctype='multipart/form-data'] button[type=submit]")
        page.wait_for_url("**/downloads/")
        newest = page.locator("table.model-list tbody tr").first
        assert "已转为后台导入任务" in page.content() and "排队中" in newest.inner_text()
        assert newest.locator(".gk-job-progress[data-active='1']").count() == 1
        shot(page, "import-queued")
        assert statuses(app, ids) == {RegistrationState.UNREGISTERED}  # nothing imported by the request

        run_worker(app)
        newest.locator(".gk-job-result").wait_for(timeout=30000)  # the page reloads itself when the job ends
        assert "已完成" in newest.inner_text()
        shot(page, "import-finished")
        newest.locator(".gk-job-result").click()
        page.wait_for_load_state("networkidle")
        assert "已导入 3 名考生，报名状态为“待确认”" in page.inner_text("#imported")
        shot(page, "import-result")
    assert statuses(app, ids) == {RegistrationState.PENDING}


def test_a_batch_pdf_of_several_people_shows_its_progress_and_downloads(page, live_server):
    app = live_server.app
    applications_to_print(app)
    with own_queue(app, "pdf"):
        login(page, live_server, "office")
        page.goto(f"{live_server}/applications/?search={PDF_PREFIX}")
        assert f"列表 ({PEOPLE})" in page.content()
        page.click("text=下载登记表PDF（全部符合筛选条件）")
        page.wait_for_url("**/downloads/")
        assert f"共{PEOPLE}人，登记表PDF已转为后台任务" in page.content()
        newest = page.locator("table.model-list tbody tr").first
        assert f"登记表PDF（{PEOPLE}人）" in newest.inner_text() and "排队中" in newest.inner_text()
        shot(page, "pdf-queued")

        worker = threading.Thread(target=run_worker, args=(app,))
        worker.start()
        try:
            seen = None
            deadline = time.monotonic() + 120
            while seen is None and time.monotonic() < deadline:  # the page as drawn now: progress read live
                page.reload()
                row = page.locator("table.model-list tbody tr").first
                shown = row.locator(".gk-job-rows").all_inner_texts()
                found = re.fullmatch(r"(\d+) / (\d+) 人", shown[0]) if shown else None
                if found and 0 < int(found.group(1)) < PEOPLE:
                    seen = int(found.group(1)), int(found.group(2))
                    shot(page, "pdf-running")
                elif row.locator(".gk-job-download").count():
                    break  # finished before a reload caught it mid-way
                time.sleep(0.3)
        finally:
            worker.join(180)
        assert seen is not None and seen[1] == PEOPLE and seen[0] % limits.PDF_CHUNK == 0, (
            seen
        )  # whole chunks

        name, data = download_newest(page)
        assert "已完成" in page.locator("table.model-list tbody tr").first.inner_text()
        shot(page, "pdf-finished")
    assert name.startswith(f"登记表_{PEOPLE}人_") and name.endswith(".pdf")
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == PAGES_PER_FORM * PEOPLE
    text = "".join("".join((p.extract_text() or "").split()) for p in reader.pages)
    assert all(f"{PDF_PREFIX}{n:02d}" in text for n in (1, PEOPLE // 2, PEOPLE)), text[:300]
