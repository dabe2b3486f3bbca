"""导出查询结果: the current 组合查询, all rows, typed cells, text never a formula, scope and masking."""

import io
from datetime import datetime
from urllib.parse import quote

from flask.testing import FlaskClient
from openpyxl import load_workbook

from admin_app.extensions import db
from tests.conftest import login
from tests.factories import add_worker
from tests.integration.test_download_jobs import queue  # noqa: F401  (the fixture)


def sheet_of(response):
    assert response.status_code == 200, response.status_code
    return load_workbook(io.BytesIO(response.data)).active


def test_unit_export_holds_only_its_rows_with_masked_ids(client, world):
    login(client, "unit_a")
    sheet = sheet_of(client.post("/workers/export.xlsx"))
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["姓名", "性别", "身份证号码"]
    names = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert names == {"A工人", "A考生"}
    ids = [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert all("********" in i for i in ids)


def test_staff_export_has_full_ids_and_typed_cells(client, world):
    login(client, "office")
    sheet = sheet_of(client.post("/workers/export.xlsx"))
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
    sheet = sheet_of(client.post("/workers/export.xlsx"))
    cells = {row[0].value: row[0] for row in sheet.iter_rows(min_row=2)}
    for evil in ["=1+2", "+SUM(A1)", "-2+3", "@cmd"]:
        assert cells[evil].data_type == "s" and cells[evil].value == evil


def test_export_follows_filters_search_and_sort(client, world):
    login(client, "office")
    sheet = sheet_of(client.post("/workers/export.xlsx?search=B工人"))
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["B工人"]
    sheet = sheet_of(client.post("/applications/export.xlsx?search=B考"))
    name = [c.value for c in sheet[1]].index("姓名")
    assert {row[name] for row in sheet.iter_rows(min_row=2, values_only=True)} == {"B考生"}


def test_export_file_name_is_chinese_and_the_export_is_audited(client, world):
    from models import AuditLog

    login(client, "office")
    response = client.post("/registrations/export.xlsx")
    disposition = response.headers["Content-Disposition"]
    assert "attachment" in disposition and "filename*=UTF-8''" + quote("考试报名") in disposition
    assert db.session.query(AuditLog).filter(AuditLog.action == "export").count() == 1


def test_enum_columns_export_their_chinese_labels(client, world):
    login(client, "office")
    sheet = sheet_of(client.post("/applications/export.xlsx?search=B工人"))
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
    response = client.post("/applications/export.xlsx?all_batches=1")
    assert response.status_code == 200
    sheet = sheet_of(response)
    header = [c.value for c in sheet[1]]
    years = {row[header.index("批次")].value for row in sheet.iter_rows(min_row=2)}
    assert years and all(isinstance(y, int | float) and y > 2000 for y in years), years


def add_applicants(world, count: int) -> None:
    """``count`` approved applications of unit A (every staff role sees them), submitted a minute apart."""
    from datetime import timedelta

    from admin_app.services.clock import utcnow
    from admin_app.workflow.states import ApplicationState
    from tests.factories import add_application

    for seq in range(count):
        worker = add_worker(world.units["A"], f"导出{seq:03d}", 600 + seq, world.trade, world.batch)
        submitted = utcnow() - timedelta(minutes=seq)
        add_application(world, worker, status=ApplicationState.APPROVED, submitted_at=submitted)
    db.session.commit()


def tee_rows(monkeypatch):
    """Record the rows each export reads, as the workbook is written from them (and its columns)."""
    from admin_app.services import excel

    seen = {"rows": [], "columns": None}
    stream = excel.stream_workbook

    def recording(name, columns, rows):
        seen["columns"] = columns

        def reading():
            for row in rows:
                seen["rows"].append(row)
                yield row

        return stream(name, columns, reading())

    monkeypatch.setattr(excel, "stream_workbook", recording)
    return seen


def outside_the_test_context(work):
    """Run ``work()`` in another thread, where no application context is active: as under a WSGI server,
    the request's context (and its database session) is torn down when the view returns, before the body
    is read. (In the test's own thread the test's application context would keep it alive.)"""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(work).result()


def read_body(client, url: str) -> bytes:
    """POST to ``url`` (the export button's form) and read its body piece by piece, as a WSGI server sends it."""
    response = FlaskClient.open(client, url, method="POST", buffered=False)
    assert response.status_code == 200, response.status_code
    body = b"".join(response.response)
    response.close()
    return body


def test_the_export_leaves_before_its_query_is_read(client, world, monkeypatch):
    """The first bytes are sent before the query runs, the next ones while the server-side cursor still
    holds the rest: the rows read when each piece leaves are counted."""
    from admin_app.services import excel

    add_applicants(world, 60)
    monkeypatch.setattr(excel, "CHUNK", 5)  # rows per fetch and per written chunk
    monkeypatch.setattr(excel, "WIDTH_ROWS", 5)
    monkeypatch.setattr(excel, "STREAM_BYTES", 1)  # a piece after every chunk
    seen = tee_rows(monkeypatch)
    login(client, "office")

    def download():
        response = FlaskClient.open(client, "/applications/export.xlsx", method="POST", buffered=False)
        assert response.status_code == 200 and "Content-Length" not in response.headers
        pieces, read_at_piece = [], []
        for piece in response.response:
            pieces.append(piece)
            read_at_piece.append(len(seen["rows"]))
        response.close()
        return pieces, read_at_piece

    pieces, read_at_piece = outside_the_test_context(download)
    total = len(seen["rows"])
    assert total >= 60
    assert read_at_piece[0] == 0  # the download starts before the query runs
    assert 5 <= read_at_piece[1] < total  # then pieces while reading, chunk by chunk
    sheet = load_workbook(io.BytesIO(b"".join(pieces))).active
    assert sheet.max_row == total + 1


def test_the_streamed_export_holds_what_the_file_writer_holds(client, world, monkeypatch, tmp_path):
    """Same rows, same columns: the streamed list export and excel.write_workbook (the writer of the other
    downloads) give the same cells (values, types, formats), widths, frozen pane and autofilter."""
    from admin_app.services import excel

    add_applicants(world, 30)
    login(client, "office")
    for url in (
        "/applications/export.xlsx?all_batches=1",
        "/workers/export.xlsx",
        "/registrations/export.xlsx",
    ):
        seen = tee_rows(monkeypatch)
        new = load_workbook(
            io.BytesIO(outside_the_test_context(lambda url=url: read_body(client, url)))
        ).active
        path = str(tmp_path / "old.xlsx")
        excel.write_workbook(path, new.title, seen["columns"], seen["rows"])
        old = load_workbook(path).active
        assert new.max_row == old.max_row == len(seen["rows"]) + 1 > 4
        facts = [[(c.value, c.data_type, c.number_format) for c in row] for row in old.iter_rows()]
        assert [[(c.value, c.data_type, c.number_format) for c in row] for row in new.iter_rows()] == facts
        assert {k: d.width for k, d in new.column_dimensions.items()} == {
            k: d.width for k, d in old.column_dimensions.items()
        }
        assert (new.freeze_panes, new.auto_filter.ref) == (old.freeze_panes, old.auto_filter.ref)


def test_an_export_over_the_threshold_goes_to_the_download_center(app, client, world, monkeypatch, queue):  # noqa: F811
    from models import AuditLog

    login(client, "office")
    rows = sheet_of(client.post("/workers/export.xlsx")).max_row - 1
    assert db.session.query(AuditLog).filter(AuditLog.action == "export").count() == 1
    monkeypatch.setitem(app.config, "EXPORT_JOB_ROWS", rows)  # exactly at the threshold: streamed
    assert sheet_of(client.post("/workers/export.xlsx")).max_row == rows + 1
    monkeypatch.setitem(app.config, "EXPORT_JOB_ROWS", rows - 1)
    response = client.post("/workers/export.xlsx?sort=0")
    assert response.status_code == 302 and response.headers["Location"].endswith("/downloads/")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"查询结果超过{rows - 1:,}行，已转为后台导出任务" in page and "排队中" in page
    assert queue.count == 1
    # recorded when the job runs (tests/integration/test_download_jobs.py), not when it is queued
    assert db.session.query(AuditLog).filter(AuditLog.action == "export").count() == 2
