"""What the later stages gained by running on the workflow engine: a score import that names the one row
that moved meanwhile, each candidate's committee vote deciding its row, batches opened together, a decided unit
profile refused in words, and the buttons a details page offers."""

import json

import pytest
import sqlalchemy as sa

from admin_app import workflow
from admin_app.extensions import db
from admin_app.services import batches as batch_service
from admin_app.services.validators import InvalidInput
from admin_app.workflow import evaluation, scores
from models import AuditLog, ExamBatch, Organisation, Registration, enums
from tests import factories
from tests.integration.test_exam_pipeline import registered
from tests.integration.test_exam_pipeline import scores as entry
from tests.integration.test_unit_identity import fresh_unit


def names(transitions) -> set:
    return {t.name for t in transitions}


def test_a_score_entry_racing_a_decision_names_only_the_row_that_moved(world, monkeypatch):
    _u, _a, first = registered(world, "r1", seq=400)
    _u2, _a2, second = registered(world, "r2", seq=401)
    original = scores.score_outcome

    def recognised_meanwhile(grade, *args):
        # Between the check and the UPDATE, someone recognises the first row (its scores freeze).
        db.session.execute(
            sa.update(Registration)
            .where(Registration.id == first.id)
            .values(recognition_status=workflow.RecognitionState.RECOGNISED)
        )
        return original(grade, *args)

    monkeypatch.setattr(scores, "score_outcome", recognised_meanwhile)
    problems = workflow.enter_scores(world.users[enums.CENTER], [entry(first.id), entry(second.id)])
    assert problems == {first.id: "该记录状态已变化，请刷新后重新录入"}
    db.session.expire_all()
    assert first.score_result is None and second.score_result is None  # all or nothing
    assert first.recognition_status is None  # the simulated decision went with the rollback


def test_each_candidates_vote_decides_its_row_through_the_table(world):
    _u, _a, reg = registered(world, "v1", grade=2, seq=410)
    office = world.users[enums.OFFICE]
    assert workflow.enter_scores(world.users[enums.CENTER], [entry(reg.id, review="80")]) == {}
    typed = ("9", "7", "5", "2", "0")
    problems = workflow.record_votes(office, [evaluation.VoteEntry(reg.id, *typed[:3], "两", "0")])
    assert [(p.cells, p.message) for p in problems[reg.id]] == [(("vote_no",), "不同意人数应为不小于0的整数")]
    refused = workflow.evaluate(
        office, [reg.id], "fail", evaluation.parse_vote(evaluation.VoteEntry(0, *typed))[0]
    )
    assert not refused.done and refused.refused[0][2].startswith("表决结果与所选决定不一致")
    assert workflow.record_votes(office, [evaluation.VoteEntry(reg.id, *typed)]) == {}
    db.session.expire_all()
    assert (reg.evaluation_status, reg.vote_yes, reg.recognition_status) == (
        workflow.EvaluationState.PASSED,
        5,
        workflow.RecognitionState.PENDING,
    )
    opinion = db.session.scalar(
        sa.select(AuditLog.opinion).where(
            AuditLog.action == "evaluate_pass", AuditLog.object_id == str(reg.id)
        )
    )
    assert opinion == "应到9 实到7 同意5 不同意2 弃权0"


def test_of_two_batches_opened_at_once_only_the_first_opens(world):
    admin = world.users["admin"]
    assert workflow.change_batch_state(admin, [world.batch.id], "close_batch").done
    later = batch_service.next_year_from(admin, world.batch)
    latest = batch_service.next_year_from(admin, later)
    result = workflow.change_batch_state(admin, [later.id, latest.id], "open_batch")
    assert [row_id for row_id, _label in result.done] == [later.id]
    assert result.refused == [(latest.id, str(latest), f"“{later}”正在申报中，请先截止该批次")]
    open_ids = db.session.scalars(
        sa.select(ExamBatch.id).where(ExamBatch.state == workflow.BatchState.OPEN)
    ).all()
    assert open_ids == [later.id]


def test_a_decided_unit_profile_is_refused_in_words_and_the_decision_keeps_its_values(world):
    unit, _user = fresh_unit(world, "重庆市阶段测试单位", category=enums.CAT_SOE)
    unit.address, unit.postcode = "重庆", "400010"
    unit.contact_person, unit.contact_phone = "王明", "023-88152255"
    unit.identity_status = workflow.IdentityState.PENDING
    db.session.commit()
    office = world.users["office"]
    assert workflow.identity.decide(office, [unit.id], "confirm", None).done
    again = workflow.identity.decide(office, [unit.id], "return", "重复")
    assert again.refused == [(unit.id, unit.name, "当前状态为“已确认”，不在待审核状态")]
    with pytest.raises(InvalidInput, match="^审核意见不能超过500字$"):
        workflow.identity.decide(office, [unit.id], "confirm", "长" * 501)
    detail = db.session.scalar(
        sa.select(AuditLog.detail).where(
            AuditLog.action == "unit_identity_confirmed", AuditLog.object_id == str(unit.id)
        )
    )
    org = db.session.get(Organisation, unit.id)
    assert json.loads(detail)["name"] == "重庆市阶段测试单位" == org.identity_confirmed["name"]


def test_the_buttons_of_a_row_follow_its_stage(world):
    _u, _a, junior = registered(world, "b1", seq=420)
    center, office = world.users[enums.CENTER], world.users[enums.OFFICE]
    district = world.users[enums.DISTRICT_HR]
    assert names(workflow.available_transitions(center, "scores", junior.id)) == {
        "enter_scores",
        "mark_misconduct",
    }
    assert names(workflow.available_transitions(office, "scores", junior.id)) == set()
    assert workflow.enter_scores(center, [entry(junior.id)]) == {}
    assert names(workflow.available_transitions(district, "recognition", junior.id)) == set()  # 尚未公示
    factories.put_on_ended_notice(junior)
    assert names(workflow.available_transitions(district, "recognition", junior.id)) == {"recognise"}
    assert workflow.recognise(office, [junior.id]).done
    assert names(workflow.available_transitions(center, "scores", junior.id)) == set()  # frozen

    _u2, _a2, senior = registered(world, "b2", grade=2, seq=421)
    assert workflow.enter_scores(center, [entry(senior.id, review="80")]) == {}
    assert names(workflow.available_transitions(office, "evaluation", senior.id)) == {"evaluate"}
    assert workflow.record_votes(office, [evaluation.VoteEntry(senior.id, 9, 9, 9, 0, 0)]) == {}
    assert names(workflow.available_transitions(district, "recognition", senior.id)) == set()
    factories.put_on_ended_notice(senior)
    assert names(workflow.available_transitions(office, "recognition", senior.id)) == {"recognise"}
