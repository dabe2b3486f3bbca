"""附表3 汇总表 (a 下载中心 job) and 附件4 备案表, checked cell by cell against data set up here."""

import io

import pytest
from openpyxl import load_workbook

from admin_app import workflow
from admin_app.extensions import db
from admin_app.workflow.states import pending
from models import PostSetting, Trade, enums
from tests.conftest import login
from tests.factories import add_application, add_worker
from tests.integration.test_applications import fresh, open_posts
from tests.integration.test_download_jobs import queue  # noqa: F401  (the fixture)
from tests.integration.test_summary_job import job_workbook


@pytest.mark.usefixtures("queue")
def test_summary_has_a_sheet_per_trade_with_the_notice_header(client, world):
    unit, app = fresh(world, "汇总", enums.CAT_DISTRICT)
    unit.supervisor = world.units["P"]
    app.certificate_class = True
    app.retire_two_in_one = True
    app.status = pending(enums.DISTRICT_HR)  # 附表3 lists submitted applications only
    cook = Trade.query.filter_by(name="中式烹调师").one()
    other = add_worker(unit, "厨师甲", 400, cook, world.batch)
    other.current_trade = other.certificate_trade = cook
    db.session.flush()
    add_application(world, other, applied_trade=cook, status=pending(enums.DISTRICT_HR))
    db.session.commit()
    login(client, unit.users[0].username)
    book, _response = job_workbook(client, "/applications/summary.xlsx")
    assert set(book.sheetnames) == {"电工", "中式烹调师"}
    sheet = book["电工"]
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {"A1:L1", "A2:L2", "G4:I4", "A4:A5", "J4:J5", "K4:K5", "L4:L5"} <= merged
    assert sheet["A1"].value == "重庆市机关事业单位工勤人员技术等级晋升申报汇总表"
    assert sheet["A2"].value == "2021年度（电工工种）"
    assert (
        sheet["A3"].value.startswith("主管部门（章）：丙单位")
        and sheet["E3"].value == "填报单位（章）：汇总单位"
    )
    assert [sheet.cell(5, c).value for c in (7, 8, 9)] == ["名称", "等级", "获得时间"]
    row = [c.value for c in sheet[6]]
    assert row[:3] == ["1", "汇总申报人", "男"]
    assert row[6:12] == ["电工", "中级工", "2012.05", "高级工", "无异议", "证书班、退二进一"]
    assert book["中式烹调师"]["B6"].value == "厨师甲"


@pytest.mark.usefixtures("queue")
def test_summary_follows_the_filter_and_scope(client, world):
    login(client, "unit_a")
    book, _response = job_workbook(client, "/applications/summary.xlsx?search=A考生")
    names = [c.value for sheet in book for c in sheet["B"][5:] if c.value and "备注" not in str(c.value)]
    assert names == ["A考生"]


def test_filing_figures_match_post_settings_and_applications(client, world):
    unit, app = fresh(world, "备案", enums.CAT_DISTRICT)
    open_posts(world, unit, approved=5, current=2)
    grade3 = PostSetting.query.filter_by(unit_id=unit.id, grade=3).one()
    grade3.special_posts = 1
    exempt_worker = add_worker(unit, "三优", 410, world.trade, world.batch)
    for a in exempt_worker.assessments[:3]:
        a.result = "excellent"
    db.session.flush()
    second = add_application(world, exempt_worker, retire_two_in_one=True)
    draft_worker = add_worker(unit, "草稿", 411, world.trade, world.batch)
    db.session.flush()
    add_application(world, draft_worker)  # a draft does not count
    db.session.commit()
    result = workflow.submit(unit.users[0], [app.id, second.id])
    assert len(result.done) == 2, result.refused
    login(client, unit.users[0].username)
    response = client.get(f"/posts/filing.xlsx?id={grade3.id}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data))["备案表"]
    assert sheet["A1"].value == "重庆市机关事业单位工勤岗位使用情况备案表"
    assert [sheet.cell(3, c).value for c in range(3, 8)] == [
        "一级（高级技师）",
        "二级（技师）",
        "三级（高级工）",
        "四级（中级工）",
        "五级（初级工）",
    ]
    by_label = {
        sheet.cell(r, 2).value or sheet.cell(r, 1).value: [sheet.cell(r, c).value for c in range(3, 8)]
        for r in range(4, 11)
    }
    assert by_label["核准岗位数"] == [5, 5, 5, 5, 5]
    assert by_label["现聘人数"] == [2, 2, 2, 2, 2]
    assert by_label["特设岗位聘用人数"] == [0, 0, 1, 0, 0]
    assert by_label["空缺岗位"] == [3, 3, 3, 3, 3]
    assert by_label["当年岗位申报数量"] == [0, 0, 2, 0, 0]
    assert by_label["其中：符合“退二进一”申报条件的"] == [0, 0, 1, 0, 0]
    assert by_label["　　　符合不受岗位限额申报条件的"] == [0, 0, 1, 0, 0]
    assert "A3:A7" in {str(r) for r in sheet.merged_cells.ranges}  # 岗位情况 spans header and post rows


def test_filing_of_another_unit_is_not_reachable(client, world):
    login(client, "unit_a")
    assert client.get(f"/posts/filing.xlsx?id={world.posts['B'].id}").status_code == 404
