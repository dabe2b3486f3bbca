"""The 成绩导入 files the platform writes: the template prefilled per batch, exam session or room, and the copy of
an upload with its problems marked. Reading and checking uploads is in ``score_import``."""

from decimal import Decimal

import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.services import sheet_import
from admin_app.services.score_import import ABSENT, HEADERS, ID_NUMBER, MISCONDUCT, REASON, REVIEW, TICKET
from admin_app.workflow.states import RegistrationState
from models import ExamBatch, ExamRoom, ExamSession, Registration, SeatAssignment, Worker, enums

TEMPLATE_SHEET = "成绩导入"
PROBLEM_HEADER = "错误说明"


def marked_copy(parsed, problems) -> bytes | None:
    """The upload's sheet with the problem cells marked and a last column 错误说明 (services/sheet_import)."""
    return sheet_import.marked_copy(parsed, problems, TEMPLATE_SHEET, PROBLEM_HEADER)


# --- who the template lists ------------------------------------------------------------------------------
def template_rows(batch_id=None, session_id=None, room_id=None) -> tuple[str, list[dict]] | None:
    """(title, rows keyed by header) of the template: a room's candidates in seat order, a session's room by
    room in seat order, or every 已报名 candidate of a batch in 准考证号 order; the scores and marks already
    entered are filled in (so a correction is a change of one cell). None when the batch, session or room does
    not exist."""
    seat = None
    if room_id is not None:
        room = db.session.get(ExamRoom, room_id)
        if room is None:
            return None
        title = f"{_batch_title(room.session.batch)} {room.session.name} {room.label}"
        seat = SeatAssignment.room_id == room.id
    elif session_id is not None:
        session = db.session.get(ExamSession, session_id)
        if session is None:
            return None
        title = f"{_batch_title(session.batch)} {session.name}"
        seat = SeatAssignment.session_id == session.id
    else:
        batch = db.session.get(ExamBatch, batch_id) if batch_id is not None else None
        if batch is None:
            return None
        title = _batch_title(batch)
    columns = (Registration, Worker.name, Worker.id_number)
    if seat is None:
        query = (
            sa.select(*columns, sa.null(), sa.null())
            .join(Worker, Worker.id == Registration.worker_id)
            .where(Registration.batch_id == batch.id)
            .order_by(Registration.ticket_number, Registration.id)
        )
    else:
        query = (
            sa.select(*columns, ExamRoom.number, SeatAssignment.seat_number)
            .join(Worker, Worker.id == Registration.worker_id)
            .join(SeatAssignment, SeatAssignment.registration_id == Registration.id)
            .join(ExamRoom, ExamRoom.id == SeatAssignment.room_id)
            .where(seat)
            .order_by(ExamRoom.number, SeatAssignment.seat_number)
        )
    query = query.where(
        Registration.status == RegistrationState.REGISTERED, Registration.ticket_number.is_not(None)
    )
    rows = [
        _row(n, registration, name, id_number, room, seat_number)
        for n, (registration, name, id_number, room, seat_number) in enumerate(db.session.execute(query), 1)
    ]
    return f"{title} 成绩登记", rows


def _batch_title(batch) -> str:
    return f"{batch.year}年度（{batch.doc_number}）"


def _score(value) -> str:
    return "" if value is None else format(Decimal(value).normalize(), "f")


def _row(n, registration, name, id_number, room, seat_number) -> dict:
    misconduct = registration.misconduct_reason
    return {
        "序号": str(n),
        TICKET: registration.ticket_number,
        "姓名": name,
        ID_NUMBER: id_number,
        "考场": f"第{room:02d}考场" if room else "",
        "座位号": f"{seat_number:02d}" if seat_number else "",
        "业务理论成绩": _score(registration.theory_score),
        "实际操作成绩": _score(registration.practice_score),
        REVIEW: _score(registration.review_score),
        ABSENT: "是" if registration.absent else "",
        MISCONDUCT: "是" if misconduct else "",
        REASON: misconduct or "",
        "_senior": registration.applied_grade in enums.SENIOR_GRADES,  # not written: for who fills it in
    }


# --- the template ------------------------------------------------------------------------------------------
WIDTHS = {"序号": 6, TICKET: 14, "姓名": 10, ID_NUMBER: 21, "考场": 10, "座位号": 7, REASON: 30}
SCORE_COLUMNS = ("业务理论成绩", "实际操作成绩", REVIEW)
IDENTIFYING = ("序号", TICKET, "姓名", ID_NUMBER, "考场", "座位号")
GUIDE = [
    "成绩导入模板 填写说明",
    "1. 每行一名考生；准考证号、姓名、身份证号须与考生一致（模板已预填，灰底，请勿修改），表头请勿修改。",
    "2. 成绩为0到100之间的数字，最多保留一位小数；综合评审成绩只有二级（技师）、一级（高级技师）填写，其他等级留空。",
    "3. 缺考：填“是”，不填成绩。违纪：填“是”并填写违纪原因，不填成绩（本次成绩作废）。",
    "4. 只要有一处错误，全部不导入；系统列出出错的行、列和原因，并可下载标出错误单元格、带“错误说明”列的副本。",
    "5. 已录入的成绩再次导入时：成绩或标记有变化的按“更正”记录（保留更正前后的值），没有变化的不做处理。",
    "6. 暂不导入的考生请删除该行；未填写成绩又未标记缺考、违纪的行会被列为错误。",
]


def write_template(path: str, title: str, rows: list[dict]) -> None:
    """The template: a title row, the headers, the listed candidates (identifying columns shaded), 缺考/违纪 as
    drop-downs (是), scores limited to 0–100, an instructions sheet."""
    import xlsxwriter

    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet(TEMPLATE_SHEET)
    guide = book.add_worksheet("填写说明")
    bold = book.add_format({"bold": True, "font_size": 12})
    header = book.add_format({"bold": True, "bg_color": "#FCE4D6", "border": 1, "align": "center"})
    # Column formats, and only the filled cells written: an empty cell costs nothing to read back.
    shaded = book.add_format({"num_format": "@", "bg_color": "#F2F2F2"})
    text = book.add_format({"num_format": "@"})
    number = book.add_format({"num_format": "0.0"})
    sheet.write_string(0, 0, title, bold)
    for col, name in enumerate(HEADERS):
        fmt = number if name in SCORE_COLUMNS else shaded if name in IDENTIFYING else text
        sheet.set_column(col, col, WIDTHS.get(name, 12), fmt)
        sheet.write_string(1, col, name, header)
    sheet.freeze_panes(2, 0)
    last = max(len(rows) + 1, 2)
    for r, values in enumerate(rows, start=2):
        for col, name in enumerate(HEADERS):
            value = values.get(name, "")
            if value and name in SCORE_COLUMNS:
                sheet.write_number(r, col, float(value))
            elif value:
                sheet.write_string(r, col, value)
    index = {name: i for i, name in enumerate(HEADERS)}
    for name in (ABSENT, MISCONDUCT):
        sheet.data_validation(2, index[name], last, index[name], {"validate": "list", "source": ["是"]})
    for name in SCORE_COLUMNS:
        sheet.data_validation(
            2,
            index[name],
            last,
            index[name],
            {
                "validate": "decimal",
                "criteria": "between",
                "minimum": 0,
                "maximum": 100,
                "error_message": "成绩应在0到100之间",
            },
        )
    guide.set_column(0, 0, 110)
    for r, line in enumerate(GUIDE):
        guide.write_string(r, 0, line)
    book.close()
