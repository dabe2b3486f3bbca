"""考核批次 lifecycle: next year's batch made from this one (rules and routes copied), 开放申报 → 截止申报 → 归档,
no submission after 申报截止日 (+ grace period), and an archived batch read-only for everyone."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from admin_app import workflow
from admin_app.extensions import db
from admin_app.services import clock, materials
from admin_app.services.candidate_import import ImportEntry
from admin_app.services.validators import InvalidInput
from admin_app.workflow.states import ApplicationState, BatchState, ExamCategory, RegistrationState
from models import Application, AuditLog, ExamBatch, PostSetting, Registration, RouteRule, enums
from tests.conftest import login, snapshot_database
from tests.factories import add_material
from tests.integration.test_applications import fresh


def batch_action(client, name, *ids):
    return client.post(
        "/batches/action/",
        data={"action": name, "rowid": [str(i) for i in ids], "url": "/batches/"},
        follow_redirects=True,
    )


def routes_of(batch_id):
    return sorted(
        (r.org_category, r.grades, r.steps, r.note)
        for r in db.session.scalars(sa.select(RouteRule).where(RouteRule.batch_id == batch_id))
    )


def test_next_years_batch_copies_rules_and_routes(client, world):
    source = world.batch
    source.min_years_grade_3, source.pass_line_theory, source.grace_days = 6, 65, 3
    source.quorum_num, source.fee_amount = 3, 120
    db.session.commit()
    login(client, "admin")
    page = batch_action(client, "copy_next", source.id).get_data(as_text=True)
    assert "已创建“2022年度（渝人工考〔2022〕1号）”（未开放）" in page

    new = db.session.scalar(sa.select(ExamBatch).where(ExamBatch.year == 2022))
    assert new.state == BatchState.NOT_OPEN
    assert new.name == source.name.replace("2021", "2022")
    assert new.cutoff_date == date(2021, 12, 31)
    assert new.apply_deadline == source.apply_deadline.replace(year=source.apply_deadline.year + 1)
    assert (new.assessment_start_year, new.assessment_end_year) == (2017, 2021)
    assert (new.min_years_grade_3, float(new.pass_line_theory), new.grace_days) == (6, 65.0, 3)
    assert (new.quorum_num, float(new.fee_amount)) == (3, 120.0)
    assert routes_of(new.id) == routes_of(source.id) and len(routes_of(new.id)) >= 5
    assert db.session.scalar(
        sa.select(AuditLog.id).where(
            AuditLog.action == "batch_created_from", AuditLog.object_id == str(new.id)
        )
    )

    # the same year twice: refused, nothing added
    before = snapshot_database()
    page = batch_action(client, "copy_next", source.id).get_data(as_text=True)
    assert "2022年度的考核批次已存在" in page
    assert snapshot_database() == before
    # exactly one template
    page = batch_action(client, "copy_next", source.id, new.id).get_data(as_text=True)
    assert "请只勾选一个作为模板的批次" in page


def test_routes_of_a_new_batch_are_its_own(world):
    """Editing next year's route table leaves this year's (and its submissions) as they were."""
    from admin_app.services import batches

    new = batches.next_year_from(world.users["admin"], world.batch)
    rule = db.session.scalar(
        sa.select(RouteRule).where(RouteRule.batch_id == new.id, RouteRule.org_category == enums.CAT_DISTRICT)
    )
    rule.steps = "district_hr,city_hr,office"
    db.session.commit()
    assert workflow.route_for(world.batch.id, enums.CAT_DISTRICT, 3) == ["district_hr"]
    assert workflow.route_for(new.id, enums.CAT_DISTRICT, 3) == ["district_hr", "city_hr", "office"]


def test_open_close_archive(client, world):
    from admin_app.services import batches

    current = world.batch  # open
    new = batches.next_year_from(world.users["admin"], current)
    login(client, "admin")

    page = batch_action(client, "open_batch", new.id).get_data(as_text=True)
    assert "正在申报中，请先截止该批次" in page
    page = batch_action(client, "archive_batch", current.id).get_data(as_text=True)
    assert "当前状态为“申报中”，不能归档" in page
    assert batch_action(client, "close_batch", current.id).status_code == 200
    page = batch_action(client, "open_batch", new.id).get_data(as_text=True)
    assert "已开放申报" in page
    # B's application waits at 沙坪坝 and B's registration awaits recognition: archiving would freeze them
    page = batch_action(client, "archive_batch", current.id).get_data(as_text=True)
    assert "该批次仍有未办结事项：待审核的申请 1 条、待认定 1 条，请办结后再归档" in page
    finish_the_work(world)
    page = batch_action(client, "archive_batch", current.id).get_data(as_text=True)
    assert "已归档" in page
    page = batch_action(client, "open_batch", current.id).get_data(as_text=True)
    assert "当前状态为“已归档”，不能开放申报" in page
    db.session.expire_all()
    assert (current.state, new.state) == (BatchState.ARCHIVED, BatchState.OPEN)
    moves = db.session.execute(
        sa.select(AuditLog.action, AuditLog.from_state, AuditLog.to_state)
        .where(AuditLog.object_type == "ExamBatch")
        .order_by(AuditLog.id)
    ).all()
    assert [tuple(m) for m in moves if m.action != "batch_created_from"] == [
        ("close_batch", BatchState.OPEN, BatchState.CLOSED),
        ("open_batch", BatchState.NOT_OPEN, BatchState.OPEN),
        ("archive_batch", BatchState.CLOSED, BatchState.ARCHIVED),
    ]


@pytest.mark.parametrize("username", ["office", "city_hr", "unit_a"])
def test_only_the_admin_moves_batches(client, world, username):
    login(client, username)
    before = snapshot_database()
    for name in ("close_batch", "copy_next"):
        assert batch_action(client, name, world.batch.id).status_code == 403
    assert snapshot_database() == before
    # and the service refuses too, whoever calls it
    result = workflow.change_batch_state(world.users["office"], [world.batch.id], "close_batch")
    assert not result.done and "无权截止申报" in result.refused[0][2]


def test_state_changes_only_through_the_actions(client, world):
    login(client, "admin")
    form = client.get(f"/batches/edit/?id={world.batch.id}").get_data(as_text=True)
    assert 'name="state"' not in form
    assert 'name="grace_days"' in form


def test_no_submission_after_the_deadline_unless_within_grace(world):
    unit, app = fresh(world, "late", enums.CAT_DISTRICT)
    user = unit.users[0]
    world.batch.apply_deadline = clock.today() - timedelta(days=2)
    db.session.commit()
    result = workflow.submit(user, [app.id])
    assert not result.done
    assert f"已于{world.batch.apply_deadline.isoformat()}截止申报" in result.refused[0][2]
    assert db.session.get(Application, app.id).status == ApplicationState.DRAFT

    world.batch.grace_days = 1  # grace ended yesterday
    db.session.commit()
    assert "含宽限期" in workflow.submit(user, [app.id]).refused[0][2]

    world.batch.grace_days = 2  # today is the last day of grace
    db.session.commit()
    assert workflow.submit(user, [app.id]).done


def test_no_submission_when_the_batch_is_closed(world):
    unit, app = fresh(world, "closed", enums.CAT_DISTRICT)
    workflow.change_batch_state(world.users["admin"], [world.batch.id], "close_batch")
    result = workflow.submit(unit.users[0], [app.id])
    assert "已截止，不在申报期内" in result.refused[0][2]


def finish_the_work(world):
    """Decide what waits in the world's batch (B's review, B's recognition), as its reviewers would."""
    assert workflow.decide(
        world.users["district_hr_b"], [world.applications["B"].id], "reject", "不符合"
    ).done
    assert workflow.recognise(world.users["office"], [world.registrations["B"].id]).done
    db.session.expire_all()


@pytest.fixture
def archived(world):
    """The world's batch marked archived with rows at every stage — B's application still waiting at
    沙坪坝 — as a batch archived before the 未办结 guard existed would be: the read-only rule must hold even
    then, so the state is set directly here."""
    add_material(world.applications["B"])
    world.batch.state = BatchState.ARCHIVED
    db.session.commit()
    db.session.expire_all()
    return world


def test_archived_batch_refuses_every_workflow_step(archived):
    w = archived
    regs = w.registrations
    before = snapshot_database()
    refusals = [
        workflow.decide(w.users["district_hr_b"], [w.applications["B"].id], "approve", "同意"),
        workflow.confirm_registrations(w.users["office"], [regs["A"].id]),
        workflow.confirm_fees(w.users["center"], [regs["A"].id]),
        workflow.recognise(w.users["office"], [regs["B"].id]),
        workflow.revoke(w.users["office"], [regs["B"].id], "弄虚作假", "渝人工考〔2022〕3号"),
        workflow.record_handover(w.users["office"], [regs["B"].id], "张三", clock.today()),
    ]
    for result in refusals:
        assert not result.done and result.refused[0][2] == workflow.ARCHIVED, result
    problems = workflow.enter_scores(
        w.users["center"], [workflow.ScoreEntry(regs["A"].id, "80", "80", None, False)]
    )
    assert problems == {regs["A"].id: workflow.ARCHIVED}
    for call in (
        lambda: workflow.delete_draft(w.users["unit"], w.applications["A"]),
        lambda: workflow.register(
            w.users["unit"],
            regs["A"],
            phone="13800000000",
            voluntary_training=False,
            exam_category=ExamCategory.BOTH,
            remarks=None,
        ),
        lambda: materials.attach(w.users["district_hr_b"], w.applications["B"], None),
        lambda: workflow.record_veteran_decision(w.users["district_hr_b"], w.applications["B"], "比照"),
        lambda: workflow.register_imported(
            w.users["unit"], [ImportEntry(regs["A"].id, "13800000000", False, ExamCategory.BOTH, None)]
        ),
    ):
        with pytest.raises(InvalidInput, match="考核批次已归档，只读"):
            call()
    db.session.rollback()
    assert snapshot_database() == before


def business_rows() -> dict:
    rows = snapshot_database()
    rows.pop("app_user")  # logging in stamps the account
    return rows


def test_archived_batch_is_read_only_in_every_form(client, archived):
    w = archived
    before = business_rows()
    login(client, "admin")
    response = client.get(f"/batches/edit/?id={w.batch.id}", follow_redirects=True)
    assert "考核批次已归档，只读" in response.get_data(as_text=True)
    client.post(f"/batches/edit/?id={w.batch.id}", data={"name": "改名"})
    rule = db.session.scalar(sa.select(RouteRule).where(RouteRule.batch_id == w.batch.id))
    response = client.get(f"/routes/edit/?id={rule.id}", follow_redirects=True)
    assert "考核批次已归档，只读" in response.get_data(as_text=True)
    client.post("/routes/delete/", data={"id": str(rule.id), "url": "/routes/"})

    login(client, "unit_a")
    app_a = w.applications["A"]  # a draft: editable before archiving
    response = client.get(f"/applications/edit/?id={app_a.id}", follow_redirects=True)
    assert "考核批次已归档，只读" in response.get_data(as_text=True)
    client.post("/applications/delete/", data={"id": str(app_a.id), "url": "/applications/"})
    post = db.session.scalar(sa.select(PostSetting).where(PostSetting.unit_id == w.units["A"].id))
    response = client.post(
        f"/posts/edit/?id={post.id}",
        data={"approved_posts": "9", "current_staff": "1"},
        follow_redirects=True,
    )
    assert "考核批次已归档，只读" in response.get_data(as_text=True)
    response = client.get(f"/registrations/register/?id={w.registrations['A'].id}", follow_redirects=True)
    client.post(
        f"/registrations/register/?id={w.registrations['A'].id}",
        data={"phone": "13800000000", "exam_category": ExamCategory.BOTH},
    )
    assert business_rows() == before
    # still readable
    assert client.get(f"/applications/details/?id={app_a.id}").status_code == 200
    assert db.session.get(Registration, w.registrations["A"].id).status == RegistrationState.UNREGISTERED


def test_no_new_application_after_the_deadline(client, world):
    from tests.factories import add_worker

    worker = add_worker(world.units["A"], "甲迟到", 140, world.trade, world.batch)
    world.batch.apply_deadline = clock.today() - timedelta(days=1)
    db.session.commit()
    login(client, "unit_a")
    form = {
        "batch": world.batch.id,
        "worker": worker.id,
        "applied_trade": world.trade.id,
        "applied_grade": "3",
        "publicity_result": "no_objection",
    }
    body = client.post("/applications/new/", data=form).get_data(as_text=True)
    assert "截止申报" in body
    assert not db.session.scalar(sa.select(Application.id).where(Application.worker_id == worker.id))
