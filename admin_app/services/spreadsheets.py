"""Reading untrusted spreadsheets (.xlsx, .xls, .csv) row by row, with time and memory bounded by ``SheetLimits``
— never by what the file claims about itself.

Guaranteed for any bytes:
- A file is refused with a Chinese ``SpreadsheetRefused`` before any row is built when it is larger than
  ``max_bytes``; for .xlsx when the zip holds too many members, more than ``max_unzipped_bytes`` once
  decompressed (counted while decompressing, not taken from the zip's headers), a sheet with more rows or cells
  than the limits allow, or more shared strings or style elements than the limits allow; for .xls when a sheet has
  a cell below ``max_sheet_rows`` or more cells than allowed (the BIFF records are scanned before xlrd loads it).
- Rows come one at a time as ``(number, values)``; ``values`` holds at most ``max_columns`` cells: cells further
  right are never materialised. Reading stops with ``SpreadsheetRefused`` at the first row past
  ``max_sheet_rows``, whatever the sheet's declared <dimension> says. A CSV line longer than
  ``max_csv_line_chars`` is refused.
What the rows mean is the caller's business.
"""

import codecs
import csv
import io
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from admin_app.limits import IMPORT_ROWS

MB = 1024 * 1024
CHUNK = MB
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
UNREADABLE_XLSX = "无法读取该Excel文件，请用模板填写后另存为 .xlsx 再上传"
UNREADABLE_XLS = "无法读取该 .xls 文件，请另存为 .xlsx 后上传"
UNREADABLE_CSV = "无法识别文件内容：请上传用附表5模板填写的 .xlsx 文件"


class SpreadsheetRefused(Exception):
    """The file cannot be read within the limits, or not at all. ``str(exc)`` is the Chinese reason."""


@dataclass(frozen=True)
class SheetLimits:
    max_bytes: int = 5 * MB
    max_rows: int = IMPORT_ROWS  # data rows below the header
    max_columns: int = 30  # the 附表5 template has 14
    max_unzipped_bytes: int = 64 * MB
    header_rows: int = 15  # rows above the header (titles, notes) allowed
    max_zip_members: int = 200  # a workbook from Excel has 10–30
    max_style_elements: int = 10_000  # openpyxl builds an object per style element: ~0.1 ms each
    max_part_bytes: int = 4 * MB  # a part openpyxl reads whole (styles, theme, workbook …)
    max_strings_bytes: int = 8 * MB  # the shared strings of a full 附表5: ~3 MB
    max_csv_line_chars: int = 10_000

    @property
    def max_sheet_rows(self) -> int:
        return self.header_rows + self.max_rows

    @property
    def max_cells(self) -> int:
        return self.max_sheet_rows * self.max_columns

    @property
    def max_shared_strings(self) -> int:
        # A full 附表5 has ~4 distinct texts per row (name, ID number, phone, remarks).
        return self.max_sheet_rows * 5

    @classmethod
    def from_config(cls, config) -> "SheetLimits":
        return cls(
            max_bytes=config.get("IMPORT_MAX_MB", 5) * MB,
            max_rows=config.get("IMPORT_MAX_ROWS", cls.max_rows),
            max_columns=config.get("IMPORT_MAX_COLUMNS", cls.max_columns),
            max_unzipped_bytes=config.get("IMPORT_MAX_UNZIPPED_MB", 64) * MB,
        )


@dataclass
class Sheet:
    title: str
    declared_rows: int | None  # from <dimension> / DIMENSIONS, when the file states it
    rows: Iterator[tuple[int, tuple]]  # (1-based row number, values), gaps as empty rows


def kind_of(data: bytes) -> str:
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    if data[:8] == XLS_MAGIC:
        return "xls"
    return "csv"


def sheets(data: bytes, limits: SheetLimits) -> Iterator[Sheet]:
    """The file's sheets in order (a CSV is one sheet), each read lazily within ``limits``."""
    if len(data) > limits.max_bytes:
        raise SpreadsheetRefused(f"文件超过{limits.max_bytes // MB}MB，请分批导入")
    return {"xlsx": _xlsx_sheets, "xls": _xls_sheets, "csv": _csv_sheets}[kind_of(data)](data, limits)


def _too_many_rows(limits: SheetLimits, title: str = "") -> SpreadsheetRefused:
    if title == "CSV":
        where = "文件"
    else:
        where = (f"工作表“{title}”" if title else "文件中有工作表") + "（包括看似空白但有格式的行）"
    return SpreadsheetRefused(
        f"{where}超过{limits.max_sheet_rows}行；一次最多导入{limits.max_rows}行，请删除多余的行或分批导入"
    )


def _bounded(rows, limits: SheetLimits, title: str) -> Iterator[tuple[int, tuple]]:
    for number, values in enumerate(rows, start=1):
        if number > limits.max_sheet_rows:
            raise _too_many_rows(limits, title)
        yield number, tuple(values[: limits.max_columns])


# --- .xlsx ---------------------------------------------------------------------------------------------------
def _tag_patterns(name: bytes) -> tuple[bytes, ...]:
    # Start tags: <row …>, <row>, <row/>, and prefixed ones with attributes or empty (<x:row …>, <x:row/>).
    # ":row>" is left out, as it also ends a closing </x:row>; the streaming count still stops such rows.
    return (
        b"<" + name + b" ",
        b"<" + name + b">",
        b"<" + name + b"/",
        b":" + name + b" ",
        b":" + name + b"/",
    )


ROW_TAGS, CELL_TAGS, STRING_TAGS = _tag_patterns(b"row"), _tag_patterns(b"c"), _tag_patterns(b"si")
# Office files never declare a DTD; one in an upload can only be an entity-expansion ("billion laughs") attack.
DTD_TAGS = (b"<!DOCTYPE", b"<!ENTITY")
# Root elements of the parts openpyxl parses whole when it opens a workbook read-only (comments, drawings of
# worksheets, tables and pivot tables are not read in that mode).
PARSED_WHOLE = {
    "Types",
    "Relationships",
    "workbook",
    "styleSheet",
    "coreProperties",
    "Properties",
    "theme",
    "chartsheet",
    "wsDr",
    "chartSpace",
}


class _TagCounter:
    """Counts start tags over a stream of chunks, exactly once each, also across chunk boundaries."""

    def __init__(self, patterns):
        self.patterns, self.count, self.tail = patterns, 0, b""

    def feed(self, chunk: bytes) -> None:
        joined = self.tail + chunk
        self.count += sum(joined.count(p) - self.tail.count(p) for p in self.patterns)
        self.tail = joined[-7:]


def _root_tag(head: bytes) -> str:
    """Local name of the XML root element ('' for non-XML parts such as images)."""
    position = 0
    while True:
        start = head.find(b"<", position)
        if start < 0 or start + 1 >= len(head):
            return ""
        if head[start + 1 : start + 2] in (b"?", b"!"):
            position = start + 1
            continue
        end = start + 1
        while end < len(head) and head[end : end + 1] not in (b" ", b">", b"/", b"\r", b"\n", b"\t"):
            end += 1
        return head[start + 1 : end].split(b":")[-1].decode("ascii", "replace")


def _check_xlsx(data: bytes, limits: SheetLimits) -> int:
    """Refuse before openpyxl sees the file: too many members, too much once decompressed (counted while
    decompressing), a sheet with too many rows or cells, too many shared strings or style elements. Returns the
    most rows (row elements) one worksheet holds."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise SpreadsheetRefused(UNREADABLE_XLSX) from None
    if len(members) > limits.max_zip_members:
        raise SpreadsheetRefused(
            f"文件结构异常（压缩包内有{len(members)}个部件），无法读取；{UNREADABLE_XLSX}"
        )
    unzipped_limit = f"文件解压后超过{limits.max_unzipped_bytes // MB}MB，无法读取；请删除无关的工作表、图片和格式，或分批导入"
    if sum(m.file_size for m in members) > limits.max_unzipped_bytes:
        raise SpreadsheetRefused(unzipped_limit)
    too_much_format = (
        "文件中的格式（样式）或其他内容过多，无法读取；请把数据复制到附表5模板（只粘贴数值）后再导入"
    )
    total, most_rows = 0, 0
    for member in members:
        rows, cells, strings = _TagCounter(ROW_TAGS), _TagCounter(CELL_TAGS), _TagCounter(STRING_TAGS)
        dtd = _TagCounter(DTD_TAGS)
        elements, root = 0, None
        try:
            with archive.open(member) as stream:
                # Read at most one byte past the limit: a member lying about its size costs no more.
                while chunk := stream.read(min(CHUNK, limits.max_unzipped_bytes - total + 1)):
                    total += len(chunk)
                    if total > limits.max_unzipped_bytes:
                        raise SpreadsheetRefused(unzipped_limit)
                    if root is None:
                        root = _root_tag(chunk[:4096])
                    if root:
                        dtd.feed(chunk)
                        if dtd.count:
                            raise SpreadsheetRefused(UNREADABLE_XLSX)
                    if root == "worksheet":
                        rows.feed(chunk)
                        cells.feed(chunk)
                        _check_sheet_counts(rows.count, cells.count, limits)
                    elif root == "sst":
                        strings.feed(chunk)
                        if strings.count > limits.max_shared_strings:
                            raise SpreadsheetRefused(
                                f"文件中的不同文字超过{limits.max_shared_strings}条，请分批导入"
                            )
                        if stream.tell() > limits.max_strings_bytes:
                            raise SpreadsheetRefused(
                                f"文件中的文字内容超过{limits.max_strings_bytes // MB}MB，请分批导入"
                            )
                    elif root in PARSED_WHOLE:
                        elements += chunk.count(b"<") - chunk.count(b"</")
                        if elements > limits.max_style_elements or stream.tell() > limits.max_part_bytes:
                            raise SpreadsheetRefused(too_much_format)
        except (
            zipfile.BadZipFile,
            zipfile.LargeZipFile,
            OSError,
            EOFError,
            NotImplementedError,
            RuntimeError,
        ):
            raise SpreadsheetRefused(UNREADABLE_XLSX) from None
        most_rows = max(most_rows, rows.count)
    return most_rows


def count_rows(data: bytes, limits: SheetLimits) -> int:
    """The most rows one sheet of the file holds (title, header, blank but formatted rows included), found by
    the same bounded checks that reading starts with and without building a cell: .xlsx its row elements counted
    while decompressing, .xls each sheet's declared rows (else its rows walked), .csv its records. Raises
    SpreadsheetRefused (Chinese) exactly where reading would refuse the file as a whole."""
    if len(data) > limits.max_bytes:
        raise SpreadsheetRefused(f"文件超过{limits.max_bytes // MB}MB，请分批导入")
    if kind_of(data) == "xlsx":
        return _check_xlsx(data, limits)
    book = sheets(data, limits)
    try:
        return max((sheet.declared_rows or sum(1 for _ in sheet.rows) for sheet in book), default=0)
    finally:
        book.close()


def _check_sheet_counts(rows: int, cells: int, limits: SheetLimits) -> None:
    if rows > limits.max_sheet_rows:
        raise _too_many_rows(limits)
    if cells > limits.max_cells:
        raise SpreadsheetRefused(
            f"工作表的单元格超过{limits.max_cells}个，无法读取；请删除多余的列、行和格式，或分批导入"
        )


def _xlsx_sheets(data: bytes, limits: SheetLimits) -> Iterator[Sheet]:
    from openpyxl import load_workbook

    _check_xlsx(data, limits)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any damage inside the file is a refusal, not a crash
        raise SpreadsheetRefused(UNREADABLE_XLSX) from None
    try:
        for worksheet in book.worksheets:
            declared = worksheet.max_row
            if declared and declared > limits.max_sheet_rows:
                ref = f"（{worksheet.calculate_dimension()}）" if worksheet.max_column else ""
                raise SpreadsheetRefused(
                    f"工作表“{worksheet.title}”的数据区域到第{declared}行{ref}，"
                    f"超过{limits.max_sheet_rows}行；一次最多导入{limits.max_rows}行，"
                    "请删除多余的行（包括看似空白但有格式的行）或分批导入"
                )
            # Never trust <dimension>: read what is there, at most max_columns wide, counted as we go.
            worksheet.reset_dimensions()
            rows = worksheet.iter_rows(min_row=1, max_col=limits.max_columns, values_only=True)
            yield Sheet(worksheet.title, declared, _guarded(_bounded(rows, limits, worksheet.title)))
    finally:
        book.close()


def _guarded(rows: Iterator) -> Iterator:
    """A damaged part found only while streaming is a refusal, not a crash."""
    try:
        yield from rows
    except SpreadsheetRefused:
        raise
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds on damaged XML
        raise SpreadsheetRefused(UNREADABLE_XLSX) from None


# --- .xls ----------------------------------------------------------------------------------------------------
# BIFF record types holding cells; MULRK/MULBLANK hold several.
XLS_CELL_RECORDS = {0x0006, 0x00FD, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E, 0x00D6, 0x00BD, 0x00BE}
XLS_BOF, XLS_EOF, XLS_DIMENSIONS = 0x0809, 0x000A, 0x0200


def _scan_xls_sheet(book, index: int, limits: SheetLimits) -> int | None:
    """Walk the sheet's BIFF records (no cell is built): refuse a sheet whose DIMENSIONS declare too many rows,
    a cell below the row limit, or too many cells. Returns the declared row count, if any."""
    memory, position, end = book.mem, book._sh_abs_posn[index], len(book.mem)
    max_rows, max_cells = limits.max_sheet_rows, limits.max_cells
    header, row_of = struct.Struct("<HH").unpack_from, struct.Struct("<H").unpack_from
    depth, cells, declared = 0, 0, None
    while position + 4 <= end:
        code, length = header(memory, position)
        body = position + 4
        position = body + length
        if code in XLS_CELL_RECORDS and length >= 2:
            if row_of(memory, body)[0] >= max_rows:
                raise _too_many_rows(limits, book._sheet_names[index])
            cells += (length - 6) // (6 if code == 0x00BD else 2) if code in (0x00BD, 0x00BE) else 1
            if cells > max_cells:
                raise SpreadsheetRefused(f"工作表的单元格超过{max_cells}个，无法读取；请分批导入")
        elif code == XLS_BOF:
            depth += 1
        elif code == XLS_EOF:
            depth -= 1
            if depth <= 0:
                break
        elif code == XLS_DIMENSIONS and declared is None and length >= 8:
            declared = struct.unpack_from("<I", memory, body + 4)[0]
            if declared > max_rows:
                raise _too_many_rows(limits, book._sheet_names[index])
    return declared


def _xls_sheets(data: bytes, limits: SheetLimits) -> Iterator[Sheet]:
    import xlrd

    try:
        # on_demand: sheets are loaded one by one, after their records were scanned; ragged_rows: a far cell
        # does not pad every row to its width.
        book = xlrd.open_workbook(file_contents=data, on_demand=True, ragged_rows=True)
    except Exception:  # noqa: BLE001 - xlrd raises several kinds on damaged files
        raise SpreadsheetRefused(UNREADABLE_XLS) from None
    try:
        for index in range(book.nsheets):
            try:
                declared = _scan_xls_sheet(book, index, limits)
                sheet = book.sheet_by_index(index)
            except SpreadsheetRefused:
                raise
            except Exception:  # noqa: BLE001
                raise SpreadsheetRefused(UNREADABLE_XLS) from None
            if declared and declared > limits.max_sheet_rows:
                raise _too_many_rows(limits, sheet.name)
            yield Sheet(sheet.name, declared, _bounded(_xls_rows(book, sheet, limits), limits, sheet.name))
            book.unload_sheet(index)
    finally:
        book.release_resources()


def _xls_rows(book, sheet, limits: SheetLimits) -> Iterator[list]:
    import xlrd

    for r in range(sheet.nrows):
        width = min(sheet.row_len(r), limits.max_columns)
        row = []
        for c in range(width):
            cell = sheet.cell(r, c)
            if cell.ctype == xlrd.XL_CELL_DATE:
                try:
                    row.append(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode))
                except (ValueError, OverflowError, xlrd.xldate.XLDateError):
                    row.append(cell.value)
            else:
                row.append(cell.value)
        yield row


# --- .csv ----------------------------------------------------------------------------------------------------
def _csv_encoding(data: bytes) -> str:
    """UTF-8 (with or without BOM) or GB18030 (Excel's 'CSV' on a Chinese Windows), checked chunk by chunk."""
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for start in range(0, len(data), CHUNK):
                decoder.decode(data[start : start + CHUNK])
            decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
    raise SpreadsheetRefused(UNREADABLE_CSV)


def _csv_lines(text: io.TextIOBase, limits: SheetLimits) -> Iterator[str]:
    while line := text.readline(limits.max_csv_line_chars + 1):
        if len(line) > limits.max_csv_line_chars:
            raise SpreadsheetRefused(f"文件中有一行超过{limits.max_csv_line_chars}个字符，无法读取")
        yield line


def _csv_sheets(data: bytes, limits: SheetLimits) -> Iterator[Sheet]:
    if b"\x00" in data:
        raise SpreadsheetRefused(UNREADABLE_CSV)
    encoding = _csv_encoding(data)
    # Count the records first, keeping nothing: too many is refused before any row is built.
    records = 0
    for _number, _row in _csv_rows(data, encoding, limits):
        records += 1
    yield Sheet("CSV", records, _csv_rows(data, encoding, limits))


def _csv_rows(data: bytes, encoding: str, limits: SheetLimits) -> Iterator[tuple[int, tuple]]:
    text = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    try:
        yield from _bounded(csv.reader(_csv_lines(text, limits)), limits, "CSV")
    except csv.Error:  # e.g. a quoted field longer than csv.field_size_limit (128 KB)
        raise SpreadsheetRefused(UNREADABLE_CSV) from None
