"""Excel output, written once for every list: xlsxwriter in ``constant_memory`` mode, rows streamed from
the database in chunks, typed cells (numbers, dates), Chinese headers, frozen header row, autofilter.

Text is always written with ``write_string``: a value beginning with = + - @ stays text, never a formula.
"""

import os
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import xlsxwriter

from admin_app import limits
from admin_app.services.clock import to_beijing

CHUNK = limits.CHUNK  # rows fetched at a time while writing


@dataclass(frozen=True)
class Column:
    header: str
    value: object  # callable(row) -> value
    kind: str = "auto"  # auto / text / number / percent / date / month / datetime
    width: int | None = None


def _width(text: str) -> int:
    """Column width in characters: a Chinese character is about two."""
    return max(8, min(40, len(text.encode("gbk", "replace")) + 2))


def _open(path: str) -> xlsxwriter.Workbook:
    return xlsxwriter.Workbook(
        path,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )


def write_workbook(path: str, sheet_name: str, columns: list[Column], rows, title: str | None = None) -> int:
    """Write ``rows`` (any iterable, consumed once) to ``path``; returns the number of data rows."""
    workbook = _open(path)
    count = _write_sheet(workbook, sheet_name, columns, rows, title)
    workbook.close()
    return count


def write_sheets(path: str, sheets) -> None:
    """A workbook of several sheets: ``sheets`` yields (sheet name, title, columns, rows)."""
    workbook = _open(path)
    used: set = set()
    for name, title, columns, rows in sheets:
        name = name[:31]
        while name in used:  # sheet names must differ
            name = name[:29] + f"{len(used):02d}"
        used.add(name)
        _write_sheet(workbook, name, columns, rows, title)
    workbook.close()


def _write_sheet(workbook, sheet_name: str, columns: list[Column], rows, title: str | None) -> int:
    sheet = workbook.add_worksheet(sheet_name[:31])
    header_format = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    formats = {
        "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
        "month": workbook.add_format(
            {"num_format": "yyyy.mm"}
        ),  # 出生年月, 参加工作时间 …: stored as the 1st
        "datetime": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
        "number": workbook.add_format({"num_format": "0.##"}),
        "percent": workbook.add_format({"num_format": "0.0%"}),
    }
    top = 0
    if title:
        sheet.write_string(0, 0, title, workbook.add_format({"bold": True, "font_size": 14}))
        top = 1
    for col, column in enumerate(columns):
        sheet.set_column(col, col, column.width or _width(column.header))
        sheet.write_string(top, col, column.header, header_format)
    count = 0
    widths = [column.width or _width(column.header) for column in columns]
    for count, row in enumerate(rows, start=1):
        r = top + count
        for col, column in enumerate(columns):
            value = column.value(row)
            _write(sheet, r, col, value, column.kind, formats)
            if count <= 500 and value is not None:  # size columns to the data seen first
                if isinstance(value, str):
                    widths[col] = max(widths[col], min(50, _width(value)))
                elif isinstance(value, datetime):
                    widths[col] = max(widths[col], 17)
                elif isinstance(value, date):
                    widths[col] = max(widths[col], 11)
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    sheet.freeze_panes(top + 1, 0)
    sheet.autofilter(top, 0, top + max(count, 1), len(columns) - 1)
    return count


def _write(sheet, r, c, value, kind, formats):
    if value is None or value == "":
        return
    if kind == "text" or isinstance(value, str):
        sheet.write_string(r, c, str(value))
    elif isinstance(value, bool):
        sheet.write_string(r, c, "是" if value else "否")
    elif isinstance(value, datetime):
        sheet.write_datetime(r, c, to_beijing(value), formats["datetime"])
    elif isinstance(value, date):
        shown = formats["month"] if kind == "month" else formats["date"]
        sheet.write_datetime(r, c, datetime(value.year, value.month, value.day), shown)
    elif kind == "percent":
        sheet.write_number(r, c, float(value), formats["percent"])
    elif isinstance(value, (int, float, Decimal)):
        sheet.write_number(r, c, float(value), formats["number"] if isinstance(value, Decimal) else None)
    else:
        sheet.write_string(r, c, str(value))


def temporary_path() -> str:
    handle, path = tempfile.mkstemp(prefix="gk-export-", suffix=".xlsx")
    os.close(handle)
    return path
