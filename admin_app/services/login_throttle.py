"""Failed logins, counted per (account, client address) and per client address — never per account alone.

Why: a lock on the account itself lets anyone lock ``office`` or ``admin`` out with five wrong passwords.
Here an attacker's failures from address A lock only (that name, A) and, past a higher threshold, A itself;
the real user from address B is not affected. Successful logins are not counted, so 200 clerks behind one
NAT address may all log in at once. The counts live in the database: every app server sees them.

Settings (config.py): LOGIN_MAX_FAILURES per (name, address), LOGIN_ADDRESS_MAX_FAILURES per address, both
within LOGIN_FAILURE_WINDOW_MINUTES; a lock lasts LOGIN_LOCK_MINUTES unless an admin lifts it (``unlock``). The
caller passes them (``Limits.from_config``): this module reads no app.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from admin_app.actor import Actor
from admin_app.extensions import db
from admin_app.services import audit
from models import LoginFailure, LoginLock, User

UNKNOWN_ADDRESS = "unknown"


@dataclass(frozen=True)
class Limits:
    """When failures lock: ``max_failures`` of a (name, address) or ``address_max_failures`` of an address
    within ``window`` lock it for ``lock_for``."""

    max_failures: int
    address_max_failures: int
    window: timedelta
    lock_for: timedelta

    @classmethod
    def from_config(cls, config) -> "Limits":
        return cls(
            config["LOGIN_MAX_FAILURES"],
            config["LOGIN_ADDRESS_MAX_FAILURES"],
            timedelta(minutes=config["LOGIN_FAILURE_WINDOW_MINUTES"]),
            timedelta(minutes=config["LOGIN_LOCK_MINUTES"]),
        )


@dataclass(frozen=True)
class Throttle:
    """What the locks say about one (name, address) before the password is checked."""

    locked: bool
    pair_since: datetime  # failures of the pair are counted from here
    address_since: datetime  # failures of the address are counted from here
    pair_locked: bool
    address_locked: bool
    limits: Limits


def check(username: str, address: str, now: datetime, limits: Limits) -> Throttle:
    """Whether logins of ``username`` from ``address`` are locked now, and from when failures count: the
    window's start, or the end of the last lock (the failures that caused a lock do not cause the next)."""
    window, lock_for = limits.window, limits.lock_for
    recent = db.session.scalars(
        sa.select(LoginLock).where(
            LoginLock.address == address,
            sa.or_(LoginLock.username == username, LoginLock.username.is_(None)),
            LoginLock.locked_at > now - window - lock_for,
        )
    ).all()
    start = now - window
    pair = [lock for lock in recent if lock.username is not None]
    whole = [lock for lock in recent if lock.username is None]
    pair_locked = any(lock.ends_at > now for lock in pair)
    address_locked = any(lock.ends_at > now for lock in whole)
    return Throttle(
        locked=pair_locked or address_locked,
        pair_since=max([start, *(min(lock.ends_at, now) for lock in pair)]),
        address_since=max([start, *(min(lock.ends_at, now) for lock in whole)]),
        pair_locked=pair_locked,
        address_locked=address_locked,
        limits=limits,
    )


def record_failure(username: str, address: str, throttle: Throttle, now: datetime) -> None:
    """Count one failure of (``username``, ``address``); lock the pair or the address when its threshold is
    reached (audited). Added to the session, not committed. The same work is done whether the name exists
    or not (no account enumeration by timing). The limits are those ``check`` was given."""
    limits = throttle.limits
    pair_max, address_max, window, lock_for = (
        limits.max_failures,
        limits.address_max_failures,
        limits.window,
        limits.lock_for,
    )
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.failed_at < now - window))
    db.session.add(LoginFailure(username=username, address=address, failed_at=now))
    db.session.flush()
    pair_count = db.session.scalar(
        sa.select(sa.func.count()).where(
            LoginFailure.username == username,
            LoginFailure.address == address,
            LoginFailure.failed_at > throttle.pair_since,
        )
    )
    address_count = db.session.scalar(
        sa.select(sa.func.count()).where(
            LoginFailure.address == address, LoginFailure.failed_at > throttle.address_since
        )
    )
    if pair_count >= pair_max and not throttle.pair_locked:
        _lock("login_locked", username, address, pair_count, now, now + lock_for)
    if address_count >= address_max and not throttle.address_locked:
        _lock("login_address_locked", None, address, address_count, now, now + lock_for)


def _lock(action: str, username: str | None, address: str, failures: int, now, until) -> None:
    lock = LoginLock(username=username, address=address, locked_at=now, locked_until=until)
    db.session.add(lock)
    db.session.flush()
    detail = {"username": username, "address": address, "failures": failures, "until": until}
    audit.record(action, lock, object_type="LoginLock", detail=detail)


def forget_failures(username: str, address: str) -> None:
    """After a successful login: the pair's earlier failures no longer count (the address's others do)."""
    db.session.execute(
        sa.delete(LoginFailure).where(LoginFailure.username == username, LoginFailure.address == address)
    )


def active_locks(usernames, now: datetime) -> dict[str, list[LoginLock]]:
    """The locks in force now for each of ``usernames`` (one query; the account list shows them)."""
    names = [name for name in usernames if name]
    if not names:
        return {}
    found: dict[str, list[LoginLock]] = {}
    rows = db.session.scalars(
        sa.select(LoginLock)
        .where(
            LoginLock.username.in_(names),
            LoginLock.locked_until > now,
            LoginLock.lifted_at.is_(None),
        )
        .order_by(LoginLock.locked_until)
    )
    for lock in rows:
        found.setdefault(lock.username, []).append(lock)
    return found


def locked_accounts(now: datetime) -> dict[str, tuple[int, datetime]]:
    """Existing accounts locked from some address now: username -> (addresses, lock end). One row per
    account, however many addresses an attacker used."""
    rows = db.session.execute(
        sa.select(
            LoginLock.username,
            sa.func.count(sa.distinct(LoginLock.address)),
            sa.func.max(LoginLock.locked_until),
        )
        .where(
            LoginLock.username.in_(sa.select(User.username)),
            LoginLock.locked_until > now,
            LoginLock.lifted_at.is_(None),
        )
        .group_by(LoginLock.username)
    )
    return {name: (count, until) for name, count, until in rows}


def unlock(actor, users: list[User], now: datetime | None = None) -> int:
    """解除登录锁定 by ``actor`` (an ``Actor`` or a user): lift every lock of these accounts (from every
    address) and forget their failures. Audited per account that had a lock; committed. Returns how many
    accounts were locked."""
    actor = Actor.of(actor)
    now = now or actor.now
    locked = active_locks([user.username for user in users], now)
    for user in users:
        db.session.execute(sa.delete(LoginFailure).where(LoginFailure.username == user.username))
        locks = locked.get(user.username, [])
        if not locks:
            continue
        for lock in locks:
            lock.lifted_at, lock.lifted_by_id = now, actor.user.id
        addresses = sorted({lock.address for lock in locks})
        audit.record("login_unlocked", user, user=actor, object_type="User", detail={"addresses": addresses})
    db.session.commit()
    return len(locked)
