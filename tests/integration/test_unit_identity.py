"""A unit is who it says it is (issue 13 §6): one active unit per name, and 单位信息审核 by the authority
that will review the unit's applications before it may submit them."""

import re

import pytest
import sqlalchemy as sa

from admin_app import workflow
from admin_app.extensions import db
from admin_app.services import unit_identity
from admin_app.workflow import identity as identity_stage
from admin_app.workflow.states import ApplicationState, IdentityState
from models import AuditLog, Notification, Organisation, PostSetting, User, enums
from tests.conftest import login, text_of
from tests.factories import add_application, add_unit, add_user, add_worker, credit_code

REGISTRATION = {
    "username": "newunit",
    "password": "Regist2021",
    "confirm": "Regist2021",
    "contact_person": "王明",
    "contact_phone": "13800001111",
}


@pytest.fixture(autouse=True)
def _registrations_not_throttled(app):
    # These tests register many times from one address; the throttle has tests of its own.
    from admin_app.extensions import limiter

    with app.app_context():
        limiter.reset()


def register(client, name):
    return client.post("/register", data={**REGISTRATION, "name": name, "credit_code": credit_code()})


def count(model, *conditions) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*conditions))


def fresh_unit(world, name, jurisdiction="500103", category=enums.CAT_DISTRICT, username="fresh"):
    """A unit that registered but has not filled in 单位基本信息 yet, with its account."""
    unit = add_unit(name, world.jurisdictions[jurisdiction], category=category, complete=False)
    user = add_user(username, unit)
    db.session.commit()
    return unit, user


def profile(world, name, jurisdiction="500103", category=enums.CAT_DISTRICT, **extra):
    return {
        "name": name,
        "org_category": category,
        "jurisdiction": str(world.jurisdictions[jurisdiction].id),
        "supervisor": str(world.units["P"].id),
        "address": "重庆市渝中区人民路1号",
        "postcode": "400010",
        "contact_person": "王明",
        "contact_phone": "023-88152255",
        **extra,
    }


def reload(org) -> Organisation:
    db.session.expire_all()
    return db.session.get(Organisation, org.id)


def draft_of(world, unit):
    worker = add_worker(unit, f"{unit.name}工人", 300 + unit.id, world.trade, world.batch)
    db.session.add(PostSetting(unit=unit, batch=world.batch, grade=3, approved_posts=3, current_staff=1))
    db.session.flush()
    app = add_application(world, worker)
    db.session.commit()
    return app


def submit(user_id, app_id):
    db.session.expire_all()
    return workflow.submit(db.session.get(User, user_id), [app_id])


def decide(client, endpoint_ids, op, opinion=""):
    data = {"op": op, "rowid": endpoint_ids, "opinion": opinion}
    return client.post("/unitreview/decide/", data=data)


def succeeded(response) -> int:
    match = re.search(r'成功 <strong class="text-success">(\d+)</strong>', response.get_data(as_text=True))
    assert match, text_of(response)[:500]
    return int(match.group(1))


# --- names ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "variant",
    [
        "甲单位（渝中）",  # exact
        "甲单位\u200b（渝中）",  # zero-width space
        "\ufeff甲单位（渝中）\u2060",  # BOM, word joiner
        "甲单位(渝中)",  # half-width brackets
        "  甲单位 （渝中）  ",  # extra spaces
        "甲\u3000单位（渝中）",  # full-width space
    ],
)
def test_registration_refuses_a_name_already_registered(client, world, variant):
    body = text_of(register(client, variant))
    assert "该单位名称已被注册" in body
    assert count(User, User.username == "newunit") == 0
    assert count(Organisation, Organisation.name_key == unit_identity.unit_name_key(variant)) == 1


def test_full_width_letters_and_digits_are_the_same_name(client, world):
    add_unit("重庆市第1中学（ABC校区）", world.jurisdictions["500103"])
    db.session.commit()
    assert "该单位名称已被注册" in text_of(register(client, "重庆市第１中学（ａｂｃ校区）"))
    assert count(User, User.username == "newunit") == 0


def test_a_registered_name_is_stored_in_its_written_form(client, world):
    assert register(client, " 重庆市\u200b测试\u3000单位\ufeff ").status_code == 302
    org = db.session.scalar(sa.select(Organisation).join(User).where(User.username == "newunit"))
    assert org.name == "重庆市测试 单位" and org.identity_status == IdentityState.NEW


def test_a_name_of_invisible_characters_only_is_refused(client, world):
    body = text_of(register(client, "\u200b\u200d\ufeff"))
    assert "此项为必填项" in body
    assert count(User, User.username == "newunit") == 0


def test_the_name_of_a_deactivated_unit_may_be_registered_again(client, world):
    world.units["Y"].active = False
    db.session.commit()
    assert register(client, "丁单位（原渝北区）").status_code == 302
    assert count(Organisation, Organisation.name == "丁单位（原渝北区）") == 2


def test_the_database_refuses_a_second_active_unit_of_the_same_name(world):
    """The partial unique index, on SQLite and PostgreSQL alike (a save that raced past the check)."""
    twin = Organisation(name="乙单位\u200b(沙坪坝)", kind=enums.UNIT, uscc=credit_code())
    db.session.add(twin)
    with pytest.raises(sa.exc.IntegrityError) as raised:
        db.session.flush()
    assert unit_identity.is_name_conflict(raised.value)
    db.session.rollback()
    db.session.add(Organisation(name="乙单位（沙坪坝）", kind=enums.UNIT, uscc=credit_code(), active=False))
    db.session.commit()  # an inactive one does not count


def test_a_registration_that_races_past_the_check_gets_the_chinese_message(client, world, monkeypatch):
    monkeypatch.setattr(unit_identity, "name_taken", lambda *args, **kwargs: False)
    response = register(client, "甲单位\u200b（渝中）")
    body = text_of(response)
    assert response.status_code == 200 and "该单位名称已被注册" in body
    assert "IntegrityError" not in body and "UNIQUE" not in body.upper()
    assert count(User, User.username == "newunit") == 0


def test_profile_edit_refuses_another_units_name(client, world, login_as):
    login_as("unit_a")
    a = world.units["A"]
    for variant in ("乙单位（沙坪坝）", "乙单位\u200b(沙坪坝)", " 乙单位  （沙坪坝） "):
        body = text_of(client.post(f"/unitprofile/edit/?id={a.id}", data=profile(world, variant)))
        assert "该单位名称已被其他单位使用" in body, variant
    assert reload(a).name == "甲单位（渝中）" and reload(a).identity_status == IdentityState.CONFIRMED


def test_admin_edit_refuses_a_taken_name_and_a_reactivation_into_a_clash(client, world, login_as):
    login_as("admin")
    a, y = world.units["A"], world.units["Y"]
    data = {"name": "乙单位\ufeff（沙坪坝）", "kind": "unit", "uscc": a.uscc, "active": "y"}
    body = text_of(client.post(f"/organisations/edit/?id={a.id}", data=data, follow_redirects=True))
    assert "该单位名称已被其他单位使用" in body
    assert reload(a).name == "甲单位（渝中）"
    # 丁单位 leaves; another takes its name; 丁单位 cannot come back under it.
    y.active = False
    db.session.commit()
    add_unit("丁单位（原渝北区）", world.jurisdictions["500112"])
    db.session.commit()
    data = {"name": "丁单位（原渝北区）", "kind": "unit", "uscc": y.uscc, "active": "y"}
    body = text_of(client.post(f"/organisations/edit/?id={y.id}", data=data, follow_redirects=True))
    assert "该单位名称已被其他单位使用" in body
    assert reload(y).active is False


# --- 单位信息审核 ----------------------------------------------------------------------------------------
def test_a_new_unit_submits_only_after_its_district_bureau_confirms(client, world, login_as):
    unit, user = fresh_unit(world, "重庆市渝中区新单位")
    login_as("fresh")
    response = client.post(f"/unitprofile/edit/?id={unit.id}", data=profile(world, "重庆市渝中区新单位"))
    assert response.status_code == 302
    assert reload(unit).identity_status == IdentityState.PENDING
    page = text_of(client.get(f"/unitprofile/edit/?id={unit.id}"))
    assert "待审核" in page and "渝中区人力社保局" in page

    application = draft_of(world, unit)
    result = submit(user.id, application.id)
    assert not result.done
    reason = result.refused[0][2]
    assert "正待渝中区人力社保局审核确认" in reason and "所在区县" in reason
    assert db.session.get(type(application), application.id).status == ApplicationState.DRAFT

    # Neither another bureau nor the office (it is 区县属) sees or decides it.
    for other in ("shapingba_hr", "office"):
        login_as(other)
        assert "重庆市渝中区新单位" not in text_of(client.get("/unitreview/"))
        assert client.get(f"/unitreview/details/?id={unit.id}").status_code == 404
        assert succeeded(decide(client, [unit.id], "confirm")) == 0
        assert reload(unit).identity_status == IdentityState.PENDING

    login_as("yuzhong_hr")
    assert "重庆市渝中区新单位" in text_of(client.get("/unitreview/"))
    assert "首次审核" in text_of(client.get(f"/unitreview/details/?id={unit.id}"))
    assert succeeded(decide(client, [unit.id], "confirm", "信息属实")) == 1
    org = reload(unit)
    assert org.identity_status == IdentityState.CONFIRMED and org.identity_decided_by == "渝中区人力社保局"
    assert org.identity_confirmed["jurisdiction_id"] == world.jurisdictions["500103"].id
    logged = db.session.scalar(
        sa.select(AuditLog).where(
            AuditLog.action == "unit_identity_confirmed", AuditLog.object_id == str(unit.id)
        )
    )
    assert logged.username == "yuzhong_hr" and logged.to_state == IdentityState.CONFIRMED
    message = db.session.scalar(sa.select(Notification).where(Notification.organisation_id == unit.id))
    assert message.title == "单位信息审核已通过" and "渝中区人力社保局" in message.body

    assert submit(user.id, application.id).done


def test_the_office_confirms_city_units_and_a_district_bureau_cannot(client, world, login_as):
    unit, _user = fresh_unit(world, "重庆市某市属单位", category=enums.CAT_CITY_OTHER)
    login_as("fresh")
    data = profile(world, "重庆市某市属单位", category=enums.CAT_CITY_OTHER)
    assert client.post(f"/unitprofile/edit/?id={unit.id}", data=data).status_code == 302
    login_as("yuzhong_hr")  # the unit sits in 渝中区, but a 市属 unit is the office's
    assert client.get(f"/unitreview/details/?id={unit.id}").status_code == 404
    assert succeeded(decide(client, [unit.id], "confirm")) == 0
    for role in ("party_org", "city_hr", "center", "admin", "unit_a"):
        login_as(role)
        assert client.get("/unitreview/").status_code == 403
        assert decide(client, [unit.id], "confirm").status_code == 403
    login_as("office")
    assert succeeded(decide(client, [unit.id], "confirm")) == 1
    assert reload(unit).identity_status == IdentityState.CONFIRMED


def test_return_needs_an_opinion_and_the_unit_sees_it(client, world, login_as):
    unit, user = fresh_unit(world, "重庆市渝中区退回单位")
    login_as("fresh")
    client.post(f"/unitprofile/edit/?id={unit.id}", data=profile(world, "重庆市渝中区退回单位"))
    login_as("yuzhong_hr")
    body = text_of(decide(client, [unit.id], "return", "  "))
    assert "退回须填写审核意见" in body
    assert reload(unit).identity_status == IdentityState.PENDING
    assert succeeded(decide(client, [unit.id], "return", "单位名称与营业执照不符")) == 1
    assert reload(unit).identity_status == IdentityState.RETURNED

    login_as("fresh")
    page = text_of(client.get(f"/unitprofile/edit/?id={unit.id}"))
    assert "已退回" in page and "单位名称与营业执照不符" in page
    assert "单位名称与营业执照不符" in text_of(client.get("/messages/"))
    assert "已退回" in text_of(client.get(f"/unitprofile/details/?id={unit.id}"))  # the message's link
    assert "已退回（确认前不能提交考试资格申请" in text_of(client.get("/"))
    reason = submit(user.id, draft_of(world, unit).id).refused[0][2]
    assert "已被渝中区人力社保局退回" in reason and "单位名称与营业执照不符" in reason
    # Saving again sends it back to the bureau.
    data = profile(world, "重庆市渝中区退回单位（更正）")
    assert client.post(f"/unitprofile/edit/?id={unit.id}", data=data).status_code == 302
    assert reload(unit).identity_status == IdentityState.PENDING


def test_a_change_of_jurisdiction_needs_confirmation_by_the_new_bureau(client, world, login_as):
    a = world.units["A"]
    application = world.applications["A"]
    db.session.add(PostSetting(unit=a, batch=world.batch, grade=3, approved_posts=3, current_staff=1))
    db.session.commit()
    login_as("unit_a")
    data = profile(world, "甲单位（渝中）", jurisdiction="500106")
    assert client.post(f"/unitprofile/edit/?id={a.id}", data=data).status_code == 302
    assert reload(a).identity_status == IdentityState.PENDING
    reason = submit(world.users[enums.UNIT].id, application.id).refused[0][2]
    assert "（所在区县）正待沙坪坝区人力社保局审核确认" in reason

    login_as("yuzhong_hr")  # the old bureau no longer decides it
    assert client.get(f"/unitreview/details/?id={a.id}").status_code == 404
    assert succeeded(decide(client, [a.id], "confirm")) == 0
    login_as("shapingba_hr")
    details = re.sub(r"<[^>]+>", "", text_of(client.get(f"/unitreview/details/?id={a.id}")))
    assert "所在区县：渝中区 → 沙坪坝区" in details
    assert succeeded(decide(client, [a.id], "confirm")) == 1
    assert submit(world.users[enums.UNIT].id, application.id).done


def test_contact_details_change_without_confirmation(client, world, login_as):
    a = world.units["A"]
    login_as("unit_a")
    data = profile(world, "甲单位（渝中）", contact_phone="13900001111", address="重庆市渝中区新华路9号")
    assert client.post(f"/unitprofile/edit/?id={a.id}", data=data).status_code == 302
    org = reload(a)
    assert org.contact_phone == "13900001111" and org.identity_status == IdentityState.CONFIRMED


def test_identity_fields_cannot_change_while_a_confirmation_waits(client, world, login_as):
    a = world.units["A"]
    login_as("unit_a")
    client.post(f"/unitprofile/edit/?id={a.id}", data=profile(world, "甲单位（渝中区）"))
    assert reload(a).identity_status == IdentityState.PENDING
    page = client.get(f"/unitprofile/edit/?id={a.id}").get_data(as_text=True)
    assert 'name="jurisdiction"' not in page and "审核期间以下信息不能修改" in page
    forged = profile(
        world, "另一个名称", jurisdiction="500106", category=enums.CAT_SOE, contact_person="李四"
    )
    assert client.post(f"/unitprofile/edit/?id={a.id}", data=forged).status_code == 302
    org = reload(a)
    assert (org.name, org.jurisdiction_id, org.org_category) == (
        "甲单位（渝中区）",
        world.jurisdictions["500103"].id,
        enums.CAT_DISTRICT,
    )
    assert org.contact_person == "李四"  # the rest of the profile stays editable


def test_an_admin_change_of_a_units_category_needs_confirmation(client, world, login_as):
    a = world.units["A"]
    login_as("admin")
    data = {
        "name": a.name,
        "kind": "unit",
        "uscc": a.uscc,
        "org_category": enums.CAT_CITY_OTHER,
        "jurisdiction": str(a.jurisdiction_id),
        "supervisor": str(world.units["P"].id),
        "address": a.address,
        "postcode": a.postcode,
        "contact_person": a.contact_person,
        "contact_phone": a.contact_phone,
        "active": "y",
    }
    assert client.post(f"/organisations/edit/?id={a.id}", data=data).status_code == 302
    org = reload(a)
    assert org.org_category == enums.CAT_CITY_OTHER and org.identity_status == IdentityState.PENDING
    assert "市工考办" in unit_identity.submission_block_reason(org)


def test_home_counts_the_units_waiting_in_scope(client, world, login_as):
    unit, _user = fresh_unit(world, "重庆市渝中区待办单位")
    login_as("fresh")
    client.post(f"/unitprofile/edit/?id={unit.id}", data=profile(world, "重庆市渝中区待办单位"))
    expected = {"yuzhong_hr": "1", "shapingba_hr": "0", "office": "0"}
    for username, number in expected.items():
        login(client, username)
        page = client.get("/").get_data(as_text=True)
        found = re.search(r'data-todo="待审核的单位信息">.*?gk-todo-count">([^<]+)<', page, re.S)
        assert found and found.group(1).strip() == number, username


# --- 主管部门 ---------------------------------------------------------------------------------------------
def test_the_supervisor_picker_offers_only_supervising_units(client, world, login_as):
    login_as("unit_a")
    names = {row[1] for row in client.get("/unitprofile/ajax/lookup/?name=supervisor&query=单位").get_json()}
    assert names == {"丙单位（党群）"}
    world.units["B"].is_supervisor = True
    db.session.commit()
    names = {row[1] for row in client.get("/unitprofile/ajax/lookup/?name=supervisor&query=单位").get_json()}
    assert names == {"丙单位（党群）", "乙单位（沙坪坝）"}


def test_a_forged_supervisor_is_refused_with_a_chinese_error(client, world, login_as):
    a = world.units["A"]
    login_as("unit_a")
    for forged in (world.units["B"].id, world.users["office"].organisation_id, a.id, 10**6):
        data = profile(world, "甲单位（渝中）", supervisor=str(forged))
        body = text_of(client.post(f"/unitprofile/edit/?id={a.id}", data=data))
        assert "所选项不存在或不在可选范围内" in body, forged
    org = reload(a)
    assert org.supervisor_id == world.units["P"].id and org.identity_status == IdentityState.CONFIRMED


def test_two_reviewers_deciding_one_unit_at_once_exactly_one_lands(app, world):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row-level concurrency is proven on PostgreSQL (SQLite serialises writers)")
    import threading

    unit, _user = fresh_unit(world, "重庆市并发测试单位", category=enums.CAT_SOE)
    unit.address, unit.postcode = "重庆", "400010"
    unit.contact_person, unit.contact_phone = "王明", "023-88152255"
    unit.identity_status = IdentityState.PENDING
    second = add_user("office2", world.users["office"].organisation)
    db.session.commit()
    ids = (world.users["office"].id, second.id)
    barrier = threading.Barrier(2)
    results = {}

    def run(user_id, action):
        with app.app_context():
            user = db.session.get(User, user_id)
            barrier.wait()
            results[user_id] = identity_stage.decide(user, [unit.id], action, "并发测试")

    threads = [
        threading.Thread(target=run, args=(ids[0], "confirm")),
        threading.Thread(target=run, args=(ids[1], "return")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(len(r.done) for r in results.values()) == [0, 1]
    assert count(Notification, Notification.organisation_id == unit.id) == 1
    actions = ("unit_identity_confirmed", "unit_identity_returned")
    assert count(AuditLog, AuditLog.object_id == str(unit.id), AuditLog.action.in_(actions)) == 1


def test_a_profile_save_that_races_past_the_check_gets_the_chinese_message(
    client, world, login_as, monkeypatch
):
    from views import unit_forms

    monkeypatch.setattr(unit_forms.unit_identity, "name_taken", lambda *args, **kwargs: False)
    a = world.units["A"]
    login_as("unit_a")
    response = client.post(f"/unitprofile/edit/?id={a.id}", data=profile(world, "乙单位\u200b（沙坪坝）"))
    body = text_of(response)
    assert response.status_code == 200 and "该单位名称已被其他单位使用" in body
    assert "IntegrityError" not in body and "UNIQUE" not in body.upper() and "Failed" not in body
    assert reload(a).name == "甲单位（渝中）"


def test_a_decision_without_the_csrf_token_is_refused(app, client, world, login_as):
    unit, _user = fresh_unit(world, "重庆市渝中区令牌单位")
    login_as("fresh")
    client.post(f"/unitprofile/edit/?id={unit.id}", data=profile(world, "重庆市渝中区令牌单位"))
    login_as("yuzhong_hr")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert decide(client, [unit.id], "confirm").status_code == 400
        action = {"action": "confirm", "rowid": unit.id}
        assert client.post("/unitreview/action/", data=action).status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert reload(unit).identity_status == IdentityState.PENDING


def test_a_unit_of_a_merged_district_is_confirmed_by_the_bureau_it_merged_into(client, world, login_as):
    y = world.units["Y"]  # still registered under 渝北区, merged into 两江新区
    y.identity_status = IdentityState.PENDING
    db.session.commit()
    assert "两江新区组织人事部" in unit_identity.submission_block_reason(y)
    login_as("yuzhong_hr")
    assert client.get(f"/unitreview/details/?id={y.id}").status_code == 404
    login_as("liangjiang_hr")
    assert client.get(f"/unitreview/details/?id={y.id}").status_code == 200
    assert succeeded(decide(client, [y.id], "confirm")) == 1
    assert reload(y).identity_decided_by == "两江新区组织人事部"


def test_an_incomplete_unit_is_told_once_what_to_complete(client, world):
    """The gate sends an incomplete unit to its profile; the page says once what is missing and why the other
    pages wait (no flash repeating it, no second sentence from the identity box)."""
    unit = add_unit("重庆市测试待完善单位", world.jurisdictions["500103"], complete=False)
    add_user("unit_incomplete", unit)
    db.session.commit()
    login(client, "unit_incomplete")
    for path in ("/", "/applications/", "/workers/"):
        response = client.get(path, follow_redirects=True)
        assert response.request.path.startswith("/unitprofile/")
        text = text_of(response)
        assert "请完善单位基本信息：单位地址、邮编、联系人、联系电话。" in text
        assert text.count("完善单位基本信息") == 1 and text.count("后方可使用") == 1, text
        assert "尚未提交审核" not in text, text
