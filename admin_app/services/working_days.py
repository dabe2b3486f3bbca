"""Working days (工作日) as China counts them: Monday to Friday, except public holidays, plus the adjusted
working days (调休上班) on weekends. The exceptions are rows of ``calendar_day`` (seeded per year, corrected by
the admin); every other day follows the weekly rule. Deadlines of 查分 and 公示 are counted here, on Beijing
dates (``clock.today()``)."""

from datetime import date, timedelta

import sqlalchemy as sa

from admin_app.extensions import db
from models import CalendarDay

# A run of non-working days is never longer than this (春节 with its weekends is 9): a bound on every loop.
LONGEST_BREAK = 40


def _exceptions(start: date, end: date) -> dict[date, bool]:
    rows = db.session.execute(
        sa.select(CalendarDay.day, CalendarDay.working).where(CalendarDay.day.between(start, end))
    )
    return {day: working for day, working in rows}


def _weekly(day: date) -> bool:
    return day.weekday() < 5


def is_working(day: date) -> bool:
    """Whether ``day`` is a working day."""
    return _exceptions(day, day).get(day, _weekly(day))


def add(day: date, n: int) -> date:
    """The ``n``-th working day after ``day`` (``n`` ≥ 1); ``add(d, 0)`` is ``d`` itself if it is a working
    day, else the next one. One query for the whole span."""
    if n < 0:
        raise ValueError("n must be >= 0")
    span_end = day + timedelta(days=n * 2 + LONGEST_BREAK)
    exceptions = _exceptions(day, span_end)
    current, left = day, n
    if left == 0:
        while not exceptions.get(current, _weekly(current)):
            current += timedelta(days=1)
        return current
    while left:
        current += timedelta(days=1)
        if current > span_end:  # a calendar with an impossibly long break: extend the span once more
            exceptions.update(_exceptions(current, current + timedelta(days=n * 2 + LONGEST_BREAK)))
            span_end = current + timedelta(days=n * 2 + LONGEST_BREAK)
        if exceptions.get(current, _weekly(current)):
            left -= 1
    return current


def count(start: date, end: date) -> int:
    """Working days in ``start``..``end`` (both included; 0 when ``end`` < ``start``)."""
    if end < start:
        return 0
    exceptions = _exceptions(start, end)
    days = (end - start).days + 1
    return sum(
        1
        for offset in range(days)
        if exceptions.get(start + timedelta(days=offset), _weekly(start + timedelta(days=offset)))
    )
