"""考试报名 (manual 4.1–4.3): 未报名 / 已退回 → 待确认 (the unit's 报名表 or the 附表5 import) → 待缴费确认
(市工考办) → 已报名 (市职鉴中心, 缴费确认 issues the 准考证号); or 待确认 → 已退回 with a reason."""

import sqlalchemy as sa

from admin_app import limits
from admin_app.actor import Actor
from admin_app.extensions import db
from admin_app.services import notify
from admin_app.services.scope import registration_condition
from admin_app.services.validators import InvalidInput
from admin_app.workflow import engine
from admin_app.workflow.people import describe, person_rows
from admin_app.workflow.states import ExamCategory
from admin_app.workflow.states import RegistrationState as S
from admin_app.workflow.table import Machine, Opinion, Transition, add, machine
from models import ExamBatch, Registration, enums

REGISTRATION = machine(
    Machine(
        name="registration",
        label="考试报名",
        model=Registration,
        field="status",
        states=S,
        scope=registration_condition,
        select=person_rows(Registration, "status"),
        describe=describe,
    )
)


# --- 报名 by the unit: one 报名表 (with files) or many rows of 附表5 --------------------------------------
def _form_values(ctx):
    return {**ctx.inputs["values"], "registered_at": ctx.now, "return_reason": None}


REGISTER = add(
    Transition(
        REGISTRATION,
        "register",
        "报名",
        sources=frozenset({S.UNREGISTERED, S.RETURNED}),
        target=S.PENDING,
        roles=frozenset({enums.UNIT}),
        values=_form_values,
        missing="只能为本单位人员报名",
        bulk=False,
    )
)


def _import_note(ctx):
    ctx.opinion = "附表5导入"  # what each row's audit records as the reason of the change


def _import_values(ctx):
    return {"registered_at": ctx.now, "return_reason": None}


def _import_row(ctx, row):
    entry = ctx.inputs["entries"][row.id]
    return {
        "phone": entry.phone,
        "voluntary_training": entry.voluntary_training,
        "exam_category": entry.exam_category,
        "remarks": entry.remarks,
    }


def _as_checked(ctx, row):
    """The row is still in the state the import's check saw (which its audit row records). Without entries
    (``available_transitions``: may this row be imported at all?) there is no check to compare with."""
    entry = ctx.inputs.get("entries", {}).get(row.id)
    if entry is not None and row.state != entry.from_status:
        return "导入期间部分考生的报名状态已变化，全部未导入，请刷新后重试"
    return None


REGISTER_IMPORTED = add(
    Transition(
        REGISTRATION,
        "register_imported",
        "导入报名",
        sources=REGISTER.sources,
        target=S.PENDING,
        roles=frozenset({enums.UNIT}),
        guards=(_as_checked,),
        prepare=_import_note,
        values=_import_values,
        row_values=_import_row,
        atomic=True,
        audit_action="register",
        missing="导入期间部分考生的报名状态已变化，全部未导入，请刷新后重试",
        bulk=False,
    )
)


# --- 市工考办 and 市职鉴中心 ---------------------------------------------------------------------------
def _notify_returned(ctx, ids, step):
    notify.notify("registration_returned", ids, ctx.opinion)


CONFIRM = add(
    Transition(
        REGISTRATION,
        "confirm_registration",
        "报名审核通过",
        sources=frozenset({S.PENDING}),
        target=S.FEE,
        roles=frozenset({enums.OFFICE}),
        style="success",
    )
)
RETURN = add(
    Transition(
        REGISTRATION,
        "return_registration",
        "退回报名",
        sources=frozenset({S.PENDING}),
        target=S.RETURNED,
        roles=frozenset({enums.OFFICE}),
        opinion=Opinion("退回原因", required=True, limit=limits.REASON),
        values=lambda ctx: {"return_reason": ctx.opinion},
        effects=(_notify_returned,),
        style="danger",
    )
)


def _receipt(ctx):
    receipt = (ctx.inputs.get("receipt_number") or "").strip() or None
    if receipt and len(receipt) > limits.RECEIPT:
        raise InvalidInput(f"收据号不能超过{limits.RECEIPT}个字符")
    ctx.inputs["receipt_number"] = receipt


def _fee_values(ctx):
    fee = sa.select(ExamBatch.fee_amount).where(ExamBatch.id == Registration.batch_id).scalar_subquery()
    return {"fee_amount": fee, "receipt_number": ctx.inputs["receipt_number"], "fee_confirmed_at": ctx.now}


def _issue_tickets(ctx, ids, step):
    """准考证号: batch year + grade + the registration id — unique within the batch by construction."""
    rows = db.session.execute(
        sa.select(Registration.id, Registration.applied_grade, ExamBatch.year)
        .join(ExamBatch, ExamBatch.id == Registration.batch_id)
        .where(Registration.id.in_(ids))
    ).all()
    table = Registration.__table__
    db.session.execute(
        sa.update(table)
        .where(table.c.id == sa.bindparam("rid"))
        .values(ticket_number=sa.bindparam("ticket")),
        [{"rid": r.id, "ticket": f"{r.year}{r.applied_grade}{r.id:06d}"} for r in rows],
    )


CONFIRM_FEE = add(
    Transition(
        REGISTRATION,
        "confirm_fee",
        "缴费确认",
        sources=frozenset({S.FEE}),
        target=S.REGISTERED,
        roles=frozenset({enums.CENTER}),
        prepare=_receipt,
        inputs=("receipt_number",),
        values=_fee_values,
        effects=(_issue_tickets,),
        style="success",
    )
)


# --- use cases ------------------------------------------------------------------------------------------
def confirm_registrations(actor, ids) -> engine.BulkResult:
    """市工考办 approves 报名 (待确认 → 待缴费确认)."""
    return engine.apply(actor, CONFIRM, ids)


def return_registrations(actor, ids, reason: str | None) -> engine.BulkResult:
    """市工考办 returns 报名 with a reason (待确认 → 已退回); the unit is told and may fill the form again."""
    return engine.apply(actor, RETURN, ids, opinion=reason)


def confirm_fees(actor, ids, receipt_number: str | None = None) -> engine.BulkResult:
    """市职鉴中心 缴费确认 (待缴费确认 → 已报名): fee from the batch, receipt optional, 准考证号 issued."""
    return engine.apply(actor, CONFIRM_FEE, ids, receipt_number=receipt_number)


def register(
    actor, registration, *, phone, voluntary_training, exam_category, remarks, photo=None, id_copy=None
):
    """The unit fills the 报名表 (未报名 / 已退回 → 待确认); the registration time is stamped here.

    Guarantees: only the unit's own rows; the photo is JPEG/PNG and the ID copy PDF/JPEG/PNG by content, and
    that detected type is stored with the file; on any problem (a refusal, a full disk, a failed commit) nothing
    is stored and no new file is left; files replaced by new ones are removed only after the commit.
    Raises ``InvalidInput`` with the reason.
    """
    from admin_app.services import uploads
    from admin_app.services.validators import validate_phone

    actor = Actor.of(actor)
    if actor.role != enums.UNIT or registration.unit_id != actor.organisation_id:
        raise InvalidInput("只能为本单位人员报名")
    if registration.batch.read_only:
        raise InvalidInput(engine.ARCHIVED)
    if registration.status not in REGISTER.sources:
        raise InvalidInput(f"当前状态为“{S.label_of(registration.status)}”，不能报名")
    phone = validate_phone(phone)
    if exam_category not in ExamCategory.labels():
        raise InvalidInput("请选择考试类别")
    remarks = (remarks or "").strip() or None
    if remarks and len(remarks) > limits.REMARKS:
        raise InvalidInput(f"备注不能超过{limits.REMARKS}字")
    has_photo = photo is not None and getattr(photo, "filename", "")
    has_copy = id_copy is not None and getattr(id_copy, "filename", "")
    if not has_photo and not registration.photo_stored:
        raise InvalidInput("请上传电子照片（JPEG或PNG）")
    if not has_copy and not registration.id_copy_stored:
        raise InvalidInput("请上传身份证复印件（PDF、JPEG或PNG）")
    new_files, old_files = [], []
    values = {
        "phone": phone,
        "voluntary_training": bool(voluntary_training),
        "exam_category": exam_category,
        "remarks": remarks,
    }
    try:
        if has_photo:
            stored = uploads.store(
                photo, f"photos/{registration.batch_id}", ("image/jpeg", "image/png"), limits.PHOTO_BYTES
            )
            new_files.append(stored.stored_name)
            values.update(
                photo_name=stored.original_name,
                photo_stored=stored.stored_name,
                photo_content_type=stored.content_type,
            )
            old_files.append(registration.photo_stored)
        if has_copy:
            stored = uploads.store(
                id_copy, f"idcopies/{registration.batch_id}", max_bytes=limits.ID_COPY_BYTES
            )
            new_files.append(stored.stored_name)
            values.update(
                id_copy_name=stored.original_name,
                id_copy_stored=stored.stored_name,
                id_copy_content_type=stored.content_type,
            )
            old_files.append(registration.id_copy_stored)
        result = engine.apply(actor, REGISTER, [registration.id], values=values)
        if not result.done:
            raise InvalidInput(result.refused[0][2] if result.refused else "报名状态已变化，请刷新后查看")
    except Exception:
        db.session.rollback()
        for name in new_files:
            uploads.remove(name)
        raise
    for name in old_files:
        if name:
            uploads.remove(name)


def register_imported(actor, entries) -> int:
    """附表5 import: register many candidates at once (未报名 / 已退回 → 待确认), all or nothing.

    The rows were checked by candidate_import.check_rows; here every one moves in one atomic transition that
    re-checks unit, state — the very state the check saw (``entry.from_status``), which each row's audit records
    as its previous state — and batch; if any row moved on meanwhile, nothing is kept (``InvalidInput``).
    Photos and ID copies can be added later on the 报名表 or provided on site.
    """
    actor = Actor.of(actor)
    if actor.role != enums.UNIT:
        raise InvalidInput("只有单位用户可以导入考生信息")
    if not entries:
        return 0
    by_id = {e.registration_id: e for e in entries}
    result = engine.apply(actor, REGISTER_IMPORTED, list(by_id), entries=by_id)
    if result.refused:
        db.session.rollback()
        if any(reason == engine.ARCHIVED for _i, _l, reason in result.refused):
            raise InvalidInput(f"{engine.ARCHIVED}，全部未导入")
        raise InvalidInput("导入期间部分考生的报名状态已变化，全部未导入，请刷新后重试")
    return len(result.done)
