"""考核批次 (the admin): 未开放 / 已截止 → 申报中 → 已截止 → 已归档.

At most one batch is 申报中 at a time; a batch is archived only once nothing in it waits for anyone, and an
archived batch with everything in it is read-only for everyone (:func:`ensure_writable`; the engine refuses
rows of an archived batch on every machine with a ``batch_column``). (Why a batch takes no submissions now:
``services.batches.submission_closed_reason``.)
"""

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from admin_app.extensions import db
from admin_app.services.validators import InvalidInput
from admin_app.workflow import engine
from admin_app.workflow.states import (
    PENDING_STATES,
    ApplicationState,
    EvaluationState,
    RecognitionState,
    RegistrationState,
)
from admin_app.workflow.states import BatchState as S
from admin_app.workflow.table import Machine, Transition, add, machine
from models import Application, ExamBatch, Registration, enums


def _select(extra):
    return sa.select(ExamBatch.id, ExamBatch.state.label("state"), ExamBatch, *extra)


BATCH = machine(
    Machine(
        name="batch",
        label="考核批次",
        model=ExamBatch,
        field="state",
        states=S,
        scope=lambda user: sa.true(),  # the admin's, by the transitions' roles
        select=_select,
        describe=lambda row: str(row.ExamBatch),
        missing="考核批次不存在",
        batch_column=None,
    )
)
ADMIN = frozenset({enums.ADMIN})


# --- 开放申报: one batch at a time ---------------------------------------------------------------------
def _no_other_open(ctx, row):
    """Another batch is 申报中 (or opens earlier in this same request): this one may not open."""
    opening = ctx.cache.setdefault("opening", [])
    other = db.session.scalar(sa.select(ExamBatch).where(ExamBatch.state == S.OPEN, ExamBatch.id != row.id))
    name = str(other) if other is not None else (opening[0] if opening else None)
    if name:
        return f"“{name}”正在申报中，请先截止该批次"
    opening.append(str(row.ExamBatch))
    return None


def _none_open_meanwhile(ctx):
    other = aliased(ExamBatch)
    return ~sa.exists().where(other.state == S.OPEN, other.id != ExamBatch.id)


OPEN = add(
    Transition(
        BATCH,
        "open_batch",
        "开放申报",
        sources=frozenset({S.NOT_OPEN, S.CLOSED}),
        target=S.OPEN,
        roles=ADMIN,
        guards=(_no_other_open,),
        conditions=(_none_open_meanwhile,),
        confirmation="确定开放所选批次的申报吗？单位将可以提交申请。",
        style="success",
    )
)
CLOSE = add(
    Transition(
        BATCH,
        "close_batch",
        "截止申报",
        sources=frozenset({S.OPEN}),
        target=S.CLOSED,
        roles=ADMIN,
        confirmation="确定截止所选批次的申报吗？单位将不能再提交申请。",
        style="warning",
    )
)


# --- 归档: nothing left waiting ------------------------------------------------------------------------
def unfinished_work(batch_id: int) -> str:
    """What still waits for someone in a batch (archiving would freeze it), in words; "" if nothing."""
    r = Registration
    reviews, returned = db.session.execute(
        sa.select(
            sa.func.count().filter(Application.status.in_(PENDING_STATES)),
            sa.func.count().filter(Application.status == ApplicationState.RETURNED),
        ).where(Application.batch_id == batch_id)
    ).one()
    registrations, evaluations, recognitions = db.session.execute(
        sa.select(
            sa.func.count().filter(r.status.in_([RegistrationState.PENDING, RegistrationState.FEE])),
            sa.func.count().filter(r.evaluation_status == EvaluationState.PENDING),
            sa.func.count().filter(r.recognition_status == RecognitionState.PENDING),
        ).where(r.batch_id == batch_id)
    ).one()
    parts = [
        f"{label} {n} 条"
        for label, n in (
            ("待审核的申请", reviews),
            ("退回修改的申请", returned),
            ("待确认或待缴费确认的报名", registrations),
            ("待评审", evaluations),
            ("待认定", recognitions),
        )
        if n
    ]
    return "、".join(parts)


def _nothing_waiting(ctx, row):
    if unfinished := unfinished_work(row.id):
        return f"该批次仍有未办结事项：{unfinished}，请办结后再归档"
    return None


ARCHIVE = add(
    Transition(
        BATCH,
        "archive_batch",
        "归档",
        sources=frozenset({S.CLOSED}),
        target=S.ARCHIVED,
        roles=ADMIN,
        guards=(_nothing_waiting,),
        confirmation="归档后该批次的全部数据对所有人只读，且不能撤销。确定归档吗？",
        style="danger",
    )
)
BATCH_TRANSITIONS = {t.name: t for t in (OPEN, CLOSE, ARCHIVE)}


# --- use cases ------------------------------------------------------------------------------------------
def change_batch_state(actor, ids, name: str) -> engine.BulkResult:
    """The admin opens, closes or archives batches (``name``: open_batch, close_batch, archive_batch).

    Guarantees: only from the transition's source states; at most one batch 申报中 (checked again in the
    UPDATE); a batch is archived only when nothing in it waits (待审核, 待确认/待缴费确认, 待评审, 待认定);
    every move is audited; anyone else's call changes nothing and is refused row by row."""
    return engine.apply(actor, BATCH_TRANSITIONS[name], ids)


def ensure_writable(batch) -> None:
    """Raise InvalidInput when ``batch`` is archived (read-only for everyone)."""
    if batch is not None and batch.read_only:
        raise InvalidInput(engine.ARCHIVED)
