"""考核批次 in the browser: the admin makes next year's batch from this year's and sees it 未开放."""

from tests.e2e.test_menus import login


def test_admin_creates_next_years_batch(page, live_server, shots):
    page.on("dialog", lambda dialog: dialog.accept())
    login(page, live_server, "admin")
    page.goto(f"{live_server}/batches/")
    row = page.locator("tr", has_text="渝人工考〔2021〕1号")
    row.locator("input.action-checkbox").check()
    page.click("text=选中的")
    page.click("a[data-gk-action='copy_next']")
    page.wait_for_load_state("networkidle")
    body = page.inner_text("body")
    assert "已创建“2022年度（渝人工考〔2022〕1号）”（未开放）" in body
    assert "/batches/edit/" in page.url
    assert page.input_value("#doc_number") == "渝人工考〔2022〕1号"
    page.screenshot(path=str(shots / "batch-next-year.png"), full_page=True)
    page.goto(f"{live_server}/batches/")
    listing = page.inner_text("table.model-list")
    assert "2022" in listing and "未开放" in listing and "已归档" in listing  # 2019/2020 history
    page.screenshot(path=str(shots / "batch-list.png"), full_page=True)
