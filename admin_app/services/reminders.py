"""Reminders on a schedule (SPEC §8.6): sending the reminders of a business (Beijing) date, once.

Kinds (selected in ``reminder_selection``; templates in ``reminder_templates.KINDS``):
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

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from admin_app.extensions import db
from admin_app.services import clock, outbox, reminder_templates
from admin_app.services.reminder_selection import (
    Reminder,
    deadline_reminders,
    notice_reminders,
    recheck_reminders,
    review_digest,
)
from admin_app.services.sql import insert_rows
from models import Notification, ReminderDay, ReminderSent, User
from models.org import utcnow

# kind -> the list its 站内消息 links to
TARGETS = {
    "apply_deadline": "applications",
    "review_digest": "review_queue",
    "recheck_closing": "scores",
    "notice_closing": "result_notices",
}
MAIL_FOOTER = "\n\n——\n本邮件由工考管理平台自动发送，请勿回复。如不需要邮件提醒，可登录后在“消息设置”中关闭。"


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


def due_reminders(today: date, settings: Settings) -> list[Reminder]:
    """Every reminder of ``today``, before the once-a-day check."""
    return [
        *deadline_reminders(today, settings.deadline_days),
        *review_digest(today),
        *recheck_reminders(today, settings.window_days),
        *notice_reminders(today, settings.window_days),
    ]


def _insert(model):
    """INSERT with ON CONFLICT (PostgreSQL and SQLite both have it)."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    return dialect.insert(model)


def _claim(reminder: Reminder, today: date) -> int | None:
    """The new ``reminder_sent`` row's id, or None when this (kind, organisation, date) was already sent."""
    return db.session.scalar(
        _insert(ReminderSent)
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
    # two runs at once both mark the day: the second mark is no error
    db.session.execute(
        _insert(ReminderDay)
        .values(business_date=today, finished_at=now)
        .on_conflict_do_nothing(index_elements=["business_date"])
    )
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
