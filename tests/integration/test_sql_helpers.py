"""The set-based helpers behave like their plain forms on both databases (array parameter and COPY on
PostgreSQL)."""

from datetime import datetime

import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.services.sql import among, insert_rows
from models import Application, AuditLog


def test_among_selects_exactly_the_ids_given(world):
    ids = sorted(a.id for a in world.applications.values())
    wanted = ids[:2] + [10**9]  # one id that does not exist
    found = db.session.scalars(sa.select(Application.id).where(among(Application.id, wanted))).all()
    assert sorted(found) == ids[:2]
    assert db.session.scalars(sa.select(Application.id).where(among(Application.id, []))).all() == []


def test_insert_rows_keeps_every_value(world):
    moment = datetime(2026, 11, 24, 8, 30, 15, 123456)
    rows = [
        {
            "created_at": moment,
            "user_id": None,
            "username": "张三",
            "action": "test_copy",
            "object_type": "Application",
            "object_id": str(n),
            "opinion": '含\t制表符、换行\n、反斜杠\\和引号"' if n == 1 else None,
            "prev_hash": "0" * 64,
            "row_hash": f"{n:064d}",
        }
        for n in range(3)
    ]
    insert_rows(AuditLog.__table__, rows)
    stored = db.session.execute(
        sa.select(
            AuditLog.object_id, AuditLog.username, AuditLog.opinion, AuditLog.created_at, AuditLog.user_id
        )
        .where(AuditLog.action == "test_copy")
        .order_by(AuditLog.object_id)
    ).all()
    assert [tuple(r) for r in stored] == [
        (str(n), "张三", rows[n]["opinion"], moment, None) for n in range(3)
    ]
    db.session.rollback()
