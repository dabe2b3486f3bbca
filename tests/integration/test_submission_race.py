"""提交审核 counts the post quota across the rows of one request under a lock of the unit's row: the rows that
pass are committed together, so another submission of the same unit waits and counts them (PostgreSQL)."""

import threading
import time

import pytest

from admin_app import workflow
from admin_app.extensions import db
from admin_app.workflow import applications as application_stage
from admin_app.workflow.states import ApplicationState
from models import Application, enums
from tests.factories import add_application, add_worker
from tests.integration.test_applications import fresh, open_posts


def test_a_submission_waits_for_the_rows_of_another_one_of_the_same_unit(app, world, monkeypatch):
    """Request 1 submits an exempt application and one that takes the last post (two groups of rows);
    request 2 submits another one for that post while request 1 is between its groups. Committing group by
    group would let request 2 count the post as free; committed together, request 2 waits and is refused."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row-level concurrency is proven on PostgreSQL (SQLite serialises writers)")
    unit, exempt = fresh(world, "sr", enums.CAT_DISTRICT)
    open_posts(world, unit, approved=2, current=1)  # one vacant post per grade
    for assessment in exempt.worker.assessments:
        if assessment.year in (2016, 2017, 2018):
            assessment.result = "excellent"  # 3×优秀: not counted against the quota
    db.session.flush()
    taker = add_application(world, add_worker(unit, "占岗者", 150, world.trade, world.batch))
    rival = add_application(world, add_worker(unit, "另一人", 151, world.trade, world.batch))
    db.session.commit()
    assert exempt.id < taker.id  # request 1's groups: the exempt one first, then the taker
    user_id = unit.users[0].id
    between_groups = threading.Event()
    original = application_stage.record

    def slow_record(ctx, source, step, ids, members):
        original(ctx, source, step, ids, members)
        if exempt.id in ids:  # request 1, after its first group: let request 2 start, and take a while
            between_groups.set()
            time.sleep(1.0)

    monkeypatch.setattr(application_stage, "record", slow_record)
    results = {}

    def submit(name, ids, wait=None):
        with app.app_context():
            from models import User

            if wait is not None:
                assert wait.wait(10)
            results[name] = workflow.submit(db.session.get(User, user_id), ids)

    threads = [
        threading.Thread(target=submit, args=("first", [taker.id, exempt.id])),
        threading.Thread(target=submit, args=("second", [rival.id], between_groups)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {i for i, _label in results["first"].done} == {taker.id, exempt.id}
    assert not results["second"].done and "超过1:1限额" in results["second"].refused[0][2]
    db.session.expire_all()
    assert db.session.get(Application, rival.id).status == ApplicationState.DRAFT
