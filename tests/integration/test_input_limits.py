"""The hostile inputs the attackers found, one by one (issue 13, point 7): each answers 400/404 or a form
error in Chinese, changes nothing, and never reaches the database in a form it refuses."""

import time
from datetime import date

import pytest
import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.request_guard import CONTROL_MESSAGE, NUMBER_MESSAGE, SEARCH_CAPPED
from models import Worker, WorkerEducation
from tests.conftest import snapshot_database, text_of
from tests.factories import add_worker

HUGE = "99999999999999999999"
NUL = "甲\x00乙"


@pytest.fixture
def refused_by_database(app):
    """Every error the database raised while the test ran (there must be none)."""
    seen = []

    def record(context):
        seen.append(repr(context.original_exception))

    sa.event.listen(db.engine, "handle_error", record)
    yield seen
    sa.event.remove(db.engine, "handle_error", record)


def assert_chinese_refusal(response, codes, *texts):
    body = text_of(response)
    assert response.status_code in codes, (response.status_code, body[:500])
    for text in texts:
        assert text in body, body[:2000]
    for english in ("SQL", "Traceback", "Bad Request", "Not Found", "Internal Server Error", "psycopg"):
        assert english not in body


@pytest.mark.parametrize(
    "url",
    [
        f"/workers/details/?id={HUGE}",
        f"/workers/edit/?id={HUGE}",
        "/workers/details/?id=-1",
        f"/applications/print/?id={HUGE}",
        f"/registrations/ticket/?id={HUGE}",
        f"/registrations/file/?id={HUGE}&kind=photo",
        f"/posts/filing.xlsx?id={HUGE}",
    ],
)
def test_huge_or_negative_ids_are_404(client, world, login_as, refused_by_database, url):
    login_as("unit_a")
    assert_chinese_refusal(client.get(url), (404,), "记录不存在")
    assert refused_by_database == []


def test_huge_ids_in_posts_are_refused_in_chinese_and_change_nothing(
    client, world, login_as, refused_by_database
):
    login_as("unit_a")
    before = snapshot_database()
    own = world.workers["A"].id
    assert_chinese_refusal(client.post("/workers/delete/", data={"id": HUGE}), (404,), "记录不存在")
    response = client.post("/workers/action/", data={"action": "delete", "rowid": [str(own), HUGE]})
    assert_chinese_refusal(response, (400,), "所选记录的编号无效")
    response = client.post("/workers/ajax/update/", data={"list_form_pk": HUGE, "name": "新名字"})
    assert response.status_code == 404
    response = client.post("/applications/decide/", data={"op": "submit", "rowid": [HUGE]})
    assert_chinese_refusal(response, (400, 403), "")
    assert snapshot_database() == before
    assert refused_by_database == []


@pytest.mark.parametrize("page", ["-1", HUGE, str(2**31)])
def test_page_out_of_range_is_404(client, world, login_as, refused_by_database, page):
    login_as("office")
    assert_chinese_refusal(client.get(f"/workers/?page={page}"), (404,), "记录不存在")
    assert_chinese_refusal(client.post(f"/workers/export.xlsx?page={page}"), (404,), "记录不存在")
    assert refused_by_database == []


@pytest.mark.parametrize("value", [HUGE, "-99999999999999999999", "1e999", "1," + HUGE, "x" * 10_000])
def test_filter_values_out_of_range_are_dropped_with_a_chinese_message(
    client, world, login_as, refused_by_database, value
):
    login_as("office")
    view = next(v for v in client.application.extensions["admin"][0]._views if v.endpoint == "applications")
    kinds = {type(f).__name__: i for i, f in reversed(list(enumerate(view._filters)))}
    for kind in ("IntEqualFilter", "IntInListFilter", "IntGreaterFilter", "FilterLike"):
        arg = view.get_filter_arg(kinds[kind], view._filters[kinds[kind]])
        response = client.get("/applications/", query_string={f"flt0_{arg}": value})
        assert response.status_code == 200, kind
        body = text_of(response)
        if kind != "FilterLike" or len(value) > 100:
            assert "的值无效" in body, (kind, value)
        assert "SQL" not in body and "Invalid" not in body
    assert refused_by_database == []


@pytest.mark.parametrize("where", ["search", "flt0_0", "id", "page", "next"])
def test_a_nul_byte_in_the_query_string_is_a_chinese_400(client, world, login_as, refused_by_database, where):
    login_as("office")
    response = client.get("/workers/", query_string={where: NUL})
    assert_chinese_refusal(response, (400,), "控制字符")
    assert refused_by_database == []


def test_a_2000_word_search_is_capped_fast_and_said_so(client, world, login_as, refused_by_database):
    login_as("office")
    words = " ".join(["A工人", *[f"词{i}" for i in range(1999)]])
    started = time.perf_counter()
    response = client.get("/workers/", query_string={"search": words})
    elapsed = time.perf_counter() - started
    body = text_of(response)
    assert response.status_code == 200 and SEARCH_CAPPED in body
    assert elapsed < 2.0, elapsed  # 3.2 s on PostgreSQL and a false 503 on SQLite before the cap
    # The search that ran: the first five words (every word must match; 词0…词3 match nothing).
    assert "/workers/details/?id=" not in body
    one = text_of(client.get("/workers/", query_string={"search": "A工人"}))
    assert "/workers/details/?id=" in one and SEARCH_CAPPED not in one
    assert refused_by_database == []


def test_picker_lookup_limits_are_bounded(client, world, login_as, refused_by_database):
    login_as("unit_a")
    for query in (
        {"offset": HUGE},
        {"limit": HUGE},
        {"limit": "-1"},
        {"offset": "-5"},
        {"query": "长" * 500},
    ):
        response = client.get("/unitprofile/ajax/lookup/", query_string={"name": "supervisor", **query})
        assert_chinese_refusal(response, (400,), "")
    assert client.get("/unitprofile/ajax/lookup/?name=supervisor&query=丙&limit=5").status_code == 200
    assert refused_by_database == []


def _fields_of(client, url) -> dict:
    from tests.integration.test_hostile_input import page_form

    return page_form(client.get(url).get_data(as_text=True))


def _refused_field_by_field(client, url, fields, value, message, skip=()):
    """Submit the form as shown with ``value`` in one text field at a time: each is a form error."""
    checked = []
    for name, values in fields.items():
        if name in skip or not values or not isinstance(values[0], str):
            continue
        data = {**fields, name: [value]}
        response = client.post(url, data=data)
        body = text_of(response)
        assert response.status_code == 200, (name, response.status_code)
        assert message in body, (name, body[:1500])
        checked.append(name)
    return checked


# form edited by unit A -> (its row, fields that must be among those refused)
FORMS = {
    "workers": (lambda w: w.workers["A"].id, {"name", "educations-0-school", "work_history-0-employer"}),
    "applications": (lambda w: w.applications["A"].id, set()),
    "unitprofile": (lambda w: w.units["A"].id, {"name", "address", "contact_person"}),
}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_nul_in_each_field_of_the_unit_forms_is_a_form_error(
    client, world, login_as, refused_by_database, form
):
    """工勤人员 (with its 学历, 工作经历 rows), 考试资格申请, 单位信息: NUL in any one field, the others as shown."""
    login_as("unit_a")
    row, required = FORMS[form]
    url = f"/{form}/edit/?id={row(world)}"
    fields = _fields_of(client, url)
    before = snapshot_database()
    checked = _refused_field_by_field(client, url, fields, NUL, CONTROL_MESSAGE)
    assert checked and required <= set(checked), checked
    assert snapshot_database() == before
    assert refused_by_database == []


def test_nul_in_a_new_education_row_is_a_form_error(client, world, login_as, refused_by_database):
    login_as("unit_a")
    worker = world.workers["A"]
    url = f"/workers/edit/?id={worker.id}"
    fields = _fields_of(client, url)
    data = {**fields, "educations-1-level": ["college"], "educations-1-school": ["某\x00大学"]}
    body = text_of(client.post(url, data=data))
    assert CONTROL_MESSAGE in body
    assert "某" not in "".join(db.session.scalars(sa.select(WorkerEducation.school)))
    assert refused_by_database == []


def test_control_characters_in_raw_form_fields_are_a_chinese_400(
    client, world, login_as, refused_by_database
):
    login_as("unit_a")
    before = snapshot_database()
    reg = world.registrations["A"]
    response = client.post(
        f"/registrations/register/?id={reg.id}", data={"phone": "13800000000", "remarks": NUL}
    )
    assert_chinese_refusal(response, (400,), "控制字符")
    response = client.post(
        "/applications/decide/", data={"op": "submit", "rowid": ["1"], "opinion": "a\x1bb"}
    )
    assert_chinese_refusal(response, (400, 403), "")
    assert snapshot_database() == before
    assert refused_by_database == []


# The form error each out-of-range select value gets: a number too big for the column is refused as such; a
# relation picker's value outside its choices (现工种) as out of range; anything else as no valid choice.
SELECT_MESSAGES = {
    ("current_grade", HUGE): NUMBER_MESSAGE,
    ("current_grade", "-1"): "不是有效的选择",
    ("current_grade", str(2**31)): NUMBER_MESSAGE,
    **{("current_trade", v): "不在可选范围" for v in (HUGE, "-1", str(2**31))},
    **{(f, v): "不是有效的选择" for f in ("gender", "education") for v in (HUGE, "-1", str(2**31))},
}


@pytest.mark.parametrize("field", ["current_grade", "current_trade", "gender", "education"])
def test_out_of_range_select_values_are_a_form_error(client, world, login_as, refused_by_database, field):
    login_as("unit_a")
    url = f"/workers/edit/?id={world.workers['A'].id}"
    fields = _fields_of(client, url)
    before = snapshot_database()
    for value in (HUGE, "-1", str(2**31)):
        body = text_of(client.post(url, data={**fields, field: [value]}))
        assert SELECT_MESSAGES[field, value] in body and "Not a valid" not in body, (field, value)
    assert snapshot_database() == before
    assert refused_by_database == []


def test_out_of_range_numbers_are_a_form_error(client, world, login_as, refused_by_database):
    login_as("unit_a")
    post = world.posts["A"]
    url = f"/posts/edit/?id={post.id}"
    fields = _fields_of(client, url)
    before = snapshot_database()
    for field in ("approved_posts", "current_staff"):
        body = text_of(client.post(url, data={**fields, field: [str(2**31)]}))
        assert NUMBER_MESSAGE in body, body[:1500]
    assert snapshot_database() == before
    assert refused_by_database == []


def test_a_worker_with_control_characters_is_never_created(client, world, login_as, refused_by_database):
    from tests.integration.test_workers import worker_form

    login_as("unit_a")
    for field in ("name", "educations-0-school", "work_history-0-employer"):
        body = text_of(client.post("/workers/new/", data=worker_form(world, **{field: "新\x00工人"})))
        assert CONTROL_MESSAGE in body, field
    assert db.session.scalar(sa.select(sa.func.count()).where(Worker.name.like("新%工人"))) == 0
    assert refused_by_database == []


def test_a_database_error_while_saving_is_a_chinese_message_without_sql(client, world, login_as, monkeypatch):
    from sqlalchemy import exc as sa_exc

    from views.unit_area import WorkerView

    def refuse(self, form, model, is_created):
        raise sa_exc.DataError("UPDATE worker SET name=%(name)s", {"name": "x"}, Exception("invalid byte"))

    monkeypatch.setattr(WorkerView, "before_save", refuse)
    login_as("unit_a")
    worker = world.workers["A"]
    url = f"/workers/edit/?id={worker.id}"
    fields = _fields_of(client, url)
    body = text_of(client.post(url, data=fields, follow_redirects=True))
    assert "保存失败：提交的数据格式有误或超出允许的范围" in body
    assert "UPDATE" not in body and "SQL" not in body and "invalid byte" not in body


def test_a_failed_delete_is_reported_without_sql(client, world, login_as, monkeypatch):
    from sqlalchemy import exc as sa_exc

    from views.base import SecureModelView

    spare = add_worker(world.units["A"], "甲待删", 61, world.trade, world.batch)
    db.session.commit()

    def refuse(self, model):
        raise sa_exc.IntegrityError("DELETE FROM worker WHERE id=%(id)s", {"id": 1}, Exception("fk"))

    monkeypatch.setattr(SecureModelView, "on_model_delete", refuse)
    login_as("unit_a")
    response = client.post(
        "/workers/action/", data={"action": "delete", "rowid": [spare.id]}, follow_redirects=True
    )
    body = text_of(response)
    assert "保存失败：与已有记录冲突" in body
    assert "DELETE" not in body and "fk" not in body
    assert db.session.get(Worker, spare.id) is not None


def test_dates_beyond_what_a_form_takes_are_form_errors(client, world, login_as, refused_by_database):
    login_as("unit_a")
    url = f"/workers/edit/?id={world.workers['A'].id}"
    fields = _fields_of(client, url)
    for value in ("9999-99-99", "99999-01-01", "0000-01-01", date.max.isoformat() + "x"):
        response = client.post(url, data={**fields, "birth_date": [value]})
        assert response.status_code == 200 and "SQL" not in text_of(response)
    assert refused_by_database == []


@pytest.mark.parametrize("batch", [str(2**31), HUGE, "-1", "abc"])
def test_statistics_of_a_batch_beyond_any_id_is_404(client, world, login_as, refused_by_database, batch):
    login_as("office")
    for method, url in (("GET", "/statistics/"), ("POST", "/statistics/export/")):
        response = client.open(url, method=method, query_string={"batch": batch})
        assert_chinese_refusal(response, (404,), "记录不存在")
    assert refused_by_database == []


def test_ids_longer_than_python_converts_are_refused_not_a_500(client, world):
    """int() refuses strings of more than 4,300 digits with ValueError: every id parser must take that too."""
    from tests.conftest import login as log_in

    digits = "9" * 5000
    log_in(client, "unit_a")
    assert client.post("/sessions/end", data={"session": digits}).status_code == 302
    assert "该会话不存在" in client.get("/sessions").get_data(as_text=True)
    log_in(client, "yuzhong_hr")
    response = client.get(f"/review_queue/materials/download/?id=1&mid={digits}")
    assert response.status_code == 404
