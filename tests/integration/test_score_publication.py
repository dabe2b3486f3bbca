"""成绩发布 (issue 17 point 5): scores are seen by units and bureaus only once the centre publishes them, per
batch or per exam session; each unit is told once; every path that shows a score keeps it until then."""

import io
import re
from datetime import date, time

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from admin_app import workflow
from admin_app.extensions import db
from admin_app.services import registration_forms, statistics
from admin_app.services.validators import InvalidInput
from admin_app.workflow.engine import ARCHIVED
from admin_app.workflow.publication import NO_SCORES
from admin_app.workflow.states import (
    ApplicationState,
    BatchState,
    ExamKind,
    RegistrationState,
    ScorePublication,
    ScoreResult,
)
from models import AuditLog, ExamRoom, ExamSession, Notification, Registration, SeatAssignment
from tests.conftest import login
from tests.factories import add_application, add_registration, add_worker

# Scores that appear nowhere else in the test world: a page or file that shows one of them leaks it.
THEORY, PRACTICE = "87.5", "61.5"
ALREADY = "当前状态为“已发布”，不重复发布"
# Who sees unit A's (渝中区, 区县属) candidates at all, and who of them before publication.
SEE_ROW = ("unit_a", "yuzhong_hr", "city_hr", "office", "center")
SEE_EARLY = ("office", "center")


def _candidate(world, key: str, name: str, seq: int) -> Registration:
    worker = add_worker(world.units[key], name, seq, world.trade, world.batch)
    db.session.flush()
    reg = add_registration(add_application(world, worker, grade=4, status=ApplicationState.APPROVED))
    reg.status, reg.ticket_number = RegistrationState.REGISTERED, f"20214{reg.id:06d}"
    db.session.commit()
    return reg


def _scored(world, key: str, name: str, seq: int, theory=THEORY, practice=PRACTICE) -> Registration:
    reg = _candidate(world, key, name, seq)
    entry = workflow.ScoreEntry(reg.id, theory, practice, None, False)
    assert workflow.enter_scores(world.users["center"], [entry]) == {}
    return reg


def _messages(unit, kind=None) -> list[Notification]:
    query = sa.select(Notification).where(Notification.organisation_id == unit.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query.order_by(Notification.id)))


def _publication(reg_id):
    db.session.expire_all()
    return db.session.get(Registration, reg_id).score_publication


# --- the use cases ----------------------------------------------------------------------------------------
def test_entering_scores_tells_nobody_and_publishing_a_batch_tells_each_unit_once(world):
    before = {key: len(_messages(world.units[key])) for key in "AB"}  # the world's own messages
    a1 = _scored(world, "A", "甲一", 301)
    a2 = _scored(world, "A", "甲二", 302, theory="40")
    b1 = _scored(world, "B", "乙一", 303)
    waiting = _candidate(world, "A", "甲未考", 304)
    assert {key: len(_messages(world.units[key])) for key in "AB"} == before  # entering scores tells nobody

    publication = workflow.publish_batch(world.users["center"], world.batch.id)

    assert sorted(i for i, _label in publication.result.done) == sorted([a1.id, a2.id, b1.id])
    refused = {i: reason for i, _label, reason in publication.result.refused}
    assert refused[waiting.id] == NO_SCORES  # no scores: not published, with the reason
    assert refused[world.registrations["B"].id] == ALREADY  # the world's B was published before
    assert _publication(a1.id) == ScorePublication.PUBLISHED
    assert _publication(waiting.id) is None
    for key, names in (("A", ("甲一", "甲二")), ("B", ("乙一",))):
        told = _messages(world.units[key])[before[key] :]
        assert [m.kind for m in told] == ["scores_published"], key  # one per unit, however many candidates
        assert all(name in told[0].body for name in names) and f"{len(names)}名考生" in told[0].body
    audited = db.session.scalars(
        sa.select(AuditLog.object_id).where(AuditLog.action == "publish_scores")
    ).all()
    assert sorted(audited) == sorted(str(i) for i in (a1.id, a2.id, b1.id))
    assert db.session.get(Registration, a1.id).scores_published_at is not None

    again = workflow.publish_batch(world.users["center"], world.batch.id)
    assert again.published == 0 and again.reasons[ALREADY] >= 3
    assert len(_messages(world.units["A"])) == before["A"] + 1  # no second message


def test_publishing_a_session_publishes_only_its_seated_candidates(world):
    seated = _scored(world, "A", "甲入场", 311)
    elsewhere = _scored(world, "A", "甲他场", 312)
    session = ExamSession(
        batch_id=world.batch.id,
        name="第一场",
        kind=ExamKind.THEORY,
        exam_date=date(2021, 9, 18),
        start_time=time(9),
        end_time=time(11),
        site="重庆市职业技能鉴定中心",
        address="渝中区",
    )
    room = ExamRoom(session=session, number=1, location="101", capacity=30)
    db.session.add_all([session, room])
    db.session.flush()
    db.session.add(
        SeatAssignment(session_id=session.id, room_id=room.id, registration_id=seated.id, seat_number=1)
    )
    db.session.commit()

    publication = workflow.publish_session(world.users["center"], session.id)

    assert [i for i, _label in publication.result.done] == [seated.id]
    assert _publication(seated.id) == ScorePublication.PUBLISHED
    assert _publication(elsewhere.id) is None


def test_only_the_centre_publishes_and_archived_batches_are_read_only(world):
    reg = _scored(world, "A", "甲归档", 321)
    for role in ("office", "unit", "district_hr", "city_hr"):
        with pytest.raises(InvalidInput, match="只有市职鉴中心可以发布成绩"):
            workflow.publish_batch(world.users[role], world.batch.id)
    world.batch.state = BatchState.ARCHIVED
    db.session.commit()
    publication = workflow.publish_batch(world.users["center"], world.batch.id)
    assert publication.published == 0
    assert (reg.id, ARCHIVED) in [(i, reason) for i, _label, reason in publication.result.refused]
    assert _publication(reg.id) is None


def test_a_correction_after_publication_stays_published_and_tells_the_unit_once(world):
    initially = len(_messages(world.units["A"]))
    reg = _scored(world, "A", "甲更正", 331)
    # a correction before publication tells nobody
    workflow.enter_scores(world.users["center"], [workflow.ScoreEntry(reg.id, "88", PRACTICE, None, False)])
    assert len(_messages(world.units["A"])) == initially
    workflow.publish_batch(world.users["center"], world.batch.id)
    before = len(_messages(world.units["A"]))

    problems = workflow.enter_scores(
        world.users["center"], [workflow.ScoreEntry(reg.id, "59", PRACTICE, None, False)]
    )

    assert problems == {}
    assert _publication(reg.id) == ScorePublication.PUBLISHED
    assert db.session.get(Registration, reg.id).score_result == ScoreResult.FAIL
    told = _messages(world.units["A"])[before:]
    assert [m.kind for m in told] == ["scores_corrected"] and "甲更正" in told[0].body


# --- every path a unit or bureau can reach ---------------------------------------------------------------
def _view(app, endpoint):
    return next(v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", None) == endpoint)


def _paths(reg) -> dict:
    return {
        "list": f"/scores/?all_batches=1&search={reg.ticket_number}",
        "registrations": f"/registrations/details/?id={reg.id}",
        "details": f"/scores/details/?id={reg.id}",
        "print": f"/applications/print/?id={reg.application_id}",
    }


def _export_values(client, reg) -> list:
    response = client.post(f"/scores/export.xlsx?all_batches=1&search={reg.ticket_number}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
    return [str(v) for row in sheet.iter_rows(min_row=2, values_only=True) for v in row if v is not None]


@pytest.mark.parametrize("username", SEE_ROW)
def test_no_score_reaches_a_unit_or_bureau_before_publication(app, client, world, username):
    reg = _scored(world, "A", "甲泄露", 341)
    login(client, username)
    early = username in SEE_EARLY
    for name, path in _paths(reg).items():
        response = client.get(path)
        assert response.status_code == 200, (username, name)
        body = response.get_data(as_text=True)
        assert (THEORY in body and PRACTICE in body) == early, (username, name)
        if name in ("list", "details") and not early:
            assert "未发布" in body, (username, name)
    exported = _export_values(client, reg)
    assert any("甲泄露" in v for v in exported), username
    assert (THEORY in exported) == early and ("合格" in exported) == early, username

    workflow.publish_batch(world.users["center"], world.batch.id)
    for name, path in _paths(reg).items():
        body = client.get(path).get_data(as_text=True)
        assert THEORY in body and PRACTICE in body, (username, name, "after publication")
    assert THEORY in _export_values(client, reg), username


def test_a_unit_learns_nothing_by_filtering_or_sorting_on_a_score(app, client, world):
    passed = _scored(world, "A", "甲高分", 351, theory="99")
    _scored(world, "A", "甲低分", 352, theory="10")
    view = _view(app, "scores")
    filters = view.column_filters_for({"registration.score_result": ScoreResult.PASS})
    url = "/scores/?" + "&".join(f"{k}={v}" for k, v in view.filter_url_args(filters).items())
    sort = next(i for i, (name, _l) in enumerate(view._list_columns) if name == "theory_score")

    login(client, "unit_a")
    body = client.get(url).get_data(as_text=True)
    assert "甲高分" not in body and "甲低分" not in body  # only published rows answer a score filter
    for desc in ("0", "1"):
        page = client.get(f"/scores/?all_batches=1&sort={sort}&desc={desc}").get_data(as_text=True)
        # the sort on 业务理论 is ignored: the default order (准考证号), whatever the direction asked
        assert page.index("甲高分") < page.index("甲低分")
    assert f"sort={sort}" not in client.get("/scores/?all_batches=1").get_data(as_text=True)  # not offered

    login(client, "center")
    assert "甲高分" in client.get(url).get_data(as_text=True)
    assert f"sort={sort}" in client.get("/scores/?all_batches=1").get_data(as_text=True)

    workflow.publish_batch(world.users["center"], world.batch.id)
    login(client, "unit_a")
    body = client.get(url).get_data(as_text=True)
    assert "甲高分" in body and "甲低分" not in body
    assert passed.id


def test_the_registration_form_keeps_exam_rows_blank_until_published(world):
    reg = _scored(world, "A", "甲登记表", 361)
    app_ = reg.application
    hidden = registration_forms.form_of(app_, unpublished_shown=False)
    shown = registration_forms.form_of(app_, unpublished_shown=True)
    assert hidden.scores == registration_forms.Scores() and not hidden.center.decided
    assert shown.scores.theory == THEORY and shown.center.decided
    workflow.publish_batch(world.users["center"], world.batch.id)
    db.session.expire_all()
    assert registration_forms.form_of(app_, unpublished_shown=False).scores.theory == THEORY


def _exam_row(user):
    tables = statistics.all_tables(
        db.session, user, db.session.scalar(sa.select(Registration.batch_id).limit(1))
    )
    table = next(t for t in tables if t.key == "pass_rates")
    return next(row for row in table.rows if row[0].startswith("考试"))


def test_statistics_count_only_published_results_for_bureaus(world):
    office, bureau = world.users["office"], world.users["district_hr"]
    office_before, bureau_before = _exam_row(office), _exam_row(bureau)
    _scored(world, "A", "甲统计", 371)
    _scored(world, "A", "甲统计二", 372, theory="20")
    assert _exam_row(office)[1:4] == [office_before[1] + 2, office_before[2] + 1, office_before[3] + 1]
    assert _exam_row(bureau)[1:4] == bureau_before[1:4]  # nothing before publication
    workflow.publish_batch(world.users["center"], world.batch.id)
    assert _exam_row(bureau)[1:4] == [bureau_before[1] + 2, bureau_before[2] + 1, bureau_before[3] + 1]


def test_centre_home_counts_scores_waiting_for_publication(client, world):
    _scored(world, "A", "甲待发布", 381)
    _scored(world, "B", "乙待发布", 382)
    _candidate(world, "A", "甲无成绩", 383)
    login(client, "center")
    body = client.get("/").get_data(as_text=True)
    found = re.search(r'href="([^"]+)" data-todo="待发布成绩">.*?gk-todo-count">([^<]+)<', body, re.S)
    assert found and found.group(2) == "2"
    listed = client.get(found.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "甲待发布" in listed and "乙待发布" in listed and "甲无成绩" not in listed
    workflow.publish_batch(world.users["center"], world.batch.id)
    body = client.get("/").get_data(as_text=True)
    assert re.search(r'data-todo="待发布成绩">.*?gk-todo-count">0<', body, re.S)


def _batch_counts(page: str) -> list[int]:
    """The 全批次 row's four counts of the page (one batch)."""
    row = re.search(r'<tr class="gk-batch-row">(.*?)</tr>', page, re.S).group(1)
    return [int(n) for n in re.findall(r'<td class="text-right">(?:<strong>)?(\d+)', row)]


def _live_counts(batch_id) -> list[int]:
    """The same four counts from the registrations themselves."""
    r = Registration
    rows = db.session.scalars(
        sa.select(r).where(r.batch_id == batch_id, r.status == RegistrationState.REGISTERED)
    ).all()
    entered = [x for x in rows if x.score_result is not None]
    published = [x for x in rows if x.score_publication is not None]
    waiting = [x for x in entered if x.score_publication is None]
    return [len(rows), len(entered), len(published), len(waiting)]


def test_publication_page_publishes_a_batch_and_reports_refusals(client, world):
    reg = _scored(world, "A", "甲页面", 391)
    _candidate(world, "A", "甲页面无成绩", 392)
    login(client, "center")
    page = client.get("/score_publication/").get_data(as_text=True)
    assert "发布本批次成绩" in page and f'id="batch-{world.batch.id}"' in page
    before = _batch_counts(page)  # 已报名, 已录入, 已发布, 待发布
    assert before == _live_counts(world.batch.id) and before[3] >= 1
    response = client.post("/score_publication/publish/", data={"batch": world.batch.id})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="published-count">1<' in body
    assert NO_SCORES in body and "甲页面无成绩" in body
    assert _publication(reg.id) == ScorePublication.PUBLISHED
    after = _batch_counts(client.get("/score_publication/").get_data(as_text=True))
    assert after == _live_counts(world.batch.id) and after[3] == 0
    assert after[:2] == before[:2] and after[2] == before[2] + before[3]
    # Again: nothing new; the rows published before are counted apart from those that could not be.
    again = client.post("/score_publication/publish/", data={"batch": world.batch.id}).get_data(as_text=True)
    assert 'id="published-count">0<' in again and 'id="earlier-count">0<' not in again
    missing = client.post("/score_publication/publish/", data={"session": "999999"}, follow_redirects=True)
    assert "考试场次不存在" in missing.get_data(as_text=True)
    login(client, "office")
    assert client.get("/score_publication/").status_code == 403
    assert client.post("/score_publication/publish/", data={"batch": world.batch.id}).status_code == 403


def test_publishing_without_the_csrf_token_is_refused(app, client, world):
    reg = _scored(world, "A", "甲令牌", 393)
    login(client, "center")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/score_publication/publish/", data={"batch": world.batch.id})
        assert response.status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert _publication(reg.id) is None
