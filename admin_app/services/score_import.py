"""成绩导入 (市职鉴中心): the scores of one batch from a spreadsheet — rows matched by 准考证号, the name and ID
number checked against the ticket's candidate, all or nothing through the engine's 录入成绩 (``workflow/scores``
ENTER, which audits 录入, and 更正 with the values before and after).

Guarantees: the file is read within the limits of ``services/spreadsheets`` (bounded time and memory whatever
it holds; refused with a Chinese message before the rows are kept); every problem of every row is reported at
once with its row, column and a Chinese message, and then nothing is saved; otherwise every changed row is saved
in one transaction. A row whose scores and marks equal what is stored is left alone (no 更正 without a change).
缺考 is a mark (ScoreResult.ABSENT), 违纪 a mark with its reason (ScoreResult.MISCONDUCT, the scores cancelled).
The template and the marked copy are written by ``score_sheets``.
"""

from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa

from admin_app import limits as named_limits
from admin_app.actor import Actor
from admin_app.extensions import db
from admin_app.services import sheet_import
from admin_app.services.sheet_import import ImportRefused, ParsedFile, Problem, clean_text
from admin_app.services.spreadsheets import SheetLimits
from admin_app.services.validators import InvalidInput
from admin_app.workflow import engine
from admin_app.workflow.score_values import ScoreEntry, misconduct_reason, parse_score
from admin_app.workflow.scores import ENTER, enter_scores
from models import ExamBatch, Registration, Worker, enums

__all__ = ["ImportRefused", "ImportResult", "import_scores", "read_file"]

TICKET, NAME, ID_NUMBER = "准考证号", "姓名", "身份证号"
THEORY, PRACTICE, REVIEW = "业务理论成绩", "实际操作成绩", "综合评审成绩"
ABSENT, MISCONDUCT, REASON = "缺考", "违纪", "违纪原因"
SCORES = (THEORY, PRACTICE, REVIEW)
# The template's columns in order; 序号, 考场 and 座位号 only help the centre find the row.
HEADERS = ("序号", TICKET, NAME, ID_NUMBER, "考场", "座位号", *SCORES, ABSENT, MISCONDUCT, REASON)
LAYOUT = sheet_import.Layout(
    headers=HEADERS,
    required=frozenset({TICKET, NAME, ID_NUMBER, THEORY, PRACTICE}),
    not_found="没有找到包含“准考证号、姓名、身份证号、业务理论成绩、实际操作成绩”表头的工作表，请使用成绩导入模板",
    aliases={
        "身份证号码": ID_NUMBER,
        "理论成绩": THEORY,
        "业务理论": THEORY,
        "实操成绩": PRACTICE,
        "实际操作": PRACTICE,
        "综合评审": REVIEW,
        "座号": "座位号",
    },
    note_columns=frozenset({"序号", "考场", "座位号"}),
)
MARKS = {"是": True, "Y": True, "√": True, "否": False, "": False}


@dataclass
class ImportResult:
    """What an import did: the problems (then nothing was saved), else how many rows were entered for the first
    time, corrected, or left alone because nothing changed."""

    problems: list = field(default_factory=list)
    entered: int = 0
    corrected: int = 0
    unchanged: int = 0


def read_file(data: bytes, limits: SheetLimits | None = None) -> ParsedFile:
    """The first sheet holding the score headers, within ``limits``; raises ImportRefused (Chinese)."""
    return sheet_import.read_table(data, LAYOUT, limits)


def import_scores(actor, batch_id: int, parsed: ParsedFile, report=None) -> ImportResult:
    """Check every row of ``parsed`` for the batch ``batch_id``, then enter the changed rows all or nothing.

    Any problem — a cell that cannot be read, a ticket unknown, of another batch or twice in the file, a name
    or ID number not the ticket's, scores missing or where there should be none, a row the engine refuses (not
    registered, 考核评审 or 资格认定 decided, batch archived, changed meanwhile) — is returned with its row and
    column, and nothing is saved. Raises InvalidInput when the actor may not enter scores. ``report(rows checked,
    rows)``, if given, is called every ``IMPORT_PROGRESS_EVERY`` rows checked and
    after the last (a background import's progress; the caller reports the start: no database write happens here)."""
    if Actor.of(actor).role not in ENTER.roles:
        raise InvalidInput("只有市职鉴中心可以导入成绩")
    if not parsed.rows:
        return ImportResult([Problem(parsed.header_row + 1, "", "没有需要导入的成绩数据")])
    batch = db.session.get(ExamBatch, batch_id)
    if batch is None:
        raise InvalidInput("请选择考核批次")
    found = _registrations(parsed)
    problems, entries, rows_of, unchanged, corrected = [], {}, {}, 0, 0
    seen: dict = {}
    for checked, row in enumerate(parsed.rows):
        if report and checked and checked % named_limits.IMPORT_PROGRESS_EVERY == 0:
            report(checked, len(parsed.rows))
        entry, row_problems = _read_row(row, batch, found, seen)
        problems += row_problems
        if entry is None or row_problems:
            continue
        registration = found[ticket_of(row)]
        if _same_as_stored(entry, registration):
            unchanged += 1
            continue
        corrected += registration.scores_entered_at is not None
        entries[registration.id] = entry
        rows_of[registration.id] = row.row
    if report:
        report(len(parsed.rows), len(parsed.rows))
    if problems:
        # The rows that read well are asked of the engine too (nothing changes): every problem at once.
        refused = engine.check(actor, ENTER, list(entries), entries=entries).refused
        problems += [Problem(rows_of[i], TICKET, reason) for i, _label, reason in refused]
        return ImportResult(sheet_import.sorted_problems(problems, HEADERS))
    if entries:
        refused = enter_scores(actor, list(entries.values()))
        if refused:
            problems = [Problem(rows_of[i], TICKET, reason) for i, reason in refused.items()]
            return ImportResult(sheet_import.sorted_problems(problems, HEADERS))
    return ImportResult([], len(entries) - corrected, corrected, unchanged)


def ticket_of(row) -> str:
    """The row's 准考证号 as typed, spaces removed."""
    return clean_text(row.values.get(TICKET)).replace(" ", "").upper()


# What a row is checked against: the ticket's candidate and what is stored (plain rows, no ORM objects: a
# 10,000-row file would otherwise build and then expire 20,000 of them).
STORED = (
    Registration.id,
    Registration.batch_id,
    Registration.ticket_number,
    Registration.applied_grade,
    Registration.score_result,
    Registration.theory_score,
    Registration.practice_score,
    Registration.review_score,
    Registration.absent,
    Registration.misconduct_reason,
    Registration.scores_entered_at,
    Worker.name.label("worker_name"),
    Worker.id_number.label("worker_id_number"),
)


def _registrations(parsed: ParsedFile) -> dict:
    """{准考证号: stored row} of every ticket in the file, whatever its batch (chunked queries)."""
    wanted = sorted({t for t in map(ticket_of, parsed.rows) if t})
    found = {}
    for start in range(0, len(wanted), named_limits.CHUNK):
        chunk = wanted[start : start + named_limits.CHUNK]
        query = (
            sa.select(*STORED)
            .join(Worker, Worker.id == Registration.worker_id)
            .where(Registration.ticket_number.in_(chunk))
        )
        for stored in db.session.execute(query):
            found[stored.ticket_number] = stored
    return found


def _read_row(row, batch, found: dict, seen: dict) -> tuple:
    """(the ScoreEntry or None, the row's problems): every cell read on its own, then against the ticket."""
    v, out = row.values, []

    def bad(column, message):
        out.append(Problem(row.row, column, message))

    ticket, registration, known = ticket_of(row), None, None
    if not ticket:
        bad(TICKET, "请填写准考证号")
    elif ticket in seen:
        bad(TICKET, f"与第{seen[ticket]}行的准考证号重复")
    elif ticket not in found:
        bad(TICKET, "没有该准考证号的考生")
    else:
        seen[ticket] = row.row
        registration = known = found[ticket]
        if registration.batch_id != batch.id:
            bad(
                TICKET,
                f"该准考证号属于其他考核批次（{_batch_name(registration.batch_id)}），不是本次导入的批次",
            )
            registration = None
    name = clean_text(v.get(NAME)).replace(" ", "")
    id_number = clean_text(v.get(ID_NUMBER)).replace(" ", "").upper()
    if not name:
        bad(NAME, "请填写姓名")
    elif known is not None and name != known.worker_name:
        bad(NAME, f"姓名与准考证号对应的考生（{known.worker_name}）不一致")
    if not id_number:
        bad(ID_NUMBER, "请填写身份证号")
    elif known is not None and id_number != known.worker_id_number:
        bad(ID_NUMBER, "身份证号与准考证号对应的考生不一致")
    marks = {}
    for column in (ABSENT, MISCONDUCT):
        text = clean_text(v.get(column))
        if text not in MARKS:
            bad(column, f"{column}应填“是”或留空")
        marks[column] = MARKS.get(text, False)
    typed = {column: clean_text(v.get(column)) for column in SCORES}
    for column in SCORES:
        try:
            parse_score(typed[column], column)
        except InvalidInput as exc:
            bad(column, str(exc))
    try:
        reason = misconduct_reason(clean_text(v.get(REASON)))
    except InvalidInput as exc:
        bad(REASON, str(exc))
        reason = "?"
    out += _marks_and_scores(row.row, marks, reason, typed, registration)
    if registration is None or out:
        return None, out
    return ScoreEntry(
        registration.id,
        typed[THEORY] or None,
        typed[PRACTICE] or None,
        typed[REVIEW] or None,
        marks[ABSENT],
        reason if marks[MISCONDUCT] else None,
    ), out


def _batch_name(batch_id) -> str:
    batch = db.session.get(ExamBatch, batch_id)
    return f"{batch.year}年度" if batch else ""


def _marks_and_scores(number: int, marks: dict, reason, typed: dict, registration) -> list[Problem]:
    """What the marks ask of the scores: 缺考 or 违纪 without scores, 违纪 with a reason, else the scores the
    grade has (综合评审 only for 技师/高级技师, when the ticket is known)."""
    out = []
    absent, misconduct = marks[ABSENT], marks[MISCONDUCT]
    if absent and misconduct:
        out.append(Problem(number, MISCONDUCT, "不能同时标记缺考和违纪"))
    if misconduct and not reason:
        out.append(Problem(number, REASON, "标记违纪须填写违纪原因"))
    if reason and not misconduct:
        out.append(Problem(number, MISCONDUCT, "填写了违纪原因，违纪列应填“是”"))
    for column in SCORES:
        if typed[column] and absent:
            out.append(Problem(number, column, "已标记缺考，不应填写成绩"))
        elif typed[column] and misconduct:
            out.append(Problem(number, column, "已标记违纪（本次成绩作废），不应填写成绩"))
    if absent or misconduct:
        return out
    for column in (THEORY, PRACTICE):
        if not typed[column]:
            out.append(
                Problem(number, column, f"请填写{column}，或标记缺考、违纪（暂不导入的考生请删除该行）")
            )
    if registration is not None:
        senior = registration.applied_grade in enums.SENIOR_GRADES
        if senior and not typed[REVIEW]:
            out.append(Problem(number, REVIEW, "技师、高级技师须填写综合评审成绩"))
        if not senior and typed[REVIEW]:
            out.append(Problem(number, REVIEW, "初级工、中级工、高级工没有综合评审成绩，请留空"))
    return out


def _same_as_stored(entry: ScoreEntry, registration) -> bool:
    """Whether the entry says exactly what is stored (an entered row with the same scores and marks)."""
    if registration.score_result is None:
        return False

    def number(text):
        return None if text is None else Decimal(parse_score(text, ""))

    def stored(value):
        return None if value is None else Decimal(value).quantize(Decimal("0.1"))

    return (
        number(entry.theory) == stored(registration.theory_score)
        and number(entry.practice) == stored(registration.practice_score)
        and number(entry.review) == stored(registration.review_score)
        and bool(entry.absent) == bool(registration.absent)
        and (entry.misconduct or None) == (registration.misconduct_reason or None)
    )
