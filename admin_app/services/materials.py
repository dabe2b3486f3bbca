"""申报材料: attached by the reviewer whose step it is (the first reviewer must before approving), or by the unit
to its draft when the batch asks units to attach them at submission (单位提交时上传申报材料)."""

from admin_app.actor import Actor
from admin_app.extensions import db
from admin_app.services import audit, uploads
from admin_app.services.validators import InvalidInput
from admin_app.workflow.states import ApplicationState, step_role
from models import Application, Material, enums


def may_attach(user, app: Application) -> bool:
    """The reviewer at the application's step; its unit while 申报材料 are returned for revision, or while it
    is a draft of a batch whose units attach the materials when they submit."""
    from admin_app.workflow.revisions import parts_of

    if user.role == enums.UNIT:
        if app.unit_id != user.organisation_id:
            return False
        if app.status == ApplicationState.DRAFT:
            return bool(app.batch is not None and app.batch.materials_at_submission)
        return "materials" in parts_of(app)
    return step_role(app.status) == user.role


def check_attachable(actor, app: Application) -> None:
    """Raises InvalidInput (Chinese) unless ``actor`` may attach 申报材料 to ``app`` now."""
    from admin_app.workflow.batches import ensure_writable

    user = Actor.of(actor).user
    ensure_writable(app.batch)
    if not may_attach(user, app):
        if user.role == enums.UNIT:
            raise InvalidInput(
                "本单位现在不能为该申请上传申报材料（仅限要求提交时上传材料的批次的待提交申请，或退回修改申报材料的申请）"
            )
        raise InvalidInput("只有当前审核环节的审核人员可以上传申报材料")


def add_stored(actor, app: Application, stored: uploads.StoredFile) -> Material:
    """The ``Material`` row of a file already stored for ``app``, and its audit row, in the caller's
    transaction (flushed, not committed)."""
    actor = Actor.of(actor)
    material = Material(
        application_id=app.id,
        original_name=stored.original_name,
        stored_name=stored.stored_name,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        uploaded_by_id=actor.user.id,
    )
    db.session.add(material)
    db.session.flush()
    audit.record(
        "material_uploaded",
        material,
        user=actor,
        detail={"application": app.id, "name": stored.original_name},
    )
    return material


def attach(actor, app: Application, file_storage) -> Material:
    """Store an uploaded file for the application, with the type detected from its content, as ``actor`` (an
    ``Actor``; a user from a command or test).

    Raises InvalidInput (Chinese) if not allowed or invalid, StorageFailed (an InvalidInput) if the storage
    cannot keep it; then no row is written and no file is left. If the commit fails the stored file is removed
    and the error propagates."""
    actor = Actor.of(actor)
    check_attachable(actor, app)
    stored = uploads.store(file_storage, folder=folder_of(app))
    try:
        material = add_stored(actor, app, stored)
        db.session.commit()
    except Exception:
        db.session.rollback()
        uploads.remove(stored.stored_name)
        raise
    return material


def folder_of(app: Application) -> str:
    """Where an application's materials are stored (one folder per batch)."""
    return f"materials/{app.batch_id}"
