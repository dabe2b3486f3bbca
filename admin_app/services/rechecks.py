"""查分 use cases (SPEC §8.4, issue 17 point 6): a unit asks for its candidate's published score to be checked
again within the batch's working days; 市职鉴中心 answers 维持 or 更正 (the corrected scores through the logged
correction, in the same transaction as the answer). The answers move the ``recheck`` machine
(``workflow/recheck.py``); the request itself is a new row."""

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from admin_app import limits
from admin_app.actor import Actor
from admin_app.extensions import db
from admin_app.services import audit, clock, working_days
from admin_app.services.scope import recheck_condition, registration_condition
from admin_app.services.validators import InvalidInput
from admin_app.workflow import engine, score_values, scores
from admin_app.workflow.recheck import CORRECT, UPHOLD
from admin_app.workflow.states import RecheckState, ScorePublication
from models import ExamBatch, Registration, ScoreRecheck, enums

REQUEST_ROLES = frozenset({enums.UNIT})
REASON_LIMIT = min(limits.REASON, ScoreRecheck.__table__.c.reason.type.length)
MISSING = "记录不存在或不在您的权限范围内"


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def last_request_day(published_at: datetime, days: int) -> date:
    """The last day a 查分 may be asked: the ``days``-th working day after the Beijing date of publication
    (public holidays and adjusted working days from the calendar). Raises ``working_days.CalendarMissing`` when
    that period reaches a year not entered in 工作日历."""
    published_on = clock.to_beijing(published_at).date()
    return working_days.deadline(published_on, days, "查分截止日期")


@dataclass(frozen=True)
class Window:
    """Whether a registration's scores may be re-checked now, and until when (None: not published)."""

    last_day: date | None
    refusal: str | None


def window_of(reg: Registration, batch: ExamBatch, today: date | None = None) -> Window:
    """The 查分 period of ``reg``: refused before publication, after the last day (the date named), and while
    that day cannot be known (a year of the period missing from 工作日历: the admin is asked to enter it)."""
    if reg.score_publication != ScorePublication.PUBLISHED or reg.scores_published_at is None:
        return Window(None, "成绩尚未发布，不能申请查分")
    try:
        last = last_request_day(reg.scores_published_at, batch.recheck_days)
    except working_days.CalendarMissing as exc:
        return Window(None, str(exc))
    if (today or clock.today()) > last:
        return Window(
            last, f"已超过查分申请期限（成绩发布后{batch.recheck_days}个工作日，截至{chinese_date(last)}）"
        )
    return Window(last, None)


def open_request(registration_id: int) -> ScoreRecheck | None:
    """The request of a registration still waiting for an answer, if any."""
    return db.session.scalar(
        sa.select(ScoreRecheck).where(
            ScoreRecheck.registration_id == registration_id, ScoreRecheck.state == RecheckState.REQUESTED
        )
    )


def request_recheck(actor, registration_id: int, reason) -> ScoreRecheck:
    """A unit asks for its candidate's score to be checked again; committed with its audit row.

    Guarantees: only the registration's own unit; only once its scores are published, and on or before the
    ``recheck_days``-th working day after publication (Beijing date; refused later with that date); one open
    request per registration (the registration row is locked while this is checked, so two requests at once
    cannot both pass); a reason is required (≤ ``REASON_LIMIT``); an archived batch is read-only. Raises
    InvalidInput (Chinese) and changes nothing otherwise."""
    actor = Actor.of(actor)
    if actor.role not in REQUEST_ROLES:
        raise InvalidInput("只有考生所在单位可以申请查分")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("请填写查分理由")
    if len(reason) > REASON_LIMIT:
        raise InvalidInput(f"查分理由不能超过{REASON_LIMIT}字")
    reg = db.session.scalar(
        sa.select(Registration)
        .where(Registration.id == registration_id, registration_condition(actor.user))
        .with_for_update()
    )
    if reg is None:
        db.session.rollback()
        raise InvalidInput(MISSING)
    batch = db.session.get(ExamBatch, reg.batch_id)
    refusal = (
        (engine.ARCHIVED if batch.read_only else None)
        or window_of(reg, batch, actor.today).refusal
        or ("该考生已有待复核的查分申请，请等待市职鉴中心答复" if open_request(reg.id) else None)
    )
    if refusal:
        db.session.rollback()
        raise InvalidInput(refusal)
    recheck = ScoreRecheck(
        registration_id=reg.id,
        batch_id=reg.batch_id,
        unit_id=reg.unit_id,
        jurisdiction_id=reg.jurisdiction_id,
        reason=reason,
        requested_at=actor.now,
        requested_by_id=actor.user.id,
        updated_at=actor.now,
    )
    db.session.add(recheck)
    db.session.flush()
    audit.record("recheck_requested", recheck, user=actor, to_state=recheck.state, opinion=reason)
    db.session.commit()
    return recheck


def uphold(actor, ids, opinion) -> engine.BulkResult:
    """市职鉴中心 answers 维持原成绩 with its opinion (required); the units are told. Per row: only 待复核
    requests within scope; a request answered meanwhile is refused, never answered twice."""
    return engine.apply(actor, UPHOLD, ids, opinion=opinion)


def answer_corrected(actor, recheck_id: int, entry_values: dict, opinion) -> dict:
    """市职鉴中心 answers 更正: the corrected scores and the answer, in ONE transaction.

    ``entry_values``: theory, practice, review (text) and absent (bool), as the score form takes them. The
    scores go through the logged correction (``scores.ENTER``: audited 更正 with before/after, pass lines,
    the next stage opened or closed) and the request moves to 已更正 with the opinion; if either cannot
    (bad scores, scores no longer correctable, the request answered meanwhile), nothing is kept. Returns
    {} when done, else {"scores" | "recheck": Chinese reason}. Raises InvalidInput for a missing opinion."""
    actor = Actor.of(actor)
    opinion = CORRECT.opinion.clean(opinion, CORRECT.label)
    recheck = db.session.scalar(
        sa.select(ScoreRecheck).where(ScoreRecheck.id == recheck_id, recheck_condition(actor.user))
    )
    if recheck is None:
        return {"recheck": "查分申请不存在或不在您的权限范围内"}
    reg = db.session.get(Registration, recheck.registration_id)
    entry = score_values.ScoreEntry(
        reg.id,
        entry_values.get("theory"),
        entry_values.get("practice"),
        entry_values.get("review"),
        bool(entry_values.get("absent")),
    )
    if _unchanged(reg, entry):
        return {"scores": "更正后的成绩与原成绩相同；成绩无误时请答复“维持原成绩”"}
    result = engine.apply_all(
        actor,
        [
            (scores.ENTER, [reg.id], {"entries": {reg.id: entry}}),
            (CORRECT, [recheck.id], {"opinion": opinion}),
        ],
    )
    if result is None:
        return {}
    reason = result.refused[0][2] if result.refused else engine.CHANGED
    return {"scores" if result.action == scores.ENTER.name else "recheck": reason}


def _unchanged(reg: Registration, entry) -> bool:
    """Whether ``entry`` gives exactly the scores ``reg`` has (a 更正 that corrects nothing)."""
    try:
        typed = tuple(
            score_values.parse_score(getattr(entry, name), label)
            for name, label in (
                ("theory", "业务理论成绩"),
                ("practice", "实际操作成绩"),
                ("review", "综合评审成绩"),
            )
        )
    except InvalidInput:
        return False  # the engine's guard names the problem
    if entry.absent or reg.absent:
        return bool(entry.absent) == bool(reg.absent)
    return typed == (reg.theory_score, reg.practice_score, reg.review_score)


def counts(user, batch_id: int) -> dict:
    """查分 requests of a batch within ``user``'s scope, by state ({state: n}, every state present): for
    统计分析."""
    found = dict(
        db.session.execute(
            sa.select(ScoreRecheck.state, sa.func.count())
            .where(ScoreRecheck.batch_id == batch_id, recheck_condition(user))
            .group_by(ScoreRecheck.state)
        ).all()
    )
    return {state: found.get(state, 0) for state in RecheckState}
