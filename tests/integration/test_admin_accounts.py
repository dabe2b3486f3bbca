import re

import sqlalchemy as sa

from admin_app.extensions import db
from models import AuditLog, Organisation, Trade, User, enums
from tests.conftest import login, text_of


def test_admin_creates_staff_account_with_one_time_password(client, world, login_as):
    login_as("admin")
    office = world.users["office"].organisation
    response = client.post(
        "/users/new/",
        data={"username": "new_reviewer", "full_name": "新审核员", "organisation": office.id, "active": "y"},
        follow_redirects=True,
    )
    body = text_of(response)
    match = re.search(r"初始密码：<code>([A-Za-z0-9]+)</code>", body)
    assert match, body[:2000]
    user = db.session.scalar(sa.select(User).where(User.username == "new_reviewer"))
    assert user.must_change_password and user.role == enums.OFFICE
    # The new account logs in and is made to change the password first.
    response = login(client, "new_reviewer", match.group(1))
    assert response.headers["Location"].endswith("/password")
    assert client.get("/units/").headers["Location"].endswith("/password")


def test_reset_disable_enable_and_move(client, world, login_as):
    login_as("admin")
    target = world.users["center"]
    response = client.post(
        "/users/action/", data={"action": "reset_password", "rowid": [target.id]}, follow_redirects=True
    )
    password = re.search(r"center：<code>([A-Za-z0-9]+)</code>", text_of(response)).group(1)
    db.session.expire_all()
    assert target.must_change_password
    assert db.session.scalar(sa.select(AuditLog.id).where(AuditLog.action == "password_reset"))
    # Disable: the account's existing sessions end and it cannot log in.
    other = client.application.test_client()
    login(other, "center", password)
    client.post("/users/action/", data={"action": "disable", "rowid": [target.id]})
    assert other.get("/").status_code == 302
    assert "账号已停用" in text_of(login(other, "center", password))
    login(client, "admin")
    client.post("/users/action/", data={"action": "enable", "rowid": [target.id]})
    assert login(other, "center", password).status_code == 302
    # Move to another organisation: the role follows the organisation.
    login(client, "admin")
    office = world.users["office"].organisation
    client.post(
        f"/users/edit/?id={target.id}",
        data={"username": "center", "full_name": "x", "organisation": office.id, "active": "y"},
    )
    db.session.expire_all()
    assert db.session.get(User, target.id).role == enums.OFFICE


def test_admin_changes_are_audited_with_the_changed_fields(client, world, login_as):
    login_as("admin")
    trade = db.session.scalar(sa.select(Trade).where(Trade.name == "电工"))
    response = client.post(
        f"/trades/edit/?id={trade.id}",
        data={"name": "电工", "category": trade.category, "max_grade": "2", "active": "y"},
    )
    assert response.status_code == 302
    row = db.session.scalar(
        sa.select(AuditLog).where(AuditLog.action == "update", AuditLog.object_type == "Trade")
    )
    assert row and '"max_grade": [1, 2]' in row.detail and row.username == "admin"


def test_audit_log_is_read_only(client, world, login_as):
    login_as("admin")
    row_id = db.session.scalar(sa.select(AuditLog.id))
    assert client.get(f"/auditlog/edit/?id={row_id}").status_code == 403
    assert client.post("/auditlog/delete/", data={"id": row_id}).status_code == 403
    assert client.post("/auditlog/action/", data={"action": "delete", "rowid": [row_id]}).status_code == 403
    assert db.session.get(AuditLog, row_id) is not None


def test_organisation_checks(client, world, login_as):
    login_as("admin")
    body = text_of(
        client.post("/organisations/new/", data={"name": "某单位", "kind": "unit"}, follow_redirects=True)
    )
    assert "单位须填写统一社会信用代码" in body
    body = text_of(
        client.post(
            "/organisations/new/", data={"name": "某区人社局", "kind": "district_hr"}, follow_redirects=True
        )
    )
    assert "区县人力社保局须选择所在区县" in body
    body = text_of(
        client.post(
            "/organisations/new/",
            data={"name": "重复", "kind": "unit", "uscc": world.units["A"].uscc},
            follow_redirects=True,
        )
    )
    assert "该统一社会信用代码已被注册" in body
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Organisation)
            .where(Organisation.name.in_(["某单位", "某区人社局", "重复"]))
        )
        == 0
    )


def test_chinese_menus_grouped_by_area(client, world, login_as):
    login_as("admin")
    body = text_of(client.get("/"))
    for label in ["系统管理", "账号管理", "机构管理", "区县", "工种", "考核批次", "审计日志"]:
        assert label in body
    assert 'href="/workers/"' not in client.get("/").get_data(as_text=True)  # no business decisions
    login_as("unit_a")
    body = text_of(client.get("/"))
    assert "单位信息" in body and "工勤人员" in body and "系统管理" not in body


def test_flask_admin_catalog_is_chinese(client, world, login_as):
    login_as("unit_a")
    body = text_of(client.get("/workers/"))
    assert "创建" in body  # Flask-Admin's "Create", from its zh_Hans_CN catalog
    assert "Create" not in body and "List (" not in body


def test_times_are_shown_in_beijing_time(client, world, login_as):
    from datetime import datetime

    world.users["center"].last_login_at = datetime(2021, 7, 1, 2, 0, 30)
    db.session.commit()
    login_as("admin")
    body = text_of(client.get("/users/"))
    assert "2021-07-01 10:00" in body and "02:00:30" not in body
    details = text_of(client.get(f"/users/details/?id={world.users['center'].id}"))
    assert "2021-07-01 10:00" in details


def test_admin_sees_and_lifts_a_login_lock_from_the_account_list(client, world, login_as):
    from models import LoginLock
    from tests.factories import PASSWORD

    attacker = client.application.test_client()

    def attempt(password):
        return attacker.post(
            "/login",
            data={"username": "center", "password": password},
            environ_base={"REMOTE_ADDR": "203.0.113.20"},
        )

    for _ in range(5):
        attempt("wrong-pass1")
    assert attempt(PASSWORD).status_code == 200  # locked from that address
    login_as("admin")
    assert "锁定至" in text_of(client.get("/users/")) and "（1 个地址）" in text_of(client.get("/users/"))
    target = world.users["center"]
    response = client.post(
        "/users/action/", data={"action": "unlock", "rowid": [target.id]}, follow_redirects=True
    )
    assert "已解除 1 个账号的登录锁定" in text_of(response)
    assert "锁定至" not in text_of(client.get("/users/"))
    lock = db.session.scalar(sa.select(LoginLock))
    assert lock.lifted_at is not None and lock.lifted_by_id == world.users["admin"].id
    row = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "login_unlocked"))
    assert row.username == "admin" and row.object_id == str(target.id) and "203.0.113.20" in row.detail
    # The lock and the failures before it are gone: the right password works from that address again.
    assert attempt(PASSWORD).status_code == 302
    # Other roles may not unlock.
    login_as("office")
    assert client.post("/users/action/", data={"action": "unlock", "rowid": [target.id]}).status_code == 403


def test_moving_or_resetting_an_account_ends_its_sessions(client, world, login_as):
    from models import UserSession

    target = world.users["center"]
    other = client.application.test_client()
    login(other, "center")
    login_as("admin")
    office = world.users["office"].organisation
    client.post(
        f"/users/edit/?id={target.id}",
        data={"username": "center", "full_name": "x", "organisation": office.id, "active": "y"},
    )
    assert other.get("/").status_code == 302
    login(other, "center")
    client.post("/users/action/", data={"action": "reset_password", "rowid": [target.id]})
    assert other.get("/").status_code == 302
    reasons = db.session.scalars(
        sa.select(UserSession.end_reason).where(UserSession.user_id == target.id).order_by(UserSession.id)
    ).all()
    assert reasons == ["account_moved", "password_reset"]
