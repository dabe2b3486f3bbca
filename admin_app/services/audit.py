"""Writing audit rows. The caller's transaction commits them together with the change they record."""

import json

from flask import has_request_context, request
from flask_login import current_user

from admin_app.extensions import db
from models import AuditLog


def client_ip() -> str | None:
    if not has_request_context():
        return None
    return request.remote_addr


def record(
    action: str,
    obj=None,
    *,
    user=None,
    object_type: str | None = None,
    object_id=None,
    from_state: str | None = None,
    to_state: str | None = None,
    opinion: str | None = None,
    detail: dict | None = None,
) -> AuditLog:
    """Add one audit row to the session (not committed here)."""
    if user is None and has_request_context() and current_user and current_user.is_authenticated:
        user = current_user
    row = AuditLog(
        user_id=getattr(user, "id", None),
        username=getattr(user, "username", None),
        organisation_id=getattr(user, "organisation_id", None),
        role=user.role if user is not None else None,
        ip=client_ip(),
        action=action,
        object_type=object_type or (type(obj).__name__ if obj is not None else None),
        object_id=str(object_id if object_id is not None else getattr(obj, "id", "") or "") or None,
        from_state=from_state,
        to_state=to_state,
        opinion=opinion,
        detail=json.dumps(detail, ensure_ascii=False, default=str) if detail else None,
    )
    db.session.add(row)
    return row
