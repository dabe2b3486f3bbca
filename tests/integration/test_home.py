"""首页: every to-do count equals the count of the filtered list it links to, per role and scope."""

import html as htmllib
import re
from datetime import timedelta

from admin_app.extensions import db
from admin_app.workflow.states import BatchState
from tests.conftest import login
from views.home import open_batch

TODO = re.compile(r'href="([^"]+)" data-todo="([^"]+)">.*?gk-todo-count">([^<]+)<', re.S)


def todos(client) -> dict:
    page = client.get("/").get_data(as_text=True)
    return {label: (htmllib.unescape(url), count.strip()) for url, label, count in TODO.findall(page)}


def listed(client, url) -> str:
    page = client.get(url).get_data(as_text=True)
    shown = re.search(r"列表 \(([^)]+)\)", page)
    return shown.group(1) if shown else "0"


def test_each_todo_count_matches_the_list_it_links_to(client, world):
    expected_labels = {
        "unit_a": {"待提交的申请", "退回修改的申请", "审核未通过的申请", "待报名", "已退回的报名"},
        "unit_b": {"待提交的申请", "退回修改的申请", "审核未通过的申请", "待报名", "已退回的报名"},
        "yuzhong_hr": {"待我审核", "待审核的单位信息", "待认定"},
        "shapingba_hr": {"待我审核", "待审核的单位信息", "待认定"},
        "party_org": {"待我审核"},
        "city_hr": {"待我审核"},
        "office": {
            "待我审核",
            "待审核的单位信息",
            "待确认的报名",
            "待评审",
            "待认定",
            "公示期满待认定",
            "待处理公示异议",
            "待发放证书",
        },
        "center": {"待缴费确认", "待录入成绩", "待复核查分", "待发布成绩"},
        "admin": set(),
    }
    seen = {}
    for username, labels in expected_labels.items():
        client.get("/logout")
        login(client, username)
        items = todos(client)
        assert set(items) == labels, username
        for label, (url, count) in items.items():
            assert listed(client, url) == count, (username, label, url)
            seen[(username, label)] = int(count)
    # the world's rows, each counted where it waits and only in scope
    assert seen[("unit_a", "待提交的申请")] == 1 and seen[("unit_b", "待提交的申请")] == 0
    assert seen[("shapingba_hr", "待我审核")] == 1 and seen[("yuzhong_hr", "待我审核")] == 0
    assert seen[("office", "待认定")] == 1 and seen[("shapingba_hr", "待认定")] == 1
    assert seen[("yuzhong_hr", "待认定")] == 0
    assert (
        seen[("office", "公示期满待认定")] == 1 and seen[("office", "待处理公示异议")] == 0
    )  # B's, on an ended 公示
    assert seen[("unit_a", "待报名")] == 1


def test_todo_counts_follow_the_work(client, world):
    from admin_app import workflow

    login(client, "shapingba_hr")
    assert todos(client)["待我审核"][1] == "1"
    workflow.decide(world.users["district_hr_b"], [world.applications["B"].id], "approve", "同意")
    assert todos(client)["待我审核"][1] == "0"


def test_open_batch_days_left(world):
    batch = world.batch
    assert batch.state == BatchState.OPEN
    assert open_batch(batch.apply_deadline - timedelta(days=5))["days_left"] == 5
    assert open_batch(batch.apply_deadline + timedelta(days=1))["days_left"] == -1
    batch.state = BatchState.CLOSED
    db.session.commit()
    assert open_batch() is None


def test_home_shows_the_batch_deadline(client, world):
    login(client, "unit_a")
    page = client.get("/").get_data(as_text=True)
    assert "申报截止日 " + world.batch.apply_deadline.isoformat() in page


def test_filters_are_found_by_table_and_column(app, world):
    import pytest

    view = next(
        v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", None) == "applications"
    )
    by_district = view.column_filters_for({"jurisdiction.name": "渝中区"})
    by_unit = view.column_filters_for({"organisation.name": "甲单位（渝中）"})
    assert by_district[0][0] != by_unit[0][0]
    assert [f[1] for f in by_district + by_unit] == ["所在区县", "单位"]
    with pytest.raises(LookupError):
        view.column_filters_for({"worker.name": "A工人"})  # the list has no such filter


def test_home_shows_the_grace_period(client, world):
    world.batch.grace_days = 5
    db.session.commit()
    login(client, "unit_a")
    page = client.get("/").get_data(as_text=True)
    assert f"宽限期至 {(world.batch.apply_deadline + timedelta(days=5)).isoformat()}" in page


# (role's username, to-do label) -> the partial index of migration 0019 that serves its count on PostgreSQL
TODO_INDEXES = {
    ("office", "待评审"): "ix_registration_evaluation_pending",
    ("office", "待认定"): "ix_registration_recognition_pending",
    ("yuzhong_hr", "待认定"): "ix_registration_recognition_pending",
    ("office", "待确认的报名"): "ix_registration_waiting",
    ("center", "待缴费确认"): "ix_registration_waiting",
    ("center", "待录入成绩"): "ix_registration_scores_missing",
    # two partial indexes hold exactly the rows waiting for publication (by batch; by 区县 for 统计分析, 0044)
    ("center", "待发布成绩"): (
        "ix_registration_scores_unpublished",
        "ix_registration_unpublished_jurisdiction",
    ),
    ("party_org", "待我审核"): "ix_application_party_org_pending",
}


def test_todo_counts_are_ranges_of_their_partial_indexes(pristine_tables, app, client, world):
    """On PostgreSQL each of these counts reads only the rows waiting in its state (sequential scans priced
    out, so that the tiny test tables still show which index the count can use)."""
    import sqlalchemy as sa

    if db.engine.dialect.name != "postgresql":
        import pytest

        pytest.skip("PostgreSQL only")
    counts = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT COUNT(*)"):
            counts.append((statement, parameters))

    for (username, label), index in TODO_INDEXES.items():
        login(client, username)
        counts.clear()
        sa.event.listen(db.engine, "before_cursor_execute", capture)
        try:
            assert label in todos(client)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", capture)
        plans = []
        with db.engine.connect() as conn:
            conn.exec_driver_sql("SET enable_seqscan = off")
            for statement, parameters in counts:
                rows = conn.exec_driver_sql("EXPLAIN " + statement, parameters).all()
                plans.append("\n".join(row[0] for row in rows))
        indexes = (index,) if isinstance(index, str) else index
        assert any(f"Index Only Scan using {name} " in plan for plan in plans for name in indexes), (
            username,
            label,
            plans,
        )
