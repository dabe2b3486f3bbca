"""撤销认定 (issue 18 point 5, notice §4(二)): 市工考办 revokes a recognised grade with a reason and a 文号; the row
becomes 已撤销, the worker's grade returns to the one of the record kept at submission, the unit is told, all
audited in the transaction of the change; two offices revoking one row at once: exactly one lands (both
databases; the race on PostgreSQL)."""

import json
import threading
from datetime import date

import pytest
import sqlalchemy as sa

from admin_app import workflow
from admin_app.extensions import db
from admin_app.services.validators import InvalidInput
from admin_app.workflow import certificates
from admin_app.workflow.states import BatchState, RecognitionState
from models import AuditLog, Notification, Registration, Worker, enums
from tests.conftest import login, snapshot_database, text_of
from tests.factories import put_on_ended_notice
from tests.integration.test_exam_pipeline import registered, scores

REASON = "经查，申报材料中的工作年限证明系伪造"
DOCUMENT = "渝人工考〔2022〕3号"


def recognised(world, key, seq, grade=3):
    """A worker (中级工 since 2012-05) who applied for ``grade`` through the workflow, passed and was
    recognised by the office on 2026-12-02; returns (unit, application, registration)."""
    unit, app, reg = registered(world, key, grade=grade, seq=seq)
    assert workflow.enter_scores(world.users[enums.CENTER], [scores(reg.id, "80", "85")]) == {}
    put_on_ended_notice(reg)
    db.session.commit()
    assert workflow.recognise(world.users[enums.OFFICE], [reg.id], today=date(2026, 12, 2)).done
    db.session.expire_all()
    return unit, app, db.session.get(Registration, reg.id)


def worker_facts(worker_id) -> tuple:
    db.session.expire_all()
    w = db.session.get(Worker, worker_id)
    return (
        w.current_grade,
        w.current_grade_date,
        w.certificate_number,
        w.certificate_trade_id,
        w.current_trade_id,
    )


def test_revocation_restores_the_grade_kept_at_submission_and_tells_the_unit(world):
    unit, app, reg = recognised(world, "撤销", seq=610)
    worker = db.session.get(Worker, reg.worker_id)
    assert (worker.current_grade, worker.certificate_number) == (3, reg.certificate_number)
    # A live edit after the submission: the record kept then, not the live row, says what the grade was.
    worker.current_grade_date, worker.certificate_number = date(2013, 1, 1), "已改动"
    db.session.commit()
    worker.certificate_number = reg.certificate_number  # the recognition's certificate is still his
    db.session.commit()

    result = certificates.revoke(world.users[enums.OFFICE], [reg.id], REASON, DOCUMENT)
    assert [row_id for row_id, _label in result.done] == [reg.id] and not result.refused

    db.session.expire_all()
    reg = db.session.get(Registration, reg.id)
    assert reg.recognition_status == RecognitionState.REVOKED
    assert (reg.revoke_reason, reg.revoke_document) == (REASON, DOCUMENT)
    assert reg.revoked_at is not None and reg.certificate_number  # the number stays: 查验 says 已撤销
    # 中级工 since 2012-05, no certificate number recorded, the trade he applied with (the factory's)
    assert worker_facts(reg.worker_id) == (4, date(2012, 5, 1), None, world.trade.id, world.trade.id)

    message = db.session.scalars(
        sa.select(Notification).where(Notification.kind == "revoked", Notification.object_id == reg.id)
    ).one()
    assert message.organisation_id == unit.id and message.target == "recognitions"
    assert "资格认定已撤销" in message.body and REASON in message.body and DOCUMENT in message.body

    entry = db.session.scalars(
        sa.select(AuditLog).where(AuditLog.action == "revoke_recognition", AuditLog.object_id == str(reg.id))
    ).one()
    assert (entry.from_state, entry.to_state) == (RecognitionState.RECOGNISED, RecognitionState.REVOKED)
    assert entry.username == "office" and REASON in entry.opinion and DOCUMENT in entry.opinion
    assert "现等级恢复为四级（中级工）" in entry.opinion
    detail = json.loads(entry.detail)
    assert detail["document"] == DOCUMENT and detail["grade_restored"] and detail["restored_grade"] == 4


def test_a_later_certificate_of_the_worker_is_not_undone(world):
    """Revoking an earlier recognition leaves the grade of a certificate he holds since (the audit says so)."""
    _unit, _app, reg = recognised(world, "后认定", seq=611)
    worker = db.session.get(Worker, reg.worker_id)
    worker.current_grade, worker.certificate_number = 2, "2027-技师-1"
    db.session.commit()
    assert certificates.revoke(world.users[enums.OFFICE], [reg.id], REASON, DOCUMENT).done
    assert worker_facts(reg.worker_id)[:3] == (2, date(2026, 12, 1), "2027-技师-1")
    entry = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "revoke_recognition")).one()
    assert "现等级不变" in entry.opinion and json.loads(entry.detail)["grade_restored"] is False


@pytest.mark.parametrize(
    ("reason", "document", "message"),
    [
        (None, DOCUMENT, "撤销认定须填写撤销原因"),
        ("  ", DOCUMENT, "撤销认定须填写撤销原因"),
        (REASON, None, "撤销认定须填写撤销决定文号"),
        (REASON, " ", "撤销认定须填写撤销决定文号"),
        (REASON, "号" * 101, "撤销决定文号不能超过100字"),
        ("因" * 501, DOCUMENT, "撤销原因不能超过500字"),
    ],
)
def test_a_reason_and_a_document_number_are_required(world, reason, document, message):
    _unit, _app, reg = recognised(world, "必填", seq=612)
    before = snapshot_database()
    with pytest.raises(InvalidInput, match=message):
        certificates.revoke(world.users[enums.OFFICE], [reg.id], reason, document)
    db.session.rollback()
    assert snapshot_database() == before


def test_only_recognised_rows_are_revoked(world):
    office = world.users[enums.OFFICE]
    _unit, _app, reg = recognised(world, "状态", seq=613)
    pending = world.registrations["B"]  # 待认定
    result = certificates.revoke(office, [pending.id, reg.id, 999_999], REASON, DOCUMENT)
    assert [row_id for row_id, _label in result.done] == [reg.id]
    reasons = {row_id: reason for row_id, _label, reason in result.refused}
    assert reasons[pending.id] == "当前状态为“待认定”，不能撤销认定"
    assert reasons[999_999] == "记录不存在或不在您的权限范围内"
    # Revoked is final: no second revocation, no undo — only a new recognition in a later batch.
    again = certificates.revoke(office, [reg.id], REASON, DOCUMENT)
    assert again.refused[0][2] == "当前状态为“已撤销”，不能撤销认定"
    assert not [t for t in workflow.transitions_of("recognition") if RecognitionState.REVOKED in t.sources]
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Notification).where(Notification.kind == "revoked")
        )
        == 1
    )


@pytest.mark.parametrize("who", [enums.UNIT, enums.DISTRICT_HR, enums.CITY_HR, enums.CENTER, enums.ADMIN])
def test_no_other_role_revokes(world, who):
    _unit, _app, reg = recognised(world, "越权", seq=614)
    before = snapshot_database()
    result = certificates.revoke(world.users[who], [reg.id], REASON, DOCUMENT)
    assert not result.done and result.refused[0][2] == "无权撤销认定"
    assert snapshot_database() == before


def test_an_archived_batch_is_read_only(world):
    _unit, _app, reg = recognised(world, "归档", seq=615)
    world.batch.state = BatchState.ARCHIVED
    db.session.commit()
    before = snapshot_database()
    result = certificates.revoke(world.users[enums.OFFICE], [reg.id], REASON, DOCUMENT)
    assert result.refused[0][2] == workflow.ARCHIVED
    assert snapshot_database() == before


def test_revocation_from_the_list_and_the_details_page(client, world):
    """Ticked rows → the confirmation page (文号 and 撤销原因) → the result; the details page's 撤销认定 button
    opens the same page; the unit's details page shows 已撤销 and the reason, and offers no button."""
    unit, _app, reg = recognised(world, "界面", seq=616)
    login(client, "office")
    page = text_of(client.get(f"/recognitions/details/?id={reg.id}"))
    assert "撤销认定…" in page
    confirm = client.post(
        "/recognitions/action/",
        data={"action": "revoke_recognition", "rowid": reg.id, "url": "/recognitions/"},
    )
    body = text_of(confirm)
    assert confirm.status_code == 200 and "撤销决定文号" in body and "撤销原因" in body
    missing = client.post(
        "/recognitions/decide/", data={"op": "revoke_recognition", "rowid": reg.id, "opinion": REASON}
    )
    assert "撤销认定须填写撤销决定文号" in text_of(missing)
    assert db.session.get(Registration, reg.id).recognition_status == RecognitionState.RECOGNISED
    done = client.post(
        "/recognitions/decide/",
        data={"op": "revoke_recognition", "rowid": reg.id, "opinion": REASON, "revoke_document": DOCUMENT},
    )
    assert '成功 <strong class="text-success">1</strong>' in done.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Registration, reg.id).recognition_status == RecognitionState.REVOKED
    details = text_of(client.get(f"/recognitions/details/?id={reg.id}"))
    assert "已撤销" in details and DOCUMENT in details and "撤销认定…" not in details

    login(client, unit.users[0].username)
    mine = text_of(client.get(f"/recognitions/details/?id={reg.id}"))
    assert "已撤销" in mine and REASON in mine and "撤销认定…" not in mine
    refused = client.post(
        "/recognitions/decide/",
        data={"op": "revoke_recognition", "rowid": reg.id, "opinion": REASON, "revoke_document": DOCUMENT},
    )
    assert refused.status_code == 403


def test_two_offices_revoking_one_row_at_once_exactly_one_lands(app, world):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row-level concurrency is proven on PostgreSQL (SQLite serialises writers)")
    _unit, _app, reg = recognised(world, "并发", seq=617)
    office_id = world.users[enums.OFFICE].id
    both_read = threading.Barrier(2, timeout=10)
    original = certificates._has_record

    def slow_guard(ctx, row):  # both requests have read the row as 已认定 before either writes
        reason = original(ctx, row)
        both_read.wait()
        return reason

    guards = certificates.REVOKE.guards
    object.__setattr__(certificates.REVOKE, "guards", (slow_guard,))
    results = {}

    def revoke(name):
        with app.app_context():
            from models import User

            results[name] = certificates.revoke(db.session.get(User, office_id), [reg.id], REASON, name)

    try:
        threads = [threading.Thread(target=revoke, args=(f"文号{i}",)) for i in (1, 2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        object.__setattr__(certificates.REVOKE, "guards", guards)
    done = [name for name, result in results.items() if result.done]
    refused = [result.refused[0][2] for result in results.values() if result.refused]
    assert len(done) == 1 and refused == [workflow.engine.CHANGED]
    db.session.expire_all()
    assert db.session.get(Registration, reg.id).revoke_document == done[0]
    for model, where in (
        (AuditLog, AuditLog.action == "revoke_recognition"),
        (Notification, Notification.kind == "revoked"),
    ):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(model).where(where)) == 1
