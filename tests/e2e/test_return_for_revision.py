"""退回修改 in the browser: the 区县 reviewer returns a submitted application (业绩 and 学历) with an opinion; the
unit sees the to-do and the message, changes the application's 业绩 and the worker's 学历 (the only parts on
offer) and resubmits; the reviewer sees it in 待我审核 again with 退回修改前 / 修改后. Screenshots in
docs/screenshots/."""

from datetime import date
from pathlib import Path

import sqlalchemy as sa

from tests.e2e.test_menus import login

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _submitted_application(live_server) -> int:
    """A 高级工 application of a new worker of unit_demo's unit, submitted (待区县人力社保局审核)."""
    from admin_app import workflow
    from admin_app.extensions import db
    from models import AnnualAssessment, Application, ExamBatch, User, Worker, WorkerEducation
    from tests.factories import make_id_number

    facts = live_server.facts
    with live_server.app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "unit_demo"))
        worker = Worker(
            unit_id=user.organisation_id,
            name="李返修",
            gender="M",
            id_number=make_id_number("500103", date(1978, 3, 3), 91),
            birth_date=date(1978, 3, 3),
            work_start_date=date(1998, 7, 1),
            education="high_school",
            current_trade_id=facts["trade_id"],
            certificate_trade_id=facts["trade_id"],
            current_grade=4,
            current_grade_date=date(2012, 1, 1),
            years_in_trade=20,
        )
        worker.educations.append(WorkerEducation(level="high_school", school="重庆市第一中学"))
        db.session.add(worker)
        db.session.flush()
        for year in db.session.get(ExamBatch, facts["batch_id"]).assessment_years:
            worker.assessments.append(AnnualAssessment(year=year, result="pass"))
        app = Application(
            batch_id=facts["batch_id"],
            worker_id=worker.id,
            unit_id=user.organisation_id,
            jurisdiction_id=user.organisation.jurisdiction_id,
            org_category=user.organisation.org_category,
            applied_trade_id=facts["trade_id"],
            applied_grade=3,
            achievements="参与设备维修。",
            publicity_start=date(2021, 6, 1),
            publicity_end=date(2021, 6, 7),
            publicity_result="no_objection",
        )
        db.session.add(app)
        db.session.commit()
        result = workflow.submit(user, [app.id])
        assert [i for i, _ in result.done] == [app.id], result.refused
        return app.id


def test_return_for_revision_and_resubmission(page, live_server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    app_id = _submitted_application(live_server)

    # 1. The 区县 reviewer ticks it in 待我审核 and chooses 退回修改: parts and opinion on the confirmation page.
    login(page, live_server, "yuzhong_hr")
    page.goto(f"{live_server}/review_queue/?search=李返修")
    page.check(f"input.action-checkbox[value='{app_id}']")
    page.click("text=选中的")
    page.click("a[data-gk-action='return_for_revision']")
    page.wait_for_load_state("networkidle")
    assert "退回修改：确认" in page.inner_text("body")
    page.check("#part-education")
    page.check("#part-achievements")
    page.fill("#opinion", "业绩描述过简，请补充具体项目；学历请补充毕业时间和专业。")
    page.screenshot(path=str(SHOTS / "return-1-reviewer-confirm.png"), full_page=True)
    page.click("button:has-text('确认退回修改')")
    page.wait_for_load_state("networkidle")
    assert "成功 1 条" in " ".join(page.inner_text("body").split())

    # 2. The unit sees the to-do, the details with the opinion and the parts to change.
    login(page, live_server, "unit_demo")
    todo = page.locator("[data-todo='退回修改的申请'] .gk-todo-count")
    assert todo.inner_text().strip() != "0"
    page.screenshot(path=str(SHOTS / "return-2-unit-home-todo.png"), full_page=True)
    page.goto(f"{live_server}/applications/details/?id={app_id}")
    card = page.inner_text("#revision")
    assert "学历、业绩" in card and "业绩描述过简" in card
    page.screenshot(path=str(SHOTS / "return-3-unit-details.png"), full_page=True)

    # 3. The application's form offers only 业绩; the worker's form saves the 学历.
    page.click("#revision a:has-text('修改申请信息')")
    page.wait_for_load_state("networkidle")
    assert page.locator("#achievements").count() == 1 and page.locator("#remarks").count() == 0
    assert "只能修改退回的部分：学历、业绩" in page.inner_text("#returned-hint")
    page.fill("#achievements", "主持车间配电柜改造项目，解决频繁跳闸问题；带徒2名。")
    page.screenshot(path=str(SHOTS / "return-4-unit-edit-only-returned-parts.png"), full_page=True)
    page.click("input[type=submit][value='保存']")
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server}/applications/details/?id={app_id}")
    page.click("#revision a:has-text('修改人员信息')")
    page.wait_for_load_state("networkidle")
    assert "人员信息只能修改退回的部分：学历" in page.inner_text("#returned-hint")
    page.fill("#educations-0-graduated_on", "1996-07-01")
    page.fill("#educations-0-major", "电工")
    page.click("input[type=submit][value='保存']")
    page.wait_for_load_state("networkidle")
    assert "只能修改退回的部分" not in page.inner_text("body")

    # 4. 重新提交: back to the 区县 reviewer's step.
    page.goto(f"{live_server}/applications/details/?id={app_id}")
    page.click("#resubmit-form button")
    page.wait_for_load_state("networkidle")
    assert "成功 1 条" in " ".join(page.inner_text("body").split())

    # 5. The reviewer finds it in 待我审核 again and sees what changed.
    login(page, live_server, "yuzhong_hr")
    page.goto(f"{live_server}/review_queue/?search=李返修")
    assert "李返修" in page.inner_text("table.model-list")
    page.goto(f"{live_server}/review_queue/details/?id={app_id}")
    changes = page.inner_text("#revision-changes")
    assert "参与设备维修。" in changes and "主持车间配电柜改造项目" in changes
    assert "重庆市第一中学" in changes and "1996-07-01" in changes and "电工" in changes
    history = page.inner_text("#history")
    assert "退回修改" in history and "重新提交" in history
    page.locator("#revision").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "return-5-reviewer-before-after.png"), full_page=True)
