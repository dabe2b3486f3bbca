"""证书查验 (issue 18 point 4): public, no login; by QR link or by certificate number + the last 6 characters of
the ID number; masked name, unit, 工种, 等级, date and 有效 / 已撤销 (with its date), nothing else; one neutral
message for every wrong input; look-ups limited per client address, counted in the database; CSRF on the
form. Both databases."""

import re

import pytest
import sqlalchemy as sa

from admin_app import verification
from admin_app.extensions import db
from admin_app.services import certificate_links, clock
from admin_app.workflow import certificates as certificate_flow
from models import CertificateLookup, enums
from tests.certificate_helpers import recognised
from tests.conftest import login, text_of
from tests.scope_world import USERNAMES


@pytest.fixture
def certificate(app, world):
    """A recognised registration with its QR token (as its first PDF makes it)."""
    unit, application, reg = recognised(world, "verify", 601)
    with app.test_request_context():
        token = certificate_links.token_for(app.config["CERTIFICATE_LINK_KEY"], reg.id)
        db.session.commit()
    return reg, application.worker, token


@pytest.fixture
def few_lookups(app):
    app.config["CERTIFICATE_LOOKUP_MAX"] = 4
    yield 4
    app.config["CERTIFICATE_LOOKUP_MAX"] = 30


def _lookup(client, number, tail, address="10.9.0.1"):
    return client.post(
        "/verify/", data={"number": number, "id_tail": tail}, environ_base={"REMOTE_ADDR": address}
    )


def _shown(response) -> str:
    return text_of(response)


def test_the_form_and_the_link_show_the_masked_certificate_without_login(client, certificate):
    reg, worker, token = certificate
    form = client.get("/verify/")
    assert form.status_code == 200 and "证书编号" in text_of(form) and "身份证号码后六位" in text_of(form)
    day = clock.to_beijing(reg.recognised_at).date()
    for response in (
        client.get(f"/verify/{token}"),
        _lookup(client, reg.certificate_number, worker.id_number[-6:]),
    ):
        body = _shown(response)
        assert response.status_code == 200, body[:300]
        assert "有效" in body and "已撤销" not in body
        assert f"{worker.name[0]}*" in body
        for shown in (reg.unit.name, "电工", "五级（初级工）", f"{day.year}年{day.month}月{day.day}日"):
            assert shown in body, shown
        # nothing else: not the full name, the ID number, the number typed, scores, the row id
        for hidden in (worker.name, worker.id_number, worker.id_number[-6:], "80.0", "75.5", f"id={reg.id}"):
            assert hidden not in body, hidden
    # Lower-case x and spaces around the number are accepted
    assert "有效" in _shown(_lookup(client, f" {reg.certificate_number} ", worker.id_number[-6:].lower()))


def test_every_wrong_input_gets_the_same_neutral_message(client, certificate, world):
    reg, worker, token = certificate
    value, signature = token.split(".")
    other = world.registrations["B"]  # a row never recognised
    tail = worker.id_number[-6:]
    wrong_tail = f"{(int(tail[:5]) + 1) % 100000:05d}{tail[5]}"
    for response in (
        _lookup(client, reg.certificate_number, wrong_tail),
        _lookup(client, reg.certificate_number + "0", tail),
        _lookup(client, "CQGK2026" + "9" * 8, tail),
        _lookup(client, "", ""),
        _lookup(client, reg.certificate_number, "12345"),
        _lookup(client, "x" * 5000, "y" * 5000),
        _lookup(client, str(other.id), other.worker.id_number[-6:]),
        client.get(f"/verify/{value}.{signature[::-1]}"),
        client.get(f"/verify/{value[::-1]}.{signature}"),
        client.get(f"/verify/{reg.id}"),
        client.get(f"/verify/{reg.certificate_number}"),
        client.get("/verify/" + "A" * 300),
    ):
        body = _shown(response)
        assert response.status_code == 200, body[:200]
        assert verification.NOT_FOUND in body
        assert worker.name[0] + "*" not in body and reg.unit.name not in body


def test_a_revoked_certificate_shows_revoked_with_its_date(client, certificate, world):
    reg, worker, token = certificate
    assert certificate_flow.revoke(world.users[enums.OFFICE], [reg.id], "弄虚作假", "渝工考〔2026〕3号").done
    db.session.expire_all()
    day = clock.today()
    for response in (
        client.get(f"/verify/{token}"),
        _lookup(client, reg.certificate_number, worker.id_number[-6:]),
    ):
        body = _shown(response)
        assert f"已撤销（{day.year}年{day.month}月{day.day}日撤销）" in body
        assert "有效）" not in body and "弄虚作假" not in body and "渝工考" not in body


def test_look_ups_are_limited_per_address_and_counted_in_the_database(client, certificate, few_lookups):
    reg, worker, token = certificate
    tail = worker.id_number[-6:]
    for _ in range(few_lookups):
        assert _lookup(client, "CQGK0", "000000").status_code == 200
    # The limit is reached for this address: even the right answer is not looked up
    blocked = _lookup(client, reg.certificate_number, tail)
    assert blocked.status_code == 429 and verification.TOO_MANY in _shown(blocked)
    assert "有效" not in _shown(blocked)
    blocked = client.get(f"/verify/{token}", environ_base={"REMOTE_ADDR": "10.9.0.1"})
    assert blocked.status_code == 429
    # Another address is not affected; the form itself (GET) is not a look-up
    assert "有效" in _shown(_lookup(client, reg.certificate_number, tail, address="10.9.0.2"))
    assert client.get("/verify/", environ_base={"REMOTE_ADDR": "10.9.0.1"}).status_code == 200
    counted = dict(
        db.session.execute(
            sa.select(CertificateLookup.address, sa.func.count()).group_by(CertificateLookup.address)
        ).all()
    )
    assert counted == {"10.9.0.1": few_lookups + 2, "10.9.0.2": 1}


def test_the_form_needs_its_csrf_token(app, client, certificate):
    reg, worker, _token = certificate
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        data = {"number": reg.certificate_number, "id_tail": worker.id_number[-6:]}
        refused = client.post("/verify/", data=data)
        assert refused.status_code == 400 and "CSRF" in text_of(refused)
        page = client.get("/verify/").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        assert "有效" in text_of(client.post("/verify/", data={**data, "csrf_token": token}))
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_signed_in_users_see_the_same_public_page(client, certificate, world):
    reg, worker, token = certificate
    for username in ("unit_a", "office", "admin"):
        login(client, username)
        body = _shown(client.get(f"/verify/{token}"))
        assert "有效" in body and worker.name not in body and worker.id_number not in body, username
    # a user who must change the password first is not sent away from the public page
    user = world.users[enums.UNIT]
    user.must_change_password = True
    db.session.commit()
    login(client, "unit_a")
    assert client.get(f"/verify/{token}").status_code == 200


@pytest.mark.parametrize("username", [*USERNAMES, None], ids=lambda u: u or "anonymous")
def test_every_login_sees_the_masked_fields_and_nothing_else(client, certificate, username):
    """The permission matrix of the public page: for anonymous and every role the same result — the masked
    name, unit, 工种, 等级, date, status — and none of the row's other facts (name, ID number, scores, number,
    ids, opinions), by link and by form."""
    reg, worker, token = certificate
    if username:
        login(client, username)
    by_link = client.get(f"/verify/{token}")
    by_form = _lookup(
        client, reg.certificate_number, worker.id_number[-6:], address=f"10.8.0.{len(username or '')}"
    )
    day = clock.to_beijing(reg.recognised_at).date()
    expected = [
        "有效",
        "姓名", worker.name[0] + "*" * (len(worker.name) - 1),
        "工作单位", reg.unit.name,
        "工种", "电工",
        "等级", "五级（初级工）",
        "认定日期", f"{day.year}年{day.month}月{day.day}日",
        "查验其他证书",
    ]  # fmt: skip
    for response in (by_link, by_form):
        assert response.status_code == 200, username
        section = re.search(
            r'<div class="gk-verify-result".*?</dl>.*?</a>', response.get_data(as_text=True), re.S
        )
        assert section, username
        assert re.sub(r"<[^>]+>", " ", section.group(0)).split() == [
            part for text in expected for part in text.split()
        ], username
        body = response.get_data(as_text=True)
        for hidden in (worker.name, worker.id_number, worker.id_number[-6:], f"id={reg.id}", "80.0", "75.5"):
            assert hidden not in body, (username, hidden)
