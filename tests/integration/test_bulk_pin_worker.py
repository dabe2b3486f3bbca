"""A pinned 「全部符合筛选条件」 decision killed mid-way in a real worker process (``flask worker``, issue 19 point 1):
渝中区 approves ROWS applications as a background job (BULK_JOB_ROWS lowered for the request; the worker decides
CHUNK rows per engine call, from its environment); its work horse is SIGKILLed once the first chunk has committed —
on PostgreSQL while the next chunk's UPDATE waits on a row lock inside its open transaction. A worker started again
ends the job 失败 with a Chinese message that counts the rows decided and says the rest were not. Every row is
decided whole (its new state, its review row and its audit row) or untouched (old state, no review, no audit); the
decided rows are whole chunks at the head of the pinned order, as many as the message says; a new confirmation
page offers the rest."""

import re

import pytest
import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.services import bulk_pins, jobs
from admin_app.workflow.states import ApplicationState, JobState
from models import ApplicationReview, AuditLog, BulkPin, Job, enums
from tests.conftest import login
from tests.integration.test_bulk_pin_jobs import queue_decision
from tests.integration.test_bulk_pins import WAITING, shown_count, statuses, waiting_at_yuzhong
from tests.integration.test_download_jobs import queue  # noqa: F401  (the fixture)
from tests.integration.test_download_worker import job_row, kill_when
from tests.pinned import confirm_all
from tests.processes import run_burst_worker

ROWS, CHUNK = 200, 10  # twenty chunks: the job is still deciding when the first one is seen committed
COUNTED = re.compile(
    r"^处理该任务的后台进程意外停止：已处理(\d+)条（已保存），其余(\d+)条未处理，请在列表中查看并重新操作$"
)


def per_row(model_column, ids, *where) -> dict:
    """{id: rows of ``model_column``'s table naming it} for ``ids``."""
    found = db.session.execute(
        sa.select(model_column, sa.func.count()).where(model_column.in_(ids), *where).group_by(model_column)
    )
    return {int(key): count for key, count in found.all()}


@pytest.mark.usefixtures("queue")
def test_a_decision_killed_mid_way_leaves_every_row_decided_whole_or_untouched(
    app, client, world, monkeypatch
):
    ids = waiting_at_yuzhong(world, "kill", ROWS, 600)
    owner = world.users[enums.DISTRICT_HR].id
    monkeypatch.setitem(app.config, "BULK_JOB_ROWS", ROWS // 2)
    login(client, "yuzhong_hr")
    token, response = queue_decision(client, search="kill")
    assert response.status_code == 302 and response.headers["Location"].endswith("/downloads/")
    job_id = db.session.scalar(sa.select(Job.id))
    pinned = bulk_pins.ids_of(db.session.scalars(sa.select(BulkPin).where(BulkPin.token == token)).one())
    db.session.rollback()
    assert sorted(pinned) == sorted(ids)

    if db.engine.dialect.name == "postgresql":
        # The second chunk's UPDATE waits on a row the test holds: the horse is killed inside that transaction.
        with db.engine.connect() as blocker:
            held = pinned[CHUNK + CHUNK // 2]
            blocker.execute(sa.text("SELECT id FROM application WHERE id = :id FOR UPDATE"), {"id": held})
            waiting = sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )

            def next_chunk_waits():  # a connection of its own: pg_stat_activity is frozen inside a transaction
                with db.engine.connect() as look:
                    return look.execute(waiting).scalar()

            kill_when(app, job_id, next_chunk_waits, "the second chunk to wait", BULK_JOB_CHUNK=str(CHUNK))
            blocker.rollback()
    else:
        progress = jobs.redis_connection(), jobs._key(job_id, "progress")

        def first_chunk_committed():  # reported right after the chunk's commit
            done = progress[0].hget(progress[1], "done")
            return done is not None and int(done) >= CHUNK

        kill_when(app, job_id, first_chunk_committed, "the first chunk to commit", BULK_JOB_CHUNK=str(CHUNK))

    # A worker started again: its upkeep finds the dead job at once (same host, pid gone) and counts what it did.
    assert run_burst_worker(app, 90, JOB_STALE_SECONDS="5").returncode == 0
    dead = job_row(job_id)
    assert (dead.state, dead.stored_name) == (JobState.FAILED, None)
    counted = COUNTED.match(dead.error or "")
    assert counted, dead.error
    said_decided, said_rest = int(counted.group(1)), int(counted.group(2))

    state = statuses(ids)
    reviews = per_row(ApplicationReview.application_id, ids)
    audits = per_row(
        AuditLog.object_id, [str(i) for i in ids], AuditLog.user_id == owner, AuditLog.to_state.is_not(None)
    )
    decided = {i for i in ids if state[i] != WAITING}
    for i in ids:
        if i in decided:  # its state, its review row and its audit row, committed together
            assert (state[i], reviews.get(i), audits.get(i)) == (ApplicationState.APPROVED, 2, 1), i
        else:  # as the unit submitted it: no decision, no review of one, no audit of one
            assert (reviews.get(i), audits.get(i)) == (1, None), i
    assert 0 < len(decided) < ROWS and len(decided) % CHUNK == 0, len(decided)
    assert decided == set(pinned[: len(decided)])  # whole chunks, in the pinned order
    if db.engine.dialect.name == "postgresql":
        assert len(decided) == CHUNK  # the second chunk died inside its transaction: nothing of it kept
    assert (said_decided, said_rest) == (len(decided), ROWS - len(decided))

    page = client.get("/downloads/").get_data(as_text=True)
    assert dead.error in page and client.get(f"/downloads/details/?id={job_id}").status_code == 200
    assert client.get(f"/downloads/download/?id={job_id}").status_code == 404
    # The list offers the rest: a new 「全部符合筛选条件」 pins exactly the rows not decided.
    assert shown_count(confirm_all(client, "/review_queue", "approve", "search=kill")[0]) == ROWS - len(
        decided
    )
