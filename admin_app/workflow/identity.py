"""单位信息审核: the reviewing authority's side of a unit's identity (名称, 信用代码, 组织类别, 所在区县, 主管部门).

    待审核 --审核通过--> 已确认        待审核 --退回 (审核意见)--> 已退回

A 区县 bureau decides its 区县属单位, the 市工考办 every other unit (``scope.identity_review_condition``). The
unit's side — 待完善 / 已确认 / 已退回 → 待审核 on saving its profile — is ``services.unit_identity``.
"""

import json

import sqlalchemy as sa

from admin_app.actor import Actor
from admin_app.extensions import db
from admin_app.services import notify
from admin_app.services.scope import identity_review_condition
from admin_app.services.sql import among
from admin_app.services.unit_identity import IDENTITY_FIELDS, OPINION_MAX, REVIEWER_ROLES
from admin_app.workflow import engine
from admin_app.workflow.states import IdentityState as S
from admin_app.workflow.table import Machine, Opinion, Transition, add, machine
from models import Organisation


def _select(extra):
    return sa.select(Organisation.id, Organisation.identity_status.label("state"), Organisation.name, *extra)


IDENTITY = machine(
    Machine(
        name="identity",
        label="单位信息审核",
        model=Organisation,
        field="identity_status",
        states=S,
        scope=identity_review_condition,
        select=_select,
        describe=lambda row: row.name,
        missing="单位不存在或不在本机构审核范围内",
        batch_column=None,
        audit_type="Organisation",
    )
)


def _decided(ctx):
    """Who decided, when, and the opinion (the unit reads them on its profile)."""
    return {
        "identity_decided_at": ctx.now,
        "identity_decided_by": ctx.user.organisation.name,
        "identity_opinion": ctx.opinion,
    }


def _values(ctx, ids) -> dict:
    """{id: the identity fields as decided}, read after the UPDATE (once per call)."""
    cached = ctx.cache.setdefault("values", {})
    missing = [i for i in ids if i not in cached]
    if missing:
        columns = [getattr(Organisation, attr) for attr in IDENTITY_FIELDS]
        for row in db.session.execute(
            sa.select(Organisation.id, *columns).where(among(Organisation.id, missing))
        ):
            cached[row.id] = {attr: getattr(row, attr) for attr in IDENTITY_FIELDS}
    return {i: cached[i] for i in ids}


def _audit(ctx, step, rows) -> dict:
    values = _values(ctx, [row.id for row in rows])
    return {i: {"detail": json.dumps(v, ensure_ascii=False)} for i, v in values.items()}


def _keep_confirmed(ctx, ids, step):
    """The confirmed values, for the next change's before → after (``unit_identity.changes``)."""
    db.session.execute(
        sa.update(Organisation),
        [{"id": i, "identity_confirmed": snapshot} for i, snapshot in _values(ctx, ids).items()],
    )


def _notify(kind):
    def effect(ctx, ids, step):
        notify.notify_units(kind, ids, reviewer=ctx.user.organisation.name, note=ctx.opinion)

    return effect


CONFIRM = add(
    Transition(
        IDENTITY,
        "confirm",
        "审核通过",
        sources=frozenset({S.PENDING}),
        target=S.CONFIRMED,
        roles=REVIEWER_ROLES,
        opinion=Opinion("审核意见", limit=OPINION_MAX),
        values=_decided,
        audit_detail=_audit,
        effects=(_keep_confirmed, _notify("identity_confirmed")),
        audit_action="unit_identity_confirmed",
        wrong_state="不在待审核状态",
        style="success",
    )
)
RETURN = add(
    Transition(
        IDENTITY,
        "return",
        "退回",
        sources=frozenset({S.PENDING}),
        target=S.RETURNED,
        roles=REVIEWER_ROLES,
        opinion=Opinion("审核意见", required=True, limit=OPINION_MAX),
        values=_decided,
        audit_detail=_audit,
        effects=(_notify("identity_returned"),),
        audit_action="unit_identity_returned",
        wrong_state="不在待审核状态",
        style="danger",
    )
)
DECISIONS = {"confirm": CONFIRM, "return": RETURN}


def decide(actor, ids, action: str, opinion: str | None) -> engine.BulkResult:
    """审核通过 (``action`` confirm) or 退回 (return, opinion required) the 待审核 profiles of units in the
    actor's review scope.

    Guarantees: one conditional ``UPDATE … WHERE status = 待审核 AND <scope> RETURNING id``, so a row outside
    the scope, already decided, or decided by someone else at the same moment is refused with its reason and
    left unchanged; confirmed values are kept for the next change's before → after; every decided row gets
    an audit row (with the values decided) and its unit a 站内消息, in the same transaction; raises
    InvalidInput (nothing changed) for a missing opinion on 退回 or one over 500 characters."""
    actor = Actor.of(actor)
    if actor.role not in REVIEWER_ROLES:
        result = engine.BulkResult(action, DECISIONS[action].label)
        for org_id in ids:
            result.refuse(org_id, "", "无权审核单位信息")
        return result
    return engine.apply(actor, DECISIONS[action], ids, opinion=opinion)
