"""资格认定: 待认定 (scores passed, or 评审通过) → 已认定. 市工考办 recognises every row in its scope; a 区县
人力社保局 only the 初级工、中级工、高级工 of 区县属单位 in its jurisdiction (SPEC §4.5). Recognition issues the
certificate number and makes the grade the worker's 现等级."""

from datetime import date

import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.services import notify
from admin_app.services.scope import registration_condition
from admin_app.workflow import engine
from admin_app.workflow.people import describe, person_rows
from admin_app.workflow.states import RecognitionState as S
from admin_app.workflow.table import Machine, Transition, add, machine
from models import ExamBatch, Registration, Worker, enums

RECOGNITION = machine(
    Machine(
        name="recognition",
        label="资格认定",
        model=Registration,
        field="recognition_status",
        states=S,
        scope=registration_condition,
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
        guards=(_district_may,),
        conditions=(_district_may_sql,),
        values=_recognition_values,
        effects=(_issue_certificates,),
        style="success",
    )
)


def recognise(actor, ids, today: date | None = None) -> engine.BulkResult:
    """资格认定 of 待认定 rows (``today``: the business date the new grade is held from, by default the
    actor's).

    Guarantees: only rows in the actor's scope, 待认定, and — for a 区县 bureau — junior grades of 区县属单位
    (checked again in the UPDATE) are recognised; each gets its certificate number and its worker the new
    现等级, 取得时间, 工种 and 证书, with audit rows and a 站内消息 to the unit, in one transaction per group
    of rows. Every other row is refused with its reason."""
    return engine.apply(actor, RECOGNISE, ids, today=today)
