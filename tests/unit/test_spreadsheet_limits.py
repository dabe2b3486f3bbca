"""services/spreadsheets: what a file claims never decides the work — rows stop at the limit while streaming,
far columns are never built, counts are exact across chunk boundaries, and each kind of file is bounded."""

import io
import struct
import zipfile
from contextlib import closing

import pytest

from admin_app.services import spreadsheets
from admin_app.services.spreadsheets import SheetLimits, SpreadsheetRefused
from tests import hostile_spreadsheets as hostile

SMALL = SheetLimits(max_rows=50, max_columns=20, header_rows=5)


def read_all(data: bytes, limits: SheetLimits = SMALL) -> list[list[tuple]]:
    with closing(spreadsheets.sheets(data, limits)) as book:
        return [list(sheet.rows) for sheet in book]


def test_a_lying_dimension_is_stopped_at_the_limit_while_streaming():
    # Two real rows under <dimension ref="A1:N2">, the second at row 1,048,576: the zip scan sees 2 rows and
    # the declared dimension is small, so only the streaming count can stop it — at row limit + 1.
    data = hostile.lying_far_row(row=1_048_576, column="B")
    seen = []
    with closing(spreadsheets.sheets(data, SMALL)) as book:
        sheet = next(book)
        assert sheet.declared_rows == 2
        with pytest.raises(SpreadsheetRefused, match="一次最多导入50行"):
            for number, _values in sheet.rows:
                seen.append(number)
    assert seen[-1] == SMALL.max_sheet_rows == 55


def test_cells_beyond_the_column_limit_are_never_built():
    data = hostile.xlsx_with_sheet(
        [
            hostile.header_row_xml(),
            b'<row r="2"><c r="A2"><v>1</v></c><c r="XFD2" t="inlineStr"><is><t>far</t></is></c></row>',
        ],
        dimension="A1:XFD2",
    )
    (rows,) = read_all(data)
    assert [len(values) for _n, values in rows] == [SMALL.max_columns] * 2
    assert rows[1][1][0] == 1 and "far" not in rows[1][1]


def test_too_many_rows_in_the_sheet_xml_are_refused_before_openpyxl_opens_it():
    data = hostile.many_rows(200, dimension="A1:N2")
    with pytest.raises(SpreadsheetRefused, match="超过55行"):
        read_all(data)


def test_start_tags_are_counted_exactly_once_across_chunk_boundaries():
    xml = b'<row r="1"><c r="A1"/><c>' * 7 + b"<x:row r='9'></x:row><rowBreaks/>"
    for split in range(len(xml)):
        counter = spreadsheets._TagCounter(spreadsheets.ROW_TAGS)
        for start in range(0, len(xml), max(1, split)):
            counter.feed(xml[start : start + max(1, split)])
        assert counter.count == 8, split


def test_a_zip_with_too_many_members_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for n in range(SMALL.max_zip_members + 1):
            archive.writestr(f"x/{n}.xml", b"<a/>")
    with pytest.raises(SpreadsheetRefused, match="部件"):
        read_all(out.getvalue())


def test_too_many_shared_strings_are_refused():
    strings = "".join(f"<si><t>{n}</t></si>" for n in range(SMALL.max_shared_strings + 1))
    sst = f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{strings}</sst>'
    data = hostile.xlsx_with_sheet([hostile.header_row_xml()], replace={"xl/sharedStrings.xml": sst.encode()})
    with pytest.raises(SpreadsheetRefused, match="不同文字"):
        read_all(data)


def test_a_csv_with_too_many_records_is_refused_before_any_row_is_built():
    with pytest.raises(SpreadsheetRefused, match="文件超过55行"):
        next(spreadsheets.sheets(hostile.csv_rows(100), SMALL))


def test_a_csv_field_spanning_many_lines_is_bounded():
    data = ('姓名,备注\n张三,"' + "很长的备注\n" * 30_000 + '"\n').encode()
    with pytest.raises(SpreadsheetRefused, match="无法识别文件内容"):
        read_all(data)


def test_an_xls_with_lying_dimensions_is_refused_by_its_cells():
    data = bytearray(hostile.far_cell_xls(row=65_535, col=3))
    # DIMENSIONS (0x0200, 14 bytes): first row, last row + 1 (u32) … — make it claim two rows.
    position = data.find(struct.pack("<HH", 0x0200, 14))
    struct.pack_into("<I", data, position + 8, 2)
    with pytest.raises(SpreadsheetRefused, match="一次最多导入50行"):
        read_all(bytes(data))


def test_a_far_xls_cell_does_not_widen_the_rows():
    (rows,) = read_all(hostile.far_cell_xls(row=3, col=255))
    assert max(len(values) for _n, values in rows) <= SMALL.max_columns


def test_limits_come_from_configuration():
    limits = SheetLimits.from_config({"IMPORT_MAX_MB": 2, "IMPORT_MAX_ROWS": 100, "IMPORT_MAX_COLUMNS": 16})
    assert (limits.max_bytes, limits.max_rows, limits.max_columns) == (2 * 1024 * 1024, 100, 16)
    with pytest.raises(SpreadsheetRefused, match="超过2MB"):
        spreadsheets.sheets(b"x" * (2 * 1024 * 1024 + 1), limits)


@pytest.mark.parametrize("dimension", ["A1:T60000", "60000:60000", "A60000"])
def test_any_declared_dimension_beyond_the_limit_is_refused_before_reading(dimension):
    # "60000:60000" names rows only: openpyxl knows no column, and the message must still be built.
    data = hostile.xlsx_with_sheet([hostile.header_row_xml()], dimension=dimension)
    with pytest.raises(SpreadsheetRefused, match="数据区域到第60000行"):
        read_all(data, SheetLimits())
