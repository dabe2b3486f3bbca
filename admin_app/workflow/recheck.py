"""查分 (score re-check, SPEC §8.4): a unit's request waits (待复核) until 市职鉴中心 answers it — 维持原成绩, or
更正 with the corrected scores (the scores' logged correction and this answer in one transaction:
``services.rechecks.answer_corrected``). Either answer carries the centre's opinion and tells the unit.

A request is created by ``services.rechecks.request_recheck`` (a new row, 待复核 by the column's default)."""

import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.services import notify
from admin_app.services.scope import recheck_condition
from admin_app.workflow.states import RecheckState as S
from admin_app.workflow.table import Machine, Opinion, Transition, add, machine
from models import Registration, ScoreRecheck, Worker, enums


def _select(extra):
    """The request's id, state and batch, and whose scores it concerns (name and grade, for the pages)."""
    of_request = Registration.id == ScoreRecheck.registration_id
    name = sa.select(Worker.name).join(Registration, Registration.worker_id == Worker.id).where(of_request)
    grade = sa.select(Registration.applied_grade).where(of_request)
    return sa.select(
        ScoreRecheck.id,
        ScoreRecheck.state.label("state"),
        ScoreRecheck.batch_id,
        ScoreRecheck.registration_id,
        name.scalar_subquery().label("worker_name"),
        grade.scalar_subquery().label("applied_grade"),
        *extra,
    )


def describe(row) -> str:
    return f"{row.worker_name}（{enums.grade_label(row.applied_grade)}）的查分申请"


RECHECK = machine(
    Machine(
        name="recheck",
        label="查分",
        model=ScoreRecheck,
        field="state",
        states=S,
        scope=recheck_condition,
        select=_select,
        describe=describe,
        missing="查分申请不存在或不在您的权限范围内",
    )
)
CENTER = frozenset({enums.CENTER})
ANSWER = Opinion(label="答复意见", required=True, limit=ScoreRecheck.__table__.c.answer.type.length)


def _answered(ctx) -> dict:
    return {"answer": ctx.opinion, "answered_at": ctx.now, "answered_by_id": ctx.user.id}


def _tell_units(kind):
    def effect(ctx, ids, step):
        registrations = db.session.scalars(
            sa.select(ScoreRecheck.registration_id).where(ScoreRecheck.id.in_(ids))
        ).all()
        notify.notify(kind, registrations, ctx.opinion)

    return effect


UPHOLD = add(
    Transition(
        RECHECK,
        "uphold_recheck",
        "维持原成绩",
        sources=frozenset({S.REQUESTED}),
        target=S.UPHELD,
        roles=CENTER,
        opinion=ANSWER,
        values=_answered,
        effects=(_tell_units("recheck_upheld"),),
        style="success",
    )
)
# Only from its form (the corrected scores): ``services.rechecks.answer_corrected``.
CORRECT = add(
    Transition(
        RECHECK,
        "correct_recheck",
        "更正成绩",
        sources=frozenset({S.REQUESTED}),
        target=S.CORRECTED,
        roles=CENTER,
        opinion=ANSWER,
        values=_answered,
        effects=(_tell_units("recheck_corrected"),),
        bulk=False,
        style="warning",
    )
)
