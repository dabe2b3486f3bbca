"""Who is reminded of what on a business (Beijing) date (SPEC §8.6): one function per reminder kind, each a
read-only selection returning one ``Reminder`` per organisation with the values its template places
(``reminder_templates.KINDS``). Sending them once is ``services/reminders.py``'s."""

from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.services import clock, working_days
from admin_app.services.rechecks import chinese_date, last_request_day
from admin_app.services.scope import application_condition
from admin_app.workflow.states import ApplicationState, BatchState, NoticeState, ScorePublication, pending
from models import (
    Application,
    ExamBatch,
    NoticeEntry,
    Organisation,
    Registration,
    ResultNotice,
    ScoreRecheck,
    User,
    enums,
)

# 查分 periods are a few working days after publication: publications older than this are not looked at.
RECHECK_LOOKBACK_DAYS = 90


@dataclass(frozen=True)
class Reminder:
    kind: str
    organisation_id: int
    values: dict = field(hash=False)


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
            Organisation.active,
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
            Organisation.active,
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
            Organisation.active,
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
