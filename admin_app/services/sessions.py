"""Login sessions on the server: started at login, checked on every request, ended for good.

The browser's signed cookie holds a random session id (``SESSION_KEY``); only its SHA-256 is stored. A
request is logged in only while that row exists, has not ended and has not been idle for longer than the
session lifetime (PERMANENT_SESSION_LIFETIME, 30 minutes). Ending a row — logout, the user ending their
other sessions, an admin's 强制下线, a password change or reset, disabling or moving the account — ends the
login at once, even for a copy of the cookie. The idle limit and the touch interval are passed by the caller
(``Lifetime.of(app)``): this module reads no app.
"""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from admin_app import limits
from admin_app.extensions import db
from admin_app.services import audit, commits
from models import User, UserSession
from models.org import utcnow

SESSION_KEY = "gk_sid"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8", "replace")).hexdigest()


@dataclass(frozen=True)
class Lifetime:
    """How long a session lives idle (PERMANENT_SESSION_LIFETIME) and how often its "last seen" time is
    written (SESSION_TOUCH_SECONDS)."""

    idle: timedelta
    touch: timedelta

    @classmethod
    def of(cls, app) -> "Lifetime":
        return cls(app.permanent_session_lifetime, timedelta(seconds=app.config["SESSION_TOUCH_SECONDS"]))

    def idle_cutoff(self, now: datetime) -> datetime:
        # The cookie itself expires after exactly the idle lifetime; the row is refreshed at most every
        # ``touch``, so the server allows that much on top.
        return now - self.idle - self.touch


def live(lifetime: Lifetime, now: datetime | None = None):
    """SQL condition: sessions that still open pages (not ended, not idle-expired)."""
    now = now or utcnow()
    return sa.and_(UserSession.ended_at.is_(None), UserSession.last_seen_at >= lifetime.idle_cutoff(now))


def start(user: User, address: str | None, user_agent: str | None) -> str:
    """Record a new session of ``user`` (committed) and return its id for the signed cookie."""
    session_id = secrets.token_urlsafe(32)
    now = utcnow()
    agent = _CONTROL.sub("", user_agent or "")[: limits.USER_AGENT] or None
    db.session.add(
        UserSession(
            token_hash=digest(session_id),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            ip=_CONTROL.sub("", address or "")[: limits.ADDRESS] or None,
            user_agent=agent,
        )
    )
    db.session.commit()
    return session_id


def resume(user_id: str, session_id: str | None, lifetime: Lifetime) -> User | None:
    """The user of a request whose cookie names ``user_id`` and ``session_id``, or None (not logged in).

    Writes at most once per SESSION_TOUCH_SECONDS per session (the "last seen" time), and only when the
    request has not used the database yet, so that nothing of the request's own work is committed here."""
    if not session_id or not (user_id or "").isascii() or not (user_id or "").isdigit():
        return None
    now = utcnow()
    may_write = not db.session().in_transaction()
    found = db.session.execute(
        sa.select(UserSession, User)
        .join(User, UserSession.user_id == User.id)
        .options(joinedload(User.organisation))  # every page needs it (role, scope): one query, not two
        .where(
            UserSession.token_hash == digest(session_id),
            UserSession.user_id == int(user_id),
            UserSession.ended_at.is_(None),
        )
    ).first()
    if found is None:
        return None
    row, user = found
    if row.last_seen_at < lifetime.idle_cutoff(now):
        if may_write:
            _end_rows(sa.select(UserSession.id).where(UserSession.id == row.id), "expired", now)
            with commits.bookkeeping():
                db.session.commit()
        return None
    if not user.is_active:
        return None
    if may_write and now - row.last_seen_at >= lifetime.touch:
        db.session.execute(sa.update(UserSession).where(UserSession.id == row.id).values(last_seen_at=now))
        with commits.bookkeeping():  # not the request's work: a 503 afterwards must not say "saved"
            db.session.commit()
    return user


def _end_rows(ids_query, reason: str, now: datetime) -> int:
    result = db.session.execute(
        sa.update(UserSession)
        .where(UserSession.id.in_(ids_query.scalar_subquery()), UserSession.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def end_current(session_id: str | None, reason: str = "logout") -> None:
    """Logout: end the session named by the cookie (not committed: the caller commits with its audit row)."""
    if session_id:
        ids = sa.select(UserSession.id).where(UserSession.token_hash == digest(session_id))
        _end_rows(ids, reason, utcnow())


def end_all_of(user: User, reason: str, keep: str | None = None) -> int:
    """End every open session of ``user`` except the one whose id is ``keep`` (not committed).
    Used on password change (the changing session stays), password reset, disabling and moving."""
    ids = sa.select(UserSession.id).where(UserSession.user_id == user.id)
    if keep:
        ids = ids.where(UserSession.token_hash != digest(keep))
    return _end_rows(ids, reason, utcnow())


def end_selected(ids: list[int], reason: str, *, owner: User | None = None) -> list[UserSession]:
    """End the open sessions among ``ids`` (only ``owner``'s when given), one audit row each; committed.
    Returns the sessions ended (ids already ended, unknown or not the owner's are left alone)."""
    query = (
        sa.select(UserSession)
        .options(joinedload(UserSession.user))
        .where(UserSession.id.in_(ids), UserSession.ended_at.is_(None))
    )
    if owner is not None:
        query = query.where(UserSession.user_id == owner.id)
    rows = db.session.scalars(query).all()
    now = utcnow()
    for row in rows:
        row.ended_at, row.end_reason = now, reason
        detail = {"user": row.user.username, "ip": row.ip, "reason": reason}
        audit.record("session_ended", row, object_type="UserSession", detail=detail)
    db.session.commit()
    return rows


def open_sessions_of(user: User, lifetime: Lifetime) -> list[UserSession]:
    """``user``'s sessions that still open pages, most recently active first."""
    return db.session.scalars(
        sa.select(UserSession)
        .where(UserSession.user_id == user.id, live(lifetime))
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    ).all()
