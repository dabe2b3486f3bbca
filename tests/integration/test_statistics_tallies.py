"""The tallies of 统计分析 equal the live GROUP BY of the rows after every kind of write — each transition of
the workflow, ORM edits, set-based UPDATE and DELETE — and under two sessions moving rows of one tally row at
once (PostgreSQL); ``flask statistics-rebuild`` finds and repairs a tally that drifted (both databases)."""

import threading
import time

import pytest
import sqlalchemy as sa

from admin_app import workflow
from admin_app.extensions import db
from admin_app.services import statistics, tallies
from admin_app.services.audit import CHAIN_LOCK
from admin_app.services.eligibility import Vote
from admin_app.workflow.states import ApplicationState, ExamCategory, RegistrationState
from models import Application, ApplicationTally, Registration, RegistrationTally, User, enums
from tests.factories import PNG, add_material, put_on_ended_notice
from tests.integration.test_applications import approve_with_material, fresh
from tests.integration.test_exam_pipeline import PDF, Upload, register_and_pay, scores


def assert_exact(step: str) -> None:
    """Every tally equals the GROUP BY of the rows (and the rows are there: the check is not of empties)."""
    diff = tallies.differences(db.session.connection())
    assert not any(diff.values()), (step, {name: rows[:5] for name, rows in diff.items() if rows})
    counted = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(ApplicationTally.n), 0)))
    assert counted == db.session.scalar(sa.select(sa.func.count()).select_from(Application)), step


def submitted(world, key, grade=3, seq=400):
    unit, app = fresh(world, key, enums.CAT_DISTRICT, grade=grade, seq=seq)
    assert_exact(f"{key}: draft inserted")
    assert workflow.submit(unit.users[0], [app.id]).done
    assert_exact(f"{key}: submit")
    return unit, app


def through_review(world, app, key):
    db.session.expire_all()
    app = db.session.get(Application, app.id)
    for role in app.route_steps:
        assert approve_with_material(world, app, role).done
        db.session.expire_all()
        assert_exact(f"{key}: approve at {role}")
    return db.session.scalar(sa.select(Registration).where(Registration.application_id == app.id))


def test_tallies_equal_the_rows_after_every_transition(world):
    hr, office, center = (world.users[r] for r in (enums.DISTRICT_HR, enums.OFFICE, enums.CENTER))
    assert_exact("the world as built by the factories")

    unit, app = submitted(world, "t1", grade=2, seq=400)
    assert workflow.withdraw(unit.users[0], [app.id]).done
    assert_exact("withdraw")
    assert workflow.submit(unit.users[0], [app.id]).done
    assert_exact("submit again")
    assert workflow.return_for_revision(hr, [app.id], "请补充业绩", ["achievements"]).done
    assert_exact("return for revision")
    assert workflow.resubmit(unit.users[0], [app.id]).done
    assert_exact("resubmit")
    reg = through_review(world, app, "t1")
    assert reg is not None and reg.status == RegistrationState.UNREGISTERED
    register_and_pay(world, unit, reg)
    assert_exact("register, confirm registration, confirm fee")
    assert workflow.enter_scores(center, [scores(reg.id, "80", "80", review="80")]) == {}
    assert_exact("scores")
    assert workflow.publish_batch(center, reg.batch_id).result.done
    assert_exact("scores published")
    assert workflow.evaluate(office, [reg.id], "pass", Vote(9, 7, 5, 2, 0)).done
    assert_exact("evaluation")
    put_on_ended_notice(reg)
    assert workflow.recognise(office, [reg.id]).done
    assert_exact("recognition")

    _unit, rejected = submitted(world, "t2", seq=410)
    assert workflow.decide(hr, [rejected.id], "reject", "不符合申报条件").done
    assert_exact("reject")

    unit3, returned = submitted(world, "t3", seq=420)
    reg3 = through_review(world, returned, "t3")
    register_and_pay(world, unit3, reg3)
    assert workflow.enter_scores(center, [scores(reg3.id, None, None, absent=True)]) == {}
    assert_exact("absent")

    unit4, app4 = submitted(world, "t4", seq=430)
    reg4 = through_review(world, app4, "t4")
    workflow.register(
        unit4.users[0],
        reg4,
        phone="13800002222",
        voluntary_training=False,
        exam_category=ExamCategory.BOTH,
        remarks=None,
        photo=Upload(PNG, "照片.png"),
        id_copy=Upload(PDF, "身份证.pdf"),
    )
    assert workflow.return_registrations(office, [reg4.id], "照片不清晰").done
    assert_exact("registration returned")

    unit5, draft = fresh(world, "t5", enums.CAT_DISTRICT, seq=440)
    workflow.delete_draft(unit5.users[0], draft)
    assert_exact("draft deleted")

    # Writers outside the workflow: an ORM edit of a counted fact, set-based UPDATE and DELETE.
    db.session.get(Application, rejected.id).applied_grade = 4
    db.session.commit()
    assert_exact("ORM edit of 申报等级")
    db.session.execute(sa.update(Application).values(org_category=None, jurisdiction_id=None))
    db.session.execute(sa.update(Registration).values(score_result=None, org_category=None))
    db.session.commit()
    assert_exact("set-based UPDATE to NULLs")
    db.session.execute(sa.delete(Registration).where(Registration.id == reg3.id))
    db.session.commit()
    assert_exact("DELETE")


def _pending_at_district(world, count: int) -> list[int]:
    """``count`` applications of one 区县, 组织类别, 等级 and 工种 (one tally row) waiting at the bureau."""
    ids = []
    for i in range(count):
        unit, app = fresh(world, f"c{i}", enums.CAT_DISTRICT, seq=500 + i)
        add_material(app)
        db.session.commit()
        assert workflow.submit(unit.users[0], [app.id]).done
        ids.append(app.id)
    return ids


def test_two_reviewers_approving_rows_of_one_tally_row_at_once_stay_exact(app, world):
    """Two sessions move rows that share tally rows, one row per transaction, at the same time: every
    approval lands once and the tallies equal the rows (PostgreSQL: the tally row's lock orders them)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row-level concurrency is proven on PostgreSQL (SQLite serialises writers)")
    ids = _pending_at_district(world, 16)
    hr_id = world.users[enums.DISTRICT_HR].id
    done, errors = [], []

    def approve(mine):
        with app.app_context():
            try:
                for row_id in mine:
                    done.extend(workflow.decide(db.session.get(User, hr_id), [row_id], "approve", None).done)
            except Exception as exc:  # reported below: a deadlock or a lost update fails the test
                errors.append(exc)

    threads = [threading.Thread(target=approve, args=(ids[i::2],)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(done) == len(ids)
    db.session.expire_all()
    assert_exact("two reviewers at once")
    statuses = {db.session.get(Application, i).status for i in ids}
    assert len(statuses) == 1 and _tallied(db.session.get(Application, ids[0])) == len(ids)


def _tallied(row, status=None) -> int:
    """The count of the application tally row that ``row`` is counted in (with ``status``, if given)."""
    t = ApplicationTally
    return db.session.scalar(
        sa.select(t.n).where(
            t.batch_id == row.batch_id,
            t.jurisdiction_id == row.jurisdiction_id,
            t.org_category == row.org_category,
            t.applied_grade == row.applied_grade,
            t.status == (status or row.status),
        )
    )


def test_a_writer_waits_for_the_tally_row_of_another_and_a_rollback_counts_nothing(app, world):
    """Session 1 moves rows and holds its transaction open; session 2 moving rows of the same tally row
    waits for it (for the lock the tallies are written under); session 1 rolls back: only session 2's rows
    are counted (PostgreSQL)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row-level concurrency is proven on PostgreSQL (SQLite serialises writers)")
    ids = _pending_at_district(world, 4)
    approved = ApplicationState.APPROVED
    move = "UPDATE application SET status = :status WHERE id = ANY(:ids)"
    second_done = threading.Event()
    engine = db.engine

    def second():
        with engine.begin() as conn:
            conn.execute(sa.text(move), {"status": approved, "ids": ids[2:]})
        second_done.set()

    with engine.connect() as first:
        first.execute(sa.text(move), {"status": approved, "ids": ids[:2]})
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.5)
        assert not second_done.is_set()  # waiting for session 1's lock on the tally row
        first.rollback()
    thread.join(10)
    assert second_done.is_set()
    db.session.expire_all()
    assert_exact("one rolled back, one committed")
    assert _tallied(db.session.get(Application, ids[0]), approved) == 2


def test_a_counted_write_then_an_audit_write_does_not_deadlock_with_the_reverse_order(app, world):
    """Session 1 moves a row, then writes audit rows (as a unit's 报名 does); session 2 takes the audit chain's
    lock first, then moves a row counted in the same tally rows (as a final approval creating 考试报名 rows
    after its audit write). Tally rows locked outside the chain's lock would deadlock these two; both commit
    and the tallies are exact (PostgreSQL)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row-level concurrency is proven on PostgreSQL (SQLite serialises writers)")
    ids = _pending_at_district(world, 2)
    approved = ApplicationState.APPROVED
    move = sa.text("UPDATE application SET status = :status WHERE id = ANY(:ids)")
    chain = sa.select(sa.func.pg_advisory_xact_lock(CHAIN_LOCK))
    engine, errors = db.engine, []

    def second():
        try:
            with engine.begin() as conn:
                conn.execute(chain)
                conn.execute(move, {"status": approved, "ids": ids[1:]})
        except Exception as exc:  # a deadlock: reported below
            errors.append(exc)

    with engine.connect() as first:
        first.execute(move, {"status": approved, "ids": ids[:1]})
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.5)
        first.execute(chain)  # its audit rows
        first.commit()
    thread.join(10)
    assert not thread.is_alive() and not errors, errors
    db.session.expire_all()
    assert_exact("both committed")
    assert _tallied(db.session.get(Application, ids[0])) == 2


def _numbers(user, batch_id):
    return [t.rows for t in statistics.all_tables(db.session, user, batch_id)]


def test_rebuild_finds_and_repairs_a_tally_that_drifted(app, world):
    """Counts changed behind the triggers' back (as a restore of one table would): ``--check`` reports them
    and exits 1, the page shows them, ``statistics-rebuild`` restores the counts of the rows."""
    unit, app_row = fresh(world, "d1", enums.CAT_DISTRICT)
    assert workflow.submit(unit.users[0], [app_row.id]).done
    office = world.users[enums.OFFICE]
    before = _numbers(office, world.batch.id)
    db.session.execute(sa.update(ApplicationTally).values(n=ApplicationTally.n + 5))
    db.session.execute(sa.delete(RegistrationTally))
    db.session.commit()
    assert _numbers(office, world.batch.id) != before
    runner = app.test_cli_runner()
    checked = runner.invoke(args=["statistics-rebuild", "--check"])
    assert checked.exit_code == 1 and "application_tally" in checked.output
    rebuilt = runner.invoke(args=["statistics-rebuild"])
    assert rebuilt.exit_code == 0, rebuilt.output
    db.session.expire_all()
    assert_exact("after the rebuild")
    assert _numbers(office, world.batch.id) == before
    assert runner.invoke(args=["statistics-rebuild", "--check"]).exit_code == 0
