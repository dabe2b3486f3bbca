"""Writing audit rows. The caller's transaction commits them together with the change they record."""

import json

import sqlalchemy as sa
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


def record_many(action: str, object_type: str, items: list[dict], *, user=None) -> None:
    """Set-based variant for bulk work: one INSERT for many rows. ``items`` hold object_id, from_state,
    to_state, opinion (and optionally detail); who, role and IP are filled in here."""
    if not items:
        return
    if user is None and has_request_context() and current_user and current_user.is_authenticated:
        user = current_user
    base = {
        "user_id": getattr(user, "id", None),
        "username": getattr(user, "username", None),
        "organisation_id": getattr(user, "organisation_id", None),
        "role": user.role if user is not None else None,
        "ip": client_ip(),
        "action": action,
        "object_type": object_type,
    }
    from models.org import utcnow

    now = utcnow()
    rows = [
        {
            **base,
            "created_at": now,
            "detail": None,
            "opinion": None,
            "from_state": None,
            "to_state": None,
            **item,
        }
        for item in items
    ]
    for row in rows:
        row["object_id"] = str(row["object_id"])
    db.session.execute(sa.insert(AuditLog), rows)
