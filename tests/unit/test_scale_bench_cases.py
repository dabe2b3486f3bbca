"""The scale benchmark cannot miss a page: its case list (bench/scale_bench.py ``plan``) covers every view each
role may open, every sortable column and every filter of the app, and the values it sends are valid.

The expected set is computed here from the app itself, by other means than the bench's generator: access by
asking each view ``is_accessible()`` as a logged-in user of the role (the app's own rule), sortable columns and
filters through Flask-Admin's public ``get_list_columns`` / ``get_sortable_columns`` / ``get_filters``. A new
view, column or filter therefore enters the expected set at once, and this test fails until the generator
produces a case for it.
"""

import json

import pytest
from flask import Flask
from flask_admin import Admin
from flask_admin.contrib.sqla import ModelView
from flask_admin.model import BaseModelView
from flask_login import login_user

from admin_app.extensions import db
from bench import scale_bench
from models import Worker, enums
from tests import factories

ROLES = sorted(enums.ROLE_LABELS)
ACCOUNTS = {f"account_{role}": role for role in ROLES}


def opens(app, user, view) -> bool:
    """Whether the app lets ``user`` open ``view`` (its own access rule)."""
    with app.test_request_context("/"):
        login_user(user)
        return bool(view.is_accessible())


def filter_column(flt) -> tuple[str, str]:
    return str(flt.name), str(getattr(flt, "column", None))


def expected(app, world, views) -> set[tuple]:
    """What every account must measure: each view it may open (page); for a list, its deep page, details,
    every sortable column shown, every filter column and every searchable column."""
    want = set()
    for account, role in ACCOUNTS.items():
        for view in views:
            if not opens(app, world.users[role], view):
                continue
            want.add((account, view.endpoint, "page"))
            if not isinstance(view, BaseModelView):
                continue
            want.add((account, view.endpoint, "deep"))
            if view.can_view_details:
                want.add((account, view.endpoint, "details"))
            shown = {name for name, _label in view.get_list_columns()}
            want |= {(account, view.endpoint, "sort", n) for n in view.get_sortable_columns() if n in shown}
            want |= {(account, view.endpoint, "filter", *filter_column(f)) for f in view.get_filters() or ()}
            want |= {
                (account, view.endpoint, "search", i) for i in range(len(view.column_searchable_list or ()))
            }
    return want


def covered(cases, views) -> set[tuple]:
    """The same shape, from the generator's cases (searches counted per view: the generator names them by
    table.column, Flask-Admin's declaration by attribute path)."""
    by_endpoint = {view.endpoint: view for view in views}
    got, searches = set(), {}
    for case in cases:
        view = by_endpoint[case.endpoint]
        if case.kind == "sort":
            got.add((case.account, case.endpoint, "sort", case.key))
        elif case.kind == "filter":
            got.add((case.account, case.endpoint, "filter", *filter_column(view._filters[int(case.key)])))
        elif case.kind == "search":
            index = searches.setdefault((case.account, case.endpoint), [])
            got.add((case.account, case.endpoint, "search", len(index)))
            index.append(case.key)
        else:
            got.add((case.account, case.endpoint, case.kind))
    return got


def missing(app, world, views, cases) -> set[tuple]:
    return expected(app, world, views) - covered(cases, views)


class FakeRegistry:
    def __init__(self, views):
        self._views = views


def registry_views(app):
    return app.extensions["admin"][0]._views


def test_every_role_measures_every_view_it_opens_with_every_sort_filter_and_search(app, world):
    views = registry_views(app)
    cases = scale_bench.plan(app.extensions["admin"][0], ACCOUNTS)
    assert missing(app, world, views, cases) == set()
    for case in cases:  # nothing the role cannot open (a 403 is not a case)
        view = next(v for v in views if v.endpoint == case.endpoint)
        assert opens(app, world.users[case.role], view), case
    assert len(cases) == len(set(cases))


def test_every_filter_operation_and_both_sort_directions_are_measured_by_some_account(app, world):
    views = registry_views(app)
    for mode in ("widest", "all"):
        cases = set(scale_bench.plan(app.extensions["admin"][0], ACCOUNTS, filters=mode))
        for view in views:
            if not isinstance(view, BaseModelView):
                continue
            reached = any(opens(app, world.users[role], view) for role in ROLES)
            if not reached:
                continue
            filters = {int(c.key) for c in cases if c.endpoint == view.endpoint and c.kind == "filter"}
            assert filters == set(range(len(view.get_filters() or ()))), (mode, view.endpoint)
            shown = {name for name, _label in view.get_list_columns()}
            sorts = {(c.key, c.desc) for c in cases if c.endpoint == view.endpoint and c.kind == "sort"}
            for name in view.get_sortable_columns():
                if name in shown:
                    assert {(name, False), (name, True)} <= sorts, (mode, view.endpoint, name)


def test_the_check_fails_when_the_generator_skips_a_case(app, world):
    views = registry_views(app)
    cases = scale_bench.plan(app.extensions["admin"][0], ACCOUNTS)
    office_filter = next(c for c in cases if c.role == enums.OFFICE and c.kind == "filter")
    without = [c for c in cases if c != office_filter]
    assert missing(app, world, views, without) != set()
    without_view = [c for c in cases if c.endpoint != "applications"]
    assert any(m[1] == "applications" for m in missing(app, world, views, without_view))


def test_a_new_view_with_a_filter_is_planned_without_editing_the_bench(app, world):
    """A view added to the registry (here a stock one over the workers, open to everyone) is in the plan
    with its sorts and filters."""

    class ExtraWorkers(ModelView):
        column_list = ("name", "id_number", "gender")
        column_filters = ("name", "gender")
        column_sortable_list = ("name",)

    extra = ExtraWorkers(Worker, db, endpoint="extra_workers", url="/extra_workers")
    Admin(Flask("extra"), name="extra").add_view(extra)
    views = [*registry_views(app), extra]
    cases = scale_bench.plan(FakeRegistry(views), ACCOUNTS)
    assert missing(app, world, views, cases) == set()
    mine = [c for c in cases if c.endpoint == "extra_workers"]
    assert {c.account for c in mine} == set(ACCOUNTS)
    assert {c.kind for c in mine} == {"page", "sort", "filter", "deep"}  # stock: no details page
    assert {view.endpoint for view in views} - {c.endpoint for c in cases} <= {
        v.endpoint for v in views if not any(opens(app, world.users[r], v) for r in ROLES)
    }


@pytest.mark.parametrize("role", ROLES)
def test_every_case_opens_with_the_values_read_from_the_database(app, world, client, role):
    """The values (filter values from the rows in scope, search terms, deep page, details row) make valid
    requests: every filter value is accepted (the filter is applied, not dropped), and every case of the role
    answers 200 on the test database, except a list that sends the account to its own row's form
    (单位基本信息) and a details page where the scope has no row."""
    user = world.users[role]
    views = {view.endpoint: view for view in registry_views(app)}
    cases = scale_bench.plan(app.extensions["admin"][0], {user.username: role})
    lists = [views[e] for e in dict.fromkeys(c.endpoint for c in cases) if scale_bench.is_list_view(views[e])]
    values = scale_bench.account_values(app, user.username, lists)
    client.post("/login", data={"username": user.username, "password": factories.PASSWORD})
    failures = []
    for case in cases:
        view, own = views[case.endpoint], values.get(case.endpoint)
        if case.kind == "details" and own.details_id is None:
            continue
        path, params = scale_bench.case_request(view, case, own)
        if case.kind == "filter":  # Flask-Admin drops a filter whose value does not validate, silently
            with app.test_request_context(path, query_string=params):
                applied = [index for index, _name, _value in view._get_list_extra_args().filters]
            if applied != [int(case.key)]:
                failures.append((case, params, "filter not applied"))
        response = client.get(path, query_string=params)
        redirects_to_own_form = response.status_code == 302 and "/edit/" in response.headers["Location"]
        if response.status_code != 200 and not (case.endpoint == "unitprofile" and redirects_to_own_form):
            failures.append((case, params, response.status_code))
    assert failures == []
    filters = {(e, i) for e, v in values.items() for i, from_data in v.from_data.items() if from_data}
    assert filters, "no filter value came from a row"


def test_the_stock_views_are_not_in_the_app(app):
    """The stock Flask-Admin views of the side-by-side exist only in the bench's own gunicorn app."""
    assert not [rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith(scale_bench.STOCK_URL)]
    assert not [v for v in registry_views(app) if v.endpoint.startswith("stock")]


def test_a_page_is_named_as_the_account_reads_it(app):
    """Its JSON record names the page as that role reads it: the score list is 成绩录入 for the centre, 成绩查询
    for a unit (a name that depends on the reader is not a string until then)."""
    views = {view.endpoint: view for view in app.extensions["admin"][0]._views}
    assert scale_bench.page_name(views["scores"], enums.CENTER) == "成绩录入"
    assert scale_bench.page_name(views["scores"], enums.UNIT) == "成绩查询"
    assert scale_bench.page_name(views["applications"], enums.OFFICE) == "考试资格申请"
    json.dumps({"page": scale_bench.page_name(views["scores"], enums.UNIT)}, ensure_ascii=False)
