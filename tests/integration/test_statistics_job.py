"""统计分析「导出全部」 (one sheet per table, a multi-sheet workbook) is a 下载中心 job (issue 19 point 2), run here by
a real worker process: it holds what its owner's 统计分析 page shows (a 区县 bureau: its district only), sheet for
sheet the cells of the one-table export; its owner is told by 站内消息 and alone downloads it (404 for anyone else);
an unknown batch is 404 and Redis down a Chinese refusal, with nothing queued."""

import pytest
import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.services import statistics
from models import Job, Notification
from tests.conftest import login, text_of
from tests.integration import test_statistics
from tests.integration.test_download_jobs import queue  # noqa: F401  (the fixture)
from tests.integration.test_summary_job import downloaded, queued_job
from tests.processes import run_burst_worker

data = test_statistics.data  # the fixture: the world with rows at every stage, of two years
SHEETS = [
    "按区县",
    "按组织类别",
    "按工种",
    "按申报等级",
    "按状态",
    "各环节通过率",
    "违纪",
    "查分",
    "历年对比",
]


def values(sheet) -> list[list]:
    return [[c.value for c in row] for row in sheet.iter_rows()]


@pytest.mark.usefixtures("queue")
def test_every_table_is_the_owners_job_with_the_numbers_of_their_scope(app, client, data):
    url = f"/statistics/export/?batch={data.batch.id}&table=all"
    login(client, "yuzhong_hr")
    district = queued_job(client, url)
    page = text_of(client.get("/downloads/"))
    assert "统计分析全部表格的导出已转为后台任务" in page and "排队中" in page
    assert (district.kind, district.title) == (
        "statistics_xlsx",
        "统计分析全部表格（2021年度，渝中区（本辖区））",
    )
    login(client, "office")
    city = queued_job(client, url)

    worker = run_burst_worker(app, 90)
    assert worker.returncode == 0, worker.stderr[-2000:]

    login(client, "yuzhong_hr")
    book, download = downloaded(client, district.id)
    assert "2021" in download.headers["Content-Disposition"]
    assert book.sheetnames == SHEETS
    sheet = book["按区县"]
    assert sheet["A1"].value == "2021年度按区县（渝中区（本辖区））"
    assert [c.value for c in sheet[2]] == ["区县", *statistics.BUCKET_HEADERS]
    assert [c.value for c in sheet[3]] == ["渝中区", 5, 0, 5, 0, 1]
    assert [row[0] for row in values(sheet)[2:]] == ["渝中区", "合计"]  # its district only
    assert sheet["F3"].number_format == "0.0%"
    stages = book["各环节通过率"]
    assert [c.value for c in stages[5]][:4] == ["考试（理论、实作）", 3, 1, 2]
    assert stages["E5"].value == pytest.approx(1 / 3)
    job = db.session.get(Job, district.id)
    rows = sum(len(values(book[name])) - 2 for name in SHEETS)  # each sheet: a title, a header, its rows
    assert (job.rows_done, job.rows_total) == (rows, rows)
    # Sheet for sheet, the cells the one-table export (made in the request) gives the same user
    for key in ("by_jurisdiction", "by_status", "pass_rates", "rechecks", "year_on_year"):
        direct = test_statistics._sheets(
            client.post(f"/statistics/export/?batch={data.batch.id}&table={key}").data
        )
        ((name, one),) = direct.items()
        assert values(book[name]) == values(one), key
    message = db.session.scalars(
        sa.select(Notification).where(Notification.kind == "download_ready", Notification.object_id == job.id)
    ).one()
    assert message.title == "统计分析表格已生成" and message.organisation_id == job.owner.organisation_id
    assert client.get(f"/downloads/download/?id={city.id}").status_code == 404  # the office's job

    login(client, "office")
    city_book, _download = downloaded(client, city.id)
    assert [row[0] for row in values(city_book["按区县"])[2:]] == [
        "渝中区",
        "沙坪坝区",
        "渝北区（已撤销）",
        "合计",
    ]
    assert city_book["按区县"]["A1"].value == "2021年度按区县（全市）"
    for other in ("office", "shapingba_hr", "city_hr"):
        login(client, other)
        assert client.get(f"/downloads/download/?id={district.id}").status_code == 404, other


@pytest.mark.usefixtures("queue")
def test_an_unknown_batch_is_not_found_and_nothing_is_queued(client, data):
    login(client, "office")
    assert client.post("/statistics/export/?batch=99999&table=all").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0


def test_with_redis_down_every_table_is_refused_in_chinese(app, client, data, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.delitem(app.extensions, "gk_jobs_redis", raising=False)
    login(client, "yuzhong_hr")
    response = client.post(f"/statistics/export/?batch={data.batch.id}&table=all")
    assert (
        response.status_code == 302 and f"/statistics/?batch={data.batch.id}" in response.headers["Location"]
    )
    page = text_of(client.get(response.headers["Location"]))
    assert "后台任务服务暂时不可用，全部表格暂时无法导出" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0
    monkeypatch.delitem(app.extensions, "gk_jobs_redis", raising=False)


@pytest.mark.usefixtures("queue")
def test_the_jobs_progress_moves_sheet_by_sheet(app, client, data, tmp_path):
    """``report(done, total)``: the total first, then the rows written after each sheet, up to the total."""
    from views.statistics import _produce

    login(client, "office")
    job = queued_job(client, f"/statistics/export/?batch={data.batch.id}&table=all")
    reported = []
    outcome = _produce(
        app, db.session.get(Job, job.id), str(tmp_path / "all.xlsx"), lambda *p: reported.append(p)
    )
    total = outcome.rows
    assert reported[0] == (0, total) and reported[-1] == (total, total)
    done = [d for d, t in reported]
    assert len(reported) == len(SHEETS) + 1 and done == sorted(done) and len(set(done)) > 3, reported
