"""考试资格申请 end to end: routes, decisions, bulk, quota, scope, materials, 登记表 (both databases)."""

import io

import pytest
import sqlalchemy as sa

from admin_app import workflow
from admin_app.extensions import db
from admin_app.workflow import applications as application_stage
from admin_app.workflow.states import ApplicationState, pending
from models import (
    Application,
    ApplicationReview,
    AuditLog,
    Material,
    PostSetting,
    RouteRule,
    enums,
)
from tests.conftest import login, text_of
from tests.factories import add_application, add_material, add_unit, add_user, add_worker
from tests.pinned import decide_all

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"


def open_posts(world, unit, approved=3, current=1):
    """Post settings for every grade of the batch (so quota and the highest grade allow the tests)."""
    db.session.execute(sa.delete(PostSetting).where(PostSetting.unit_id == unit.id))
    for grade in range(1, 6):
        db.session.add(
            PostSetting(
                unit=unit, batch=world.batch, grade=grade, approved_posts=approved, current_staff=current
            )
        )
    db.session.flush()


def fresh(world, key, category, jurisdiction_code="500103", grade=3, seq=100):
    """A unit of the category with an eligible worker and a draft application for ``grade``."""
    unit = add_unit(f"{key}单位", world.jurisdictions[jurisdiction_code], category=category)
    db.session.flush()
    add_user(f"user_{key}", unit)
    open_posts(world, unit)
    worker = add_worker(unit, f"{key}申报人", seq, world.trade, world.batch)
    worker.current_grade = grade + 1
    if grade in enums.SENIOR_GRADES:
        worker.current_grade_date = worker.current_grade_date.replace(year=2010)
    db.session.flush()
    app = add_application(world, worker, grade=grade)
    db.session.commit()
    return unit, app


def reviewer(world, role):
    return world.users[role]


def approve_with_material(world, app, role):
    user = reviewer(world, role)
    if app.step_index == 0 and not app.materials:
        add_material(app)
        db.session.commit()
    return workflow.decide(user, [app.id], "approve", "同意")


ROUTES = [
    (enums.CAT_CITY_PARTY, 3, [enums.PARTY_ORG, enums.OFFICE]),
    (enums.CAT_CITY_OTHER, 2, [enums.CITY_HR, enums.OFFICE]),
    (enums.CAT_DISTRICT, 3, [enums.DISTRICT_HR]),
    (enums.CAT_DISTRICT, 2, [enums.DISTRICT_HR, enums.OFFICE]),
    (enums.CAT_SOE, 4, [enums.OFFICE]),
]


@pytest.mark.parametrize(("category", "grade", "chain"), ROUTES, ids=lambda v: str(v))
def test_each_route_of_the_notice_end_to_end(world, category, grade, chain):
    unit, app = fresh(world, category + str(grade), category, grade=grade)
    result = workflow.submit(unit.users[0], [app.id])
    assert result.done and not result.refused, result.refused
    db.session.expire_all()
    assert app.route == ",".join(chain)
    for role in chain:
        assert app.status == pending(role)
        # Another review role cannot take this step.
        other = next(r for r in enums.REVIEW_ROLES if r != role and r in world.users)
        assert not workflow.decide(world.users[other], [app.id], "approve", None).done
        result = approve_with_material(world, app, role)
        assert result.done, result.refused
        db.session.expire_all()
    assert app.status == ApplicationState.APPROVED and app.decided_at is not None
    history = db.session.scalars(
        sa.select(ApplicationReview).where(ApplicationReview.application_id == app.id)
    ).all()
    assert [h.action for h in history] == ["submit"] + ["approve"] * len(chain)
    assert [h.step_role for h in history[1:]] == chain
    assert all(h.user_id and h.organisation_id for h in history)
    audits = db.session.scalars(
        sa.select(AuditLog.action).where(
            AuditLog.object_type == "Application", AuditLog.object_id == str(app.id)
        )
    ).all()
    assert audits.count("application_approve") == len(chain)


def test_route_table_is_data_and_edits_do_not_move_applications_in_flight(world):
    unit, app = fresh(world, "x", enums.CAT_INSTITUTION)
    workflow.submit(unit.users[0], [app.id])
    rule = db.session.scalar(sa.select(RouteRule).where(RouteRule.org_category == enums.CAT_INSTITUTION))
    rule.steps = "city_hr,office"
    db.session.commit()
    db.session.expire_all()
    assert app.route == "office" and app.status == pending(enums.OFFICE)
    _unit2, app2 = fresh(world, "y", enums.CAT_INSTITUTION, seq=101)
    workflow.submit(_unit2.users[0], [app2.id])
    db.session.expire_all()
    assert app2.route == "city_hr,office"


def test_first_reviewer_needs_materials_and_reject_needs_opinion(world):
    unit, app = fresh(world, "m", enums.CAT_DISTRICT)
    workflow.submit(unit.users[0], [app.id])
    hr = world.users[enums.DISTRICT_HR]
    result = workflow.decide(hr, [app.id], "approve", None)
    assert not result.done and "须先上传申报材料" in result.refused[0][2]
    with pytest.raises(Exception, match="须填写审核意见"):
        workflow.decide(hr, [app.id], "reject", "  ")
    result = workflow.decide(hr, [app.id], "reject", "公示材料不全")
    assert result.done
    db.session.expire_all()
    assert app.status == ApplicationState.REJECTED
    # The flow has ended: no further decision lands.
    assert not workflow.decide(hr, [app.id], "approve", None).done
    last = db.session.scalars(
        sa.select(ApplicationReview).where(ApplicationReview.application_id == app.id)
    ).all()[-1]
    assert last.opinion == "公示材料不全" and last.to_status == ApplicationState.REJECTED


def test_reviewers_outside_jurisdiction_are_refused(world):
    unit, app = fresh(world, "s", enums.CAT_DISTRICT, jurisdiction_code="500106")  # 沙坪坝
    workflow.submit(unit.users[0], [app.id])
    add_material(app)
    db.session.commit()
    result = workflow.decide(world.users[enums.DISTRICT_HR], [app.id], "approve", None)  # 渝中 bureau
    assert not result.done and "不在您的审核范围内" in result.refused[0][2]
    assert workflow.decide(world.users["district_hr_b"], [app.id], "approve", None).done


def test_merged_jurisdiction_reviewed_by_successor(world):
    unit, app = fresh(world, "old", enums.CAT_DISTRICT, jurisdiction_code="500112")  # 原渝北区
    workflow.submit(unit.users[0], [app.id])
    add_material(app)
    db.session.commit()
    assert workflow.decide(world.users["district_hr_lj"], [app.id], "approve", None).done


def test_unit_moving_does_not_move_its_submitted_application(world):
    unit, app = fresh(world, "mv", enums.CAT_DISTRICT)
    workflow.submit(unit.users[0], [app.id])
    unit.jurisdiction = world.jurisdictions["500106"]
    db.session.commit()
    add_material(app)
    db.session.commit()
    assert not workflow.decide(world.users["district_hr_b"], [app.id], "approve", None).done
    assert workflow.decide(world.users[enums.DISTRICT_HR], [app.id], "approve", None).done


def test_bulk_decision_over_mixed_rows(world):
    hr = world.users[enums.DISTRICT_HR]
    ok_ids, no_material = [], None
    units = []
    for i in range(3):
        unit, app = fresh(world, f"b{i}", enums.CAT_DISTRICT, seq=110 + i)
        units.append(unit)
        workflow.submit(unit.users[0], [app.id])
        if i < 2:
            add_material(app)
            ok_ids.append(app.id)
        else:
            no_material = app.id
    draft = world.applications["A"].id  # still 待提交
    outside = world.applications["B"].id  # 沙坪坝
    db.session.commit()
    result = workflow.decide(hr, ok_ids + [no_material, draft, outside, 999999], "approve", "批量同意")
    assert sorted(i for i, _ in result.done) == sorted(ok_ids)
    reasons = {i: r for i, _, r in result.refused}
    assert "申报材料" in reasons[no_material]
    assert reasons[draft] == reasons[outside]  # a unit's draft is outside every staff scope
    assert "不在您的审核范围内" in reasons[outside] and "不在您的审核范围内" in reasons[999999]
    db.session.expire_all()
    assert db.session.get(Application, no_material).status == pending(enums.DISTRICT_HR)
    assert db.session.get(Application, draft).status == ApplicationState.DRAFT


def test_submission_refuses_blocking_rows_with_reasons_and_counts_the_quota(world):
    unit, first = fresh(world, "q", enums.CAT_DISTRICT)
    open_posts(world, unit, approved=2, current=1)  # one vacant post per grade
    second_worker = add_worker(unit, "第二人", 120, world.trade, world.batch)
    third_worker = add_worker(unit, "优秀者", 121, world.trade, world.batch)
    for a in third_worker.assessments:
        if a.year in (2016, 2017, 2018):
            a.result = "excellent"
    bad_worker = add_worker(unit, "不合格者", 122, world.trade, world.batch)
    bad_worker.assessments[0].result = "fail"
    db.session.flush()
    second = add_application(world, second_worker)
    third = add_application(world, third_worker)
    bad = add_application(world, bad_worker)
    db.session.commit()
    result = workflow.submit(unit.users[0], [first.id, second.id, third.id, bad.id])
    done = {i for i, _ in result.done}
    reasons = {i: r for i, _, r in result.refused}
    assert done == {first.id, third.id}  # third is exempt (3×优秀), second exceeds the 1:1 quota
    assert "超过1:1限额" in reasons[second.id]
    assert "年度考核" in reasons[bad.id]
    db.session.expire_all()
    assert db.session.get(Application, third.id).quota_exempt_reason == "three_excellent"
    assert db.session.get(Application, second.id).status == ApplicationState.DRAFT
    # Submitting again is refused, not doubled.
    again = workflow.submit(unit.users[0], [first.id])
    assert not again.done and "不能重复提交" in again.refused[0][2]


def test_exempt_applications_still_capped_by_highest_grade(world):
    unit, app = fresh(world, "cap", enums.CAT_DISTRICT)
    for setting in db.session.scalars(sa.select(PostSetting).where(PostSetting.unit_id == unit.id)):
        if setting.grade < 4:
            setting.approved_posts = 0
    for a in app.worker.assessments:
        a.result = "excellent"
    db.session.commit()
    result = workflow.submit(unit.users[0], [app.id])
    assert "最高设置等级" in result.refused[0][2]


# --- through the web ----------------------------------------------------------------------------------
def test_unit_submits_via_action_and_locked_afterwards(client, world):
    unit, app = fresh(world, "web", enums.CAT_DISTRICT)
    login(client, unit.users[0].username)
    body = text_of(client.post("/applications/action/", data={"action": "submit", "rowid": [app.id]}))
    assert '成功 <strong class="text-success">1</strong>' in body
    response = client.get(f"/applications/edit/?id={app.id}")
    assert response.status_code == 302 and "/details/" in response.headers["Location"]
    assert client.post("/applications/delete/", data={"id": app.id}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Application, app.id) is not None


def test_unit_creates_application_only_for_own_workers(client, world, login_as):
    login_as("unit_a")
    open_posts(world, world.units["A"])
    db.session.commit()
    form = {
        "batch": world.batch.id,
        "worker": world.workers["B"].id,  # another unit's worker
        "applied_trade": world.trade.id,
        "applied_grade": "3",
        "publicity_result": "no_objection",
    }
    body = text_of(client.post("/applications/new/", data=form))
    assert "保存失败" in body
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Application)
            .where(Application.worker_id == world.workers["B"].id)
        )
        == 1
    )
    # Own worker: saved, and the rule results appear on the form.
    other_worker = add_worker(world.units["A"], "甲二", 130, world.trade, world.batch)
    db.session.commit()
    response = client.post(
        "/applications/new/",
        data={
            **form,
            "worker": other_worker.id,
            "publicity_start": "2021-06-01",
            "publicity_end": "2021-06-07",
        },
    )
    assert response.status_code == 302
    body = text_of(client.get(response.headers["Location"]))
    assert "资格条件核对" in body and "R08" in body
    # A second application for the same worker and batch is refused.
    body = text_of(
        client.post("/applications/new/", data={**form, "worker": other_worker.id}, follow_redirects=True)
    )
    assert "已有申请" in body


def test_reviewer_queue_upload_approve_and_history_through_the_web(client, world):
    unit, app = fresh(world, "q2", enums.CAT_DISTRICT)
    workflow.submit(unit.users[0], [app.id])
    login(client, "yuzhong_hr")
    queue = text_of(client.get("/review_queue/"))
    assert "q2申报人" in queue and "A工人" not in queue  # A's is still 待提交
    # Approving first without materials is refused, naming the row.
    body = text_of(client.post("/review_queue/decide/", data={"op": "approve", "rowid": app.id}))
    assert "第一审核环节须先上传申报材料" in body and "q2申报人" in body
    # Upload refusals: a text file named .pdf, and a file over 20 MB.
    response = client.post(
        f"/review_queue/materials/upload/?id={app.id}",
        data={"file": (io.BytesIO(b"hello"), "伪装.pdf")},
        follow_redirects=True,
    )
    assert "文件类型不符" in text_of(response)
    big = io.BytesIO(b"%PDF-" + b"0" * (20 * 1024 * 1024))
    response = client.post(
        f"/review_queue/materials/upload/?id={app.id}",
        data={"file": (big, "大文件.pdf")},
        follow_redirects=True,
    )
    assert "20MB" in text_of(response)
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Material).where(Material.application_id == app.id)
        )
        == 0
    )
    response = client.post(
        f"/review_queue/materials/upload/?id={app.id}",
        data={"file": (io.BytesIO(PDF), "登记表（扫描）.pdf")},
        follow_redirects=True,
    )
    assert "已上传：登记表（扫描）.pdf" in text_of(response)
    material = db.session.scalar(sa.select(Material).where(Material.application_id == app.id))
    assert "登记表" not in material.stored_name and material.stored_name.endswith(".pdf")
    download = client.get(f"/review_queue/materials/download/?mid={material.id}")
    assert download.status_code == 200 and download.data == PDF
    assert (
        "attachment" in download.headers["Content-Disposition"]
        and "filename*=UTF-8''" in download.headers["Content-Disposition"]
    )
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    body = text_of(
        client.post("/review_queue/decide/", data={"op": "approve", "rowid": app.id, "opinion": "同意上报"})
    )
    assert '成功 <strong class="text-success">1</strong>' in body
    details = text_of(client.get(f"/applications/details/?id={app.id}"))
    assert "审核已通过" in details and "同意上报" in details and "提交审核" in details
    # Unit A (another unit) can neither see the application nor download its material.
    login(client, "unit_a")
    assert client.get(f"/applications/details/?id={app.id}").status_code == 404
    assert client.get(f"/applications/materials/download/?mid={material.id}").status_code == 404


def test_bulk_on_all_rows_matching_the_filter(client, world, monkeypatch):
    apps = []
    for i in range(3):
        unit, app = fresh(world, f"f{i}", enums.CAT_DISTRICT, seq=140 + i)
        workflow.submit(unit.users[0], [app.id])
        add_material(app)
        apps.append(app)
    db.session.commit()
    login(client, "yuzhong_hr")
    # Find the 姓名 search: the list's search box filters to one person.
    confirm = text_of(client.get("/review_queue/bulk/?search=f1申报人&op=reject"))
    assert "全部 1 条" in confirm
    body = text_of(decide_all(client, "/review_queue", "reject", "search=f1申报人", {"opinion": "材料不全"}))
    assert '成功 <strong class="text-success">1</strong>' in body
    db.session.expire_all()
    assert [a.status for a in apps] == [
        pending(enums.DISTRICT_HR),
        ApplicationState.REJECTED,
        pending(enums.DISTRICT_HR),
    ]
    # Without search: all remaining matching rows of the queue. The result page names the first
    # DONE_SHOWN of the rows done and counts the rest.
    monkeypatch.setattr("views.bulk.DONE_SHOWN", 1)
    body = text_of(decide_all(client, "/review_queue", "approve"))
    assert '成功 <strong class="text-success">2</strong>' in body
    assert body.count('<td><a href="/review_queue/details/?id=') == 1
    assert "以上列出前 1 条，其余 1 条已同样处理" in body


def test_print_registration_form(client, world):
    unit, app = fresh(world, "pr", enums.CAT_DISTRICT, grade=2)
    workflow.submit(unit.users[0], [app.id])
    approve_with_material(world, app, enums.DISTRICT_HR)
    login(client, "yuzhong_hr")
    page = text_of(client.get(f"/applications/print/?id={app.id}"))
    assert "附件2" in page and "技师、高级技师填报" in page and "评审委员会意见" in page
    assert app.worker.id_number in page and "同意" in page
    unit2, app2 = fresh(world, "pr2", enums.CAT_DISTRICT, grade=5, seq=150)
    login(client, unit2.users[0].username)
    page = text_of(client.get(f"/applications/print/?id={app2.id}"))
    assert "附件1" in page and "初、中、高级工填报" in page


def test_veteran_needs_a_reviewers_decision_before_approval(world):
    unit, app = fresh(world, "vet", enums.CAT_DISTRICT)
    worker = app.worker
    worker.is_veteran = True
    worker.current_grade = None  # no grade yet; applies for 高级工 比照同等条件人员
    worker.current_grade_date = None
    app.veteran = True
    db.session.commit()
    assert workflow.submit(unit.users[0], [app.id]).done  # relaxed to a warning
    add_material(app)
    db.session.commit()
    hr = world.users[enums.DISTRICT_HR]
    result = workflow.decide(hr, [app.id], "approve", None)
    assert not result.done and "退役士兵" in result.refused[0][2]
    workflow.record_veteran_decision(hr, app, "比照本单位同等条件人员确定为高级工")
    assert workflow.decide(hr, [app.id], "approve", None).done


def test_two_reviewers_deciding_at_once_exactly_one_lands(app, world):
    """Two sessions on two connections decide the same application at the same moment."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row-level concurrency is proven on PostgreSQL (SQLite serialises writers)")
    import threading

    unit, application = fresh(world, "cc", enums.CAT_DISTRICT)
    workflow.submit(unit.users[0], [application.id])
    add_material(application)
    second = add_user("yuzhong_hr2", world.users[enums.DISTRICT_HR].organisation)
    db.session.commit()
    ids = (world.users[enums.DISTRICT_HR].id, second.id)
    barrier = threading.Barrier(2)
    results = {}

    def decide(user_id, op):
        with app.app_context():
            from models import User

            user = db.session.get(User, user_id)
            barrier.wait()
            results[user_id] = workflow.decide(user, [application.id], op, "并发测试")

    threads = [
        threading.Thread(target=decide, args=(ids[0], "approve")),
        threading.Thread(target=decide, args=(ids[1], "reject")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done = [r for r in results.values() if r.done]
    refused = [r for r in results.values() if r.refused]
    assert len(done) == 1 and len(refused) == 1
    assert "已被他人处理" in refused[0].refused[0][2] or "不在您的审核环节" in refused[0].refused[0][2]
    reviews = db.session.scalars(
        sa.select(ApplicationReview).where(
            ApplicationReview.application_id == application.id, ApplicationReview.action != "submit"
        )
    ).all()
    assert len(reviews) == 1


def test_history_is_consistent_after_everything(world):
    # A sanity check used by the load test later: every review's from_status chains to the next one.
    unit, app = fresh(world, "hist", enums.CAT_CITY_PARTY)
    workflow.submit(unit.users[0], [app.id])
    approve_with_material(world, app, enums.PARTY_ORG)
    approve_with_material(world, app, enums.OFFICE)
    reviews = db.session.scalars(
        sa.select(ApplicationReview)
        .where(ApplicationReview.application_id == app.id)
        .order_by(ApplicationReview.id)
    ).all()
    for before, after in zip(reviews, reviews[1:], strict=False):
        assert before.to_status == after.from_status
    assert (
        reviews[0].from_status == ApplicationState.DRAFT
        and reviews[-1].to_status == ApplicationState.APPROVED
    )


def test_a_failure_in_one_group_keeps_the_groups_already_done(world, monkeypatch):
    """Two groups (different routes/steps at the 市工考办); the second fails while being written."""
    unit_a, office_only = fresh(world, "g1", enums.CAT_SOE, grade=4, seq=700)  # route: office
    unit_b, two_step = fresh(world, "g2", enums.CAT_CITY_OTHER, grade=4, seq=701)  # city_hr → office
    workflow.submit(unit_a.users[0], [office_only.id])
    workflow.submit(unit_b.users[0], [two_step.id])
    add_material(office_only)
    db.session.commit()
    approve_with_material(world, two_step, enums.CITY_HR)
    calls = {"n": 0}
    original = application_stage.record

    def failing_record(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return original(*args, **kwargs)

    monkeypatch.setattr(application_stage, "record", failing_record)
    result = workflow.decide(world.users[enums.OFFICE], [office_only.id, two_step.id], "approve", None)
    assert len(result.done) == 1 and len(result.refused) == 1
    assert "其余已处理的不受影响" in result.refused[0][2]
    db.session.expire_all()
    done_id = result.done[0][0]
    failed_id = result.refused[0][0]
    assert db.session.get(Application, done_id).status == ApplicationState.APPROVED
    assert db.session.get(Application, failed_id).status == pending(enums.OFFICE)
    # Nothing half-written for the failed one: no review row for its office step.
    reviews = db.session.scalars(
        sa.select(ApplicationReview).where(
            ApplicationReview.application_id == failed_id, ApplicationReview.step_role == enums.OFFICE
        )
    ).all()
    assert reviews == []
