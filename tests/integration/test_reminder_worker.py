"""The scheduler is the worker (issue 19 point 5): a real ``flask worker`` process sends the day's reminders on its
maintenance beat, once, and a second worker started the same day sends nothing again."""

from admin_app.extensions import db
from admin_app.services import clock
from models import Notification, ReminderDay, ReminderSent
from tests.integration.test_download_jobs import queue  # noqa: F401  (the fixture)
from tests.processes import run_burst_worker


def test_a_real_worker_sends_the_days_reminders_once(app, world, queue, monkeypatch):  # noqa: F811
    monkeypatch.setenv("REMINDER_TIME", "00:00")  # whatever the hour the tests run at
    assert run_burst_worker(app, 90).returncode == 0
    db.session.expire_all()
    digest = Notification.query.filter_by(kind="reminder_review_digest").all()
    assert [m.organisation_id for m in digest] == [world.users["district_hr_b"].organisation_id]
    assert db.session.get(ReminderDay, clock.today()) is not None
    assert run_burst_worker(app, 90).returncode == 0  # a second worker, the same day
    db.session.expire_all()
    assert Notification.query.filter_by(kind="reminder_review_digest").count() == 1
    assert ReminderSent.query.count() == 1
