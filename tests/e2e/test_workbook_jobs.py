"""A multi-sheet workbook in the browser: 统计分析「导出全部」 lands on the 下载中心 with the Chinese flash and the job's
progress bar (排队中); a real worker process (``flask worker --burst``) makes it; the page, polling progress.json,
shows it finished by itself; the downloaded file opens with openpyxl and holds one sheet per table of the page.
Screenshots in docs/screenshots/workbook-job-*.png."""

import io

from openpyxl import load_workbook

from tests.e2e.job_queue import download_newest, own_queue, run_worker
from tests.e2e.test_menus import login
from tests.processes import ROOT

SCREENSHOTS = ROOT / "docs" / "screenshots"


def test_every_statistics_table_is_downloaded_from_the_download_center(page, live_server):
    with own_queue(live_server.app, "workbook"):
        login(page, live_server, "office")
        page.goto(f"{live_server}/statistics/")
        page.wait_for_load_state("networkidle")
        titles = [t.split()[0] for t in page.locator(".gk-stats-table .card-header strong").all_inner_texts()]
        page.click("#gk-stats-export-all")
        page.wait_for_url("**/downloads/")
        assert "统计分析全部表格的导出已转为后台任务" in page.content()
        newest = page.locator("table.model-list tbody tr").first
        assert "统计分析全部表格" in newest.inner_text() and "排队中" in newest.inner_text()
        assert newest.locator(".gk-job-progress[data-active='1']").count() == 1
        page.screenshot(path=str(SCREENSHOTS / "workbook-job-queued.png"), full_page=True)

        run_worker(live_server.app)

        # gk-downloads.js polls and reloads the page when the job ends: the download link appears by itself.
        newest.locator(".gk-job-download").wait_for(timeout=30000)
        assert "已完成" in newest.inner_text()
        done, total = newest.locator(".gk-job-rows").inner_text().replace(" 行", "").split(" / ")
        assert done == total and int(total.replace(",", "")) > 0
        page.screenshot(path=str(SCREENSHOTS / "workbook-job-finished.png"), full_page=True)
        name, data = download_newest(page)
        assert name.startswith("统计分析-") and name.endswith(".xlsx")
        book = load_workbook(io.BytesIO(data))
        assert book.sheetnames == titles and titles[0] == "按区县" and titles[-1] == "历年对比"
        assert book["按区县"]["A1"].value.endswith("按区县（全市）")
        assert book["按区县"]["A2"].value == "区县"
