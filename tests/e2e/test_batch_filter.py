"""Years are never mixed, in the browser: the office's application list opens on the current batch with the
condition drawn by Flask-Admin's filter script; its × lists every batch, and the default stays away.
Screenshots in docs/screenshots/batch-filter-*.png."""

import re
from pathlib import Path

from tests.e2e.test_menus import login

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _count(page) -> int:
    return int(re.search(r"列表 \((\d+)\)", page.inner_text("body")).group(1))


def _years(page) -> set[str]:
    return {text.strip() for text in page.locator("table.model-list td.col-batch\\.year").all_inner_texts()}


def test_office_list_opens_on_the_current_batch_and_the_cross_shows_all(page, live_server):
    login(page, live_server, "office")
    page.goto(f"{live_server}/applications/")
    condition = page.locator("#filter_form .remove-filter", has_text="批次")
    assert condition.count() == 1
    assert page.locator("#filter_form select.filter-val option:checked").inner_text().strip() == "2021年度"
    assert _years(page) == {"2021年度"}
    assert "批次：2021年度" in page.inner_text(".gk-list-tools")
    current = _count(page)
    page.screenshot(path=str(SCREENSHOTS / "batch-filter-current.png"), full_page=True)

    condition.click()
    page.wait_for_load_state("networkidle")
    assert "all_batches=1" in page.url
    assert page.locator("#filter_form .remove-filter").count() == 0
    assert _count(page) > current  # the demo's 2019/2020 history is counted too
    assert "批次：全部" in page.inner_text(".gk-list-tools")

    # Sorting the list of every batch by 批次 keeps every batch (the default does not come back): the oldest
    # year comes first.
    page.click("th.col-batch-year a")
    page.wait_for_load_state("networkidle")
    assert "all_batches=1" in page.url
    assert "2021年度" not in _years(page)
    page.screenshot(path=str(SCREENSHOTS / "batch-filter-all.png"), full_page=True)
