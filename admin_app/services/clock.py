"""The one clock. Business dates (deadlines, cutoffs, 取得时间, 填表日期) are dates in ``APP_TIMEZONE``
(default Asia/Shanghai), whatever zone the server process runs in; stored timestamps are naive UTC; people
see them in ``APP_TIMEZONE``.

Guarantees: nothing else in the code asks the operating system for the date or time
(``tests/unit/test_clock.py`` scans the tree), so a server in UTC closes submissions at midnight Beijing
time, not eight hours later. Tests move time by patching :func:`_instant` alone.
"""

import os
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Asia/Shanghai"


def _instant() -> datetime:
    """The current instant, timezone-aware (UTC). The only call to the system clock."""
    return datetime.now(UTC)


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone() -> ZoneInfo:
    """The business time zone: the app's ``APP_TIMEZONE``, else the environment's, else Beijing."""
    from flask import current_app, has_app_context

    name = None
    if has_app_context():
        name = current_app.config.get("APP_TIMEZONE")
    return _zone(name or os.environ.get("APP_TIMEZONE") or DEFAULT_TIMEZONE)


def utcnow() -> datetime:
    """Now as stored in the database: naive UTC."""
    return _instant().replace(tzinfo=None)


def now() -> datetime:
    """Now in the business zone, naive (for display and for file names)."""
    return _instant().astimezone(zone()).replace(tzinfo=None)


def today() -> date:
    """Today's business date (in Beijing by default), for every deadline and cutoff."""
    return _instant().astimezone(zone()).date()


def to_beijing(moment: datetime | None) -> datetime | None:
    """A stored naive-UTC timestamp as wall time in the business zone (naive)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC).astimezone(zone()).replace(tzinfo=None)


def from_beijing(local: datetime) -> datetime:
    """A wall time in the business zone (naive, as people type it) as stored: naive UTC."""
    return local.replace(tzinfo=zone()).astimezone(UTC).replace(tzinfo=None)


def format_beijing(moment: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    local = to_beijing(moment)
    return local.strftime(pattern) if local else ""
