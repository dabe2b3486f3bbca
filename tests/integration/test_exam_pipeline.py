"""考试报名 → 缴费确认 → 成绩 → 考核评审 → 资格认定 (SPEC §4.2–§4.5), on both databases."""

import io
import re
from datetime import date

import pytest
import sqlalchemy as sa

from admin_app import workflow
from admin_app.extensions import db
from admin_app.services.eligibility import Vote
from admin_app.services.validators import InvalidInput
from admin_app.workflow import publication
from admin_app.workflow.states import (
    EvaluationState,
    ExamCategory,
    RecognitionState,
    RegistrationState,
    ScoreResult,
)
from models import AuditLog, Registration, Worker, enums
from tests.conftest import login, text_of
from tests.factories import PNG, add_material, put_on_ended_notice
from tests.integration.test_applications import fresh

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF"


class Upload(io.BytesIO):
    """A stand-in for werkzeug's FileStorage in service-level tests."""

    def __init__(self, data, filename):
        super().__init__(data)
        self.filename = filename
        self.stream = self


def approved(world, key, category=enums.CAT_DISTRICT, grade=5, seq=300, jurisdiction="500103"):
    """An application taken through its review chain; returns (unit, application, registration)."""
    unit, app = fresh(world, key, category, grade=grade, seq=seq, jurisdiction_code=jurisdiction)
    assert workflow.submit(unit.users[0], [app.id]).done
    db.session.expire_all()
    for role in app.route_steps:
        if app.step_index == 0 and not app.materials:
            add_material(app)
            db.session.commit()
        user = (
            world.users[role]
            if role != enums.DISTRICT_HR or jurisdiction == "500103"
            else world.users["district_hr_b"]
        )
        assert workflow.decide(user, [app.id], "approve", None).done
        db.session.expire_all()
    reg = db.session.scalar(sa.select(Registration).where(Registration.application_id == app.id))
    return unit, app, reg


def registered(world, key, **kw):
    unit, app, reg = approved(world, key, **kw)
    register_and_pay(world, unit, reg)
    return unit, app, reg


def register_and_pay(world, unit, reg, photo: bytes = PNG) -> None:
    """The unit files the 报名表 (with ``photo``), 市工考办 confirms it, 市职鉴中心 confirms the fee."""
    workflow.register(
        unit.users[0],
        reg,
        phone="13800001111",
        voluntary_training=True,
        exam_category=ExamCategory.BOTH,
        remarks=None,
        photo=Upload(photo, "照片.png"),
        id_copy=Upload(PDF, "身份证.pdf"),
    )
    assert workflow.confirm_registrations(world.users[enums.OFFICE], [reg.id]).done
    assert workflow.confirm_fees(world.users[enums.CENTER], [reg.id], "SJ001").done
    db.session.expire_all()


def scores(reg_id, theory="80", practice="75.5", review=None, absent=False):
    return workflow.ScoreEntry(reg_id, theory, practice, review, absent)


def test_final_approval_creates_an_unregistered_row(world):
    _unit, app, reg = approved(world, "r1")
    assert reg.status == RegistrationState.UNREGISTERED
    assert (reg.unit_id, reg.applied_grade, reg.jurisdiction_id) == (
        app.unit_id,
        app.applied_grade,
        app.jurisdiction_id,
    )


def test_registration_form_checks_and_stamps_time(world):
    unit, _app, reg = approved(world, "r2")
    user = unit.users[0]
    with pytest.raises(InvalidInput, match="电子照片"):
        workflow.register(
            user,
            reg,
            phone="13800001111",
            voluntary_training=False,
            exam_category=ExamCategory.BOTH,
            remarks=None,
        )
    with pytest.raises(InvalidInput, match="文件类型不符"):
        workflow.register(
            user,
            reg,
            phone="13800001111",
            voluntary_training=False,
            exam_category=ExamCategory.BOTH,
            remarks=None,
            photo=Upload(PDF, "照片.jpg"),
            id_copy=Upload(PDF, "身份证.pdf"),
        )
    with pytest.raises(InvalidInput, match="联系电话"):
        workflow.register(
            user,
            reg,
            phone="123",
            voluntary_training=False,
            exam_category=ExamCategory.BOTH,
            remarks=None,
            photo=Upload(PNG, "照片.png"),
            id_copy=Upload(PDF, "身份证.pdf"),
        )
    db.session.expire_all()
    assert reg.status == RegistrationState.UNREGISTERED and reg.photo_stored is None
    workflow.register(
        user,
        reg,
        phone="13800001111",
        voluntary_training=True,
        exam_category=ExamCategory.THEORY,
        remarks="补考理论",
        photo=Upload(PNG, "照片.png"),
        id_copy=Upload(PDF, "身份证.pdf"),
    )
    db.session.expire_all()
    assert (
        reg.status == RegistrationState.PENDING
        and reg.registered_at is not None
        and reg.exam_category == ExamCategory.THEORY
    )
    # Double registration is refused.
    with pytest.raises(InvalidInput, match="不能报名"):
        workflow.register(
            user,
            reg,
            phone="13800001111",
            voluntary_training=True,
            exam_category=ExamCategory.BOTH,
            remarks=None,
        )
    # Another unit cannot register this person.
    with pytest.raises(InvalidInput, match="本单位"):
        workflow.register(
            world.users[enums.UNIT],
            reg,
            phone="13800001111",
            voluntary_training=True,
            exam_category=ExamCategory.BOTH,
            remarks=None,
        )


def test_office_returns_with_reason_and_unit_fills_again(world):
    unit, _app, reg = approved(world, "r3")
    user = unit.users[0]
    kw = dict(phone="13800001111", voluntary_training=False, exam_category=ExamCategory.BOTH, remarks=None)
    workflow.register(user, reg, **kw, photo=Upload(PNG, "照片.png"), id_copy=Upload(PDF, "身份证.pdf"))
    office = world.users[enums.OFFICE]
    with pytest.raises(InvalidInput, match="退回原因"):
        workflow.return_registrations(office, [reg.id], " ")
    assert workflow.return_registrations(office, [reg.id], "照片不清晰").done
    db.session.expire_all()
    assert reg.status == RegistrationState.RETURNED and reg.return_reason == "照片不清晰"
    first_photo = reg.photo_stored
    workflow.register(user, reg, **kw, photo=Upload(PNG, "新照片.png"))  # the ID copy is kept
    db.session.expire_all()
    assert reg.status == RegistrationState.PENDING and reg.return_reason is None
    assert reg.photo_stored != first_photo and reg.photo_name == "新照片.png" and reg.id_copy_stored


def test_only_the_right_role_moves_each_stage(world):
    unit, _app, reg = approved(world, "r4")
    workflow.register(
        unit.users[0],
        reg,
        phone="13800001111",
        voluntary_training=False,
        exam_category=ExamCategory.BOTH,
        remarks=None,
        photo=Upload(PNG, "照片.png"),
        id_copy=Upload(PDF, "身份证.pdf"),
    )
    assert not workflow.confirm_registrations(world.users[enums.CENTER], [reg.id]).done  # wrong role
    assert not workflow.confirm_fees(world.users[enums.CENTER], [reg.id]).done  # wrong state
    assert workflow.confirm_registrations(world.users[enums.OFFICE], [reg.id]).done
    assert not workflow.confirm_registrations(world.users[enums.OFFICE], [reg.id]).done  # already moved
    assert not workflow.confirm_fees(world.users[enums.OFFICE], [reg.id]).done
    result = workflow.confirm_fees(world.users[enums.CENTER], [reg.id], "SJ-2021-1")
    assert result.done
    db.session.expire_all()
    assert reg.status == RegistrationState.REGISTERED and reg.receipt_number == "SJ-2021-1"
    assert reg.ticket_number == f"2021{reg.applied_grade}{reg.id:06d}" and reg.fee_amount is not None


def test_bulk_fee_confirmation_over_mixed_rows(world):
    ready, others = [], []
    for i in range(3):
        unit, _app, reg = approved(world, f"m{i}", seq=310 + i)
        workflow.register(
            unit.users[0],
            reg,
            phone="13800001111",
            voluntary_training=False,
            exam_category=ExamCategory.BOTH,
            remarks=None,
            photo=Upload(PNG, "照片.png"),
            id_copy=Upload(PDF, "身份证.pdf"),
        )
        if i < 2:
            workflow.confirm_registrations(world.users[enums.OFFICE], [reg.id])
            ready.append(reg.id)
        else:
            others.append(reg.id)  # still 待确认
    result = workflow.confirm_fees(world.users[enums.CENTER], ready + others + [987654])
    assert sorted(i for i, _ in result.done) == sorted(ready)
    reasons = {i: r for i, _, r in result.refused}
    assert "待确认" in reasons[others[0]] and "不存在" in reasons[987654]
    tickets = db.session.scalars(
        sa.select(Registration.ticket_number).where(Registration.id.in_(ready))
    ).all()
    assert len(set(tickets)) == 2


def test_scores_validation_is_all_or_nothing(world):
    _unit, _app, junior = registered(world, "s1")
    _unit2, _app2, senior = registered(world, "s2", grade=2, seq=321)
    center = world.users[enums.CENTER]
    problems = workflow.enter_scores(
        center, [scores(junior.id, "101", "60"), scores(senior.id, "70", "70", review=None)]
    )
    assert "0到100" in problems[junior.id] and "综合评审" in problems[senior.id]
    for bad in ("abc", "60.25", "-1"):
        assert workflow.enter_scores(center, [scores(junior.id, bad, "60")])
    assert (
        "没有综合评审"
        in workflow.enter_scores(center, [scores(junior.id, "60", "60", review="60")])[junior.id]
    )
    db.session.expire_all()
    assert junior.theory_score is None and senior.theory_score is None  # nothing saved
    with pytest.raises(InvalidInput, match="市职鉴中心"):
        workflow.enter_scores(world.users[enums.OFFICE], [scores(junior.id)])


def test_scores_pass_line_absent_and_corrections_logged(world):
    _unit, _app, reg = registered(world, "s3")
    center = world.users[enums.CENTER]
    assert workflow.enter_scores(center, [scores(reg.id, "59.9", "90")]) == {}
    db.session.expire_all()
    assert reg.score_result == ScoreResult.FAIL and reg.recognition_status is None
    assert workflow.enter_scores(center, [scores(reg.id, "60", "60")]) == {}
    db.session.expire_all()
    assert reg.score_result == ScoreResult.PASS and reg.recognition_status == RecognitionState.PENDING
    corrected = db.session.scalar(
        sa.select(AuditLog).where(AuditLog.action == "scores_corrected", AuditLog.object_id == str(reg.id))
    )
    assert corrected and '"before"' in corrected.detail and "59.9" in corrected.detail
    assert workflow.enter_scores(center, [scores(reg.id, None, None, absent=True)]) == {}
    db.session.expire_all()
    assert (
        reg.score_result == ScoreResult.ABSENT and reg.theory_score is None and reg.recognition_status is None
    )


def test_scores_need_registration_and_are_frozen_after_recognition(world):
    unit, _app, reg = approved(world, "s4")
    center = world.users[enums.CENTER]
    assert "尚未完成报名" in workflow.enter_scores(center, [scores(reg.id)])[reg.id]
    _unit, _app, done = registered(world, "s5", seq=330)
    workflow.enter_scores(center, [scores(done.id)])
    put_on_ended_notice(done)
    assert workflow.recognise(world.users[enums.OFFICE], [done.id]).done
    assert "不能再修改" in workflow.enter_scores(center, [scores(done.id, "10", "10")])[done.id]


def test_evaluation_votes_validated_and_the_vote_decides(world):
    _unit, _app, reg = registered(world, "e1", grade=2, seq=340)
    center, office = world.users[enums.CENTER], world.users[enums.OFFICE]
    workflow.enter_scores(center, [scores(reg.id, "80", "80", review="80")])
    db.session.expire_all()
    assert reg.evaluation_status == EvaluationState.PENDING and reg.recognition_status is None

    def problems(vote):
        found = workflow.record_votes(office, [workflow.VoteEntry.of(reg.id, vote)])
        return " ".join(p.message for p in found.get(reg.id, []))

    assert "之和（6）须等于实到人数（7）" in problems(Vote(9, 7, 5, 1, 0))
    assert "实到人数（7）不能多于应到人数（5）" in problems(Vote(5, 7, 7, 0, 0))
    # Quorum missed (5 of 9 < 2/3): the vote decides nothing, neither 通过 nor 不通过.
    assert problems(Vote(9, 5, 5, 0, 0)) == "实到5人，未达到应到9人的2/3，表决无效"
    # Majority missed (4 of 7 < 2/3): "pass" contradicts the vote.
    assert "不一致" in workflow.evaluate(office, [reg.id], "pass", Vote(9, 7, 4, 3, 0)).refused[0][2]
    assert not workflow.evaluate(
        world.users[enums.CITY_HR], [reg.id], "pass", Vote(9, 7, 5, 2, 0)
    ).done  # role
    db.session.expire_all()
    assert reg.evaluation_status == EvaluationState.PENDING  # nothing of the above was saved
    result = workflow.evaluate(office, [reg.id], "pass", Vote(9, 7, 5, 2, 0))
    assert result.done
    db.session.expire_all()
    assert (
        reg.evaluation_status == EvaluationState.PASSED
        and reg.recognition_status == RecognitionState.PENDING
        and reg.vote_yes == 5
    )
    assert not workflow.evaluate(office, [reg.id], "fail", Vote(9, 7, 0, 7, 0)).done  # decided already


def test_batch_rules_change_the_outcome(world):
    _unit, _app, reg = registered(world, "e2", grade=2, seq=350)
    workflow.enter_scores(world.users[enums.CENTER], [scores(reg.id, "80", "80", review="80")])
    world.batch.majority_num, world.batch.majority_den = 1, 2
    db.session.commit()
    assert workflow.evaluate(world.users[enums.OFFICE], [reg.id], "pass", Vote(9, 7, 4, 3, 0)).done


def test_district_recognises_only_its_own_junior_grades(world):
    _u, _a, junior = registered(world, "c1", seq=360)
    _u2, _a2, senior = registered(world, "c2", grade=2, seq=361)
    center, office, hr = world.users[enums.CENTER], world.users[enums.OFFICE], world.users[enums.DISTRICT_HR]
    workflow.enter_scores(center, [scores(junior.id), scores(senior.id, review="80")])
    workflow.evaluate(office, [senior.id], "pass", Vote(9, 9, 9, 0, 0))
    outside_unit, _a3, outside = registered(world, "c3", seq=362, jurisdiction="500106")
    workflow.enter_scores(center, [scores(outside.id)])
    put_on_ended_notice(junior, senior, outside)
    result = workflow.recognise(hr, [junior.id, senior.id, outside.id])
    assert [i for i, _ in result.done] == [junior.id]
    reasons = {i: r for i, _, r in result.refused}
    assert "初级工、中级工、高级工" in reasons[senior.id] and "权限范围" in reasons[outside.id]
    assert workflow.recognise(office, [senior.id]).done


def _full_pipeline(world, client, key, grade, seq):
    unit, app, reg = registered(world, key, grade=grade, seq=seq)
    senior = grade in enums.SENIOR_GRADES
    center, office = world.users[enums.CENTER], world.users[enums.OFFICE]
    assert workflow.enter_scores(center, [scores(reg.id, "88", "92", review="85" if senior else None)]) == {}
    if senior:
        assert workflow.evaluate(office, [reg.id], "pass", Vote(11, 9, 8, 1, 0)).done
    put_on_ended_notice(reg)
    assert workflow.recognise(office, [reg.id], today=date(2021, 12, 20)).done
    db.session.expire_all()
    worker = db.session.get(Worker, app.worker_id)
    assert reg.recognition_status == RecognitionState.RECOGNISED and reg.certificate_number
    assert worker.current_grade == grade and worker.current_grade_date == date(2021, 12, 1)
    assert (
        worker.certificate_number == reg.certificate_number
        and worker.current_trade_id == reg.applied_trade_id
    )
    login(client, unit.users[0].username)
    from tests.certificate_helpers import pdf_text  # it imports this module's helpers

    response = client.get(f"/recognitions/certificate.pdf?id={reg.id}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    page = re.sub(r"\s+", "", pdf_text(response.data))
    assert reg.certificate_number in page and worker.name in page
    assert ("评审委员会评审通过" in page) == senior
    # Never arranged: the 准考证 is refused with the reason (its content: tests/integration/test_exam_documents.py).
    ticket = client.get(f"/registrations/ticket/?id={reg.id}", follow_redirects=True)
    assert "不能打印准考证" in text_of(ticket) and "编排" in text_of(ticket)
    return reg


def test_full_pipeline_junior_worker(world, client):
    reg = _full_pipeline(world, client, "p5", 5, 370)
    history = db.session.scalars(
        sa.select(AuditLog.action)
        .where(AuditLog.object_type == "Registration", AuditLog.object_id == str(reg.id))
        .order_by(AuditLog.id)
    ).all()
    # the last: the unit's download of the certificate PDF (audited like every download of a record)
    assert history == [
        "register",
        "confirm_registration",
        "confirm_fee",
        "scores_entered",
        "recognise",
        "export",
    ]


def test_full_pipeline_technician(world, client):
    reg = _full_pipeline(world, client, "p2", 2, 380)
    history = db.session.scalars(
        sa.select(AuditLog.action)
        .where(AuditLog.object_type == "Registration", AuditLog.object_id == str(reg.id))
        .order_by(AuditLog.id)
    ).all()
    assert history == [
        "register",
        "confirm_registration",
        "confirm_fee",
        "scores_entered",
        "evaluate_pass",
        "recognise",
        "export",
    ]


# --- through the web ----------------------------------------------------------------------------------
def test_registration_and_score_pages_through_the_web(world, client):
    unit, _app, reg = approved(world, "w1", seq=390)
    login(client, unit.users[0].username)
    listing = text_of(client.get("/registrations/"))
    assert "w1申报人" in listing and "未报名" in listing
    response = client.post(
        f"/registrations/register/?id={reg.id}",
        data={
            "phone": "13800001111",
            "exam_category": ExamCategory.BOTH,
            "photo": (io.BytesIO(b"not an image"), "照片.jpg"),
            "id_copy": (io.BytesIO(PDF), "身份证.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert "文件类型不符" in text_of(response)
    response = client.post(
        f"/registrations/register/?id={reg.id}",
        data={
            "phone": "13800001111",
            "exam_category": ExamCategory.BOTH,
            "voluntary_training": "y",
            "photo": (io.BytesIO(PNG), "照片.png"),
            "id_copy": (io.BytesIO(PDF), "身份证.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    # Office confirms through the bulk page; center confirms the fee with a receipt number.
    login(client, "office")
    body = text_of(
        client.post("/registrations/decide/", data={"op": "confirm_registration", "rowid": reg.id})
    )
    assert '成功 <strong class="text-success">1</strong>' in body
    login(client, "center")
    confirm = text_of(
        client.post("/registrations/action/", data={"action": "confirm_fee", "rowid": [reg.id]})
    )
    assert "收据号" in confirm
    body = text_of(
        client.post(
            "/registrations/decide/", data={"op": "confirm_fee", "rowid": reg.id, "receipt_number": "R-9"}
        )
    )
    assert '成功 <strong class="text-success">1</strong>' in body
    # Grid over the filtered rows: one bad cell → nothing saved; then all good.
    grid = text_of(client.get("/scores/grid/?search=w1申报人"))
    assert "w1申报人" in grid
    bad = client.post(
        "/scores/grid/?search=w1申报人",
        data={f"row-{reg.id}": "1", f"theory-{reg.id}": "１００.5", f"practice-{reg.id}": "70"},
    )
    assert "业务理论成绩应在0到100之间" in text_of(bad)  # １００.5 is read as 100.5
    db.session.expire_all()
    assert reg.theory_score is None
    good = client.post(
        "/scores/grid/?search=w1申报人",
        data={f"row-{reg.id}": "1", f"theory-{reg.id}": "８５", f"practice-{reg.id}": "70"},
    )
    assert good.status_code == 302
    db.session.expire_all()
    assert float(reg.theory_score) == 85.0 and reg.score_result == ScoreResult.PASS
    # Units see their own scores once published, and cannot enter them.
    login(client, unit.users[0].username)
    assert "85.0" not in text_of(client.get("/scores/"))
    assert publication.publish_batch(world.users[enums.CENTER], reg.batch_id).result.done
    assert "85.0" in text_of(client.get("/scores/"))
    assert client.get(f"/scores/score/?id={reg.id}").status_code == 403
