"""查分 asked twice at the same moment for one registration (PostgreSQL, two connections): exactly one request is
recorded, the other is told that one is already waiting. ``rechecks.request_recheck`` locks the registration row
(SELECT … FOR UPDATE) before it looks for an open request, so the second waits for the first to commit and then
sees its request."""

import threading
import time
from datetime import datetime

import pytest
import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.services import rechecks
from admin_app.services.validators import InvalidInput
from admin_app.workflow.states import RecheckState
from models import AuditLog, ScoreRecheck, User
from tests import factories
from tests.integration.test_clock import at_beijing
from tests.integration.test_recheck import published

OPEN_ALREADY = "该考生已有待复核的查分申请，请等待市职鉴中心答复"


@pytest.mark.parametrize("same_user", [False, True], ids=["two users of the unit", "the same user twice"])
def test_two_requests_at_once_leave_exactly_one(app, world, monkeypatch, same_user):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row-level concurrency is proven on PostgreSQL (SQLite serialises writers)")
    reg = published(world)
    unit = world.units["A"]
    second_user = world.users["unit"] if same_user else factories.add_user("unit_a_second", unit)
    db.session.commit()
    user_ids = [world.users["unit"].id, second_user.id]
    reg_id = reg.id
    at_beijing(monkeypatch, datetime(2026, 2, 24, 9, 0))

    # The first request, after it found no open request and before it commits, lets the second one start and
    # takes a while: without the lock the second would find nothing either and both would be recorded.
    checked = threading.Event()
    original = rechecks.open_request

    def slow_open_request(registration_id):
        found = original(registration_id)
        if threading.current_thread().name == "first":
            checked.set()
            time.sleep(1.0)
        return found

    monkeypatch.setattr(rechecks, "open_request", slow_open_request)
    outcomes = {}

    def ask(name, user_id, wait=None):
        with app.app_context():
            if wait is not None:
                assert wait.wait(10)
            try:
                made = rechecks.request_recheck(db.session.get(User, user_id), reg_id, f"理由（{name}）")
                outcomes[name] = ("recorded", made.id)
            except InvalidInput as exc:
                outcomes[name] = ("refused", str(exc))
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=ask, args=("first", user_ids[0]), name="first"),
        threading.Thread(target=ask, args=("second", user_ids[1], checked), name="second"),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert outcomes["first"][0] == "recorded", outcomes
    assert outcomes["second"] == ("refused", OPEN_ALREADY), outcomes
    db.session.expire_all()
    rows = db.session.scalars(sa.select(ScoreRecheck).where(ScoreRecheck.registration_id == reg_id)).all()
    assert [(r.id, r.state, r.reason) for r in rows] == [
        (outcomes["first"][1], RecheckState.REQUESTED, "理由（first）")
    ]
    audited = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "recheck_requested")).all()
    assert len(audited) == 1
