"""Time as the bureaus read it. Stored timestamps are naive UTC; people see Beijing time (UTC+8)."""

from datetime import datetime, timedelta

BEIJING_OFFSET = timedelta(hours=8)


def to_beijing(moment: datetime | None) -> datetime | None:
    return moment + BEIJING_OFFSET if moment else None


def format_beijing(moment: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    local = to_beijing(moment)
    return local.strftime(pattern) if local else ""
