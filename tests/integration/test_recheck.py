"""查分 (SPEC §8.4, issue 17 point 6): a unit asks within the batch's working days after publication; 市职鉴中心
answers 维持 or 更正 (the corrected scores and the answer in one transaction); the working-day calendar the
deadline is counted on is the admin's to correct."""

import json
import re
from datetime import date, datetime

import pytest
import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.services import clock, rechecks, statistics
from admin_app.services.validators import InvalidInput
from admin_app.workflow import engine
from admin_app.workflow.states import (
    RecheckState,
    RecognitionState,
    RegistrationState,
    ScorePublication,
    ScoreResult,
)
from models import AuditLog, CalendarDay, Notification, Registration, ScoreRecheck, enums
from tests.conftest import login, snapshot_database, text_of
from tests.integration.test_clock import at_beijing

# Published on Thursday 12 February 2026, the Spring Festival ahead: the 10th working day after it is
# 4 March (13 Fri, 14 Sat 调休, 24–27 Feb, 28 Sat 调休, 2–4 Mar; 16–20 and 23 Feb are days off).
PUBLISHED = datetime(2026, 2, 12, 10, 0)  # Beijing
LAST_DAY = date(2026, 3, 4)


def published(world, key="A") -> Registration:
    """Unit ``key``'s candidate, registered, with scores entered and published on ``PUBLISHED``."""
    reg = world.registrations[key]
    reg.status = RegistrationState.REGISTERED
    reg.ticket_number = f"T{reg.id:06d}"
    reg.theory_score, reg.practice_score, reg.review_score, reg.absent = 80, 85, None, False
    reg.score_result = ScoreResult.PASS
    reg.recognition_status = RecognitionState.PENDING
    reg.scores_entered_at = clock.from_beijing(PUBLISHED)
    reg.score_publication = ScorePublication.PUBLISHED
    reg.scores_published_at = clock.from_beijing(PUBLISHED)
    db.session.commit()
    return reg


def requested(world, monkeypatch, key="A", user="unit_a") -> ScoreRecheck:
    reg = published(world, key)
    at_beijing(monkeypatch, datetime(2026, 2, 24, 9, 0))
    return rechecks.request_recheck(db.session.scalar(_user(user)), reg.id, "理论成绩与估分相差较大")


def _user(username):
    from models import User

    return sa.select(User).where(User.username == username)


def _reload(model, row_id):
    db.session.expire_all()
    return db.session.get(model, row_id)


# --- the request -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "moment",
    [datetime(2026, 2, 24, 9, 0), datetime(2026, 3, 4, 23, 50)],
    ids=["after the holiday", "on the last day, late evening in Beijing"],
)
def test_a_request_in_time_is_recorded_and_audited(world, monkeypatch, moment):
    reg = published(world)
    at_beijing(monkeypatch, moment)
    made = rechecks.request_recheck(world.users[enums.UNIT], reg.id, "  理论成绩与估分相差较大 ")
    row = _reload(ScoreRecheck, made.id)
    assert (row.state, row.reason, row.unit_id) == (
        RecheckState.REQUESTED,
        "理论成绩与估分相差较大",
        reg.unit_id,
    )
    assert row.jurisdiction_id == reg.jurisdiction_id and row.batch_id == reg.batch_id
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "recheck_requested"))
    assert entry.object_id == str(made.id) and entry.to_state == RecheckState.REQUESTED


def test_a_request_one_working_day_late_is_refused_with_the_last_day(world, monkeypatch):
    reg = published(world)
    at_beijing(monkeypatch, datetime(2026, 3, 5, 0, 10))  # just after midnight in Beijing (16:10 UTC before)
    with pytest.raises(InvalidInput, match="截至2026年3月4日"):
        rechecks.request_recheck(world.users[enums.UNIT], reg.id, "理由")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ScoreRecheck)) == 0


def test_the_admins_correction_of_a_day_moves_the_deadline(app, client, world, monkeypatch):
    reg = published(world)
    login(client, world.users[enums.ADMIN].username)
    # 2 March 2026 made a day off (a correction of the calendar): the 10th working day is now 5 March.
    response = client.post("/calendar/new/", data={"day": "2026-03-02", "note": "更正：补休"})
    assert response.status_code == 302, text_of(response)[:500]
    assert (
        db.session.scalar(sa.select(CalendarDay.working).where(CalendarDay.day == date(2026, 3, 2))) is False
    )
    assert rechecks.window_of(_reload(Registration, reg.id), reg.batch).last_day == date(2026, 3, 5)
    at_beijing(monkeypatch, datetime(2026, 3, 5, 9, 0))
    assert rechecks.request_recheck(world.users[enums.UNIT], reg.id, "理由").state == RecheckState.REQUESTED


def test_scores_not_yet_published_cannot_be_rechecked(world, monkeypatch):
    reg = published(world)
    reg.score_publication, reg.scores_published_at = None, None
    db.session.commit()
    at_beijing(monkeypatch, datetime(2026, 2, 24, 9, 0))
    with pytest.raises(InvalidInput, match="成绩尚未发布"):
        rechecks.request_recheck(world.users[enums.UNIT], reg.id, "理由")


def test_a_unit_cannot_ask_for_another_units_candidate(world, monkeypatch):
    reg = published(world, "B")
    at_beijing(monkeypatch, datetime(2026, 2, 24, 9, 0))
    with pytest.raises(InvalidInput, match="不在您的权限范围内"):
        rechecks.request_recheck(world.users[enums.UNIT], reg.id, "理由")
    with pytest.raises(InvalidInput, match="只有考生所在单位"):
        rechecks.request_recheck(world.users[enums.CENTER], reg.id, "理由")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ScoreRecheck)) == 0


def test_one_open_request_per_registration_and_a_reason_is_required(world, monkeypatch):
    made = requested(world, monkeypatch)
    with pytest.raises(InvalidInput, match="已有待复核的查分申请"):
        rechecks.request_recheck(world.users[enums.UNIT], made.registration_id, "再次申请")
    with pytest.raises(InvalidInput, match="请填写查分理由"):
        rechecks.request_recheck(world.users[enums.UNIT], made.registration_id, "  ")
    rechecks.uphold(world.users[enums.CENTER], [made.id], "已复核，成绩无误")
    again = rechecks.request_recheck(world.users[enums.UNIT], made.registration_id, "对答复有疑问")
    assert again.id != made.id  # an answered request is no longer open


# --- the answers ----------------------------------------------------------------------------------------
def test_uphold_needs_an_opinion_and_tells_the_unit(world, monkeypatch):
    made = requested(world, monkeypatch)
    center = world.users[enums.CENTER]
    with pytest.raises(InvalidInput, match="须填写答复意见"):
        rechecks.uphold(center, [made.id], "")
    result = rechecks.uphold(center, [made.id], "已复核试卷，成绩无误")
    assert [row_id for row_id, _label in result.done] == [made.id]
    row = _reload(ScoreRecheck, made.id)
    assert (row.state, row.answer, row.answered_by_id) == (
        RecheckState.UPHELD,
        "已复核试卷，成绩无误",
        center.id,
    )
    message = db.session.scalar(sa.select(Notification).where(Notification.kind == "recheck_upheld"))
    assert message.organisation_id == world.units["A"].id and "维持原成绩" in message.body
    assert _reload(Registration, made.registration_id).theory_score == 80


def test_a_unit_cannot_answer(world, monkeypatch):
    made = requested(world, monkeypatch)
    result = rechecks.uphold(world.users[enums.UNIT], [made.id], "自己答复")
    assert result.refused and not result.done
    assert _reload(ScoreRecheck, made.id).state == RecheckState.REQUESTED


def test_correct_changes_the_score_through_the_logged_correction(world, monkeypatch):
    made = requested(world, monkeypatch)
    problems = rechecks.answer_corrected(
        world.users[enums.CENTER], made.id, dict(theory="58", practice="85"), "复核发现登分错误"
    )
    assert problems == {}
    reg = _reload(Registration, made.registration_id)
    assert (float(reg.theory_score), reg.score_result, reg.recognition_status) == (
        58.0,
        ScoreResult.FAIL,
        None,
    )
    row = _reload(ScoreRecheck, made.id)
    assert (row.state, row.answer) == (RecheckState.CORRECTED, "复核发现登分错误")
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "scores_corrected"))
    detail = json.loads(entry.detail)
    assert entry.object_id == str(reg.id)
    assert (float(detail["before"]["theory"]), float(detail["after"]["theory"])) == (80.0, 58.0)
    assert db.session.scalar(sa.select(Notification).where(Notification.kind == "recheck_corrected"))


@pytest.mark.parametrize(
    "values, reason",
    [
        (dict(theory="abc", practice="85"), "业务理论成绩应为数字"),
        (dict(theory="80", practice="85"), "与原成绩相同"),
    ],
)
def test_a_refused_correction_changes_nothing(world, monkeypatch, values, reason):
    made = requested(world, monkeypatch)
    before = snapshot_database()
    problems = rechecks.answer_corrected(world.users[enums.CENTER], made.id, values, "更正")
    assert reason in problems["scores"]
    assert snapshot_database() == before


def test_a_correction_racing_an_uphold_keeps_neither_scores_nor_answer(world, monkeypatch):
    """Two centre clerks: one answers 维持 between the other's reading and writing. The 更正 writes the scores
    first, then finds the request answered: both are rolled back, never a 维持 with changed scores."""
    made = requested(world, monkeypatch)
    sort = engine._sort

    def upheld_meanwhile(ctx, ids, result):
        groups = sort(ctx, ids, result)
        if ctx.transition.machine.name == "recheck":
            with db.engine.begin() as other:
                other.execute(
                    sa.update(ScoreRecheck)
                    .where(ScoreRecheck.id == made.id)
                    .values(state=RecheckState.UPHELD)
                )
        return groups

    monkeypatch.setattr(engine, "_sort", upheld_meanwhile)
    problems = rechecks.answer_corrected(
        world.users[enums.CENTER], made.id, dict(theory="58", practice="85"), "更正"
    )
    assert problems == {"recheck": engine.CHANGED}
    assert float(_reload(Registration, made.registration_id).theory_score) == 80.0
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditLog.action == "scores_corrected")) == 0


def test_two_answers_one_wins(world, monkeypatch):
    made = requested(world, monkeypatch)
    center = world.users[enums.CENTER]
    assert rechecks.uphold(center, [made.id], "第一位").done
    second = rechecks.uphold(center, [made.id], "第二位")
    assert not second.done and "维持原成绩" in second.refused[0][2]
    problems = rechecks.answer_corrected(center, made.id, dict(theory="58", practice="85"), "更正")
    assert "不能更正成绩" in problems["recheck"]
    row = _reload(ScoreRecheck, made.id)
    assert (row.state, row.answer) == (RecheckState.UPHELD, "第一位")


def test_statistics_count_requests_by_state_within_scope(world, monkeypatch):
    made = requested(world, monkeypatch)
    rechecks.uphold(world.users[enums.CENTER], [made.id], "无误")
    table = statistics.recheck_table(world.users[enums.OFFICE], world.batch.id)
    assert table.rows[-1][:2] == ["合计", 1]
    assert dict((row[0], row[1]) for row in table.rows)["维持原成绩"] == 1
    assert statistics.recheck_table(world.users["unit_b"], world.batch.id).rows[-1][:2] == ["合计", 0]


# --- the pages ------------------------------------------------------------------------------------------
def test_the_unit_asks_from_its_score_list(client, world, monkeypatch):
    reg = published(world)
    at_beijing(monkeypatch, datetime(2026, 2, 24, 9, 0))
    login(client, "unit_a")
    assert f"/scores/recheck/?id={reg.id}" in client.get("/scores/").get_data(as_text=True)
    page = text_of(client.get(f"/scores/recheck/?id={reg.id}"))
    assert "截至 2026年3月4日" in page
    response = client.post(f"/scores/recheck/?id={reg.id}", data={"reason": "成绩有疑问"})
    assert response.status_code == 302 and "/rechecks/details/" in response.headers["Location"]
    assert "成绩有疑问" in text_of(client.get("/rechecks/"))
    assert client.get(f"/scores/recheck/?id={world.registrations['B'].id}").status_code == 404
    login(client, "unit_b")
    assert "成绩有疑问" not in text_of(client.get("/rechecks/"))
    login(client, world.users[enums.CENTER].username)
    assert client.get(f"/scores/recheck/?id={reg.id}").status_code == 403


def test_the_centre_answers_from_the_list_and_the_form(client, world, monkeypatch):
    made = requested(world, monkeypatch)
    login(client, world.users[enums.CENTER].username)
    home = text_of(client.get("/"))
    assert re.search(r'待复核查分</div> ?<div class="h4 mb-0 gk-todo-count">1<', home)
    details = text_of(client.get(f"/rechecks/details/?id={made.id}"))
    assert "维持原成绩" in details and f"/rechecks/correct/?id={made.id}" in details
    refused = client.post(
        f"/rechecks/correct/?id={made.id}", data=dict(theory="58", practice="85", opinion="")
    )
    assert "须填写答复意见" in text_of(refused)
    assert _reload(ScoreRecheck, made.id).state == RecheckState.REQUESTED
    done = client.post(
        f"/rechecks/correct/?id={made.id}", data=dict(theory="58", practice="85", opinion="登分错误")
    )
    assert done.status_code == 302
    assert _reload(ScoreRecheck, made.id).state == RecheckState.CORRECTED
    login(client, "unit_a")
    assert client.get(f"/rechecks/correct/?id={made.id}").status_code == 403


def test_uphold_from_the_list_operation(client, world, monkeypatch):
    made = requested(world, monkeypatch)
    login(client, world.users[enums.CENTER].username)
    response = client.post(
        "/rechecks/decide/", data={"op": "uphold_recheck", "rowid": str(made.id), "opinion": "无误"}
    )
    assert response.status_code == 200 and '成功 <strong class="text-success">1</strong>' in text_of(response)
    assert _reload(ScoreRecheck, made.id).state == RecheckState.UPHELD


def test_posts_without_the_csrf_token_are_refused(app, client, world, monkeypatch):
    made = requested(world, monkeypatch)
    login(client, world.users[enums.CENTER].username)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        data = dict(theory="58", practice="85", opinion="登分错误")
        response = client.post(f"/rechecks/correct/?id={made.id}", data=data)
        assert response.status_code == 400 and "CSRF" in text_of(response)
        page = client.get(f"/rechecks/correct/?id={made.id}").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        assert (
            client.post(f"/rechecks/correct/?id={made.id}", data={**data, "csrf_token": token}).status_code
            == 302
        )
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert _reload(ScoreRecheck, made.id).state == RecheckState.CORRECTED


def test_the_calendar_is_the_admins_alone(client, world):
    for role in (enums.UNIT, enums.OFFICE, enums.CENTER):
        login(client, world.users[role].username)
        assert client.get("/calendar/").status_code == 403
    login(client, world.users[enums.ADMIN].username)
    year = client.get("/calendar/?flt0_0=2026")  # 组合查询 年份
    body = text_of(year)
    assert year.status_code == 200 and "2026-02-14" in body and "2025-" not in body
    duplicate = client.post("/calendar/new/", data={"day": "2026-02-14", "working": "y", "note": "重复"})
    assert "该日期已在工作日历中" in text_of(duplicate)


def test_a_request_whose_period_reaches_a_year_without_calendar_is_refused(client, world, monkeypatch):
    """Scores published on 28 December 2026: the 10th working day falls in 2027, which 工作日历 does not hold
    yet. The period is not guessed on the weekly rule: the unit is refused, the admin named as the one to enter
    2027, and nothing is recorded."""
    reg = published(world)
    reg.scores_published_at = clock.from_beijing(datetime(2026, 12, 28, 10, 0))
    db.session.commit()
    at_beijing(monkeypatch, datetime(2026, 12, 29, 9, 0))
    window = rechecks.window_of(reg, reg.batch)
    assert window.last_day is None and "2027年" in window.refusal and "工作日历" in window.refusal
    before = snapshot_database()
    with pytest.raises(InvalidInput, match="2027年"):
        rechecks.request_recheck(world.users[enums.UNIT], reg.id, "理论成绩与估分相差较大")
    assert snapshot_database() == before
    login(client, "unit_a")
    page = text_of(client.get(f"/scores/recheck/?id={reg.id}"))
    assert "请系统管理员先在“系统管理 → 工作日历”中录入2027年" in page and "提交查分申请" not in page
