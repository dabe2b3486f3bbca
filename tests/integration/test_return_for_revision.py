"""退回修改 (SPEC §8.1) end to end: a reviewer returns with an opinion and parts, the unit changes only those
parts and resubmits, the application goes back to the step that returned it, whose reviewer sees before →
after; every round is kept; the post quota stays held; the unit is told (both databases)."""

import io
import re

import pytest
import sqlalchemy as sa

from admin_app import workflow
from admin_app.extensions import db
from admin_app.services.validators import InvalidInput
from admin_app.workflow.states import ApplicationState, BatchState, pending
from models import (
    Application,
    ApplicationReview,
    ApplicationRevision,
    AuditLog,
    Notification,
    Worker,
    enums,
)
from tests.conftest import login, text_of
from tests.factories import add_application, add_material, add_worker
from tests.integration.test_applications import approve_with_material, fresh, open_posts
from tests.pinned import decide_all

RETURNED = ApplicationState.RETURNED


def submitted(world, key, category=enums.CAT_DISTRICT, grade=3, seq=100):
    unit, app = fresh(world, key, category, grade=grade, seq=seq)
    result = workflow.submit(unit.users[0], [app.id])
    assert [i for i, _ in result.done] == [app.id], result.refused
    db.session.expire_all()
    return unit, db.session.get(Application, app.id)


def changes_table(page: str) -> list:
    """The rows of the 退回修改前 / 修改后 table of a details page, as lists of cell texts."""
    table = page[page.index('id="revision-changes"') :]
    table = table[: table.index("</table>")]
    rows = re.findall(r"<tr>(.*?)</tr>", table)[1:]
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r)] for r in rows]


def reload(app) -> Application:
    db.session.expire_all()
    return db.session.get(Application, app.id)


# --- the service ------------------------------------------------------------------------------------------
def test_reviewer_returns_with_opinion_and_parts_and_the_unit_is_told(world):
    unit, app = submitted(world, "r1")
    hr = world.users[enums.DISTRICT_HR]
    result = workflow.return_for_revision(hr, [app.id], "业绩描述过简", ["achievements", "education"])
    assert [i for i, _ in result.done] == [app.id] and not result.refused
    app = reload(app)
    assert app.status == RETURNED and app.return_parts == "education,achievements" and app.step_index == 0
    (revision,) = app.revisions
    assert (revision.round, revision.step_role, revision.step_index) == (1, enums.DISTRICT_HR, 0)
    assert revision.opinion == "业绩描述过简" and revision.after is None and revision.resubmitted_at is None
    review = app.reviews[-1]
    assert (review.action, review.step_role, review.from_status, review.to_status) == (
        "return_for_revision",
        enums.DISTRICT_HR,
        pending(enums.DISTRICT_HR),
        RETURNED,
    )
    message = db.session.scalar(sa.select(Notification).where(Notification.object_id == app.id))
    assert message.organisation_id == unit.id and message.kind == "application_returned"
    assert message.title == "考试资格申请被退回修改"
    assert message.body == (
        "r1申报人（三级（高级工））的考试资格申请被退回修改，请修改后重新提交。审核意见：业绩描述过简（需修改：学历、业绩）"
    )
    assert db.session.scalar(
        sa.select(sa.func.count()).where(
            AuditLog.action == "application_return", AuditLog.object_id == str(app.id)
        )
    )


def test_missing_opinion_or_parts_is_refused_and_nothing_changes(world):
    _unit, app = submitted(world, "r2")
    hr = world.users[enums.DISTRICT_HR]
    with pytest.raises(InvalidInput, match="^退回修改须填写审核意见$"):
        workflow.return_for_revision(hr, [app.id], "  ", ["achievements"])
    with pytest.raises(InvalidInput, match="^退回修改须选择需修改的部分$"):
        workflow.return_for_revision(hr, [app.id], "请修改", [])
    with pytest.raises(InvalidInput, match="^需修改的部分无效，请重新选择$"):
        workflow.return_for_revision(hr, [app.id], "请修改", ["status"])
    with pytest.raises(InvalidInput, match="^审核意见不能超过2000字$"):
        workflow.return_for_revision(hr, [app.id], "长" * 2001, ["achievements"])
    app = reload(app)
    assert app.status == pending(enums.DISTRICT_HR) and not app.revisions and app.return_parts is None


def test_only_the_reviewer_at_the_current_step_may_return(world):
    _unit, app = submitted(world, "r3", grade=2)  # 区县属 技师: 区县人力社保局 → 市工考办
    office = world.users[enums.OFFICE]
    result = workflow.return_for_revision(office, [app.id], "请修改", ["achievements"])
    assert result.refused == [
        (app.id, "r3申报人（二级（技师））", "当前状态为“待区县人力社保局审核”，不在您的审核环节")
    ]
    unit_user = app.unit.users[0]
    assert workflow.return_for_revision(unit_user, [app.id], "请修改", ["achievements"]).refused == [
        (app.id, "", "无权退回修改")
    ]
    other_bureau = world.users["district_hr_b"]  # 沙坪坝: not its jurisdiction
    refused = workflow.return_for_revision(other_bureau, [app.id], "请修改", ["achievements"]).refused
    assert refused == [(app.id, "", "申请不存在、未提交或已撤回，或不在您的审核范围内")]
    draft = world.applications["A"]
    refused = workflow.return_for_revision(world.users[enums.DISTRICT_HR], [draft.id], "请修改", ["basic"])
    assert refused.refused[0][2] == "申请不存在、未提交或已撤回，或不在您的审核范围内"  # the unit's own
    assert reload(app).status == pending(enums.DISTRICT_HR)


def test_resubmission_goes_back_to_the_second_step_that_returned_it(world):
    unit, app = submitted(world, "r4", grade=2)
    assert approve_with_material(world, app, enums.DISTRICT_HR).done
    office = world.users[enums.OFFICE]
    assert workflow.return_for_revision(office, [app.id], "公示材料不全", ["publicity"]).done
    app = reload(app)
    assert app.status == RETURNED and app.step_index == 1
    # The unit cannot approve or withdraw it; the reviewer cannot decide it while it is with the unit.
    assert workflow.withdraw(unit.users[0], [app.id]).refused
    assert workflow.decide(office, [app.id], "approve", "同意").refused[0][2] == (
        "当前状态为“退回修改”，不在您的审核环节"
    )
    result = workflow.resubmit(unit.users[0], [app.id])
    assert [i for i, _ in result.done] == [app.id]
    app = reload(app)
    assert app.status == pending(enums.OFFICE) and app.step_index == 1 and app.return_parts is None
    assert app.route == f"{enums.DISTRICT_HR},{enums.OFFICE}"
    resubmission = app.reviews[-1]
    assert (
        resubmission.action,
        resubmission.step_index,
        resubmission.from_status,
        resubmission.to_status,
    ) == (
        "resubmit",
        1,
        RETURNED,
        pending(enums.OFFICE),
    )
    # It is the office's to decide again, not the district's.
    assert workflow.decide(office, [app.id], "approve", "同意").done
    assert reload(app).status == ApplicationState.APPROVED


def test_resubmit_only_own_returned_applications(world):
    unit, app = submitted(world, "r5")
    refused = workflow.resubmit(unit.users[0], [app.id]).refused
    assert refused == [
        (app.id, "r5申报人（三级（高级工））", "当前状态为“待区县人力社保局审核”，不能重新提交")
    ]
    workflow.return_for_revision(world.users[enums.DISTRICT_HR], [app.id], "请修改", ["achievements"])
    other_unit = world.users["unit_b"]
    assert workflow.resubmit(other_unit, [app.id]).refused[0][2] == "申请不存在或不属于本单位"
    assert workflow.resubmit(world.users[enums.DISTRICT_HR], [app.id]).refused[0][2] == "无权重新提交"
    assert reload(app).status == RETURNED


def test_before_and_after_of_two_rounds_are_kept(world):
    unit, app = submitted(world, "r6")
    hr = world.users[enums.DISTRICT_HR]
    app.achievements = "参与维修"
    db.session.commit()
    workflow.return_for_revision(hr, [app.id], "业绩过简", ["achievements"])
    app = reload(app)
    app.achievements = "主持完成锅炉大修三次"
    db.session.commit()
    workflow.resubmit(unit.users[0], [app.id])
    workflow.return_for_revision(hr, [app.id], "学历证书编号缺失", ["education", "materials"])
    app = reload(app)
    app.worker.educations[0].certificate_number = "ZS-2020-001" if app.worker.educations else None
    db.session.commit()
    workflow.resubmit(unit.users[0], [app.id])
    app = reload(app)
    first, second = app.revisions
    assert (first.round, second.round) == (1, 2)
    assert workflow.revisions.changes(first) == [("业绩", "achievements", "参与维修", "主持完成锅炉大修三次")]
    assert second.parts == "education,materials" and second.opinion == "学历证书编号缺失"
    assert second.resubmitted_at is not None
    actions = [r.action for r in app.reviews]
    assert actions == ["submit", "return_for_revision", "resubmit", "return_for_revision", "resubmit"]
    assert app.status == pending(enums.DISTRICT_HR)


def test_the_post_quota_stays_held_while_returned(world):
    unit, first = fresh(world, "quota", enums.CAT_DISTRICT)
    open_posts(world, unit, approved=2, current=1)  # one vacant post per grade
    db.session.commit()
    assert workflow.submit(unit.users[0], [first.id]).done
    workflow.return_for_revision(world.users[enums.DISTRICT_HR], [first.id], "请修改", ["achievements"])
    second = add_application(world, add_worker(unit, "第二人", 160, world.trade, world.batch))
    db.session.commit()
    result = workflow.submit(unit.users[0], [second.id])
    assert not result.done and "超过1:1限额" in result.refused[0][2]
    assert workflow.resubmit(unit.users[0], [first.id]).done


def test_resubmission_after_the_deadline_until_the_batch_is_archived(world):
    unit, app = submitted(world, "late")
    workflow.return_for_revision(world.users[enums.DISTRICT_HR], [app.id], "请修改", ["achievements"])
    world.batch.state = BatchState.CLOSED
    db.session.commit()
    assert workflow.resubmit(unit.users[0], [app.id]).done  # closed: the reviewer asked for it
    workflow.return_for_revision(world.users[enums.DISTRICT_HR], [app.id], "再改", ["achievements"])
    # A returned application is unfinished work: the batch cannot be archived while the unit has it.
    refused = workflow.batches.change_batch_state(world.users[enums.ADMIN], [world.batch.id], "archive_batch")
    assert "退回修改的申请 1 条" in refused.refused[0][2]
    world.batch.state = BatchState.ARCHIVED
    db.session.commit()
    assert workflow.resubmit(unit.users[0], [app.id]).refused[0][2] == "考核批次已归档，只读"


# --- through the web ----------------------------------------------------------------------------------------
def test_bulk_return_on_ticked_rows_and_on_all_matching(client, world):
    apps = [submitted(world, f"bulk{i}", seq=170 + i)[1] for i in range(3)]
    login(client, "yuzhong_hr")
    confirm = text_of(client.get("/review_queue/bulk/?op=return_for_revision&search=bulk1申报人"))
    assert "全部 1 条" in confirm and 'name="parts"' in confirm and "申报材料" in confirm
    # From the details page (one row): its 退回修改… button opens the same confirmation page.
    details = text_of(client.get(f"/review_queue/details/?id={apps[2].id}"))
    assert 'id="return_for_revision-form"' in details and 'value="return_for_revision"' in details
    confirm = text_of(
        client.post("/review_queue/action/", data={"action": "return_for_revision", "rowid": apps[2].id})
    )
    assert "退回修改：确认" in confirm and "选中的 1 条" in confirm and 'id="part-materials"' in confirm
    # Without parts: the confirmation page again, with the message; nothing changed.
    body = text_of(
        client.post(
            "/review_queue/decide/", data={"op": "return_for_revision", "rowid": apps[0].id, "opinion": "改"}
        )
    )
    assert "退回修改须选择需修改的部分" in body
    assert reload(apps[0]).status == pending(enums.DISTRICT_HR)
    body = text_of(
        client.post(
            "/review_queue/decide/",
            data={
                "op": "return_for_revision",
                "rowid": [apps[0].id, apps[1].id],
                "opinion": "请补充业绩",
                "parts": ["achievements", "materials"],
            },
        )
    )
    assert '成功 <strong class="text-success">2</strong>' in body
    form = {"opinion": "公示", "parts": ["publicity"]}
    body = text_of(decide_all(client, "/review_queue", "return_for_revision", data=form))
    assert '成功 <strong class="text-success">1</strong>' in body  # the returned ones left the queue
    statuses = [reload(a) for a in apps]
    assert [a.status for a in statuses] == [RETURNED] * 3
    assert [a.return_parts for a in statuses] == ["achievements,materials"] * 2 + ["publicity"]
    # The unit resubmits two of them on ticked rows of its list (Flask-Admin's action, after its dialog).
    units = {a.unit_id for a in statuses}
    assert len(units) == 3
    login(client, statuses[0].unit.users[0].username)
    body = text_of(client.post("/applications/action/", data={"action": "resubmit", "rowid": [apps[0].id]}))
    assert '成功 <strong class="text-success">1</strong>' in body
    assert reload(apps[0]).status == pending(enums.DISTRICT_HR)
    # Another unit's row is not the unit's to resubmit.
    body = text_of(client.post("/applications/action/", data={"action": "resubmit", "rowid": [apps[1].id]}))
    assert "申请不存在或不属于本单位" in body and reload(apps[1]).status == RETURNED


def test_unit_edits_only_the_returned_parts_and_resubmits(client, world):
    unit, app = submitted(world, "edit")
    workflow.return_for_revision(world.users[enums.DISTRICT_HR], [app.id], "业绩过简", ["achievements"])
    login(client, unit.users[0].username)
    # The to-do of the home page counts it.
    home = text_of(client.get("/"))
    assert 'data-todo="退回修改的申请"' in home
    form = text_of(client.get(f"/applications/edit/?id={app.id}"))
    assert 'name="achievements"' in form and 'name="remarks"' not in form and 'name="worker"' not in form
    assert "本申请已退回修改，只能修改退回的部分：业绩。" in form
    response = client.post(f"/applications/edit/?id={app.id}", data={"achievements": "主持锅炉大修"})
    assert response.status_code == 302
    assert reload(app).achievements == "主持锅炉大修"
    # A part not returned cannot be changed, whatever the form sends.
    body = text_of(
        client.post(
            f"/applications/edit/?id={app.id}", data={"achievements": "主持锅炉大修", "remarks": "改"}
        )
    )
    assert "退回修改的申请只能修改退回的部分（业绩），不能修改：备注" in body
    assert reload(app).remarks is None
    # Materials and the worker's 学历 were not returned: refused.
    assert "本单位现在不能为该申请上传申报材料" in text_of(
        client.post(
            f"/applications/materials/upload/?id={app.id}",
            data={"file": (io.BytesIO(b"%PDF-1.4 x"), "a.pdf")},
            follow_redirects=True,
        )
    )
    deleted = client.post("/applications/delete/", data={"id": app.id}, follow_redirects=True)
    assert "已提交的申请不能修改或删除" in text_of(deleted)
    assert db.session.get(Application, app.id) is not None
    body = text_of(client.post("/applications/decide/", data={"op": "resubmit", "rowid": app.id}))
    assert '成功 <strong class="text-success">1</strong>' in body
    assert reload(app).status == pending(enums.DISTRICT_HR)
    # Submitted again: locked as before.
    response = client.get(f"/applications/edit/?id={app.id}")
    assert response.status_code == 302 and "/details/" in response.headers["Location"]


def test_worker_data_of_a_returned_application_only_in_the_returned_parts(world):
    from admin_app.workflow.revisions import worker_change_refusal

    _unit, app = submitted(world, "wk")
    workflow.return_for_revision(world.users[enums.DISTRICT_HR], [app.id], "学历不全", ["education"])
    worker = reload(app).worker
    assert worker_change_refusal(worker, {"education"}) is None
    assert worker_change_refusal(worker, {"education", "basic"}) == (
        "该人员的考试资格申请已退回修改，只能修改退回的部分（学历），不能修改：基本信息"
    )
    assert worker_change_refusal(worker, {"work_history"}) == (
        "该人员的考试资格申请已退回修改，只能修改退回的部分（学历），不能修改：工作简历"
    )


def worker_form_of(worker) -> dict:
    """The worker's edit form as the browser posts it, unchanged (inline rows with their ids)."""

    def value(v):
        return "" if v is None else str(v)

    data = {
        "name": worker.name,
        "gender": worker.gender,
        "ethnicity": value(worker.ethnicity_id),
        "id_number": worker.id_number,
        "birth_date": value(worker.birth_date),
        "work_start_date": value(worker.work_start_date),
        "phone": value(worker.phone),
        "education": value(worker.education),
        "current_trade": value(worker.current_trade_id),
        "current_grade": value(worker.current_grade),
        "current_grade_date": value(worker.current_grade_date),
        "certificate_number": value(worker.certificate_number),
        "certificate_trade": value(worker.certificate_trade_id),
        "years_in_trade": value(worker.years_in_trade),
        "rewards_punishments": value(worker.rewards_punishments),
        "discipline_until": value(worker.discipline_until),
        "other_exclusion": value(worker.other_exclusion),
        "competition_rank": value(worker.competition_rank),
        "honour_title": value(worker.honour_title),
    }
    for flag in (
        "detained_or_probation",
        "long_sick_leave_or_absence",
        "holds_professional_title",
        "is_veteran",
    ):
        if getattr(worker, flag):
            data[flag] = "y"
    for i, e in enumerate(worker.educations):
        data.update({f"educations-{i}-id": e.id, f"educations-{i}-level": e.level})
        for name in ("graduated_on", "school", "major", "certificate_number"):
            data[f"educations-{i}-{name}"] = value(getattr(e, name))
    for i, w in enumerate(worker.work_history):
        data.update({f"work_history-{i}-id": w.id, f"work_history-{i}-employer": w.employer})
        for name in ("start_month", "end_month", "trade_text"):
            data[f"work_history-{i}-{name}"] = value(getattr(w, name))
    for i, a in enumerate(worker.assessments):
        data.update(
            {
                f"assessments-{i}-id": a.id,
                f"assessments-{i}-year": a.year,
                f"assessments-{i}-result": a.result,
            }
        )
    return data


def test_unit_edits_the_workers_returned_part_and_not_the_others(client, world):
    unit, app = submitted(world, "wkweb")
    workflow.return_for_revision(world.users[enums.DISTRICT_HR], [app.id], "工作简历不全", ["work_history"])
    worker = reload(app).worker
    login(client, unit.users[0].username)
    hint = "该人员的考试资格申请已退回修改，人员信息只能修改退回的部分：工作简历；"
    assert hint in text_of(client.get(f"/workers/edit/?id={worker.id}"))
    unchanged = worker_form_of(worker)
    assert client.post(f"/workers/edit/?id={worker.id}", data=unchanged).status_code == 302
    added = {**unchanged, "work_history-9-start_month": "2000-01-01", "work_history-9-employer": "乙单位"}
    response = client.post(f"/workers/edit/?id={worker.id}", data=added)
    assert response.status_code == 302, text_of(response)[:2000]
    db.session.expire_all()
    assert "乙单位" in [w.employer for w in db.session.get(Worker, worker.id).work_history]
    renamed = {**worker_form_of(db.session.get(Worker, worker.id)), "phone": "13800000000"}
    body = text_of(client.post(f"/workers/edit/?id={worker.id}", data=renamed))
    assert "该人员的考试资格申请已退回修改，只能修改退回的部分（工作简历），不能修改：基本信息" in body
    db.session.expire_all()
    assert db.session.get(Worker, worker.id).phone != "13800000000"
    # Resubmitted: the record is the unit's to keep again.
    assert workflow.resubmit(unit.users[0], [app.id]).done
    assert client.post(f"/workers/edit/?id={worker.id}", data=renamed).status_code == 302


def test_the_reviewer_sees_before_and_after_and_every_round(client, world):
    unit, app = submitted(world, "show")
    hr = world.users[enums.DISTRICT_HR]
    workflow.return_for_revision(hr, [app.id], "业绩过简", ["achievements", "materials"])
    app = reload(app)
    app.achievements = "主持锅炉大修"
    add_material(app)
    db.session.commit()
    workflow.resubmit(unit.users[0], [app.id])
    login(client, "yuzhong_hr")
    queue = text_of(client.get("/review_queue/"))
    assert "show申报人" in queue  # pending again: in 待我审核
    details = text_of(client.get(f"/review_queue/details/?id={app.id}"))
    assert "退回修改（第 1 次）" in details and "退回修改前" in details and "修改后" in details
    assert changes_table(details) == [
        ["业绩", "主要专业技术业绩", "", "主持锅炉大修"],
        ["申报材料", "申报材料", "", "登记表扫描件.pdf"],
    ]
    assert '需修改的部分：</strong><span id="revision-parts">业绩、申报材料</span>' in details
    history = details[details.index('id="history"') :]
    assert "<td>退回修改</td>" in history and "<td>重新提交</td>" in history  # the 审核记录
    workflow.return_for_revision(hr, [app.id], "再补充", ["achievements"])
    workflow.resubmit(unit.users[0], [app.id])
    details = text_of(client.get(f"/review_queue/details/?id={app.id}"))
    assert "退回修改（第 2 次）" in details and "历次退回修改" in details and "所选部分未作修改" in details


def test_first_step_returned_for_materials_the_unit_uploads_them(client, world):
    unit, app = submitted(world, "mat")
    workflow.return_for_revision(world.users[enums.DISTRICT_HR], [app.id], "请上传登记表", ["materials"])
    login(client, unit.users[0].username)
    response = client.post(
        f"/applications/materials/upload/?id={app.id}",
        data={"file": (io.BytesIO(b"%PDF-1.4\n%%EOF"), "登记表.pdf")},
        follow_redirects=True,
    )
    assert "已上传：登记表.pdf" in text_of(response)
    assert len(reload(app).materials) == 1
    assert workflow.resubmit(unit.users[0], [app.id]).done
    (revision,) = reload(app).revisions
    assert [
        (part, before == "", "登记表.pdf" in after)
        for part, _i, before, after in workflow.revisions.changes(revision)
    ] == [("申报材料", True, True)]


def test_history_lists_every_round(world):
    unit, app = submitted(world, "hist")
    hr = world.users[enums.DISTRICT_HR]
    for opinion in ("第一次", "第二次"):
        workflow.return_for_revision(hr, [app.id], opinion, ["basic"])
        workflow.resubmit(unit.users[0], [app.id])
    rows = db.session.execute(
        sa.select(ApplicationReview.action, ApplicationReview.opinion)
        .where(ApplicationReview.application_id == app.id)
        .order_by(ApplicationReview.id)
    ).all()
    assert [tuple(r) for r in rows] == [
        ("submit", None),
        ("return_for_revision", "第一次"),
        ("resubmit", None),
        ("return_for_revision", "第二次"),
        ("resubmit", None),
    ]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApplicationRevision)) == 2


def test_a_return_racing_an_approval_exactly_one_lands(app, world):
    """Two reviewers of the step on two connections: one returns, the other approves, at the same moment."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row-level concurrency is proven on PostgreSQL (SQLite serialises writers)")
    import threading

    from tests.factories import add_user

    _unit, application = submitted(world, "race")
    add_material(application)
    second = add_user("yuzhong_hr2", world.users[enums.DISTRICT_HR].organisation)
    db.session.commit()
    first_id, second_id = world.users[enums.DISTRICT_HR].id, second.id
    barrier = threading.Barrier(2)
    results = {}

    def act(user_id, run):
        with app.app_context():
            from models import User

            user = db.session.get(User, user_id)
            barrier.wait()
            results[user_id] = run(user)

    threads = [
        threading.Thread(
            target=act,
            args=(first_id, lambda u: workflow.return_for_revision(u, [application.id], "退回", ["basic"])),
        ),
        threading.Thread(
            target=act, args=(second_id, lambda u: workflow.decide(u, [application.id], "approve", "同意"))
        ),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done = [r for r in results.values() if r.done]
    refused = [r for r in results.values() if r.refused]
    assert len(done) == 1 and len(refused) == 1
    reason = refused[0].refused[0][2]
    assert reason in ("该记录已被他人处理或状态已变化，请刷新后查看",) or reason.endswith("不在您的审核环节")
    decisions = db.session.scalars(
        sa.select(ApplicationReview.action).where(
            ApplicationReview.application_id == application.id, ApplicationReview.action != "submit"
        )
    ).all()
    assert decisions == [done[0].action]
    rounds = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(ApplicationRevision)
        .where(ApplicationRevision.application_id == application.id)
    )
    assert rounds == (1 if done[0].action == "return_for_revision" else 0)
