"""The application workflow: its states and transitions, declared once, and the only code that changes
an application's status. Views call these functions; they never assign ``status`` themselves.

Every transition writes an ``ApplicationReview`` row (the history shown on the detail page) and an audit
row, in the same transaction as the change. Bulk work is set-based: rows are grouped by the status they
move to, and each group is changed by one ``UPDATE … WHERE id IN (…) AND status = … AND <scope>
RETURNING id`` so that a row that has moved on, or left the user's scope, is never touched; it is
reported as refused instead. Two people deciding the same application: the second UPDATE finds the
status changed and the second person is told.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask import current_app

from admin_app.extensions import db
from admin_app.services import applications as app_facts
from admin_app.services import audit, clock, eligibility, notify, unit_identity
from admin_app.services.audit import client_ip
from admin_app.services.scope import application_condition
from admin_app.services.sql import among
from admin_app.services.validators import InvalidInput
from models import Application, ApplicationReview, Material, Organisation, RouteRule, enums
from models.org import utcnow

# --- states ---------------------------------------------------------------------------------------------
DRAFT = "draft"
APPROVED = "approved"
REJECTED = "rejected"


def pending(role: str) -> str:
    """待{step}审核: the status of an application waiting at ``role``'s step."""
    return f"pending_{role}"


STATE_LABELS = {
    DRAFT: "待提交",
    **{pending(role): f"待{enums.ROLE_LABELS[role]}审核" for role in enums.REVIEW_ROLES},
    APPROVED: "审核已通过",
    REJECTED: "审核未通过",
}
PENDING_STATES = frozenset(pending(role) for role in enums.REVIEW_ROLES)
FINAL_STATES = frozenset({APPROVED, REJECTED})


# --- transitions ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    roles: frozenset
    sources: frozenset
    requires_opinion: bool = False
    guard: str = ""  # the condition, in words, checked by the function that takes the transition


TRANSITIONS = {
    "submit": Transition(
        "submit",
        "提交审核",
        frozenset({enums.UNIT}),
        frozenset({DRAFT}),
        guard="本单位的申请；单位信息已审核确认；无阻断性资格问题；岗位限额内；存在适用的审核流程",
    ),
    "approve": Transition(
        "approve",
        "审核通过",
        frozenset(enums.REVIEW_ROLES),
        PENDING_STATES,
        guard="申请正待本角色审核且在本机构管辖范围内；第一审核环节须已上传申报材料；退役士兵须已认定",
    ),
    "reject": Transition(
        "reject",
        "审核不通过",
        frozenset(enums.REVIEW_ROLES),
        PENDING_STATES,
        requires_opinion=True,
        guard="申请正待本角色审核且在本机构管辖范围内；须填写审核意见",
    ),
}


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


def submission_closed_reason(batch, today: date) -> str:
    if batch.state != enums.BATCH_OPEN:
        return f"考核批次“{batch}”{enums.BATCH_STATE_LABELS.get(batch.state, '')}，不在申报期内"
    grace = f"（含宽限期至{batch.last_submission_day.isoformat()}）" if batch.grace_days else ""
    return f"考核批次“{batch}”已于{batch.apply_deadline.isoformat()}截止申报{grace}，不能再提交"


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


def _record(ids, *, action, step_role, step_index, from_status, to_status, user, opinion, now) -> None:
    """One history row per application (INSERT … SELECT: one statement for any number) and its audit rows."""
    if not ids:
        return
    constants = {
        "step_index": step_index,
        "step_role": step_role,
        "action": action,
        "organisation_id": user.organisation_id,
        "user_id": user.id,
        "role": user.role,
        "from_status": from_status,
        "to_status": to_status,
        "opinion": opinion,
        "ip": client_ip(),
        "created_at": now,
    }
    table = ApplicationReview.__table__
    source = sa.select(
        Application.id, *(sa.literal(value, table.c[name].type) for name, value in constants.items())
    ).where(among(Application.id, ids))
    db.session.execute(table.insert().from_select(["application_id", *constants], source))
    audit.record_many(
        f"application_{action}",
        "Application",
        [{"object_id": i, "from_state": from_status, "to_state": to_status, "opinion": opinion} for i in ids],
        user=user,
    )


# --- routing ----------------------------------------------------------------------------------------------
def route_for(batch_id: int, org_category: str | None, grade: int) -> list[str] | None:
    """The review chain for a 组织类别 and grade in a batch, from its route table (data, kept by admins)."""
    rules = db.session.scalars(
        sa.select(RouteRule).where(RouteRule.batch_id == batch_id, RouteRule.org_category == org_category)
    ).all()
    for rule in rules:
        if grade in rule.grade_list:
            return rule.step_list
    return None


# --- submit -----------------------------------------------------------------------------------------------
def submit(user, ids, today: date | None = None) -> BulkResult:
    """Unit submits its 待提交 applications (提交审核).

    Guarantees: only the unit's own drafts move; each is checked against every eligibility rule and the
    post quota (counting the ones submitted before it in the same request); the route is computed now and
    stored on the application; rows failing any check are reported with their reasons and left unchanged.
    """
    result = BulkResult("submit")
    today = today or clock.today()
    if user.role not in TRANSITIONS["submit"].roles:
        for app_id in ids:
            result.refuse(app_id, "", "无权提交")
        return result
    apps = db.session.scalars(
        sa.select(Application)
        .where(Application.id.in_(ids), application_condition(user))
        .order_by(Application.id)
        .with_for_update()
    ).all()
    found = {a.id for a in apps}
    for app_id in ids:
        if app_id not in found:
            result.refuse(app_id, "", "申请不存在或不属于本单位")
    # Locked: a profile change (which would need 单位信息审核 again) waits for this submission to end.
    unit = db.session.get(Organisation, user.organisation_id, with_for_update=True, populate_existing=True)
    unconfirmed = unit_identity.submission_block_reason(unit)
    taken: dict = {}
    groups: dict = defaultdict(list)
    exemptions: dict = {}
    for app in apps:
        label = f"{app.worker.name}（{enums.grade_label(app.applied_grade)}）"
        if app.status != DRAFT:
            result.refuse(
                app.id,
                label,
                f"当前状态为“{STATE_LABELS.get(app.status, app.status)}”，已提交的申请不能重复提交",
            )
            continue
        if unconfirmed:
            result.refuse(app.id, label, unconfirmed)
            continue
        if not app.batch.accepts_submissions(today):
            result.refuse(app.id, label, submission_closed_reason(app.batch, today))
            continue
        key = (app.batch_id, app.applied_grade)
        if key not in taken:
            taken[key] = app_facts.non_exempt_taken(app.unit_id, app.batch_id, app.applied_grade)
        results = app_facts.evaluate(app, today, already_taken=taken[key])
        blockers = eligibility.blocking(results)
        if blockers:
            result.refuse(app.id, label, "；".join(f"{r.title}：{r.message}" for r in blockers))
            continue
        route = route_for(app.batch_id, unit.org_category, app.applied_grade)
        if not route:
            result.refuse(app.id, label, "未找到适用的审核流程，请联系系统管理员")
            continue
        exemption = app_facts.exemption(app)
        if exemption is None:
            taken[key] += 1
        exemptions[app.id] = exemption
        groups[",".join(route)].append((app.id, label))

    now = utcnow()
    for route, members in groups.items():
        first = pending(route.split(",")[0])
        by_exemption: dict = defaultdict(list)
        for app_id, _label in members:
            by_exemption[exemptions[app_id]].append(app_id)
        landed: set = set()
        for exemption, member_ids in by_exemption.items():
            stmt = (
                sa.update(Application)
                .where(
                    Application.id.in_(member_ids), Application.status == DRAFT, application_condition(user)
                )
                .values(
                    status=first,
                    route=route,
                    step_index=0,
                    submitted_at=now,
                    updated_at=now,
                    version=Application.version + 1,
                    jurisdiction_id=unit.jurisdiction_id,
                    org_category=unit.org_category,
                    quota_exempt_reason=exemption,
                )
                .returning(Application.id)
                .execution_options(synchronize_session=False)
            )
            landed |= set(db.session.scalars(stmt))
        for app_id, label in members:
            if app_id in landed:
                result.done.append((app_id, label))
            else:
                result.refuse(app_id, label, "申请状态已变化，未提交")
        _record(
            sorted(landed),
            action="submit",
            step_role=None,
            step_index=0,
            from_status=DRAFT,
            to_status=first,
            user=user,
            opinion=None,
            now=now,
        )
    db.session.commit()
    return result


# --- decide -----------------------------------------------------------------------------------------------
def decide(user, ids, action: str, opinion: str | None) -> BulkResult:
    """A reviewer's 审核通过 / 审核不通过 on one or many applications, with one opinion for all.

    Guarantees: only rows waiting at the user's own step and within the user's scope change, checked
    in the UPDATE itself; the first step's approval requires uploaded materials (also checked in the
    UPDATE); rejection requires an opinion and ends the flow; every other row is reported with its reason.
    """
    transition = TRANSITIONS[action]
    opinion = (opinion or "").strip() or None
    if transition.requires_opinion and not opinion:
        raise InvalidInput("审核不通过须填写审核意见")
    if opinion and len(opinion) > 2000:
        raise InvalidInput("审核意见不能超过2000字")
    result = BulkResult(action)
    if user.role not in transition.roles:
        for app_id in ids:
            result.refuse(app_id, "", "无权审核")
        return result

    mine = pending(user.role)
    scope = application_condition(user)
    has_material = sa.exists().where(Material.application_id == Application.id)
    from models import Worker

    rows = db.session.execute(
        sa.select(
            Application.id,
            Application.status,
            Application.route,
            Application.step_index,
            Application.applied_grade,
            Application.veteran,
            Application.batch_id,
            Worker.name.label("worker_name"),
            has_material.label("has_material"),
        )
        .join(Worker, Worker.id == Application.worker_id)
        .where(among(Application.id, ids), scope)
    ).all()
    found = {r.id: r for r in rows}
    for app_id in ids:
        if app_id not in found:
            result.refuse(app_id, "", "申请不存在或不在您的审核范围内")

    groups: dict = defaultdict(list)
    archived = archived_batch_ids()
    for row in rows:
        label = _label(row)
        if row.batch_id in archived:
            result.refuse(row.id, label, ARCHIVED)
        elif row.status != mine:
            result.refuse(
                row.id, label, f"当前状态为“{STATE_LABELS.get(row.status, row.status)}”，不在您的审核环节"
            )
        elif action == "approve" and row.step_index == 0 and not row.has_material:
            result.refuse(row.id, label, "第一审核环节须先上传申报材料")
        elif action == "approve" and row.veteran and _veteran_undecided(row.id):
            result.refuse(row.id, label, "退役士兵须先填写比照同等条件人员的认定意见")
        else:
            groups[(row.route, row.step_index)].append(row)

    now = utcnow()
    # One transaction per group (same route and step): a failure in one group leaves the groups already
    # committed intact and reports its own rows as not done.
    for (route, index), members in groups.items():
        try:
            target, landed = _decide_group(
                user, action, opinion, route, index, members, mine, scope, has_material, now
            )
            db.session.commit()
        except Exception:
            db.session.rollback()
            current_app.logger.exception("bulk decision failed for group %s/%s", route, index)
            for member in members:
                result.refuse(member.id, _label(member), GROUP_FAILED)
            continue
        for member in members:
            if member.id in landed:
                result.done.append((member.id, _label(member)))
            else:
                result.refuse(member.id, _label(member), "该申请已被他人处理或状态已变化，请刷新后查看")
    return result


GROUP_FAILED = "处理时发生错误，本条未保存（其余已处理的不受影响），请稍后重试"


def _decide_group(user, action, opinion, route, index, members, mine, scope, has_material, now):
    """Move one group of applications (same route and step) to its target, with history and audit rows."""
    steps = route.split(",")
    if action == "reject":
        target, next_index = REJECTED, index
    elif index + 1 < len(steps):
        target, next_index = pending(steps[index + 1]), index + 1
    else:
        target, next_index = APPROVED, index
    conditions = [
        among(Application.id, [m.id for m in members]),
        Application.status == mine,
        Application.step_index == index,
        scope,
    ]
    if action == "approve" and index == 0:
        conditions.append(has_material)
    values = {
        "status": target,
        "step_index": next_index,
        "version": Application.version + 1,
        "updated_at": now,
    }
    if target in FINAL_STATES:
        values["decided_at"] = now
    stmt = (
        sa.update(Application)
        .where(*conditions)
        .values(**values)
        .returning(Application.id)
        .execution_options(synchronize_session=False)
    )
    landed = set(db.session.scalars(stmt))
    if target == APPROVED:
        _create_registrations(sorted(landed), now)
    elif target == REJECTED:
        notify.notify("application_rejected", landed, opinion)
    _record(
        sorted(landed),
        action=action,
        step_role=user.role,
        step_index=index,
        from_status=mine,
        to_status=target,
        user=user,
        opinion=opinion,
        now=now,
    )
    return target, landed


def _veteran_undecided(app_id: int) -> bool:
    app = db.session.get(Application, app_id)
    return eligibility.needs_veteran_decision(app_facts.evaluate(app))


def record_veteran_decision(user, app: Application, reason: str) -> None:
    """A reviewer at the current step records 比照同等条件人员 for a veteran (SPEC §5.10)."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("请填写认定意见")
    ensure_writable(app.batch)
    if app.status != pending(user.role):
        raise InvalidInput("只有当前审核环节的审核人员可以认定")
    if not app.veteran:
        raise InvalidInput("该申请未标注退役士兵")
    old = app.veteran_override
    app.veteran_override = reason[:300]
    audit.record("veteran_override", app, user=user, detail={"from": old, "to": app.veteran_override})
    db.session.commit()


def delete_draft(user, app: Application) -> None:
    """A unit deletes its own 待提交 application."""
    ensure_writable(app.batch)
    if app.status != DRAFT:
        raise InvalidInput("已提交的申请不能删除")
    audit.record("delete", app, user=user, detail={"worker": app.worker_id, "grade": app.applied_grade})
    db.session.delete(app)
    db.session.commit()


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


def _create_registrations(app_ids, now) -> None:
    """Every application that reaches 审核已通过 appears for 考试报名 as 未报名 (set-based INSERT … SELECT)."""
    from models import Registration

    if not app_ids:
        return
    columns = [
        "application_id",
        "batch_id",
        "worker_id",
        "unit_id",
        "jurisdiction_id",
        "org_category",
        "applied_trade_id",
        "applied_grade",
        "status",
        "exam_category",
        "voluntary_training",
        "absent",
        "version",
        "created_at",
        "updated_at",
    ]
    source = sa.select(
        Application.id,
        Application.batch_id,
        Application.worker_id,
        Application.unit_id,
        Application.jurisdiction_id,
        Application.org_category,
        Application.applied_trade_id,
        Application.applied_grade,
        sa.literal(REG_UNREGISTERED, sa.String),
        sa.literal("both", sa.String),
        sa.literal(False, sa.Boolean),
        sa.literal(False, sa.Boolean),
        sa.literal(1, sa.Integer),
        sa.literal(now, sa.DateTime),
        sa.literal(now, sa.DateTime),
    ).where(among(Application.id, app_ids))
    db.session.execute(sa.insert(Registration).from_select(columns, source))


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


from admin_app.workflow.registrations import (  # noqa: E402,F401
    confirm_fees,
    confirm_registrations,
    register,
    register_imported,
    return_registrations,
)
