"""Years are never mixed: every per-batch list opens on the current batch with a visible, removable 批次
condition and a 批次 column; 附表3 and 附件4 are exported for one batch chosen on the list."""

import html
import io
import json
import re

import openpyxl
import pytest
import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.services.batches import current_batch
from admin_app.workflow.states import ApplicationState, BatchState, RecognitionState, pending
from models import ExamBatch, PostSetting, RouteRule, enums
from models.org import utcnow
from tests import factories
from tests.conftest import text_of
from tests.integration.test_download_jobs import queue  # noqa: F401  (the fixture)
from tests.integration.test_summary_job import job_workbook

# endpoint → a user who reads it (and has rows of both batches there)
LISTS = {
    "applications": "office",
    "review_queue": "shapingba_hr",
    "registrations": "office",
    "scores": "office",
    "evaluations": "office",
    "recognitions": "office",
    "posts": "office",
    "routes": "admin",
}


@pytest.fixture
def years(world):
    """The world (batch 2021, open) and an archived batch 2020 with B's worker in every list: a submitted
    application at 沙坪坝's step, a recognised registration, post settings."""
    old = factories.add_batch(2020, BatchState.CLOSED)
    worker = world.workers["B"]
    waiting = factories.add_application(
        world,
        worker,
        batch=old,
        status=pending(enums.DISTRICT_HR),
        route=enums.DISTRICT_HR,
        step_index=0,
        submitted_at=utcnow(),
    )
    approved = factories.add_application(world, worker, batch=old, status=ApplicationState.APPROVED)
    reg = factories.add_registration(approved, stage="awaiting_recognition")
    reg.recognition_status = RecognitionState.PENDING
    for unit in world.units.values():
        db.session.add(PostSetting(unit=unit, batch=old, grade=3, approved_posts=7, current_staff=2))
    db.session.add(RouteRule(batch=old, org_category=enums.CAT_DISTRICT, grades="5", steps="office"))
    old.state = BatchState.ARCHIVED
    db.session.commit()
    return {"world": world, "old": old, "old_application": waiting, "old_registration": reg}


def _active_filters(page: str) -> list:
    found = re.search(r'<div id="active-filters-data" class="d-none">(.*?)</div>', page, re.S)
    return (json.loads(html.unescape(found.group(1))) if found else None) or []


def _batch_cells(page: str) -> set[str]:
    """The years in the list's 批次 column (批次 "2021年度", or 考核批次 "2021年度（渝人工考〔2021〕1号）")."""
    return set(re.findall(r'<td class="col-batch(?:\.year)?">\s*(\d{4}年度)', page))


def _reset_link(page: str) -> str:
    form = re.search(r'<form id="filter_form".*?</form>', page, re.S).group(0)
    return html.unescape(re.search(r'<a href="([^"]+)" class="btn btn-secondary"', form).group(1))


@pytest.mark.parametrize("endpoint", sorted(LISTS))
def test_list_opens_on_the_current_batch_and_the_condition_removes(client, years, login_as, endpoint):
    world = years["world"]
    login_as(LISTS[endpoint])
    response = client.get(f"/{endpoint}/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    # The condition 批次 = 2021 is an ordinary active condition (drawn by the filter script), and said.
    assert [[f[1], f[2]] for f in _active_filters(page)] == [["批次", str(world.batch.id)]]
    assert "批次：2021年度" in text_of(response)
    assert re.search(r'<th class="column-header col-batch(-year)?">\s*(<a [^>]*>)?(考核)?批次<', page)
    assert _batch_cells(page) == {"2021年度"}

    # Its removal (重置筛选, and the × of the last condition, which goes there) lists every batch …
    every = client.get(_reset_link(page))
    every_page = every.get_data(as_text=True)
    assert every.status_code == 200
    assert _active_filters(every_page) == []
    assert _batch_cells(every_page) == {"2021年度", "2020年度"}
    assert "批次：全部" in text_of(every)
    # … and stays removed on the links of that page (sorting, page size), not only on its own URL.
    sort_links = re.findall(r'href="([^"]*sort=[^"]*)"', every_page)
    assert sort_links and all("all_batches=1" in html.unescape(link) for link in sort_links)
    assert _batch_cells(client.get(html.unescape(sort_links[0])).get_data(as_text=True)) == {
        "2021年度",
        "2020年度",
    }

    # The bare URL (menu, 重置) opens on the current batch again.
    assert _batch_cells(client.get(f"/{endpoint}/").get_data(as_text=True)) == {"2021年度"}


def test_another_batch_can_be_chosen_and_the_count_follows(client, years, login_as):
    login_as("office")
    view = next(v for v in client.application.extensions["admin"][0]._views if v.endpoint == "registrations")
    with client.application.test_request_context():
        args = view.filter_url_args(view.column_filters_for({"registration.batch_id": years["old"].id}))
    page = client.get("/registrations/", query_string=args).get_data(as_text=True)
    assert _batch_cells(page) == {"2020年度"}
    assert re.search(r"列表 \(1\)", text_of_page(page))


def text_of_page(page: str) -> str:
    return re.sub(r"\s+", " ", page)


def test_the_batch_column_sorts_by_year(client, years, login_as):
    login_as("office")
    page = client.get("/applications/?all_batches=1").get_data(as_text=True)
    sort = re.search(r'href="([^"]*sort=(\d+)[^"]*)"[^>]*>\s*批次', page)
    assert sort, "the 批次 column header is a sort link"
    ascending = client.get(html.unescape(sort.group(1))).get_data(as_text=True)
    cells = re.findall(r'<td class="col-batch.year">\s*(\d{4}年度)', ascending)
    assert cells == sorted(cells) and cells[0] == "2020年度" and cells[-1] == "2021年度"


def test_export_and_bulk_rows_follow_the_default_condition(client, years, login_as):
    """导出查询结果 of the bare list is the current batch's rows; with all_batches=1 every batch's."""
    login_as("office")
    current = openpyxl.load_workbook(io.BytesIO(client.post("/applications/export.xlsx").data))
    every = openpyxl.load_workbook(io.BytesIO(client.post("/applications/export.xlsx?all_batches=1").data))
    assert every.active.max_row == current.active.max_row + 2  # the two 2020 applications


def test_current_batch_is_the_open_one_else_the_latest_opened(world):
    assert current_batch().id == world.batch.id  # 2021 is open
    factories.add_batch(2022, BatchState.NOT_OPEN)  # prepared for next year: not yet the current one
    assert current_batch().year == 2021
    world.batch.state = BatchState.CLOSED
    factories.add_batch(2019, BatchState.ARCHIVED)
    db.session.flush()
    assert current_batch().year == 2021  # the latest that was opened
    db.session.execute(sa.update(ExamBatch).where(ExamBatch.year == 2022).values(state=BatchState.OPEN))
    assert current_batch().year == 2022
    db.session.rollback()


# --- 附表3 -------------------------------------------------------------------------------------------------
def _summary(client, query: str = ""):
    """The 附表3 of the list's query, made by its 下载中心 job: (the download, the workbook)."""
    book, response = job_workbook(client, f"/applications/summary.xlsx{query}")
    return response, book


def _names(book) -> list[str]:
    names = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows(min_row=6, values_only=True):
            if row[0] and str(row[0]).isdigit():
                names.append(row[1])
    return names


def test_summary_refuses_without_one_batch(client, years, login_as):
    login_as("office")
    response = client.post("/applications/summary.xlsx?all_batches=1")
    assert response.status_code == 302
    assert "all_batches=1" in response.headers["Location"]
    page = client.get(response.headers["Location"])
    assert "附表3按批次填报" in text_of(page)


@pytest.mark.usefixtures("queue")
def test_summary_lists_the_batch_submitted_not_rejected_once_per_person(client, years, login_as):
    world = years["world"]
    unit = world.units["A"]
    a = world.workers["A"]  # its world application is a draft
    returned = factories.add_worker(unit, "退回工人", 301, world.trade, world.batch)
    rejected = factories.add_worker(unit, "未通过工人", 302, world.trade, world.batch)
    twice = factories.add_worker(unit, "两份工人", 303, world.trade, world.batch)
    db.session.flush()
    submitted = {"status": pending(enums.DISTRICT_HR), "route": enums.DISTRICT_HR, "submitted_at": utcnow()}
    factories.add_application(world, returned, status=ApplicationState.RETURNED, submitted_at=utcnow())
    factories.add_application(world, rejected, status=ApplicationState.REJECTED, submitted_at=utcnow())
    factories.add_application(world, twice, status=ApplicationState.REJECTED, submitted_at=utcnow())
    factories.add_application(world, twice, **submitted)  # replaced its rejected one
    factories.add_application(world, twice, grade=4, **submitted)  # a duplicate: one row still
    factories.add_application(world, a, batch=years["old"], **submitted)  # an archived batch
    db.session.commit()

    login_as("unit_a")
    response, book = _summary(client)  # the list's default: the current batch
    assert response.status_code == 200
    names = _names(book)
    # A考生 is the world's approved application of unit A; A工人's 2021 one is a draft, its 2020 one elsewhere.
    assert sorted(names) == sorted(["退回工人", "两份工人", "A考生"])
    sheet = book.worksheets[0]
    assert "2021年度" in sheet.cell(2, 1).value
    assert sheet.cell(3, 5).value == f"填报单位（章）：{unit.name}"
    assert "2021年度" in response.headers["Content-Disposition"] or "2021" in str(
        response.headers["Content-Disposition"]
    )

    # The 2020 batch, chosen on the list: only that batch's application.
    view = next(v for v in client.application.extensions["admin"][0]._views if v.endpoint == "applications")
    with client.application.test_request_context():
        args = view.filter_url_args(view.column_filters_for({"application.batch_id": years["old"].id}))
    query = "?" + "&".join(f"{k}={v}" for k, v in args.items())
    response, book = _summary(client, query)
    assert _names(book) == ["A工人"]
    assert "2020年度" in book.worksheets[0].cell(2, 1).value


@pytest.mark.usefixtures("queue")
def test_office_summary_of_one_unit_names_that_unit(client, years, login_as):
    world = years["world"]
    login_as("office")
    view = next(v for v in client.application.extensions["admin"][0]._views if v.endpoint == "applications")
    with client.application.test_request_context():
        args = view.filter_url_args(
            view.column_filters_for(
                {"application.batch_id": world.batch.id, "organisation.name": "乙单位（沙坪坝）"}
            )
        )
    response, book = _summary(client, "?" + "&".join(f"{k}={v}" for k, v in args.items()))
    assert response.status_code == 200
    assert sorted(_names(book)) == ["B工人", "B考生"]
    assert book.worksheets[0].cell(3, 5).value == "填报单位（章）：乙单位（沙坪坝）"


# --- 附件4 -------------------------------------------------------------------------------------------------
def _filing(response):
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = book.active
    figures = {sheet.cell(3, col).value: sheet.cell(4, col).value for col in range(3, 8)}
    return sheet, figures


def test_filing_is_per_batch_chosen_on_the_list(client, years, login_as):
    login_as("unit_a")
    response = client.get("/posts/filing.xlsx")  # the list's default: the current batch
    assert response.status_code == 200
    sheet, figures = _filing(response)
    assert "考核批次：2021年度" in [sheet.cell(2, c).value for c in range(1, 8)]
    assert 3 in figures.values() and 7 not in figures.values()  # 2021: 3 posts at grade 4; 2020: 7 at 3

    refused = client.get("/posts/filing.xlsx?all_batches=1")
    assert refused.status_code == 302
    assert "附件4按单位和批次填报" in text_of(client.get(refused.headers["Location"]))

    view = next(v for v in client.application.extensions["admin"][0]._views if v.endpoint == "posts")
    with client.application.test_request_context():
        args = view.filter_url_args(view.column_filters_for({"post_setting.batch_id": years["old"].id}))
    old = client.get("/posts/filing.xlsx", query_string=args)
    sheet, figures = _filing(old)
    assert "考核批次：2020年度" in [sheet.cell(2, c).value for c in range(1, 8)]
    assert 7 in figures.values() and 3 not in figures.values()


def test_staff_filing_needs_one_unit_or_the_row_icon(client, years, login_as):
    world = years["world"]
    login_as("office")
    refused = client.get("/posts/filing.xlsx")  # current batch, but four units
    assert refused.status_code == 302
    assert "和一个单位" in text_of(client.get(refused.headers["Location"]))
    row = client.get(f"/posts/filing.xlsx?id={world.posts['A'].id}")
    sheet, _figures = _filing(row)
    assert sheet.cell(2, 1).value == "填报单位（盖章）：甲单位（渝中）"
    assert "考核批次：2021年度" in [sheet.cell(2, c).value for c in range(1, 8)]


def test_a_todo_without_conditions_links_to_every_batch(client, years, login_as):
    """待我审核 counts every batch's waiting rows: its link must show them all (no default condition)."""
    login_as("shapingba_hr")
    home = client.get("/").get_data(as_text=True)
    link = re.search(r'class="card[^"]*gk-todo[^"]*" href="([^"]*/review_queue/[^"]*)"', home)
    assert link and "all_batches=1" in html.unescape(link.group(1))
    page = client.get(html.unescape(link.group(1))).get_data(as_text=True)
    assert _batch_cells(page) == {"2021年度", "2020年度"}
