"""Every page at scale (issue 16), on bench/gen_data.py's database, through gunicorn (``gunicorn.conf.py``).

The cases are generated from the app itself, so that a new view, sortable column or filter is measured without
editing this file (tests/unit/test_scale_bench_cases.py checks the coverage):

- ``plan`` (no database): for each account and each view of the Flask-Admin registry the account's role may
  open (the view's ``read_roles``; a page without them is open to every logged-in user), a list view gives
  page 1 (its default sort and conditions), every sortable column of the page (both ways for the account of
  the widest reach that opens the view, descending for the others), every filter column alone ("equals"
  where it has one; ``--filters widest``: every operation of every filter for the widest account, ``all``:
  for every account), one search per searchable column, a deep page and the details page of a row; any other
  page (首页, 统计分析) gives one case.
- ``list_values`` (database, in the bench process, as the logged-in account): the values those cases send, all
  taken from rows in the account's scope — each filter's most common value in a sample of the list's rows
  (an existing name, a date inside the data, an enum's most common value; the first option where the filter
  has options), a name prefix, an ID number or 准考证号 for the searches, the deepest page up to
  ``DEEP_PAGE`` that holds rows, and the first row of that page for the details.

Each case: ``WARM_UP`` requests, then ``--repeat`` timed ones (default 20); median and p95 of the **server
time** (the app's ``Server-Timing``: before_request → after_request) and of the time seen by the client. A
page that answers anything but 200 is not a case (it is reported as unreachable). Worst cases first, JSON
(``--out``) and a Markdown table for bench/README.md (``--markdown``) with a summary (cases, how many over
25 ms and 50 ms p95) and the load average.

Side by side (``--stock-account``, default the office): the gunicorn server also serves, under /stock/…, one
stock Flask-Admin ``ModelView`` per list view over the same model (same column_list, labels, filters,
searchable and sortable columns; no scope, Flask-Admin's COUNT, lazy relations, ILIKE search); for the
kinds of case in ``--stock-kinds`` the stock page is requested alternately with ours, request by request,
and the ratio stock ÷ ours of the medians is reported. The stock views exist only in the gunicorn process this
bench starts (``stock_wsgi_app``): the production app (``wsgi:app``) never has them.

Usage:  .venv/bin/python bench/scale_bench.py [--db gk_scale] [--roles unit0000,yuzhong_hr,office,center,admin]
        [--repeat 20] [--only <substring of "account 页面 case">] [--filters columns|widest|all]
        [--stock-account office] [--stock-kinds page,deep,search,details] [--bulk] [--bulk-sets 3] [--bulk-rows 5000]
``--only bulk`` runs the bulk approvals alone (as before): "all matching the filter" approvals of ~5,000 rows
by the 市工考办 through HTTP, from sending the POST to having read the result page. The bulk part changes the
database (re-run gen_data.py, or copy the database from a template made right after it, to start again).
"""

import argparse
import json
import os
import re
import secrets
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from bench.live_server import PG, Client, Gunicorn, load_average  # noqa: E402

# Who is measured: account -> role. The roles come from the database at run time; this is the plan's default.
ACCOUNTS = {
    "unit0000": "unit",
    "yuzhong_hr": "district_hr",
    "office": "office",
    "center": "center",
    "admin": "admin",
}
WARM_UP = 2
DEEP_PAGE = 400  # the deepest page asked for (0-based, as Flask-Admin's ``page`` argument)
SAMPLE_ROWS = 2000  # rows of the list read to choose each filter's most common value
STOCK_KINDS = ("page", "deep", "search", "details")
STOCK_URL = "/stock"
ALL_BATCHES = "all_batches"  # views.mixins.batches: a list without conditions, every batch


# --- which cases (from the app's views; no database) ---------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """One page to time: ``kind`` is page, sort, filter, search, deep or details; ``key`` the sortable column's
    name, the filter's index in the view's ``_filters`` or the searched column (``table.column``)."""

    account: str
    role: str
    endpoint: str
    kind: str
    key: str = ""
    desc: bool = False


def reachable(view, role: str) -> bool:
    """Whether ``role`` may open ``view`` by the app's rule: its ``read_roles``; without them, every user."""
    roles = getattr(view, "read_roles", None)
    return roles is None or role in roles


def is_list_view(view) -> bool:
    from flask_admin.model import BaseModelView

    return isinstance(view, BaseModelView)


def sortable_columns(view) -> list[tuple[int, str]]:
    """(index in the page's columns — the ``sort`` argument —, name) of every column the page can sort by."""
    return [
        (i, name) for i, (name, _label) in enumerate(view._list_columns) if name in view._sortable_columns
    ]


def search_key(field) -> str:
    return f"{field.table.name}.{field.name}"


# The account of the widest reach that opens a view measures its whole matrix (every filter operation, every
# sortable column both ways); the others measure every filter column and sortable column once (``view_cases``).
EQUAL_FILTERS = frozenset({"FilterEqual", "IntEqualFilter", "BooleanEqualFilter", "BatchFilter"})
WIDEST_FIRST = ("office", "center", "city_hr", "party_org", "district_hr", "admin", "unit")


def filter_columns(view) -> dict[str, int]:
    """filter column (its label and column) -> index of the filter that stands for it when one operation is
    timed: "equals" where there is one, else the column's first operation."""
    chosen: dict[str, int] = {}
    for index, flt in enumerate(view._filters or ()):
        column = f"{flt.name}|{getattr(flt, 'column', None)}"
        if column not in chosen or (_is_equal(flt) and not _is_equal(view._filters[chosen[column]])):
            chosen[column] = index
    return chosen


def _is_equal(flt) -> bool:
    return type(flt).__name__ in EQUAL_FILTERS


def view_cases(view, account: str, role: str, full: bool, operations: bool = False) -> list[Case]:
    """The cases of one view for one account (see the module docstring). ``full``: every sortable column
    ascending and descending, else descending; ``operations``: every filter operation, else every filter
    column once ("equals" where there is one)."""

    def case(kind, key="", desc=False):
        return Case(account, role, view.endpoint, kind, str(key), desc)

    if not is_list_view(view):
        return [case("page")]
    cases = [case("page")]
    for _index, name in sortable_columns(view):
        cases += [case("sort", name), case("sort", name, True)] if full else [case("sort", name, True)]
    indexes = range(len(view._filters or ())) if operations else sorted(filter_columns(view).values())
    cases += [case("filter", index) for index in indexes]
    cases += [case("search", search_key(field)) for field, _path in view._search_fields or ()]
    cases.append(case("deep"))
    if view.can_view_details:
        cases.append(case("details"))
    return cases


def widest(accounts: dict[str, str], view) -> str | None:
    """The account whose role comes first in ``WIDEST_FIRST`` among those that may open ``view``."""
    reaching = [a for a, role in accounts.items() if reachable(view, role)]
    rank = {role: i for i, role in enumerate(WIDEST_FIRST)}
    return min(reaching, key=lambda a: rank.get(accounts[a], len(rank)), default=None)


FILTER_MODES = ("columns", "widest", "all")


def plan(admin, accounts: dict[str, str], filters: str = "columns") -> list[Case]:
    """Every case of every view each account's role may open, in the registry's order (no database).

    The widest account of each view sorts by every sortable column both ways, the others descending.
    ``filters``: "columns" — every filter column once for every account ("equals" where there is one);
    "widest" — every filter operation for the widest account; "all" — every operation for every account."""
    cases = []
    for account, role in accounts.items():
        for view in admin._views:
            if reachable(view, role):
                full = widest(accounts, view) == account
                operations = filters == "all" or (filters == "widest" and full)
                cases += view_cases(view, account, role, full, operations)
    return cases


def case_label(view, case: Case, values=None) -> str:
    """A short Chinese/English name of the case as the table prints it."""
    if case.kind == "sort":
        label = dict(view._list_columns)[case.key]
        return f"排序 {label} {'↓' if case.desc else '↑'}"
    if case.kind == "filter":
        flt = view._filters[int(case.key)]
        return f"筛选 {flt.name} {flt.operation()}"
    if case.kind == "search":
        return f"搜索 {case.key}"
    if case.kind == "deep":
        if values is None:
            return "深页"
        every = "（全部批次）" if ALL_BATCHES in values.deep_args else ""
        return f"第 {values.deep_args['page'] + 1} 页{every}"
    if case.kind == "details":
        return "详情"
    return "第 1 页" if is_list_view(view) else "页面"


# --- which values (the database, as the logged-in account) ---------------------------------------------------
@dataclass
class ListValues:
    """The values a list's cases send, all from rows in the account's scope."""

    filters: dict  # filter index -> URL value
    searches: dict  # table.column -> search term
    deep_args: dict  # the deepest page up to DEEP_PAGE (and all_batches=1 when the default list is short)
    details_id: int | None  # a row of that page; None when the account's scope has no row
    default_args: dict  # the conditions a bare URL is read with (the current batch), as URL arguments
    from_data: dict  # filter index -> whether the value came from a row (False: no row had one)


def most_common(view, column, path):
    """The most common non-empty value of ``column`` (reached through ``path``'s joins) among the first
    ``SAMPLE_ROWS`` rows of the view's scoped query; None when none has one."""
    import sqlalchemy as sa

    from admin_app.extensions import db

    query, _joins, alias = view._apply_path_joins(view.get_query(), {}, path, inner_join=False)
    target = column if alias is None else getattr(alias, column.key)
    sample = (
        query.with_entities(target.label("v")).filter(target.isnot(None)).order_by(None).limit(SAMPLE_ROWS)
    ).subquery()
    return db.session.execute(
        sa.select(sample.c.v).group_by(sample.c.v).order_by(sa.func.count().desc(), sample.c.v).limit(1)
    ).scalar()


def filter_value(view, flt, raw) -> str:
    """The URL value of ``flt`` for the raw column value ``raw`` (None: a plausible value of its type)."""
    from flask_admin.model import filters as base

    options = [str(key) for key, _label in flt.get_options(view) or ()]
    if options:
        return str(raw) if raw is not None and str(raw) in options else options[0]
    if isinstance(flt, base.BaseBooleanFilter):
        return "1"
    if isinstance(flt, (base.BaseDateTimeFilter, base.BaseDateTimeBetweenFilter)):
        moment = raw if isinstance(raw, datetime) else datetime(2021, 1, 1)
        text = moment.strftime("%Y-%m-%d %H:%M:%S")
        if isinstance(flt, base.BaseDateTimeBetweenFilter):
            return f"{text} to {(moment + timedelta(days=30)).strftime('%Y-%m-%d %H:%M:%S')}"
        return text
    if isinstance(flt, (base.BaseDateFilter, base.BaseDateBetweenFilter)):
        day = raw.date() if isinstance(raw, datetime) else raw if isinstance(raw, date) else date(2021, 1, 1)
        if isinstance(flt, base.BaseDateBetweenFilter):
            return f"{day.isoformat()} to {(day + timedelta(days=30)).isoformat()}"
        return day.isoformat()
    if isinstance(flt, (base.BaseIntFilter, base.BaseIntListFilter, base.BaseFloatFilter)):
        return str(raw if raw is not None else 1)
    return str(raw) if raw is not None else "无"


def search_term(key: str, raw) -> str:
    """A name's first two characters (a prefix or "contains" search), any other value whole (an ID number,
    a 准考证号, a code)."""
    if raw is None:
        return "无"
    text = str(raw)
    return text[:2] if key.endswith("name") or key.endswith(".body") else text


def list_values(view) -> ListValues:
    """The values of ``view``'s cases (in a request context of the bare list URL, logged in)."""
    found, from_data = {}, {}
    raw_by_column = {}
    for index, flt in enumerate(view._filters or ()):
        column = getattr(flt, "column", None)
        key = getattr(flt, "key_name", None) or column
        cache_key = str(key)
        if cache_key not in raw_by_column:
            try:
                raw_by_column[cache_key] = most_common(view, column, view._filter_joins.get(key, []))
            except Exception:  # a filter over no plain column (申报材料 有/无): its options decide
                from admin_app.extensions import db

                db.session.rollback()
                raw_by_column[cache_key] = None
        raw = raw_by_column[cache_key]
        found[index] = filter_value(view, flt, raw)
        if not flt.validate(found[index]):  # a filter of its own kind: a year of a date, or an id
            fallbacks = [str(raw.year)] if isinstance(raw, date) else []
            found[index] = next((v for v in [*fallbacks, "1"] if flt.validate(v)), found[index])
        if not flt.validate(found[index]):  # Flask-Admin would drop it silently and time the bare list
            raise ValueError(f"{view.endpoint}: filter {index} refuses {found[index]!r}")
        from_data[index] = raw is not None
    searches = {
        search_key(field): search_term(search_key(field), most_common(view, field, path))
        for field, path in view._search_fields or ()
    }
    extra = view._get_list_extra_args()
    deep_args, details_id = {"page": 0}, None
    if hasattr(view, "capped_count"):
        # the list as it opens (the current batch); if that has no second page, every batch
        for filters, marker in ((extra.filters, {}), ([], {ALL_BATCHES: "1"})):
            _none, query = view.get_list(
                0, None, False, None, filters, execute=False, page_size=0, eager=False
            )
            pages = int(view.capped_count(query, 0, 0)) // view.page_size
            deep = max(0, min(DEEP_PAGE, pages - 1))
            details_id = query.with_entities(view.model.id).offset(deep * view.page_size).limit(1).scalar()
            deep_args = {"page": deep, **marker}
            if pages >= 2 or not filters:
                break
    defaults = (
        view.filter_url_args(extra.filters) if extra.filters and hasattr(view, "filter_url_args") else {}
    )
    defaults.pop(ALL_BATCHES, None)
    return ListValues(found, searches, deep_args, details_id, defaults, from_data)


def account_values(app, account: str, views) -> dict:
    """endpoint -> ``ListValues`` of every list view in ``views`` for ``account`` (read as that user)."""
    import sqlalchemy as sa
    from flask_login import login_user

    from admin_app.extensions import db
    from models import User

    values = {}
    for view in views:
        with app.test_request_context(f"{view.url}/"):
            login_user(db.session.scalar(sa.select(User).where(User.username == account)))
            values[view.endpoint] = list_values(view)
            db.session.rollback()
    return values


def case_request(view, case: Case, values: ListValues | None) -> tuple[str, dict]:
    """(path, URL arguments) of the case."""
    if not is_list_view(view):
        return (
            f"{(view.url or view.admin.url).rstrip('/')}/",
            {},
        )  # the index view (首页) has no url of its own
    base = f"{view.url}/"
    if case.kind == "sort":
        index = next(i for i, name in sortable_columns(view) if name == case.key)
        return base, {"sort": index, **({"desc": 1} if case.desc else {})}
    if case.kind == "filter":
        index = int(case.key)
        arg = f"flt0_{view.get_filter_arg(index, view._filters[index])}"
        return base, {arg: values.filters[index]}
    if case.kind == "search":
        return base, {"search": values.searches[case.key]}
    if case.kind == "deep":
        return base, dict(values.deep_args)
    if case.kind == "details":
        return f"{base}details/", {"id": values.details_id}
    return base, {}


# --- the stock views (only in the bench's gunicorn process) --------------------------------------------------
def stock_views(app) -> dict:
    """One stock Flask-Admin ``ModelView`` per list view of ``app``, under ``STOCK_URL``: the same model, column
    list, labels, filters, searchable and sortable columns, nothing else. endpoint -> stock view."""
    from flask_admin import Admin
    from flask_admin.contrib.sqla import ModelView

    from admin_app.extensions import db

    stock = Admin(app, name="stock", url=STOCK_URL, endpoint="stock")
    made = {}
    for view in app.extensions["admin"][0]._views:
        if not is_list_view(view):
            continue
        attributes = {
            name: getattr(view, name)
            for name in (
                "column_list",
                "column_labels",
                "column_filters",
                "column_searchable_list",
                "column_sortable_list",
            )
        }
        stock_class = type(
            f"Stock{type(view).__name__}", (ModelView,), {**attributes, "can_view_details": True}
        )
        made[view.endpoint] = stock_class(
            view.model,
            db,
            name=f"stock {view.name}",
            endpoint=f"stock_{view.endpoint}",
            url=f"{STOCK_URL}{view.url}",
        )
        stock.add_view(made[view.endpoint])
    return made


def stock_wsgi_app():
    """gunicorn's app for this bench (``bench.scale_bench:stock_wsgi_app()``): the production app, configured
    from the environment as ``wsgi.py`` does, plus the stock views."""
    import gc

    from admin_app import create_app

    app = create_app()
    stock_views(app)
    gc.freeze()  # as wsgi.py does after start-up
    return app


# --- timing -------------------------------------------------------------------------------------------------
def percentiles(samples):
    """(median, p95) rounded to 0.1 ms; p95 is the sample at rank ceil(0.95 n)."""
    samples = sorted(samples)
    p95 = samples[min(len(samples) - 1, int(round(len(samples) * 0.95)) - 1)]
    return round(statistics.median(samples), 1), round(p95, 1)


def server_ms(response) -> float:
    return float(response.headers["Server-Timing"].split("dur=")[1])


def measure(client, path, params, repeat, stock_path=None, stock_params=None) -> dict:
    """``WARM_UP`` + ``repeat`` GETs of the page (and, with ``stock_path``, of the stock page alternately,
    the order swapped every round); redirects are not followed. {"status": …} alone if a page is not 200."""
    timings = {"ours": ([], []), "stock": ([], [])}
    pages = [("ours", path, params)] + ([("stock", stock_path, stock_params)] if stock_path else [])
    for round_ in range(WARM_UP + repeat):
        for variant, url, args in pages if round_ % 2 == 0 else pages[::-1]:
            start = time.perf_counter()
            response = client.get(url, params=args, allow_redirects=False)
            seen = (time.perf_counter() - start) * 1000
            if response.status_code != 200:
                location = response.headers.get("Location")
                return {"status": response.status_code, "variant": variant, "location": location}
            if round_ >= WARM_UP:
                timings[variant][0].append(server_ms(response))
                timings[variant][1].append(seen)
    (p50, p95), (c50, c95) = percentiles(timings["ours"][0]), percentiles(timings["ours"][1])
    result = {"status": 200, "median_ms": p50, "p95_ms": p95, "client_median_ms": c50, "client_p95_ms": c95}
    if stock_path:
        s50, s95 = percentiles(timings["stock"][0])
        result.update(stock_median_ms=s50, stock_p95_ms=s95, ratio=round(s50 / p50, 1) if p50 else None)
    return result


# --- the run ------------------------------------------------------------------------------------------------
def bench_app(database: str):
    """The app on the bench database, in this process (to read the values), and its views."""
    from admin_app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": f"{PG}/{database}", "SECRET_KEY": "bench"})


def account_roles(app, accounts: list[str]) -> dict[str, str]:
    """account -> role, from the database; an account that does not exist is left out (and said so)."""
    import sqlalchemy as sa

    from admin_app.extensions import db
    from models import User

    roles = {}
    with app.app_context():
        for account in accounts:
            user = db.session.scalar(sa.select(User).where(User.username == account))
            if user is None:
                print(f"# no account {account}: its pages are not measured", flush=True)
            else:
                roles[account] = user.role
    return roles


def page_name(view, role) -> str:
    """The view's name as ``role`` reads it (成绩录入 / 成绩查询: ``views.role_name.RoleName``)."""
    name = view.name
    return name.for_role(role) if hasattr(name, "for_role") else str(name)


def case_name(view, case: Case, values=None) -> str:
    return f"{case.account} {page_name(view, case.role)} {case_label(view, case, values)}"


def redirect_target(outcome) -> tuple[str, dict] | None:
    """(path, arguments) a page sent the account to, when it is another page of the app (a unit's
    单位基本信息 opens its own row's form); None for anything else (a 403, the login page)."""
    location = outcome.get("location")
    if outcome["status"] not in (301, 302, 303) or not location:
        return None
    parts = urlsplit(location)
    if parts.path.startswith("/login"):
        return None
    return parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}


def stock_request(case, view, path, params, values, args):
    """(path, arguments) of the stock page timed beside ``case``, or None. A stock view has no default
    condition: it is sent the one our bare list URL opens with (the current batch), so both show the same rows."""
    stock_kinds = set(args.stock_kinds.split(",")) if args.stock_kinds else set()
    if case.account != args.stock_account or case.kind not in stock_kinds or not is_list_view(view):
        return None
    every = case.kind == "details" or ALL_BATCHES in params
    return f"{STOCK_URL}{path}", dict(params) if every else {**values.default_args, **params}


def run_cases(server, app, cases, args) -> list[dict]:
    """Time every case (grouped by account, one logged-in client each); the stock account's list cases of
    ``--stock-kinds`` alternately with the stock page. A view whose page 1 is not 200 has no case (a page
    it redirects to, such as the unit's own form, is timed instead)."""
    views = {view.endpoint: view for view in app.extensions["admin"][0]._views}
    results, unreachable = [], set()
    for account in dict.fromkeys(case.account for case in cases):
        mine = [case for case in cases if case.account == account]
        lists = [views[e] for e in dict.fromkeys(c.endpoint for c in mine) if is_list_view(views[e])]
        started = time.perf_counter()
        values = account_values(app, account, lists)
        print(f"# {account}: values read in {time.perf_counter() - started:.1f} s", flush=True)
        client = Client(server.base, account)
        for case in mine:
            if (account, case.endpoint) in unreachable:
                continue
            view, own = views[case.endpoint], values.get(case.endpoint)
            path, params = case_request(view, case, own)
            label = case_label(view, case, own)
            if case.kind == "details" and own.details_id is None:
                results.append(
                    {
                        "account": account,
                        "page": page_name(view, case.role),
                        "case": label,
                        "kind": case.kind,
                        "status": "no row",
                    }
                )
                print(
                    f"# {account} {page_name(view, case.role)}: no row in scope, no details page", flush=True
                )
                continue
            stock = stock_request(case, view, path, params, own, args)
            outcome = measure(client, path, params, args.repeat, *(stock or ()))
            if outcome["status"] != 200 and case.kind == "page":
                unreachable.add((account, case.endpoint))
                if target := redirect_target(outcome):
                    path, params = target
                    label = f"{label} → {path}"
                    outcome = measure(client, path, params, args.repeat)
            record = {
                "account": account,
                "role": case.role,
                "page": page_name(view, case.role),
                "case": label,
                "kind": case.kind,
                "url": path + ("?" + urlencode(params) if params else ""),
                "load_1min": round(os.getloadavg()[0], 2),
                **outcome,
            }
            results.append(record)
            print(json.dumps(record, ensure_ascii=False), flush=True)
    return results


def select_cases(cases, views, only: str | None) -> list[Case]:
    """The cases whose name ("account 页面 case") contains ``only`` (all without it); several substrings
    separated by "|": the cases that contain one of them."""
    if not only:
        return cases
    wanted = [part for part in only.split("|") if part]
    return [case for case in cases if any(w in case_name(views[case.endpoint], case) for w in wanted)]


def markdown(results, started_load, ended_load, wall_s, repeat) -> str:
    """The table for bench/README.md: every timed case, worst p95 first, then the stock comparison."""
    timed = sorted((r for r in results if r["status"] == 200), key=lambda r: -r["p95_ms"])
    failed = [r for r in results if r["status"] != 200]
    lines = [
        f"{len(timed)} cases, {repeat} requests each after {WARM_UP} warm-up; server time (Server-Timing) in ms; "
        f"wall time {wall_s / 60:.1f} min; load average {started_load} before, {ended_load} after.",
        f"Over 25 ms p95: **{sum(r['p95_ms'] > 25 for r in timed)}**; over 50 ms p95: "
        f"**{sum(r['p95_ms'] > 50 for r in timed)}**; not 200 (left out): {len(failed)}.",
        "",
        "| # | account | page | case | median | p95 | client p95 |",
        "|---|---|---|---|---|---|---|",
    ]
    for rank, r in enumerate(timed, 1):
        lines.append(
            f"| {rank} | {r['account']} | {r['page']} | {r['case']} | {r['median_ms']} | {r['p95_ms']} | "
            f"{r['client_p95_ms']} |"
        )
    stock = [r for r in timed if "stock_median_ms" in r]
    if stock:
        lines += [
            "",
            "Side by side, stock Flask-Admin `ModelView` (same columns, filters, search; interleaved):",
            "",
            "| account | page | case | ours median / p95 | stock median / p95 | stock ÷ ours |",
            "|---|---|---|---|---|---|",
        ]
        for r in sorted(stock, key=lambda r: (r["page"], r["case"])):
            lines.append(
                f"| {r['account']} | {r['page']} | {r['case']} | {r['median_ms']} / {r['p95_ms']} | "
                f"{r['stock_median_ms']} / {r['stock_p95_ms']} | {r['ratio']}× |"
            )
    if failed:
        lines += [
            "",
            "Not 200 (not cases): "
            + "; ".join(f"{r['account']} {r['page']} {r['case']} → {r['status']}" for r in failed),
        ]
    return "\n".join(lines) + "\n"


def summary(results, worst: int = 30) -> str:
    timed = sorted((r for r in results if r["status"] == 200), key=lambda r: -r["p95_ms"])
    lines = [
        f"{len(timed)} cases; over 25 ms p95: {sum(r['p95_ms'] > 25 for r in timed)}; "
        f"over 50 ms p95: {sum(r['p95_ms'] > 50 for r in timed)}"
    ]
    for r in timed[:worst]:
        lines.append(f"{r['p95_ms']:8.1f} {r['median_ms']:8.1f}  {r['account']} {r['page']} {r['case']}")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="gk_scale")
    parser.add_argument("--roles", default=",".join(ACCOUNTS), help="accounts, comma-separated")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument(
        "--only",
        help='cases whose "account 页面 case" contains this (several: "a|b"); "bulk": the bulk part alone',
    )
    parser.add_argument("--filters", choices=FILTER_MODES, default="columns", help="see plan()")
    parser.add_argument("--stock-account", default="office")
    parser.add_argument("--stock-kinds", default=",".join(STOCK_KINDS), help="'' for none")
    parser.add_argument(
        "--bulk", action="store_true", help="then the bulk approvals (they change the database)"
    )
    parser.add_argument("--bulk-sets", type=int, default=3)
    parser.add_argument("--bulk-rows", type=int, default=5000)
    parser.add_argument("--out", default=os.path.join(HERE, "scale_results.json"))
    parser.add_argument("--markdown", default=os.path.join(HERE, "scale_results.md"))
    args = parser.parse_args()
    if args.repeat < 20:
        parser.error("--repeat below 20 gives no p95")
    app = bench_app(args.db)
    views = {view.endpoint: view for view in app.extensions["admin"][0]._views}
    started, started_load = time.perf_counter(), load_average()
    print(f"# load average {started_load}", flush=True)
    results = []
    # BULK_JOB_ROWS: the bulk approvals (~5,000 rows) are measured in the request, not as background jobs
    app_path = "bench.scale_bench:stock_wsgi_app()"
    with Gunicorn(args.db, 8600 + secrets.randbelow(90), app=app_path, BULK_JOB_ROWS="20000") as server:
        if args.only == "bulk":
            run_bulk(server, app, results, args)
        else:
            accounts = account_roles(app, args.roles.split(","))
            cases = select_cases(plan(app.extensions["admin"][0], accounts, args.filters), views, args.only)
            print(f"# {len(cases)} cases", flush=True)
            results += run_cases(server, app, cases, args)
            if args.bulk:
                run_bulk(server, app, results, args)
    ended_load, wall = load_average(), time.perf_counter() - started
    print(f"# load average {ended_load}; wall time {wall:.0f} s", flush=True)
    document = {
        "load_average_before": started_load,
        "load_average_after": ended_load,
        "wall_s": round(wall),
        "repeat": args.repeat,
        "results": results,
    }
    with open(args.out, "w") as handle:
        json.dump(document, handle, ensure_ascii=False, indent=1)
    cases_only = [r for r in results if "kind" in r]
    if cases_only:
        with open(args.markdown, "w") as handle:
            handle.write(markdown(cases_only, started_load, ended_load, wall, args.repeat))
        print(summary(cases_only), flush=True)


def run_bulk(server, app, results, args):
    """The bulk part: ``--bulk-sets`` "all matching" approvals of ~``--bulk-rows`` rows by the office."""
    views = {view.endpoint: view for view in app.extensions["admin"][0]._views}
    client = Client(server.base, "office")
    for _ in range(6):  # both workers have served the queue
        client.get("/review_queue/")
    bulk_over_http(client, views["review_queue"], app, results, args.bulk_rows, args.bulk_sets)


def filter_args(view, wanted: dict) -> dict:
    """URL arguments of a list's filters for {"table.column": value} (equality), the app's own way."""
    from views.base import SecureModelView

    return SecureModelView.filter_url_args(view, SecureModelView.column_filters_for(view, wanted))


def submitted_at_filter(queue, limit: str) -> dict:
    """URL arguments of the queue's 提交时间 "before" filter (in a request context)."""
    from views.base import SecureModelView

    index = next(
        i
        for i, f in enumerate(queue._filters)
        if type(f).__name__ == "DateTimeSmallerFilter" and f.column.key == "submitted_at"
    )
    return SecureModelView.filter_url_args(queue, [(index, "", limit)])


def first_rows_limit(year, grade, rows: int) -> str:
    """The 提交时间 of the (``rows`` + 1)th application waiting at the 市工考办 in (year, grade) (in an app
    context): filtering on "before it" takes the first ``rows`` (rows of one minute share a time)."""
    import sqlalchemy as sa

    from admin_app.extensions import db
    from admin_app.workflow.states import ApplicationState
    from models import Application, ExamBatch

    limit = db.session.scalar(
        sa.select(Application.submitted_at)
        .join(ExamBatch, ExamBatch.id == Application.batch_id)
        .where(
            Application.status == ApplicationState.PENDING_OFFICE,
            ExamBatch.year == int(year),
            Application.applied_grade == int(grade),
        )
        .order_by(Application.submitted_at)
        .offset(rows)
        .limit(1)
    )
    return limit.strftime("%Y-%m-%d %H:%M:%S")


def submitted_before(queue, year, grade, rows: int) -> dict:
    """URL arguments taking the first ``rows`` applications of (year, grade) waiting at the 市工考办."""
    return submitted_at_filter(queue, first_rows_limit(year, grade, rows))


def bulk_sets(app, rows: int, count: int) -> list[tuple[int, str, str]]:
    """``count`` filters of ~``rows`` applications waiting at the 市工考办, each in a different (batch year,
    grade) set of a batch that is not archived: (year, grade, submitted_at limit). The 提交时间 filter takes
    the rows submitted before the (``rows`` + 1)th of the set (rows of one minute share a time, so a few fewer may match)."""
    import sqlalchemy as sa

    from admin_app.extensions import db
    from admin_app.workflow.states import ApplicationState, BatchState
    from models import Application, ExamBatch

    with app.app_context():
        waiting = db.session.execute(
            sa.select(ExamBatch.year, Application.applied_grade, sa.func.count())
            .join(ExamBatch, ExamBatch.id == Application.batch_id)
            .where(
                Application.status == ApplicationState.PENDING_OFFICE, ExamBatch.state != BatchState.ARCHIVED
            )
            .group_by(ExamBatch.year, Application.applied_grade)
            .having(sa.func.count() >= rows)
            .order_by(ExamBatch.year.desc(), Application.applied_grade)
        ).all()
        chosen = [
            (year, str(grade), first_rows_limit(year, grade, rows)) for year, grade, _count in waiting[:count]
        ]
    return chosen


def bulk_over_http(client, queue, app, results, rows, count):
    """市工考办 approves "all matching the filter" (batch year, grade, 提交时间 ≤ limit: ~``rows`` rows) through
    gunicorn, as the browser does: the confirmation page (count, CSRF token), then the POST, timed from
    sending it to having read the whole result page. Per row: scope and state checked in the UPDATE, one
    history and one audit row, and (final step) the 考试报名 row. Consumes what it approves.

    Before the timed requests, each worker has drawn a result page: an approval of an id that does not
    exist (refused, nothing changed) is sent six times, so that no timing includes compiling the template."""
    import sqlalchemy as sa

    from admin_app.extensions import db
    from models import ExamBatch

    token, _page = client.token("/review_queue/")
    for _ in range(6):
        warm = client.post(
            "/review_queue/decide/",
            data={"op": "approve", "rowid": "2000000000", "opinion": "同意", "csrf_token": token},
        )
        assert warm.status_code == 200 and "成功" in warm.text, warm.status_code
    for year, grade, limit in bulk_sets(app, rows, count):
        with app.test_request_context("/"):
            # the queue's 批次 condition is on the row's own batch (issue 15), chosen by id
            batch = db.session.scalar(sa.select(ExamBatch.id).where(ExamBatch.year == int(year)))
            flt = filter_args(queue, {"application.batch_id": batch, "application.applied_grade": grade})
            flt.update(submitted_at_filter(queue, limit))
        token, confirm = client.token("/review_queue/bulk/", params={"op": "approve", **flt})
        matching = re.search(r"全部 (\d+) 条", confirm)
        start = time.perf_counter()
        pin = re.search(r'name="pin" value="([^"]+)"', confirm).group(1)  # the rows the page pinned
        response = client.post(
            "/review_queue/decide/",
            data={"op": "approve", "pin": pin, "opinion": "同意", "csrf_token": token},
        )
        seconds = time.perf_counter() - start
        assert response.status_code == 200, response.status_code
        done = int(re.search(r"成功 <strong[^>]*>(\d+)</strong>", response.text).group(1))
        assert done > 0, "nothing approved"
        results.append(
            {
                "variant": "http",
                "role": "office",
                "page": f"bulk approve {year}/{grade}/提交时间<{limit}",
                "matching_on_confirmation_page": int(matching.group(1)) if matching else None,
                "approved": done,
                "seconds": round(seconds, 3),
                "server_seconds": round(float(response.headers["Server-Timing"].split("dur=")[1]) / 1000, 3),
                "result_page_bytes": len(response.content),
            }
        )
        print(json.dumps(results[-1], ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
