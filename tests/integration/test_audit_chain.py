"""The audit log is tamper-evident: a hash chain that names the first broken row."""

import threading

import pytest
import sqlalchemy as sa

from admin_app import workflow
from admin_app.extensions import db
from admin_app.services import audit
from models import AuditLog, enums
from tests.integration.test_applications import fresh


def tamper(statement: str) -> None:
    """Change the table behind the application's back (PostgreSQL: past the append-only trigger)."""
    with db.engine.begin() as conn:
        postgres = conn.dialect.name == "postgresql"
        if postgres:
            conn.execute(sa.text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        conn.execute(sa.text(statement))
        if postgres:
            conn.execute(sa.text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))


def busy_world(world):
    unit, app = fresh(world, "链", enums.CAT_CITY_PARTY)
    workflow.submit(unit.users[0], [app.id])
    workflow.decide(world.users[enums.PARTY_ORG], [app.id], "reject", "材料不全")
    return app


def test_chain_is_valid_after_real_work(world):
    busy_world(world)
    checked, broken = audit.verify_chain()
    assert broken is None and checked >= 3
    rows = db.session.scalars(sa.select(AuditLog).order_by(AuditLog.id)).all()
    assert rows[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.row_hash for a, b in zip(rows, rows[1:], strict=False))


def test_an_edited_row_is_named(world):
    busy_world(world)
    target = db.session.scalar(sa.select(AuditLog.id).where(AuditLog.action == "application_reject"))
    db.session.rollback()
    tamper(f"UPDATE audit_log SET opinion = '同意' WHERE id = {target}")
    assert audit.verify_chain()[1] == target


def test_a_deleted_row_breaks_the_next_one(world):
    busy_world(world)
    ids = db.session.scalars(sa.select(AuditLog.id).order_by(AuditLog.id)).all()
    db.session.rollback()
    tamper(f"DELETE FROM audit_log WHERE id = {ids[1]}")
    assert audit.verify_chain()[1] == ids[2]


def test_cli_reports_and_fails(app, world):
    busy_world(world)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 0 and "校验通过" in result.output
    first = db.session.scalar(sa.select(sa.func.min(AuditLog.id)))
    db.session.rollback()
    tamper(f"UPDATE audit_log SET username = 'someone' WHERE id = {first}")
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 1 and f"第 {first} 号记录" in result.output


def test_postgresql_refuses_updates_and_deletes(world):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's")
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_log SET opinion = 'x'"))
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_log"))


def test_concurrent_writers_keep_one_chain(app, world):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers are a PostgreSQL matter (SQLite serialises them)")
    barrier = threading.Barrier(4)

    def write(n):
        with app.app_context():
            barrier.wait()
            for i in range(10):
                audit.record("load", object_type="Test", object_id=f"{n}-{i}")
                db.session.commit()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    checked, broken = audit.verify_chain()
    assert broken is None and checked >= 41


def test_migration_chains_rows_written_before_it(tmp_path):
    from flask_migrate import upgrade

    from admin_app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/old.db", "SECRET_KEY": "x"})
    with app.app_context():
        upgrade(revision="0003")
        with db.engine.begin() as conn:
            for n in range(3):
                conn.execute(
                    sa.text("INSERT INTO audit_log (created_at, action, username) VALUES (:t, :a, :u)"),
                    {"t": f"2021-07-0{n + 1} 10:00:00.000000", "a": "login", "u": f"user{n}"},
                )
        upgrade()
        assert audit.verify_chain() == (3, None)
