"""Reminders on a schedule (SPEC §8.6): who is reminded of what on a business (Beijing) date, and sending them.

Kinds (templates in ``reminder_templates.KINDS``):
- ``apply_deadline``: on each of ``REMINDER_DEADLINE_DAYS`` days before the open batch's 申报截止日, each unit with
  待提交 or 退回修改 applications in that batch (their counts);
- ``review_digest``: every day, each reviewing organisation with applications waiting at its own step, counted
  exactly as its 待我审核 list counts them (``scope.application_condition`` of one of its users + its step's
  state): one message per organisation, never one per row;
- ``recheck_closing``: each unit with candidates whose 查分 period (published scores, ``recheck_days`` working
  days) ends within ``REMINDER_WINDOW_DAYS`` days and who have not asked for one;
- ``notice_closing``: each unit with people on a published 合格名单公示 ending within ``REMINDER_WINDOW_DAYS`` days.

``run`` sends each reminder once per (kind, organisation, business date): the ``reminder_sent`` row is claimed by
``INSERT … ON CONFLICT DO NOTHING`` in the same transaction as the 站内消息 and the outbox rows, so a second run
that day — a restarted or second worker, ``flask reminders-run`` by hand — adds nothing. Each reminder is a
站内消息 to the organisation and, when the channel is on (``MAIL_ENABLED`` / ``SMS_ENABLED``), an e-mail / SMS to
each active user of it with an address who has not turned that channel off.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from admin_app.extensions import db
from admin_app.services import clock, outbox, reminder_templates, working_days
from admin_app.services.rechecks import chinese_date, last_request_day
from admin_app.services.scope import application_condition
from admin_app.services.sql import insert_rows
from admin_app.workflow.states import (
    ApplicationState,
    BatchState,
    NoticeState,
    ScorePublication,
    pending,
)
from models import (
    Application,
    ExamBatch,
    NoticeEntry,
    Notification,
    Organisation,
    Registration,
    ReminderDay,
    ReminderSent,
    ResultNotice,
    ScoreRecheck,
    User,
    enums,
)
from models.org import utcnow

# kind -> the list its 站内消息 links to
TARGETS = {
    "apply_deadline": "applications",
    "review_digest": "review_queue",
    "recheck_closing": "scores",
    "notice_closing": "result_notices",
}
# 查分 periods are a few working days after publication: publications older than this are not looked at.
RECHECK_LOOKBACK_DAYS = 90
MAIL_FOOTER = "\n\n——\n本邮件由工考管理平台自动发送，请勿回复。如不需要邮件提醒，可登录后在“消息设置”中关闭。"


@dataclass(frozen=True)
class Reminder:
    kind: str
    organisation_id: int
    values: dict = field(hash=False)


@dataclass(frozen=True)
class Settings:
    deadline_days: tuple
    window_days: int
    mail: bool
    sms: bool

    @classmethod
    def from_config(cls, config) -> "Settings":
        return cls(
            tuple(config["REMINDER_DEADLINE_DAYS"]),
            config["REMINDER_WINDOW_DAYS"],
            config["MAIL_ENABLED"],
            config["SMS_ENABLED"],
        )


def deadline_reminders(today: date, days_before) -> list[Reminder]:
    """Units with 待提交 or 退回修改 applications in the open batch, when its 申报截止日 is one of ``days_before``
    days after ``today``."""
    batch = db.session.scalar(
        sa.select(ExamBatch)
        .where(ExamBatch.state == BatchState.OPEN)
        .order_by(ExamBatch.year.desc())
        .limit(1)
    )
    if batch is None or (batch.apply_deadline - today).days not in days_before:
        return []
    status = Application.status
    rows = db.session.execute(
        sa.select(
            Application.unit_id,
            Organisation.name,
            sa.func.count().filter(status == ApplicationState.DRAFT).label("drafts"),
            sa.func.count().filter(status == ApplicationState.RETURNED).label("returned"),
        )
        .join(Organisation, Organisation.id == Application.unit_id)
        .where(
            Application.batch_id == batch.id,
            status.in_((ApplicationState.DRAFT, ApplicationState.RETURNED)),
        )
        .group_by(Application.unit_id, Organisation.name)
        .order_by(Application.unit_id)
    ).all()
    common = {
        "batch": str(batch),
        "deadline": chinese_date(batch.apply_deadline),
        "days_left": (batch.apply_deadline - today).days,
    }
    return [
        Reminder(
            "apply_deadline",
            r.unit_id,
            {**common, "unit": r.name, "drafts": r.drafts, "returned": r.returned},
        )
        for r in rows
    ]


def review_digest(today: date) -> list[Reminder]:
    """Each active reviewing organisation with applications waiting at its step, counted as its 待我审核 list
    counts them (the scope of the organisation's users: every user of one organisation sees the same rows)."""
    found = []
    organisations = db.session.scalars(
        sa.select(Organisation)
        .where(Organisation.kind.in_(enums.REVIEW_ROLES), Organisation.active)
        .order_by(Organisation.id)
    ).all()
    for organisation in organisations:
        viewer = db.session.scalar(
            sa.select(User)
            .where(User.organisation_id == organisation.id, User.active)
            .order_by(User.id)
            .limit(1)
        )
        if viewer is None:
            continue  # nobody would read it
        count = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Application)
            .where(application_condition(viewer), Application.status == pending(organisation.kind))
        )
        if count:
            values = {"organisation": organisation.name, "count": count, "date": chinese_date(today)}
            found.append(Reminder("review_digest", organisation.id, values))
    return found


def recheck_reminders(today: date, window: int) -> list[Reminder]:
    """Units with candidates whose 查分 period ends within ``window`` days of ``today`` (today included) and who
    have asked for none; the earliest such last day is named. A period whose end cannot be known (a year missing
    from 工作日历) is skipped: no reminder with a wrong date."""
    since = clock.utcnow() - timedelta(days=RECHECK_LOOKBACK_DAYS)
    published = db.session.execute(
        sa.select(Registration.batch_id, Registration.scores_published_at, ExamBatch.recheck_days)
        .join(ExamBatch, ExamBatch.id == Registration.batch_id)
        .where(
            Registration.score_publication == ScorePublication.PUBLISHED,
            Registration.scores_published_at >= since,
            ExamBatch.state != BatchState.ARCHIVED,
        )
        .distinct()
    ).all()
    closing = {}
    for row in published:
        try:
            last = last_request_day(row.scores_published_at, row.recheck_days)
        except working_days.CalendarMissing:
            continue
        if 0 <= (last - today).days <= window:
            closing[(row.batch_id, row.scores_published_at)] = last
    if not closing:
        return []
    asked = sa.select(ScoreRecheck.id).where(ScoreRecheck.registration_id == Registration.id).exists()
    rows = db.session.execute(
        sa.select(
            Registration.unit_id, Organisation.name, Registration.batch_id, Registration.scores_published_at
        )
        .join(Organisation, Organisation.id == Registration.unit_id)
        .where(
            sa.or_(
                *(
                    sa.and_(Registration.batch_id == batch_id, Registration.scores_published_at == moment)
                    for batch_id, moment in closing
                )
            ),
            Registration.score_publication == ScorePublication.PUBLISHED,
            ~asked,
        )
        .order_by(Registration.unit_id)
    ).all()
    per_unit: dict[int, dict] = {}
    for row in rows:
        last = closing[(row.batch_id, row.scores_published_at)]
        entry = per_unit.setdefault(row.unit_id, {"unit": row.name, "count": 0, "last": last})
        entry["count"] += 1
        entry["last"] = min(entry["last"], last)
    return [
        Reminder(
            "recheck_closing",
            unit_id,
            {
                "unit": e["unit"],
                "count": e["count"],
                "last_day": chinese_date(e["last"]),
                "days_left": (e["last"] - today).days,
            },
        )
        for unit_id, e in per_unit.items()
    ]


def notice_reminders(today: date, window: int) -> list[Reminder]:
    """Units with people on a published 合格名单公示 whose last day is within ``window`` days of ``today``."""
    rows = db.session.execute(
        sa.select(
            NoticeEntry.unit_id, Organisation.name, ResultNotice.title, ResultNotice.end_date, sa.func.count()
        )
        .join(ResultNotice, ResultNotice.id == NoticeEntry.notice_id)
        .join(Organisation, Organisation.id == NoticeEntry.unit_id)
        .where(
            ResultNotice.state == NoticeState.PUBLISHED,
            ResultNotice.end_date.between(today, today + timedelta(days=window)),
        )
        .group_by(
            NoticeEntry.unit_id, Organisation.name, ResultNotice.id, ResultNotice.title, ResultNotice.end_date
        )
        .order_by(NoticeEntry.unit_id, ResultNotice.end_date)
    ).all()
    per_unit: dict[int, dict] = {}
    for unit_id, name, title, end_date, count in rows:
        entry = per_unit.setdefault(unit_id, {"unit": name, "titles": [], "count": 0, "end": end_date})
        entry["titles"].append(title)
        entry["count"] += count
        entry["end"] = min(entry["end"], end_date)
    return [
        Reminder(
            "notice_closing",
            unit_id,
            {
                "unit": e["unit"],
                "notice": "、".join(e["titles"]),
                "count": e["count"],
                "end_date": chinese_date(e["end"]),
                "days_left": (e["end"] - today).days,
            },
        )
        for unit_id, e in per_unit.items()
    ]


def due_reminders(today: date, settings: Settings) -> list[Reminder]:
    """Every reminder of ``today``, before the once-a-day check."""
    return [
        *deadline_reminders(today, settings.deadline_days),
        *review_digest(today),
        *recheck_reminders(today, settings.window_days),
        *notice_reminders(today, settings.window_days),
    ]


def _claim(reminder: Reminder, today: date) -> int | None:
    """The new ``reminder_sent`` row's id, or None when this (kind, organisation, date) was already sent."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    return db.session.scalar(
        dialect.insert(ReminderSent)
        .values(
            kind=reminder.kind,
            organisation_id=reminder.organisation_id,
            business_date=today,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["kind", "organisation_id", "business_date"])
        .returning(ReminderSent.id)
    )


def run(config, today: date | None = None) -> dict:
    """Send the reminders of ``today`` (default: the Beijing date) that were not sent yet, and mark the day done;
    one transaction, committed. Returns counts: {"reminders", "messages", "emails", "sms"}."""
    today = today or clock.today()
    settings = Settings.from_config(config)
    counts = {"reminders": 0, "messages": 0, "emails": 0, "sms": 0}
    now = utcnow()
    notices = []
    for reminder in due_reminders(today, settings):
        claimed = _claim(reminder, today)
        if claimed is None:
            continue
        counts["reminders"] += 1
        title, body = reminder_templates.render(reminder.kind, reminder.values)
        notices.append(
            {
                "organisation_id": reminder.organisation_id,
                "kind": f"reminder_{reminder.kind}"[:30],
                "title": title,
                "body": body,
                "target": TARGETS[reminder.kind],
                "object_id": None,
                "created_at": now,
            }
        )
        if settings.mail or settings.sms:
            for user in _recipients(reminder.organisation_id):
                if settings.mail and user.email and not user.email_opt_out:
                    outbox.add(
                        outbox.EMAIL,
                        user.email,
                        title,
                        body + MAIL_FOOTER,
                        user_id=user.id,
                        reminder_id=claimed,
                    )
                    counts["emails"] += 1
                if settings.sms and user.mobile and not user.sms_opt_out:
                    outbox.add(outbox.SMS, user.mobile, title, body, user_id=user.id, reminder_id=claimed)
                    counts["sms"] += 1
    insert_rows(Notification.__table__, notices)
    counts["messages"] = len(notices)
    if db.session.get(ReminderDay, today) is None:
        db.session.add(ReminderDay(business_date=today, finished_at=now))
    db.session.commit()
    return counts


def _recipients(organisation_id: int) -> list[User]:
    return db.session.scalars(
        sa.select(User).where(User.organisation_id == organisation_id, User.active).order_by(User.id)
    ).all()


def scheduled(config) -> dict | None:
    """The worker's daily run: once the Beijing time is past ``REMINDER_TIME`` and today is not marked done,
    ``run``; else None (nothing read but the day's mark)."""
    moment = clock.now()
    if moment.time() < config["REMINDER_TIME"]:
        return None
    today = moment.date()
    done = db.session.get(ReminderDay, today) is not None
    db.session.rollback()
    return None if done else run(config, today)
