"""spreadsheets.count_rows, which decides in the request whether an import runs as a background job: the rows of
the largest sheet, counted within the limits without building a cell, for .xlsx, .xls and .csv alike; refused
exactly where reading refuses the file as a whole."""

import io

import pytest
import xlsxwriter
import xlwt
from openpyxl import Workbook

from admin_app.services import spreadsheets
from admin_app.services.spreadsheets import SheetLimits, SpreadsheetRefused

LIMITS = SheetLimits(max_rows=50, header_rows=5)


def xlsx(*sheets: int) -> bytes:
    """A workbook with sheets of that many filled rows each."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out)
    for number, rows in enumerate(sheets):
        sheet = book.add_worksheet(f"表{number}")
        for r in range(rows):
            sheet.write_row(r, 0, [f"行{r}", r])
    book.close()
    return out.getvalue()


def test_an_xlsx_counts_the_rows_of_its_largest_sheet_title_and_header_included():
    assert spreadsheets.count_rows(xlsx(3, 12, 7), LIMITS) == 12


def test_formatted_blank_rows_count_as_rows_of_the_sheet():
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "身份证号码"])
    sheet.append(["张三", "500103197006151235"])
    for r in range(3, 21):
        sheet.row_dimensions[r].height = 30  # a row element with no value
    out = io.BytesIO()
    book.save(out)
    assert spreadsheets.count_rows(out.getvalue(), LIMITS) == 20


def test_an_xls_and_a_csv_count_their_rows():
    book = xlwt.Workbook()
    sheet = book.add_sheet("考生信息")
    for r in range(9):
        sheet.write(r, 0, f"行{r}")
    out = io.BytesIO()
    book.save(out)
    assert spreadsheets.count_rows(out.getvalue(), LIMITS) == 9
    assert spreadsheets.count_rows("姓名,电话\n张三,1\n李四,2\n".encode("gb18030"), LIMITS) == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (xlsx(56), "超过55行"),  # header_rows + max_rows
        (b"PK\x03\x04 not a zip", "无法读取该Excel文件"),
        (b"x" * (LIMITS.max_bytes + 1), "文件超过5MB"),
    ],
)
def test_a_file_reading_would_refuse_is_refused_in_chinese(data, message):
    with pytest.raises(SpreadsheetRefused, match=message):
        spreadsheets.count_rows(data, LIMITS)
