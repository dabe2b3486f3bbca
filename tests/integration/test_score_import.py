"""成绩导入 by 市职鉴中心 (issue 17 point 3), on both databases: a good file saves every row with its audit, one
bad row saves nothing and is reported by row and column with a marked copy, 缺考 and 违纪 as marks, a changed
score on re-import is a 更正, templates prefilled per batch, session and room, only the centre, CSRF."""

import io
import json
import re
from datetime import date, time

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from admin_app.extensions import db
from admin_app.services import score_import, uploads
from admin_app.workflow.states import (
    ApplicationState,
    EvaluationState,
    ExamKind,
    RegistrationState,
    ScoreResult,
)
from models import AuditLog, ExamRoom, ExamSession, Registration, SeatAssignment, enums
from tests.conftest import login, snapshot_database, text_of
from tests.factories import add_application, add_batch, add_registration, add_worker
from tests.integration.test_file_serving import assert_served_as

HEADER = [
    "准考证号",
    "姓名",
    "身份证号",
    "业务理论成绩",
    "实际操作成绩",
    "综合评审成绩",
    "缺考",
    "违纪",
    "违纪原因",
]
URL = "/scores/score-import/"


def candidate(world, n: int, grade: int = 4, batch=None) -> Registration:
    """A 已报名 candidate of unit A with a 准考证号 (built directly: the pipeline is tested elsewhere)."""
    batch = batch or world.batch
    worker = add_worker(world.units["A"], f"导入考生{n}", 600 + n, world.trade, world.batch)
    db.session.flush()
    app = add_application(world, worker, grade=grade, status=ApplicationState.APPROVED, batch=batch)
    reg = add_registration(app)
    reg.status = RegistrationState.REGISTERED
    reg.ticket_number = f"{batch.year}{grade}{reg.id:06d}"
    db.session.commit()
    return reg


@pytest.fixture
def four(world):
    """Three junior candidates and one 技师 (grade 2) of the world's batch."""
    return [candidate(world, 1), candidate(world, 2), candidate(world, 3), candidate(world, 4, grade=2)]


def row(reg, theory="", practice="", review="", absent="", misconduct="", reason="", **changes):
    values = {
        "准考证号": reg.ticket_number,
        "姓名": reg.worker.name,
        "身份证号": reg.worker.id_number,
        "业务理论成绩": theory,
        "实际操作成绩": practice,
        "综合评审成绩": review,
        "缺考": absent,
        "违纪": misconduct,
        "违纪原因": reason,
    }
    values.update(changes)
    return values


def xlsx(rows, header=HEADER, title="2021年度 成绩登记") -> bytes:
    book = Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
    sheet.append(header)
    for r in rows:
        sheet.append([r.get(h, "") for h in header])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def post(client, data: bytes, batch_id, name="成绩.xlsx"):
    return client.post(
        URL,
        data={"batch": str(batch_id), "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def state(reg_id):
    db.session.expire_all()
    return db.session.get(Registration, reg_id)


def audits(reg_id) -> list[AuditLog]:
    return list(
        db.session.scalars(
            sa.select(AuditLog)
            .where(AuditLog.object_type == "Registration", AuditLog.object_id == str(reg_id))
            .where(AuditLog.action.in_(("scores_entered", "scores_corrected")))
            .order_by(AuditLog.id)
        )
    )


def good_rows(four):
    a, b, c, d = four
    return [
        row(a, 85, 90),
        row(b, absent="是"),
        row(c, misconduct="是", reason="携带手机进入考场"),
        row(d, 70, "80.5", 75),
    ]


def test_a_good_file_saves_every_row_with_its_marks_and_audit(client, world, four):
    login(client, "center")
    page = text_of(post(client, xlsx(good_rows(four)), world.batch.id))
    assert "新录入 4 人，更正 0 人，未变化 0 人" in page, page[-2000:]
    a, b, c, d = (state(r.id) for r in four)
    assert (a.score_result, float(a.theory_score), float(a.practice_score)) == (ScoreResult.PASS, 85, 90)
    assert b.score_result == ScoreResult.ABSENT and b.absent and b.theory_score is None
    assert c.score_result == ScoreResult.MISCONDUCT and c.misconduct_reason == "携带手机进入考场"
    assert c.misconduct_at is not None and c.theory_score is None
    assert d.score_result == ScoreResult.PASS and float(d.review_score) == 75
    assert d.evaluation_status == EvaluationState.PENDING  # a 技师's pass opens 考核评审
    for reg in four:
        entered = audits(reg.id)
        assert [e.action for e in entered] == ["scores_entered"], reg.id
        assert entered[0].user_id == world.users[enums.CENTER].id


def test_one_bad_row_saves_nothing_and_names_row_and_column(client, world, four):
    rows = good_rows(four)
    rows[3] = row(four[3], 70, "80.55", 75)  # sheet row 6 (title, header, then rows 3–6)
    login(client, "center")
    before = snapshot_database()
    page = text_of(post(client, xlsx(rows), world.batch.id))
    assert "共发现 1 处问题，未导入任何成绩" in page
    assert "<td>6</td><td>实际操作成绩</td><td>实际操作成绩最多保留一位小数</td>" in page
    assert snapshot_database() == before
    assert all(state(r.id).score_result is None for r in four)
    # The marked copy: the uploaded rows, the bad cell red with its message, a 错误说明 column.
    token = re.search(r"score-import/report\.xlsx\?token=([0-9a-f]+)", page).group(1)
    response = client.get("/scores/score-import/report.xlsx", query_string={"token": token})
    assert_served_as(response, uploads.XLSX_TYPE, "attachment", "xlsx", response.data)
    assert response.data[:2] == b"PK"
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert [c.value for c in sheet[2]] == [*HEADER, "错误说明"]
    assert sheet["A6"].value == four[3].ticket_number and sheet["E6"].value == "80.55"
    assert sheet["E6"].fill.fgColor.rgb.endswith("FFC7CE") and "一位小数" in sheet["E6"].comment.text
    assert sheet["J6"].value == "实际操作成绩：实际操作成绩最多保留一位小数"
    assert sheet["D3"].fill.fgColor.rgb in (None, "00000000") and sheet["J3"].value is None
    # Only its uploader gets it.
    login(client, "office")
    assert client.get("/scores/score-import/report.xlsx", query_string={"token": token}).status_code == 403


def test_every_kind_of_problem_is_listed_at_once(world, four):
    a, b, c, d = four
    other_batch = add_batch(2020)
    other = candidate(world, 9, batch=other_batch)
    decided = candidate(world, 8, grade=2)
    decided.score_result, decided.scores_entered_at = (
        ScoreResult.PASS,
        decided.registered_at or date(2021, 9, 1),
    )
    decided.theory_score, decided.practice_score, decided.review_score = 80, 80, 80
    decided.evaluation_status = EvaluationState.PASSED
    db.session.commit()
    rows = [
        row(a, "八十", 101, 50),  # 3: not a number, out of range, 综合评审 for a junior grade
        row(b, 60, 60, 姓名="别人", 身份证号="500103197503010011"),  # 4: name and ID not the ticket's
        row(c, 60, "", absent=""),  # 5: 实际操作 missing
        row(d, 60, 60),  # 6: a 技师 without 综合评审
        row(a, 60, 60),  # 7: the same ticket again
        row(other, 60, 60),  # 8: another batch
        {**row(a, 60, 60), "准考证号": "20219999999"},  # 9: unknown ticket
        row(b, 60, absent="是"),  # 10: 缺考 with scores
        row(c, misconduct="是"),  # 11: 违纪 without a reason
        row(c, 60, 60, reason="作弊"),  # 12: a reason without 违纪 (and c twice)
        row(decided, 70, 70, 70),  # 13: 考核评审 decided: the engine refuses
        row(b, absent="也许"),  # 14: a mark that is neither 是 nor empty
    ]
    parsed = score_import.read_file(xlsx(rows))
    found = {
        (p.row, p.column, p.message)
        for p in score_import.import_scores(world.users[enums.CENTER], world.batch.id, parsed).problems
    }
    expected = {
        (3, "业务理论成绩", "业务理论成绩应为数字"),
        (3, "实际操作成绩", "实际操作成绩应在0到100之间"),
        (3, "综合评审成绩", "初级工、中级工、高级工没有综合评审成绩，请留空"),
        (4, "姓名", f"姓名与准考证号对应的考生（{b.worker.name}）不一致"),
        (4, "身份证号", "身份证号与准考证号对应的考生不一致"),
        (5, "实际操作成绩", "请填写实际操作成绩，或标记缺考、违纪（暂不导入的考生请删除该行）"),
        (6, "综合评审成绩", "技师、高级技师须填写综合评审成绩"),
        (7, "准考证号", "与第3行的准考证号重复"),
        (8, "准考证号", "该准考证号属于其他考核批次（2020年度），不是本次导入的批次"),
        (9, "准考证号", "没有该准考证号的考生"),
        (10, "业务理论成绩", "已标记缺考，不应填写成绩"),
        (11, "违纪原因", "标记违纪须填写违纪原因"),
        (12, "准考证号", "与第5行的准考证号重复"),
        (12, "违纪", "填写了违纪原因，违纪列应填“是”"),
        (13, "准考证号", "考核评审或资格认定已开始，成绩不能再修改"),
        (14, "缺考", "缺考应填“是”或留空"),
    }
    assert expected <= found, sorted(expected - found)
    assert all(state(r.id).score_result is None for r in four)


def test_a_changed_score_on_reimport_is_a_correction_and_the_rest_stay(client, world, four):
    login(client, "center")
    assert "新录入 4 人" in text_of(post(client, xlsx(good_rows(four)), world.batch.id))
    rows = good_rows(four)
    rows[0] = row(four[0], 55, 90)  # 85 → 55: now 不合格
    rows[1] = row(four[1], 66, 77)  # 缺考 → scores
    page = text_of(post(client, xlsx(rows), world.batch.id))
    assert "新录入 0 人，更正 2 人，未变化 2 人" in page
    corrected = audits(four[0].id)
    assert [e.action for e in corrected] == ["scores_entered", "scores_corrected"]
    detail = json.loads(corrected[-1].detail)
    assert detail["before"]["theory"] in ("85.0", "85") and detail["after"]["theory"] == "55.0"
    assert detail["after"]["result"] == ScoreResult.FAIL
    assert state(four[0].id).score_result == ScoreResult.FAIL
    assert state(four[1].id).score_result == ScoreResult.PASS
    assert [e.action for e in audits(four[2].id)] == ["scores_entered"]  # unchanged: no 更正


def _arranged(world, regs):
    session = ExamSession(
        batch_id=world.batch.id,
        name="理论考试第一场",
        kind=ExamKind.THEORY,
        exam_date=date(2021, 10, 9),
        start_time=time(9),
        end_time=time(11),
        site="市职鉴中心",
        address="渝中区",
    )
    rooms = [ExamRoom(number=n, location=f"{n}0{n}室", capacity=30) for n in (1, 2)]
    session.rooms = rooms
    db.session.add(session)
    db.session.flush()
    # Room 2 gets the first two, in reverse seat order; room 1 the third.
    for reg, room, seat in ((regs[0], rooms[1], 2), (regs[1], rooms[1], 1), (regs[2], rooms[0], 1)):
        db.session.add(
            SeatAssignment(session_id=session.id, room_id=room.id, registration_id=reg.id, seat_number=seat)
        )
    db.session.commit()
    return session, rooms


def _template(client, **args) -> list[tuple]:
    response = client.get("/scores/score-template.xlsx", query_string=args)
    assert response.status_code == 200 and response.data[:2] == b"PK", response.status_code
    sheet = load_workbook(io.BytesIO(response.data))["成绩导入"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:4] == ("序号", "准考证号", "姓名", "身份证号")
    return rows[2:]


def test_templates_are_prefilled_per_batch_session_and_room(client, world, four):
    session, rooms = _arranged(world, four)
    login(client, "center")
    by_batch = _template(client, batch=world.batch.id)
    tickets = sorted(
        r.ticket_number
        for r in db.session.scalars(
            sa.select(Registration).where(
                Registration.batch_id == world.batch.id, Registration.status == RegistrationState.REGISTERED
            )
        )
    )
    assert [r[1] for r in by_batch] == tickets
    by_session = _template(client, session=session.id)
    assert [(r[1], r[2], r[3], r[4], r[5]) for r in by_session] == [
        (four[2].ticket_number, four[2].worker.name, four[2].worker.id_number, "第01考场", "01"),
        (four[1].ticket_number, four[1].worker.name, four[1].worker.id_number, "第02考场", "01"),
        (four[0].ticket_number, four[0].worker.name, four[0].worker.id_number, "第02考场", "02"),
    ]
    by_room = _template(client, room=rooms[1].id)
    assert [r[1] for r in by_room] == [four[1].ticket_number, four[0].ticket_number]
    assert client.get("/scores/score-template.xlsx", query_string={"room": 999999}).status_code == 404


def test_a_filled_template_imports_back(client, world, four):
    session, rooms = _arranged(world, four)
    login(client, "center")
    response = client.get("/scores/score-template.xlsx", query_string={"room": rooms[1].id})
    book = load_workbook(io.BytesIO(response.data))
    sheet = book["成绩导入"]
    sheet["G3"], sheet["H3"], sheet["G4"], sheet["H4"] = 61, 62.5, 88, 99
    out = io.BytesIO()
    book.save(out)
    assert "新录入 2 人" in text_of(post(client, out.getvalue(), world.batch.id))
    assert float(state(four[1].id).practice_score) == 62.5 and float(state(four[0].id).practice_score) == 99
    # Downloaded again, it holds the scores: imported back unchanged it changes nothing.
    again = client.get("/scores/score-template.xlsx", query_string={"room": rooms[1].id}).data
    assert "新录入 0 人，更正 0 人，未变化 2 人" in text_of(post(client, again, world.batch.id))


@pytest.mark.parametrize("role", [enums.UNIT, enums.DISTRICT_HR, enums.OFFICE, enums.CITY_HR])
def test_only_the_centre_imports(client, world, four, role):
    login(client, world.users[role].username)
    before = snapshot_database()
    assert client.get(URL).status_code == 403
    assert (
        client.get("/scores/score-template.xlsx", query_string={"batch": world.batch.id}).status_code == 403
    )
    assert post(client, xlsx(good_rows(four)), world.batch.id).status_code == 403
    assert snapshot_database() == before


def test_an_import_without_the_csrf_token_is_refused(app, client, world, four):
    login(client, "center")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = post(client, xlsx(good_rows(four)), world.batch.id)
        assert response.status_code == 400 and "CSRF" in text_of(response)
        assert state(four[0].id).score_result is None
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(URL).get_data(as_text=True)).group(
            1
        )
        response = client.post(
            URL,
            data={
                "batch": str(world.batch.id),
                "csrf_token": token,
                "file": (io.BytesIO(xlsx(good_rows(four))), "x.xlsx"),
            },
            content_type="multipart/form-data",
        )
        assert "新录入 4 人" in text_of(response)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_hostile_files_are_refused_with_a_chinese_message_in_bounded_time(client, world, four):
    """The hostile spreadsheets of the import limits (their header is 附表5's): each is refused by a limit
    before any row is kept, or — when the limit would only be met further down — by the header search, which
    stops after ``header_rows`` rows; never a 500, nothing saved."""
    import time as clock

    from tests.hostile_spreadsheets import ATTACKS

    login(client, "center")
    before = snapshot_database()
    for name, (build, message) in ATTACKS.items():
        data = build()
        started = clock.perf_counter()
        response = post(client, data, world.batch.id)
        elapsed = clock.perf_counter() - started
        body = text_of(response)
        assert response.status_code == 200, name
        assert "未导入任何成绩" in body, name
        assert message in body or "没有找到包含“准考证号" in body, (name, body[-800:])
        assert elapsed < 10, (name, elapsed)
    assert snapshot_database() == before
