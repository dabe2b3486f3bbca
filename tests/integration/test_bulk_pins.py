"""Pinned bulk sets (issue 19 point 4): 「全部符合筛选条件」 decides the rows its confirmation page showed — never a
row that arrived after it —, once, for the user who saw the page, within its time; above BULK_JOB_ROWS as a job
(tests/integration/test_bulk_pin_jobs.py)."""

import re
from datetime import timedelta

import sqlalchemy as sa

from admin_app import workflow
from admin_app.extensions import db
from admin_app.workflow.states import ApplicationState, pending
from models import Application, ApplicationReview, BulkPin, enums
from models.org import utcnow
from tests.conftest import login, text_of
from tests.factories import add_material
from tests.integration.test_applications import fresh
from tests.pinned import confirm_all

WAITING = pending(enums.DISTRICT_HR)


def waiting_at_yuzhong(world, key: str, count: int, seq: int) -> list[int]:
    """``count`` applications of new 渝中区 units, submitted, with their materials: 渝中区 may approve them."""
    ids = []
    for i in range(count):
        unit, application = fresh(world, f"{key}{i}", enums.CAT_DISTRICT, seq=seq + i)
        assert workflow.submit(unit.users[0], [application.id]).done
        add_material(application)
        ids.append(application.id)
    db.session.commit()
    return ids


def statuses(ids) -> dict:
    db.session.expire_all()
    found = db.session.execute(sa.select(Application.id, Application.status).where(Application.id.in_(ids)))
    return dict(found.all())


def reviews_of(ids) -> int:
    query = sa.select(sa.func.count()).select_from(ApplicationReview)
    return db.session.scalar(query.where(ApplicationReview.application_id.in_(ids)))


def shown_count(page) -> int:
    return int(re.search(r"当前组合查询的全部 (\d+) 条", text_of(page)).group(1))


def test_a_row_submitted_after_the_confirmation_page_is_not_decided(app, client, world):
    seen = waiting_at_yuzhong(world, "race", 3, 300)
    unit, late = fresh(world, "late", enums.CAT_DISTRICT, seq=320)
    add_material(late)
    db.session.commit()
    login(client, "yuzhong_hr")
    page, token = confirm_all(client, "/review_queue", "approve")
    shown = shown_count(page)
    assert shown >= 3 and token
    # Between the page and 确认, the unit submits an application that matches the same filter.
    other = app.test_client()
    login(other, unit.users[0].username)
    submitted = text_of(other.post("/applications/decide/", data={"op": "submit", "rowid": late.id}))
    assert '成功 <strong class="text-success">1</strong>' in submitted
    assert statuses([late.id]) == {late.id: WAITING}
    assert shown_count(confirm_all(client, "/review_queue", "approve")[0]) == shown + 1  # it matches now

    body = text_of(client.post("/review_queue/decide/", data={"op": "approve", "pin": token}))
    assert f'成功 <strong class="text-success">{shown}</strong>' in body
    assert '未处理 <strong class="text-danger">0</strong>' in body
    assert statuses([late.id]) == {late.id: WAITING}  # untouched: it was not on the page
    assert set(statuses(seen).values()) == {ApplicationState.APPROVED}
    assert reviews_of([late.id]) == 1  # its submission, no decision


def test_the_pin_is_the_owners_alone_and_used_once(app, client, world):
    ids = waiting_at_yuzhong(world, "once", 2, 330)
    login(client, "yuzhong_hr")
    page, token = confirm_all(client, "/review_queue", "approve", "search=once0申报人")
    assert shown_count(page) == 1
    # Another user of the same role, and the owner on another list or operation: 404, nothing decided.
    other = app.test_client()
    login(other, "liangjiang_hr")
    assert other.post("/review_queue/decide/", data={"op": "approve", "pin": token}).status_code == 404
    assert (
        client.post("/review_queue/decide/", data={"op": "reject", "pin": token, "opinion": "否"}).status_code
        == 404
    )
    assert client.post("/applications/decide/", data={"op": "approve", "pin": token}).status_code == 404
    assert client.post("/review_queue/decide/", data={"op": "approve", "pin": "x" * 43}).status_code == 404
    assert statuses(ids) == {ids[0]: WAITING, ids[1]: WAITING}

    first = text_of(client.post("/review_queue/decide/", data={"op": "approve", "pin": token}))
    assert '成功 <strong class="text-success">1</strong>' in first
    reviews = reviews_of(ids)
    again = client.post("/review_queue/decide/", data={"op": "approve", "pin": token}, follow_redirects=True)
    assert again.status_code == 200 and "该确认页已经提交过，同一批记录不会重复处理" in text_of(again)
    assert reviews_of(ids) == reviews  # no second decision, no second history row
    assert statuses(ids) == {ids[0]: ApplicationState.APPROVED, ids[1]: WAITING}


def test_an_expired_pin_decides_nothing_and_leads_to_a_fresh_confirmation(app, client, world):
    ids = waiting_at_yuzhong(world, "late", 1, 340)
    login(client, "yuzhong_hr")
    _page, token = confirm_all(client, "/review_queue", "approve", "search=late0申报人")
    pin = db.session.scalars(sa.select(BulkPin).where(BulkPin.token == token)).one()
    assert pin.expires_at - pin.created_at == timedelta(minutes=30)
    pin.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = client.post("/review_queue/decide/", data={"op": "approve", "pin": token})
    assert response.status_code == 302 and "/review_queue/bulk/?search=" in response.headers["Location"]
    again = client.get(response.headers["Location"])
    assert "确认页已超过30分钟未提交，已失效" in text_of(again) and shown_count(again) == 1
    assert statuses(ids) == {ids[0]: WAITING}


def test_a_refused_input_keeps_the_pin_for_a_corrected_confirmation(app, client, world):
    ids = waiting_at_yuzhong(world, "opin", 2, 350)
    login(client, "yuzhong_hr")
    _page, token = confirm_all(client, "/review_queue", "reject", "search=opin")
    body = text_of(client.post("/review_queue/decide/", data={"op": "reject", "pin": token, "opinion": " "}))
    assert "审核不通过须填写审核意见" in body and f'name="pin" value="{token}"' in body  # same page, same pin
    assert statuses(ids) == {i: WAITING for i in ids}
    body = text_of(
        client.post("/review_queue/decide/", data={"op": "reject", "pin": token, "opinion": "材料不全"})
    )
    assert '成功 <strong class="text-success">2</strong>' in body
    assert statuses(ids) == {i: ApplicationState.REJECTED for i in ids}


def test_a_pinned_row_that_left_its_state_is_refused_with_the_reason(app, client, world):
    ids = waiting_at_yuzhong(world, "moved", 2, 360)
    login(client, "yuzhong_hr")
    _page, token = confirm_all(client, "/review_queue", "approve", "search=moved")
    workflow.decide(world.users[enums.DISTRICT_HR], [ids[0]], "reject", "另一位审核人已处理")
    body = text_of(client.post("/review_queue/decide/", data={"op": "approve", "pin": token}))
    assert '成功 <strong class="text-success">1</strong>' in body and "当前状态为“审核未通过”" in body
    assert statuses(ids) == {ids[0]: ApplicationState.REJECTED, ids[1]: ApplicationState.APPROVED}


def test_old_pins_of_the_user_are_removed_when_a_new_one_is_made(app, client, world):
    waiting_at_yuzhong(world, "keep", 1, 370)
    login(client, "yuzhong_hr")
    _page, first = confirm_all(client, "/review_queue", "approve")
    old = db.session.scalars(sa.select(BulkPin).where(BulkPin.token == first)).one()
    old.expires_at = utcnow() - timedelta(hours=25)
    db.session.commit()
    _page, second = confirm_all(client, "/review_queue", "approve")
    tokens = set(db.session.scalars(sa.select(BulkPin.token)))
    assert second in tokens and first not in tokens
