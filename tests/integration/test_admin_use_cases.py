"""Use cases as service functions (what the views hand their forms to): batch rules, the certificate
pattern, route rules, organisations' credit codes, accounts disabled, enabled and reset by an explicit actor
(its user and address in the audit rows), and a unit's draft 考试资格申请."""

from dataclasses import replace as dc_replace
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from admin_app.actor import Actor
from admin_app.extensions import db
from admin_app.services import accounts, applications, batches, clock
from admin_app.services.validators import InvalidInput
from models import Application, AuditLog, ExamBatch, Organisation, RouteRule, User, UserSession, enums
from tests import factories


def refusal(check, *args) -> str:
    with pytest.raises(InvalidInput) as caught:
        check(*args)
    return str(caught.value)


def test_a_certificate_pattern_with_id_gives_a_sample_number():
    assert batches.check_certificate_pattern("CQGK{year}{grade}{id:06d}", 2021) == "CQGK20215000001"


def test_a_certificate_pattern_with_an_unknown_field_is_refused():
    assert (
        refusal(batches.check_certificate_pattern, "CQ{month}{id}", 2021)
        == "证书编号格式无效：可用 {year}、{grade}、{id}，如 CQGK{year}{grade}{id:06d}"
    )


def test_a_certificate_pattern_without_id_or_too_long_is_refused():
    expected = "证书编号格式须包含 {id}（保证唯一），且不超过40个字符"
    assert refusal(batches.check_certificate_pattern, "CQGK{year}{grade}", 2021) == expected
    assert refusal(batches.check_certificate_pattern, "X" * 40 + "{id}", 2021) == expected


def test_a_batch_is_refused_when_its_year_exists_or_its_ratios_exceed_one(world):
    again = ExamBatch(
        **{c.name: getattr(world.batch, c.name) for c in ExamBatch.__table__.columns if c.name != "id"}
    )
    assert refusal(batches.check_batch, again) == "该年度的考核批次已存在"
    world.batch.quorum_num = world.batch.quorum_den + 1
    assert refusal(batches.check_batch, world.batch) == "比例的分子不能大于分母"
    db.session.rollback()
    world.batch.assessment_end_year = world.batch.assessment_start_year - 1
    assert refusal(batches.check_batch, world.batch) == "年度考核截止年不能早于起始年"
    db.session.rollback()
    batches.check_batch(world.batch)  # the seeded batch itself passes


def test_route_rule_text_is_parsed_in_either_comma_and_normalised(world):
    rule = RouteRule(
        batch=factories.add_batch(2030), org_category=enums.CAT_SOE, grades="5， 4,3", steps="office"
    )
    batches.check_route_rule(rule)
    assert (rule.grades, rule.steps) == ("5,4,3", "office")


def test_route_rule_grades_and_steps_outside_the_vocabulary_are_refused():
    assert refusal(batches.parse_grades, "5,x") == "申报等级须为1至5的数字，用逗号分隔"
    assert refusal(batches.parse_grades, "5,6") == "申报等级须为1至5的数字，用逗号分隔，不能重复"
    assert refusal(batches.parse_grades, "5,5") == "申报等级须为1至5的数字，用逗号分隔，不能重复"
    expected = "审核环节只能是 district_hr、party_org、city_hr、office，且不能重复"
    assert refusal(batches.parse_steps, "office,center") == expected
    assert refusal(batches.parse_steps, "office,office") == expected


def test_a_route_rule_overlapping_another_of_its_batch_and_category_is_refused(world):
    taken = db.session.scalar(
        sa.select(RouteRule).where(
            RouteRule.batch_id == world.batch.id, RouteRule.org_category == enums.CAT_DISTRICT
        )
    )
    grade = taken.grade_list[0]
    rule = RouteRule(batch=world.batch, org_category=enums.CAT_DISTRICT, grades=str(grade), steps="office")
    assert (
        refusal(batches.check_route_rule, rule)
        == f"该批次中该组织类别的{enums.GRADE_NAMES[grade]}已有审核流程，同一等级只能有一条流程"
    )
    db.session.rollback()
    batches.check_route_rule(taken)  # a rule does not overlap itself


def test_an_organisation_with_a_credit_code_already_registered_is_refused(world):
    unit = world.units["A"]
    other = Organisation(name="重庆市另一测试单位", kind=enums.UNIT, uscc=unit.uscc)
    assert refusal(accounts.check_organisation, other) == accounts.DUPLICATE_CREDIT_CODE
    assert accounts.credit_code_taken(unit.uscc)
    assert not accounts.credit_code_taken(unit.uscc, other_than=unit.id)
    accounts.check_organisation(unit)  # its own code is not a clash


def test_a_unit_without_a_credit_code_or_supervising_itself_is_refused(world):
    unit = world.units["A"]
    assert refusal(accounts.check_organisation, Organisation(name="无代码单位", kind=enums.UNIT)) == (
        "单位须填写统一社会信用代码"
    )
    db.session.refresh(unit)  # loaded, as the edit form loads it before filling it in
    unit.supervisor = unit
    assert refusal(accounts.check_organisation, unit) == "主管部门不能是本机构"
    db.session.rollback()


def test_accounts_disabled_enabled_and_reset_are_audited_with_the_actors_address(world):
    admin, target = world.users["admin"], world.users["center"]
    actor = Actor(admin, "10.1.2.3")
    db.session.add(
        UserSession(token_hash="x" * 64, user_id=target.id, created_at=actor.now, last_seen_at=actor.now)
    )
    db.session.commit()
    assert accounts.disable_accounts(actor, [target]) == [target]
    assert accounts.disable_accounts(actor, [target]) == []  # already disabled: left alone, not audited
    assert not target.active
    assert db.session.scalar(sa.select(UserSession.end_reason).where(UserSession.user_id == target.id)) == (
        "account_disabled"
    )
    assert accounts.enable_accounts(dc_replace(actor, ip="10.1.2.4"), [target]) == [target]
    [(name, password)] = accounts.reset_passwords(actor, [target])
    assert name == target.username and target.check_password(password) and target.must_change_password
    rows = db.session.execute(
        sa.select(AuditLog.action, AuditLog.username, AuditLog.ip).where(AuditLog.object_id == str(target.id))
    ).all()
    assert [tuple(r) for r in rows] == [
        ("account_disabled", admin.username, "10.1.2.3"),
        ("account_enabled", admin.username, "10.1.2.4"),
        ("password_reset", admin.username, "10.1.2.3"),
    ]


def test_a_new_account_gets_a_one_time_password_and_a_taken_name_is_refused(world):
    office = world.users["office"].organisation
    fresh = User(username="new_clerk", organisation=office, full_name="新人")
    password = accounts.prepare_account(fresh, is_created=True)
    assert fresh.check_password(password) and fresh.must_change_password
    clash = User(username=world.users["office"].username, organisation=office, full_name="重名")
    assert refusal(accounts.prepare_account, clash, True) == "该账号已存在"


# --- 考试资格申请: a unit's draft (services.applications.check_draft) ----------------------------------
def _draft(world, worker, **kw):
    fields = {
        "batch": world.batch,
        "worker": worker,
        "applied_trade": world.trade,
        "applied_grade": 4,
        "publicity_start": date(2021, 6, 1),
        "publicity_end": date(2021, 6, 7),
        "publicity_result": "",
    }
    return Application(**{**fields, **kw})


def test_a_new_draft_takes_the_units_district_and_category_of_now(world):
    unit = world.units["A"]
    worker = factories.add_worker(unit, "新工人", 300, world.trade, world.batch)
    draft = _draft(world, worker)
    applications.check_draft(Actor(world.users[enums.UNIT]), draft, is_created=True)
    assert (draft.unit_id, draft.jurisdiction_id, draft.org_category) == (
        unit.id,
        unit.jurisdiction_id,
        unit.org_category,
    )
    assert draft.publicity_result is None  # empty is stored as NULL


def test_a_unit_is_refused_a_draft_for_another_units_worker(world):
    draft = _draft(world, world.workers["B"])
    assert (
        refusal(applications.check_draft, Actor(world.users[enums.UNIT]), draft, True)
        == "只能为本单位人员申报"
    )


def test_a_unit_is_refused_a_second_application_of_a_worker_in_one_batch(world):
    draft = _draft(world, world.workers["A"])  # A's worker has a draft already
    assert (
        refusal(applications.check_draft, Actor(world.users[enums.UNIT]), draft, True)
        == "该人员在本批次已有申请，不能重复申报"
    )


def test_a_unit_is_refused_a_draft_once_the_submission_window_closed(world):
    worker = factories.add_worker(world.units["A"], "迟到工人", 301, world.trade, world.batch)
    world.batch.apply_deadline = clock.today() - timedelta(days=world.batch.grace_days + 1)
    draft = _draft(world, worker)
    reason = refusal(applications.check_draft, Actor(world.users[enums.UNIT]), draft, True)
    assert reason.startswith(f"考核批次“{world.batch}”已于{world.batch.apply_deadline.isoformat()}截止申报")


def test_a_unit_is_refused_publicity_ending_before_it_starts_or_a_veteran_claim_the_record_lacks(world):
    worker = factories.add_worker(world.units["A"], "公示工人", 302, world.trade, world.batch)
    actor = Actor(world.users[enums.UNIT])
    backwards = _draft(world, worker, publicity_end=date(2021, 5, 1))
    assert refusal(applications.check_draft, actor, backwards, True) == "公示结束日期不能早于开始日期"
    veteran = _draft(world, worker, veteran=True)
    assert refusal(applications.check_draft, actor, veteran, True) == "该人员未在人员信息中标记为退役士兵"
