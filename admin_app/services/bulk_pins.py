"""Pinned bulk sets (SPEC §8.6, issue 19): the confirmation page of an "all matching the filter" operation pins
the exact ids it showed; its 确认 decides those rows only.

Why the ids and not the filter plus a high-water mark: a row enters a source state long after it was created (a
draft submitted after the page was shown has an old id and an old created_at), so no "max id" or "max time"
separates the rows the clerk saw from those that arrived later. At most ``limits.BULK`` ids (20,000 ≈ 140 kB of
JSON) are kept per pin, once per confirmation page.

Guarantees:
- ``pin`` records the ids for the actor, the list (endpoint) and the operation, with a random token (the only
  thing the page's form carries) valid for ``limits.BULK_PIN_MINUTES``; it removes the actor's own pins expired
  for more than ``limits.BULK_PIN_KEEP_HOURS``.
- ``claim`` hands a pin to exactly one request: a conditional ``UPDATE … SET used_at WHERE used_at IS NULL AND
  expires_at > now``, committed before any decision. Another user's token, or a token of another list or
  operation, is ``PinNotFound`` (the view answers 404, as for any row out of scope); a used or expired one is
  ``PinRefused`` with the Chinese reason.
- ``release`` gives a claimed pin back, for a decision that refused its inputs before reading any row (a missing
  opinion) or a queue that did not answer: the clerk corrects the page and presses 确认 again.
The rows decided are the pinned ones that are, at the time of the decision, still in a source state and within
the actor's scope: the workflow engine's conditional UPDATE checks both; the others are refused with the reason.
"""

import json
import secrets
from datetime import timedelta

import sqlalchemy as sa

from admin_app import limits
from admin_app.extensions import db
from admin_app.services.validators import InvalidInput
from models import BulkPin

USED = "该确认页已经提交过，同一批记录不会重复处理；处理结果见列表（后台处理的见下载中心）"
EXPIRED = f"确认页已超过{limits.BULK_PIN_MINUTES}分钟未提交，已失效：请核对后重新确认"
GONE = "确认时的记录集已失效，未处理，请重新操作"


class PinNotFound(LookupError):
    """No pin of this user, list and operation has this token."""


class PinRefused(InvalidInput):
    """The pin was used or has expired: ``str(exc)`` says which; ``pin`` is the row."""

    def __init__(self, message: str, pin: BulkPin):
        super().__init__(message)
        self.pin = pin
        self.expired = message == EXPIRED


def pin(actor, endpoint: str, operation: str, ids: list[int], query: str = "") -> BulkPin:
    """Pin ``ids`` (the rows a confirmation page shows, at most ``limits.BULK``) for ``actor``; committed."""
    assert len(ids) <= limits.BULK, len(ids)
    now = actor.now
    db.session.execute(
        sa.delete(BulkPin).where(
            BulkPin.owner_id == actor.user.id,
            BulkPin.expires_at < now - timedelta(hours=limits.BULK_PIN_KEEP_HOURS),
        )
    )
    row = BulkPin(
        token=secrets.token_urlsafe(32),
        owner_id=actor.user.id,
        endpoint=endpoint,
        operation=operation,
        query=query,
        ids=json.dumps(list(ids), separators=(",", ":")),
        total=len(ids),
        created_at=now,
        expires_at=now + timedelta(minutes=limits.BULK_PIN_MINUTES),
    )
    db.session.add(row)
    db.session.commit()
    return row


def _mine(actor, token: str, endpoint: str, operation: str):
    return sa.and_(
        BulkPin.token == token,
        BulkPin.owner_id == actor.user.id,
        BulkPin.endpoint == endpoint,
        BulkPin.operation == operation,
    )


def claim(actor, token: str, endpoint: str, operation: str) -> BulkPin:
    """The actor's pin of this list and operation, marked used (committed). Raises PinNotFound or PinRefused."""
    if not token or len(token) > 64:
        raise PinNotFound(token)
    claimed = db.session.execute(
        sa.update(BulkPin)
        .where(
            _mine(actor, token, endpoint, operation),
            BulkPin.used_at.is_(None),
            BulkPin.expires_at > actor.now,
        )
        .values(used_at=actor.now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    row = db.session.scalars(sa.select(BulkPin).where(_mine(actor, token, endpoint, operation))).one_or_none()
    if row is None:
        raise PinNotFound(token)
    if not claimed:
        raise PinRefused(USED if row.used_at is not None else EXPIRED, row)
    return row


def release(row: BulkPin) -> None:
    """Give a claimed pin back (nothing of it was decided); committed."""
    db.session.rollback()
    db.session.execute(
        sa.update(BulkPin)
        .where(BulkPin.id == row.id, BulkPin.job_id.is_(None))
        .values(used_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def attach_job(row: BulkPin, job_id: int) -> None:
    """The background job that decides the pinned rows (a second 确认 is sent to it); committed."""
    db.session.execute(sa.update(BulkPin).where(BulkPin.id == row.id).values(job_id=job_id))
    db.session.commit()


def ids_of(row: BulkPin) -> list[int]:
    return [int(i) for i in json.loads(row.ids)]


def for_job(owner_id: int, pin_id) -> BulkPin:
    """The pin a job decides, its owner's own; InvalidInput(GONE) if it is no longer there."""
    row = db.session.get(BulkPin, pin_id) if isinstance(pin_id, int) else None
    if row is None or row.owner_id != owner_id:
        raise InvalidInput(GONE)
    return row
