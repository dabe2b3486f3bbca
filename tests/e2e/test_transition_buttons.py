"""The buttons come from the transition table: 市工考办 decides a 报名 from its details page (manual 4.2, the
second method) and sees the list's operations but no 报名 icon; the unit sees none of the 市工考办's operations
and the 报名 icon on the row it may register. Screenshots in docs/screenshots/."""

from datetime import date, datetime
from pathlib import Path

from tests.e2e.conftest import add_candidate
from tests.e2e.test_menus import login

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _registrations(app) -> dict:
    """Two 报名 of new workers of unit_demo's unit: 李报名 waits for 市工考办 (待确认), 张未报 is 未报名."""
    import sqlalchemy as sa

    from admin_app.extensions import db
    from admin_app.workflow.states import ExamCategory, RegistrationState
    from models import ExamBatch, Trade, User

    ids = {}
    with app.app_context():
        unit = db.session.scalar(sa.select(User).where(User.username == "unit_demo")).organisation
        batch = db.session.scalar(sa.select(ExamBatch).where(ExamBatch.year == 2021))
        trade = db.session.scalar(sa.select(Trade).where(Trade.name == "维修电工"))
        for seq, (name, state) in enumerate(
            (("李报名", RegistrationState.PENDING), ("张未报", RegistrationState.UNREGISTERED)), start=88
        ):
            registration = add_candidate(
                unit,
                batch,
                trade,
                name,
                seq=seq,
                birth=date(1980, 5, 5),
                worker={
                    "gender": "F",
                    "work_start_date": date(2000, 7, 1),
                    "current_grade": 5,
                    "current_grade_date": date(2010, 1, 1),
                },
                grade=4,
                status=state,
            )
            if state == RegistrationState.PENDING:
                registration.phone, registration.exam_category = "13800138001", ExamCategory.BOTH
                registration.registered_at = datetime(2021, 7, 10, 2)
            db.session.add(registration)
            db.session.flush()
            ids[name] = registration.id
        db.session.commit()
    return ids


def test_office_decides_a_registration_from_its_details_page(page, live_server):
    SCREENSHOTS.mkdir(exist_ok=True)
    ids = _registrations(live_server.app)
    reg_id = ids["李报名"]
    page.on("dialog", lambda dialog: dialog.accept())

    # 市工考办's list: its operations (选中的 menu and 全部符合筛选条件), no 报名 icon.
    login(page, live_server, "office")
    page.goto(f"{live_server}/registrations/?search=李报名")
    tools = page.inner_text(".gk-list-tools")
    assert "报名审核通过（全部符合筛选条件）" in tools and "退回报名（全部符合筛选条件）" in tools
    assert "缴费确认" not in tools
    assert page.locator("table.model-list a[title='报名']").count() == 0
    page.screenshot(path=str(SCREENSHOTS / "transitions-1-office-registration-list.png"), full_page=True)

    # The details page: the decisions open on this row at its bottom.
    page.goto(f"{live_server}/registrations/details/?id={reg_id}")
    card = page.inner_text("#transitions")
    assert "报名审核通过" in card and "退回报名" in card and "退回原因（必填）" in card
    page.locator("#transitions").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "transitions-2-office-registration-details.png"), full_page=True)
    page.click("#transitions button[value=confirm_registration]")
    page.wait_for_load_state("networkidle")
    assert "成功 1 条" in page.inner_text("body").replace("\n", " ").replace("  ", " ")
    page.screenshot(path=str(SCREENSHOTS / "transitions-3-office-decided.png"), full_page=True)
    page.goto(f"{live_server}/registrations/details/?id={reg_id}")
    assert "待缴费确认" in page.inner_text("body") and page.locator("#transitions").count() == 0

    # The unit's list: none of the 市工考办's operations; the 报名 icon on the row it may register only.
    login(page, live_server, "unit_demo")
    page.goto(f"{live_server}/registrations/")
    tools = page.inner_text(".gk-list-tools")
    assert "报名审核通过" not in tools and "导入附表5（批量报名）" in tools
    register = page.locator("table.model-list a[title='报名']")
    assert register.count() == 1 and f"id={ids['张未报']}" in register.get_attribute("href")
    page.screenshot(path=str(SCREENSHOTS / "transitions-4-unit-registration-list.png"), full_page=True)
