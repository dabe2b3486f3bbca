"""Month fields of the worker form take months as people write them, stored as the month (both databases)."""

from datetime import date

import pytest
import sqlalchemy as sa

from admin_app.extensions import db
from models import Worker
from tests.conftest import text_of
from tests.integration.test_workers import worker_form

BORN = date(1970, 6, 15)  # the birth date of worker_form's ID number
MONTH_FORMS = ["1990-07", "1990.7", "1990年7月", "1990/7", "1990-07-20"]


def saved_worker():
    db.session.expire_all()
    return db.session.scalar(sa.select(Worker).where(Worker.name == "新工人"))


def month_form(world, written, birth="1970-06"):
    return worker_form(
        world,
        birth_date=birth,
        work_start_date=written,
        current_grade_date=written,
        **{
            "educations-0-graduated_on": written,
            "work_history-0-start_month": written,
            "work_history-0-end_month": written,
        },
    )


@pytest.mark.parametrize("written", MONTH_FORMS)
def test_every_month_field_takes_each_written_form(client, world, login_as, written):
    login_as("unit_a")
    response = client.post("/workers/new/", data=month_form(world, written))
    assert response.status_code == 302, text_of(response)[:3000]
    worker = saved_worker()
    july = date(1990, 7, 1)
    assert worker.work_start_date == july
    assert worker.current_grade_date == july
    assert worker.educations[0].graduated_on == july
    assert (worker.work_history[0].start_month, worker.work_history[0].end_month) == (july, july)
    # 出生年月 written as a month keeps the ID number's own birth date.
    assert worker.birth_date == BORN


@pytest.mark.parametrize("birth", ["1970-06", "1970.6", "1970年6月", "1970/6", "1970-06-15", "19700615"])
def test_birth_month_in_each_form_agrees_with_the_id_number(client, world, login_as, birth):
    login_as("unit_a")
    response = client.post("/workers/new/", data=worker_form(world, birth_date=birth))
    assert response.status_code == 302, text_of(response)[:3000]
    assert saved_worker().birth_date == BORN


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("birth_date", "年月格式不正确，可填 1970-09、1970.9、1970年9月、1970/9 或完整日期 1970-09-15"),
        ("work_start_date", "年月格式不正确，可填 1970-09、1970.9、1970年9月、1970/9"),
        ("current_grade_date", "年月格式不正确"),
        ("educations-0-graduated_on", "年月格式不正确"),
        ("work_history-0-start_month", "年月格式不正确"),
        ("work_history-0-end_month", "年月格式不正确"),
    ],
)
def test_an_unreadable_month_is_refused_with_the_accepted_forms(client, world, login_as, field, message):
    login_as("unit_a")
    response = client.post("/workers/new/", data=worker_form(world, **{field: "九〇年七月"}))
    body = text_of(response)
    assert response.status_code == 200
    assert message in body
    # Its own message, not the 必填 of a field that saw no value.
    assert "此项为必填项" not in body
    assert saved_worker() is None


def test_impossible_months_and_a_birth_month_the_id_number_denies(client, world, login_as):
    login_as("unit_a")
    assert "月份应在1到12之间" in text_of(client.post("/workers/new/", data=month_form(world, "1990-13")))
    body = text_of(client.post("/workers/new/", data=worker_form(world, birth_date="1970-07")))
    assert "出生年月与身份证号码不一致（身份证为1970.06）" in body
    body = text_of(client.post("/workers/new/", data=worker_form(world, birth_date="1970-06-16")))
    assert "出生日期与身份证号码不一致（身份证为1970-06-15）" in body
    assert "此项为必填项" in text_of(client.post("/workers/new/", data=worker_form(world, birth_date="")))
    assert saved_worker() is None


def test_the_form_shows_months_and_an_unchanged_month_keeps_the_stored_day(client, world, login_as):
    login_as("unit_a")
    assert client.post("/workers/new/", data=worker_form(world)).status_code == 302
    worker = saved_worker()
    worker.work_start_date = date(1990, 7, 20)  # a day kept from before months were stored as months
    db.session.commit()
    page = text_of(client.get(f"/workers/edit/?id={worker.id}"))
    assert 'value="1970-06"' in page and 'value="1990-07"' in page and 'placeholder="如 1970-09"' in page
    data = worker_form(world, birth_date="1970-06", work_start_date="1990-07", current_grade_date="2011年3月")
    response = client.post(f"/workers/edit/?id={worker.id}", data=data)
    assert response.status_code == 302, text_of(response)[:3000]
    worker = saved_worker()
    assert worker.work_start_date == date(1990, 7, 20)
    assert worker.birth_date == BORN
    assert worker.current_grade_date == date(2011, 3, 1)
    data["work_start_date"] = "1990.8"
    assert client.post(f"/workers/edit/?id={worker.id}", data=data).status_code == 302
    assert saved_worker().work_start_date == date(1990, 8, 1)
    # Lists and details show months.
    details = text_of(client.get(f"/workers/details/?id={worker.id}"))
    assert "1990.08" in details and "2011.03" in details and "1970.06" in details
