"""考试成绩 (市职鉴中心): 待录入 → 合格 / 不合格 / 缺考 from the batch's pass lines; corrected (合格 ⇄ 不合格 ⇄
缺考) until that person's 考核评审 is decided or the grade recognised. A pass opens the next stage: 待评审 for
技师/高级技师, else 待认定; a correction to fail or absent closes it again."""

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa

from admin_app.actor import Actor
from admin_app.extensions import db
from admin_app.services import notify
from admin_app.services.scope import registration_condition
from admin_app.services.validators import InvalidInput, normalise_code
from admin_app.workflow import engine
from admin_app.workflow.people import describe, person_rows
from admin_app.workflow.states import EvaluationState, RecognitionState, RegistrationState, ScoreResult
from admin_app.workflow.table import Machine, Step, Transition, add, machine
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


@dataclass(frozen=True)
class ScoreEntry:
    """One person's scores as typed (text), or 缺考."""

    registration_id: int
    theory: str | None
    practice: str | None
    review: str | None
    absent: bool


def parse_score(text, label: str):
    """0–100 with at most one decimal; blank is None. Raises InvalidInput (Chinese)."""
    raw = normalise_code(text if text is not None else "")
    if raw == "":
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise InvalidInput(f"{label}应为数字") from None
    if not value.is_finite() or value < 0 or value > 100:
        raise InvalidInput(f"{label}应在0到100之间")
    if value != value.quantize(Decimal("0.1")):
        raise InvalidInput(f"{label}最多保留一位小数")
    return value.quantize(Decimal("0.1"))


def score_outcome(grade, theory, practice, review, absent, batch) -> ScoreResult:
    """合格 / 不合格 / 缺考 from the batch's pass lines (综合评审 only for 技师/高级技师)."""
    if absent:
        return ScoreResult.ABSENT
    passed = theory >= batch.pass_line_theory and practice >= batch.pass_line_practice
    if grade in enums.SENIOR_GRADES:
        passed = passed and review >= batch.pass_line_review
    return ScoreResult.PASS if passed else ScoreResult.FAIL


def _scores_of(entry: ScoreEntry, grade: int) -> tuple:
    """(theory, practice, review, absent) of an entry for a person of ``grade``; raises InvalidInput."""
    senior = grade in enums.SENIOR_GRADES
    theory = parse_score(entry.theory, "业务理论成绩")
    practice = parse_score(entry.practice, "实际操作成绩")
    review = parse_score(entry.review, "综合评审成绩")
    if entry.absent:
        return None, None, None, True
    if theory is None or practice is None:
        raise InvalidInput("请填写业务理论和实际操作成绩，或标记缺考")
    if senior and review is None:
        raise InvalidInput("技师、高级技师须填写综合评审成绩")
    if not senior and review is not None:
        raise InvalidInput("初级工、中级工、高级工没有综合评审成绩")
    return theory, practice, review, False


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
        ctx.cache[row.id] = _scores_of(entry, row.applied_grade)
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
def _batch(ctx, batch_id) -> ExamBatch:
    batches = ctx.cache.setdefault("batches", {})
    if batch_id not in batches:
        batches[batch_id] = db.session.get(ExamBatch, batch_id)
    return batches[batch_id]


def _outcome(ctx, row) -> Step:
    """The result from the pass lines, and the stage it opens (待评审 / 待认定) or closes."""
    if row.id not in ctx.cache:  # no scores given (see _valid): any target answers "may it move"
        return Step(ScoreResult.PASS)
    theory, practice, review, absent = ctx.cache[row.id]
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
    theory, practice, review, absent = ctx.cache[row.id]
    return {"theory_score": theory, "practice_score": practice, "review_score": review, "absent": absent}


def _audit(ctx, step, rows) -> dict:
    """录入 (after) or 更正 (before → after) per row, as its audit action and detail."""
    out = {}
    for row in rows:
        theory, practice, review, absent = ctx.cache[row.id]
        after = {"theory": theory, "practice": practice, "review": review, "absent": absent}
        after["result"] = step.target
        if row.scores_entered_at is None:
            action, detail = "scores_entered", {"after": after}
        else:
            before = {
                "theory": row.theory_score,
                "practice": row.practice_score,
                "review": row.review_score,
                "absent": row.absent,
                "result": row.state,
            }
            action, detail = "scores_corrected", {"before": before, "after": after}
        out[row.id] = {"action": action, "detail": json.dumps(detail, ensure_ascii=False, default=str)}
    return out


def _notify(ctx, ids, step):
    notify.notify("scores_published", ids)


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
