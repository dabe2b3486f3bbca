"""「全部符合条件的记录」 with forged input, generated from the views' declared bulk operations: for every
operation a scoped role (a unit, a 区县 bureau — one with a merged 区县 too —, 市委组织部) may take, the
confirmation page and the decision are posted with the 组合查询 altered to the 区县, unit, 组织类别 and states
of rows outside the role's scope, and with those rows' ids injected. Nothing outside the scope is decided;
where the forged filter matches no row of the scope, nothing at all changes. A last, honest request then
decides the role's own rows, so the operation is shown to work at all.
"""

import re

import pytest
import sqlalchemy as sa
from flask_admin.contrib.sqla import ModelView

from admin_app.extensions import db
from models import enums
from tests.conftest import login
from tests.pinned import decide_all
from tests.scope_world import LISTS, build_inscope_world, business_snapshot, expected_ids

# The login that plays each scoped role (city-wide roles have no rows outside their scope).
PLAYERS = {
    enums.UNIT: ["unit_a"],
    enums.DISTRICT_HR: ["yuzhong_hr", "liangjiang_hr"],
    enums.PARTY_ORG: ["party_org"],
}
# Filter columns an attacker would alter ({table}: the list's own table).
FORGED_COLUMNS = (
    "jurisdiction.name",
    "organisation.name",
    "{table}.org_category",
    "{table}.status",
    "{table}.recognition_status",
    "{table}.evaluation_status",
    "{table}.identity_status",
)
FORM = {
    "opinion": "越权",
    "receipt_number": "R1",
    "vote_expected": "9",
    "vote_present": "9",
    "vote_yes": "9",
    "vote_no": "0",
    "vote_abstain": "0",
}


@pytest.fixture
def inscope(world):
    return build_inscope_world(world)


def bulk_views(app):
    return [
        v
        for v in app.extensions["admin"][0]._views
        if isinstance(v, ModelView) and getattr(v, "bulk_operations", ())
    ]


def cases(app):
    for view in bulk_views(app):
        for op in view.bulk_operations:
            for role in sorted(op.roles & set(PLAYERS)):
                for username in PLAYERS[role]:
                    yield view, op, username


def rows_of(view, ids=None) -> dict:
    """id -> the row's columns, of the view's model (all rows, or just ``ids``)."""
    table = LISTS[view.endpoint][0].__table__
    query = sa.select(table)
    if ids is not None:
        query = query.where(table.c.id.in_(sorted(ids) or [0]))
    rows = {r.id: tuple(r) for r in db.session.execute(query)}
    db.session.rollback()
    return rows


def _value(row, column: str):
    """The value a row holds for a filter column ("table.column")."""
    table, name = column.split(".")
    if table == row.__tablename__:
        return getattr(row, name, None)
    related = row.jurisdiction if table == "jurisdiction" else getattr(row, "unit", None)
    return getattr(related, name, None)


def forged_filters(view, outside) -> list[dict]:
    """{"table.column": value} for every filter of the list over a column a row outside the scope holds."""
    model = LISTS[view.endpoint][0]
    forged = []
    for pattern in FORGED_COLUMNS:
        column = pattern.format(table=model.__tablename__)
        values = {_value(db.session.get(model, pk), column) for pk in outside} - {None}
        for value in sorted(values, key=str):
            try:
                view.column_filters_for({column: value})
            except LookupError:
                break
            forged.append({column: value})
    db.session.rollback()
    return forged


def test_every_scoped_operation_is_tried(app):
    tried = {(v.endpoint, op.name) for v, op, _u in cases(app)}
    assert {("applications", "submit"), ("review_queue", "approve"), ("recognitions", "recognise")} <= tried


def test_all_matching_with_forged_filters_and_ids_decides_nothing_outside_the_scope(app, client, inscope):
    checked = 0
    for view, op, username in cases(app):
        base = view.url.rstrip("/")
        login(client, username)
        mine = expected_ids(view.endpoint, username)
        everyone = set(rows_of(view))
        outside = everyone - mine
        assert outside, f"{view.endpoint} {username}: no row outside the scope to forge"
        for wanted in forged_filters(view, outside):
            with app.test_request_context():
                args = view.filter_url_args(view.column_filters_for(wanted))
            what = f"{username} {view.endpoint}:{op.name} {wanted}"
            before, untouched = business_snapshot(), rows_of(view, outside)
            confirm = client.get(f"{base}/bulk/", query_string={**args, "op": op.name})
            assert confirm.status_code == 200, what
            page = confirm.get_data(as_text=True)
            listed = {int(i) for i in re.findall(r"<tr><td>(\d+)</td>", page)}
            assert listed <= mine, f"{what}: confirmation lists {listed - mine}"
            pin = re.search(r'name="pin" value="([^"]+)"', page)
            assert bool(pin) == bool(listed), f"{what}: a pin without rows, or rows without a pin"
            # 确认 of the pinned rows, with the forged filter and the outside rows' ids posted along.
            form = {**FORM, "op": op.name, "rowid": sorted(outside)}
            if pin:
                response = client.post(
                    f"{base}/decide/", query_string=args, data={**form, "pin": pin.group(1)}
                )
                assert response.status_code in (200, 302), f"{what}: {response.status_code}"
            assert rows_of(view, outside) == untouched, f"{what}: a row outside the scope changed"
            if not listed:  # the forged filter matched nothing of the scope: nothing at all may change
                assert business_snapshot() == before, what
            # Ticked rows forged: the same.
            client.post(f"{base}/decide/", data=form)
            assert rows_of(view, outside) == untouched, f"{what} (ticked): a row outside the scope changed"
            checked += 1
    assert checked >= 20


def test_an_honest_all_matching_decision_changes_exactly_the_rows_of_the_scope(app, client, inscope):
    """The control: 渝中区 approves everything waiting at its step and recognises everything it may, through
    「全部符合条件的记录」 filtered to its own 区县 — its rows change, no other row does."""
    login(client, "yuzhong_hr")
    views = {v.endpoint: v for v in bulk_views(app)}
    for endpoint, op in (("review_queue", "approve"), ("recognitions", "recognise")):
        view = views[endpoint]
        mine = expected_ids(endpoint, "yuzhong_hr")
        outside = set(rows_of(view)) - mine
        untouched, own = rows_of(view, outside), rows_of(view, mine)
        with app.test_request_context():
            args = view.filter_url_args(view.column_filters_for({"jurisdiction.name": "渝中区"}))
        response = decide_all(client, view.url.rstrip("/"), op, args, FORM)
        body = response.get_data(as_text=True)
        assert (
            response.status_code == 200 and f'成功 <strong class="text-success">{len(mine)}</strong>' in body
        )
        assert rows_of(view, outside) == untouched, endpoint
        assert all(rows_of(view, mine)[pk] != own[pk] for pk in mine), endpoint
