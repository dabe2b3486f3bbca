"""考试成绩 (市职鉴中心): 待录入 → 合格 / 不合格 / 缺考 from the batch's pass lines, or 违纪 (notice §2(三),
§4(三)) with its reason; corrected (合格 ⇄ 不合格 ⇄ 缺考 ⇄ 违纪) until that person's 考核评审 is decided or the
grade recognised. A pass opens the next stage: 待评审 for 技师/高级技师, else 待认定; a correction to fail, absent
or 违纪 closes it again. 违纪 cancels this exam's scores (kept in the audit trail) and bars the person from the
next batch (``services.eligibility.rule_misconduct``)."""

import json

import sqlalchemy as sa

from admin_app.actor import Actor
from admin_app.extensions import db
from admin_app.services import notify, score_visibility
from admin_app.services.scope import registration_condition
from admin_app.services.validators import InvalidInput
from admin_app.workflow import engine
from admin_app.workflow.people import describe, person_rows
from admin_app.workflow.score_values import MISCONDUCT_REASON, ScoreEntry, score_outcome, scores_of
from admin_app.workflow.states import EvaluationState, RecognitionState, RegistrationState, ScoreResult
from admin_app.workflow.table import Machine, Opinion, Step, Transition, add, machine
from models import ExamBatch, Registration, enums

SCORES = machine(
    Machine(
        name="scores",
        label="考试成绩",
        model=Registration,
        field="score_result",
        states=ScoreResult,
        scope=registration_condition,
        select=person_rows(Registration, "score_result"),
        describe=describe,
    )
)


# --- guards: registered, not yet decided further on, scores valid -----------------------------------------
DECIDED = frozenset({EvaluationState.PASSED, EvaluationState.FAILED})


def _columns():
    r = Registration
    return (
        r.status.label("registration_status"),
        r.evaluation_status,
        r.recognition_status,
        r.theory_score,
        r.practice_score,
        r.review_score,
        r.absent,
        r.misconduct_reason,
        r.scores_entered_at,
    )


def _registered(ctx, row):
    if row.registration_status != RegistrationState.REGISTERED:
        return "尚未完成报名（缴费确认），不能录入成绩"
    return None


def _not_decided(ctx, row):
    if row.evaluation_status in DECIDED or row.recognition_status == RecognitionState.RECOGNISED:
        return "考核评审或资格认定已开始，成绩不能再修改"
    return None


def _valid(ctx, row):
    entry = ctx.inputs.get("entries", {}).get(row.id)
    if entry is None:  # no scores given: only asked whether the row could take them
        return None
    try:
        ctx.cache[row.id] = scores_of(entry, row.applied_grade)
    except InvalidInput as exc:
        return str(exc)
    return None


def _still_open(ctx):
    """In the UPDATE: still 已报名, and 考核评审 / 资格认定 not decided meanwhile."""
    r = Registration
    return sa.and_(
        r.status == RegistrationState.REGISTERED,
        sa.or_(r.evaluation_status.is_(None), r.evaluation_status == EvaluationState.PENDING),
        sa.or_(r.recognition_status.is_(None), r.recognition_status == RecognitionState.PENDING),
    )


# --- where a row goes, and what is written with it -------------------------------------------------------
# 违纪, 不合格, 缺考: neither 考核评审 nor 资格认定 is open
CLOSED = (("evaluation_status", None), ("recognition_status", None))


def _batch(ctx, batch_id) -> ExamBatch:
    batches = ctx.cache.setdefault("batches", {})
    if batch_id not in batches:
        batches[batch_id] = db.session.get(ExamBatch, batch_id)
    return batches[batch_id]


def _outcome(ctx, row) -> Step:
    """The result from the pass lines, and the stage it opens (待评审 / 待认定) or closes."""
    if row.id not in ctx.cache:  # no scores given (see _valid): any target answers "may it move"
        return Step(ScoreResult.PASS)
    theory, practice, review, absent, reason = ctx.cache[row.id]
    if reason:
        return Step(ScoreResult.MISCONDUCT, values=CLOSED)
    batch = _batch(ctx, row.batch_id)
    outcome = score_outcome(row.applied_grade, theory, practice, review, absent, batch)
    senior = row.applied_grade in enums.SENIOR_GRADES
    passed = outcome == ScoreResult.PASS
    return Step(
        outcome,
        values=(
            ("evaluation_status", EvaluationState.PENDING if passed and senior else None),
            ("recognition_status", RecognitionState.PENDING if passed and not senior else None),
        ),
    )


def _row_scores(ctx, row) -> dict:
    """The scores, and the 违纪原因 and time (cleared by a correction away from 违纪)."""
    theory, practice, review, absent, reason = ctx.cache[row.id]
    return {
        "theory_score": theory,
        "practice_score": practice,
        "review_score": review,
        "absent": absent,
        "misconduct_reason": reason,
        "misconduct_at": ctx.now if reason else None,
    }


def _before(row) -> dict:
    before = {
        "theory": row.theory_score,
        "practice": row.practice_score,
        "review": row.review_score,
        "absent": row.absent,
        "result": row.state,
    }
    if row.misconduct_reason:
        before["misconduct"] = row.misconduct_reason
    return before


def _detail(action: str, detail: dict) -> dict:
    return {"action": action, "detail": json.dumps(detail, ensure_ascii=False, default=str)}


def _audit(ctx, step, rows) -> dict:
    """录入 (after) or 更正 (before → after) per row, as its audit action and detail (with the 违纪原因)."""
    out = {}
    for row in rows:
        theory, practice, review, absent, reason = ctx.cache[row.id]
        after = {"theory": theory, "practice": practice, "review": review, "absent": absent}
        after["result"] = step.target
        if reason:
            after["misconduct"] = reason
        if row.scores_entered_at is None:
            out[row.id] = _detail("scores_entered", {"after": after})
        else:
            out[row.id] = _detail("scores_corrected", {"before": _before(row), "after": after})
    return out


def _notify(ctx, ids, step):
    """Units learn of their scores when the centre publishes them (``workflow.publication``); here only of a
    correction to scores already published: one message per unit, or the 违纪 with its reason."""
    ids = score_visibility.published_ids(ids)
    if not ids:
        return
    if step.target != ScoreResult.MISCONDUCT:
        notify.notify_units_of("scores_corrected", ids)
        return
    by_reason: dict = {}
    for row_id in ids:
        by_reason.setdefault(ctx.cache[row_id][4], []).append(row_id)
    for reason, row_ids in by_reason.items():
        notify.notify("misconduct", row_ids, reason)


ENTER = add(
    Transition(
        SCORES,
        "enter_scores",
        "录入成绩",
        sources=frozenset({None, *ScoreResult}),
        route=_outcome,
        targets=tuple(ScoreResult),
        roles=frozenset({enums.CENTER}),
        guards=(_registered, _not_decided, _valid),
        conditions=(_still_open,),
        columns=_columns,
        values=lambda ctx: {"scores_entered_at": ctx.now},
        row_values=_row_scores,
        audit_detail=_audit,
        effects=(_notify,),
        atomic=True,
        audit_action="scores_entered",
        bulk=False,
    )
)


# --- 标记违纪: the centre marks a registered candidate 违纪 with the reason ------------------------------------
def _cancelled(ctx) -> dict:
    """This exam's scores cancelled, the reason and time kept, 考核评审 / 资格认定 closed."""
    return {
        "theory_score": None,
        "practice_score": None,
        "review_score": None,
        "absent": False,
        "misconduct_reason": ctx.opinion,
        "misconduct_at": ctx.now,
        "scores_entered_at": ctx.now,
        "evaluation_status": None,
        "recognition_status": None,
    }


def _marked(ctx, step, rows) -> dict:
    """The scores cancelled (before) and the reason (after), in each row's audit entry."""
    after = {"result": step.target, "misconduct": ctx.opinion}
    return {row.id: _detail("misconduct_marked", {"before": _before(row), "after": after}) for row in rows}


def _notify_marked(ctx, ids, step):
    """Units are told of a 违纪 on scores already published; the others learn it with the publication."""
    notify.notify("misconduct", score_visibility.published_ids(ids), ctx.opinion)


MARK = add(
    Transition(
        SCORES,
        "mark_misconduct",
        "标记违纪",
        sources=frozenset({None, ScoreResult.PASS, ScoreResult.FAIL, ScoreResult.ABSENT}),
        target=ScoreResult.MISCONDUCT,
        roles=frozenset({enums.CENTER}),
        guards=(_registered, _not_decided),
        conditions=(_still_open,),
        columns=_columns,
        opinion=Opinion("违纪原因", required=True, limit=MISCONDUCT_REASON),
        values=_cancelled,
        audit_detail=_marked,
        effects=(_notify_marked,),
        audit_action="misconduct_marked",
        style="danger",
    )
)


# --- use case -------------------------------------------------------------------------------------------
def enter_scores(actor, entries: list[ScoreEntry]) -> dict:
    """市职鉴中心 enters or corrects scores, all or nothing.

    Returns {registration_id: Chinese problem} and changes nothing if any entry is wrong (or its row moved on
    meanwhile); else {} and everything is committed. A correction is possible until that person's 考核评审
    has been decided or the grade recognised (checked again in the UPDATE); every entry and correction is
    audited with the values after (and before, for a correction); the units are told.
    """
    actor = Actor.of(actor)
    if actor.role not in ENTER.roles:
        raise InvalidInput("只有市职鉴中心可以录入成绩")
    by_id = {entry.registration_id: entry for entry in entries}
    result = engine.apply(actor, ENTER, list(by_id), entries=by_id)
    if not result.refused:
        return {}
    changed = {
        row_id: "该记录状态已变化，请刷新后重新录入"
        for row_id, _label, reason in result.refused
        if reason == engine.CHANGED
    }
    return changed or {row_id: reason for row_id, _label, reason in result.refused}
