"""The walls from the inside, generated from the app's views: every list and its Excel export, for every login
that may read it, shows exactly the rows that login should see — no more, no fewer — as worked out in
``tests/scope_world.py`` from the rows themselves (not through ``services/scope.py``).

A new list view fails ``test_every_list_view_has_an_expectation`` until its rule is written down there.
"""

import io
import re
from collections import Counter

import pytest
from flask_admin.contrib.sqla import ModelView
from openpyxl import load_workbook

from admin_app.extensions import db
from models import Application
from tests.affairs_rows import add_affairs_rows
from tests.conftest import login
from tests.scope_world import LISTS, USERNAMES, build_inscope_world, expected_ids, viewer
from views.base import _path_getter

PAGE_SIZE = 100


@pytest.fixture
def inscope(world):
    built = build_inscope_world(world)
    add_affairs_rows(world)  # 查分, 考场编排, 公示异议, 违纪通报: a row of unit B in each
    return built


def list_views(app):
    return [v for v in app.extensions["admin"][0]._views if isinstance(v, ModelView)]


def shown_ids(client, view) -> tuple[set[int], int | None]:
    """(ids of every row the list shows over all its pages, the count it announces)."""
    base = view.url.rstrip("/")
    row = re.compile(rf'{re.escape(base)}/(?:details|edit)/\?id=(\d+)[&"]|name="rowid" value="(\d+)"')
    ids, announced, page = set(), None, 0
    while True:
        response = client.get(f"{base}/", query_string={"page_size": PAGE_SIZE, "page": page})
        if response.status_code == 302:  # 单位基本信息 opens the unit's own record
            return {int(re.search(r"id=(\d+)", response.headers["Location"]).group(1))}, None
        assert response.status_code == 200, f"{view.endpoint}: {response.status_code}"
        body = response.get_data(as_text=True)
        found = {int(a or b) for a, b in row.findall(body)}
        count = re.search(r"列表 \((\d+)\)", body)
        announced = int(count.group(1)) if count else announced
        if not found - ids:
            return ids, announced
        ids |= found
        if len(found) < PAGE_SIZE:
            return ids, announced
        page += 1


def exported(client, view) -> list[tuple]:
    response = client.post(f"{view.url.rstrip('/')}/export.xlsx")
    assert response.status_code == 200, f"{view.endpoint}: {response.status_code}"
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
    return [row for row in sheet.iter_rows(min_row=2, values_only=True) if any(v is not None for v in row)]


def first_column_values(app, view, ids) -> Counter | None:
    """What the export's first column should hold for these rows, when it is plain text (else None)."""
    with app.test_request_context():
        name = view.get_list_columns()[0][0]
    if name in (view.column_formatters or {}) or name in (view.column_choices or {}):
        return None
    get = _path_getter(name)
    model = LISTS[view.endpoint][0]
    values = [get(db.session.get(model, pk)) for pk in ids]
    db.session.rollback()
    return Counter(values) if all(isinstance(v, str) for v in values) else None


def test_every_list_view_has_an_expectation(app):
    missing = {v.endpoint for v in list_views(app)} - set(LISTS)
    assert not missing, f"write down in tests/scope_world.py who sees the rows of {missing}"


def test_the_world_has_rows_on_both_sides_of_every_wall(app, inscope):
    """The expectations are not vacuous: each 区县 bureau sees some rows of each of its lists, and not all."""
    for username in ("yuzhong_hr", "shapingba_hr", "party_org", "unit_a"):
        for endpoint in ("workers", "applications", "registrations"):
            mine, everyone = expected_ids(endpoint, username), expected_ids(endpoint, "office")
            if endpoint == "applications" and username == "unit_a":
                everyone |= expected_ids(endpoint, username)  # A's draft: A's alone, not the office's
            assert mine and mine < everyone, (username, endpoint)
    # Not even the city-wide roles see the units' drafts (戊草稿, 戊撤回, A's, P's, Y's).
    every_application = {pk for (pk,) in db.session.query(Application.id)}
    db.session.rollback()
    assert len(every_application - expected_ids("applications", "office")) == 5
    assert len(expected_ids("review_queue", "yuzhong_hr")) == 2  # 戊待审 and the moved unit's 己待审
    assert len(expected_ids("recognitions", "yuzhong_hr")) == 1
    for endpoint in ("rechecks", "misconduct"):  # unit B's rows: the office's, not unit A's
        assert expected_ids(endpoint, "office") and not expected_ids(endpoint, "unit_a"), endpoint
    district, office = expected_ids("unitreview", "yuzhong_hr"), expected_ids("unitreview", "office")
    assert len(district) == 3 and len(office) == 2 and not district & office  # A, 戊, 庚 | 丙, 壬


@pytest.mark.parametrize("username", [*USERNAMES, "unit_e"])
def test_every_list_and_export_shows_exactly_the_rows_of_its_scope(app, client, inscope, username):
    assert login(client, username).status_code == 302
    role = viewer(username).role
    checked = 0
    for view in list_views(app):
        if role not in view.read_roles:
            continue
        expected = expected_ids(view.endpoint, username)
        ids, announced = shown_ids(client, view)
        assert ids == expected, (
            f"{username} {view.endpoint}: extra {sorted(ids - expected)}, missing {sorted(expected - ids)}"
        )
        if announced is not None:
            assert announced == len(expected), f"{username} {view.endpoint}: 列表 ({announced})"
        if not view.exportable:  # 下载中心: no export of itself (test_download_jobs)
            checked += 1
            continue
        rows = exported(client, view)
        if view.endpoint == "auditlog":  # its own export is recorded before its rows are read: it holds it
            expected = expected_ids(view.endpoint, username)
        assert len(rows) == len(expected), f"{username} {view.endpoint} export: {len(rows)} rows"
        values = first_column_values(app, view, expected)
        if values is not None:
            assert Counter(row[0] for row in rows) == values, f"{username} {view.endpoint} export"
        checked += 1
    assert checked >= 1


def test_a_bureau_sees_by_name_what_the_rule_says(client, inscope):
    """The rule itself, spelled out for 渝中区: its units' workers (not the moved unit's), and the moved unit's
    application (submitted in 渝中区), not B's."""
    login(client, "yuzhong_hr")
    workers = client.get("/workers/?page_size=100").get_data(as_text=True)
    for name in ("A工人", "P工人", "戊草稿", "戊待审"):
        assert name in workers
    for name in ("B工人", "Y工人", "己待审", "乙待认定"):
        assert name not in workers
    queue = client.get("/review_queue/").get_data(as_text=True)
    assert "戊待审" in queue and "己待审" in queue and "B工人" not in queue
    login(client, "shapingba_hr")
    assert "己待审" in client.get("/workers/?page_size=100").get_data(as_text=True)
    assert "己待审" not in client.get("/applications/?page_size=100").get_data(as_text=True)


@pytest.mark.parametrize("username", ["unit_a", "unit_e"])
def test_the_application_form_offers_exactly_the_units_own_workers(client, inscope, username):
    """The 申报人员 picker (a relation the form would otherwise fill from the whole table)."""
    login(client, username)
    body = client.get("/applications/new/").get_data(as_text=True)
    picker = re.search(r'<select[^>]*name="worker".*?</select>', body, re.S).group(0)
    offered = {int(pk) for pk in re.findall(r'value="(\d+)"', picker)}
    assert offered == expected_ids("workers", username)


@pytest.mark.parametrize("username", [*USERNAMES, "unit_e"])
def test_every_details_page_opens_exactly_the_rows_of_its_scope(app, client, inscope, username):
    """详情 of every row of every list's table: 200 for the rows the login should see, 404 for all others."""
    login(client, username)
    role = viewer(username).role
    for view in list_views(app):
        if role not in view.read_roles or not view.can_view_details:
            continue
        expected = expected_ids(view.endpoint, username)
        everything = {pk for (pk,) in db.session.query(LISTS[view.endpoint][0].id)}
        db.session.rollback()
        for pk in sorted(everything):
            response = client.get(f"{view.url.rstrip('/')}/details/", query_string={"id": pk})
            wanted = 200 if pk in expected else 404
            assert response.status_code == wanted, (
                f"{username} {view.endpoint} id={pk}: {response.status_code}"
            )
