"""合格名单公示 (市工考办, SPEC §8.4) and the objections to it.

    notice:     待发布 --发布公示--> 已发布   (the entries are frozen as published; the period is counted on
                                           working days from the Beijing publication date)
    objection:  待处理 --维持 (处理意见)--> 维持
                待处理 --取消 (处理意见)--> 取消   (and that person's 资格认定 becomes 已取消, in the same
                                                   transaction, through the recognition machine)

Drafts and objections are the office's alone (the 市职鉴中心 reads objections); a published notice is read by
every role (it is what a bureau posts). The use cases that make drafts and record objections are
``services.result_notices``.
"""

import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.services import working_days
from admin_app.services.sql import among
from admin_app.workflow import engine, recognition
from admin_app.workflow.states import NoticeState, ObjectionState, RecognitionState
from admin_app.workflow.table import Machine, Opinion, Transition, add, machine
from models import NoticeEntry, Objection, Registration, ResultNotice, enums

OFFICE = frozenset({enums.OFFICE})


def office_only(user) -> sa.ColumnElement[bool]:
    """Rows the office decides on: all of them for the 市工考办, none for anyone else."""
    return sa.true() if getattr(user, "role", None) == enums.OFFICE else sa.false()


def _notice_rows(extra):
    return sa.select(
        ResultNotice.id,
        ResultNotice.state.label("state"),
        ResultNotice.batch_id,
        ResultNotice.title,
        ResultNotice.days,
        *extra,
    )


NOTICE = machine(
    Machine(
        name="notice",
        label="合格名单公示",
        model=ResultNotice,
        field="state",
        states=NoticeState,
        scope=office_only,
        select=_notice_rows,
        describe=lambda row: row.title,
        missing="公示不存在或不在您的权限范围内",
    )
)


def period(start, days: int) -> tuple:
    """(first day, last day) of a 公示 of ``days`` working days published on ``start``: it runs from the
    first working day on or after ``start``; the last day is the ``days``-th working day. Raises
    ``working_days.CalendarMissing`` when the period reaches a year not entered in 工作日历."""
    first = working_days.deadline(start, 0, "公示期")
    return first, working_days.deadline(first, days - 1, "公示期")


def _calendar_ready(ctx, row):
    """The period can be counted: every year it reaches is in 工作日历 (else the admin is asked to enter it)."""
    try:
        period(ctx.actor.today, row.days)
    except working_days.CalendarMissing as exc:
        return str(exc)
    return None


def _has_entries(ctx, row):
    exists = db.session.scalar(sa.select(NoticeEntry.id).where(NoticeEntry.notice_id == row.id).limit(1))
    return None if exists else "名单中没有人员，不能发布"


def _period_values(ctx, row) -> dict:
    today = ctx.actor.today
    _first, last = period(today, row.days)
    return {"start_date": today, "end_date": last}


def _freeze(ctx, ids, step):
    """The entries as they read at publication (姓名, 单位, 工种, 等级, basis): never today's data after."""
    from admin_app.services import result_notices

    result_notices.refresh_entries(ids)


PUBLISH = add(
    Transition(
        NOTICE,
        "publish_notice",
        "发布公示",
        sources=frozenset({NoticeState.DRAFT}),
        target=NoticeState.PUBLISHED,
        roles=OFFICE,
        guards=(_has_entries, _calendar_ready),
        values=lambda ctx: {"published_at": ctx.now},
        row_values=_period_values,
        effects=(_freeze,),
        confirmation="发布后名单即固定并开始公示期，不能撤回。确定发布所选公示吗？",
        style="success",
    )
)


# --- objections ---------------------------------------------------------------------------------------------
def _objection_rows(extra):
    return (
        sa.select(
            Objection.id,
            Objection.state.label("state"),
            ResultNotice.batch_id,
            Objection.registration_id,
            NoticeEntry.name,
            Registration.recognition_status,
            *extra,
        )
        .join(ResultNotice, ResultNotice.id == Objection.notice_id)
        .join(NoticeEntry, NoticeEntry.id == Objection.entry_id)
        .join(Registration, Registration.id == Objection.registration_id)
    )


OBJECTION = machine(
    Machine(
        name="objection",
        label="公示异议",
        model=Objection,
        field="state",
        states=ObjectionState,
        scope=office_only,
        select=_objection_rows,
        describe=lambda row: f"{row.name}（异议{row.id}）",
        missing="异议不存在或不在您的权限范围内",
    )
)
RESOLUTION = Opinion("处理意见", required=True, limit=500)


def _resolved(ctx):
    return {"resolution": ctx.opinion, "resolved_at": ctx.now, "resolved_by_id": ctx.user.id}


def _still_pending(ctx, row):
    """取消 ends a recognition still waiting; one already decided cannot be taken back here."""
    if row.recognition_status != RecognitionState.PENDING:
        return f"该人员认定状态为“{RecognitionState.label_of(row.recognition_status)}”，不能取消"
    return None


def _cancel_recognitions(ctx, ids, step):
    registration_ids = sorted(
        set(db.session.scalars(sa.select(Objection.registration_id).where(among(Objection.id, ids))))
    )
    recognition.cancel_for_objections(ctx.actor, registration_ids, ctx.opinion)


UPHOLD = add(
    Transition(
        OBJECTION,
        "uphold_objection",
        "维持",
        sources=frozenset({ObjectionState.OPEN}),
        target=ObjectionState.UPHELD,
        roles=OFFICE,
        opinion=RESOLUTION,
        values=_resolved,
        wrong_state="已处理",
        style="success",
    )
)
CANCEL = add(
    Transition(
        OBJECTION,
        "cancel_objection",
        "取消",
        sources=frozenset({ObjectionState.OPEN}),
        target=ObjectionState.CANCELLED,
        roles=OFFICE,
        opinion=RESOLUTION,
        guards=(_still_pending,),
        values=_resolved,
        effects=(_cancel_recognitions,),
        wrong_state="已处理",
        style="danger",
    )
)
RESOLUTIONS = {t.name: t for t in (UPHOLD, CANCEL)}


def publish(actor, ids) -> engine.BulkResult:
    """发布公示 of drafts (市工考办).

    Guarantees: only 待发布 notices with at least one entry, of a batch not archived; each gets its
    publication time, start date (the Beijing date) and last day (``period``: the notice's working days),
    and its entries are rewritten from the data as it is now and never again; audited, in one transaction
    per group. Others are refused with the reason."""
    return engine.apply(actor, PUBLISH, ids)


def resolve(actor, ids, name: str, opinion: str | None) -> engine.BulkResult:
    """维持 (``uphold_objection``) or 取消 (``cancel_objection``) open objections, the 处理意见 required.

    Guarantees: only 待处理 objections, by the office; 取消 also moves the person's 资格认定 from 待认定 to
    已取消 in the same transaction (refused, nothing changed, when it is no longer 待认定); audited. Raises
    InvalidInput (Chinese) for a missing or too long opinion, before anything changes."""
    return engine.apply(actor, RESOLUTIONS[name], ids, opinion=opinion)
