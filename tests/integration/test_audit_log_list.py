"""审计日志 at scale: newest first by 时间, only filters and sorts an index serves, times in Beijing time;
on PostgreSQL the filters are index ranges and the hot tables carry their autovacuum settings."""

import re
from datetime import datetime

import pytest
import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.services import audit
from models import AuditLog
from tests.conftest import login

OBJECT = re.compile(r'class="col-object_id">\s*(obj-\d+)')  # the 对象编号 cell of each row


def _audit_view(app):
    return next(v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", None) == "auditlog")


def _add(monkeypatch, user, action, object_id, at):
    """One audit row of ``user`` at ``at`` (stored UTC), chained as the app writes it."""
    monkeypatch.setattr(audit, "utcnow", lambda: at)
    audit.record(action, user=user, ip="10.0.0.1", object_type="Application", object_id=object_id)


def _listed(client, **args) -> list[str]:
    html = client.get("/auditlog/", query_string=args).get_data(as_text=True)
    return OBJECT.findall(html)


def _filter_args(app, wanted: list[tuple[str, str, str]]) -> dict:
    """URL arguments for [(label, operation, value)], as the page's 组合查询 sends them."""
    view = _audit_view(app)
    args = {}
    with app.test_request_context():
        for position, (label, operation, value) in enumerate(wanted):
            index = next(
                i
                for i, flt in enumerate(view._filters)
                if str(flt.name) == label and str(flt.operation()) == operation
            )
            args[f"flt{position}_{view.get_filter_arg(index, view._filters[index])}"] = value
    return args


@pytest.fixture
def log_rows(world, monkeypatch):
    """Rows of two people and two actions over two days (UTC), two of them at the same instant."""
    office, unit = world.users["office"], world.users["unit"]
    rows = [
        (office, "application_approve", "obj-1", datetime(2024, 3, 1, 1, 0)),  # 09:00 in Beijing
        (office, "export", "obj-2", datetime(2024, 3, 1, 2, 0)),
        (unit, "application_approve", "obj-3", datetime(2024, 3, 1, 3, 0)),
        (office, "application_approve", "obj-4", datetime(2024, 3, 1, 17, 0)),  # 3月2日 01:00 in Beijing
        (office, "application_approve", "obj-5", datetime(2024, 3, 1, 17, 0)),  # same instant: by id
        (office, "application_approve", "obj-6", datetime(2024, 2, 28, 9, 0)),
    ]
    for user, action, object_id, at in rows:
        _add(monkeypatch, user, action, object_id, at)
    db.session.commit()
    monkeypatch.undo()
    return rows


def test_newest_first_ties_by_id(client, log_rows):
    login(client, "admin")
    assert _listed(client) == ["obj-5", "obj-4", "obj-3", "obj-2", "obj-1", "obj-6"]
    # oldest first: the lists break ties by id, newest id first, in either direction
    assert _listed(client, sort=0) == ["obj-6", "obj-1", "obj-2", "obj-3", "obj-5", "obj-4"]


def test_user_action_and_beijing_time_range(app, client, log_rows):
    login(client, "admin")
    who_what = [("操作人", "等于", "office"), ("操作", "等于", "application_approve")]
    assert _listed(client, **_filter_args(app, who_what)) == ["obj-5", "obj-4", "obj-1", "obj-6"]
    # 3月1日 in Beijing: obj-4 and obj-5 (17:00 UTC) are already 3月2日 there, obj-6 is 2月28日
    day = who_what + [("时间", "之间", "2024-03-01 00:00:00 to 2024-03-01 23:59:59")]
    html = client.get("/auditlog/", query_string=_filter_args(app, day)).get_data(as_text=True)
    assert OBJECT.findall(html) == ["obj-1"] and "列表 (1)" in html
    after = [("时间", "晚于", "2024-03-01 10:00:00")]  # Beijing: after obj-2 (10:00), from obj-3 (11:00)
    assert _listed(client, **_filter_args(app, after)) == ["obj-5", "obj-4", "obj-3"]
    before = [("时间", "早于", "2024-03-01 10:00:00")]
    assert _listed(client, **_filter_args(app, before)) == ["obj-1", "obj-6"]
    assert _listed(client, **_filter_args(app, [("角色", "等于", "unit")])) == ["obj-3"]
    assert _listed(client, **_filter_args(app, [("对象编号", "等于", "obj-2")])) == ["obj-2"]


def test_only_index_backed_filters_and_sorts_are_offered(app):
    view = _audit_view(app)
    with app.test_request_context():
        offered = {(str(f.name), str(f.operation())) for f in view._filters}
        sortable = set(view.get_sortable_columns())
    assert offered == {
        ("时间", "之间"),
        ("时间", "晚于"),
        ("时间", "早于"),
        ("操作人", "等于"),
        ("操作", "等于"),
        ("对象类型", "等于"),
        ("对象编号", "等于"),
        ("角色", "等于"),
    }
    assert sortable == {"created_at"}


def test_chain_stays_intact_under_the_new_indexes(log_rows):
    checked, broken = audit.verify_chain()
    assert broken is None and checked == db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog))
    assert checked >= len(log_rows)


# --- PostgreSQL: plans and settings ---------------------------------------------------------------------


def _postgresql(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")


def _plan(sql: str, **params) -> str:
    """EXPLAIN of ``sql`` with sequential scans priced out, so that a tiny test table still shows which
    index can serve the query (or a full index scan when none can)."""
    with db.engine.connect() as conn:
        conn.execute(sa.text("SET enable_seqscan = off"))
        conn.execute(sa.text("SET enable_bitmapscan = off"))
        rows = conn.execute(sa.text("EXPLAIN " + sql), params).all()
    return "\n".join(row[0] for row in rows)


@pytest.mark.parametrize(
    "where, index",
    [
        ("username = 'office'", "ix_audit_log_username"),
        ("action = 'export'", "ix_audit_log_action"),
        ("username = 'office' AND action = 'export'", "ix_audit_log_username_action"),
        ("object_type = 'User'", "ix_audit_log_object_type"),
        ("role = 'admin'", "ix_audit_log_role"),
        ("created_at > '2024-01-01'", "ix_audit_log_created_at"),
    ],
)
def test_each_audit_filter_is_an_index_range_in_time_order(pristine_tables, app, ctx, where, index):
    _postgresql(app)
    plan = _plan(f"SELECT id FROM audit_log WHERE {where} ORDER BY created_at DESC, id DESC LIMIT 20")
    # an index range (on 1M rows the range comes in created_at order: an Incremental Sort orders ties by id)
    assert f"using {index} on audit_log" in plan and "Index Cond" in plan, plan


def test_object_history_and_object_id_use_one_index(pristine_tables, app, ctx):
    _postgresql(app)
    for where in ("object_id = '7'", "object_type = 'Registration' AND object_id = '7'"):
        plan = _plan(f"SELECT * FROM audit_log WHERE {where} ORDER BY id")
        assert "ix_audit_log_object_id" in plan and "Index Cond" in plan, plan


def test_hot_tables_carry_their_autovacuum_settings(app, ctx):
    _postgresql(app)
    options = dict(
        db.session.execute(
            sa.text("SELECT relname, reloptions FROM pg_class WHERE relkind = 'r' AND reloptions IS NOT NULL")
        ).all()
    )
    for table in ("application", "registration", "material"):
        assert "autovacuum_vacuum_scale_factor=0.01" in options[table], table
        assert "autovacuum_analyze_scale_factor=0.01" in options[table], table
    for table in ("audit_log", "application_review", "application_record"):
        assert "autovacuum_vacuum_insert_scale_factor=0" in options[table], table
        assert "autovacuum_vacuum_insert_threshold=10000" in options[table], table
