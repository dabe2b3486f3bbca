"""What every all-or-nothing spreadsheet import shares (附表5 考生信息, 成绩导入): finding the sheet and its header
row by the header texts, keeping the data rows (and every non-empty row, for the marked copy), the problem of
a cell (row, column, Chinese message), and the marked copy of an upload.

Reading goes through ``services/spreadsheets`` (bounded time and memory whatever the file): a file too large,
with too many rows or any other limit is refused with a Chinese message before the rows are kept. What the
cells mean is the caller's business.
"""

import io
import unicodedata
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime

from admin_app.services import spreadsheets
from admin_app.services.spreadsheets import SheetLimits

# The file as a whole cannot be read (type, size, limits, no header). ``str(exc)`` is the Chinese reason.
ImportRefused = spreadsheets.SpreadsheetRefused


@dataclass(slots=True)
class Problem:
    row: int  # 1-based row number in the sheet (0: the file as a whole)
    column: str  # header text ("" for the whole row)
    message: str


@dataclass
class ParsedRow:
    row: int
    values: dict = field(default_factory=dict)


@dataclass
class ParsedFile:
    sheet_title: str
    header_row: int
    columns: dict  # header -> 1-based column index
    rows: list
    kind: str  # xlsx / xls / csv
    problems: list = field(default_factory=list)
    # Every non-empty row of the sheet as read ((number, values) up to the last value), for the marked copy:
    # a few MB for a full file, and no second read.
    sheet_rows: list = field(default_factory=list)


@dataclass(frozen=True)
class Layout:
    """The columns an import reads: its headers (in template order), those that identify its sheet, other
    spellings of a header (身份证号码 for 身份证号), the columns a note row may fill, and the refusal when no
    sheet holds the required headers."""

    headers: tuple
    required: frozenset
    not_found: str
    aliases: dict = field(default_factory=dict)
    note_columns: frozenset = frozenset()
    too_many: str = "一次最多导入{rows}行（表头以下），请分批导入"

    def header_of(self, text: str) -> str | None:
        if text in self.headers:
            return text
        return self.aliases.get(text)


def clean_text(value) -> str:
    """A cell as text: full-width forms folded (NFKC), runs of spaces as one, trimmed; 85.0 as 85."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    if not text.isascii():  # NFKC leaves ASCII as it is; most cells are ASCII (numbers, ID numbers)
        text = unicodedata.normalize("NFKC", text)
    # str.split() splits at the same whitespace as the pattern \s (Unicode spaces included)
    return " ".join(text.split())


def read_table(data: bytes, layout: Layout, limits: SheetLimits | None = None) -> ParsedFile:
    """The first sheet whose rows contain ``layout``'s required headers (within ``limits.header_rows`` rows),
    with its data rows, within ``limits`` (the app's configured ones, else the defaults). Raises
    ImportRefused (Chinese) for empty, unreadable or oversized files, a file without such a sheet, and more
    than ``limits.max_rows`` rows below the header — before those rows are kept."""
    limits = limits or SheetLimits()
    if not data:
        raise ImportRefused("文件为空")
    kind = spreadsheets.kind_of(data)
    with closing(spreadsheets.sheets(data, limits)) as book:
        for sheet in book:
            sheet_rows: list = []
            header_row, columns = _find_header(sheet.rows, layout, limits.header_rows, sheet_rows)
            if header_row is None:
                continue
            if sheet.declared_rows and sheet.declared_rows - header_row > limits.max_rows:
                raise ImportRefused(layout.too_many.format(rows=limits.max_rows))
            rows = _data_rows(sheet.rows, header_row, columns, layout, limits, sheet_rows)
            return ParsedFile(sheet.title, header_row, columns, rows, kind, sheet_rows=sheet_rows)
    if kind == "csv":
        raise ImportRefused(spreadsheets.UNREADABLE_CSV)
    raise ImportRefused(layout.not_found)


def _kept(number: int, row: tuple, sheet_rows: list) -> None:
    last = len(row)
    while last and row[last - 1] in (None, ""):
        last -= 1
    if last:
        sheet_rows.append((number, row[:last]))


def _find_header(rows, layout: Layout, limit: int, sheet_rows: list):
    """(row number, {header: column}) of the first row holding the required headers, within ``limit`` rows;
    the rows up to it (titles, notes, the header) are consumed and kept in ``sheet_rows``."""
    for number, row in rows:
        _kept(number, row, sheet_rows)
        found = {}
        for col, value in enumerate(row, start=1):
            # "姓名 *": a template may mark required columns; any spacing or star is ignored.
            header = layout.header_of(clean_text(value).replace(" ", "").rstrip("*"))
            if header and header not in found:
                found[header] = col
        if set(found) >= layout.required:
            return number, found
        if number >= limit:
            break
    return None, None


def _data_rows(rows, header_row: int, columns: dict, layout: Layout, limits: SheetLimits, sheet_rows) -> list:
    parsed = []
    for number, row in rows:
        if number - header_row > limits.max_rows:
            raise ImportRefused(layout.too_many.format(rows=limits.max_rows))
        if not any(v is not None and v != "" for v in row):
            continue  # the gaps of a sparse sheet cost no more than this
        _kept(number, row, sheet_rows)
        values = {h: (row[c - 1] if c - 1 < len(row) else None) for h, c in columns.items()}
        # A row with nothing but note columns filled (a merged "以下空白", a pre-numbered empty row) is a note:
        # read-only reading does not see merged ranges, so the row is recognised by what it holds.
        if all(clean_text(v) == "" for h, v in values.items() if h not in layout.note_columns):
            continue
        parsed.append(ParsedRow(number, values))
    return parsed


def sorted_problems(problems: list[Problem], headers) -> list[Problem]:
    """By row, then by the column's place in the template (whole-row problems first)."""
    order = {h: i for i, h in enumerate(headers)}
    return sorted(problems, key=lambda p: (p.row, order.get(p.column, -1)))


# --- the copy with bad cells marked ----------------------------------------------------------------------
MAX_COMMENTS = 1000  # each comment is kept in memory until the copy is written; the problem column has all


def marked_copy(
    parsed: ParsedFile, problems: list[Problem], sheet_title: str, problem_header: str
) -> bytes | None:
    """An .xlsx copy of the sheet that was read — whatever the upload's kind (.xlsx, .xls or .csv) — with the
    values as read, each problem cell filled red with its message as a comment (the first MAX_COMMENTS cells),
    and a last column ``problem_header`` listing every problem of the row. Written streaming (xlsxwriter
    constant_memory) from the rows kept by the read, so it costs no second read. Text is written as text
    (never as a formula); the original's formatting and drop-downs are not kept. None when there is no row
    to mark."""
    import xlsxwriter

    if not parsed.rows:
        return None
    by_row: dict[int, list[Problem]] = {}
    for problem in problems:
        by_row.setdefault(problem.row, []).append(problem)
    if not any(number > parsed.header_row for number in by_row):
        return None
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"constant_memory": True})
    sheet = book.add_worksheet((parsed.sheet_title or sheet_title)[:31])
    bad = book.add_format({"bg_color": "#FFC7CE"})
    dated = book.add_format({"num_format": "yyyy-mm-dd"})
    bad_dated = book.add_format({"bg_color": "#FFC7CE", "num_format": "yyyy-mm-dd"})
    header = dict(parsed.sheet_rows).get(parsed.header_row, ())
    # The problem column goes right of the header's last text.
    problem_column = max([*parsed.columns.values(), *(c for c, v in enumerate(header, 1) if clean_text(v))])
    comments = 0
    for number, values in parsed.sheet_rows:
        row_problems = by_row.get(number, [])
        marked = {parsed.columns[p.column] for p in row_problems if p.column in parsed.columns}
        for col, value in enumerate(values, start=1):
            chosen = (bad, bad_dated) if col in marked else (None, dated)
            _write_value(sheet, number - 1, col - 1, value, *chosen)
        for col in sorted(marked):
            if col > len(values):  # an empty cell beyond the row's last value
                sheet.write_blank(number - 1, col - 1, None, bad)
            if comments < MAX_COMMENTS:
                text = "；".join(p.message for p in row_problems if parsed.columns.get(p.column) == col)
                sheet.write_comment(number - 1, col - 1, text, {"author": "工考管理平台"})
                comments += 1
        if number == parsed.header_row:
            sheet.write_string(number - 1, problem_column, problem_header, bad)
        elif row_problems:
            summary = "；".join(f"{p.column or '整行'}：{p.message}" for p in row_problems)
            sheet.write_string(number - 1, problem_column, summary, bad)
    book.close()
    return out.getvalue()


def _write_value(sheet, row: int, col: int, value, cell_format, date_format) -> None:
    """Each value by its type; text always as text, so a '=…' from the upload never becomes a formula."""
    if value is None or value == "":
        if cell_format is not None:
            sheet.write_blank(row, col, None, cell_format)
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value, cell_format)
    elif isinstance(value, int | float):
        sheet.write_number(row, col, value, cell_format)
    elif isinstance(value, datetime | date):
        sheet.write_datetime(row, col, value, date_format)
    else:
        sheet.write_string(row, col, str(value)[:32767], cell_format)
