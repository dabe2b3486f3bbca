"""Reminders in the browser (issue 19 point 5): a reviewer reads the day's 待我审核 digest in 站内消息 and follows it to
the queue; a unit sets its e-mail and turns SMS off in 消息设置; the admin's template with an unknown placeholder is
refused in Chinese."""

import re

import pytest

from tests.e2e.test_menus import login

pytestmark = pytest.mark.e2e


def test_a_reviewer_reads_the_digest_and_opens_the_queue(page, live_server, shots):
    from admin_app.services import reminders

    with live_server.app.app_context():
        reminders.run(live_server.app.config)
    login(page, live_server, "yuzhong_hr")
    assert page.locator(".gk-unread").count() == 1
    page.click("a.gk-messages")
    page.wait_for_load_state("networkidle")
    digest = page.locator("a", has_text="份考试资格申请等待您审核").first
    count = int(re.search(r"有(\d+)份", digest.inner_text()).group(1))
    page.screenshot(path=str(shots / "reminders-digest-yuzhong_hr.png"), full_page=True)
    digest.click()
    page.wait_for_load_state("networkidle")
    tab = page.locator("ul.nav-tabs a.nav-link.active").inner_text()
    assert f"({count})" in tab, tab


def test_a_unit_sets_its_email_and_turns_sms_off(page, live_server, shots):
    login(page, live_server, "unit_demo")
    page.click("text=消息设置")
    page.wait_for_load_state("networkidle")
    page.fill("#email", "demo@example.com")
    page.fill("#mobile", "13800000001")
    page.check("#email_wanted")
    page.uncheck("#sms_wanted")
    page.click("#submit")
    page.wait_for_load_state("networkidle")
    assert "消息设置已保存" in page.inner_text("body")
    assert page.input_value("#email") == "demo@example.com" and not page.is_checked("#sms_wanted")
    page.screenshot(path=str(shots / "reminders-contact-unit_demo.png"), full_page=True)


def test_the_admin_is_told_of_an_unknown_placeholder(page, live_server, shots):
    login(page, live_server, "admin")
    page.goto(live_server + "/reminder_templates/")
    page.locator("a[href*='/reminder_templates/edit/']").first.click()
    page.wait_for_load_state("networkidle")
    page.fill("#body", "${unit}：${不存在}")
    page.click("input[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "模板格式不正确" in page.inner_text("body") or "未知的占位符" in page.inner_text("body")
    page.screenshot(path=str(shots / "reminders-template-error.png"), full_page=True)
