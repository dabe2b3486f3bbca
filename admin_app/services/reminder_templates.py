"""The reminders' wording: one template per kind (title and body), edited by the admin, with ``${name}``
placeholders filled by ``string.Template`` — plain substitution, no expressions, attribute access or code, so a
template can only place the values the reminder hands it. A template naming a placeholder its kind does not have
is refused on save with a Chinese message (``check``); the defaults are seeded by migration 0038 and
``flask seed``."""

import string
from dataclasses import dataclass

import sqlalchemy as sa

from admin_app import limits
from admin_app.extensions import db
from admin_app.services.validators import InvalidInput
from models import ReminderTemplate


@dataclass(frozen=True)
class Kind:
    label: str  # what the admin's list calls it
    placeholders: dict  # name -> what it holds (shown on the edit page)
    title: str  # the default title
    body: str  # the default body


KINDS = {
    "apply_deadline": Kind(
        "申报截止提醒（单位）",
        {
            "unit": "单位名称",
            "batch": "批次",
            "deadline": "申报截止日",
            "days_left": "距截止天数",
            "drafts": "待提交的申请数",
            "returned": "退回修改的申请数",
        },
        "考试资格申请即将截止",
        "${unit}：${batch}的申报截止日为${deadline}（还有${days_left}天）。本单位尚有${drafts}份待提交、"
        "${returned}份退回修改的考试资格申请，请在截止前处理。",
    ),
    "review_digest": Kind(
        "待审核汇总（审核机构，每日）",
        {"organisation": "审核机构名称", "count": "待审核的申请数", "date": "日期"},
        "待我审核：${count}份考试资格申请",
        "${organisation}：截至${date}，有${count}份考试资格申请等待您审核，请在“待我审核”中处理。",
    ),
    "recheck_closing": Kind(
        "查分申请期即将结束（单位）",
        {
            "unit": "单位名称",
            "count": "可申请查分的考生数",
            "last_day": "查分截止日期",
            "days_left": "剩余天数",
        },
        "查分申请期即将结束",
        "${unit}：本单位${count}名考生的查分申请期将于${last_day}结束（还有${days_left}天），如需查分请及时申请。",
    ),
    "notice_closing": Kind(
        "合格名单公示即将期满（单位）",
        {
            "unit": "单位名称",
            "notice": "公示名称",
            "count": "本单位上榜人数",
            "end_date": "公示截止日期",
            "days_left": "剩余天数",
        },
        "合格名单公示即将期满",
        "${unit}：${notice}将于${end_date}期满（还有${days_left}天），本单位${count}人在公示名单中。"
        "如有异议，请在期满前提出。",
    ),
}


def placeholders_of(text: str) -> list[str]:
    """The placeholder names ``text`` uses; raises InvalidInput for a ``$`` that is not one (write ``$$`` for a
    dollar sign)."""
    template = string.Template(text or "")
    if not template.is_valid():
        raise InvalidInput("模板格式不正确：“$”后须为占位符名称（如 ${unit}），表示“$”本身请写“$$”")
    return template.get_identifiers()


def check(kind: str, title: str, body: str) -> None:
    """Refuses (InvalidInput, in Chinese) an unknown kind, an empty or over-long title or body, and any
    placeholder the kind does not have, naming it and the ones allowed."""
    spec = KINDS.get(kind)
    if spec is None:
        raise InvalidInput("未知的提醒类型")
    for label, text, most in (("标题", title, limits.TEMPLATE_TITLE), ("内容", body, limits.MESSAGE)):
        if not (text or "").strip():
            raise InvalidInput(f"{label}不能为空")
        if len(text) > most:
            raise InvalidInput(f"{label}不能超过{most}个字")
        unknown = [name for name in placeholders_of(text) if name not in spec.placeholders]
        if unknown:
            allowed = "、".join(f"${{{name}}}（{what}）" for name, what in spec.placeholders.items())
            raise InvalidInput(f"{label}中有未知的占位符：{'、'.join(unknown)}。可用的占位符：{allowed}")


def render(kind: str, values: dict) -> tuple[str, str]:
    """(title, body) of ``kind`` filled with ``values``: the admin's template, or the default when none is
    stored. Every placeholder of the kind must be in ``values``; the body is cut to ``limits.MESSAGE``."""
    stored = db.session.execute(
        sa.select(ReminderTemplate.title, ReminderTemplate.body).where(ReminderTemplate.kind == kind)
    ).first()
    spec = KINDS[kind]
    title, body = (stored.title, stored.body) if stored else (spec.title, spec.body)
    text = {name: str(values[name]) for name in spec.placeholders}
    return (
        string.Template(title).substitute(text)[: limits.TEMPLATE_TITLE],
        string.Template(body).substitute(text)[: limits.MESSAGE],
    )


def default_rows() -> list[dict]:
    """The seeded templates (one row per kind)."""
    return [{"kind": kind, "title": spec.title, "body": spec.body} for kind, spec in KINDS.items()]


def seed_defaults() -> int:
    """Add the default template of every kind that has none; returns how many were added. Not committed."""
    have = set(db.session.scalars(sa.select(ReminderTemplate.kind)))
    rows = [row for row in default_rows() if row["kind"] not in have]
    for row in rows:
        db.session.add(ReminderTemplate(**row))
    db.session.flush()
    return len(rows)
