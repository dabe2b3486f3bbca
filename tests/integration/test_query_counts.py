"""No N+1: the number of SQL statements of every list page stays the same as its rows grow."""

import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.workflow.states import ApplicationState
from tests.conftest import login
from tests.factories import add_application, add_registration, add_worker
from views.base import SecureModelView


def statements(client, url) -> int:
    seen = {"n": 0}

    def count(conn, cursor, statement, parameters, context, executemany):
        seen["n"] += 1

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    return seen["n"]


def grow(world, n, start=0):
    for i in range(start, start + n):
        worker = add_worker(world.units["B"], f"增{i}", 900 + i, world.trade, world.batch)
        db.session.flush()
        add_application(world, worker, status=ApplicationState.PENDING_OFFICE, route="office")
        approved = add_application(world, worker, status=ApplicationState.APPROVED, route="office")
        add_registration(approved, stage="awaiting_recognition")
    db.session.commit()


def test_list_pages_issue_a_constant_number_of_statements(app, client, world, monkeypatch):
    # A session's "last seen" is written at most once a minute: on a slow run that one write would land in
    # one of the two measurements.
    monkeypatch.setitem(app.config, "SESSION_TOUCH_SECONDS", 24 * 3600)
    login(client, "office")
    views = [
        v
        for v in app.extensions["admin"][0]._views
        if isinstance(v, SecureModelView) and "office" in v.read_roles
    ]
    grow(world, 1)  # every list has rows (an empty page skips loading them)
    for v in views:  # warm: what a process reads once and keeps (a table's size estimate on PostgreSQL)
        statements(client, v.url + "/")
    before = {v.endpoint: statements(client, v.url + "/") for v in views}
    grow(world, 25, start=1)
    after = {v.endpoint: statements(client, v.url + "/") for v in views}
    assert after == before, {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    assert len(views) >= 8


def test_pages_are_stable_when_sort_values_tie(client, world):
    """Sorted by a column with ties (every worker of B has the same work start date), pages never overlap."""
    for i in range(30):
        add_worker(world.units["B"], f"同日{i:02d}", 950 + i, world.trade, world.batch)
    db.session.commit()
    login(client, "office")
    import re

    seen = []
    for page in range(3):
        html = client.get(f"/workers/?sort=7&page_size=10&page={page}&search=同日").get_data(as_text=True)
        seen += re.findall(r"/workers/details/\?id=(\d+)", html)
    assert len(seen) == len(set(seen)) == 30


def test_every_list_orders_by_its_key_last(app, world):
    from flask_login import login_user

    from models import User

    for view in app.extensions["admin"][0]._views:
        if not isinstance(view, SecureModelView):
            continue
        role = next(iter(sorted(view.read_roles)))
        user = db.session.scalar(
            sa.select(User).join(User.organisation).where(sa.text("organisation.kind = :k")).params(k=role)
        )
        with app.test_request_context(view.url + "/"):
            login_user(user)
            for sort in (None, 0):
                _count, query = view.get_list(
                    0,
                    view._get_column_by_idx(sort)[0]
                    if sort is not None and view._get_column_by_idx(sort)
                    else None,
                    False,
                    None,
                    [],
                    execute=False,
                )
                sql = str(query.statement.compile(compile_kwargs={"literal_binds": False}))
                order = sql.rsplit("ORDER BY", 1)[1]
                assert f"{view.model.__tablename__}.id DESC" in order.split("LIMIT")[0].split(",")[-1], (
                    view.endpoint,
                    order,
                )
