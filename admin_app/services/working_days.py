"""Working days (工作日) as China counts them: Monday to Friday, except public holidays, plus the adjusted
working days (调休上班) on weekends. The exceptions are rows of ``calendar_day`` (seeded per year, corrected by
the admin); every other day follows the weekly rule. Deadlines of 查分 and 公示 are counted here, on Beijing
dates (``clock.today()``), by ``deadline``: it refuses to count through a year that has no row in the calendar
(its holidays not entered yet — the weekly rule alone would give a wrong date that looks right)."""

from datetime import date, timedelta

import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.services.validators import InvalidInput
from models import CalendarDay

# A run of non-working days is never longer than this (春节 with its weekends is 9): a bound on every loop.
LONGEST_BREAK = 40


class CalendarMissing(InvalidInput):
    """A deadline counted in working days reaches a year whose holidays are not in 工作日历 (Chinese message)."""


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


def missing_years(start: date, end: date) -> list[int]:
    """The years of ``start``..``end`` without any row in the calendar (holidays not entered), in order."""
    return [
        year
        for year in range(start.year, end.year + 1)
        if db.session.scalar(
            sa.select(CalendarDay.day)
            .where(CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31)))
            .limit(1)
        )
        is None
    ]


def deadline(start: date, n: int, what: str) -> date:
    """``add(start, n)``, the last day of a period of ``n`` working days; raises CalendarMissing naming ``what``
    (查分截止日期, 公示期) and the years from ``start`` to that day that the admin has yet to enter in 工作日历."""
    end = add(start, n)
    missing = missing_years(start, end)
    if missing:
        years = "、".join(f"{year}年" for year in missing)
        raise CalendarMissing(
            f"{what}按工作日计算，但工作日历中还没有{years}的放假和调休安排，无法确定；"
            f"请系统管理员先在“系统管理 → 工作日历”中录入{years}的节假日和调休上班日"
        )
    return end
