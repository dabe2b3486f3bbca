"""Lists at scale: a capped row count shown honestly, prefix search on the large tables."""

import re

import sqlalchemy as sa

import views.mixins.listing as listing
from admin_app.extensions import db
from models import Worker
from tests.conftest import login
from tests.factories import add_worker


def test_count_is_exact_below_the_cap_and_says_so_above_it(client, world, monkeypatch):
    for i in range(50):
        add_worker(world.units["B"], f"批量{i:02d}", 600 + i, world.trade, world.batch)
    db.session.commit()
    login(client, "office")
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Worker))
    html = client.get("/workers/").get_data(as_text=True)
    assert f"({total})" in html and "gk-count-capped" not in html

    monkeypatch.setattr(listing, "COUNT_CAP", 45)
    html = client.get("/workers/?page_size=20").get_data(as_text=True)
    assert "(45+)" in html and "超过 45+条" in html
    # the pager offers the pages counted so far; a later page still works and counts further
    assert "page=2" in html and "page=3" not in html  # 46 counted rows: pages 0, 1, 2
    html = client.get("/workers/?page_size=20&page=2").get_data(as_text=True)
    assert f"({total})" in html and "gk-count-capped" not in html
    assert html.count('title="查看记录"') == total - 40


def test_large_tables_are_searched_by_prefix(client, world):
    worker = add_worker(world.units["B"], "欧阳小明", 700, world.trade, world.batch)
    worker.id_number = worker.id_number[:-1] + "X"  # the check digit is not checked here, only the search
    db.session.commit()
    login(client, "office")

    def found(term):
        html = client.get("/workers/", query_string={"search": term}).get_data(as_text=True)
        return f"/workers/details/?id={worker.id}&" in html or f'/workers/details/?id={worker.id}"' in html

    assert found("欧阳") and found("欧阳小明")
    assert not found("小明")  # not "contains": a prefix is an index range, "contains" a full scan
    assert found(worker.id_number[:6]) and found(worker.id_number.lower())
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in worker.id_number[:8])  # ５００１０３…
    assert found(fullwidth)
    assert not found("欧阳 不存在")  # every word must match
    assert found("50%") is False and found("欧_") is False  # LIKE wildcards are literal
    html = client.get("/workers/").get_data(as_text=True)
    assert "从开头匹配" in html


def test_a_word_is_looked_for_only_in_the_columns_a_value_could_begin_with_it(app, client, world):
    """ID numbers hold digits and X, 准考证号 digits: a name is not looked for among them (on PostgreSQL the OR
    with the ID number made the worker side a bitmap scan of the table), a number is, and each is found."""
    reg = world.registrations["B"]  # B考生, with a 准考证号
    statements = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    login(client, "office")
    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:

        def search(term):
            statements.clear()
            html = client.get("/registrations/", query_string={"search": term}).get_data(as_text=True)
            text = " ".join(statements)
            looked = {c for c in ("name", "id_number", "ticket_number") if re.search(rf"\.{c} LIKE", text)}
            return f"?id={reg.id}" in html, looked

        assert search("B考") == (True, {"name"})
        assert search(reg.ticket_number[:6]) == (True, {"name", "id_number", "ticket_number"})
        assert search(reg.worker.id_number[:6].lower()) == (True, {"name", "id_number", "ticket_number"})
        assert search(reg.worker.id_number[:17] + "x") == (False, {"name", "id_number"})  # its check digit
        assert search("B考 " + reg.ticket_number) == (True, {"name", "id_number", "ticket_number"})
        assert search("B考 不存在") == (False, {"name"})
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)


def test_a_search_is_counted_to_its_own_cap_and_exactly_below_it(app, client, world, monkeypatch):
    for i in range(12):
        add_worker(world.units["B"], f"宽搜{i:02d}", 800 + i, world.trade, world.batch)
    add_worker(world.units["B"], "窄搜甲", 830, world.trade, world.batch)
    db.session.commit()
    login(client, "office")
    monkeypatch.setattr(listing, "SEARCH_COUNT_CAP", 10)
    workers = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "workers")
    monkeypatch.setattr(workers, "page_size_options", (4, 20, 50, 100), raising=False)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Worker))
    assert total > 13

    def page(**query):
        return client.get("/workers/", query_string=query).get_data(as_text=True)

    html = page(search="宽搜", page_size=4)
    assert "(10+)" in html and "超过 10+条" in html  # 12 matches: counted to the search's cap
    assert html.count('title="查看记录"') == 4
    shown = set()
    for number in range(3):  # every match is still reached page by page
        shown |= set(re.findall(r"details/\?id=(\d+)", page(search="宽搜", page_size=4, page=number)))
    assert len(shown) == 12
    html = page(search="宽搜", page_size=20)
    assert "(12)" in html and "gk-count-capped" not in html  # the cap is at least the next page's end
    html = page(search="窄搜")
    assert "(1)" in html and "gk-count-capped" not in html  # a narrow search is counted exactly
    html = page(search="  ")
    assert f"({total})" in html and "gk-count-capped" not in html  # no search: the list's own cap


def test_the_application_list_as_it_opens_is_counted_in_batch_order_and_filtered_ones_in_any(client, world):
    """The count of 考试资格申请 as it opens (its 批次 alone) reads the batch's rows by the (batch_id, id)
    index (a sequential scan would read the older batches first); with another filter, or in the 待我审核
    queue, the count keeps no order (their indexes count without a sort); a searched list has no count of its
    own (its page's statement reads its first matches up to the cap: ``ListingMixin._searched_page``; on a
    table of more than 2M rows, its matches in any order up to the cap)."""
    login(client, "office")
    counts: list[str] = []

    def capture(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("SELECT COUNT(*)") and "application" in statement:
            counts.append(" ".join(statement.split()))

    sa.event.listen(db.engine, "before_cursor_execute", capture)
    try:
        assert client.get("/applications/").status_code == 200
        opened = list(counts)
        counts.clear()
        assert client.get("/applications/?search=张").status_code == 200
        searched = list(counts)
        counts.clear()
        assert client.get("/review_queue/").status_code == 200
        queue = list(counts)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", capture)
    assert opened and "ORDER BY application.batch_id, application.id" in opened[0]
    assert searched == []
    assert queue and all("ORDER BY" not in statement for statement in queue)
