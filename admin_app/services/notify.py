"""站内消息: the unit whose row it is is told, in the same transaction as the change that causes it.

Events (SPEC §6 / issue 8): an application rejected or returned for revision (退回修改), a registration
returned, scores published (entered or corrected), a grade recognised. One message per row, set-based
(one SELECT, one INSERT)."""

import sqlalchemy as sa

from admin_app import limits
from admin_app.extensions import db
from admin_app.services.sql import among, insert_rows
from models import Application, Notification, Registration, Worker, enums
from models.org import utcnow

# kind -> (title, the list the row is in, how the body starts)
KINDS = {
    "application_rejected": (
        "考试资格申请审核未通过",
        "applications",
        "{name}（{grade}）的考试资格申请审核未通过",
    ),
    "application_returned": (
        "考试资格申请被退回修改",
        "applications",
        "{name}（{grade}）的考试资格申请被退回修改，请修改后重新提交",
    ),
    "registration_returned": (
        "考试报名被退回",
        "registrations",
        "{name}（{grade}）的考试报名被退回，请修改后重新报名",
    ),
    "scores_published": ("考试成绩已发布", "registrations", "{name}（{grade}）的考试成绩已发布"),
    "misconduct": (
        "考生违纪",
        "registrations",
        "{name}（{grade}）考试违纪，本次考试成绩无效，且不得参加下一批次的考核",
    ),
    "recheck_upheld": ("查分申请已答复", "registrations", "{name}（{grade}）的查分申请已答复：维持原成绩"),
    "recheck_corrected": ("查分申请已答复", "registrations", "{name}（{grade}）的查分申请已答复：成绩已更正"),
    "recognised": ("技术等级资格已认定", "recognitions", "{name}的{grade}资格已认定"),
    "revoked": ("技术等级资格已撤销", "recognitions", "{name}的{grade}资格认定已撤销，证书作废"),
}


def notify(kind: str, ids, note: str | None = None) -> int:
    """Add one message of ``kind`` per row (applications for the kinds whose list is the applications',
    registrations for the others) to the row's unit; ``note`` (an opinion, a reason) is appended. Not
    committed here."""
    ids = sorted(set(ids))
    if not ids:
        return 0
    title, target, template = KINDS[kind]
    model = Application if target == "applications" else Registration
    rows = db.session.execute(
        sa.select(model.id, model.unit_id, model.applied_grade, Worker.name)
        .join(Worker, Worker.id == model.worker_id)
        .where(among(model.id, ids))
    ).all()
    now = utcnow()
    suffix = f"。{'审核意见' if target == 'applications' else '原因'}：{note}" if note else ""
    values = [
        {
            "organisation_id": row.unit_id,
            "kind": kind,
            "title": title,
            "body": (template.format(name=row.name, grade=enums.grade_label(row.applied_grade)) + suffix)[
                : limits.MESSAGE
            ],
            "target": target,
            "object_id": row.id,
            "created_at": now,
        }
        for row in rows
    ]
    insert_rows(Notification.__table__, values)  # COPY on PostgreSQL: thousands at once in bulk work
    return len(values)


# 单位信息审核 decisions: kind -> (title, body); the message links to the unit's 单位基本信息.
UNIT_KINDS = {
    "identity_confirmed": (
        "单位信息审核已通过",
        "{reviewer}已确认本单位的单位基本信息，现在可以提交考试资格申请",
    ),
    "identity_returned": (
        "单位信息审核被退回",
        "{reviewer}退回了本单位的单位基本信息，请在“单位基本信息”中修改并保存后重新提交审核",
    ),
}


def notify_units(kind: str, org_ids, *, reviewer: str, note: str | None = None) -> int:
    """Add one message of ``kind`` (``UNIT_KINDS``) to each unit in ``org_ids``, naming the ``reviewer``;
    ``note`` (the opinion) is appended. Not committed here."""
    title, template = UNIT_KINDS[kind]
    body = (template.format(reviewer=reviewer) + (f"。审核意见：{note}" if note else ""))[: limits.MESSAGE]
    now = utcnow()
    values = [
        {
            "organisation_id": org_id,
            "kind": kind,
            "title": title,
            "body": body,
            "target": "unitprofile",
            "object_id": org_id,
            "created_at": now,
        }
        for org_id in sorted(set(org_ids))
    ]
    insert_rows(Notification.__table__, values)
    return len(values)


# Per unit, about many registrations at once: kind -> (title, body with {count} and {names}); the message links
# to the unit's 成绩查询 list.
UNIT_ROW_KINDS = {
    "scores_published": (
        "考试成绩已发布",
        "本单位{count}名考生的考试成绩已发布（{names}），请在“成绩查询”中查看",
    ),
    "scores_corrected": (
        "已发布的考试成绩已更正",
        "本单位{count}名考生已发布的考试成绩有更正（{names}），请在“成绩查询”中查看",
    ),
}
NAMES_SHOWN = 10  # names written in a per-unit message ("张三、李四等12名")


def notify_units_of(kind: str, registration_ids) -> int:
    """Add one message of ``kind`` (``UNIT_ROW_KINDS``) to each unit that owns one of ``registration_ids``,
    naming how many of its candidates and the first few by name — one message per unit, however many rows.
    Not committed here."""
    ids = sorted(set(registration_ids))
    if not ids:
        return 0
    title, template = UNIT_ROW_KINDS[kind]
    rows = db.session.execute(
        sa.select(Registration.unit_id, Worker.name)
        .join(Worker, Worker.id == Registration.worker_id)
        .where(among(Registration.id, ids))
        .order_by(Registration.unit_id, Registration.id)
    ).all()
    names: dict[int, list[str]] = {}
    for row in rows:
        names.setdefault(row.unit_id, []).append(row.name)
    now = utcnow()
    values = []
    for unit_id, unit_names in names.items():
        shown = "、".join(unit_names[:NAMES_SHOWN]) + ("等" if len(unit_names) > NAMES_SHOWN else "")
        body = template.format(count=len(unit_names), names=shown)
        values.append(
            {
                "organisation_id": unit_id,
                "kind": kind,
                "title": title,
                "body": body[: limits.MESSAGE],
                "target": "scores",
                "object_id": None,
                "created_at": now,
            }
        )
    insert_rows(Notification.__table__, values)
    return len(values)


def unread_count(user) -> int:
    """Unread messages of the user's organisation (units get messages about their rows; every organisation gets
    its reminders)."""
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(Notification.organisation_id == user.organisation_id, Notification.read_at.is_(None))
    )


def mark_read(user, ids=None) -> int:
    """Mark the user's organisation's messages read (the given ids, or all); returns how many changed."""
    conditions = [Notification.organisation_id == user.organisation_id, Notification.read_at.is_(None)]
    if ids is not None:
        conditions.append(among(Notification.id, ids))
    changed = db.session.execute(
        sa.update(Notification)
        .where(*conditions)
        .values(read_at=utcnow(), read_by_id=user.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return changed
