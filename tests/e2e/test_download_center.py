"""下载中心 in the browser: an export above a lowered threshold goes to the 下载中心 with the Chinese flash and a
progress bar (排队中); a real worker process (``flask worker --burst``) runs it; the page, polling progress.json
from gk-downloads.js (no inline script under the CSP), shows it finished without a manual reload; the file is
downloaded and holds the list's rows. Screenshots in docs/screenshots/download-center-*.png."""

import io
from pathlib import Path

from openpyxl import load_workbook

from tests.e2e.job_queue import download_newest, own_queue, run_worker
from tests.e2e.test_menus import login

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def test_a_large_export_is_downloaded_from_the_download_center(page, live_server):
    app = live_server.app
    with own_queue(app, "export", EXPORT_JOB_ROWS=5):
        login(page, live_server, "office")
        page.goto(f"{live_server}/workers/")
        listed = page.locator("text=/列表 \\(\\d+/").first.inner_text()
        page.click("text=导出查询结果（Excel）")
        page.wait_for_url("**/downloads/")
        assert "已转为后台导出任务" in page.content()
        assert page.locator(".gk-job-progress[data-active='1']").count() == 1
        assert "排队中" in page.locator("table.model-list").inner_text()
        page.screenshot(path=str(SCREENSHOTS / "download-center-queued.png"), full_page=True)

        run_worker(app)

        # gk-downloads.js polls and reloads the page when the job ends: the download link appears by itself.
        name, data = download_newest(page)
        assert "已完成" in page.locator("table.model-list tbody tr").first.inner_text()
        page.screenshot(path=str(SCREENSHOTS / "download-center-finished.png"), full_page=True)
        assert name.endswith(".xlsx")
        sheet = load_workbook(io.BytesIO(data), read_only=True).active
        rows = sum(1 for _ in sheet.iter_rows()) - 1
        assert str(rows) in listed.replace(",", "")
