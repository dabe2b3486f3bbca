"""考试资格申请 (SPEC §4.1, §8.1): 待提交 → (提交审核, unit) 待<step>审核 → … → 审核已通过 / 审核未通过 along the
route copied onto the application at submission; 撤回 (unit) takes a submitted application back to 待提交
until the first reviewer decides. Every move writes an ``ApplicationReview`` row (the 审核记录 of the details
page) beside its audit row; 审核已通过 creates the 考试报名 row, 审核未通过 tells the unit.
"""

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from admin_app.actor import Actor
from admin_app.extensions import db
from admin_app.services import applications as app_facts
from admin_app.services import audit, eligibility, notify, records, uploads
from admin_app.services.scope import application_condition
from admin_app.services.sql import among
from admin_app.services.validators import InvalidInput
from admin_app.workflow import engine, routing
from admin_app.workflow.people import describe, person_rows
from admin_app.workflow.states import PENDING_STATES, ExamCategory, RegistrationState, pending, step_role
from admin_app.workflow.states import ApplicationState as S
from admin_app.workflow.table import Machine, Opinion, Step, Transition, add, machine
from models import Application, ApplicationReview, Material, Registration, enums


def record(ctx, source, step: Step, ids, members) -> None:
    """审核记录: one ``ApplicationReview`` row per application moved (INSERT … SELECT, one statement for any
    number); the step is the one the row was at (``step_index`` of the UPDATE's conditions, else 0)."""
    user, table = ctx.user, ApplicationReview.__table__
    constants = {
        "step_index": dict(step.where).get("step_index", 0),
        "step_role": ctx.actor.role if ctx.actor.role in enums.REVIEW_ROLES else None,
        "action": ctx.transition.name,
        "organisation_id": user.organisation_id,
        "user_id": user.id,
        "role": user.role,
        "from_status": source,
        "to_status": step.target,
        "opinion": ctx.opinion,
        "ip": ctx.actor.ip,
        "created_at": ctx.now,
    }
    rows = sa.select(
        Application.id, *(sa.literal(value, table.c[name].type) for name, value in constants.items())
    ).where(among(Application.id, ids))
    db.session.execute(table.insert().from_select(["application_id", *constants], rows))


APPLICATION = machine(
    Machine(
        name="application",
        label="考试资格申请",
        model=Application,
        field="status",
        states=S,
        scope=application_condition,
        select=person_rows(Application, "status"),
        describe=describe,
        missing="申请不存在、未提交或已撤回，或不在您的审核范围内",  # drafts are outside every staff scope
        history=lambda *args: record(*args),  # looked up at each call (a test replaces it to fail)
    )
)


# --- 提交审核 (unit) ---------------------------------------------------------------------------------------
def _prepare_submit(ctx):
    """Lock the unit's row, then read the rows with the workers' sub-records and the units in a few queries,
    for the guards, the route and the record kept (held in the cache: the session holds objects weakly)."""
    routing.lock_unit(ctx)
    ctx.cache["applications"] = records.load(ctx.ids)


SUBMIT = add(
    Transition(
        APPLICATION,
        "submit",
        "提交审核",
        sources=frozenset({S.DRAFT}),
        roles=frozenset({enums.UNIT}),
        route=routing.first_step,
        targets=tuple(sorted(PENDING_STATES)),
        guards=(
            routing.identity_confirmed,
            routing.window_open,
            routing.materials_attached,
            routing.eligible,
        ),
        columns=routing.submission_columns,
        prepare=_prepare_submit,
        values=lambda ctx: {"submitted_at": ctx.now},
        effects=(records.keep_at("submit"),),  # the record kept at submission (SPEC §8.2)
        together=True,
        audit_action="application_submit",
        missing="申请不存在或不属于本单位",
        wrong_state="已提交的申请不能重复提交",
        confirmation="提交后将不能修改，确定提交所选申请吗？",
    )
)


# --- 审核通过 / 审核不通过 (the reviewer at the application's current step) --------------------------------
def _has_material():
    return sa.exists().where(Material.application_id == Application.id)


def _decision_columns():
    return (
        Application.route,
        Application.step_index,
        Application.veteran,
        _has_material().label("has_material"),
    )


def _at_own_step(ctx, row):
    if step_role(row.state) != ctx.actor.role:
        return f"当前状态为“{S.label_of(row.state)}”，不在您的审核环节"
    return None


def _materials(ctx, row):
    return "第一审核环节须先上传申报材料" if row.step_index == 0 and not row.has_material else None


def _veteran_decided(ctx, row):
    if row.veteran and eligibility.needs_veteran_decision(  # reads R03, R04, R10: no 违纪 look-up
        app_facts.evaluate(db.session.get(Application, row.id), misconduct={})
    ):
        return "退役士兵须先填写比照同等条件人员的认定意见"
    return None


def _next(ctx, row):
    steps, index = row.route.split(","), row.step_index
    if index + 1 < len(steps):
        return Step(
            pending(steps[index + 1]), values=(("step_index", index + 1),), where=(("step_index", index),)
        )
    return Step(S.APPROVED, values=(("decided_at", ctx.now),), where=(("step_index", index),))


def _rejected(ctx, row):
    return Step(S.REJECTED, values=(("decided_at", ctx.now),), where=(("step_index", row.step_index),))


def _create_registrations(ctx, ids, step):
    """Every application reaching 审核已通过 appears for 考试报名 as 未报名 (INSERT … SELECT)."""
    if step.target != S.APPROVED:
        return
    copied = (
        "batch_id",
        "worker_id",
        "unit_id",
        "jurisdiction_id",
        "org_category",
        "applied_trade_id",
        "applied_grade",
    )
    constants = {
        "status": RegistrationState.UNREGISTERED,
        "exam_category": ExamCategory.BOTH,
        "voluntary_training": False,
        "absent": False,
        "version": 1,
        "created_at": ctx.now,
        "updated_at": ctx.now,
    }
    table = Registration.__table__
    rows = sa.select(
        Application.id,
        *(getattr(Application, name) for name in copied),
        *(sa.literal(value, table.c[name].type) for name, value in constants.items()),
    ).where(among(Application.id, ids))
    db.session.execute(table.insert().from_select(["application_id", *copied, *constants], rows))


def _notify_rejected(ctx, ids, step):
    notify.notify("application_rejected", ids, ctx.opinion)


APPROVE = add(
    Transition(
        APPLICATION,
        "approve",
        "审核通过",
        sources=PENDING_STATES,
        roles=frozenset(enums.REVIEW_ROLES),
        route=_next,
        targets=(*sorted(PENDING_STATES), S.APPROVED),
        guards=(_at_own_step, _materials, _veteran_decided),
        conditions=(lambda ctx: sa.or_(Application.step_index > 0, _has_material()),),
        columns=_decision_columns,
        opinion=Opinion(),
        effects=(_create_registrations,),
        audit_action="application_approve",
        wrong_state="不在您的审核环节",
        style="success",
    )
)
REJECT = add(
    Transition(
        APPLICATION,
        "reject",
        "审核不通过",
        sources=PENDING_STATES,
        roles=frozenset(enums.REVIEW_ROLES),
        route=_rejected,
        targets=(S.REJECTED,),
        guards=(_at_own_step,),
        columns=_decision_columns,
        opinion=Opinion(required=True),
        effects=(_notify_rejected,),
        audit_action="application_reject",
        wrong_state="不在您的审核环节",
        style="danger",
    )
)
DECISIONS = {"approve": APPROVE, "reject": REJECT}


# --- 撤回 (unit) ------------------------------------------------------------------------------------------
def _decided():
    """A reviewer has decided (any row with a step) since the application was last submitted from 待提交:
    a 退回修改 and its resubmission belong to the same round, a 撤回 and a new 提交审核 start a new one."""
    review, submission = ApplicationReview, aliased(ApplicationReview)
    last_submit = (  # this application's own: correlated through the EXISTS to the row read or updated
        sa.select(sa.func.max(submission.id))
        .where(submission.application_id == Application.id, submission.action == SUBMIT.name)
        .correlate(Application)
        .scalar_subquery()
    )
    return sa.exists().where(
        review.application_id == Application.id, review.step_role.is_not(None), review.id > last_submit
    )


def _undecided(ctx, row):
    return "审核人员已作出审核决定，不能撤回" if row.step_index != 0 or row.decided else None


WITHDRAW = add(
    Transition(
        APPLICATION,
        "withdraw",
        "撤回",
        sources=PENDING_STATES,
        target=S.DRAFT,
        roles=frozenset({enums.UNIT}),
        columns=lambda: (Application.step_index, _decided().label("decided")),
        guards=(_undecided,),
        conditions=(lambda ctx: Application.step_index == 0, lambda ctx: ~_decided()),
        values=lambda ctx: {"route": None, "submitted_at": None, "quota_exempt_reason": None},
        audit_action="application_withdraw",
        missing="申请不存在或不属于本单位",
        style="warning",
        confirmation="撤回后申请回到“待提交”，可修改后重新提交，确定撤回所选申请吗？",
    )
)


# --- use cases ----------------------------------------------------------------------------------------------
def submit(actor, ids, today=None) -> engine.BulkResult:
    """The unit submits its 待提交 applications (提交审核).

    Guarantees: only the unit's own drafts move, and only while its profile is confirmed and the batch's
    window is open (on ``today``, the business date by default); each passes every eligibility rule with the
    post quota counted across the rows of this request; the route is found now and stored on the row with the
    unit's snapshot. The rows that pass are committed together (the unit's row stays locked until then);
    every other row is refused with its reason and left unchanged.
    """
    return engine.apply(actor, SUBMIT, ids, today=today)


def decide(actor, ids, action: str, opinion: str | None) -> engine.BulkResult:
    """A reviewer's 审核通过 (``action`` "approve") or 审核不通过 ("reject") with one opinion for all rows.

    Guarantees: only rows waiting at the reviewer's own step within the reviewer's scope move, checked again
    in the UPDATE; the first step's approval needs uploaded materials (also in the UPDATE) and a veteran a
    recorded decision; the last approval creates the 考试报名 row, a rejection ends the flow and tells the
    unit. Raises ``InvalidInput`` for a rejection without an opinion or an opinion over the limit.
    """
    return engine.apply(actor, DECISIONS[action], ids, opinion=opinion)


def withdraw(actor, ids) -> engine.BulkResult:
    """The unit withdraws submitted applications (撤回): back to 待提交, the post released.

    Guarantees: only the unit's own applications, only at the first step before any reviewer has decided
    (checked again in the UPDATE: a withdrawal and a decision at the same moment, exactly one lands); the
    route, submission time and quota exemption are cleared (found again at the next submission); the history
    and audit rows are written with the change.
    """
    return engine.apply(actor, WITHDRAW, ids)


def _writable(app) -> None:
    if app.batch is not None and app.batch.read_only:
        raise InvalidInput(engine.ARCHIVED)


def record_veteran_decision(actor, app: Application, reason: str) -> None:
    """The reviewer at the application's current step records 比照同等条件人员 for a veteran (SPEC §5.10).

    Guarantees: only that reviewer, a veteran's application and a non-empty reason (kept to 300 characters);
    audited with the value before and after. Raises ``InvalidInput`` with the reason otherwise."""
    actor = Actor.of(actor)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("请填写认定意见")
    _writable(app)
    if step_role(app.status) != actor.role:
        raise InvalidInput("只有当前审核环节的审核人员可以认定")
    if not app.veteran:
        raise InvalidInput("该申请未标注退役士兵")
    old = app.veteran_override
    app.veteran_override = reason[:300]
    audit.record(
        "veteran_override",
        app,
        user=actor.user,
        detail={"from": old, "to": app.veteran_override},
        ip=actor.ip,
    )
    db.session.commit()


def delete_draft(actor, app: Application) -> None:
    """The unit deletes its own 待提交 application (audited) with its 申报材料 and their files. Raises
    ``InvalidInput`` once submitted."""
    actor = Actor.of(actor)
    _writable(app)
    if app.status != S.DRAFT:
        raise InvalidInput("已提交的申请不能删除")
    detail = {"worker": app.worker_id, "grade": app.applied_grade}
    stored = [material.stored_name for material in app.materials]  # a unit attaches them to some drafts
    audit.record("delete", app, user=actor.user, detail=detail, ip=actor.ip)
    db.session.delete(app)
    db.session.commit()
    for name in stored:
        uploads.remove(name)
