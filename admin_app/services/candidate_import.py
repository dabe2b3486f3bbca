"""附表5 考生信息电子录入数据模板: the template to download, and the import that registers candidates in
bulk — rows matched by ID number to the unit's registrations waiting for 报名, all or nothing, every
problem reported with row, column and a Chinese message (and as a copy of the file with the bad cells
marked).

It copes with what real files contain: full-width digits and spaces, lower-case x, dates typed as text or
stored as Excel dates, blank rows, merged note rows, formulas (their saved values), extra sheets and title
rows (the sheet and the header row are found by their headers), any column order, a .xls or a .csv file
renamed .xlsx, and refuses an oversized file.
"""

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from models import enums

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20000
TEMPLATE_SHEET = "考生信息"

# header, required, key
COLUMNS = [
    ("序号", False, "seq"),
    ("姓名", True, "name"),
    ("性别", True, "gender"),
    ("民族", False, "ethnicity"),
    ("身份证号码", True, "id_number"),
    ("出生日期", False, "birth_date"),
    ("学历", False, "education"),
    ("工作单位", False, "unit"),
    ("报考工种", True, "trade"),
    ("报考等级", True, "grade"),
    ("联系电话", True, "phone"),
    ("是否自愿参加培训", False, "training"),
    ("考试类别", False, "category"),
    ("备注", False, "remarks"),
]
HEADERS = [c[0] for c in COLUMNS]
REQUIRED = {c[0] for c in COLUMNS if c[1]}
YES_NO = {"是": True, "否": False, "Y": True, "N": False, "": False}


class ImportRefused(Exception):
    """The file as a whole cannot be read (type, size, no header). ``str(exc)`` is the Chinese reason."""


@dataclass
class Problem:
    row: int  # 1-based row number in the sheet
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


# --- cleaning helpers -------------------------------------------------------------------------------------
def clean_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value))
    return re.sub(r"\s+", " ", text).strip()


def parse_date(value) -> date | None:
    """Excel dates, and text such as 1972-08-08, 1972/8/8, 1972.08.08, 19720808, 1972年8月8日."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = clean_text(value)
    match = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", text) or re.fullmatch(
        r"(\d{4})(\d{2})(\d{2})", text
    )
    if not match:
        raise ValueError("日期格式不正确，应为如 1972-08-08")
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise ValueError("日期不存在") from None


def parse_grade(value) -> int:
    """五级（初级工）, 初级工, 五级 or 5 (full-width or half-width brackets alike)."""
    text = clean_text(value).replace(" ", "")
    for grade in enums.GRADE_NAMES:
        names = (
            enums.GRADE_LABELS[grade],
            enums.GRADE_NAMES[grade],
            enums.GRADE_LEVEL_NAMES[grade],
            str(grade),
        )
        if text in {clean_text(n) for n in names}:
            return grade
    raise ValueError(
        "报考等级应为 五级（初级工）、四级（中级工）、三级（高级工）、二级（技师） 或 一级（高级技师）"
    )


# --- reading the file ---------------------------------------------------------------------------------------
def read_file(data: bytes) -> ParsedFile:
    """Read the first sheet whose rows contain the 附表5 headers. Raises ImportRefused for unreadable files."""
    if len(data) > MAX_BYTES:
        raise ImportRefused(f"文件超过{MAX_BYTES // (1024 * 1024)}MB，请分批导入")
    if not data:
        raise ImportRefused("文件为空")
    if data[:4] == b"PK\x03\x04":
        return _read_xlsx(data)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return _read_xls(data)
    return _read_csv(data)


def _find_header(rows_iter, limit=15):
    """(row number, {header: column}) of the first row holding the required headers, within ``limit`` rows."""
    for number, row in enumerate(rows_iter, start=1):
        if number > limit:
            break
        # "姓名 *": the template marks required columns; any spacing or star is ignored.
        cells = [clean_text(v).replace(" ", "").rstrip("*") for v in row]
        found = {}
        for col, text in enumerate(cells, start=1):
            for header in HEADERS:
                if text == header and header not in found:
                    found[header] = col
        if set(found) >= REQUIRED:
            return number, found
    return None, None


def _rows_to_parsed(rows, header_row, columns, merged_rows=frozenset()):
    parsed = []
    for number, row in enumerate(rows, start=1):
        if number <= header_row or number in merged_rows:
            continue
        values = {h: (row[c - 1] if c - 1 < len(row) else None) for h, c in columns.items()}
        if all(clean_text(v) == "" for v in values.values()):
            continue  # blank row
        parsed.append(ParsedRow(number, values))
    return parsed


def _read_xlsx(data: bytes) -> ParsedFile:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), data_only=True)
    except Exception:  # noqa: BLE001 - any damage inside the file is a refusal, not a crash
        raise ImportRefused("无法读取该Excel文件，请用模板填写后另存为 .xlsx 再上传") from None
    for sheet in book.worksheets:
        values = list(sheet.iter_rows(values_only=True))
        header_row, columns = _find_header(values)
        if header_row is None:
            continue
        width = max(columns.values())
        merged_rows = set()
        for merged in sheet.merged_cells.ranges:
            # A note merged across the row (e.g. "以下空白") is not a candidate.
            if merged.min_row > header_row and merged.max_col - merged.min_col + 1 >= max(2, width // 2):
                merged_rows.update(range(merged.min_row, merged.max_row + 1))
        if len(values) - header_row > MAX_ROWS:
            raise ImportRefused(f"一次最多导入{MAX_ROWS}行")
        return ParsedFile(
            sheet.title,
            header_row,
            columns,
            _rows_to_parsed(values, header_row, columns, merged_rows),
            "xlsx",
        )
    raise ImportRefused(
        "没有找到包含“姓名、性别、身份证号码、报考工种、报考等级、联系电话”表头的工作表，请使用附表5模板"
    )


def _read_xls(data: bytes) -> ParsedFile:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data)
    except Exception:  # noqa: BLE001 - xlrd raises several kinds on damaged files
        raise ImportRefused("无法读取该 .xls 文件，请另存为 .xlsx 后上传") from None
    for sheet in book.sheets():
        values = []
        for r in range(sheet.nrows):
            row = []
            for c in range(sheet.ncols):
                cell = sheet.cell(r, c)
                if cell.ctype == xlrd.XL_CELL_DATE:
                    row.append(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode))
                else:
                    row.append(cell.value)
            values.append(row)
        header_row, columns = _find_header(values)
        if header_row is not None:
            return ParsedFile(
                sheet.name, header_row, columns, _rows_to_parsed(values, header_row, columns), "xls"
            )
    raise ImportRefused("没有找到附表5的表头，请使用附表5模板")


def _read_csv(data: bytes) -> ParsedFile:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportRefused("无法识别文件内容：请上传用附表5模板填写的 .xlsx 文件")
    if "\x00" in text:
        raise ImportRefused("无法识别文件内容：请上传用附表5模板填写的 .xlsx 文件")
    try:
        values = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        raise ImportRefused("无法识别文件内容：请上传用附表5模板填写的 .xlsx 文件") from None
    header_row, columns = _find_header(values)
    if header_row is None:
        raise ImportRefused("无法识别文件内容：请上传用附表5模板填写的 .xlsx 文件")
    return ParsedFile("CSV", header_row, columns, _rows_to_parsed(values, header_row, columns), "csv")


# --- the template ------------------------------------------------------------------------------------------
def write_template(
    path: str, trades: list[str], ethnicities: list[str], prefill: list[dict] | None = None
) -> None:
    """附表5 template: headers (protected), drop-downs, ID column as text, an instructions sheet; optionally
    pre-filled with candidates (dicts keyed by header) for the unit to complete and import back."""
    import xlsxwriter

    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet(TEMPLATE_SHEET)
    lists = book.add_worksheet("字典")
    guide = book.add_worksheet("填写说明")
    header = book.add_format(
        {"bold": True, "bg_color": "#FCE4D6", "border": 1, "locked": True, "align": "center"}
    )
    unlocked_text = book.add_format({"locked": False, "num_format": "@"})
    unlocked_date = book.add_format({"locked": False, "num_format": "yyyy-mm-dd"})
    unlocked = book.add_format({"locked": False})
    widths = [6, 10, 6, 10, 22, 12, 12, 24, 16, 16, 14, 14, 12, 20]
    for col, (name, required, key) in enumerate(COLUMNS):
        fmt = (
            unlocked_text
            if key in ("id_number", "phone", "seq")
            else unlocked_date
            if key == "birth_date"
            else unlocked
        )
        sheet.set_column(col, col, widths[col], fmt)
        sheet.write_string(0, col, name + (" *" if required else ""), header)
    sheet.freeze_panes(1, 0)
    for row, values in enumerate(prefill or [], start=1):
        for col, name in enumerate(HEADERS):
            value = values.get(name)
            if isinstance(value, date):
                sheet.write_datetime(row, col, datetime(value.year, value.month, value.day), unlocked_date)
            elif value not in (None, ""):
                sheet.write_string(row, col, str(value), unlocked_text)
    # Dictionary lists on their own (hidden) sheet: Excel limits inline lists to 255 characters.
    dictionaries = {
        "民族": ethnicities,
        "学历": list(enums.EDUCATION_LABELS.values()),
        "报考工种": trades,
        "报考等级": [enums.GRADE_LABELS[g] for g in (5, 4, 3, 2, 1)],
        "考试类别": ["理论和实作", "仅理论", "仅实作"],
    }
    refs = {}
    for col, (name, items) in enumerate(dictionaries.items()):
        lists.write_string(0, col, name)
        for row, item in enumerate(items, start=1):
            lists.write_string(row, col, item)
        letter = chr(ord("A") + col)
        refs[name] = f"=字典!${letter}$2:${letter}${len(items) + 1}"
    lists.hide()
    last = 10000
    index = {name: i for i, name in enumerate(HEADERS)}
    sheet.data_validation(1, index["性别"], last, index["性别"], {"validate": "list", "source": ["男", "女"]})
    sheet.data_validation(
        1,
        index["是否自愿参加培训"],
        last,
        index["是否自愿参加培训"],
        {"validate": "list", "source": ["是", "否"]},
    )
    for name, ref in refs.items():
        sheet.data_validation(1, index[name], last, index[name], {"validate": "list", "source": ref})
    sheet.data_validation(
        1,
        index["身份证号码"],
        last,
        index["身份证号码"],
        {"validate": "length", "criteria": "==", "value": 18, "error_message": "身份证号码应为18位"},
    )
    sheet.protect(
        "",
        {
            "format_columns": True,
            "select_locked_cells": True,
            "select_unlocked_cells": True,
            "insert_rows": True,
            "delete_rows": True,
            "sort": True,
            "autofilter": True,
        },
    )
    lines = [
        "附表5 考生信息电子录入数据模板 填写说明",
        "1. 每行填写一名考生，从第2行开始；表头（第1行）已保护，请勿修改。带 * 的列为必填。",
        "2. 身份证号码须为18位（末位可为X），系统按身份证号码匹配本单位考试资格审核已通过、尚未报名的人员。",
        "3. 性别、出生日期须与身份证号码一致；出生日期可填 1972-08-08 等格式。",
        "4. 报考工种、报考等级须与考试资格申请一致，请从下拉列表选择。",
        "5. 导入时只要有一处错误，全部不导入；系统会列出出错的行、列和原因，并可下载标出错误单元格的文件副本。",
        "6. 导入成功后报名状态为“待确认”，由市工考办审核；电子照片和身份证复印件可在报名表中补传或现场提供。",
    ]
    guide.set_column(0, 0, 110)
    for row, line in enumerate(lines):
        guide.write_string(row, 0, line)
    book.close()


# --- the copy with bad cells marked ----------------------------------------------------------------------
def marked_copy(data: bytes, parsed: ParsedFile, problems: list[Problem]) -> bytes | None:
    """The uploaded .xlsx with each problem cell filled red and a comment; None for .xls/.csv uploads."""
    if parsed.kind != "xlsx":
        return None
    from openpyxl import load_workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    book = load_workbook(io.BytesIO(data))
    sheet = book[parsed.sheet_title]
    fill = PatternFill("solid", fgColor="FFC7CE")
    for problem in problems:
        column = parsed.columns.get(problem.column, 1)
        cell = sheet.cell(problem.row, column)
        cell.fill = fill
        cell.comment = Comment(problem.message, "工考管理平台")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- checking the rows against the unit's registrations ---------------------------------------------------
@dataclass(frozen=True)
class ImportEntry:
    registration_id: int
    phone: str
    voluntary_training: bool
    exam_category: str
    remarks: str | None
    from_status: str = "unregistered"


CATEGORY_KEYS = {
    "理论和实作": "both",
    "仅理论": "theory",
    "仅实作": "practice",
    "理论": "theory",
    "实作": "practice",
    "": "both",
}


def check_rows(user, parsed: ParsedFile) -> tuple[list[ImportEntry], list[Problem]]:
    """Every problem of every row (row, column, Chinese message), and the entries when there are none."""
    import sqlalchemy as sa

    from admin_app.extensions import db
    from admin_app.services import workflow
    from admin_app.services.validators import InvalidInput, parse_resident_id, validate_phone
    from models import Ethnicity, Registration, Trade, Worker

    problems: list[Problem] = []
    if not parsed.rows:
        return [], [Problem(parsed.header_row + 1, "", "没有需要导入的考生数据")]
    ethnicities = set(db.session.scalars(sa.select(Ethnicity.name)))
    education_labels = set(enums.EDUCATION_LABELS.values())

    numbers = {}
    for row in parsed.rows:
        try:
            numbers[row.row] = parse_resident_id(clean_text(row.values.get("身份证号码"))).number
        except InvalidInput as exc:
            problems.append(Problem(row.row, "身份证号码", str(exc)))
    # One query for all ID numbers (in chunks), joined to the unit's registrations.
    found: dict = {}
    wanted = sorted(set(numbers.values()))
    for start in range(0, len(wanted), 1000):
        chunk = wanted[start : start + 1000]
        rows = db.session.execute(
            sa.select(Registration, Worker, Trade.name)
            .join(Worker, Worker.id == Registration.worker_id)
            .join(Trade, Trade.id == Registration.applied_trade_id)
            .where(Worker.id_number.in_(chunk), Registration.unit_id == user.organisation_id)
            .order_by(Registration.id)
        ).all()
        for registration, worker, trade_name in rows:
            found.setdefault(worker.id_number, []).append((registration, worker, trade_name))

    seen: dict = {}
    entries = []
    for row in parsed.rows:
        number = numbers.get(row.row)
        if number is None:
            continue
        if number in seen:
            problems.append(Problem(row.row, "身份证号码", f"与第{seen[number]}行重复"))
            continue
        seen[number] = row.row
        candidates = found.get(number, [])
        waiting = [c for c in candidates if c[0].status in workflow.TRANSITIONS["register"].sources]
        if not waiting:
            if candidates:
                state = workflow.REGISTRATION_LABELS[candidates[-1][0].status]
                problems.append(Problem(row.row, "身份证号码", f"该考生当前报名状态为“{state}”，不能再导入"))
            else:
                problems.append(
                    Problem(
                        row.row, "身份证号码", "本单位没有该身份证号码的待报名考生（须考试资格审核已通过）"
                    )
                )
            continue
        registration, worker, trade_name = waiting[-1]
        entry_problems = _check_fields(
            row, worker, registration, trade_name, ethnicities, education_labels, validate_phone
        )
        problems.extend(entry_problems)
        if not entry_problems:
            v = row.values
            entries.append(
                ImportEntry(
                    registration.id,
                    validate_phone(clean_text(v.get("联系电话"))),
                    YES_NO.get(clean_text(v.get("是否自愿参加培训")), False),
                    CATEGORY_KEYS[clean_text(v.get("考试类别"))],
                    clean_text(v.get("备注")) or None,
                    registration.status,
                )
            )
    return (entries if not problems else []), sorted(
        problems, key=lambda p: (p.row, HEADERS.index(p.column) if p.column in HEADERS else -1)
    )


def _check_fields(
    row, worker, registration, trade_name, ethnicities, education_labels, validate_phone
) -> list[Problem]:
    from admin_app.services.validators import InvalidInput

    v = row.values
    out = []

    def bad(column, message):
        out.append(Problem(row.row, column, message))

    name = clean_text(v.get("姓名")).replace(" ", "")
    if not name:
        bad("姓名", "请填写姓名")
    elif name != worker.name:
        bad("姓名", f"姓名与身份证号码对应的人员（{worker.name}）不一致")
    gender = clean_text(v.get("性别"))
    if gender not in ("男", "女"):
        bad("性别", "性别应为“男”或“女”")
    elif {"男": "M", "女": "F"}[gender] != worker.gender:
        bad("性别", "性别与身份证号码不一致")
    if "出生日期" in v:
        try:
            birth = parse_date(v.get("出生日期"))
            if birth and birth != worker.birth_date:
                bad("出生日期", f"出生日期与身份证号码不一致（应为{worker.birth_date:%Y-%m-%d}）")
        except ValueError as exc:
            bad("出生日期", str(exc))
    ethnicity = clean_text(v.get("民族"))
    if ethnicity and ethnicity not in {clean_text(e) for e in ethnicities}:
        bad("民族", "民族名称不正确，请从下拉列表选择")
    education = clean_text(v.get("学历"))
    if education and education not in {clean_text(e) for e in education_labels}:
        bad("学历", "学历不正确，请从下拉列表选择")
    trade = clean_text(v.get("报考工种"))
    if trade != clean_text(trade_name):
        bad("报考工种", f"报考工种应为考试资格申请中的“{trade_name}”")
    try:
        if parse_grade(v.get("报考等级")) != registration.applied_grade:
            bad("报考等级", f"报考等级应为考试资格申请中的“{enums.GRADE_LABELS[registration.applied_grade]}”")
    except ValueError as exc:
        bad("报考等级", str(exc))
    try:
        validate_phone(clean_text(v.get("联系电话")))
    except InvalidInput as exc:
        bad("联系电话", str(exc))
    if clean_text(v.get("是否自愿参加培训")) not in YES_NO:
        bad("是否自愿参加培训", "应填“是”或“否”")
    if clean_text(v.get("考试类别")) not in CATEGORY_KEYS:
        bad("考试类别", "考试类别应为 理论和实作、仅理论 或 仅实作")
    if len(clean_text(v.get("备注"))) > 300:
        bad("备注", "备注不能超过300字")
    return out


def prefill_rows(user) -> list[dict]:
    """The unit's candidates waiting for 报名, as 附表5 rows (phone from the worker record if any)."""
    import sqlalchemy as sa

    from admin_app.extensions import db
    from admin_app.services import workflow
    from models import Registration, Trade, Worker

    rows = db.session.execute(
        sa.select(Registration, Worker, Trade.name)
        .join(Worker, Worker.id == Registration.worker_id)
        .join(Trade, Trade.id == Registration.applied_trade_id)
        .where(
            Registration.unit_id == user.organisation_id,
            Registration.status.in_(tuple(workflow.TRANSITIONS["register"].sources)),
        )
        .order_by(Worker.name)
    ).all()
    return [
        {
            "序号": str(n),
            "姓名": worker.name,
            "性别": enums.GENDER_LABELS.get(worker.gender, ""),
            "民族": worker.ethnicity.name if worker.ethnicity else "",
            "身份证号码": worker.id_number,
            "出生日期": worker.birth_date,
            "学历": enums.EDUCATION_LABELS.get(worker.education or "", ""),
            "工作单位": user.organisation.name,
            "报考工种": trade_name,
            "报考等级": enums.GRADE_LABELS[registration.applied_grade],
            "联系电话": registration.phone or worker.phone or "",
            "是否自愿参加培训": "否",
            "考试类别": "理论和实作",
        }
        for n, (registration, worker, trade_name) in enumerate(rows, start=1)
    ]
