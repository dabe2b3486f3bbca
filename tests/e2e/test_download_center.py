"""下载中心 in the browser: an export above a lowered threshold goes to the 下载中心 with the Chinese flash and a
progress bar (排队中); a real worker process (``flask worker --burst``) runs it; the page, polling progress.json
from gk-downloads.js (no inline script under the CSP), shows it finished without a manual reload; the file is
downloaded and holds the list's rows. Screenshots in docs/screenshots/download-center-*.png."""

import io
import os
import pathlib
from pathlib import Path

from openpyxl import load_workbook

from tests.e2e.test_menus import login
from tests.processes import run_burst_worker

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def test_a_large_export_is_downloaded_from_the_download_center(page, live_server):
    app = live_server.app
    app.config["EXPORT_JOB_ROWS"] = 5
    app.config["JOB_QUEUE"] = f"gk-e2e-{os.getpid()}"
    app.config["JOBS_REDIS_URL"] = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
    app.extensions.pop("gk_jobs_redis", None)
    try:
        login(page, live_server, "office")
        page.goto(f"{live_server}/workers/")
        listed = page.locator("text=/列表 \\(\\d+/").first.inner_text()
        page.click("text=导出查询结果（Excel）")
        page.wait_for_url("**/downloads/")
        assert "已转为后台导出任务" in page.content()
        assert page.locator(".gk-job-progress[data-active='1']").count() == 1
        assert "排队中" in page.locator("table.model-list").inner_text()
        page.screenshot(path=str(SCREENSHOTS / "download-center-queued.png"), full_page=True)

        worker = run_burst_worker(app)
        assert worker.returncode == 0, worker.stderr[-2000:]

        # gk-downloads.js polls and reloads the page when the job ends: the download link appears by itself.
        page.wait_for_selector(".gk-job-download", timeout=20000)
        assert "已完成" in page.locator("table.model-list").inner_text()
        page.screenshot(path=str(SCREENSHOTS / "download-center-finished.png"), full_page=True)
        with page.expect_download() as info:
            page.click(".gk-job-download")
        download = info.value
        assert download.suggested_filename.endswith(".xlsx")
        data = pathlib.Path(download.path()).read_bytes()
        sheet = load_workbook(io.BytesIO(data), read_only=True).active
        rows = sum(1 for _ in sheet.iter_rows()) - 1
        assert str(rows) in listed.replace(",", "")

    finally:
        app.config["EXPORT_JOB_ROWS"] = 20000
        from admin_app.services import jobs

        with app.app_context():
            connection = jobs.redis_connection()
            for key in connection.scan_iter(f"*{app.config['JOB_QUEUE']}*"):
                connection.delete(key)
