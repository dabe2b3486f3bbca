"""Reminders on a schedule (issue 19 point 5): who is reminded of what on a Beijing date, once per day.

Each kind's selection (drafts and returned before 申报截止日, the reviewers' digest counted per scope as 待我审核
counts, 查分 and 公示 windows closing), idempotence (a second run that day adds nothing), the channels (e-mail and
SMS rows only when switched on and wanted) and the worker's daily trigger."""

from datetime import datetime, timedelta

import pytest

from admin_app.extensions import db
from admin_app.services import clock, reminder_selection, reminders, result_notices
from admin_app.services.rechecks import last_request_day
from admin_app.workflow.states import ApplicationState, NoticeState, OutboxState, pending
from models import (
    Application,
    NoticeEntry,
    Notification,
    OutboxMessage,
    ReminderDay,
    ReminderSent,
    ResultNotice,
    ScoreRecheck,
    enums,
)
from models.org import utcnow
from tests import factories
from tests.conftest import login


def messages(kind: str) -> dict[int, str]:
    """{organisation id: body} of the 站内消息 of one reminder kind."""
    rows = Notification.query.filter_by(kind=f"reminder_{kind}").all()
    assert len({r.organisation_id for r in rows}) == len(rows), "one message per organisation"
    return {r.organisation_id: r.body for r in rows}


def test_units_with_drafts_or_returned_applications_are_reminded_days_before_the_deadline(app, world):
    today = clock.today()
    world.batch.apply_deadline = today + timedelta(days=3)  # one of the default 7, 3, 1
    world.applications["P"].status = ApplicationState.RETURNED
    extra = factories.add_worker(world.units["A"], "A二号", 31, world.trade, world.batch)
    db.session.flush()
    factories.add_application(world, extra)  # A has two drafts
    db.session.commit()

    counts = reminders.run(app.config, today)

    sent = messages("apply_deadline")
    units = world.units
    assert set(sent) == {units["A"].id, units["P"].id, units["Y"].id}  # B's only application is submitted
    assert "尚有2份待提交、0份退回修改" in sent[units["A"].id]
    assert "尚有0份待提交、1份退回修改" in sent[units["P"].id]
    assert "还有3天" in sent[units["A"].id] and units["A"].name in sent[units["A"].id]
    # and the 沙坪坝 bureau's digest (B's application waits there): one 站内消息 per reminder
    assert (
        counts["reminders"]
        == counts["messages"]
        == 4
        == Notification.query.filter(Notification.kind.like("reminder_%")).count()
    )
    assert counts["emails"] == counts["sms"] == 0  # both channels are off by default


def test_no_deadline_reminder_on_other_days(app, world):
    world.batch.apply_deadline = clock.today() + timedelta(days=2)
    db.session.commit()
    reminders.run(app.config, clock.today())
    assert messages("apply_deadline") == {}


def _submit(world, key: str, step: str, count: int = 1) -> None:
    for seq in range(count):
        worker = factories.add_worker(
            world.units[key], f"{key}待审{seq}", 40 + seq + 10 * ord(key), world.trade, world.batch
        )
        db.session.flush()
        factories.add_application(
            world, worker, status=pending(step), route=step, step_index=0, submitted_at=utcnow()
        )


def test_the_review_digest_counts_each_reviewers_own_queue(app, client, world):
    _submit(world, "A", enums.DISTRICT_HR, 2)  # 渝中区 bureau
    _submit(world, "P", enums.PARTY_ORG, 1)  # 市委组织部 (a party unit)
    _submit(world, "Y", enums.DISTRICT_HR, 1)  # 原渝北区: 两江新区's bureau
    db.session.commit()

    reminders.run(app.config, clock.today())

    sent = messages("review_digest")
    org = {
        key: world.users[key].organisation_id
        for key in (enums.DISTRICT_HR, "district_hr_b", "district_hr_lj")
    }
    expected = {
        org[enums.DISTRICT_HR]: 2,
        org["district_hr_b"]: 1,  # B's application, from the world
        org["district_hr_lj"]: 1,
        world.users[enums.PARTY_ORG].organisation_id: 1,
    }
    assert sent.keys() == expected.keys()  # nobody without waiting rows (市人力社保局, 市工考办: none)
    for organisation_id, count in expected.items():
        assert f"有{count}份考试资格申请等待您审核" in sent[organisation_id]
    # the same count as each reviewer's 待我审核 list shows
    for username, organisation_id in (
        ("yuzhong_hr", org[enums.DISTRICT_HR]),
        ("liangjiang_hr", org["district_hr_lj"]),
    ):
        login(client, username)
        page = client.get("/review_queue/").get_data(as_text=True)
        assert f"列表 ({expected[organisation_id]})" in page, username


def test_a_second_run_the_same_day_sends_nothing_again(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_ENABLED", True)
    world.users["district_hr_b"].email = "spb@example.com"  # B waits at 沙坪坝: its digest
    db.session.commit()
    first = reminders.run(app.config, clock.today())
    assert first["reminders"] >= 1 and first["emails"] == 1
    before = (Notification.query.count(), OutboxMessage.query.count(), ReminderSent.query.count())

    second = reminders.run(app.config, clock.today())

    assert second == {"reminders": 0, "messages": 0, "emails": 0, "sms": 0}
    assert (Notification.query.count(), OutboxMessage.query.count(), ReminderSent.query.count()) == before
    # the next day is a new day
    assert reminders.run(app.config, clock.today() + timedelta(days=1))["reminders"] >= 1


def _publication_closing(today, within_days: int):
    """A publication moment whose 查分 period (10 working days) ends ``within_days`` days after ``today``; None
    when no period can end that day (a weekend or holiday)."""
    for back in range(60):
        moment = clock.from_beijing(
            datetime.combine(today - timedelta(days=back), datetime.min.time()).replace(hour=10)
        )
        if (last_request_day(moment, 10) - today).days == within_days:
            return moment
    return None


def _reminder_day(*within: int):
    """The first day from today (Beijing) on which a 查分 period can end each of ``within`` days later: the
    reminders run for that day (from a Friday, one day later is a Saturday, when no period ends)."""
    for ahead in range(30):
        day = clock.today() + timedelta(days=ahead)
        if all(_publication_closing(day, d) is not None for d in within):
            return day
    pytest.fail("no day found")


def _publish_closing(reg, within_days: int, today):
    """Set ``reg``'s publication so that its 查分 period ends ``within_days`` days after ``today``."""
    reg.scores_published_at = _publication_closing(today, within_days)


def test_units_are_reminded_when_their_recheck_period_is_about_to_close(app, world):
    reg = world.registrations["B"]  # published scores (the world)
    today = _reminder_day(1)
    _publish_closing(reg, 1, today)
    db.session.commit()
    reminders.run(app.config, today)
    sent = messages("recheck_closing")
    assert list(sent) == [world.units["B"].id]
    assert "本单位1名考生的查分申请期" in sent[world.units["B"].id] and "还有1天" in sent[world.units["B"].id]


def test_no_recheck_reminder_far_from_the_end_or_once_asked(app, world):
    reg = world.registrations["B"]
    today = _reminder_day(1, 5)
    _publish_closing(reg, 5, today)  # beyond REMINDER_WINDOW_DAYS (2)
    db.session.commit()
    reminders.run(app.config, today)
    assert messages("recheck_closing") == {}
    _publish_closing(
        reg, 1, today
    )  # within the window: only the request already made keeps the reminder back
    db.session.add(
        ScoreRecheck(registration_id=reg.id, batch_id=reg.batch_id, unit_id=reg.unit_id, reason="复核")
    )
    db.session.commit()
    assert reminder_selection.recheck_reminders(today, 2) == []
    assert messages("recheck_closing") == {}


def test_units_on_a_notice_about_to_end_are_reminded(app, world):
    today = clock.today()
    notice = ResultNotice(
        batch_id=world.batch.id,
        title="2021年度合格名单公示",
        state=NoticeState.PUBLISHED,
        published_at=utcnow(),
        start_date=today - timedelta(days=3),
        end_date=today + timedelta(days=2),
    )
    db.session.add(notice)
    db.session.flush()
    reg = world.registrations["A"]
    values = result_notices.entry_values([reg.id])[reg.id]
    db.session.add(NoticeEntry(notice=notice, registration_id=reg.id, seq=1, **values))
    db.session.commit()

    reminders.run(app.config, today)

    sent = messages("notice_closing")
    # A is on the closing notice; B only on the world's notice that ended yesterday
    assert list(sent) == [world.units["A"].id]
    assert "2021年度合格名单公示" in sent[world.units["A"].id] and "本单位1人" in sent[world.units["A"].id]


def test_email_and_sms_go_to_users_who_have_an_address_and_want_them(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_ENABLED", True)
    monkeypatch.setitem(app.config, "SMS_ENABLED", True)
    world.batch.apply_deadline = clock.today() + timedelta(days=1)
    unit_a = world.users[enums.UNIT]
    unit_a.email, unit_a.mobile = "a@example.com", "13800000001"
    second = factories.add_user("unit_a2", world.units["A"], email="a2@example.com", mobile="13800000002")
    second.email_opt_out = True  # wants SMS only
    factories.add_user("unit_a3", world.units["A"], email="a3@example.com", active=False)  # disabled
    db.session.commit()

    reminders.run(app.config, clock.today())

    rows = OutboxMessage.query.filter(OutboxMessage.user_id.isnot(None)).order_by(OutboxMessage.id).all()
    mine = {(r.channel, r.address) for r in rows if r.user.organisation_id == world.units["A"].id}
    assert mine == {("email", "a@example.com"), ("sms", "13800000001"), ("sms", "13800000002")}
    email = next(r for r in rows if r.address == "a@example.com")
    assert email.subject == "考试资格申请即将截止" and "消息设置" in email.body
    assert all(r.state == OutboxState.PENDING and r.attempts == 0 for r in rows)


def test_the_worker_runs_the_day_once_after_the_configured_time(app, world, monkeypatch):
    def at(hour, minute):
        moment = datetime.combine(clock.today(), datetime.min.time()).replace(hour=hour, minute=minute)
        instant = clock.from_beijing(moment)
        monkeypatch.setattr(clock, "_instant", lambda: instant.replace(tzinfo=clock.UTC))

    at(7, 59)
    assert reminders.scheduled(app.config) is None  # before REMINDER_TIME (08:00)
    assert messages("review_digest") == {}
    at(8, 0)
    assert reminders.scheduled(app.config)["reminders"] == 1  # B's application waits at 沙坪坝
    at(15, 0)
    assert reminders.scheduled(app.config) is None  # the day is done
    assert len(messages("review_digest")) == 1


def test_the_reminder_key_is_unique_in_the_database(app, world):
    import sqlalchemy as sa

    values = {"kind": "review_digest", "organisation_id": world.units["A"].id, "business_date": clock.today()}
    db.session.add(ReminderSent(**values))
    db.session.commit()
    db.session.add(ReminderSent(**values))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert Application.query.count() > 0


def test_flask_reminders_run_sends_a_given_day_once(app, world):
    runner = app.test_cli_runner()
    day = (clock.today() + timedelta(days=5)).isoformat()
    first = runner.invoke(args=["reminders-run", "--date", day])
    assert first.exit_code == 0 and "提醒 1 条：站内消息 1" in first.output  # 沙坪坝's digest
    again = runner.invoke(args=["reminders-run", "--date", day])
    assert again.exit_code == 0 and "提醒 0 条" in again.output
    wrong = runner.invoke(args=["reminders-run", "--date", "2026-13-01"])
    assert wrong.exit_code != 0 and "日期格式应为 YYYY-MM-DD" in wrong.output
    assert ReminderSent.query.count() == 1
    sent = runner.invoke(args=["outbox-send"])
    assert sent.exit_code == 0 and "已发送 0，待重试 0，失败 0" in sent.output


@pytest.mark.parametrize("waiting", [True, False], ids=["one_reminder", "none"])
def test_two_runs_at_once_send_each_reminder_once(app, world, waiting):
    """Two workers' beats at the same moment: the unique key lets one claim each reminder, the other adds nothing;
    both mark the day done without an error, also when there is nothing to send."""
    import threading

    if not waiting:
        world.applications["B"].status = ApplicationState.APPROVED
        db.session.commit()
    day = clock.today()
    results, errors = [], []
    start = threading.Barrier(2)

    def beat():
        with app.app_context():
            try:
                start.wait(10)
                results.append(reminders.run(app.config, day))
            except Exception as exc:  # reported below: neither run may fail
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(r["reminders"] for r in results) == ([0, 1] if waiting else [0, 0])  # 沙坪坝's digest, once
    db.session.expire_all()
    assert Notification.query.filter_by(kind="reminder_review_digest").count() == (1 if waiting else 0)
    assert db.session.get(ReminderDay, day) is not None
