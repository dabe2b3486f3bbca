"""Log in as each kind of user, open every menu entry, save screenshots (tests/e2e/artifacts/)."""

import re

from seed.demo import DEMO_PASSWORD


def login(page, base, username):
    # A new person at the same browser. The previous page's late requests (its favicon, a poll) may still
    # answer with the old session's cookie after the cookies are cleared: leave the page first, and if
    # /login still finds someone signed in (it redirects to 首页), clear once more.
    page.goto("about:blank")
    for _ in range(3):
        page.context.clear_cookies()
        page.goto(f"{base}/login")
        if page.locator("#username").count():
            break
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("#submit")
    page.wait_for_load_state("networkidle")


def menu_links(page) -> list[tuple[str, str]]:
    links = page.eval_on_selector_all(
        "#admin-navbar-collapse a.dropdown-item, #admin-navbar-collapse a.nav-link:not(.dropdown-toggle)",
        "els => els.map(e => [e.textContent.trim(), e.getAttribute('href')])",
    )
    return [(text, href) for text, href in links if href and href.startswith("/")]


def visit_every_menu_entry(page, base, shots, prefix) -> list[str]:
    visited = []
    for text, href in menu_links(page):
        response = page.goto(base + href)
        assert response.status == 200, f"{prefix}: {text} {href} -> {response.status}"
        body = page.inner_text("body")
        assert "Traceback" not in body and "系统错误" not in body
        name = re.sub(r"[^0-9A-Za-z_]+", "_", href.strip("/")) or "home"
        page.screenshot(path=str(shots / f"{prefix}-{name}.png"), full_page=True)
        visited.append(text)
    return visited


def test_unit_user_opens_every_menu_entry(page, live_server, shots):
    login(page, live_server, "unit_demo")
    assert "重庆市渝中区人民小学校" in page.inner_text("nav")
    visited = visit_every_menu_entry(page, live_server, shots, "unit")
    assert {"单位基本信息", "工勤人员", "岗位设置"} <= set(visited)
    page.goto(f"{live_server}/workers/")
    # ID numbers are masked in the list.
    assert re.search(r"\d{6}\*{8}\d{3}[\dX]", page.inner_text("table.model-list"))
    page.goto(page.eval_on_selector("table.model-list a[href*='/workers/details/']", "a => a.href"))
    assert "工作简历" in page.inner_text("body")
    page.screenshot(path=str(shots / "unit-worker-details.png"), full_page=True)
    page.goto(f"{live_server}/workers/new/")
    page.screenshot(path=str(shots / "unit-worker-create.png"), full_page=True)


def test_district_reviewer_opens_every_menu_entry(page, live_server, shots):
    login(page, live_server, "yuzhong_hr")
    visited = visit_every_menu_entry(page, live_server, shots, "district")
    assert {"工勤人员", "单位列表", "岗位设置"} <= set(visited)
    page.goto(f"{live_server}/units/")
    table = page.inner_text("table.model-list")
    assert "渝中区" in table and "沙坪坝区人民医院" not in table


def test_admin_opens_every_menu_entry(page, live_server, shots):
    login(page, live_server, "admin")
    visited = visit_every_menu_entry(page, live_server, shots, "admin")
    assert {"账号管理", "机构管理", "区县", "工种", "考核批次", "审计日志"} <= set(visited)


def test_new_unit_is_held_at_its_profile(page, live_server, shots):
    login(page, live_server, "unit_new")
    assert "/unitprofile/edit/" in page.url
    assert "请完善" in page.inner_text("body")
    page.screenshot(path=str(shots / "unit_new-profile-gate.png"), full_page=True)


def test_login_and_registration_pages(page, live_server, shots):
    page.goto(f"{live_server}/login")
    page.screenshot(path=str(shots / "login.png"))
    page.goto(f"{live_server}/register")
    page.fill("#credit_code", "91110000600037341M")
    page.fill("#name", "测试单位")
    page.fill("#username", "e2e_unit")
    page.fill("#password", "Regist2021")
    page.fill("#confirm", "Regist2021")
    page.fill("#contact_person", "王明")
    page.fill("#contact_phone", "13800001111")
    page.click("#submit")
    assert "统一社会信用代码校验位错误" in page.inner_text("body")
    page.screenshot(path=str(shots / "register-error.png"), full_page=True)
