"""资格认定: 待认定 (scores passed, or 评审通过) → 已认定. 市工考办 recognises every row in its scope; a 区县
人力社保局 only the 初级工、中级工、高级工 of 区县属单位 in its jurisdiction (SPEC §4.5). Recognition issues the
certificate number and makes the grade the worker's 现等级.

Only after the 合格名单公示 (SPEC §8.4): a row is recognised once it is on a published notice whose period has
ended (today, Beijing, after its last day) and no objection to it waits; an objection resolved 取消 moves the
row to 已取消 (``cancel_for_objections``, inside the objection's own transaction), which is final for the batch.
"""

from datetime import date

import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.services import notify
from admin_app.services.score_visibility import result_scope
from admin_app.services.sql import among
from admin_app.workflow import engine
from admin_app.workflow.people import describe, person_rows
from admin_app.workflow.states import NoticeState, ObjectionState
from admin_app.workflow.states import RecognitionState as S
from admin_app.workflow.table import Machine, Opinion, Transition, add, machine
from models import ExamBatch, NoticeEntry, Objection, Registration, ResultNotice, Worker, enums

RECOGNITION = machine(
    Machine(
        name="recognition",
        label="资格认定",
        model=Registration,
        field="recognition_status",
        states=S,
        # units and bureaus act only on rows whose scores are published: a refusal must not tell a pass early
        scope=result_scope,
        select=person_rows(Registration, "recognition_status"),
        describe=describe,
    )
)
JUNIOR_GRADES = frozenset(enums.GRADE_NAMES) - enums.SENIOR_GRADES  # 初级工, 中级工, 高级工
DISTRICT_ONLY = "区县人力社保局只认定本区县区县属单位的初级工、中级工、高级工；其他由市工考办认定"


def _district_may(ctx, row):
    """A 区县 bureau: only junior grades of 区县属单位 (its jurisdiction is its scope)."""
    if ctx.actor.role == enums.DISTRICT_HR and (
        row.applied_grade not in JUNIOR_GRADES or row.org_category != enums.CAT_DISTRICT
    ):
        return DISTRICT_ONLY
    return None


def _district_may_sql(ctx):
    if ctx.actor.role != enums.DISTRICT_HR:
        return sa.true()
    return sa.and_(
        Registration.applied_grade.in_(JUNIOR_GRADES), Registration.org_category == enums.CAT_DISTRICT
    )


NOT_NOTICED = "尚未公示"
OPEN_OBJECTION = "有未处理的公示异议"


def _notice_facts(ctx) -> tuple[dict, set]:
    """({registration id: last day of its published 公示}, {ids with an open objection}) of the rows asked
    for, read once per call."""
    facts = ctx.cache.get("notice_facts")
    if facts is None:
        ids = ctx.ids
        ends = dict(
            db.session.execute(
                sa.select(NoticeEntry.registration_id, sa.func.max(ResultNotice.end_date))
                .join(ResultNotice, ResultNotice.id == NoticeEntry.notice_id)
                .where(among(NoticeEntry.registration_id, ids), ResultNotice.state == NoticeState.PUBLISHED)
                .group_by(NoticeEntry.registration_id)
            ).all()
        )
        objected = set(
            db.session.scalars(
                sa.select(Objection.registration_id).where(
                    among(Objection.registration_id, ids), Objection.state == ObjectionState.OPEN
                )
            )
        )
        facts = ctx.cache["notice_facts"] = (ends, objected)
    return facts


def _noticed(ctx, row):
    """On a published 公示 whose period has ended, with no objection waiting."""
    ends, objected = _notice_facts(ctx)
    end = ends.get(row.id)
    if end is None:
        return NOT_NOTICED
    if ctx.actor.today <= end:
        return f"公示期未满（至{end:%Y-%m-%d}）"
    if row.id in objected:
        return OPEN_OBJECTION
    return None


def _noticed_sql(ctx):
    """The same, again in the UPDATE (a notice or an objection recorded meanwhile)."""
    ended = (
        sa.select(NoticeEntry.id)
        .join(ResultNotice, ResultNotice.id == NoticeEntry.notice_id)
        .where(
            NoticeEntry.registration_id == Registration.id,
            ResultNotice.state == NoticeState.PUBLISHED,
            ResultNotice.end_date < ctx.actor.today,
        )
        .exists()
    )
    objected = (
        sa.select(Objection.id)
        .where(Objection.registration_id == Registration.id, Objection.state == ObjectionState.OPEN)
        .exists()
    )
    return sa.and_(ended, ~objected)


def _recognition_values(ctx):
    return {"recognised_at": ctx.now, "recognised_by_id": ctx.actor.organisation_id}


def _issue_certificates(ctx, ids, step):
    """Certificate numbers from the batch's pattern (the registration id keeps them unique); the worker's
    现等级 (取得时间: the first of this month), 工种 and 证书 become the recognised ones; the unit is told."""
    today: date = ctx.inputs.get("today") or ctx.actor.today
    rows = db.session.execute(
        sa.select(
            Registration.id,
            Registration.worker_id,
            Registration.applied_grade,
            Registration.applied_trade_id,
            ExamBatch.year,
            ExamBatch.certificate_pattern,
        )
        .join(ExamBatch, ExamBatch.id == Registration.batch_id)
        .where(Registration.id.in_(ids))
    ).all()
    numbers = {r.id: r.certificate_pattern.format(year=r.year, grade=r.applied_grade, id=r.id) for r in rows}
    reg_table, worker_table = Registration.__table__, Worker.__table__
    db.session.execute(
        sa.update(reg_table)
        .where(reg_table.c.id == sa.bindparam("rid"))
        .values(certificate_number=sa.bindparam("number")),
        [{"rid": rid, "number": number} for rid, number in numbers.items()],
    )
    db.session.execute(
        sa.update(worker_table)
        .where(worker_table.c.id == sa.bindparam("wid"))
        .values(
            current_grade=sa.bindparam("grade"),
            current_grade_date=sa.bindparam("since"),
            certificate_number=sa.bindparam("number"),
            certificate_trade_id=sa.bindparam("trade"),
            current_trade_id=sa.bindparam("trade"),
            updated_at=sa.bindparam("now"),
        ),
        [
            {
                "wid": r.worker_id,
                "grade": r.applied_grade,
                "since": today.replace(day=1),
                "number": numbers[r.id],
                "trade": r.applied_trade_id,
                "now": ctx.now,
            }
            for r in rows
        ],
    )
    notify.notify("recognised", ids)


RECOGNISE = add(
    Transition(
        RECOGNITION,
        "recognise",
        "资格认定",
        sources=frozenset({S.PENDING}),
        target=S.RECOGNISED,
        roles=frozenset({enums.OFFICE, enums.DISTRICT_HR}),
        guards=(_district_may, _noticed),
        conditions=(_district_may_sql, _noticed_sql),
        values=_recognition_values,
        effects=(_issue_certificates,),
        style="success",
    )
)


def _by_objection(ctx, row):
    """Only as the outcome of an objection resolved 取消 (never a button of its own)."""
    return None if ctx.inputs.get("objection") else "须通过公示异议处理（取消）办理"


CANCEL = add(
    Transition(
        RECOGNITION,
        "cancel_recognition",
        "取消认定资格",
        sources=frozenset({S.PENDING}),
        target=S.CANCELLED,
        roles=frozenset({enums.OFFICE}),
        guards=(_by_objection,),
        opinion=Opinion("处理意见"),  # the objection's, written on this row's audit entry too
        bulk=False,
        style="danger",
    )
)


def cancel_for_objections(actor, ids, opinion: str | None) -> None:
    """取消 after an objection: the 待认定 rows ``ids`` become 已取消 through the engine (scope, state and audit
    as every transition), inside the caller's transaction: nothing is committed here. Raises
    ``CancelRefused`` (the caller's transaction then rolls back) unless every row moved."""
    result = engine.apply_inside(actor, CANCEL, ids, objection=True, opinion=opinion)
    if result.refused:
        raise CancelRefused(result.refused[0][2])


class CancelRefused(Exception):
    """A row of ``cancel_for_objections`` could not move (its reason): nothing of the call is kept."""


def recognise(actor, ids, today: date | None = None) -> engine.BulkResult:
    """资格认定 of 待认定 rows (``today``: the business date the new grade is held from, by default the
    actor's).

    Guarantees: only rows in the actor's scope, 待认定, on a published 公示 whose period ended before today
    (Beijing) with no objection waiting, and — for a 区县 bureau — junior grades of 区县属单位 (all checked
    again in the UPDATE) are recognised; each gets its certificate number and its worker the new
    现等级, 取得时间, 工种 and 证书, with audit rows and a 站内消息 to the unit, in one transaction per group
    of rows. Every other row is refused with its reason."""
    return engine.apply(actor, RECOGNISE, ids, today=today)
