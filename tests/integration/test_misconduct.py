"""违纪 (notice §2(三), §4(三)): the centre marks a candidate 违纪 with the reason (标记违纪, or a 违纪 mark in 录入成绩);
this exam's scores are cancelled and count as not passed; the person may not apply in the next batch (rule
R11, from the registrations); the 违纪通报 list is scoped and exported; 统计分析 counts them."""

import io
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from admin_app import workflow
from admin_app.extensions import db
from admin_app.services import applications as app_facts
from admin_app.services import clock, registration_forms, statistics
from admin_app.services.validators import InvalidInput
from admin_app.workflow.states import (
    ApplicationState,
    BatchState,
    RecognitionState,
    RegistrationState,
    ScorePublication,
    ScoreResult,
)
from models import Application, AuditLog, Notification, PostSetting, Registration, enums
from tests import factories
from tests.conftest import login

MARK = workflow.MACHINES["scores"].transitions["mark_misconduct"]
REASON = "理论考试携带手机"


def _registered(world, key="A", seq=500, grade=4, published=True) -> Registration:
    """A new 已报名 candidate of unit ``key`` in the world's batch (2021)."""
    worker = factories.add_worker(world.units[key], f"{key}违纪{seq}", seq, world.trade, world.batch)
    db.session.flush()
    app = factories.add_application(world, worker, grade=grade, status=ApplicationState.APPROVED)
    reg = factories.add_registration(app)
    reg.status, reg.ticket_number = RegistrationState.REGISTERED, f"20214{reg.id:06d}"
    if published:
        reg.score_publication, reg.scores_published_at = ScorePublication.PUBLISHED, clock.now()
    db.session.commit()
    return reg


def _enter(world, reg, *scores, misconduct=None, absent=False):
    theory, practice = scores or (None, None)
    entry = workflow.ScoreEntry(reg.id, theory, practice, None, absent, misconduct)
    return workflow.enter_scores(world.users[enums.CENTER], [entry])


def _reload(reg) -> Registration:
    db.session.expire_all()
    return db.session.get(Registration, reg.id)


def _audits(reg, action) -> list[AuditLog]:
    return db.session.scalars(
        sa.select(AuditLog).where(AuditLog.object_id == str(reg.id), AuditLog.action == action)
    ).all()


def _messages(unit) -> list[Notification]:
    return db.session.scalars(
        sa.select(Notification).where(Notification.organisation_id == unit.id).order_by(Notification.id)
    ).all()


# --- 标记违纪 --------------------------------------------------------------------------------------------
def test_marking_misconduct_cancels_the_scores_closes_recognition_and_tells_the_unit(world):
    reg = _registered(world)
    assert _enter(world, reg, "80", "85") == {}
    assert _reload(reg).recognition_status == RecognitionState.PENDING  # a pass opened 资格认定

    result = workflow.apply(world.users[enums.CENTER], MARK, [reg.id], opinion=REASON)

    assert [row_id for row_id, _ in result.done] == [reg.id] and not result.refused
    reg = _reload(reg)
    assert reg.score_result == ScoreResult.MISCONDUCT
    assert (reg.theory_score, reg.practice_score, reg.review_score, reg.absent) == (None, None, None, False)
    assert reg.misconduct_reason == REASON and reg.misconduct_at is not None
    assert reg.recognition_status is None and reg.evaluation_status is None
    (entry,) = _audits(reg, "misconduct_marked")
    assert entry.opinion == REASON and entry.to_state == ScoreResult.MISCONDUCT
    detail = json.loads(entry.detail)
    assert detail["before"]["theory"] == "80.0" and detail["before"]["result"] == ScoreResult.PASS
    assert detail["after"] == {"result": ScoreResult.MISCONDUCT, "misconduct": REASON}
    last = _messages(world.units["A"])[-1]
    assert last.kind == "misconduct" and REASON in last.body and "成绩无效" in last.body
    # 资格认定 refuses it: the row is no longer 待认定
    refused = workflow.recognise(world.users[enums.OFFICE], [reg.id])
    assert not refused.done


def test_a_misconduct_on_unpublished_scores_is_not_told_before_publication(world):
    reg = _registered(world, published=False)
    before = len(_messages(world.units["A"]))
    assert workflow.apply(world.users[enums.CENTER], MARK, [reg.id], opinion=REASON).done
    assert len(_messages(world.units["A"])) == before


def test_marking_is_refused_once_evaluation_is_decided_or_before_registration(world):
    decided = world.registrations["B"]  # 评审通过, 待认定
    unregistered = world.registrations["A"]  # 未报名
    result = workflow.apply(world.users[enums.CENTER], MARK, [decided.id, unregistered.id], opinion=REASON)
    reasons = {row_id: reason for row_id, _label, reason in result.refused}
    assert not result.done
    assert reasons[decided.id] == "考核评审或资格认定已开始，成绩不能再修改"
    assert reasons[unregistered.id] == "尚未完成报名（缴费确认），不能录入成绩"
    assert _reload(decided).score_result == ScoreResult.PASS and _reload(decided).misconduct_reason is None


def test_marking_needs_a_reason_within_the_limit_and_the_centre(world):
    reg = _registered(world)
    with pytest.raises(InvalidInput, match="^标记违纪须填写违纪原因$"):
        workflow.apply(world.users[enums.CENTER], MARK, [reg.id], opinion="  ")
    with pytest.raises(InvalidInput, match="^违纪原因不能超过200字$"):
        workflow.apply(world.users[enums.CENTER], MARK, [reg.id], opinion="违" * 201)
    office = workflow.apply(world.users[enums.OFFICE], MARK, [reg.id], opinion=REASON)
    assert office.refused == [(reg.id, "", "无权标记违纪")]
    assert _reload(reg).score_result is None and not _audits(reg, "misconduct_marked")


def test_a_marked_row_is_not_marked_again_and_a_correction_clears_the_reason(world):
    reg = _registered(world)
    assert workflow.apply(world.users[enums.CENTER], MARK, [reg.id], opinion=REASON).done
    again = workflow.apply(world.users[enums.CENTER], MARK, [reg.id], opinion="再次")
    assert again.refused[0][2] == "当前状态为“违纪”，不能标记违纪"

    assert _enter(world, reg, "70", "75") == {}
    reg = _reload(reg)
    assert (
        reg.score_result == ScoreResult.PASS and reg.misconduct_reason is None and reg.misconduct_at is None
    )
    (corrected,) = _audits(reg, "scores_corrected")
    detail = json.loads(corrected.detail)
    assert detail["before"]["misconduct"] == REASON and detail["before"]["result"] == ScoreResult.MISCONDUCT
    assert "misconduct" not in detail["after"]


# --- the 违纪 mark of 录入成绩 (the import's path) --------------------------------------------------------
def test_entering_a_misconduct_mark_cancels_the_scores_typed_with_it(world):
    reg = _registered(world)
    assert _enter(world, reg, "90", "95", misconduct=f"  {REASON}  ") == {}
    reg = _reload(reg)
    assert reg.score_result == ScoreResult.MISCONDUCT
    assert (reg.theory_score, reg.practice_score, reg.absent) == (None, None, False)
    assert reg.misconduct_reason == REASON and reg.recognition_status is None
    (entry,) = _audits(reg, "scores_entered")
    assert json.loads(entry.detail)["after"]["misconduct"] == REASON
    assert _messages(world.units["A"])[-1].kind == "misconduct"


def test_a_misconduct_mark_too_long_or_with_absent_is_refused_and_nothing_changes(world):
    reg, other = _registered(world), _registered(world, seq=501)
    too_long = [
        workflow.ScoreEntry(other.id, "80", "80", None, False),
        workflow.ScoreEntry(reg.id, None, None, None, False, "违" * 201),
    ]
    assert workflow.enter_scores(world.users[enums.CENTER], too_long) == {reg.id: "违纪原因不能超过200字"}
    assert _enter(world, reg, absent=True, misconduct=REASON) == {reg.id: "不能同时标记缺考和违纪"}
    assert _reload(reg).score_result is None and _reload(other).score_result is None


# --- not passed everywhere: 登记表, 统计分析 ----------------------------------------------------------------
def test_the_registration_form_says_the_scores_are_void(world):
    reg = _registered(world)
    assert _enter(world, reg, misconduct=REASON) == {}
    form = registration_forms.form_of(db.session.get(Application, reg.application_id))
    assert form.center.text == "考生违纪，成绩无效。"
    assert (form.scores.theory, form.scores.practice) == ("违纪", "违纪")


def test_statistics_count_misconduct_per_district_and_as_not_passed(world):
    a1, a2, b = _registered(world), _registered(world, seq=501), _registered(world, "B", seq=502)
    hidden = _registered(world, "A", seq=503, published=False)
    for reg in (a1, a2, b, hidden):
        assert workflow.apply(world.users[enums.CENTER], MARK, [reg.id], opinion=REASON).done

    def table(user, key):
        tables = statistics.batch_tables(db.session, user, world.batch.id)
        return {row[0]: row[1:] for row in next(t for t in tables if t.key == key).rows}

    office = table(world.users[enums.OFFICE], "misconduct")
    assert office == {"渝中区": [3], "沙坪坝区": [1], "合计": [4]}
    # the 渝中区 bureau: its own 区县, published results only
    assert table(world.users[enums.DISTRICT_HR], "misconduct") == {"渝中区": [2], "合计": [2]}
    stages = table(world.users[enums.OFFICE], "pass_rates")
    # decided: the 4 marked (not passed) and the world's 乙考生 (passed)
    assert stages["考试（理论、实作）"][:3] == [5, 1, 4]


# --- R11: the next batch refuses, the one after does not ------------------------------------------------
def _next_batch(world, year):
    world.batch.state = BatchState.CLOSED
    batch = factories.add_batch(year, BatchState.OPEN)
    batch.apply_deadline = clock.today() + timedelta(days=30)
    db.session.commit()
    return batch


def _draft(world, batch, worker) -> Application:
    db.session.add(PostSetting(unit=worker.unit, batch=batch, grade=4, approved_posts=3, current_staff=0))
    app = factories.add_application(world, worker, grade=4, batch=batch)
    db.session.commit()
    return app


def test_the_next_batch_refuses_the_person_naming_the_batch_and_the_reason(client, world):
    reg = _registered(world)
    assert _enter(world, reg, misconduct=REASON) == {}
    batch = _next_batch(world, 2022)
    cheated, clean = reg.worker, world.workers["A"]
    app, control = (
        _draft(world, batch, cheated),
        factories.add_application(world, clean, grade=4, batch=batch),
    )
    db.session.commit()
    message = f"在2021年度考核中违纪（{REASON}），不得参加本批次考核"

    # shown on the unit's form like the other rules
    login(client, "unit_a")
    assert message in client.get(f"/applications/edit/?id={app.id}").get_data(as_text=True)

    # one look-up for the whole request, not one per application
    statements = []

    def count(conn, cursor, statement, *args):
        if "misconduct_reason" in statement:
            statements.append(statement)

    engine = db.session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        result = workflow.submit(world.users[enums.UNIT], [app.id, control.id])
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1
    reasons = {row_id: reason for row_id, _label, reason in result.refused}
    assert f"上一批次考试违纪：{message}" in reasons[app.id]
    assert "违纪" not in reasons.get(control.id, "")
    assert db.session.get(Application, app.id).status == ApplicationState.DRAFT


def test_the_batch_after_next_and_a_corrected_misconduct_do_not_refuse(world):
    reg = _registered(world)
    assert _enter(world, reg, misconduct=REASON) == {}
    _next_batch(world, 2022)
    later = _next_batch(world, 2023)
    app = _draft(world, later, reg.worker)
    assert next(r for r in app_facts.evaluate(app) if r.code == "R11").passed

    app_2022 = factories.add_application(
        world, reg.worker, grade=4, batch=db.session.scalar(sa.select(type(later)).filter_by(year=2022))
    )
    db.session.commit()
    assert not next(r for r in app_facts.evaluate(app_2022) if r.code == "R11").passed
    assert _enter(world, reg, "60", "60") == {}  # corrected away from 违纪: the rule follows the data
    assert next(r for r in app_facts.evaluate(app_2022) if r.code == "R11").passed


# --- 违纪通报: scope and export ---------------------------------------------------------------------------
def _marked_world(world) -> dict:
    regs = {
        "A": _registered(world, "A", seq=510),
        "B": _registered(world, "B", seq=511),
        "hidden": _registered(world, "A", seq=512, published=False),
    }
    for reg in regs.values():
        assert workflow.apply(world.users[enums.CENTER], MARK, [reg.id], opinion=f"{REASON}{reg.id}").done
    return regs


@pytest.mark.parametrize(
    ("username", "seen"),
    [
        ("center", {"A", "B", "hidden"}),
        ("office", {"A", "B", "hidden"}),
        ("yuzhong_hr", {"A"}),  # its 区县; unpublished results are not yet its to see
        ("unit_a", {"A"}),
        ("unit_b", {"B"}),
    ],
)
def test_the_misconduct_list_shows_each_role_its_own_scope(client, world, username, seen):
    regs = _marked_world(world)
    login(client, username)
    body = client.get("/misconduct/").get_data(as_text=True)
    for key, reg in regs.items():
        assert (f"{REASON}{reg.id}" in body) == (key in seen), f"{username} {key}"
    assert f"列表 ({len(seen)})" in body
    assert "A违纪500" not in body  # a candidate not marked is not listed


def test_the_misconduct_list_exports_its_rows_to_excel(client, world):
    regs = _marked_world(world)
    login(client, "unit_a")
    response = client.post("/misconduct/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert "违纪原因" in rows[0] and "身份证号码" in rows[0]
    (row,) = rows[1:]
    assert f"{REASON}{regs['A'].id}" in row and "A违纪510" in row
    assert any(isinstance(value, str) and "*" in value for value in row)  # the unit's ID numbers masked

    login(client, "office")
    response = client.post("/misconduct/export.xlsx", query_string={"flt0_0": world.batch.id})
    rows = list(load_workbook(io.BytesIO(response.data), read_only=True).active.iter_rows(values_only=True))
    assert len(rows) == 1 + 3
