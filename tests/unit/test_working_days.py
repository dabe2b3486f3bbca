"""Working days as China counts them, on the seeded calendar (services/working_days.py, seed/calendar.py): the
Spring Festival's days off are not counted, its 调休 Saturdays are."""

from datetime import date

import pytest

from admin_app.extensions import db
from admin_app.services import working_days
from models import CalendarDay
from seed import calendar


@pytest.fixture
def seeded(ctx):
    assert calendar.load_calendar() > 0
    db.session.commit()


def test_spring_festival_2026_days_off_are_not_working_days(seeded):
    # 2月15日至23日放假调休 (国务院办公厅 2025-11-04): the weekdays among them are off.
    for day in (16, 17, 18, 19, 20, 23):
        assert not working_days.is_working(date(2026, 2, day)), day
    assert working_days.is_working(date(2026, 2, 24))


def test_adjusted_saturdays_are_working_days(seeded):
    assert working_days.is_working(date(2026, 2, 14))  # 春节调休上班 (Saturday)
    assert working_days.is_working(date(2026, 2, 28))  # 春节调休上班 (Saturday)
    assert not working_days.is_working(date(2026, 2, 7))  # an ordinary Saturday


def test_ten_working_days_across_the_spring_festival(seeded):
    # From Thursday 12 February 2026: 13 Fri, 14 Sat (调休), 24–27, 28 Sat (调休), 2–4 March.
    assert working_days.add(date(2026, 2, 12), 10) == date(2026, 3, 4)
    assert working_days.count(date(2026, 2, 13), date(2026, 3, 4)) == 10


def test_national_day_week_and_its_adjusted_days(seeded):
    assert working_days.add(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert working_days.is_working(date(2026, 10, 10))  # 国庆节调休上班 (Saturday)
    assert working_days.add(date(2026, 10, 9), 1) == date(2026, 10, 10)


def test_without_the_calendar_only_the_weekly_rule_counts(ctx):
    assert working_days.add(date(2026, 2, 12), 10) == date(2026, 2, 26)


def test_add_zero_is_the_day_itself_or_the_next_working_day(seeded):
    assert working_days.add(date(2026, 2, 12), 0) == date(2026, 2, 12)
    assert working_days.add(date(2026, 2, 15), 0) == date(2026, 2, 24)
    with pytest.raises(ValueError):
        working_days.add(date(2026, 2, 12), -1)


def test_count_of_an_empty_span_is_zero(seeded):
    assert working_days.count(date(2026, 3, 4), date(2026, 3, 3)) == 0


def test_the_seed_holds_every_year_in_use_and_keeps_corrections(seeded):
    years = {row.year for row in db.session.scalars(db.select(CalendarDay.day))}
    assert set(range(2019, 2027)) <= years
    row = db.session.scalar(db.select(CalendarDay).where(CalendarDay.day == date(2026, 2, 23)))
    row.working, row.note = True, "更正"
    db.session.commit()
    assert calendar.load_calendar() == 0  # nothing added, the correction kept
    assert working_days.is_working(date(2026, 2, 23))


def test_every_seeded_day_differs_from_the_weekly_rule():
    for day, working, note in calendar.rows():
        assert working == (day.weekday() >= 5), (day, note)
        assert note.endswith("放假") != working, (day, note)


def test_a_deadline_reaching_a_year_without_its_calendar_is_refused(seeded):
    """The seed stops at 2026 (no source has 2027's notice yet): a period that reaches 2027 is not counted on the
    weekly rule alone — the admin is told to enter 2027 in 工作日历; once entered, it is counted."""
    assert working_days.missing_years(date(2026, 1, 1), date(2026, 12, 31)) == []
    assert working_days.deadline(date(2026, 12, 1), 10, "查分截止日期") == date(2026, 12, 15)
    with pytest.raises(working_days.CalendarMissing) as refused:
        working_days.deadline(date(2026, 12, 24), 10, "查分截止日期")
    message = str(refused.value)
    assert "查分截止日期" in message and "2027年" in message and "工作日历" in message
    assert working_days.missing_years(date(2026, 12, 24), date(2028, 1, 3)) == [2027, 2028]
    # The admin enters the year (here one day of it, as a test's stand-in for the State Council's notice).
    db.session.add(CalendarDay(day=date(2027, 1, 1), working=False, note="元旦放假"))
    db.session.commit()
    assert working_days.deadline(date(2026, 12, 24), 10, "查分截止日期") == date(2027, 1, 8)
