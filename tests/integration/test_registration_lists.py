"""考试报名 / 成绩录入 / 考核评审 / 资格认定 and 考试资格申请 at scale (issue 16): a search over columns of
several tables (姓名, 身份证号码 on the worker; 准考证号 on the registration) is a union of id sets, and
成绩录入 sorts by 准考证号 along an index. Both must give exactly the rows, order and count of the plain
definition, computed here in Python from the scoped rows: every word matches one column by prefix."""

import re

import pytest
from flask_login import login_user

import views.mixins.listing as listing
from admin_app.extensions import db
from admin_app.workflow.states import ApplicationState, BatchState, RegistrationState
from models import Registration, User, enums
from tests import factories

LISTS = ["registrations", "scores", "evaluations", "recognitions", "applications"]
USERS = ["office", enums.CENTER, "yuzhong_hr", "unit_a", enums.PARTY_ORG]
PAGE_SIZE = 50


@pytest.fixture
def candidates(world):
    """Registrations in two batches for the units A (渝中), B (沙坪坝) and P (党群): repeated surnames,
    准考证号 that begin like the ID numbers (500103…) and like each other, the same 准考证号 in both
    batches (ties broken by id), rows without one."""
    old = factories.add_batch(2020, BatchState.CLOSED)
    units = [world.units["A"], world.units["B"], world.units["P"]]
    for seq in range(24):
        worker = factories.add_worker(
            units[seq % 3], f"{'张王'[seq % 2]}{seq % 4}号", 400 + seq, world.trade, world.batch
        )
        db.session.flush()
        application = factories.add_application(
            world,
            worker,
            grade=1 + seq % 5,
            batch=old if seq % 3 == 0 else world.batch,
            status=ApplicationState.APPROVED,
        )
        registration = factories.add_registration(application)
        if seq % 4:
            registration.status = RegistrationState.REGISTERED
            # 500103… like the ID numbers (the same number in both batches for seq 3k and 3k + 2, k odd);
            # 2021… like each other
            registration.ticket_number = f"500103{seq // 3:04d}" if seq % 2 else f"2021{seq // 2:06d}"
    db.session.commit()
    return world


def _view(app, endpoint):
    return next(v for v in app.extensions["admin"][0]._views if v.endpoint == endpoint)


def _columns(row) -> list[str]:
    """The searched columns of a list row, as the plain definition reads them."""
    tickets = [row.ticket_number] if isinstance(row, Registration) else []
    return [row.worker.name, row.worker.id_number, *tickets]


def _plain_rows(app, endpoint, username, search, batch_id=None) -> list[int]:
    """Ids of the user's scoped rows (the view's own scope and stage) in which every word of ``search``
    begins one searched column (ID-like words upper-cased), in the list's default order (newest first;
    成绩录入 by 准考证号 first): computed in Python."""
    view = _view(app, endpoint)
    with app.test_request_context(f"/{endpoint}/"):
        login_user(db.session.query(User).filter_by(username=username).one())
        rows = view.get_query().all()
    words = [w.upper() if re.fullmatch(r"[0-9xX]+", w) else w for w in search.split()]
    found = [
        row
        for row in sorted(rows, key=lambda r: r.id, reverse=True)
        if (batch_id is None or row.batch_id == batch_id)
        and all(any(c and c.startswith(w) for c in _columns(row)) for w in words)
    ]
    if endpoint == "scores":
        found.sort(key=lambda r: r.ticket_number.encode())
    return [row.id for row in found]


def _shown(client, endpoint, query) -> tuple[list[int], str]:
    html = client.get(f"/{endpoint}/", query_string={"page_size": PAGE_SIZE, **query}).get_data(as_text=True)
    return list(dict.fromkeys(int(pk) for pk in re.findall(r"details/\?id=(\d+)", html))), html


def _terms(world) -> list[str]:
    sample = db.session.query(Registration).filter(Registration.ticket_number.is_not(None)).first()
    return [
        "张",  # a surname: a name column only
        "王1号",
        sample.worker.id_number,  # one worker's ID number
        "500103",  # every ID number, and half of the 准考证号
        "5001030003",  # 准考证号 only (two rows, one per batch)
        "2021",  # 准考证号 only (the ID numbers begin 500103)
        "张 500103",  # two words, each must match a column (of different tables)
        "张 2021",
        "不存在",
        sample.worker.id_number[:-1] + "x",  # the check digit typed in lower case (no match unless X)
    ]


@pytest.mark.parametrize("username", USERS)
def test_search_finds_the_plain_rows_in_every_list(app, client, candidates, login_as, username):
    login_as(username)
    for endpoint in LISTS:
        for term in _terms(candidates):
            expected = _plain_rows(app, endpoint, username, term)
            shown, html = _shown(client, endpoint, {"search": term, "all_batches": 1})
            assert shown == expected, (endpoint, term)
            if expected:
                assert f"({len(expected)})" in html, (endpoint, term)


def test_search_keeps_the_default_batch_condition(app, client, candidates, login_as):
    """Without a condition a list shows the current batch: the search's id sets do not widen it."""
    login_as("office")
    for endpoint in ("registrations", "scores"):
        for term in ("张", "500103", "2021"):
            expected = _plain_rows(app, endpoint, "office", term, batch_id=candidates.batch.id)
            assert expected, (endpoint, term)  # the fixture has such rows in the current batch
            shown, _html = _shown(client, endpoint, {"search": term})
            assert shown == expected, (endpoint, term)


def test_search_over_several_tables_is_a_union_of_id_sets(app, candidates):
    """The query shape the database can answer from indexes: no OR across the joined tables."""
    view = _view(app, "registrations")
    with app.test_request_context("/registrations/", query_string={"search": "张", "all_batches": 1}):
        login_user(db.session.query(User).filter_by(username="office").one())
        query, _args = view.filtered_query(eager=False)
        sql = str(query.statement.compile(db.engine))
    assert " UNION " in sql and "registration.id IN (" in sql
    assert "LEFT OUTER JOIN worker" not in sql  # the worker is joined inside its own id set only


def _ticket_order(app, endpoint, username, desc) -> list[int]:
    """成绩录入's rows by 准考证号 (byte order; a 成绩录入 row always has one), ties by id descending."""
    view = _view(app, endpoint)
    with app.test_request_context(f"/{endpoint}/"):
        login_user(db.session.query(User).filter_by(username=username).one())
        rows = sorted(view.get_query().all(), key=lambda r: r.id, reverse=True)
    assert all(r.ticket_number for r in rows)
    return [r.id for r in sorted(rows, key=lambda r: r.ticket_number.encode(), reverse=desc)]


@pytest.mark.parametrize("username", ["office", enums.CENTER, "yuzhong_hr", "unit_a"])
def test_score_list_is_ordered_by_ticket_number(app, client, candidates, login_as, username):
    login_as(username)
    ticket = _view(app, "scores").column_list.index("ticket_number")
    for query, desc in (({}, False), ({"sort": ticket}, False), ({"sort": ticket, "desc": 1}, True)):
        expected = _ticket_order(app, "scores", username, desc)
        assert len(expected) > 1
        shown, _html = _shown(client, "scores", {**query, "all_batches": 1})
        assert shown == expected, query
    tickets = [r.ticket_number for r in db.session.query(Registration).filter(Registration.id.in_(expected))]
    assert len(tickets) > len(set(tickets)) or username == "unit_a"  # ties exist (broken by id)


def test_score_list_default_order_within_the_current_batch(app, client, candidates, login_as):
    login_as(enums.CENTER)
    shown, _html = _shown(client, "scores", {})
    rows = {r.id: r for r in db.session.query(Registration).filter(Registration.id.in_(shown))}
    assert shown and {r.batch_id for r in rows.values()} == {candidates.batch.id}
    assert [rows[pk].ticket_number for pk in shown] == sorted(rows[pk].ticket_number for pk in shown)


def _plain_order(app, endpoint, username, query) -> list[int]:
    """Every id of the list in the plain sorted query's order (the query exports and bulk actions use)."""
    view = _view(app, endpoint)
    with app.test_request_context(f"/{endpoint}/", query_string=query):
        login_user(db.session.query(User).filter_by(username=username).one())
        rows, _args = view.filtered_query(eager=False)
        return [row.id for row in rows]


@pytest.mark.parametrize("username", ["office", "yuzhong_hr", "unit_a"])
def test_sorted_pages_walked_hold_the_plain_sorted_rows(
    app, client, candidates, login_as, monkeypatch, username
):
    """Every sortable column of 考试报名 and 成绩录入, both directions, on a list "longer" than
    ``SORT_WALK_FROM`` (its sorts walk indexes, a few-valued column value by value): page by page the same
    rows in the same order as the plain sorted query."""
    monkeypatch.setattr(listing, "SORT_WALK_FROM", 0)  # every list is "long": its sorts walk indexes
    login_as(username)
    size = 4
    for endpoint in ("registrations", "scores"):
        view = _view(app, endpoint)
        monkeypatch.setattr(view, "page_size_options", (size, 20, 50, 100), raising=False)
        sortable = {name for name, _label in view.get_sortable_columns().items()}
        for name in sortable:
            index = view.column_list.index(name)
            for desc in (False, True):
                query = {"sort": index, "page_size": size, "all_batches": 1, **({"desc": 1} if desc else {})}
                expected = _plain_order(app, endpoint, username, query)
                assert expected, (endpoint, name)
                shown = []
                for page in range(len(expected) // size + 2):
                    ids, _html = _shown(client, endpoint, {**query, "page": page, "page_size": size})
                    shown += ids
                assert shown == expected, (endpoint, name, desc)
