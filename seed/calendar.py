"""The working-day calendar (工作日历) for the years in use: China's public holidays on weekdays and the adjusted
working days (调休上班) on weekends, per the State Council's yearly notice (国务院办公厅关于部分节假日安排的通知).

``data/calendar_days.csv`` holds 2019–2026, taken from the ``chinesecalendar`` package (1.11.0, its latest
release on PyPI as of 2026-12-02; its 2026 data checked against the notice of 2025-11-04; 2019 is there for the
demo's archived 2019 batch). No source at hand has 2027 yet (the package stops at 2026), and no date is made up
here: a 查分 or 公示 period that reaches a year without any row in 工作日历 is refused
(``services.working_days.deadline``) with a message asking the admin to enter that year once the notice is out."""

import csv
from datetime import date

import sqlalchemy as sa

from admin_app.extensions import db
from models import CalendarDay
from seed.dictionaries import DATA


def rows() -> list[tuple[date, bool, str]]:
    """(day, working, note) of the data file, in order."""
    with open(DATA / "calendar_days.csv", encoding="utf-8", newline="") as handle:
        return [
            (date.fromisoformat(r["day"]), r["working"] == "1", r["note"]) for r in csv.DictReader(handle)
        ]


def load_calendar() -> int:
    """Add the days of the data file that are not in the calendar yet; days already there (the admin may have
    corrected them) are kept as they are. Not committed here."""
    known = set(db.session.scalars(sa.select(CalendarDay.day)))
    new = [
        CalendarDay(day=day, working=working, note=note) for day, working, note in rows() if day not in known
    ]
    db.session.add_all(new)
    return len(new)
