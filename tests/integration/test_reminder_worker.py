"""The scheduler is the worker (issue 19 point 5): a real ``flask worker`` process sends the day's reminders on its
maintenance beat, once, and a second worker started the same day sends nothing again."""

import os
import signal

from admin_app.extensions import db
from admin_app.services import clock
from models import Notification, ReminderDay, ReminderSent
from tests.integration.test_download_jobs import queue  # noqa: F401  (the fixture)
from tests.integration.test_download_worker import start_worker


def run_burst_worker(app) -> None:
    worker = start_worker(app, "--burst")
    try:
        assert worker.wait(90) == 0
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)


def test_a_real_worker_sends_the_days_reminders_once(app, world, queue, monkeypatch):  # noqa: F811
    monkeypatch.setenv("REMINDER_TIME", "00:00")  # whatever the hour the tests run at
    run_burst_worker(app)
    db.session.expire_all()
    digest = Notification.query.filter_by(kind="reminder_review_digest").all()
    assert [m.organisation_id for m in digest] == [world.users["district_hr_b"].organisation_id]
    assert db.session.get(ReminderDay, clock.today()) is not None
    run_burst_worker(app)  # a second worker, the same day
    db.session.expire_all()
    assert Notification.query.filter_by(kind="reminder_review_digest").count() == 1
    assert ReminderSent.query.count() == 1
