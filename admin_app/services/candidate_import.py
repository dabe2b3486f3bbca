"""附表5 考生信息电子录入数据: the import that registers candidates in bulk — rows matched by ID number to the
unit's registrations waiting for 报名, all or nothing, every problem reported with row, column and a Chinese
message (the template and the marked copy of an upload are written by ``candidate_sheets``).

It copes with what real files contain: full-width digits and spaces, lower-case x, dates typed as text or
stored as Excel dates, blank rows, note rows ("以下空白"), formulas (their saved values), extra sheets and title
rows (the sheet and the header row are found by their headers), any column order, a .xls or a .csv file
renamed .xlsx. Untrusted files cost bounded time and memory (``services/spreadsheets``): an oversized file, too
many rows or any of the other limits is refused with a Chinese message before the rows are kept.
"""

import re
from dataclasses import dataclass
from datetime import date

from admin_app import limits as named_limits
from admin_app.services import sheet_import
from admin_app.services.spreadsheets import SheetLimits
from admin_app.services.validators import TypedMonth, birth_disagrees, read_month
from admin_app.workflow.states import ExamCategory, RegistrationState
from models import enums

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


# The shared pieces of every import (services/sheet_import), under the names this module always had.
ImportRefused = sheet_import.ImportRefused
Problem, ParsedRow, ParsedFile = sheet_import.Problem, sheet_import.ParsedRow, sheet_import.ParsedFile
clean_text = sheet_import.clean_text
# A row with nothing but these filled is a note (a merged "以下空白", a pre-numbered empty row), not a candidate.
NOTE_COLUMNS = {"序号", "备注"}
LAYOUT = sheet_import.Layout(
    headers=tuple(HEADERS),
    required=frozenset(REQUIRED),
    not_found="没有找到包含“姓名、性别、身份证号码、报考工种、报考等级、联系电话”表头的工作表，请使用附表5模板",
    note_columns=frozenset(NOTE_COLUMNS),
)


# --- cleaning helpers -------------------------------------------------------------------------------------
def read_birth(value) -> list[TypedMonth]:
    """What the 出生日期 cell says, by the one month parser (a month such as 1995年6月, or a full date, as text
    or an Excel date); empty for an empty cell. Excel turns 1995年6月 or 1995-06 typed into a cell into the date
    1995-06-01, so a date cell on the 1st reads as its month; and it keeps 1970.10 typed into a General cell as
    the number 1970.1, so a number ending in .1 reads as January or October. Raises InvalidInput (Chinese)."""
    if isinstance(value, date) and value.day == 1:
        return [TypedMonth(date(value.year, value.month, 1))]
    if isinstance(value, float):
        text = clean_text(value)
        typed = read_month(text)
        if typed and re.fullmatch(r"\d{4}\.1", text):
            return [typed, TypedMonth(typed.month.replace(month=10))]
        return [typed] if typed else []
    typed = read_month(value)
    return [typed] if typed else []


def parse_grade(value) -> int:
    """五级（初级工）, 初级工, 五级 or 5 (full-width or half-width brackets alike)."""
    text = clean_text(value).replace(" ", "")
    for grade in enums.GRADE_ORDER:
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
def read_file(data: bytes, limits: SheetLimits | None = None) -> ParsedFile:
    """Read the first sheet whose rows contain the 附表5 headers, within ``limits`` — the app's configured
    ones (``SheetLimits.from_config``, passed by the view), else the defaults (see services/spreadsheets:
    bounded time and memory whatever the file). Raises ImportRefused (Chinese) for unreadable or oversized
    files, and for more than ``limits.max_rows`` rows below the header — before those rows are kept."""
    return sheet_import.read_table(data, LAYOUT, limits)


# --- checking the rows against the unit's registrations ---------------------------------------------------
@dataclass(frozen=True)
class ImportEntry:
    registration_id: int
    phone: str
    voluntary_training: bool
    exam_category: str
    remarks: str | None
    from_status: str = RegistrationState.UNREGISTERED


CATEGORY_KEYS = {
    **{category.label: category for category in ExamCategory},
    "理论": ExamCategory.THEORY,
    "实作": ExamCategory.PRACTICE,
    "": ExamCategory.BOTH,
}


def check_rows(user, parsed: ParsedFile, report=None) -> tuple[list[ImportEntry], list[Problem]]:
    """Every problem of every row (row, column, Chinese message), and the entries when there are none.
    ``report(rows checked, rows)``, if given, is called every ``IMPORT_PROGRESS_EVERY`` rows checked and
    after the last (a background import's progress; the caller reports the start: no database write happens here)."""
    import sqlalchemy as sa

    from admin_app.extensions import db
    from admin_app.services.validators import InvalidInput, parse_resident_id, validate_phone
    from admin_app.workflow.registrations import REGISTER
    from models import Ethnicity, Registration, Trade, Worker

    problems: list[Problem] = []
    if not parsed.rows:
        return [], [Problem(parsed.header_row + 1, "", "没有需要导入的考生数据")]
    # The choices as the cells are read (clean_text), once for all rows.
    ethnicities = {clean_text(e) for e in db.session.scalars(sa.select(Ethnicity.name))}
    education_labels = {clean_text(e) for e in enums.EDUCATION_LABELS.values()}

    numbers = {}
    for row in parsed.rows:
        try:
            numbers[row.row] = parse_resident_id(clean_text(row.values.get("身份证号码"))).number
        except InvalidInput as exc:
            problems.append(Problem(row.row, "身份证号码", str(exc)))
    # One query for all ID numbers (in chunks), joined to the unit's registrations.
    found: dict = {}
    wanted = sorted(set(numbers.values()))
    for start in range(0, len(wanted), named_limits.CHUNK):
        chunk = wanted[start : start + named_limits.CHUNK]
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
    for checked, row in enumerate(parsed.rows):
        if report and checked and checked % named_limits.IMPORT_PROGRESS_EVERY == 0:
            report(checked, len(parsed.rows))
        # What a cell says on its own is checked on every row, whatever its ID number: every error of every row
        # is listed at once, not one more at each attempt.
        row_problems = _check_cells(row, ethnicities, education_labels)
        number, registration = numbers.get(row.row), None
        if number is None:
            pass  # its ID number's problem is listed above
        elif number in seen:
            row_problems.append(Problem(row.row, "身份证号码", f"与第{seen[number]}行重复"))
        else:
            seen[number] = row.row
            candidates = found.get(number, [])
            waiting = [c for c in candidates if c[0].status in REGISTER.sources]
            if waiting:
                registration, worker, trade_name = waiting[-1]
                row_problems += _check_against(row, worker, registration, trade_name)
            elif candidates:
                state = RegistrationState.label_of(candidates[-1][0].status)
                row_problems.append(
                    Problem(row.row, "身份证号码", f"该考生当前报名状态为“{state}”，不能再导入")
                )
            else:
                row_problems.append(
                    Problem(
                        row.row, "身份证号码", "本单位没有该身份证号码的待报名考生（须考试资格审核已通过）"
                    )
                )
        problems.extend(row_problems)
        if registration is not None and not row_problems:
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
    if report:
        report(len(parsed.rows), len(parsed.rows))
    return (entries if not problems else []), sheet_import.sorted_problems(problems, HEADERS)


def _check_cells(row, ethnicities, education_labels) -> list[Problem]:
    """The problems of the row's cells read on their own (a value that cannot be read, a choice not in the
    list), without the person the ID number names."""
    from admin_app.services.validators import InvalidInput, validate_phone

    v = row.values
    out = []

    def bad(column, message):
        out.append(Problem(row.row, column, message))

    if not clean_text(v.get("姓名")):
        bad("姓名", "请填写姓名")
    if clean_text(v.get("性别")) not in ("男", "女"):
        bad("性别", "性别应为“男”或“女”")
    try:
        read_birth(v.get("出生日期"))
    except InvalidInput as exc:
        bad("出生日期", str(exc))
    ethnicity = clean_text(v.get("民族"))
    if ethnicity and ethnicity not in ethnicities:
        bad("民族", "民族名称不正确，请从下拉列表选择")
    education = clean_text(v.get("学历"))
    if education and education not in education_labels:
        bad("学历", "学历不正确，请从下拉列表选择")
    try:
        parse_grade(v.get("报考等级"))
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
    if len(clean_text(v.get("备注"))) > named_limits.REMARKS:
        bad("备注", f"备注不能超过{named_limits.REMARKS}字")
    return out


def _check_against(row, worker, registration, trade_name) -> list[Problem]:
    """The problems of readable cells that disagree with the person the ID number names and their approved
    application. The 出生日期 is answered by the ID number: a month (1995年6月) agrees when it is the ID's
    month, a full date when it is the ID's day."""
    from admin_app.services.validators import InvalidInput

    v = row.values
    out = []

    def bad(column, message):
        out.append(Problem(row.row, column, message))

    name = clean_text(v.get("姓名")).replace(" ", "")
    if name and name != worker.name:
        bad("姓名", f"姓名与身份证号码对应的人员（{worker.name}）不一致")
    gender = clean_text(v.get("性别"))
    if gender in ("男", "女") and {"男": "M", "女": "F"}[gender] != worker.gender:
        bad("性别", "性别与身份证号码不一致")
    try:
        written = read_birth(v.get("出生日期"))
    except InvalidInput:
        written = []  # listed by _check_cells
    if written and not any(t.agrees_with(worker.birth_date) for t in written):
        bad("出生日期", birth_disagrees(worker.birth_date, month_only=all(t.day is None for t in written)))
    trade = clean_text(v.get("报考工种"))
    if trade != clean_text(trade_name):
        bad("报考工种", f"报考工种应为考试资格申请中的“{trade_name}”")
    try:
        if parse_grade(v.get("报考等级")) != registration.applied_grade:
            bad("报考等级", f"报考等级应为考试资格申请中的“{enums.GRADE_LABELS[registration.applied_grade]}”")
    except ValueError:
        pass  # listed by _check_cells
    return out


def prefill_rows(user) -> list[dict]:
    """The unit's candidates waiting for 报名, as 附表5 rows (phone from the worker record if any)."""
    import sqlalchemy as sa

    from admin_app.extensions import db
    from admin_app.workflow.registrations import REGISTER
    from models import Registration, Trade, Worker

    rows = db.session.execute(
        sa.select(Registration, Worker, Trade.name)
        .join(Worker, Worker.id == Registration.worker_id)
        .join(Trade, Trade.id == Registration.applied_trade_id)
        .where(
            Registration.unit_id == user.organisation_id,
            Registration.status.in_(tuple(REGISTER.sources)),
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
