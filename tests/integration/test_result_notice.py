"""合格名单公示 (SPEC §8.4): who a draft lists, what publication freezes, the period on working days, objections,
and 资格认定 only after the period with no objection waiting; the PDF and Excel as posted; who sees what."""

import io
import re
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from admin_app import workflow
from admin_app.extensions import db
from admin_app.services import clock, result_notices
from admin_app.services.validators import InvalidInput
from admin_app.workflow import notice as notices
from admin_app.workflow.states import (
    ApplicationState,
    BatchState,
    EvaluationState,
    NoticeState,
    ObjectionState,
    RecognitionState,
    RegistrationState,
    ScorePublication,
    ScoreResult,
)
from models import CalendarDay, NoticeEntry, Objection, Registration, ResultNotice, Worker, enums
from tests import factories
from tests.conftest import login, text_of

# 2026: 国庆 1–7 October off (Thu 1 … Wed 7), Saturday 10 October a working day (调休).
HOLIDAYS = [date(2026, 10, d) for d in (1, 2, 5, 6, 7)]
MAKEUP = date(2026, 10, 10)


def at(monkeypatch, day: date, hour: int = 10):
    """Beijing ``day`` at ``hour`` o'clock, for every clock of the app."""
    moment = datetime(day.year, day.month, day.day, hour - 8, tzinfo=UTC)
    monkeypatch.setattr(clock, "_instant", lambda: moment)


def passed(world, seq, grade=4, unit="A", **values) -> Registration:
    """A registration of a new worker of ``unit`` whose scores passed and are published, waiting for
    recognition."""
    worker = factories.add_worker(world.units[unit], f"公示{seq}", seq, world.trade, world.batch)
    db.session.flush()
    app = factories.add_application(world, worker, grade=grade, status=ApplicationState.APPROVED)
    reg = factories.add_registration(app)
    reg.status, reg.score_result = RegistrationState.REGISTERED, ScoreResult.PASS
    reg.recognition_status = RecognitionState.PENDING
    reg.score_publication = ScorePublication.PUBLISHED
    for name, value in values.items():
        setattr(reg, name, value)
    db.session.flush()
    return reg


@pytest.fixture
def office(world):
    return world.users[enums.OFFICE]


@pytest.fixture
def calendar(app):
    """国庆 2026 as the test counts it (whatever the seeded calendar holds for those days)."""
    days = {d: (False, "国庆节") for d in HOLIDAYS} | {MAKEUP: (True, "国庆调休")}
    for day, (working, note) in days.items():
        row = db.session.query(CalendarDay).filter_by(day=day).one_or_none() or CalendarDay(day=day)
        row.working, row.note = working, note
        db.session.add(row)
    db.session.commit()


def published(office, notice_id) -> ResultNotice:
    assert notices.publish(office, [notice_id]).done
    return db.session.get(ResultNotice, notice_id)


def test_a_draft_lists_exactly_who_passed_and_waits_on_no_other_notice(world, office):
    junior = passed(world, 700)
    senior = passed(world, 701, grade=2, evaluation_status=EvaluationState.PASSED)
    failed = passed(world, 702, score_result=ScoreResult.FAIL, recognition_status=None)
    evaluating = passed(
        world, 703, grade=2, evaluation_status=EvaluationState.PENDING, recognition_status=None
    )
    recognised = passed(world, 704, recognition_status=RecognitionState.RECOGNISED)
    unpublished = passed(world, 705, score_publication=None)  # passed, but the result is not out yet
    db.session.commit()
    draft = result_notices.create_draft(office, world.batch.id)
    listed = {e.registration_id: e for e in draft.entries}
    # B's candidate is already on the batch's (ended) notice: not listed again.
    assert set(listed) == {junior.id, senior.id}
    assert not {failed.id, evaluating.id, recognised.id, unpublished.id, world.registrations["B"].id} & set(
        listed
    )
    assert [e.seq for e in draft.entries] == [1, 2]
    assert listed[senior.id].basis == "评审通过" and listed[junior.id].basis == "考试合格"
    assert (listed[junior.id].name, listed[junior.id].unit_name) == ("公示700", "甲单位（渝中）")
    assert listed[junior.id].trade_name == "电工" and listed[junior.id].grade_label == enums.grade_label(4)
    assert draft.state == NoticeState.DRAFT and draft.days == world.batch.notice_days == 5
    with pytest.raises(InvalidInput, match="没有待公示的人员"):
        result_notices.create_draft(office, world.batch.id)  # everyone is on a notice now
    with pytest.raises(InvalidInput, match="只有市工考办"):
        result_notices.create_draft(world.users[enums.CENTER], world.batch.id)


def test_publication_freezes_the_list_and_counts_the_period_on_working_days(
    world, office, client, calendar, monkeypatch
):
    reg = passed(world, 710)
    db.session.commit()
    at(monkeypatch, date(2026, 9, 28))  # a Monday
    draft = result_notices.create_draft(office, world.batch.id)
    worker = db.session.get(Worker, reg.worker_id)
    worker.name = "改名前"  # changed before publication: published as it reads then
    db.session.commit()
    notice = published(office, draft.id)
    # 28, 29, 30 September, then 国庆 (1–7 October), 8 and 9 October: five working days.
    assert (notice.start_date, notice.end_date) == (date(2026, 9, 28), date(2026, 10, 9))
    assert notice.entries[0].name == "改名前" and notice.published_at is not None
    db.session.get(Worker, reg.worker_id).name = "改名后"
    db.session.commit()
    login(client, "unit_b")  # any role reads a published notice
    page = text_of(client.get(f"/result_notices/details/?id={notice.id}"))
    assert "改名前" in page and "改名后" not in page and "2026年10月9日" in page
    assert notices.period(date(2026, 10, 9), 2) == (date(2026, 10, 9), MAKEUP)  # 调休 Saturday counts
    assert notices.period(date(2026, 10, 3), 1) == (date(2026, 10, 8), date(2026, 10, 8))
    # Published once: not again, and not deleted.
    again = notices.publish(office, [notice.id])
    assert not again.done and "已发布" in again.refused[0][2]
    login(client, "office")
    client.post("/result_notices/delete/", data={"id": notice.id})
    assert db.session.get(ResultNotice, notice.id) is not None


def test_recognition_waits_for_the_end_of_the_period_and_for_objections(world, office, calendar, monkeypatch):
    reg, other = passed(world, 720), passed(world, 721)
    db.session.commit()
    at(monkeypatch, date(2026, 9, 28))
    draft = result_notices.create_draft(office, world.batch.id)
    unlisted = passed(world, 722)
    db.session.commit()
    refused = workflow.recognise(office, [unlisted.id])
    assert refused.refused[0][2] == "尚未公示"
    refused = workflow.recognise(office, [reg.id])  # a draft is no 公示
    assert refused.refused[0][2] == "尚未公示"
    notice = published(office, draft.id)
    at(monkeypatch, date(2026, 10, 9), hour=23)  # the last day of the period
    refused = workflow.recognise(office, [reg.id])
    assert refused.refused[0][2] == "公示期未满（至2026-10-09）"
    entry = next(e for e in notice.entries if e.registration_id == reg.id)
    result_notices.record_objection(office, entry.id, "来信（匿名）", "反映其实际操作考试由他人代考")
    at(monkeypatch, date(2026, 10, 10))  # the day after
    result = workflow.recognise(office, [reg.id, other.id])
    assert [i for i, _ in result.done] == [other.id]
    assert result.refused[0][2] == "有未处理的公示异议"
    objection = db.session.query(Objection).filter_by(registration_id=reg.id).one()
    with pytest.raises(InvalidInput, match="处理意见"):
        notices.resolve(office, [objection.id], "uphold_objection", "")
    assert not notices.resolve(world.users[enums.CENTER], [objection.id], "uphold_objection", "核实").done
    assert notices.resolve(office, [objection.id], "uphold_objection", "经核实，反映情况不属实，维持").done
    db.session.expire_all()
    objection = db.session.get(Objection, objection.id)
    assert objection.state == ObjectionState.UPHELD and objection.resolution.startswith("经核实")
    assert workflow.recognise(office, [reg.id]).done


def test_an_objection_resolved_cancel_ends_the_recognition_for_the_batch(world, office):
    reg = passed(world, 730)
    db.session.commit()
    draft = result_notices.create_draft(office, world.batch.id)
    entry = draft.entries[0]
    with pytest.raises(InvalidInput, match="公示尚未发布"):
        result_notices.record_objection(office, entry.id, "来电", "异议")
    notice = published(office, draft.id)
    with pytest.raises(InvalidInput, match="请填写"):
        result_notices.record_objection(office, entry.id, "", "异议")
    objection = result_notices.record_objection(office, notice.entries[0].id, "来访", "学历造假")
    result = notices.resolve(office, [objection.id], "cancel_objection", "查实弄虚作假，取消")
    assert result.done
    db.session.expire_all()
    reg = db.session.get(Registration, reg.id)
    assert reg.recognition_status == RecognitionState.CANCELLED
    assert db.session.get(Objection, objection.id).state == ObjectionState.CANCELLED
    # Final: no recognition, no new notice, no further objection.
    refused = workflow.recognise(office, [reg.id])
    assert "已取消" in refused.refused[0][2]
    with pytest.raises(InvalidInput, match="没有待公示的人员"):
        result_notices.create_draft(office, world.batch.id)
    with pytest.raises(InvalidInput, match="不能再记录异议"):
        result_notices.record_objection(office, notice.entries[0].id, "来电", "再次反映")
    assert workflow.available_transitions(office, "recognition", reg.id) == []


def test_cancel_is_refused_whole_when_the_recognition_moved_meanwhile(world, office):
    reg = passed(world, 735)
    db.session.commit()
    notice = published(office, result_notices.create_draft(office, world.batch.id).id)
    objection = result_notices.record_objection(office, notice.entries[0].id, "来信", "异议")
    db.session.get(Registration, reg.id).recognition_status = RecognitionState.RECOGNISED
    db.session.commit()
    result = notices.resolve(office, [objection.id], "cancel_objection", "取消")
    assert not result.done and "已认定" in result.refused[0][2]
    db.session.expire_all()
    assert db.session.get(Objection, objection.id).state == ObjectionState.OPEN


def test_the_pdf_and_the_excel_are_the_list_as_posted(world, office, client):
    regs = [passed(world, 740 + i, unit=("A", "B")[i % 2]) for i in range(3)]
    db.session.commit()
    notice = published(office, result_notices.create_draft(office, world.batch.id).id)
    db.session.get(Worker, regs[0].worker_id).name = "今日姓名"
    db.session.commit()
    login(client, "unit_a")
    response = client.get(f"/result_notices/notice.pdf?id={notice.id}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(response.data)
    text = pdf[0].get_textpage().get_text_range()
    assert notice.title in text.replace("\r\n", "").replace("\n", "")
    assert "公示740" in text and "今日姓名" not in text and "乙单位（沙坪坝）" in text
    assert "重庆市机关事业单位技术工人技术等级（岗位）考核办公室" in text
    response = client.get(f"/result_notices/notice.xlsx?id={notice.id}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("序号", "姓名", "单位", "工种", "等级")
    assert rows[1] == (1, "公示740", "甲单位（渝中）", "电工", enums.grade_label(4))
    assert len(rows) == 4


def test_drafts_and_objections_are_the_offices_and_published_lists_everyones(world, office, client):
    passed(world, 750)
    db.session.commit()
    draft = result_notices.create_draft(office, world.batch.id)
    noticed = db.session.query(ResultNotice).filter_by(state=NoticeState.PUBLISHED).one()  # the world's
    objection = result_notices.record_objection(office, noticed.entries[0].id, "来信", "异议内容")
    for username in ("unit_a", "yuzhong_hr", "center", "admin"):
        login(client, username)
        listing = client.get("/result_notices/").get_data(as_text=True)
        assert f"details/?id={noticed.id}" in listing and f"details/?id={draft.id}" not in listing, username
        assert client.get(f"/result_notices/details/?id={draft.id}").status_code == 404, username
        page = client.get(f"/result_notices/details/?id={noticed.id}").get_data(as_text=True)
        assert ("异议内容" in page) == (username == "center"), username
        assert (
            client.post(f"/result_notices/objection/?id={noticed.id}", data={"seq": "1"}).status_code == 403
        )
    login(client, "unit_a")
    assert client.get("/objections/").status_code == 403
    login(client, "center")
    assert client.get(f"/objections/details/?id={objection.id}").status_code == 200
    decide = client.post("/objections/decide/", data={"op": "cancel_objection", "rowid": objection.id})
    assert decide.status_code == 403
    login(client, "office")
    page = client.get(f"/result_notices/details/?id={draft.id}").get_data(as_text=True)
    assert "发布公示" in page and "记录公示异议" not in page
    home = text_of(client.get("/"))
    assert "待处理公示异议" in home
    # Recorded through the page, by 序号; a 序号 not on the list is a message, nothing recorded.
    response = client.post(
        f"/result_notices/objection/?id={noticed.id}", data={"seq": "99", "source": "来电", "text": "x"}
    )
    assert "没有该序号" in text_of(client.get(response.headers["Location"]))
    assert db.session.query(Objection).count() == 1
    response = client.post(
        f"/result_notices/objection/?id={noticed.id}", data={"seq": "1", "source": "来电", "text": "第二条"}
    )
    assert db.session.query(Objection).count() == 2


def test_an_archived_batch_takes_no_draft_and_no_objection(world, office):
    reg = passed(world, 760)
    db.session.commit()
    notice = published(office, result_notices.create_draft(office, world.batch.id).id)
    entry_id = notice.entries[0].id
    world.batch.state = BatchState.ARCHIVED
    db.session.commit()
    with pytest.raises(InvalidInput, match="已归档"):
        result_notices.create_draft(office, world.batch.id)
    with pytest.raises(InvalidInput, match="已归档"):
        result_notices.record_objection(office, entry_id, "来电", "异议")
    assert db.session.query(NoticeEntry).filter_by(registration_id=reg.id).count() == 1


def test_the_demo_recognises_only_people_posted_on_an_ended_notice(app, ctx):
    from seed import demo

    demo.build()
    recognised = (
        db.session.query(Registration).filter_by(recognition_status=RecognitionState.RECOGNISED).all()
    )
    assert recognised
    for reg in recognised:
        entry = db.session.query(NoticeEntry).filter_by(registration_id=reg.id).one()
        notice = entry.notice
        assert notice.state == NoticeState.PUBLISHED and notice.batch_id == reg.batch_id
        assert notice.end_date < clock.today() and entry.name == reg.worker.name


def test_the_recognition_list_filters_by_notice_stage_and_home_counts_the_ended(world, office, client):
    ended, objected = passed(world, 771), passed(world, 772)
    factories.put_on_ended_notice(ended, objected)
    passed(world, 770)
    db.session.commit()
    published(office, result_notices.create_draft(office, world.batch.id).id)  # 770 only, running from today
    entry = db.session.query(NoticeEntry).filter_by(registration_id=objected.id).one()
    result_notices.record_objection(office, entry.id, "来电", "异议")
    login(client, "office")
    home = client.get("/").get_data(as_text=True)
    link = re.search(r'href="([^"]+)" data-todo="公示期满待认定"', home).group(1).replace("&amp;", "&")
    listing = text_of(client.get(link))
    # B's world candidate and ``ended`` are on the ended notice with nothing waiting.
    assert "公示771" in listing and "公示770" not in listing and "公示772" not in listing
    assert "B考生" in listing and "列表 (2)" in listing


def test_a_period_reaching_a_year_without_calendar_is_not_published(world, office, monkeypatch):
    """A 公示 published on 28 December 2026 would end in 2027, which 工作日历 does not hold yet: refused with the
    reason (the admin is to enter 2027), the notice stays a draft with no period."""
    passed(world, 720)
    db.session.commit()
    at(monkeypatch, date(2026, 12, 28))
    draft = result_notices.create_draft(office, world.batch.id)
    result = notices.publish(office, [draft.id])
    assert not result.done
    (_row_id, _label, reason) = result.refused[0]
    assert "公示期" in reason and "2027年" in reason and "工作日历" in reason
    db.session.expire_all()
    notice = db.session.get(ResultNotice, draft.id)
    assert notice.state == NoticeState.DRAFT and notice.end_date is None
