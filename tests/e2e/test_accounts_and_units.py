"""Accounts and units in the browser: 登录会话 (a user ends another of their own logins), 在线用户 (the admin's
强制下线), 单位信息审核 (a renamed unit waits until its 区县 bureau confirms) and the neutral login failure.
Each test works on its own accounts and unit (made here), so the demo accounts other tests use are left as
they were. Screenshots in tests/e2e/artifacts/."""

import random

import pytest

from seed.demo import DEMO_PASSWORD
from tests.e2e.test_menus import login

UNIT_NAME = "重庆市渝中区解放碑小学校"
UNIT_NEW_NAME = "重庆市渝中区解放碑实验小学校"


@pytest.fixture(scope="module")
def accounts(live_server):
    """Two staff accounts (sessions, forced logout) and a confirmed 区县属 unit of 渝中区 with its account."""
    import sqlalchemy as sa

    from admin_app.extensions import db
    from admin_app.services import unit_identity
    from models import Jurisdiction, Organisation, User, enums
    from seed.demo import make_credit_code

    with live_server.app.app_context():
        staff = db.session.scalar(sa.select(Organisation).where(Organisation.kind == enums.CITY_HR))
        yuzhong = db.session.scalar(sa.select(Jurisdiction).where(Jurisdiction.code == "500103"))
        supervisor = db.session.scalar(
            sa.select(Organisation).where(Organisation.name == "重庆市渝中区教育委员会")
        )
        unit = Organisation(
            name=UNIT_NAME,
            kind=enums.UNIT,
            uscc=make_credit_code(random.Random(20211201), "12", "500103"),
            org_category=enums.CAT_DISTRICT,
            jurisdiction=yuzhong,
            supervisor=supervisor,
            address="重庆市渝中区民族路88号",
            postcode="400010",
            contact_person="陈老师",
            contact_phone="023-63700000",
        )
        db.session.add(unit)
        for username, org, full_name in (
            ("e2e_sessions", staff, "会话测试员"),
            ("e2e_online", staff, "在线测试员"),
            ("e2e_unit", unit, "人事干事"),
        ):
            user = User(username=username, organisation=org, full_name=full_name, must_change_password=False)
            user.set_password(DEMO_PASSWORD)
            db.session.add(user)
        db.session.flush()
        unit_identity.record_confirmed(unit, "渝中区人力社保局")
        db.session.commit()
        unit_id = unit.id
    return {"unit_id": unit_id}


def new_page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    return context.new_page()


def assert_chinese_page(page):
    body = page.inner_text("body")
    for leftover in (
        "Traceback",
        "系统错误",
        "{{",
        "{%",
        "Save",
        "Cancel",
        "Delete",
        "With selected",
        "List",
    ):
        assert leftover not in body, (leftover, body[:2000])
    return body


def assert_logged_out(page, base):
    page.goto(f"{base}/")
    page.wait_for_load_state("networkidle")
    assert "/login?next=/" in page.url, page.url
    assert "用户登录" in page.inner_text("body") and page.locator("#username").count() == 1


def test_user_ends_their_other_session(browser, live_server, shots, accounts):
    first, second = new_page(browser), new_page(browser)
    try:
        login(second, live_server, "e2e_sessions")
        login(first, live_server, "e2e_sessions")
        assert "会话测试员" in second.inner_text("nav")

        first.click("nav a:has-text('登录会话')")
        first.wait_for_load_state("networkidle")
        assert first.url.endswith("/sessions")
        body = assert_chinese_page(first)
        assert "登录会话" in body and "结束其他所有会话" in body
        rows = first.locator("table.gk-sessions tbody tr")
        assert rows.count() == 2
        assert first.locator(".gk-current-session").count() == 1
        assert rows.filter(has=first.locator(".gk-current-session")).locator("button").count() == 0
        first.screenshot(path=str(shots / "sessions.png"), full_page=True)

        first.click("table.gk-sessions button:has-text('结束此会话')")
        first.wait_for_load_state("networkidle")
        assert "已结束 1 个其他会话" in first.inner_text("body")
        assert first.locator("table.gk-sessions tbody tr").count() == 1
        assert first.locator(".gk-current-session").count() == 1
        assert first.locator("text=结束其他所有会话").count() == 0
        first.screenshot(path=str(shots / "sessions-ended.png"), full_page=True)

        assert_logged_out(second, live_server)
        first.goto(f"{live_server}/")  # the current session is untouched
        assert "/login" not in first.url and "会话测试员" in first.inner_text("nav")
    finally:
        first.context.close()
        second.context.close()


def test_admin_forces_a_user_offline(browser, live_server, shots, accounts):
    admin, user = new_page(browser), new_page(browser)
    admin.on("dialog", lambda dialog: dialog.accept())
    try:
        login(user, live_server, "e2e_online")
        assert "在线测试员" in user.inner_text("nav")
        login(admin, live_server, "admin")

        admin.click("nav a:has-text('系统管理')")
        admin.click("nav a.dropdown-item:has-text('在线用户')")
        admin.wait_for_load_state("networkidle")
        assert "/online/" in admin.url
        body = assert_chinese_page(admin)
        for header in ("账号", "姓名", "所属机构", "角色", "登录时间", "最近活动", "IP地址", "浏览器"):
            assert header in admin.inner_text("table.model-list thead"), header
        row = admin.locator("table.model-list tbody tr", has_text="e2e_online")
        assert row.count() == 1 and "在线测试员" in row.inner_text() and "市人力社保局" in row.inner_text()
        assert "e2e_online" in body and "admin" in body
        row.locator("input.action-checkbox").check()
        admin.screenshot(path=str(shots / "online-users.png"), full_page=True)

        admin.click("text=选中的")
        admin.click("a[data-gk-action='force_logout']")
        admin.wait_for_load_state("networkidle")
        body = assert_chinese_page(admin)
        assert "已强制下线 1 个会话：e2e_online" in body
        assert admin.locator("table.model-list tbody tr", has_text="e2e_online").count() == 0
        admin.screenshot(path=str(shots / "online-users-forced.png"), full_page=True)

        assert_logged_out(user, live_server)
        admin.goto(f"{live_server}/online/")
        assert "/online/" in admin.url  # the admin's own session goes on
    finally:
        admin.context.close()
        user.context.close()


def test_renamed_unit_waits_for_its_district_bureau(page, live_server, shots, accounts):
    unit_id = accounts["unit_id"]
    page.on("dialog", lambda dialog: dialog.accept())

    # The unit renames itself on 单位基本信息: the profile now waits for 渝中区人力社保局.
    login(page, live_server, "e2e_unit")
    page.goto(f"{live_server}/unitprofile/")
    assert page.inner_text("#identity-state") == "已确认"
    page.fill("#name", UNIT_NEW_NAME)
    page.click("input[type=submit][value='保存']")
    page.wait_for_load_state("networkidle")
    assert "待审核" in page.inner_text("#identity-state")  # 首页
    page.goto(f"{live_server}/unitprofile/")
    body = assert_chinese_page(page)
    assert page.inner_text("#identity-state") == "待审核"
    assert "正待渝中区人力社保局审核确认" in body
    assert "（上次审核：渝中区人力社保局，" in body  # the earlier confirmation, not a decision on this change
    assert f"单位名称：{UNIT_NAME} → {UNIT_NEW_NAME}" in body
    locked = page.inner_text("#identity-locked")
    caption = page.locator("#identity-locked caption").bounding_box()
    assert caption["y"] < page.locator("#identity-locked tr").first.bounding_box()["y"]  # above the table
    assert "审核期间以下信息不能修改" in locked and UNIT_NEW_NAME in locked and "渝中区" in locked
    assert page.locator("#name").count() == 0 and page.locator("#jurisdiction").count() == 0
    page.screenshot(path=str(shots / "unit-profile-pending.png"), full_page=True)

    # 渝中区's bureau sees before → after and confirms.
    login(page, live_server, "yuzhong_hr")
    page.goto(f"{live_server}/unitreview/")
    row = page.locator("table.model-list tbody tr", has_text=UNIT_NEW_NAME)
    assert row.count() == 1
    assert "待审核" in row.inner_text() and "单位名称" in row.inner_text()
    page.goto(f"{live_server}/unitreview/details/?id={unit_id}")
    body = assert_chinese_page(page)
    assert f"单位名称：{UNIT_NAME} → {UNIT_NEW_NAME}" in body
    page.screenshot(path=str(shots / "unit-review.png"), full_page=True)

    page.goto(f"{live_server}/unitreview/")
    page.check(f"input.action-checkbox[value='{unit_id}']")
    page.click("text=选中的")
    page.click("a[data-gk-action='confirm']")
    page.wait_for_load_state("networkidle")
    body = assert_chinese_page(page)
    assert "审核通过：确认" in body and "选中的 1 条" in body and UNIT_NEW_NAME in body
    assert page.locator("table th", has_text="单位名称").count() == 1 and "姓名" not in body
    page.fill("#opinion", "名称变更属实，予以确认。")
    page.screenshot(path=str(shots / "unit-review-confirm.png"), full_page=True)
    page.click("button:has-text('确认审核通过')")
    page.wait_for_load_state("networkidle")
    body = assert_chinese_page(page)
    assert "成功 1 条" in body.replace("\n", " ").replace("  ", " "), body[:2000]
    page.screenshot(path=str(shots / "unit-review-done.png"), full_page=True)

    # The unit sees its profile confirmed, by whom and with the opinion.
    login(page, live_server, "e2e_unit")
    assert UNIT_NEW_NAME in page.inner_text("nav")
    assert page.inner_text("#identity-state").startswith("已确认")
    page.goto(f"{live_server}/unitprofile/")
    body = assert_chinese_page(page)
    assert page.inner_text("#identity-state") == "已确认"
    assert "上次审核" not in body and "渝中区人力社保局" in body and "名称变更属实，予以确认。" in body
    assert "待确认的变更" not in body and page.locator("#identity-locked").count() == 0
    assert page.input_value("#name") == UNIT_NEW_NAME
    page.screenshot(path=str(shots / "unit-profile-confirmed.png"), full_page=True)


def test_failed_login_is_neutral(page, live_server, shots, accounts):
    messages = []
    for username, password in (("nobody_here", DEMO_PASSWORD), ("e2e_unit", "wrong-password-1")):
        page.context.clear_cookies()
        page.goto(f"{live_server}/login")
        page.fill("#username", username)
        page.fill("#password", password)
        page.click("#submit")
        page.wait_for_load_state("networkidle")
        assert "/login" in page.url
        body = assert_chinese_page(page)
        assert "用户名或密码错误" in body
        messages.append(page.inner_text(".alert"))
    # An unknown name and a wrong password read the same.
    assert messages[0] == messages[1]
    assert page.input_value("#password") == ""
    page.screenshot(path=str(shots / "login-failed.png"), full_page=True)
