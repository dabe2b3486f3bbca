"""撤回 (SPEC §8.1): a unit takes a submitted application back to 待提交 until the first reviewer decides; the
post quota is released; a withdrawal and a decision at the same moment: exactly one lands (both databases, the
race on PostgreSQL)."""

import threading

import pytest
import sqlalchemy as sa

from admin_app import workflow
from admin_app.extensions import db
from admin_app.workflow.states import ApplicationState, pending
from models import Application, ApplicationReview, AuditLog, enums
from tests.conftest import login, text_of
from tests.factories import add_application, add_material, add_worker
from tests.integration.test_applications import fresh, open_posts

NOT_ANY_MORE = "审核人员已作出审核决定，不能撤回"
CHANGED = "该记录已被他人处理或状态已变化，请刷新后查看"


def _reviews(app_id):
    return db.session.scalars(
        sa.select(ApplicationReview)
        .where(ApplicationReview.application_id == app_id)
        .order_by(ApplicationReview.id)
    ).all()


def test_withdrawn_before_a_decision_goes_back_to_draft_and_frees_the_post(world):
    unit, first = fresh(world, "wd", enums.CAT_DISTRICT)
    open_posts(world, unit, approved=2, current=1)  # one vacant post per grade
    second = add_application(world, add_worker(unit, "第二人", 130, world.trade, world.batch))
    db.session.commit()
    user = unit.users[0]
    assert workflow.submit(user, [first.id]).done
    refused = workflow.submit(user, [second.id])
    assert not refused.done and "超过1:1限额" in refused.refused[0][2]
    assert "withdraw" in {t.name for t in workflow.available_transitions(user, "application", first.id)}

    result = workflow.withdraw(user, [first.id])

    assert [i for i, _label in result.done] == [first.id] and not result.refused
    db.session.expire_all()
    app = db.session.get(Application, first.id)
    assert app.status == ApplicationState.DRAFT
    assert app.route is None and app.submitted_at is None and app.step_index == 0
    # The post it held is free: the other worker now fits into the quota.
    assert workflow.submit(user, [second.id]).done
    # History: submit, then the withdrawal by the unit (no step of its own), from the first step to 待提交.
    history = _reviews(first.id)
    assert [h.action for h in history] == ["submit", "withdraw"]
    last = history[-1]
    assert last.from_status == pending(enums.DISTRICT_HR) and last.to_status == ApplicationState.DRAFT
    assert last.step_role is None and last.user_id == user.id and last.organisation_id == unit.id
    audit = db.session.scalar(
        sa.select(AuditLog).where(
            AuditLog.action == "application_withdraw", AuditLog.object_id == str(first.id)
        )
    )
    assert audit.from_state == pending(enums.DISTRICT_HR) and audit.to_state == ApplicationState.DRAFT
    assert audit.user_id == user.id
    # Withdrawn and edited, it is submitted again: a new round, withdrawable again.
    assert workflow.withdraw(user, [second.id]).done
    assert workflow.submit(user, [first.id]).done
    assert workflow.withdraw(user, [first.id]).done


def test_withdrawal_refused_once_a_reviewer_has_decided(world):
    unit, app = fresh(world, "wd2", enums.CAT_DISTRICT, grade=2)  # 区县 → 市工考办
    user = unit.users[0]
    workflow.submit(user, [app.id])
    add_material(app)
    db.session.commit()
    assert workflow.decide(world.users[enums.DISTRICT_HR], [app.id], "approve", None).done

    result = workflow.withdraw(user, [app.id])

    assert not result.done and result.refused[0][2] == NOT_ANY_MORE
    assert "withdraw" not in {t.name for t in workflow.available_transitions(user, "application", app.id)}
    db.session.expire_all()
    assert db.session.get(Application, app.id).status == pending(enums.OFFICE)
    assert [h.action for h in _reviews(app.id)] == ["submit", "approve"]
    # A decided application is not in a state that can be withdrawn at all.
    assert workflow.decide(world.users[enums.OFFICE], [app.id], "reject", "材料不实").done
    result = workflow.withdraw(user, [app.id])
    assert result.refused[0][2] == "当前状态为“审核未通过”，不能撤回"


def test_a_decision_in_this_round_forbids_withdrawal_even_back_at_the_first_step(world):
    """A round with a decision that left the application at its first step (a return for revision and the
    resubmission): the first reviewer has decided, so the unit may no longer withdraw it."""
    unit, app = fresh(world, "wd3", enums.CAT_DISTRICT)
    user = unit.users[0]
    workflow.submit(user, [app.id])
    hr = world.users[enums.DISTRICT_HR]
    db.session.add(
        ApplicationReview(
            application_id=app.id,
            step_index=0,
            step_role=enums.DISTRICT_HR,
            action="return_for_revision",
            organisation_id=hr.organisation_id,
            user_id=hr.id,
            role=hr.role,
            from_status=pending(enums.DISTRICT_HR),
            to_status=ApplicationState.RETURNED,
        )
    )
    db.session.commit()
    result = workflow.withdraw(user, [app.id])
    assert not result.done and result.refused[0][2] == NOT_ANY_MORE
    db.session.expire_all()
    assert db.session.get(Application, app.id).status == pending(enums.DISTRICT_HR)


def test_the_last_submission_read_is_the_applications_own(world):
    """A return in this round stays a decision when other applications were submitted after it: the round
    starts at this application's last 提交审核, not at the last one of any application."""
    unit, app = fresh(world, "wd5", enums.CAT_DISTRICT, seq=310)
    user = unit.users[0]
    workflow.submit(user, [app.id])
    hr = world.users[enums.DISTRICT_HR]
    db.session.add(
        ApplicationReview(
            application_id=app.id,
            step_index=0,
            step_role=enums.DISTRICT_HR,
            action="return_for_revision",
            organisation_id=hr.organisation_id,
            user_id=hr.id,
            role=hr.role,
            from_status=pending(enums.DISTRICT_HR),
            to_status=ApplicationState.RETURNED,
        )
    )
    db.session.commit()
    other_unit, other = fresh(world, "wd6", enums.CAT_DISTRICT, seq=311)
    assert workflow.submit(other_unit.users[0], [other.id]).done
    result = workflow.withdraw(user, [app.id])
    assert not result.done and result.refused[0][2] == NOT_ANY_MORE


def test_only_the_own_unit_withdraws(world):
    unit, app = fresh(world, "wd4", enums.CAT_DISTRICT)
    other, _other_app = fresh(world, "wd5", enums.CAT_DISTRICT, seq=140)
    workflow.submit(unit.users[0], [app.id])
    result = workflow.withdraw(other.users[0], [app.id])
    assert not result.done and result.refused[0][2] == "申请不存在或不属于本单位"
    result = workflow.withdraw(world.users[enums.DISTRICT_HR], [app.id])
    assert not result.done and result.refused[0][2] == "无权撤回"
    db.session.expire_all()
    assert db.session.get(Application, app.id).status == pending(enums.DISTRICT_HR)
    assert [h.action for h in _reviews(app.id)] == ["submit"]
    # A draft is not withdrawn (nothing was submitted).
    draft = add_application(world, add_worker(unit, "未提交者", 141, world.trade, world.batch))
    db.session.commit()
    result = workflow.withdraw(unit.users[0], [draft.id])
    assert result.refused[0][2] == "当前状态为“待提交”，不能撤回"


def test_unit_withdraws_ticked_rows_from_its_list(client, world):
    unit, app = fresh(world, "wdweb", enums.CAT_DISTRICT)
    workflow.submit(unit.users[0], [app.id])
    login(client, unit.users[0].username)
    details = client.get(f"/applications/details/?id={app.id}").get_data(as_text=True)
    assert 'id="withdraw-form"' in details and 'value="withdraw"' in details
    body = text_of(client.post("/applications/action/", data={"action": "withdraw", "rowid": [app.id]}))
    assert '成功 <strong class="text-success">1</strong>' in body
    db.session.expire_all()
    assert db.session.get(Application, app.id).status == ApplicationState.DRAFT
    review = _reviews(app.id)[-1]
    assert review.action == "withdraw" and review.ip == "127.0.0.1"
    details = client.get(f"/applications/details/?id={app.id}").get_data(as_text=True)
    assert 'id="withdraw-form"' not in details  # a draft: nothing to withdraw
    # A reviewer is not offered 撤回 and cannot post it.
    workflow.submit(unit.users[0], [app.id])
    login(client, "yuzhong_hr")
    details = client.get(f"/applications/details/?id={app.id}").get_data(as_text=True)
    assert 'id="withdraw-form"' not in details
    response = client.post("/applications/decide/", data={"op": "withdraw", "rowid": app.id})
    assert response.status_code == 403


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_withdrawal_racing_a_decision_exactly_one_lands(app, world, decision):
    """The unit withdraws while the first reviewer decides, on two connections at the same moment."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row-level concurrency is proven on PostgreSQL (SQLite serialises writers)")
    unit, application = fresh(world, "wdrace", enums.CAT_DISTRICT)  # one step: 区县
    workflow.submit(unit.users[0], [application.id])
    add_material(application)
    db.session.commit()
    users = {"withdraw": unit.users[0].id, decision: world.users[enums.DISTRICT_HR].id}
    barrier = threading.Barrier(2)
    results = {}

    def act(name):
        with app.app_context():
            from models import User

            user = db.session.get(User, users[name])
            barrier.wait()
            if name == "withdraw":
                results[name] = workflow.withdraw(user, [application.id])
            else:
                results[name] = workflow.decide(user, [application.id], name, "并发测试")

    threads = [threading.Thread(target=act, args=(name,)) for name in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done = [name for name, r in results.items() if r.done]
    refused = {name: r.refused[0][2] for name, r in results.items() if r.refused}
    assert len(done) == 1 and len(refused) == 1, results
    db.session.expire_all()
    status = db.session.get(Application, application.id).status
    history = [h.action for h in _reviews(application.id)]
    assert history == ["submit", done[0]]  # one row for the one that landed, none for the other
    if done == ["withdraw"]:
        assert status == ApplicationState.DRAFT
        # Read after the withdrawal: the draft is outside the reviewer's scope; else the UPDATE missed it.
        assert refused[decision] in (CHANGED, "申请不存在、未提交或已撤回，或不在您的审核范围内")
    else:
        assert status == (ApplicationState.APPROVED if decision == "approve" else ApplicationState.REJECTED)
        label = ApplicationState.label_of(status)
        assert refused["withdraw"] in (CHANGED, f"当前状态为“{label}”，不能撤回")
