"""证书撤销 and 发放 (SPEC §8.5, issue 18) on the recognition machine.

撤销 (notice §4(二), 弄虚作假): 市工考办 revokes 已认定 rows with a reason and the 文号 of its decision; the row
becomes 已撤销 (``revoked_at``, reason and 文号 kept on it; its certificate number stays, so 证书查验 answers
已撤销). The worker's 现等级, 取得时间, 工种, 证书编号 and 证书工种 return to what the record kept at the
application's submission says (``services.records``) — the grade held before this recognition — provided the
worker still holds this certificate (a later recognition is not undone by revoking an earlier one). The unit is
told. 已撤销 is the source of no transition: it is reversed only by a new recognition in a later batch.

发放: the office records that a recognised certificate was handed over (recipient, date). It is a record, not a
state change: a transition from 已认定 to 已认定 so that it is scoped, refused on archived batches, raced
safely (only a row not handed over yet is written) and audited like every decision. The date is a Beijing
date, not in the future and not before the day of recognition.
"""

import json
import re
from datetime import date

import sqlalchemy as sa

from admin_app import limits
from admin_app.extensions import db
from admin_app.services import clock, notify, records
from admin_app.services.sql import among
from admin_app.services.validators import InvalidInput
from admin_app.workflow import engine
from admin_app.workflow.recognition import RECOGNITION
from admin_app.workflow.states import RecognitionState as S
from admin_app.workflow.table import Opinion, Transition, add
from models import Registration, Worker, enums

NO_RECORD = "没有提交时保存的申报记录，无法恢复原等级，不能撤销"
# The worker's columns a recognition sets, and the field of the kept person each returns to.
RESTORED = {
    "current_grade": "current_grade",
    "current_grade_date": "current_grade_date",
    "certificate_number": "certificate_number",
    "certificate_trade_id": "certificate_trade_id",
    "current_trade_id": "current_trade_id",
}


# --- 撤销 -----------------------------------------------------------------------------------------------
def _clean_document(ctx):
    """The 文号 of the revocation decision: required, at most ``limits.DOCUMENT_NUMBER`` characters."""
    text = (ctx.inputs.get("revoke_document") or "").strip()
    if not text:
        raise InvalidInput("撤销认定须填写撤销决定文号")
    if len(text) > limits.DOCUMENT_NUMBER:
        raise InvalidInput(f"撤销决定文号不能超过{limits.DOCUMENT_NUMBER}字")
    ctx.inputs["revoke_document"] = text


def _kept_people(ctx) -> dict:
    """{registration id: the person as kept at its application's last submission} of the rows asked for,
    read once per call (the registration's application → its latest ``application_record``)."""
    people = ctx.cache.get("kept_people")
    if people is None:
        pairs = dict(
            db.session.execute(
                sa.select(Registration.id, Registration.application_id).where(among(Registration.id, ctx.ids))
            ).all()
        )
        texts = records.kept_texts(set(pairs.values()))
        people = {rid: records.loads(texts[aid]).person for rid, aid in pairs.items() if aid in texts}
        ctx.cache["kept_people"] = people
    return people


def _has_record(ctx, row):
    return None if row.id in _kept_people(ctx) else NO_RECORD


def _revocation_values(ctx):
    return {
        "revoked_at": ctx.now,
        "revoke_reason": ctx.opinion,
        "revoke_document": ctx.inputs["revoke_document"],
    }


def _restorations(ctx, rows) -> dict:
    """{registration id: (worker id, its certificate number, the kept person) or None when the worker holds
    another certificate now (a later recognition: the grade is left as it is)}; each row read once per call."""
    plan = ctx.cache.setdefault("restorations", {})
    missing = [row for row in rows if row.id not in plan]
    if missing:
        held = dict(
            db.session.execute(
                sa.select(Worker.id, Worker.certificate_number).where(
                    among(Worker.id, [row.worker_id for row in missing])
                )
            ).all()
        )
        people = _kept_people(ctx)
        for row in missing:
            holds = row.certificate_number and held.get(row.worker_id) == row.certificate_number
            plan[row.id] = (row.worker_id, row.certificate_number, people[row.id]) if holds else None
    return plan


def _revocation_audit(ctx, step, rows) -> dict:
    """Each row's audit entry: the reason, the 文号 and the grade the worker returns to (or why not)."""
    plan = _restorations(ctx, rows)
    out = {}
    for row in rows:
        restored = plan.get(row.id)
        if restored is None:
            outcome = "该人员现持有其他证书，现等级不变"
        else:
            outcome = f"现等级恢复为{enums.grade_label(restored[2].current_grade) or '无'}"
        detail = {
            "document": ctx.inputs["revoke_document"],
            "certificate": row.certificate_number,
            "restored_grade": restored[2].current_grade if restored else None,
            "grade_restored": restored is not None,
        }
        out[row.id] = {
            "opinion": f"{ctx.opinion}（文号：{ctx.inputs['revoke_document']}；{outcome}）",
            "detail": json.dumps(detail, ensure_ascii=False),
        }
    return out


def _restore_grades(ctx, ids, step):
    """The worker's grade, its date, 工种 and certificate as kept at submission, for the workers who still
    hold the revoked certificate (checked again in the UPDATE); the unit is told."""
    plan = ctx.cache.get("restorations") or {}
    moved = set(ids)
    table = Worker.__table__
    params = [
        {
            "wid": worker_id,
            "held": number,
            **{f"v_{column}": getattr(person, field) for column, field in RESTORED.items()},
            "now": ctx.now,
        }
        for rid, entry in plan.items()
        if rid in moved and entry is not None
        for worker_id, number, person in [entry]
    ]
    if params:
        db.session.execute(
            sa.update(table)
            .where(table.c.id == sa.bindparam("wid"), table.c.certificate_number == sa.bindparam("held"))
            .values(
                **{column: sa.bindparam(f"v_{column}") for column in RESTORED},
                updated_at=sa.bindparam("now"),
            ),
            params,
        )
    notify.notify("revoked", ids, f"{ctx.opinion}；文号：{ctx.inputs['revoke_document']}")


REVOKE = add(
    Transition(
        RECOGNITION,
        "revoke_recognition",
        "撤销认定",
        sources=frozenset({S.RECOGNISED}),
        target=S.REVOKED,
        roles=frozenset({enums.OFFICE}),
        columns=lambda: (Registration.worker_id, Registration.certificate_number),
        prepare=_clean_document,
        guards=(_has_record,),
        opinion=Opinion("撤销原因", required=True, limit=limits.REASON),
        inputs=("revoke_document",),
        values=_revocation_values,
        audit_detail=_revocation_audit,
        effects=(_restore_grades,),
        style="danger",
    )
)


# --- 发放 -----------------------------------------------------------------------------------------------
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_day(text) -> date:
    """A date typed as YYYY-MM-DD (Chinese message otherwise)."""
    text = (text or "").strip()
    try:
        if not DAY.match(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput("发放日期格式应为“年-月-日”，例如 2021-10-08") from None


def _clean_handover(ctx):
    """Recipient required (at most ``limits.RECIPIENT``), the date a real day not after today (Beijing)."""
    recipient = (ctx.inputs.get("handover_recipient") or "").strip()
    if not recipient:
        raise InvalidInput("证书发放须填写领取人")
    if len(recipient) > limits.RECIPIENT:
        raise InvalidInput(f"领取人不能超过{limits.RECIPIENT}字")
    day = parse_day(ctx.inputs.get("handed_over_on"))
    if day > ctx.actor.today:
        raise InvalidInput(f"发放日期不能晚于今天（{ctx.actor.today:%Y-%m-%d}）")
    ctx.inputs.update(handover_recipient=recipient, handed_over_on=day)


def _not_handed_over(ctx, row):
    if row.handed_over_on is not None:
        return f"证书已于{row.handed_over_on:%Y-%m-%d}发放（领取人：{row.handover_recipient}）"
    return None


def _not_before_recognition(ctx, row):
    """(Without a date — a details page asking which buttons to show — there is nothing to compare yet.)"""
    day, recognised = ctx.inputs.get("handed_over_on"), clock.to_beijing(row.recognised_at)
    if day is not None and recognised is not None and day < recognised.date():
        return f"发放日期不能早于认定日期（{recognised:%Y-%m-%d}）"
    return None


def _handover_values(ctx):
    return {
        "handed_over_on": ctx.inputs["handed_over_on"],
        "handover_recipient": ctx.inputs["handover_recipient"],
    }


def _handover_audit(ctx, step, rows) -> dict:
    day, recipient = ctx.inputs["handed_over_on"], ctx.inputs["handover_recipient"]
    text = f"领取人：{recipient}；发放日期：{day:%Y-%m-%d}"
    detail = json.dumps({"recipient": recipient, "date": day.isoformat()}, ensure_ascii=False)
    return {row.id: {"opinion": text, "detail": detail} for row in rows}


HANDOVER = add(
    Transition(
        RECOGNITION,
        "record_handover",
        "证书发放",
        sources=frozenset({S.RECOGNISED}),
        target=S.RECOGNISED,  # a record on the row: the state stays 已认定
        roles=frozenset({enums.OFFICE}),
        columns=lambda: (
            Registration.recognised_at,
            Registration.handed_over_on,
            Registration.handover_recipient,
        ),
        prepare=_clean_handover,
        guards=(_not_handed_over, _not_before_recognition),
        conditions=(lambda ctx: Registration.handed_over_on.is_(None),),
        inputs=("handover_recipient", "handed_over_on"),
        values=_handover_values,
        audit_detail=_handover_audit,
        audit_action="record_handover",
        style="success",
    )
)


# --- use cases ------------------------------------------------------------------------------------------
def revoke(actor, ids, reason: str | None, document: str | None) -> engine.BulkResult:
    """撤销认定 of 已认定 rows (市工考办).

    Guarantees: a reason (撤销原因, at most ``limits.REASON``) and a 文号 are required (``InvalidInput``
    before anything is read); only 已认定 rows in the actor's scope, of batches not archived and with a record
    kept at submission, become 已撤销 (checked again in the UPDATE: of two people revoking one row, one wins),
    with the time, reason and 文号; the worker who still holds the certificate gets back the grade, date,
    工种 and certificate kept at submission; the unit gets a 站内消息; audit rows name the 文号 and the grade
    restored — all in the transaction of the change. Every other row is refused with its reason."""
    return engine.apply(actor, REVOKE, ids, opinion=reason, revoke_document=document)


def record_handover(actor, ids, recipient: str | None, day) -> engine.BulkResult:
    """证书发放 of 已认定 rows (市工考办): recipient and date (text YYYY-MM-DD or a date).

    Guarantees: the recipient is required, the date a real day not after today (Beijing) — else
    ``InvalidInput`` before anything is read; rows not in scope, archived, not 已认定, already handed over
    (also when recorded meanwhile: checked in the UPDATE) or recognised after that date are refused with the
    reason; the others keep recipient and date, audited, the state unchanged."""
    text = day.isoformat() if isinstance(day, date) else day
    return engine.apply(actor, HANDOVER, ids, handover_recipient=recipient, handed_over_on=text)
