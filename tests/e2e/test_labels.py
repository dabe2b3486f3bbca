"""Row actions read in words and lists carry no Flask-Admin leftovers, in the browser: the office's 考试资格申请
list and the center's 考试报名 list. Screenshots in docs/screenshots/labels-*.png."""

import re
from pathlib import Path

from tests.e2e.test_menus import login

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
LEFTOVER = re.compile(r"\b(None|items?|True|False|Edit|Delete|View)\b|\d级")


def _row_actions(page) -> list[str]:
    return page.eval_on_selector_all(
        "table.model-list td.list-buttons-column .gk-row-action",
        "els => els.map(e => e.textContent.trim() + '|' + (e.getAttribute('aria-label') || ''))",
    )


def _check_list(page, name):
    body = page.inner_text("body")
    assert not LEFTOVER.search(body), (name, LEFTOVER.search(body).group(0))
    assert "每页 20 条" in body
    actions = _row_actions(page)
    assert actions, name
    for action in actions:
        label, aria = action.split("|")
        assert re.search(r"[\u4e00-\u9fff]", label) and re.search(r"[\u4e00-\u9fff]", aria), action
    export = page.locator("button:has-text('导出查询结果')")  # a POST form (it may queue a 下载中心 job)
    assert "btn-outline-primary" in export.get_attribute("class")


def test_office_application_list_labels(page, live_server):
    login(page, live_server, "office")
    page.goto(f"{live_server}/applications/")
    _check_list(page, "applications")
    labels = {a.split("|")[0] for a in _row_actions(page)}
    assert {"查看", "打印登记表"} <= labels and "编辑" not in labels and "删除" not in labels
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "labels-office-applications.png"), full_page=False)


def _printable_tickets(app, ids) -> dict:
    """{registration id: whether its 准考证 can be printed} as the database holds it (the list's rule)."""
    from admin_app.extensions import db
    from admin_app.services import arrangement
    from models import Registration

    with app.app_context():
        regs = db.session.query(Registration).filter(Registration.id.in_(ids)).all()
        candidates = [r.id for r in regs if r.ticket_number and r.photo_stored]
        arranged = arrangement.arranged_ids(candidates)
        return {r.id: r.id in arranged for r in regs}


def test_center_registration_list_labels(page, live_server):
    login(page, live_server, "center")
    page.goto(f"{live_server}/registrations/?all_batches=1")
    _check_list(page, "registrations")
    labels = {a.split("|")[0] for a in _row_actions(page)}
    assert "查看" in labels
    # 准考证 only on rows whose ticket can be printed (a number, a photo, a published 考场编排): the demo's
    # candidates have numbers but no published arrangement; those of earlier browser tests may have one.
    rows = page.locator("table.model-list tbody tr").all()
    assert any(row.locator("td.col-ticket_number").inner_text().strip() for row in rows)
    ids = [int(re.search(r"id=(\d+)", row.inner_html()).group(1)) for row in rows]
    printable = _printable_tickets(live_server.app, ids)
    assert not all(printable.values())  # the demo's own candidates: numbered, not arranged
    for row, row_id in zip(rows, ids, strict=True):
        shown = row.locator("a.gk-row-action:has-text('准考证')").count()
        assert shown == (1 if printable[row_id] else 0), row_id
    page.screenshot(path=str(SCREENSHOTS / "labels-center-registrations.png"), full_page=False)


def test_score_list_reads_as_a_query_to_those_who_do_not_enter_scores(page, live_server):
    """成绩查询 for the unit and the 区县 bureau (menu, page title, heading, export file), 成绩录入 for the centre."""
    SCREENSHOTS.mkdir(exist_ok=True)
    for username, wanted, other in (
        ("unit_demo", "成绩查询", "成绩录入"),
        ("yuzhong_hr", "成绩查询", "成绩录入"),
        ("center", "成绩录入", "成绩查询"),
    ):
        login(page, live_server, username)
        menu = page.eval_on_selector_all(
            "#admin-navbar-collapse a[href='/scores/']", "els => els.map(e => e.textContent.trim())"
        )
        assert menu == [wanted], (username, menu)
        page.goto(f"{live_server}/scores/?all_batches=1")
        assert wanted in page.title() and other not in page.title(), (username, page.title())
        assert page.inner_text("h4.mb-4").strip() == wanted, username
        with page.expect_download() as download:
            page.click("button:has-text('导出查询结果')")
        assert download.value.suggested_filename.startswith(f"{wanted}_"), download.value.suggested_filename
        if username != "center":
            page.screenshot(path=str(SCREENSHOTS / f"labels-{username}-score-query.png"), full_page=False)
