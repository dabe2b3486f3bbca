"""单位注册 (a unit signs up at /register, verifies its real name, completes its profile) — not 考试报名."""

import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.services.validators import resident_check_digit
from models import Organisation, User, enums
from tests.conftest import text_of
from tests.factories import credit_code

FORM = {
    "name": "重庆市测试单位",
    "username": "testunit",
    "password": "Regist2021",
    "confirm": "Regist2021",
    "contact_person": "王明",
    "contact_phone": "13800001111",
}


def register(client, **overrides):
    data = {**FORM, "credit_code": credit_code(), **overrides}
    return client.post("/register", data=data)


def test_unit_registers_and_lands_on_real_name_page(client, world):
    response = register(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/verify")
    org = db.session.scalar(sa.select(Organisation).where(Organisation.name == "重庆市测试单位"))
    assert org.kind == enums.UNIT and org.self_registered
    user = db.session.scalar(sa.select(User).where(User.username == "testunit"))
    assert user.organisation_id == org.id and user.role == enums.UNIT
    assert user.password_hash.startswith("scrypt:")


def test_duplicate_credit_code_gets_the_manual_hint(client, world):
    code = world.units["A"].uscc
    body = text_of(register(client, credit_code=code.lower()))
    assert "该统一社会信用代码已被注册，请使用本单位已注册的账号登录" in body
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.username == "testunit"))
        == 0
    )


def test_bad_credit_code_and_weak_password_are_refused(client, world):
    body = text_of(register(client, credit_code="91110000600037341M"))
    assert "统一社会信用代码校验位错误" in body
    body = text_of(register(client, password="abcdefgh", confirm="abcdefgh"))
    assert "密码须包含数字" in body
    body = text_of(register(client, confirm="Different1"))
    assert "两次输入的密码不一致" in body
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Organisation).where(Organisation.name == "重庆市测试单位")
        )
        == 0
    )


def test_duplicate_username_is_refused(client, world):
    body = text_of(register(client, username="unit_a"))
    assert "该登录账号已被使用" in body


def test_real_name_verification(client, world):
    register(client)
    body = text_of(
        client.post("/verify", data={"verified_name": "王明", "verified_id_number": "500103197006151230"})
    )
    assert "身份证号码" in body and "实名认证成功" not in body

    number = "50010319700615123" + resident_check_digit("50010319700615123")
    response = client.post("/verify", data={"verified_name": "王明", "verified_id_number": number.lower()})
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.username == "testunit"))
    assert user.real_name_verified and user.verified_id_number == number.upper()


def test_new_unit_reaches_only_its_profile_until_complete(client, world):
    register(client)
    for url in ["/", "/workers/", "/posts/", "/workers/new/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/unitprofile/" in response.headers["Location"], url
    response = client.get("/unitprofile/", follow_redirects=True)
    body = text_of(response)
    assert "请完善" in body and "所在区县" in body
    org = db.session.scalar(sa.select(Organisation).where(Organisation.name == "重庆市测试单位"))
    data = {
        "name": "重庆市测试单位",
        "org_category": enums.CAT_DISTRICT,
        "jurisdiction": str(world.jurisdictions["500103"].id),
        "supervisor": str(world.units["P"].id),
        "address": "重庆市渝中区人民路1号",
        "postcode": "４０００１０",
        "contact_person": "王明",
        "contact_phone": "023-88152255",
    }
    # A bad postcode is refused and nothing is saved.
    body = text_of(
        client.post(
            f"/unitprofile/edit/?id={org.id}", data={**data, "postcode": "4000"}, follow_redirects=True
        )
    )
    assert "邮编应为6位数字" in body
    db.session.expire_all()
    assert db.session.get(Organisation, org.id).address is None
    response = client.post(f"/unitprofile/edit/?id={org.id}", data=data)
    assert response.status_code == 302
    db.session.expire_all()
    org = db.session.get(Organisation, org.id)
    assert org.profile_complete and org.postcode == "400010"
    assert client.get("/workers/").status_code == 200


def test_supervisor_is_optional_but_never_self(client, world):
    register(client)
    org = db.session.scalar(sa.select(Organisation).where(Organisation.name == "重庆市测试单位"))
    data = {
        "name": "重庆市测试单位",
        "org_category": enums.CAT_DISTRICT,
        "jurisdiction": str(world.jurisdictions["500103"].id),
        "address": "重庆市渝中区人民路1号",
        "postcode": "400010",
        "contact_person": "王明",
        "contact_phone": "023-88152255",
    }
    body = text_of(
        client.post(
            f"/unitprofile/edit/?id={org.id}", data={**data, "supervisor": str(org.id)}, follow_redirects=True
        )
    )
    assert "所选项不存在或不在可选范围内" in body
    db.session.expire_all()
    assert not db.session.get(Organisation, org.id).profile_complete
    # A unit that is itself a 主管部门 completes its profile without one above it.
    assert client.post(f"/unitprofile/edit/?id={org.id}", data=data).status_code == 302
    db.session.expire_all()
    assert db.session.get(Organisation, org.id).profile_complete


def test_supervisor_outside_the_picker_is_refused(client, world):
    register(client)
    org = db.session.scalar(sa.select(Organisation).where(Organisation.name == "重庆市测试单位"))
    staff_body = world.users["office"].organisation
    data = {
        "name": "重庆市测试单位",
        "org_category": enums.CAT_DISTRICT,
        "jurisdiction": str(world.jurisdictions["500103"].id),
        "supervisor": str(staff_body.id),
        "address": "重庆市渝中区人民路1号",
        "postcode": "400010",
        "contact_person": "王明",
        "contact_phone": "023-88152255",
    }
    body = text_of(client.post(f"/unitprofile/edit/?id={org.id}", data=data))
    assert "所选项不存在或不在可选范围内" in body
    db.session.expire_all()
    assert db.session.get(Organisation, org.id).supervisor_id is None


def test_supervisor_picker_lists_supervising_units_only(client, world):
    register(client)
    response = client.get("/unitprofile/ajax/lookup/?name=supervisor&query=单位")
    names = {row[1] for row in response.get_json()}
    assert names == {"丙单位（党群）"}  # the only unit marked 可作为主管部门; not 甲单位, not itself
    response = client.get("/unitprofile/ajax/lookup/?name=supervisor&query=人力社保局")
    assert response.get_json() == []  # staff bodies are not supervisors of units
