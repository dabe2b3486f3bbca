"""「全部符合筛选条件」 in the browser, above a lowered BULK_JOB_ROWS: the confirmation page says the pinned rows
will be decided in the background; 确认 leads to the 下载中心; a real worker process (``flask worker --burst``)
decides them; 查看结果 shows the per-row result page, linking the decided row. Screenshots in
docs/screenshots/bulk-job-*.png."""

import sqlalchemy as sa

from tests.e2e.job_queue import own_queue, run_worker
from tests.e2e.test_menus import login
from tests.processes import ROOT

SCREENSHOTS = ROOT / "docs" / "screenshots"


def waiting_at_the_office(live_server) -> tuple[int, str]:
    """(id, name) of the newest application waiting at 市工考办's step, its person's name unique."""
    from admin_app.extensions import db
    from admin_app.workflow.states import pending
    from models import Application, Worker, enums

    with live_server.app.app_context():
        named = sa.select(Worker.name).group_by(Worker.name).having(sa.func.count() == 1)
        row = db.session.execute(
            sa.select(Application.id, Worker.name)
            .join(Worker, Worker.id == Application.worker_id)
            .where(
                Application.status == pending(enums.OFFICE), Worker.name.in_(named), Worker.name != "王技能"
            )
            .order_by(Application.id.desc())
            .limit(1)
        ).one()
    return row.id, row.name


def test_a_pinned_decision_runs_in_the_background_with_its_result_page(page, live_server):
    app = live_server.app
    application_id, name = waiting_at_the_office(live_server)
    with own_queue(app, "bulk", BULK_JOB_ROWS=0):  # every pinned set goes to the 下载中心 here
        login(page, live_server, "office")
        page.goto(f"{live_server}/review_queue/?search={name}")
        page.click("text=审核不通过（全部符合筛选条件）")
        page.wait_for_load_state("networkidle")
        assert "当前组合查询的全部 1 条" in page.content() and page.locator("#in-background").count() == 1
        page.fill("#opinion", "材料与原件不符")
        page.screenshot(path=str(SCREENSHOTS / "bulk-job-confirm.png"), full_page=True)
        page.click("text=确认审核不通过")
        page.wait_for_url("**/downloads/")
        assert (
            "已转为后台处理" in page.content() and "排队中" in page.locator("table.model-list").inner_text()
        )

        run_worker(app)

        page.wait_for_selector(".gk-job-result", timeout=20000)  # the page reloads itself when the job ends
        assert "已完成" in page.locator("table.model-list").inner_text()
        page.screenshot(path=str(SCREENSHOTS / "bulk-job-finished.png"), full_page=True)
        page.click(".gk-job-result")
        page.wait_for_load_state("networkidle")
        result = page.inner_text("#job-result")
        assert "审核不通过：处理结果" in result and "成功 1 条，未处理 0 条" in result
        page.screenshot(path=str(SCREENSHOTS / "bulk-job-result.png"), full_page=True)
        assert page.locator(f"#done a[href$='/review_queue/details/?id={application_id}']").count() == 1
        page.goto(f"{live_server}/applications/details/?id={application_id}")
        assert "审核未通过" in page.content() and "材料与原件不符" in page.content()
