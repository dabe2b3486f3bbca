"""提交审核's checks and where it sends an application: the unit's confirmed profile, the batch's submission
window, the 申报材料 when the batch asks for them at submission, the eligibility rules with the post quota,
and the review chain (route) read from the route table that admins keep (data, copied onto the application
when it is submitted, so later edits of the table do not move applications in flight). The guards and the
route of ``applications.SUBMIT``."""

import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.services import applications as app_facts
from admin_app.services import eligibility, unit_identity
from admin_app.services.batches import submission_closed_reason
from admin_app.services.sql import among
from admin_app.workflow.states import pending
from admin_app.workflow.table import Step
from models import Application, ExamBatch, Material, Organisation, RouteRule


def route_for(batch_id: int, org_category: str | None, grade: int) -> list[str] | None:
    """The review chain (roles, in order) for a 组织类别 and grade in a batch; None if no rule applies."""
    rules = db.session.scalars(
        sa.select(RouteRule).where(RouteRule.batch_id == batch_id, RouteRule.org_category == org_category)
    ).all()
    for rule in rules:
        if grade in rule.grade_list:
            return rule.step_list
    return None


# --- the guards and the route of 提交审核 (applications.SUBMIT) -------------------------------------------
def lock_unit(ctx):
    """Lock the unit's row: a profile change (which needs 单位信息审核 again) and another submission of the
    same unit wait until this one is committed, so the quota counted here holds."""
    ctx.cache["unit"] = db.session.get(
        Organisation, ctx.actor.organisation_id, with_for_update=True, populate_existing=True
    )


def _unit(ctx):
    if "unit" not in ctx.cache:  # available_transitions runs no ``prepare``
        ctx.cache["unit"] = db.session.get(Organisation, ctx.actor.organisation_id)
    return ctx.cache["unit"]


def _today(ctx):
    return ctx.inputs.get("today") or ctx.actor.today


def identity_confirmed(ctx, row):
    if "unconfirmed" not in ctx.cache:
        ctx.cache["unconfirmed"] = unit_identity.submission_block_reason(_unit(ctx))
    return ctx.cache["unconfirmed"]


def window_open(ctx, row):
    batch, today = db.session.get(Application, row.id).batch, _today(ctx)
    return None if batch.accepts_submissions(today) else submission_closed_reason(batch, today)


def submission_columns():
    """What the guards of 提交审核 read with each row: whether its batch asks for the 申报材料 at submission,
    and whether it has any."""
    required = sa.select(ExamBatch.materials_at_submission).where(ExamBatch.id == Application.batch_id)
    return (
        required.scalar_subquery().label("materials_required"),
        sa.exists().where(Material.application_id == Application.id).label("has_material"),
    )


def materials_attached(ctx, row):
    """单位提交时上传申报材料: a batch that asks for them takes no draft without 申报材料."""
    if row.materials_required and not row.has_material:
        return "本批次要求单位提交时上传申报材料：请先在申请详情页上传申报材料，再提交审核"
    return None


def _misconduct(ctx, app) -> dict:
    """``previous_misconduct`` of every worker of the request in ``app``'s batch, read once per batch."""
    found = ctx.cache.setdefault("misconduct", {})
    if app.batch_id not in found:
        workers = db.session.scalars(
            sa.select(Application.worker_id).where(
                among(Application.id, ctx.ids), Application.batch_id == app.batch_id
            )
        )
        found[app.batch_id] = app_facts.previous_misconduct(app.batch, workers)
    return found[app.batch_id]


def eligible(ctx, row):
    """Every rule of SPEC §5; the post quota counts the rows of this request submitted before this one."""
    app = db.session.get(Application, row.id)
    taken = ctx.cache.setdefault("taken", {})
    key = (app.batch_id, app.applied_grade)
    if key not in taken:
        taken[key] = app_facts.non_exempt_taken(app.unit_id, app.batch_id, app.applied_grade)
    blockers = eligibility.blocking(
        app_facts.evaluate(app, _today(ctx), already_taken=taken[key], misconduct=_misconduct(ctx, app))
    )
    return "；".join(f"{r.title}：{r.message}" for r in blockers) or None


def first_step(ctx, row):
    """The route for the unit's 组织类别 and the grade, copied onto the application with the unit's
    snapshot; the row then holds a post (unless exempt) for the rows after it."""
    app, unit = db.session.get(Application, row.id), _unit(ctx)
    route = route_for(app.batch_id, unit.org_category, app.applied_grade)
    if not route:
        return "未找到适用的审核流程，请联系系统管理员"
    exemption = app_facts.exemption(app)
    if exemption is None:
        ctx.cache["taken"][(app.batch_id, app.applied_grade)] += 1
    values = (
        ("route", ",".join(route)),
        ("step_index", 0),
        ("jurisdiction_id", unit.jurisdiction_id),
        ("org_category", unit.org_category),
        ("quota_exempt_reason", exemption),
    )
    return Step(pending(route[0]), values=values)
