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

from admin_app.extensions import db
from admin_app.services import applications as app_facts
from admin_app.services import audit, eligibility
from admin_app.services.audit import client_ip
from admin_app.services.scope import application_condition
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
        guard="本单位的申请；无阻断性资格问题；岗位限额内；存在适用的审核流程",
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


def _history_rows(ids, *, action, step_role, step_index, from_status, to_status, user, opinion, now):
    return [
        {
            "application_id": app_id,
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
        for app_id in ids
    ]


def _record(ids, *, action, step_role, step_index, from_status, to_status, user, opinion, now) -> None:
    rows = _history_rows(
        ids,
        action=action,
        step_role=step_role,
        step_index=step_index,
        from_status=from_status,
        to_status=to_status,
        user=user,
        opinion=opinion,
        now=now,
    )
    if rows:
        db.session.execute(sa.insert(ApplicationReview), rows)
        audit.record_many(
            f"application_{action}",
            "Application",
            [
                {"object_id": i, "from_state": from_status, "to_state": to_status, "opinion": opinion}
                for i in ids
            ],
            user=user,
        )


# --- routing ----------------------------------------------------------------------------------------------
def route_for(org_category: str | None, grade: int) -> list[str] | None:
    """The review chain for a 组织类别 and grade, from the route table (data, editable by admins)."""
    rules = db.session.scalars(sa.select(RouteRule).where(RouteRule.org_category == org_category)).all()
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
    today = today or date.today()
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
    unit = db.session.get(Organisation, user.organisation_id)
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
        if app.batch.state != "open":
            result.refuse(app.id, label, f"考核批次“{app.batch}”不在申报期内")
            continue
        key = (app.batch_id, app.applied_grade)
        if key not in taken:
            taken[key] = app_facts.non_exempt_taken(app.unit_id, app.batch_id, app.applied_grade)
        results = app_facts.evaluate(app, today, already_taken=taken[key])
        blockers = eligibility.blocking(results)
        if blockers:
            result.refuse(app.id, label, "；".join(f"{r.title}：{r.message}" for r in blockers))
            continue
        route = route_for(unit.org_category, app.applied_grade)
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
            Worker.name.label("worker_name"),
            has_material.label("has_material"),
        )
        .join(Worker, Worker.id == Application.worker_id)
        .where(Application.id.in_(ids), scope)
    ).all()
    found = {r.id: r for r in rows}
    for app_id in ids:
        if app_id not in found:
            result.refuse(app_id, "", "申请不存在或不在您的审核范围内")

    groups: dict = defaultdict(list)
    for row in rows:
        label = _label(row)
        if row.status != mine:
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
    for (route, index), members in groups.items():
        steps = route.split(",")
        if action == "reject":
            target, next_index = REJECTED, index
        elif index + 1 < len(steps):
            target, next_index = pending(steps[index + 1]), index + 1
        else:
            target, next_index = APPROVED, index
        conditions = [
            Application.id.in_([m.id for m in members]),
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
        for member in members:
            if member.id in landed:
                result.done.append((member.id, _label(member)))
            else:
                result.refuse(member.id, _label(member), "该申请已被他人处理或状态已变化，请刷新后查看")
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
    db.session.commit()
    return result


def _veteran_undecided(app_id: int) -> bool:
    app = db.session.get(Application, app_id)
    return eligibility.needs_veteran_decision(app_facts.evaluate(app))


def record_veteran_decision(user, app: Application, reason: str) -> None:
    """A reviewer at the current step records 比照同等条件人员 for a veteran (SPEC §5.10)."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("请填写认定意见")
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
    if app.status != DRAFT:
        raise InvalidInput("已提交的申请不能删除")
    audit.record("delete", app, user=user, detail={"worker": app.worker_id, "grade": app.applied_grade})
    db.session.delete(app)
    db.session.commit()
