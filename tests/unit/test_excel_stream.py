"""The streamed workbook (excel.stream_workbook) holds what the file writer (excel.write_workbook) holds for
the same rows: cell values and types, formats, column widths, header, frozen pane, autofilter, page set-up;
and it is produced while the rows are read."""

import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from admin_app.services import excel
from admin_app.services.excel import Column

COLUMNS = [
    Column("姓名", lambda r: r[0]),
    Column("身份证号码", lambda r: r[1], "text", 22),
    Column("出生年月", lambda r: r[2], "month"),
    Column("提交时间", lambda r: r[3]),
    Column("成绩", lambda r: r[4]),
    Column("通过率", lambda r: r[5], "percent"),
    Column("批次", lambda r: r[6]),
    Column("是否免考", lambda r: r[7]),
    Column("考试日期", lambda r: r[8]),
    Column("备注", lambda r: r[9]),
]
# Text that a careless writer would turn into a formula, break the XML with, or trim.
AWKWARD_TEXT = [
    "=1+2",
    "+SUM(A1)",
    "-2+3",
    "@cmd",
    "A & B <c> \"d\" 'e'",
    "  前后空格  ",
    "\u3000全角空格",
    "控制\x01字符\x1f",
    "_x0041_ 像转义",
    "换行\n第二行",
    "x" * 40000,  # over Excel's 32,767 characters: cut, as xlsxwriter cuts it
    "😀" * 20000,  # characters above U+FFFF count twice
]


def make_rows(count: int) -> list[tuple]:
    rows = []
    for i in range(count):
        rows.append(
            (
                AWKWARD_TEXT[i % len(AWKWARD_TEXT)] if i % 5 == 0 else f"考生{i:06d}",
                f"5001011990{i % 10000:04d}123X",
                date(1960 + i % 40, i % 12 + 1, 1),
                datetime(2026, 3, 1, 0, i % 60, i % 60, i) if i % 3 else None,
                Decimal(f"{i % 100}.5") if i % 4 else i % 100,
                (i % 1000) / 1000,
                2021 + i % 4,
                i % 2 == 0 if i % 7 else None,
                date(1900, 1, 1 + i % 28) if i % 11 == 0 else date(2026, 6, 1 + i % 28),
                "" if i % 2 else f"第{i}行" * (i % 13),
            )
        )
    return rows


def written(rows, tmp_path):
    path = str(tmp_path / "written.xlsx")
    count = excel.write_workbook(path, "考试资格申请", COLUMNS, rows)
    assert count == len(rows)
    return load_workbook(path)


def streamed(rows):
    return load_workbook(io.BytesIO(b"".join(excel.stream_workbook("考试资格申请", COLUMNS, iter(rows)))))


def cell_facts(sheet):
    return [
        [
            (
                cell.value,
                cell.data_type,
                cell.number_format,
                cell.font.b,
                cell.fill.fgColor.rgb,
                cell.border.left.style,
            )
            for cell in row
        ]
        for row in sheet.iter_rows()
    ]


@pytest.mark.parametrize("count", [0, 1, 499, 2600])
def test_streamed_workbook_holds_the_written_workbooks_cells(count, tmp_path):
    rows = make_rows(count)
    old, new = written(rows, tmp_path).active, streamed(rows).active
    assert new.title == old.title == "考试资格申请"
    assert new.max_row == old.max_row == count + 1
    assert cell_facts(new) == cell_facts(old)
    assert [c.value for c in new[1]] == [column.header for column in COLUMNS]


def test_streamed_workbook_keeps_widths_pane_filter_and_page_setup(tmp_path):
    rows = make_rows(1200)
    old, new = written(rows, tmp_path).active, streamed(rows).active
    widths = {key: dim.width for key, dim in new.column_dimensions.items()}
    assert widths == {key: dim.width for key, dim in old.column_dimensions.items()}
    assert widths["B"] > 22  # the declared width, as xlsxwriter stores it
    assert new.freeze_panes == old.freeze_panes == "A2"
    assert new.auto_filter.ref == old.auto_filter.ref == "A1:J1201"
    assert new.page_setup.orientation == old.page_setup.orientation == "landscape"
    assert new.page_setup.paperSize == old.page_setup.paperSize
    assert (
        new.sheet_properties.pageSetUpPr.fitToPage
        and new.page_setup.fitToHeight == old.page_setup.fitToHeight
    )


def test_typed_cells_read_back_as_numbers_dates_and_text(tmp_path):
    rows = make_rows(30)
    sheet = streamed(rows).active
    data = list(sheet.iter_rows(min_row=2))
    assert data[0][0].value == "=1+2" and data[0][0].data_type == "s"
    assert data[1][0].value == "考生000001"
    assert data[1][2].value == datetime(1961, 2, 1) and data[1][2].number_format == "yyyy.mm"
    assert data[1][4].value == 1.5 and data[1][4].number_format == "0.##"
    assert data[4][4].value == 4 and data[4][4].data_type == "n"
    assert data[2][5].number_format == "0.0%"
    assert data[2][6].value == 2023 and data[2][6].data_type == "n"
    assert data[2][7].value == "是" and data[1][7].value == "否"
    assert data[11][8].value == datetime(1900, 1, 12)  # before Excel's 1900-02-29
    assert data[1][9].value is None  # "" leaves the cell empty


def test_read_only_reader_opens_the_streamed_sheet_without_its_dimension():
    rows = make_rows(600)
    book = load_workbook(io.BytesIO(b"".join(excel.stream_workbook("表", COLUMNS, rows))), read_only=True)
    assert sum(1 for _row in book.active.iter_rows(values_only=True)) == 601


def test_bytes_leave_before_the_rows_are_all_read(monkeypatch):
    """The fixed parts go out before any row is read (the query of a lazy iterable has not run yet); then
    a piece whenever STREAM_BYTES have been compressed — never the whole file at the end."""
    monkeypatch.setattr(excel, "STREAM_BYTES", 4096)
    total = 3 * excel.WIDTH_ROWS + 2 * excel.CHUNK
    read = []

    def reading():
        for row in make_rows(total):
            read.append(row)
            yield row

    pieces = excel.stream_workbook("表", COLUMNS, reading())
    first = next(pieces)
    assert first.startswith(b"PK") and not read
    read_at_piece = []
    rest = []
    for piece in pieces:
        read_at_piece.append(len(read))
        rest.append(piece)
    assert len(rest) > 3 and read_at_piece[0] < total  # pieces while reading, not one at the end
    book = load_workbook(io.BytesIO(first + b"".join(rest)), read_only=True)
    assert sum(1 for _row in book.active.iter_rows()) == total + 1
