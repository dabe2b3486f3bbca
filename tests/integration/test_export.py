"""导出查询结果: the current 组合查询, all rows, typed cells, text never a formula, scope and masking."""

import io
from datetime import datetime
from urllib.parse import quote

from openpyxl import load_workbook

from admin_app.extensions import db
from tests.conftest import login
from tests.factories import add_worker


def sheet_of(response):
    assert response.status_code == 200, response.status_code
    return load_workbook(io.BytesIO(response.data)).active


def test_unit_export_holds_only_its_rows_with_masked_ids(client, world):
    login(client, "unit_a")
    sheet = sheet_of(client.get("/workers/export.xlsx"))
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["姓名", "性别", "身份证号码"]
    names = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert names == {"A工人", "A考生"}
    ids = [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert all("********" in i for i in ids)


def test_staff_export_has_full_ids_and_typed_cells(client, world):
    login(client, "office")
    sheet = sheet_of(client.get("/workers/export.xlsx"))
    header = [c.value for c in sheet[1]]
    rows = list(sheet.iter_rows(min_row=2))
    id_col, date_col = header.index("身份证号码"), header.index("参加工作时间")
    worker = world.workers["B"]
    cell = next(r[id_col] for r in rows if r[0].value == "B工人")
    assert cell.value == worker.id_number and cell.data_type == "s"
    start = next(r[date_col] for r in rows if r[0].value == "B工人")
    assert isinstance(start.value, datetime) and start.value.date() == worker.work_start_date
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref


def test_text_starting_with_formula_characters_stays_text(client, world):
    for i, evil in enumerate(["=1+2", "+SUM(A1)", "-2+3", "@cmd"]):
        add_worker(world.units["A"], evil, 500 + i, world.trade, world.batch)
    db.session.commit()
    login(client, "unit_a")
    sheet = sheet_of(client.get("/workers/export.xlsx"))
    cells = {row[0].value: row[0] for row in sheet.iter_rows(min_row=2)}
    for evil in ["=1+2", "+SUM(A1)", "-2+3", "@cmd"]:
        assert cells[evil].data_type == "s" and cells[evil].value == evil


def test_export_follows_filters_search_and_sort(client, world):
    login(client, "office")
    sheet = sheet_of(client.get("/workers/export.xlsx?search=B工人"))
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["B工人"]
    sheet = sheet_of(client.get("/applications/export.xlsx?search=B考"))
    name = [c.value for c in sheet[1]].index("姓名")
    assert {row[name] for row in sheet.iter_rows(min_row=2, values_only=True)} == {"B考生"}


def test_export_file_name_is_chinese_and_the_export_is_audited(client, world):
    from models import AuditLog

    login(client, "office")
    response = client.get("/registrations/export.xlsx")
    disposition = response.headers["Content-Disposition"]
    assert "attachment" in disposition and "filename*=UTF-8''" + quote("考试报名") in disposition
    assert db.session.query(AuditLog).filter(AuditLog.action == "export").count() == 1


def test_enum_columns_export_their_chinese_labels(client, world):
    login(client, "office")
    sheet = sheet_of(client.get("/applications/export.xlsx?search=B工人"))
    header = [c.value for c in sheet[1]]
    row = next(sheet.iter_rows(min_row=2, values_only=True))
    assert row[header.index("申报状态")] == "待区县人力社保局审核"
    assert row[header.index("申报等级")] == "三级（高级工）"


def test_the_application_list_streams_its_export_from_one_statement(client, world, app, monkeypatch):
    """The 批次 column (shown 2021年度) exports as the year itself, so the list's export stays on the one
    streamed SELECT (export_plan) and never loads each row's objects (export_columns, the ORM path)."""
    from views.application_area import ApplicationView

    view = next(v for v in app.extensions["admin"][0]._views if type(v) is ApplicationView)

    def orm_path():
        raise AssertionError("the export loaded row objects")

    monkeypatch.setattr(view, "export_columns", orm_path)
    login(client, "office")
    response = client.get("/applications/export.xlsx?all_batches=1")
    assert response.status_code == 200
    sheet = sheet_of(response)
    header = [c.value for c in sheet[1]]
    years = {row[header.index("批次")].value for row in sheet.iter_rows(min_row=2)}
    assert years and all(isinstance(y, int | float) and y > 2000 for y in years), years
