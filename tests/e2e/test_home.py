"""Each role's 首页: to-do cards linking to the filtered lists, the open batch, the unit's message badge."""

import pytest

from tests.e2e.test_menus import login


@pytest.mark.parametrize("username", ["unit_demo", "yuzhong_hr", "office", "center", "city_hr"])
def test_home_shows_todos_that_open_their_lists(page, live_server, shots, username):
    login(page, live_server, username)
    page.goto(live_server + "/")
    cards = page.locator("a.gk-todo")
    assert cards.count() >= 1, username
    assert "申报截止日" in page.inner_text("#open-batch")
    page.screenshot(path=str(shots / f"home-{username}.png"), full_page=True)
    label = cards.first.get_attribute("data-todo")
    count = cards.first.locator(".gk-todo-count").inner_text().strip()
    cards.first.click()
    page.wait_for_load_state("networkidle")
    tab = page.locator("ul.nav-tabs a.nav-link.active").inner_text()
    assert (f"({count})" in tab) if count != "0" else ("(" not in tab), (username, label, tab)
    if username == "unit_demo":
        page.goto(live_server + "/messages/")
        assert page.locator("a.gk-messages").count() == 1
        page.screenshot(path=str(shots / "messages-unit_demo.png"), full_page=True)
