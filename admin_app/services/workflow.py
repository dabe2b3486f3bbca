"""The application workflow: its states and transitions, declared once, and the only code that changes
an application's status. Views call these functions; they never assign ``status`` themselves.

Every transition writes an ``ApplicationReview`` row (the history shown on the detail page) and an audit
row, in the same transaction as the change. Bulk work is set-based: rows are grouped by the status they
move to, and each group is changed by one ``UPDATE … WHERE id IN (…) AND status = … AND <scope>
RETURNING id`` so that a row that has moved on, or left the user's scope, is never touched; it is
reported as refused instead. Two people deciding the same application: the second UPDATE finds the
status changed and the second person is told.
"""

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.services import audit, clock, eligibility, notify
from admin_app.services.sql import among
from admin_app.services.validators import InvalidInput
from models import Application, enums
from models.org import utcnow


# --- transitions ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    roles: frozenset
    sources: frozenset
    requires_opinion: bool = False
    guard: str = ""  # the condition, in words, checked by the function that takes the transition


TRANSITIONS: dict = {}  # the application machine's rows are added at the bottom (admin_app.workflow.applications)


@dataclass
class BulkResult:
    """What a bulk transition did: rows done and rows refused (with the reason), for the result page."""

    action: str
    done: list = field(default_factory=list)  # (id, label)
    refused: list = field(default_factory=list)  # (id, label, reason)

    def refuse(self, app_id, label, reason):
        self.refused.append((app_id, label, reason))


def _label(row) -> str:
    return f"{row.worker_name}（{enums.grade_label(row.applied_grade)}）"


# --- the batch: its lifecycle, its deadline, read-only once archived --------------------------------------
BATCH_TRANSITIONS = {
    "open_batch": Transition(
        "open_batch",
        "开放申报",
        frozenset({enums.ADMIN}),
        frozenset({enums.BATCH_NOT_OPEN, enums.BATCH_CLOSED}),
        guard="同一时间只能有一个批次处于申报中",
    ),
    "close_batch": Transition(
        "close_batch", "截止申报", frozenset({enums.ADMIN}), frozenset({enums.BATCH_OPEN})
    ),
    "archive_batch": Transition(
        "archive_batch",
        "归档",
        frozenset({enums.ADMIN}),
        frozenset({enums.BATCH_CLOSED}),
        guard="已截止；无待审核、待确认、待缴费确认、待评审、待认定的事项；归档后该批次的一切对所有人只读",
    ),
}
BATCH_TARGETS = {
    "open_batch": enums.BATCH_OPEN,
    "close_batch": enums.BATCH_CLOSED,
    "archive_batch": enums.BATCH_ARCHIVED,
}
ARCHIVED = "考核批次已归档，只读"


def archived_batch_ids() -> set[int]:
    from models import ExamBatch

    return set(db.session.scalars(sa.select(ExamBatch.id).where(ExamBatch.state == enums.BATCH_ARCHIVED)))


def ensure_writable(batch) -> None:
    """Raise InvalidInput when ``batch`` is archived (read-only for everyone)."""
    if batch is not None and batch.read_only:
        raise InvalidInput(ARCHIVED)


def _unfinished_work(batch_id: int) -> str:
    """What still waits for someone in a batch (archiving would freeze it), in words; "" if nothing."""
    from models import Registration

    r = Registration
    reviews = db.session.scalar(
        sa.select(sa.func.count()).where(
            Application.batch_id == batch_id, Application.status.in_(PENDING_STATES)
        )
    )
    registrations, evaluations, recognitions = db.session.execute(
        sa.select(
            sa.func.count().filter(r.status.in_([REG_PENDING, REG_FEE])),
            sa.func.count().filter(r.evaluation_status == "pending"),
            sa.func.count().filter(r.recognition_status == "pending"),
        ).where(r.batch_id == batch_id)
    ).one()
    parts = [
        f"{label} {n} 条"
        for label, n in (
            ("待审核的申请", reviews),
            ("待确认或待缴费确认的报名", registrations),
            ("待评审", evaluations),
            ("待认定", recognitions),
        )
        if n
    ]
    return "、".join(parts)


def change_batch_state(user, ids, name: str) -> BulkResult:
    """An admin opens, closes or archives batches. Only from the transition's source states; at most one
    batch is 申报中 at a time; checked in the UPDATE itself and audited."""
    from models import ExamBatch

    transition = BATCH_TRANSITIONS[name]
    target = BATCH_TARGETS[name]
    result = BulkResult(name)
    if user.role not in transition.roles:
        for batch_id in ids:
            result.refuse(batch_id, "", f"无权{transition.label}")
        return result
    batches = db.session.scalars(
        sa.select(ExamBatch).where(ExamBatch.id.in_(ids)).order_by(ExamBatch.year)
    ).all()
    found = {b.id for b in batches}
    for batch_id in ids:
        if batch_id not in found:
            result.refuse(batch_id, "", "考核批次不存在")
    for batch in batches:
        label = str(batch)
        if batch.state not in transition.sources:
            result.refuse(batch.id, label, f"当前状态为“{batch.state_label}”，不能{transition.label}")
            continue
        if target == enums.BATCH_ARCHIVED and (unfinished := _unfinished_work(batch.id)):
            result.refuse(batch.id, label, f"该批次仍有未办结事项：{unfinished}，请办结后再归档")
            continue
        if target == enums.BATCH_OPEN:
            other = db.session.scalar(
                sa.select(ExamBatch).where(ExamBatch.state == enums.BATCH_OPEN, ExamBatch.id != batch.id)
            )
            if other is not None:
                result.refuse(batch.id, label, f"“{other}”正在申报中，请先截止该批次")
                continue
        changed = db.session.execute(
            sa.update(ExamBatch)
            .where(ExamBatch.id == batch.id, ExamBatch.state == batch.state)
            .values(state=target)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not changed:
            result.refuse(batch.id, label, "状态已变化，请刷新后查看")
            continue
        audit.record(name, batch, user=user, from_state=batch.state, to_state=target)
        db.session.flush()
        result.done.append((batch.id, label))
    db.session.commit()
    db.session.expire_all()
    return result


# =========================================================================================================
# 考试报名 → 缴费确认 → 成绩 → 考核评审 → 资格认定 (SPEC §4.2–§4.5), on ``Registration`` rows created when an
# application reaches 审核已通过. Each stage has its own state column; these functions are the only code
# that changes them, with the same conditional-UPDATE pattern and an audit row per change.
# =========================================================================================================
REG_UNREGISTERED = "unregistered"
REG_PENDING = "pending_confirm"
REG_RETURNED = "returned"
REG_FEE = "pending_fee"
REG_DONE = "registered"

REGISTRATION_LABELS = {
    REG_UNREGISTERED: "未报名",
    REG_PENDING: "待确认",
    REG_RETURNED: "已退回",
    REG_FEE: "待缴费确认",
    REG_DONE: "已报名",
}
SCORE_LABELS = {None: "待录入", "pass": "合格", "fail": "不合格", "absent": "缺考"}
EVALUATION_LABELS = {"pending": "待评审", "passed": "评审通过", "failed": "评审未通过"}
RECOGNITION_LABELS = {"pending": "待认定", "recognised": "已认定"}
EXAM_CATEGORY_LABELS = {"both": "理论和实作", "theory": "仅理论", "practice": "仅实作"}
JUNIOR_GRADES = frozenset({5, 4, 3})

TRANSITIONS.update(
    {
        "register": Transition(
            "register",
            "报名",
            frozenset({enums.UNIT}),
            frozenset({REG_UNREGISTERED, REG_RETURNED}),
            guard="本单位审核已通过的人员；电子照片（JPEG/PNG）与身份证复印件",
        ),
        "confirm_registration": Transition(
            "confirm_registration", "报名审核通过", frozenset({enums.OFFICE}), frozenset({REG_PENDING})
        ),
        "return_registration": Transition(
            "return_registration",
            "退回报名",
            frozenset({enums.OFFICE}),
            frozenset({REG_PENDING}),
            requires_opinion=True,
        ),
        "confirm_fee": Transition("confirm_fee", "缴费确认", frozenset({enums.CENTER}), frozenset({REG_FEE})),
        "enter_scores": Transition(
            "enter_scores",
            "录入成绩",
            frozenset({enums.CENTER}),
            frozenset({REG_DONE}),
            guard="已报名；该人员的考核评审或资格认定尚未开始",
        ),
        "evaluate_pass": Transition(
            "evaluate_pass",
            "评审通过",
            frozenset({enums.OFFICE}),
            frozenset({"pending"}),
            guard="表决结果为通过",
        ),
        "evaluate_fail": Transition(
            "evaluate_fail",
            "评审不通过",
            frozenset({enums.OFFICE}),
            frozenset({"pending"}),
            guard="表决结果为不通过",
        ),
        "recognise": Transition(
            "recognise",
            "资格认定",
            frozenset({enums.OFFICE, enums.DISTRICT_HR}),
            frozenset({"pending"}),
            guard="区县人力社保局仅认定本区县区县属单位的初/中/高级工",
        ),
    }
)


def _stage_move(
    user, ids, name, *, column, expected, labels, values, extra_where=(), precheck=None, opinion=None
):
    """Move rows of one stage from ``expected`` to the values given, checked in the UPDATE itself.

    Returns (BulkResult, landed ids). Does not commit: the caller adds follow-up writes and commits.
    """
    from admin_app.services.scope import registration_condition
    from models import Registration, Worker

    transition = TRANSITIONS[name]
    result = BulkResult(name)
    if user.role not in transition.roles:
        for row_id in ids:
            result.refuse(row_id, "", f"无权执行“{transition.label}”")
        return result, set()
    scope = registration_condition(user)
    rows = db.session.execute(
        sa.select(
            Registration.id,
            column.label("state"),
            Registration.applied_grade,
            Registration.org_category,
            Registration.batch_id,
            Worker.name.label("worker_name"),
        )
        .join(Worker, Worker.id == Registration.worker_id)
        .where(among(Registration.id, ids), scope)
    ).all()
    found = {r.id: r for r in rows}
    for row_id in ids:
        if row_id not in found:
            result.refuse(row_id, "", "记录不存在或不在您的权限范围内")
    candidates = []
    archived = archived_batch_ids()
    for row in rows:
        label = _label(row)
        if row.batch_id in archived:
            result.refuse(row.id, label, ARCHIVED)
        elif row.state != expected:
            current = labels.get(row.state, "无" if row.state is None else row.state)
            result.refuse(row.id, label, f"当前状态为“{current}”，不能{transition.label}")
        elif precheck and (reason := precheck(row)):
            result.refuse(row.id, label, reason)
        else:
            candidates.append(row)
    landed: set = set()
    if candidates:
        now = utcnow()
        stmt = (
            sa.update(Registration)
            .where(
                among(Registration.id, [c.id for c in candidates]), column == expected, scope, *extra_where
            )
            .values(**values, version=Registration.version + 1, updated_at=now)
            .returning(Registration.id)
            .execution_options(synchronize_session=False)
        )
        landed = set(db.session.scalars(stmt))
        target = values.get(column.key)
        for row in candidates:
            if row.id in landed:
                result.done.append((row.id, _label(row)))
            else:
                result.refuse(row.id, _label(row), "该记录已被他人处理或状态已变化，请刷新后查看")
        audit.record_many(
            name,
            "Registration",
            [
                {"object_id": i, "from_state": expected, "to_state": target, "opinion": opinion}
                for i in sorted(landed)
            ],
            user=user,
        )
    return result, landed


@dataclass(frozen=True)
class ScoreEntry:
    registration_id: int
    theory: str | None
    practice: str | None
    review: str | None
    absent: bool


def parse_score(text, label: str):
    """0–100 with at most one decimal; blank is None. Raises InvalidInput (Chinese)."""
    from decimal import Decimal, InvalidOperation

    from admin_app.services.validators import normalise_code

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


def score_outcome(grade, theory, practice, review, absent, batch) -> str:
    """pass / fail / absent from the batch's pass lines (综合评审 only for 技师/高级技师)."""
    if absent:
        return "absent"
    passed = theory >= batch.pass_line_theory and practice >= batch.pass_line_practice
    if grade in enums.SENIOR_GRADES:
        passed = passed and review >= batch.pass_line_review
    return "pass" if passed else "fail"


def enter_scores(user, entries: list[ScoreEntry]) -> dict:
    """市职鉴中心 enters or corrects scores, all or nothing.

    Returns {registration_id: Chinese problem} and changes nothing if any entry is wrong; else {} and
    everything is committed. A correction is possible until that person's 考核评审 has been decided or the
    grade recognised; every entry and correction is audited with the values before and after.
    """
    from admin_app.services.scope import registration_condition
    from models import Registration

    if user.role not in TRANSITIONS["enter_scores"].roles:
        raise InvalidInput("只有市职鉴中心可以录入成绩")
    ids = [e.registration_id for e in entries]
    rows = {
        r.id: r
        for r in db.session.scalars(
            sa.select(Registration).where(Registration.id.in_(ids), registration_condition(user))
        )
    }
    problems: dict = {}
    parsed = []
    for entry in entries:
        reg = rows.get(entry.registration_id)
        if reg is None:
            problems[entry.registration_id] = "记录不存在或不在您的权限范围内"
            continue
        if reg.batch.read_only:
            problems[reg.id] = ARCHIVED
            continue
        if reg.status != REG_DONE:
            problems[reg.id] = "尚未完成报名（缴费确认），不能录入成绩"
            continue
        if reg.evaluation_status in ("passed", "failed") or reg.recognition_status == "recognised":
            problems[reg.id] = "考核评审或资格认定已开始，成绩不能再修改"
            continue
        try:
            senior = reg.applied_grade in enums.SENIOR_GRADES
            theory = parse_score(entry.theory, "业务理论成绩")
            practice = parse_score(entry.practice, "实际操作成绩")
            review = parse_score(entry.review, "综合评审成绩")
            if entry.absent:
                theory = practice = review = None
            else:
                if theory is None or practice is None:
                    raise InvalidInput("请填写业务理论和实际操作成绩，或标记缺考")
                if senior and review is None:
                    raise InvalidInput("技师、高级技师须填写综合评审成绩")
                if not senior and review is not None:
                    raise InvalidInput("初级工、中级工、高级工没有综合评审成绩")
        except InvalidInput as exc:
            problems[reg.id] = str(exc)
            continue
        parsed.append((reg, theory, practice, review, entry.absent))
    if problems:
        db.session.rollback()
        return problems
    now = utcnow()
    for reg, theory, practice, review, absent in parsed:
        outcome = score_outcome(reg.applied_grade, theory, practice, review, absent, reg.batch)
        senior = reg.applied_grade in enums.SENIOR_GRADES
        before = {
            "theory": reg.theory_score,
            "practice": reg.practice_score,
            "review": reg.review_score,
            "absent": reg.absent,
            "result": reg.score_result,
        }
        correction = reg.scores_entered_at is not None
        stmt = (
            sa.update(Registration)
            .where(
                Registration.id == reg.id,
                Registration.status == REG_DONE,
                sa.or_(Registration.evaluation_status.is_(None), Registration.evaluation_status == "pending"),
                sa.or_(
                    Registration.recognition_status.is_(None), Registration.recognition_status == "pending"
                ),
            )
            .values(
                theory_score=theory,
                practice_score=practice,
                review_score=review,
                absent=absent,
                score_result=outcome,
                scores_entered_at=now,
                evaluation_status="pending" if outcome == "pass" and senior else None,
                recognition_status="pending" if outcome == "pass" and not senior else None,
                version=Registration.version + 1,
                updated_at=now,
            )
            .returning(Registration.id)
            .execution_options(synchronize_session=False)
        )
        if db.session.scalar(stmt) is None:
            db.session.rollback()
            return {reg.id: "该记录状态已变化，请刷新后重新录入"}
        after = {
            "theory": theory,
            "practice": practice,
            "review": review,
            "absent": absent,
            "result": outcome,
        }
        audit.record(
            "scores_corrected" if correction else "scores_entered",
            reg,
            user=user,
            from_state=before["result"],
            to_state=outcome,
            detail={"before": before, "after": after} if correction else {"after": after},
        )
    notify.notify("scores_published", [reg.id for reg, *_rest in parsed])
    db.session.commit()
    return {}


def evaluate(user, ids, decision: str, vote) -> BulkResult:
    """市工考办 records the committee vote and decides 评审通过 / 评审不通过 for 待评审 rows.

    The vote must be consistent and the decision must be the one the batch's quorum and majority give
    for it; a contradicting decision is refused before anything changes.
    """
    from models import ExamBatch, Registration

    name = "evaluate_pass" if decision == "pass" else "evaluate_fail"
    problems = eligibility.vote_problems(vote)
    if problems:
        raise InvalidInput("；".join(problems))
    batch_ids = set(
        db.session.scalars(sa.select(Registration.batch_id).where(Registration.id.in_(ids)).distinct())
    )
    for batch in db.session.scalars(sa.select(ExamBatch).where(ExamBatch.id.in_(batch_ids))):
        passes, explanation = eligibility.vote_passes(
            vote, (batch.quorum_num, batch.quorum_den), (batch.majority_num, batch.majority_den)
        )
        if passes != (decision == "pass"):
            raise InvalidInput(f"表决结果与所选决定不一致：{explanation}")
    now = utcnow()
    values = {
        "evaluation_status": "passed" if decision == "pass" else "failed",
        "vote_expected": vote.expected,
        "vote_present": vote.present,
        "vote_yes": vote.yes,
        "vote_no": vote.no,
        "vote_abstain": vote.abstain,
        "evaluated_at": now,
        "recognition_status": "pending" if decision == "pass" else None,
    }
    opinion = f"应到{vote.expected} 实到{vote.present} 同意{vote.yes} 不同意{vote.no} 弃权{vote.abstain}"
    result, _ = _stage_move(
        user,
        ids,
        name,
        column=Registration.evaluation_status,
        expected="pending",
        labels=EVALUATION_LABELS,
        values=values,
        opinion=opinion,
    )
    db.session.commit()
    return result


def recognise(user, ids, today: date | None = None) -> BulkResult:
    """资格认定: a certificate number is issued and the worker's 现等级, 取得时间, 工种 and 证书 are updated.

    市工考办 recognises everything in its scope; a 区县 bureau only the 初/中/高级工 of 区县属单位 in its
    jurisdiction (SPEC §4.5).
    """
    from models import ExamBatch, Registration, Worker

    today = today or clock.today()
    district = user.role == enums.DISTRICT_HR
    extra = (
        (Registration.applied_grade.in_(JUNIOR_GRADES), Registration.org_category == enums.CAT_DISTRICT)
        if district
        else ()
    )

    def precheck(row):
        if district and (row.applied_grade not in JUNIOR_GRADES or row.org_category != enums.CAT_DISTRICT):
            return "区县人力社保局只认定本区县区县属单位的初级工、中级工、高级工；其他由市工考办认定"
        return None

    now = utcnow()
    result, landed = _stage_move(
        user,
        ids,
        "recognise",
        column=Registration.recognition_status,
        expected="pending",
        labels=RECOGNITION_LABELS,
        values={
            "recognition_status": "recognised",
            "recognised_at": now,
            "recognised_by_id": user.organisation_id,
        },
        extra_where=extra,
        precheck=precheck,
    )
    if landed:
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
            .where(Registration.id.in_(landed))
        ).all()
        numbers = [
            {"rid": r.id, "number": r.certificate_pattern.format(year=r.year, grade=r.applied_grade, id=r.id)}
            for r in rows
        ]
        reg_table, worker_table = Registration.__table__, Worker.__table__
        db.session.execute(
            sa.update(reg_table)
            .where(reg_table.c.id == sa.bindparam("rid"))
            .values(certificate_number=sa.bindparam("number")),
            numbers,
        )
        by_id = {n["rid"]: n["number"] for n in numbers}
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
                    "number": by_id[r.id],
                    "trade": r.applied_trade_id,
                    "now": now,
                }
                for r in rows
            ],
        )
        notify.notify("recognised", landed)
    db.session.commit()
    return result


from admin_app.workflow.applications import (  # noqa: E402,F401
    APPROVE,
    REJECT,
    SUBMIT,
    WITHDRAW,
    decide,
    delete_draft,
    record_veteran_decision,
    submit,
    withdraw,
)
from admin_app.workflow.engine import GROUP_FAILED  # noqa: E402,F401
from admin_app.workflow.registrations import (  # noqa: E402,F401
    confirm_fees,
    confirm_registrations,
    register,
    register_imported,
    return_registrations,
)
from admin_app.workflow.routing import route_for, submission_closed_reason  # noqa: E402,F401
from admin_app.workflow.states import FINAL_STATES, PENDING_STATES, ApplicationState  # noqa: E402,F401
from admin_app.workflow.states import pending as _pending  # noqa: E402


def pending(role: str):
    """待{step}审核 of a reviewing role; None for any other role (no application waits at its step)."""
    return _pending(role) if role in enums.REVIEW_ROLES else None


DRAFT, APPROVED, REJECTED = ApplicationState.DRAFT, ApplicationState.APPROVED, ApplicationState.REJECTED
STATE_LABELS = ApplicationState.labels()
TRANSITIONS.update({t.name: t for t in (SUBMIT, APPROVE, REJECT, WITHDRAW)})
