"""Excel output, written once for every list: typed cells (numbers, dates), Chinese headers, frozen header
row, autofilter, column widths sized to the data.

Two writers give the same workbook:

- ``write_workbook`` / ``write_sheets``: xlsxwriter in ``constant_memory`` mode into a file (the 附表 and
  other generated downloads, several sheets, titles).
- ``stream_workbook``: the bytes of a one-sheet .xlsx produced while the rows are read, for the lists'
  导出查询结果. xlsxwriter emits nothing before ``close()``, so the workbook's fixed parts (styles, theme,
  workbook, content types …) are taken from what xlsxwriter writes for the same columns and formats, and
  the sheet's rows are written into a ZIP that Python's ``zipfile`` streams (an unseekable output gets data
  descriptors; no extra dependency).

Text is always written as a string: a value beginning with = + - @ stays text, never a formula.
"""

import io
import os
import re
import tempfile
import time
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from itertools import islice

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name, xl_range, xl_range_abs

from admin_app import limits
from admin_app.services.clock import to_beijing

CHUNK = limits.CHUNK  # rows fetched at a time while writing
WIDTH_ROWS = 500  # columns are sized to the data of the first rows
STREAM_BYTES = 64 * 1024  # compressed bytes gathered before a streamed piece is handed on
STRING_MAX = 32767  # Excel's longest cell text (UTF-16 units); longer text is cut, as xlsxwriter does
_EPOCH = datetime(1899, 12, 31)  # Excel's day 0 (its serial day numbers count from here)
_SHEET_PART = "xl/worksheets/sheet1.xml"
_WORKBOOK_PART = "xl/workbook.xml"


@dataclass(frozen=True)
class Column:
    header: str
    value: object  # callable(row) -> value
    kind: str = "auto"  # auto / text / number / percent / date / month / datetime
    width: int | None = None


def _width(text: str) -> int:
    """Column width in characters: a Chinese character is about two."""
    return max(8, min(40, len(text.encode("gbk", "replace")) + 2))


def _open(target, **options) -> xlsxwriter.Workbook:
    return xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            **options,
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


# --- one sheet's layout, shared by both writers -----------------------------------------------------------
def _begin_sheet(workbook, sheet_name: str, columns: list[Column], title: str | None):
    """The sheet, its cell formats by kind, and the header row's index (after the title, if any)."""
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
        sheet.write_string(top, col, column.header, header_format)
    return sheet, formats, top


def _finish_sheet(sheet, columns: list[Column], widths: list[int], top: int, count: int) -> None:
    """Column widths, page set-up (A4 landscape, one page wide), frozen header, autofilter over the rows."""
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    sheet.freeze_panes(top + 1, 0)
    sheet.autofilter(top, 0, top + max(count, 1), len(columns) - 1)


def _values(columns: list[Column], row) -> list:
    return [column.value(row) for column in columns]


def _grow_widths(widths: list[int], values: list) -> None:
    """Widen the columns to fit ``values`` (one row of the first ``WIDTH_ROWS``)."""
    for col, value in enumerate(values):
        if value is None:
            continue
        if isinstance(value, str):
            widths[col] = max(widths[col], min(50, _width(value)))
        elif isinstance(value, datetime):
            widths[col] = max(widths[col], 17)
        elif isinstance(value, date):
            widths[col] = max(widths[col], 11)


def _header_widths(columns: list[Column]) -> list[int]:
    return [column.width or _width(column.header) for column in columns]


def typed_cell(value, kind: str):
    """What a cell holds: None (left empty), a ``str`` (text), or (number, format kind or None) — dates and
    times as Excel serial numbers (times in the business zone), shown through the format of that kind."""
    if value is None or value == "":
        return None
    if kind == "text" or isinstance(value, str):
        return str(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return _serial(to_beijing(value)), "datetime"
    if isinstance(value, date):
        return _serial(datetime(value.year, value.month, value.day)), ("month" if kind == "month" else "date")
    if kind == "percent":
        return float(value), "percent"
    if isinstance(value, (int, float, Decimal)):
        return float(value), ("number" if isinstance(value, Decimal) else None)
    return str(value)


def _serial(moment: datetime) -> float:
    """Excel's serial day number of ``moment``, computed as xlsxwriter's ``write_datetime`` does."""
    delta = moment - _EPOCH
    days = delta.days + (float(delta.seconds) + float(delta.microseconds) / 1e6) / 86400
    return days + 1 if days > 59 else days  # Excel's 1900 leap-year bug: it counts a 29 February


def _write_sheet(workbook, sheet_name: str, columns: list[Column], rows, title: str | None) -> int:
    sheet, formats, top = _begin_sheet(workbook, sheet_name, columns, title)
    widths = _header_widths(columns)
    count = 0
    for count, row in enumerate(rows, start=1):
        values = _values(columns, row)
        for col, value in enumerate(values):
            cell = typed_cell(value, columns[col].kind)
            if cell is None:
                continue
            if isinstance(cell, str):
                sheet.write_string(top + count, col, cell)
            else:
                number, shown = cell
                sheet.write_number(top + count, col, number, formats.get(shown))
        if count <= WIDTH_ROWS:
            _grow_widths(widths, values)
    _finish_sheet(sheet, columns, widths, top, count)
    return count


# --- the streamed workbook --------------------------------------------------------------------------------
def stream_workbook(sheet_name: str, columns: list[Column], rows):
    """Yield the bytes of a one-sheet .xlsx of ``rows`` (any iterable, consumed once) while reading them:
    the same cells, formats, column widths, header, frozen pane, page set-up and autofilter as
    ``write_workbook``. The first piece (the parts that do not depend on the rows: styles, theme …) is
    yielded before ``rows`` is first read, so a lazy query runs after the download has started; the sheet
    follows the first ``WIDTH_ROWS`` rows (they size the columns). Memory is bounded by ``WIDTH_ROWS`` rows,
    a ``CHUNK`` of rows and ``STREAM_BYTES``, whatever the number of rows. The sheet has no ``<dimension>``
    (optional; not known before the end) and must stay under 4 GiB (no ZIP64): ``limits.EXPORT_ROWS``
    rows are far below that."""
    header_widths = _header_widths(columns)
    template = _Template(sheet_name, columns, header_widths)
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in template.fixed_parts:  # the same for any widths
            archive.writestr(name, data)
        yield sink.take()
        rows = iter(rows)
        first = [_values(columns, row) for row in islice(rows, WIDTH_ROWS)]
        widths = list(header_widths)
        for values in first:
            _grow_widths(widths, values)
        if widths != header_widths:
            template = _Template(sheet_name, columns, widths)
        count = 0
        sheet_info = zipfile.ZipInfo(_SHEET_PART, time.localtime()[:6])
        sheet_info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(sheet_info, "w") as part:
            part.write(template.sheet_head)
            cells = _CellWriter(columns, template.styles)
            for batch in _batches(first, rows, columns):
                part.write(cells.rows_xml(batch, template.top + count + 2).encode())
                count += len(batch)
                if sink.size >= STREAM_BYTES:
                    yield sink.take()
            part.write(template.sheet_tail(count))
        archive.writestr(_WORKBOOK_PART, template.workbook(count))
    yield sink.take()


def _batches(first: list, rows, columns: list[Column]):
    """The rows' values in lists of ``CHUNK``: the first rows already read, then the rest as read."""
    if first:
        yield first
    while batch := [_values(columns, row) for row in islice(rows, CHUNK)]:
        yield batch


class _Sink:
    """An unseekable output for ``zipfile``: it keeps what was written until ``take``."""

    def __init__(self):
        self._pieces: list[bytes] = []
        self.size = 0

    def write(self, data) -> int:
        self._pieces.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._pieces)
        self._pieces, self.size = [], 0
        return data


class _Template:
    """The parts of a workbook xlsxwriter writes for these columns, formats and widths, with one probe row
    (a cell in each format) that tells each format's style index. The streamed workbook copies the fixed
    parts and wraps its rows in the sheet's head and tail; the row count goes into the autofilter range."""

    def __init__(self, sheet_name: str, columns: list[Column], widths: list[int]):
        buffer = io.BytesIO()
        workbook = _open(buffer, in_memory=True)
        sheet, formats, self.top = _begin_sheet(workbook, sheet_name, columns, None)
        probe = self.top + 1
        for col, shown in enumerate(formats):
            sheet.write_number(probe, col, 0, formats[shown])
        self._last_col = len(columns) - 1
        _finish_sheet(sheet, columns, widths, self.top, 1)
        workbook.close()
        with zipfile.ZipFile(buffer) as archive:
            parts = {info.filename: archive.read(info) for info in archive.infolist()}
        sheet_xml = parts.pop(_SHEET_PART).decode()
        self._workbook_xml = parts.pop(_WORKBOOK_PART).decode()
        self.fixed_parts = list(parts.items())
        rows_start = sheet_xml.index(f'<row r="{probe + 1}"')
        rows_end = sheet_xml.index("</sheetData>")
        probe_styles = re.findall(r'<c r="[A-Z]+\d+" s="(\d+)"', sheet_xml[rows_start:rows_end])
        self.styles = {None: ""} | {
            shown: f' s="{s}"' for shown, s in zip(formats, probe_styles, strict=True)
        }
        head = re.sub(r"<dimension [^>]*/>", "", sheet_xml[:rows_start], count=1)
        self.sheet_head = re.sub(r' spans="[0-9:]+"', "", head).encode()  # the probe row widened them
        self._sheet_tail = sheet_xml[rows_end:]
        self._template_range = (self.top, 0, self.top + 1, self._last_col)

    @staticmethod
    def _replace(text: str, old: str, new: str) -> str:
        if text.count(old) != 1:  # the template's own range is written once, or xlsxwriter changed
            raise RuntimeError(f"Excel template: {old!r} not found once")
        return text.replace(old, new)

    def sheet_tail(self, count: int) -> bytes:
        final = (self.top, 0, self.top + max(count, 1), self._last_col)
        return self._replace(
            self._sheet_tail, f'ref="{xl_range(*self._template_range)}"', f'ref="{xl_range(*final)}"'
        ).encode()

    def workbook(self, count: int) -> bytes:
        final = (self.top, 0, self.top + max(count, 1), self._last_col)
        return self._replace(
            self._workbook_xml, xl_range_abs(*self._template_range), xl_range_abs(*final)
        ).encode()


_XML_SPECIAL = re.compile("[&<>]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")
_ESCAPE_LIKE = re.compile("(_x[0-9a-fA-F]{4}_)")
_EDGE_SPACE = re.compile(r"^\s|\s$")


def _text_xml(text: str) -> str:
    """A cell's text as the ``<t>`` element xlsxwriter writes for it (cut to Excel's maximum, control
    characters as _xHHHH_, XML special characters escaped, edge whitespace preserved)."""
    if len(text) > STRING_MAX // 2 and len(text.encode("utf-16-le", "surrogatepass")) // 2 > STRING_MAX:
        text = text.encode("utf-16-le", "surrogatepass")[: STRING_MAX * 2].decode("utf-16-le", "ignore")
    if "_x" in text:
        text = _ESCAPE_LIKE.sub(r"_x005F\1", text)
    if _CONTROL.search(text):
        text = _CONTROL.sub(lambda match: f"_x{ord(match.group()):04X}_", text)
    if _XML_SPECIAL.search(text):
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if _EDGE_SPACE.search(text):
        return f'<t xml:space="preserve">{text}</t>'
    return f"<t>{text}</t>"


class _CellWriter:
    """The sheet XML of rows of values, cell by cell as ``typed_cell`` decides."""

    def __init__(self, columns: list[Column], styles: dict):
        self._letters = [xl_col_to_name(col) for col in range(len(columns))]
        self._kinds = [column.kind for column in columns]
        self._styles = styles

    def rows_xml(self, batch: list, first_row: int) -> str:
        """``batch`` (lists of values) as ``<row>`` elements numbered from ``first_row`` (1-based)."""
        out = []
        styles = self._styles
        for number, values in enumerate(batch, start=first_row):
            cells = []
            for letter, value, kind in zip(self._letters, values, self._kinds, strict=True):
                cell = typed_cell(value, kind)
                if cell is None:
                    continue
                if isinstance(cell, str):
                    cells.append(f'<c r="{letter}{number}" t="inlineStr"><is>{_text_xml(cell)}</is></c>')
                else:
                    cells.append(f'<c r="{letter}{number}"{styles[cell[1]]}><v>{cell[0]:.16G}</v></c>')
            if cells:
                out.append(f'<row r="{number}">{"".join(cells)}</row>')
        return "".join(out)


def temporary_path() -> str:
    handle, path = tempfile.mkstemp(prefix="gk-export-", suffix=".xlsx")
    os.close(handle)
    return path
