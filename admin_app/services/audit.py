"""Writing audit rows, chained by hash. The caller's transaction commits them with the change they record.

Each row's ``row_hash`` is SHA-256 over its content and the previous row's hash, so that editing or
deleting any row breaks the chain from there on (``flask audit-verify`` names the first broken row). On
PostgreSQL a transaction-level advisory lock, taken at the first audit write of a transaction and held to
its commit, keeps the chain linear when many people act at once; a trigger (migration 0004) refuses UPDATE
and DELETE on the table. The application offers no way to edit or delete audit rows.
"""

import hashlib
import json

import sqlalchemy as sa

from admin_app.actor import Actor
from admin_app.extensions import db
from admin_app.services.sql import insert_rows
from models import AuditLog
from models.org import utcnow

GENESIS = "0" * 64
CHAIN_LOCK = 727_001  # pg_advisory_xact_lock key of the audit chain
HASHED_FIELDS = (
    "created_at",
    "user_id",
    "username",
    "organisation_id",
    "role",
    "ip",
    "action",
    "object_type",
    "object_id",
    "from_state",
    "to_state",
    "opinion",
    "detail",
)


def _no_request() -> Actor | None:
    return None


# Who acts when a caller names no actor: the app installs the current request's (views.actor.request_actor),
# so that this module reads no request itself; outside a request (commands, tests) nobody.
default_actor = _no_request


def _canonical(values: dict) -> str:
    """A row's hashed fields as canonical JSON (sorted keys, no spaces)."""
    payload = {field: values.get(field) for field in HASHED_FIELDS}
    created = payload["created_at"]
    if created is not None and not isinstance(created, str):
        payload["created_at"] = created.isoformat(timespec="microseconds")
    for key in ("user_id", "organisation_id"):
        if payload[key] is not None:
            payload[key] = int(payload[key])
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _chained(prev_hash: str, text: str) -> str:
    return hashlib.sha256((prev_hash + "|" + text).encode("utf-8")).hexdigest()


def row_digest(values: dict, prev_hash: str) -> str:
    """The hash of one row: its fields (canonical JSON) and the previous row's hash."""
    return _chained(prev_hash, _canonical(values))


_OBJECT = "\ue000object_id\ue000"  # stands for the object id in a canonical text made once for many rows


def _canonical_around_object(values: dict) -> tuple[str, str] | None:
    """The canonical text of ``values`` split where the object id goes: rows differing only in their object
    id share it (bulk work), and text = before + json.dumps(object_id) + after, as ``_canonical`` writes it.
    None if another field holds the stand-in too (then each row's text is made whole)."""
    parts = _canonical({**values, "object_id": _OBJECT}).split(json.dumps(_OBJECT, ensure_ascii=False))
    return (parts[0], parts[1]) if len(parts) == 2 else None


def _chain_head() -> str:
    """The hash the next row chains to: this transaction's last row, else the table's last row."""
    info = db.session.info
    if "audit_head" in info:
        return info["audit_head"]
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(CHAIN_LOCK)))
    head = db.session.scalar(sa.select(AuditLog.row_hash).order_by(AuditLog.id.desc()).limit(1))
    info["audit_head"] = head or GENESIS
    return info["audit_head"]


_FROM_REQUEST = object()  # ip not given: the actor's address, else the current request's


def _who(user, ip) -> tuple[object, str | None]:
    """The user and address an audit row names: an ``Actor``'s, a user given with an address, or — for
    callers that give neither — the current request's (``default_actor``)."""
    if isinstance(user, Actor):
        return user.user, user.ip if ip is _FROM_REQUEST else ip
    if user is None or ip is _FROM_REQUEST:
        fallback = default_actor()
        if user is None and fallback is not None:
            user = fallback.user
        if ip is _FROM_REQUEST:
            ip = fallback.ip if fallback is not None else None
    return user, ip


def _fields(user, ip, **values) -> dict:
    return {
        "created_at": utcnow(),
        "user_id": getattr(user, "id", None),
        "username": getattr(user, "username", None),
        "organisation_id": getattr(user, "organisation_id", None),
        "role": user.role if user is not None else None,
        "ip": ip,
        **values,
    }


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
    ip=_FROM_REQUEST,
) -> AuditLog:
    """Add one audit row to the session (not committed here). ``user`` is an ``Actor`` (its user and
    address) or a user; without one, the current request's actor (see ``default_actor``)."""
    user, ip = _who(user, ip)
    values = _fields(
        user,
        ip,
        action=action,
        object_type=object_type or (type(obj).__name__ if obj is not None else None),
        object_id=str(object_id if object_id is not None else getattr(obj, "id", "") or "") or None,
        from_state=from_state,
        to_state=to_state,
        opinion=opinion,
        detail=json.dumps(detail, ensure_ascii=False, default=str) if detail else None,
    )
    with db.session.no_autoflush:
        prev = _chain_head()
    values["prev_hash"] = prev
    values["row_hash"] = row_digest(values, prev)
    db.session.info["audit_head"] = values["row_hash"]
    row = AuditLog(**values)
    db.session.add(row)
    return row


def record_many(action: str, object_type: str, items: list[dict], *, user=None, ip=_FROM_REQUEST) -> None:
    """Set-based variant for bulk work: one INSERT for many rows, chained in order. ``items`` hold
    object_id, from_state, to_state, opinion (and optionally detail); who, role and IP are filled in here."""
    if not items:
        return
    user, ip = _who(user, ip)
    prev = _chain_head()
    common = _fields(
        user,
        ip,
        detail=None,
        opinion=None,
        from_state=None,
        to_state=None,
        action=action,
        object_type=object_type,
    )
    # The JSON around the object id, made once for the rows whose other fields repeat (5,000 approvals: once):
    # rest of a row -> None (seen once), (before, after), or False (the stand-in occurs elsewhere).
    rows, texts = [], {}
    for item in items:
        values = {**common, **item, "object_id": str(item["object_id"])}
        rest = tuple(pair for pair in item.items() if pair[0] != "object_id")
        if rest in texts and texts[rest] is None:
            texts[rest] = _canonical_around_object(values) or False
        split = texts.setdefault(rest, None)
        if split:
            text = split[0] + json.dumps(values["object_id"], ensure_ascii=False) + split[1]
        else:
            text = _canonical(values)
        values["prev_hash"] = prev
        values["row_hash"] = prev = _chained(prev, text)
        rows.append(values)
    insert_rows(AuditLog.__table__, rows)  # COPY on PostgreSQL: no ORM work and no statement per row
    db.session.info["audit_head"] = prev


def verify_chain(batch: int = 5000) -> tuple[int, int | None]:
    """Walk the log in id order. Returns (rows checked, id of the first broken row or None)."""
    prev, checked, last_id = GENESIS, 0, 0
    while True:
        rows = db.session.scalars(
            sa.select(AuditLog).where(AuditLog.id > last_id).order_by(AuditLog.id).limit(batch)
        ).all()
        if not rows:
            return checked, None
        for row in rows:
            values = {field: getattr(row, field) for field in HASHED_FIELDS}
            if row.prev_hash != prev or row.row_hash != row_digest(values, prev):
                return checked, row.id
            prev, last_id = row.row_hash, row.id
            checked += 1
        db.session.expunge_all()


def _reset_head(session, *args):
    session.info.pop("audit_head", None)


sa.event.listen(sa.orm.Session, "after_commit", _reset_head)
sa.event.listen(sa.orm.Session, "after_rollback", _reset_head)
sa.event.listen(sa.orm.Session, "after_soft_rollback", _reset_head)
