from datetime import date

import sqlalchemy as sa

from admin_app.extensions import db
from models import Worker
from tests.conftest import text_of
from tests.factories import make_id_number


def worker_form(world, **overrides):
    number = make_id_number("500103", date(1970, 6, 15), 23, "M")
    data = {
        "name": "新工人",
        "gender": "M",
        "id_number": number,
        "birth_date": "1970-06-15",
        "work_start_date": "1990-07-01",
        "current_trade": str(world.trade.id),
        "current_grade": "4",
        "current_grade_date": "2010-05-01",
        "educations-0-level": "high_school",
        "educations-0-school": "重庆市第七中学",
        "assessments-0-year": "2019",
        "assessments-0-result": "excellent",
        "assessments-1-year": "2020",
        "assessments-1-result": "pass",
        "work_history-0-start_month": "1990-07-01",
        "work_history-0-employer": "甲单位",
    }
    data.update(overrides)
    return data


def test_unit_creates_worker_with_inline_records(client, world, login_as):
    login_as("unit_a")
    response = client.post("/workers/new/", data=worker_form(world))
    assert response.status_code == 302, text_of(response)[:3000]
    worker = db.session.scalar(sa.select(Worker).where(Worker.name == "新工人"))
    assert worker.unit_id == world.units["A"].id
    assert [a.year for a in worker.assessments] == [2019, 2020]
    assert worker.educations[0].level == "high_school"
    assert worker.work_history[0].employer == "甲单位"


def test_id_number_must_agree_and_be_valid(client, world, login_as):
    login_as("unit_a")
    body = text_of(client.post("/workers/new/", data=worker_form(world, birth_date="1970-06-16")))
    assert "出生日期与身份证号码不一致" in body
    body = text_of(client.post("/workers/new/", data=worker_form(world, gender="F")))
    assert "性别与身份证号码不一致" in body
    body = text_of(client.post("/workers/new/", data=worker_form(world, id_number="500103197006151230")))
    assert "身份证" in body
    body = text_of(
        client.post(
            "/workers/new/",
            data=worker_form(
                world, id_number=world.workers["B"].id_number, birth_date=str(world.workers["B"].birth_date)
            ),
        )
    )
    assert "该身份证号码已有人员记录" in body
    body = text_of(client.post("/workers/new/", data=worker_form(world, **{"assessments-1-year": "2019"})))
    assert "同一年度只能填写一次" in body
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(Worker).where(Worker.name == "新工人")) == 0
    )


def test_full_width_id_number_is_normalised(client, world, login_as):
    login_as("unit_a")
    number = make_id_number("500103", date(1970, 6, 15), 23, "M")
    typed = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c.lower() for c in number)
    response = client.post("/workers/new/", data=worker_form(world, id_number=" " + typed + " "))
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Worker.id_number).where(Worker.name == "新工人")) == number


def test_id_numbers_are_masked_in_lists_and_full_in_details(client, world, login_as):
    login_as("yuzhong_hr")
    worker = world.workers["A"]
    body = client.get("/workers/").get_data(as_text=True)
    assert worker.id_number not in body
    assert worker.masked_id_number in body
    details = client.get(f"/workers/details/?id={worker.id}").get_data(as_text=True)
    assert worker.id_number in details
    assert "None" not in text_of(client.get(f"/workers/details/?id={worker.id}")).split("<table", 1)[1]


def test_unit_edits_own_worker_and_change_is_audited(client, world, login_as):
    from models import AuditLog

    login_as("unit_a")
    worker = world.workers["A"]
    data = worker_form(world, id_number=worker.id_number, birth_date=str(worker.birth_date), name="改名工人")
    data = {k: v for k, v in data.items() if "-" not in k}  # keep the existing inline rows as they are
    response = client.post(f"/workers/edit/?id={worker.id}", data=data)
    assert response.status_code == 302, text_of(response)[:2000]
    db.session.expire_all()
    assert db.session.get(Worker, worker.id).name == "改名工人"
    row = db.session.scalar(
        sa.select(AuditLog).where(AuditLog.object_type == "Worker", AuditLog.action == "update")
    )
    assert row.username == "unit_a" and "改名工人" in row.detail


def test_post_setting_is_unique_per_batch_and_grade(client, world, login_as):
    login_as("unit_a")
    data = {
        "batch": str(world.batch.id),
        "grade": "4",
        "approved_posts": "2",
        "current_staff": "1",
        "special_posts": "0",
    }
    body = text_of(client.post("/posts/new/", data=data, follow_redirects=True))
    assert "该批次该等级的岗位设置已存在" in body
    response = client.post("/posts/new/", data={**data, "grade": "3"})
    assert response.status_code == 302
    body = text_of(
        client.post("/posts/new/", data={**data, "grade": "2", "approved_posts": "-1"}, follow_redirects=True)
    )
    assert "不能为负数" in body
