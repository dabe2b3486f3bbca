"""Business dates are Beijing dates, from the one clock, whatever zone the server process runs in."""

import os
import pathlib
import re
import time
from datetime import UTC, date, datetime, timedelta

import pytest

from admin_app import workflow
from admin_app.config import ConfigError, load_config
from admin_app.extensions import db
from admin_app.services import clock
from admin_app.workflow.states import ApplicationState
from models import Application, enums
from tests.integration.test_batch_lifecycle import fresh

ROOT = pathlib.Path(__file__).resolve().parents[2]
# Asking the operating system for the date or time, anywhere but the clock itself.
SYSTEM_CLOCK = re.compile(r"\b(date\.today|datetime\.(now|utcnow|today)|time\.time)\(")


def test_nothing_but_the_clock_reads_the_system_date_or_time():
    offenders = []
    for folder in ("admin_app", "views", "models", "seed", "migrations"):
        for path in (ROOT / folder).rglob("*.py"):
            if path == ROOT / "admin_app/services/clock.py":
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if SYSTEM_CLOCK.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert SYSTEM_CLOCK.search("x = date.today()")  # the pattern itself finds what it looks for
    assert offenders == [], "use admin_app.services.clock:\n" + "\n".join(offenders)


@pytest.fixture
def server_in_utc():
    """The process's own zone is UTC (as on most servers), so only the clock can give Beijing dates."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if saved is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = saved
    time.tzset()


def at_beijing(monkeypatch, moment: datetime) -> None:
    """Freeze the one clock at ``moment`` (Beijing wall time)."""
    instant = (moment - timedelta(hours=8)).replace(tzinfo=UTC)
    monkeypatch.setattr(clock, "_instant", lambda: instant)


def test_beijing_date_differs_from_the_utc_date_after_four_in_the_afternoon_utc(app, monkeypatch):
    at_beijing(monkeypatch, datetime(2026, 7, 24, 0, 30))
    with app.app_context():
        assert clock.today() == date(2026, 7, 24)
        assert clock.utcnow() == datetime(2026, 7, 23, 16, 30)
        assert clock.now() == datetime(2026, 7, 24, 0, 30)
        assert clock.format_beijing(datetime(2026, 7, 23, 16, 30)) == "2026-07-24 00:30"


def test_submission_at_half_past_midnight_beijing_after_the_deadline_is_refused(
    world, monkeypatch, server_in_utc
):
    unit, app = fresh(world, "midnight", enums.CAT_DISTRICT)
    deadline = date(2026, 7, 23)
    world.batch.apply_deadline = deadline
    world.batch.grace_days = 0
    db.session.commit()

    # 00:30 on the 24th in Beijing is 16:30 on the 23rd in UTC: the server's own date is still the deadline.
    at_beijing(monkeypatch, datetime(2026, 7, 24, 0, 30))
    assert clock._instant().date() == deadline  # the UTC date, which a zone-naive check would use
    assert time.strftime("%Z") == "UTC"
    result = workflow.submit(unit.users[0], [app.id])
    assert not result.done
    assert "已于2026-07-23截止申报" in result.refused[0][2]
    assert db.session.get(Application, app.id).status == ApplicationState.DRAFT

    # Ten minutes before midnight in Beijing on the deadline day: accepted.
    at_beijing(monkeypatch, datetime(2026, 7, 23, 23, 50))
    assert workflow.submit(unit.users[0], [app.id]).done


def test_timestamps_are_stored_in_utc_and_shown_in_beijing(world, monkeypatch):
    unit, app = fresh(world, "stamp", enums.CAT_DISTRICT)
    at_beijing(monkeypatch, datetime(2026, 7, 20, 9, 15))
    assert workflow.submit(unit.users[0], [app.id]).done
    stored = db.session.get(Application, app.id).submitted_at
    assert stored == datetime(2026, 7, 20, 1, 15)
    assert clock.format_beijing(stored) == "2026-07-20 09:15"


def test_the_business_zone_is_configurable_and_checked(tmp_path):
    assert load_config(str(tmp_path), {})["APP_TIMEZONE"] == "Asia/Shanghai"
    assert (
        load_config(str(tmp_path), {"APP_TIMEZONE": "Asia/Urumqi"})["BABEL_DEFAULT_TIMEZONE"] == "Asia/Urumqi"
    )
    with pytest.raises(ConfigError, match="APP_TIMEZONE"):
        load_config(str(tmp_path), {"APP_TIMEZONE": "Mars/Olympus"})
