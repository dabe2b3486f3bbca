"""考试资格申请 and 待我审核 sorted at scale (issue 16): a list longer than ``SORT_WALK_FROM`` walks indexes
(an inner join to the sorted relation, a few-valued column read value by value, 提交时间 with and without a
value apart); its pages hold the same rows in the same order as the plain sorted query, for every sortable
column and the default sort, both directions, every role."""

import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from flask_login import login_user

import views.mixins.listing as listing
from admin_app.extensions import db
from admin_app.workflow.states import ApplicationState, BatchState, RegistrationState, ScoreResult, pending
from models import Application, Registration, User, enums
from tests import factories

SORTS = {"batch.year": 0, "worker.name": 1, "applied_grade": 6, "status": 8, "submitted_at": 9}
STATES = [
    ApplicationState.DRAFT,
    pending(enums.DISTRICT_HR),
    pending(enums.OFFICE),
    ApplicationState.APPROVED,
    ApplicationState.REJECTED,
]
PAGE = 4


@pytest.fixture
def many(world):
    """Two batches of applications of the units A (渝中) and B (沙坪坝): repeated names, grades, states and
    提交时间 (ties broken by id), drafts without 提交时间."""
    old = factories.add_batch(2020, BatchState.CLOSED)
    start = datetime(2021, 5, 1, 9, 0)
    for seq in range(36):
        unit = world.units["A" if seq % 3 else "B"]
        worker = factories.add_worker(unit, f"同名{seq % 5}", 300 + seq, world.trade, world.batch)
        db.session.flush()
        status = STATES[seq % len(STATES)]
        factories.add_application(
            world,
            worker,
            grade=1 + seq % 5,
            batch=old if seq % 4 == 0 else world.batch,
            status=status,
            submitted_at=None if status == ApplicationState.DRAFT else start + timedelta(hours=seq % 4),
        )
    db.session.commit()
    return world


def _page_ids(client, endpoint, query) -> list[int]:
    html = client.get(f"/{endpoint}/", query_string=query).get_data(as_text=True)
    return list(dict.fromkeys(int(pk) for pk in re.findall(r"details/\?id=(\d+)", html)))


def _plain_order(app, endpoint, username, query) -> list[int]:
    """Every id of the list in the plain sorted query's order (the query exports and bulk actions use)."""
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == endpoint)
    with app.test_request_context(f"/{endpoint}/", query_string=query):
        login_user(db.session.query(User).filter_by(username=username).one())
        rows, _args = view.filtered_query(eager=False)
        return [row.id for row in rows]


CASES = [
    ("office", "applications"),
    ("yuzhong_hr", "applications"),
    ("unit_a", "applications"),
    ("office", "review_queue"),
    ("yuzhong_hr", "review_queue"),
]


@pytest.mark.parametrize(("username", "endpoint"), CASES)
def test_sorted_pages_walked_hold_the_plain_sorted_rows(
    app, client, many, login_as, monkeypatch, username, endpoint
):
    monkeypatch.setattr(listing, "SORT_WALK_FROM", 0)  # every list is "long": its sorts walk indexes
    for view in app.extensions["admin"][0]._views:  # pages of 4 rows: groups end within and across pages
        monkeypatch.setattr(view, "page_size_options", (PAGE, 20, 50, 100), raising=False)
    login_as(username)
    for column, index in [*SORTS.items(), ("default", None)]:
        for desc in (False, True):
            for batches in ({}, {"all_batches": 1}):
                query = {"page_size": PAGE, **({"desc": 1} if desc else {}), **batches}
                if index is not None:
                    query["sort"] = index
                expected = _plain_order(app, endpoint, username, query)
                shown = []
                for page in range(len(expected) // PAGE + 2):
                    ids = _page_ids(client, endpoint, {**query, "page": page})
                    assert len(ids) <= PAGE
                    shown += ids
                assert shown == expected, (column, desc, batches)


def test_plain_order_is_the_documented_one(app, client, many, login_as, monkeypatch):
    """Ties by id descending; an empty 提交时间 (a draft) last in either direction, on both databases."""
    login_as("unit_a")
    rows = db.session.query(Application).filter_by(unit_id=many.units["A"].id).all()
    drafts = sorted((r.id for r in rows if not r.submitted_at), reverse=True)
    assert drafts and len(drafts) < len(rows)

    def expected(desc):
        submitted = [r for r in rows if r.submitted_at]
        if desc:
            submitted.sort(key=lambda r: (r.submitted_at, r.id), reverse=True)
        else:
            submitted.sort(key=lambda r: (r.submitted_at, -r.id))
        return [r.id for r in submitted] + drafts

    for desc in (False, True):
        query = {"sort": SORTS["submitted_at"], "all_batches": 1, **({"desc": 1} if desc else {})}
        assert _plain_order(app, "applications", "unit_a", query) == expected(desc)
        for walk_from in (0, 10_000):  # walked and sorted as it is
            monkeypatch.setattr(listing, "SORT_WALK_FROM", walk_from)
            assert _page_ids(client, "applications", {**query, "page_size": 100}) == expected(desc)


def test_the_walk_starts_later_on_a_larger_table(app, client, many, login_as, monkeypatch):
    """The length from which a list walks grows with the square root of its table (a walk reads ~page × table
    ÷ list rows, a sort the list's rows): unchanged up to SORT_WALK_TABLE_ROWS, ×√10 at ten times that."""
    base, rows = listing.SORT_WALK_FROM, listing.SORT_WALK_TABLE_ROWS
    assert (
        listing.sort_walk_from(None)
        == listing.sort_walk_from(rows // 5)
        == listing.sort_walk_from(rows)
        == base
    )
    assert round(listing.sort_walk_from(10 * rows)) == round(base * 10**0.5)
    monkeypatch.setattr(listing, "_TABLE_ROWS", {})
    if db.engine.dialect.name == "postgresql":  # the planner's estimate, once the table is analysed
        db.session.execute(sa.text("ANALYZE application"))
        total = db.session.scalar(sa.select(sa.func.count()).select_from(Application))
        assert listing.table_rows("application") == total
    else:
        assert listing.table_rows("application") is None  # SQLite keeps none: the base length

    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "applications")
    walked = []
    original = view.page_groups
    monkeypatch.setattr(view, "page_groups", lambda *a: walked.append(a) or original(*a))
    login_as("office")
    query = {"sort": SORTS["worker.name"], "all_batches": 1}
    monkeypatch.setattr(listing, "SORT_WALK_FROM", 10)  # the office's ~29 rows: longer than 10 …
    monkeypatch.setattr(listing, "table_rows", lambda table: None)
    expected = _page_ids(client, "applications", query)
    assert walked  # … walked
    walked.clear()
    monkeypatch.setattr(listing, "table_rows", lambda table: 16 * rows)  # … shorter than 10 × √16 = 40
    assert _page_ids(client, "applications", query) == expected and not walked  # sorted: the same page


@pytest.mark.parametrize(
    ("username", "endpoint"),
    [("office", "applications"), ("yuzhong_hr", "applications"), ("office", "review_queue")],
)
def test_a_broad_search_walks_the_list_for_its_page_and_shows_the_sorted_rows(
    app, client, many, login_as, monkeypatch, username, endpoint
):
    """On a large table, a search of more matches than its cap finds its page by reading the list in order and
    keeping the rows that match (``ListingMixin._walked_matches``), one of fewer sorts its matches by id
    (``_sorted_among``); on a smaller table the matches are sorted in one statement. Every way: the same rows
    in the same order as the plain searched and sorted query, page after page, for every sort; a walk that
    reads its limit without filling the page falls back to sorting the matches (the same rows again)."""
    for view in app.extensions["admin"][0]._views:
        monkeypatch.setattr(view, "page_size_options", (1, 20, 50, 100), raising=False)
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == endpoint)
    walks = []
    original = view._walked_matches
    monkeypatch.setattr(view, "_walked_matches", lambda *a: walks.append(original(*a)) or walks[-1])
    monkeypatch.setattr(listing, "SEARCH_COUNT_CAP", 3)  # pages 0–1 of 1 row through _searched_page
    monkeypatch.setattr(listing, "SEARCH_WALK_FIRST", 1)  # a first stretch of 1 row per row wanted, then more
    monkeypatch.setattr(listing, "SEARCH_WALK_TABLE_ROWS", 10)
    one = db.session.scalars(sa.select(Application).order_by(Application.id)).first().worker.id_number
    login_as(username)
    outcomes = set()
    for rows, limit in ((20.0, 10_000), (20.0, 1), (None, 10_000)):  # walked; giving up after 1 row; sorted
        monkeypatch.setattr(listing, "table_rows", lambda table, rows=rows: rows)
        monkeypatch.setattr(listing, "SEARCH_WALK_ROWS", limit)
        for walk_from in (0, 10_000):  # the list's own sort walked by index, and sorted as it is
            monkeypatch.setattr(listing, "SORT_WALK_FROM", walk_from)
            for term in ("同名", "同名1", "同名 同名3", one):
                for column, index in [("default", None), *SORTS.items()]:
                    for desc in (False, True):
                        query = {
                            "page_size": 1,
                            "search": term,
                            "all_batches": 1,
                            **({"desc": 1} if desc else {}),
                        }
                        if index is not None:
                            query["sort"] = index
                        expected = _plain_order(app, endpoint, username, query)
                        walks.clear()
                        shown = []
                        for page in range(len(expected) + 2):
                            shown += _page_ids(client, endpoint, {**query, "page": page})
                        assert shown == expected, (rows, limit, walk_from, term, column, desc)
                        # only above the cap, on a large table, and not sorted by a searched column (its
                        # matches lie together in that order: a walk would pass every other row first)
                        broad = len(expected) > 3 and rows is not None and column != "worker.name"
                        assert bool(walks) == broad, (term, len(expected))
                        outcomes.update((limit, ids is None) for ids in walks)
    # a long enough walk always filled its page; one of 1 row sometimes did not (then the matches were sorted)
    assert (10_000, False) in outcomes and (10_000, True) not in outcomes and (1, True) in outcomes


@pytest.fixture
def workers(world):
    """Workers of the units A and B with repeated 性别, 现等级, 学历 and dates, some of them empty."""
    educations = [*enums.EDUCATION_LABELS, None]
    for seq in range(30):
        worker = factories.add_worker(
            world.units["A" if seq % 3 else "B"], f"排序{seq % 4}", 500 + seq, world.trade, world.batch
        )
        worker.gender = "MF"[seq % 2]
        worker.current_grade = None if seq % 6 == 0 else 1 + seq % 5
        worker.education = educations[seq % len(educations)]
        worker.current_grade_date = None if seq % 5 == 0 else datetime(2010 + seq % 3, 1, 1).date()
    db.session.commit()
    return world


@pytest.mark.parametrize("username", ["office", "yuzhong_hr", "unit_a"])
def test_workers_sorted_by_a_few_valued_column_walk_the_same_rows(
    app, client, workers, login_as, monkeypatch, username
):
    """工勤人员 sorted by 性别, 现等级 (empty last) or 学历 (empty last), read value by value, and by a date
    (empty last): the same pages as the plain sorted query, both directions."""
    monkeypatch.setattr(listing, "SORT_WALK_FROM", 0)
    for view in app.extensions["admin"][0]._views:
        monkeypatch.setattr(view, "page_size_options", (PAGE, 20, 50, 100), raising=False)
    login_as(username)
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "workers")
    with app.test_request_context("/workers/"):
        login_user(db.session.query(User).filter_by(username=username).one())
        columns = [name for name, _label in view._list_columns]  # ?sort= is a position in this list
    assert {"gender", "current_grade", "education"} <= set(view.column_sort_groups)
    for name in ("gender", "current_grade", "education", "current_grade_date", "name"):
        index = columns.index(name)
        assert name in view._sortable_columns
        for desc in (False, True):
            query = {"page_size": PAGE, "sort": index, **({"desc": 1} if desc else {})}
            expected = _plain_order(app, "workers", username, query)
            assert expected, name
            shown = []
            for page in range(len(expected) // PAGE + 2):
                shown += _page_ids(client, "workers", {**query, "page": page})
            assert shown == expected, (name, desc)


@pytest.fixture
def scored(world):
    """已报名 candidates of one batch with repeated 成绩结果 (some not yet entered), 实际操作 and 等级."""
    results = [*(result.value for result in ScoreResult), None]
    for seq in range(26):
        worker = factories.add_worker(
            world.units["A" if seq % 3 else "B"], f"成绩{seq % 4}", 700 + seq, world.trade, world.batch
        )
        db.session.flush()
        application = factories.add_application(
            world,
            worker,
            grade=1 + seq % 5,
            status=ApplicationState.APPROVED,
            submitted_at=datetime(2021, 5, 1),
        )
        db.session.flush()
        registration = factories.add_registration(application)
        registration.status = RegistrationState.REGISTERED
        registration.ticket_number = f"T{seq % 7:03d}{seq:03d}"
        registration.score_result = results[seq % len(results)]
        registration.practice_score = None if seq % 4 == 0 else 60 + 5 * (seq % 3)
    db.session.commit()
    return world


def test_a_search_over_two_tables_finds_its_matches_set_by_set(app, client, scored, login_as, monkeypatch):
    """成绩录入 searches the worker (姓名, 身份证号码) and the registration (准考证号): on a large table its
    matches are read set by set up to the cap (``ListingMixin._first_matches``), then sorted among themselves
    or walked; the same pages as the plain searched and sorted query, for every sortable column."""
    for view in app.extensions["admin"][0]._views:
        monkeypatch.setattr(view, "page_size_options", (1, 20, 50, 100), raising=False)
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "scores")
    assert len(view._search_groups()) == 2
    walks = []
    original = view._walked_matches
    monkeypatch.setattr(view, "_walked_matches", lambda *a: walks.append(original(*a)) or walks[-1])
    monkeypatch.setattr(listing, "SEARCH_COUNT_CAP", 3)
    monkeypatch.setattr(listing, "SEARCH_WALK_FIRST", 1)
    monkeypatch.setattr(listing, "SEARCH_WALK_TABLE_ROWS", 10)
    monkeypatch.setattr(listing, "table_rows", lambda table: 20.0)
    login_as("office")
    sortable = [i for i, (c, _n) in enumerate(view._list_columns) if c in view._sortable_columns]
    walked = 0
    for term in ("成绩", "成绩1", "T00", "T0", "成绩 T00"):
        for index in [None, *sortable]:
            for desc in (False, True):
                query = {"page_size": 1, "search": term, **({"desc": 1} if desc else {})}
                if index is not None:
                    query["sort"] = index
                expected = _plain_order(app, "scores", "office", query)
                walks.clear()
                shown = []
                for page in range(len(expected) + 2):
                    shown += _page_ids(client, "scores", {**query, "page": page})
                assert shown == expected, (term, index, desc)
                name = view._list_columns[index][0] if index is not None else None
                assert bool(walks) == (len(expected) > 3 and name not in view._searched_columns()), (
                    term,
                    name,
                )
                walked += len(walks)
                html = client.get("/scores/", query_string=query).get_data(as_text=True)
                count = (
                    "(3+)" if len(expected) > 3 else f"({len(expected)})"
                )  # at most the cap + 1, read set by set
                assert count in html, (term, count)
    assert walked


def test_scores_sorted_by_result_walk_the_same_rows(app, client, scored, login_as, monkeypatch):
    """成绩录入 sorted by 成绩结果 (value by value, not yet entered last), 实际操作 (ties by id descending) or 等级:
    the same pages as the plain sorted query, both directions."""
    monkeypatch.setattr(listing, "SORT_WALK_FROM", 0)
    for view in app.extensions["admin"][0]._views:
        monkeypatch.setattr(view, "page_size_options", (PAGE, 20, 50, 100), raising=False)
    login_as("center")
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "scores")
    with app.test_request_context("/scores/"):
        login_user(db.session.query(User).filter_by(username="center").one())
        columns = [name for name, _label in view._list_columns]
    assert "score_result" in view.column_sort_groups
    for name in ("score_result", "practice_score", "applied_grade"):
        index = columns.index(name)
        for desc in (False, True):
            query = {"page_size": PAGE, "sort": index, **({"desc": 1} if desc else {})}
            expected = _plain_order(app, "scores", "center", query)
            assert len(expected) >= 26, name  # and the world's own
            shown = []
            for page in range(len(expected) // PAGE + 2):
                shown += _page_ids(client, "scores", {**query, "page": page})
            assert shown == expected, (name, desc)


def test_a_value_without_rows_is_not_read(app, client, many, login_as, monkeypatch):
    """申报等级 and 申报状态 read value by value: a value that no row of the list's 批次 holds (per the tally the
    triggers keep) is not read — its group would walk the whole scope to find nothing; the pages are the
    plain sorted query's all the same (above)."""
    monkeypatch.setattr(listing, "SORT_WALK_FROM", 0)
    nobody = 5  # no application of the current batch for 五级 (as nobody applies for 初级工)
    db.session.execute(
        sa.update(Application)
        .where(Application.batch_id == many.batch.id, Application.applied_grade == nobody)
        .values(applied_grade=4)
    )
    db.session.commit()
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "applications")

    def groups(query, name) -> list:
        with app.test_request_context("/applications/", query_string=query):
            login_user(db.session.query(User).filter_by(username="office").one())
            return [condition.right.value for condition, _order in view.page_groups(name, True)]

    rows = db.session.query(Application.batch_id, Application.status, Application.applied_grade).all()
    current = [r for r in rows if r.batch_id == many.batch.id]
    assert groups({}, "applied_grade") == sorted({r.applied_grade for r in current}, reverse=True)
    assert nobody not in groups({}, "applied_grade") and nobody in groups({"all_batches": 1}, "applied_grade")
    assert groups({"all_batches": 1}, "applied_grade") == sorted(
        {r.applied_grade for r in rows}, reverse=True
    )
    statuses = groups({}, "status")
    assert len(statuses) == len(set(statuses)) and set(statuses) == {r.status for r in current}
    assert ApplicationState.RETURNED.value not in statuses  # no row was returned for revision


def test_a_grade_no_candidate_can_hold_is_not_read(app, client, scored, login_as, monkeypatch):
    """成绩录入 by 等级: the grades read are those of the batch's applications (a registration's grade is its
    approved application's) — every candidate's grade, not one no application of the batch has."""
    monkeypatch.setattr(listing, "SORT_WALK_FROM", 0)
    batch = scored.batch.id
    db.session.execute(  # nobody of the batch applied for 五级 (their rows now say 四级, as their applications)
        sa.update(Application)
        .where(Application.batch_id == batch, Application.applied_grade == 5)
        .values(applied_grade=4)
    )
    db.session.execute(
        sa.update(Registration)
        .where(Registration.batch_id == batch, Registration.applied_grade == 5)
        .values(applied_grade=4)
    )
    db.session.commit()
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "scores")
    with app.test_request_context("/scores/"):
        login_user(db.session.query(User).filter_by(username="center").one())
        read = [condition.right.value for condition, _order in view.page_groups("applied_grade", True)]
    held = set(
        db.session.scalars(sa.select(Registration.applied_grade).where(Registration.batch_id == batch))
    )
    applied = set(
        db.session.scalars(sa.select(Application.applied_grade).where(Application.batch_id == batch))
    )
    assert held <= set(read) == applied and 5 not in read and read == sorted(read, reverse=True)
