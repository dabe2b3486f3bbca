"""申报材料: attached by the reviewer whose step it is (the first reviewer must before approving)."""

from admin_app.actor import Actor
from admin_app.extensions import db
from admin_app.services import audit, uploads
from admin_app.services.validators import InvalidInput
from admin_app.workflow.states import step_role
from models import Application, Material, enums


def may_attach(user, app: Application) -> bool:
    """The reviewer at the application's step, or its unit while 申报材料 are returned for revision."""
    from admin_app.workflow.revisions import parts_of

    if user.role == enums.UNIT:
        return app.unit_id == user.organisation_id and "materials" in parts_of(app)
    return step_role(app.status) == user.role


def attach(actor, app: Application, file_storage) -> Material:
    """Store an uploaded file for the application, with the type detected from its content, as ``actor`` (an
    ``Actor``; a user from a command or test).

    Raises InvalidInput (Chinese) if not allowed or invalid, StorageFailed (an InvalidInput) if the storage
    cannot keep it; then no row is written and no file is left. If the commit fails the stored file is removed
    and the error propagates."""
    from admin_app.workflow.batches import ensure_writable

    actor = Actor.of(actor)
    user = actor.user
    ensure_writable(app.batch)
    if not may_attach(user, app):
        raise InvalidInput("只有当前审核环节的审核人员可以上传申报材料")
    stored = uploads.store(file_storage, folder=f"materials/{app.batch_id}")
    material = Material(
        application_id=app.id,
        original_name=stored.original_name,
        stored_name=stored.stored_name,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        uploaded_by_id=user.id,
    )
    db.session.add(material)
    try:
        db.session.flush()
        audit.record(
            "material_uploaded",
            material,
            user=actor,
            detail={"application": app.id, "name": stored.original_name},
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        uploads.remove(stored.stored_name)
        raise
    return material
