"""统计分析 in the browser: charts drawn by ECharts from our own static files (no request leaves the server),
no script errors or CSP violations, Excel export of a table; office (全市) and a 区县 bureau (its own)."""

import pytest

from tests.e2e.test_menus import login


@pytest.mark.parametrize("username", ["office", "yuzhong_hr"])
def test_statistics_page_draws_every_chart(page, live_server, shots, username):
    problems, foreign = [], []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: foreign.append(r.url) if not r.url.startswith(live_server) else None)
    login(page, live_server, username)
    page.goto(live_server + "/statistics/")
    page.wait_for_load_state("networkidle")
    charts = page.locator(".gk-chart")
    assert charts.count() >= 6
    for i in range(charts.count()):
        chart = charts.nth(i)
        assert chart.get_attribute("data-drawn") == "1"
        assert chart.locator("canvas").count() == 1
    assert "2021年度" in page.inner_text("#stats-year_on_year") and "2020年度" in page.inner_text(
        "#stats-year_on_year"
    )
    if username == "yuzhong_hr":
        rows = page.locator("#stats-by_jurisdiction tbody tr")
        assert rows.count() == 2 and "渝中区" in rows.first.inner_text()  # its own 区县 and 合计
    page.screenshot(path=str(shots / f"statistics-{username}.png"), full_page=True)
    assert not problems, problems
    assert not foreign, foreign

    # a row's 合计 opens the applications it counts
    link = page.locator("#stats-by_grade a.gk-stats-link").first
    count = link.inner_text().strip()
    link.click()
    page.wait_for_load_state("networkidle")
    assert f"({count})" in page.locator("ul.nav-tabs a.nav-link.active").inner_text()
    page.go_back()
    page.wait_for_load_state("networkidle")

    # another batch from the selector re-draws the page for that batch
    with page.expect_navigation():
        page.select_option("#batch", label=page.locator("#batch option", has_text="2020年度").inner_text())
    page.wait_for_load_state("networkidle")
    assert "2020年度" in page.inner_text("#stats-by_status")
    with page.expect_download() as download:
        page.click("#stats-pass_rates button.gk-stats-export")
    assert download.value.suggested_filename == "各环节通过率-2020年度.xlsx"
