"""Bulk audit rows (``audit.record_many``) hash exactly as the chain's check recomputes them, row by row,
whatever their object ids and opinions hold (the JSON around the object id is made once per batch)."""

import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.services import audit
from models import AuditLog, enums

ODD_IDS = ["1", '引号"与\\反斜杠', "换行\n", audit._OBJECT, "中文编号", "9" * 40]


def test_bulk_rows_chain_as_the_check_recomputes_them(world):
    user = world.users[enums.OFFICE]
    items = [
        {"object_id": object_id, "from_state": "a", "to_state": "b", "opinion": opinion}
        for object_id in ODD_IDS
        # the same opinion for many rows, and opinions holding what the shared text stands in with
        for opinion in ("同意", None, f"含{audit._OBJECT}的意见", 'a"b')
    ]
    audit.record_many("bulk_test", "Application", items, user=user, ip="10.0.0.1")
    db.session.commit()

    rows = db.session.scalars(
        sa.select(AuditLog).where(AuditLog.action == "bulk_test").order_by(AuditLog.id)
    ).all()
    assert len(rows) == len(items)
    for row in rows:
        values = {field: getattr(row, field) for field in audit.HASHED_FIELDS}
        assert row.row_hash == audit.row_digest(values, row.prev_hash)
    assert audit.verify_chain()[1] is None
