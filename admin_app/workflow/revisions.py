"""退回修改 (SPEC §8.1): a reviewer at any step returns an application to its unit with an opinion and the
parts to fix; the unit changes only those parts and resubmits; it goes back to the step that returned it,
whose reviewer sees what changed (before → after). Every round is an ``ApplicationRevision`` row (and two rows
of the 审核记录); an application may be returned any number of times. While returned it keeps its post quota
(only 待提交 and 审核未通过 free it: ``states.QUOTA_FREE_STATES``) and its route, step,
submission time and quota exemption: resubmitting continues the submission, it is not a new one.
"""

import json

import sqlalchemy as sa

from admin_app import limits
from admin_app.actor import Actor
from admin_app.extensions import db
from admin_app.services import notify, records
from admin_app.services.sql import among, insert_rows
from admin_app.workflow import engine
from admin_app.workflow.applications import APPLICATION, _at_own_step
from admin_app.workflow.revision_parts import (  # noqa: F401  (the parts, as the views use them)
    APPLICATION_FIELDS,
    PARTS,
    WORKER_LISTS,
    changes,
    labels_of,
    loaded,
    parse_parts,
    parts_of,
    snapshot,
    worker_part,
)
from admin_app.workflow.states import PENDING_STATES, ApplicationState, pending, step_role
from admin_app.workflow.table import Opinion, Step, Transition, add
from models import Application, ApplicationRevision, Worker, enums


def worker_returned_parts(worker: Worker) -> tuple | None:
    """The parts of the worker's record the unit may change: None (all, as always) unless the worker has an
    application returned for revision, then the returned parts of all such applications."""
    returned = db.session.scalars(
        sa.select(Application.return_parts).where(
            Application.worker_id == worker.id, Application.status == ApplicationState.RETURNED
        )
    ).all()
    if not returned:
        return None
    allowed = {part for text in returned for part in parts_of(text)}
    return tuple(part for part in PARTS if part in allowed)


def worker_change_refusal(worker: Worker, changed_parts) -> str | None:
    """Why a change of a worker's record is refused: the worker has an application returned for revision and
    the change touches parts (``basic``, ``education``, ``work_history``) not returned; None if allowed."""
    allowed = worker_returned_parts(worker)
    if allowed is None:
        return None
    refused = [part for part in PARTS if part in set(changed_parts) - set(allowed)]
    if not refused:
        return None
    return f"该人员的考试资格申请已退回修改，只能修改退回的部分（{labels_of(allowed)}），不能修改：{labels_of(refused)}"


# --- 退回修改 by the reviewer at the application's step ----------------------------------------------------
def _prepare_return(ctx):
    ctx.inputs["parts"] = parse_parts(ctx.inputs.get("parts"))


def _returned(ctx, row):
    """退回修改 at the row's step (re-checked in the UPDATE; the 审核记录 names the step)."""
    return Step(ApplicationState.RETURNED, where=(("step_index", row.step_index),))


def _route_columns():
    return (Application.route, Application.step_index)


def _keep_before(ctx, ids, step):
    """One revision round per application: the step, the opinion, the parts and their content now."""
    parts = ctx.inputs["parts"]
    rounds = dict(
        db.session.execute(
            sa.select(ApplicationRevision.application_id, sa.func.max(ApplicationRevision.round))
            .where(among(ApplicationRevision.application_id, ids))
            .group_by(ApplicationRevision.application_id)
        ).all()
    )
    rows = [
        {
            "application_id": app.id,
            "round": rounds.get(app.id, 0) + 1,
            "step_index": app.step_index,
            "step_role": ctx.actor.role,
            "parts": ",".join(parts),
            "opinion": ctx.opinion,
            "before": json.dumps(snapshot(app, parts), ensure_ascii=False),
            "after": None,
            "returned_by_id": ctx.user.id,
            "returned_at": ctx.now,
            "resubmitted_at": None,
        }
        for app in loaded(ids)
    ]
    insert_rows(ApplicationRevision.__table__, rows)


def _tell_unit(ctx, ids, step):
    notify.notify("application_returned", ids, f"{ctx.opinion}（需修改：{labels_of(ctx.inputs['parts'])}）")


RETURN = add(
    Transition(
        APPLICATION,
        "return_for_revision",
        "退回修改",
        sources=PENDING_STATES,
        roles=frozenset(enums.REVIEW_ROLES),
        route=_returned,
        targets=(ApplicationState.RETURNED,),
        columns=_route_columns,
        guards=(_at_own_step,),
        prepare=_prepare_return,
        opinion=Opinion(label="审核意见", required=True, limit=limits.OPINION),
        values=lambda ctx: {"return_parts": ",".join(ctx.inputs["parts"])},
        effects=(_keep_before, _tell_unit),
        inputs=("parts",),
        audit_action="application_return",
        wrong_state="不在您的审核环节",
        style="warning",
    )
)


# --- 重新提交 by the unit ------------------------------------------------------------------------------
def _back_to_returning_step(ctx, row):
    """The step that returned it: the application's step index is unchanged by a return."""
    steps = (row.route or "").split(",")
    if row.step_index >= len(steps) or step_role(pending(steps[row.step_index])) is None:
        return "该申请的审核流程无效，请联系系统管理员"
    return Step(pending(steps[row.step_index]), where=(("step_index", row.step_index),))


def _keep_after(ctx, ids, step):
    """The open round of each application gets the parts' content now and the resubmission time."""
    open_rounds = db.session.scalars(
        sa.select(ApplicationRevision).where(
            among(ApplicationRevision.application_id, ids), ApplicationRevision.resubmitted_at.is_(None)
        )
    ).all()
    apps = {app.id: app for app in loaded(ids)}
    values = [
        {
            "_id": r.id,
            "_after": json.dumps(snapshot(apps[r.application_id], parts_of(r.parts)), ensure_ascii=False),
        }
        for r in open_rounds
    ]
    if values:
        table = ApplicationRevision.__table__
        db.session.execute(
            sa.update(table)
            .where(table.c.id == sa.bindparam("_id"))
            .values(after=sa.bindparam("_after"), resubmitted_at=ctx.now),
            values,
        )


RESUBMIT = add(
    Transition(
        APPLICATION,
        "resubmit",
        "重新提交",
        sources=frozenset({ApplicationState.RETURNED}),
        roles=frozenset({enums.UNIT}),
        route=_back_to_returning_step,
        targets=tuple(PENDING_STATES),
        columns=_route_columns,
        values=lambda ctx: {"return_parts": None},
        effects=(_keep_after, records.keep_at("resubmit")),  # a new record kept (SPEC §8.2)
        audit_action="application_resubmit",
        confirmation="重新提交后申请将回到退回它的审核环节，确定重新提交所选申请吗？",
        missing="申请不存在或不属于本单位",
        style="success",
    )
)


# --- use cases ---------------------------------------------------------------------------------------------
def return_for_revision(actor, ids, opinion, parts) -> engine.BulkResult:
    """A reviewer returns applications waiting at the reviewer's own step (and in scope) to their units.

    Guarantees: an opinion (at most ``limits.OPINION`` characters) and at least one of ``PARTS`` are required
    (InvalidInput before anything is read); each row moves to 退回修改 with the parts, keeping its route and
    step; a revision round with the parts' content is recorded, the unit gets a 站内消息, and the 审核记录 and
    the audit log get a row, all in the transaction of the change. Rows elsewhere are refused with the reason.
    """
    return engine.apply(Actor.of(actor), RETURN, ids, opinion=opinion, parts=parts)


def resubmit(actor, ids) -> engine.BulkResult:
    """A unit resubmits its 退回修改 applications: each goes back to 待…审核 of the step that returned it.

    The submission window does not apply: the reviewer asked for the change, so a returned application may
    be resubmitted after 申报截止日 and after the batch was closed, until the batch is archived (read-only).
    The eligibility rules are not re-run here (the reviewer sees them on the details page); the post quota was
    held all along. The round records the parts' content now (before → after for the reviewer).
    """
    return engine.apply(Actor.of(actor), RESUBMIT, ids)


def latest_round(app: Application) -> ApplicationRevision | None:
    return app.revisions[-1] if app.revisions else None
