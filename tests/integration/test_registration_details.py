"""A registration's details page (manual 4.2's second method): the 报名表 photo inline, the full ID number for
whoever may open the row (its unit and the staff of its scope; lists keep it masked), and the engine's
decisions at the bottom of the page, taken from there. Generated over the four stage lists and every login of
``tests/scope_world.py``: every row a login may open shows its own person's full number and its own photo."""

import re
from html import unescape

import pytest
from flask_admin.contrib.sqla import ModelView

from admin_app.extensions import db
from admin_app.workflow.states import RegistrationState
from models import Registration
from tests.conftest import login
from tests.factories import PNG
from tests.scope_world import USERNAMES, build_inscope_world, expected_ids, viewer

STAGES = ("registrations", "scores", "evaluations", "recognitions")
PHOTO = re.compile(r'<img id="candidate-photo"[^>]* src="([^"]+)"')


@pytest.fixture
def inscope(world):
    return build_inscope_world(world)


def _stage_views(app):
    return [v for v in app.extensions["admin"][0]._views if isinstance(v, ModelView) and v.endpoint in STAGES]


def _page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return unescape(response.get_data(as_text=True))


def _text(response) -> str:
    """The page as read: tags removed, whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def _candidate(body: str) -> str:
    return re.search(r'<div class="card mb-3" id="candidate">(.*?)</table>', body, re.S).group(1)


@pytest.mark.parametrize("username", [*USERNAMES, "unit_e"])
def test_every_row_a_login_opens_shows_its_photo_and_full_id_number(app, client, inscope, username):
    login(client, username)
    role = viewer(username).role
    opened = photos = 0
    for view in _stage_views(app):
        if role not in view.read_roles:
            continue
        base = view.url.rstrip("/")
        for pk in sorted(expected_ids(view.endpoint, username)):
            reg = db.session.get(Registration, pk)
            number, masked, stored = reg.worker.id_number, reg.worker.masked_id_number, reg.photo_stored
            db.session.rollback()
            body = _page(client, f"{base}/details/?id={pk}")
            card = _candidate(body)
            assert f'id="candidate-worker-id_number">{number}<' in card, (username, view.endpoint, pk)
            assert masked not in body, (username, view.endpoint, pk)  # nowhere on the page masked
            photo = PHOTO.search(card)
            if stored:
                assert photo and photo.group(1) == f"{base}/file/?id={pk}&kind=photo", (view.endpoint, pk)
                image = client.get(photo.group(1))
                assert image.status_code == 200 and image.mimetype == "image/png", (view.endpoint, pk)
                assert image.data == PNG  # this row's own photo
                photos += 1
            else:
                assert photo is None and "未上传电子照片" in card, (view.endpoint, pk)
            opened += 1
    if role != "admin":
        assert opened, username  # not vacuous: every business login opens some registration
    if role in ("office", "center", "city_hr"):
        assert photos, username


def test_lists_keep_the_id_number_masked(client, inscope):
    """The 报名 list shows 500103********1234, the details page the whole number."""
    login(client, "office")
    reg = inscope.registrations["B"]
    number, masked = reg.worker.id_number, reg.worker.masked_id_number
    db.session.rollback()
    listing = _page(client, "/registrations/?search=B考生")
    assert masked in listing and number not in listing
    assert number in _page(client, f"/registrations/details/?id={reg.id}")


def test_the_candidate_card_and_the_table_below_do_not_repeat_each_other(client, inscope):
    login(client, "office")
    reg_id = inscope.registrations["B"].id
    body = _page(client, f"/recognitions/details/?id={reg_id}")
    card = _candidate(body)
    for label in ("姓名", "身份证号码", "单位", "工种", "等级", "报名状态"):
        assert f"<th>{label}</th>" in card, label
    table = re.search(r'<table[^>]* id="details">(.*?)</table>', body, re.S).group(1)
    labels = re.findall(r"<td><b>([^<]+)</b></td>", table)
    assert "考核批次" in labels and "准考证号" in labels and "证书编号" in labels
    assert not {"姓名", "身份证号码", "单位", "工种", "等级", "报名状态"} & set(labels)


def _registration_waiting_for_the_office(world) -> int:
    reg = world.registrations["A"]
    reg.status, reg.phone, reg_id = RegistrationState.PENDING, "13800138000", reg.id
    db.session.commit()
    return reg_id


def test_the_office_decides_from_the_bottom_of_the_details_page(client, world):
    """报名审核通过 and 退回报名 (with its reason box) at the bottom; the button's form moves the row."""
    reg_id = _registration_waiting_for_the_office(world)
    login(client, "office")
    body = _page(client, f"/registrations/details/?id={reg_id}")
    buttons = body[body.index('id="transitions"') :]
    assert body.index('id="details"') < body.index('id="transitions"')  # below the facts
    assert 'value="confirm_registration"' in buttons and 'value="return_registration"' in buttons
    assert "退回原因（必填）" in buttons
    form = re.search(r'<form method="post" action="([^"]+)"[^>]*id="confirm_registration-form"', buttons)
    response = client.post(form.group(1), data={"rowid": str(reg_id), "op": "confirm_registration"})
    assert response.status_code == 200 and "成功 1 条" in _text(response)
    assert db.session.get(Registration, reg_id).status == RegistrationState.FEE
    db.session.rollback()
    # Decided: the 市职鉴中心's 缴费确认 is open now, the office has nothing left on the row.
    assert 'id="transitions"' not in _page(client, f"/registrations/details/?id={reg_id}")
    login(client, "center")
    assert 'value="confirm_fee"' in _page(client, f"/registrations/details/?id={reg_id}")


def test_a_return_from_the_details_page_needs_its_reason(client, world):
    reg_id = _registration_waiting_for_the_office(world)
    login(client, "office")
    response = client.post(
        "/registrations/decide/", data={"rowid": str(reg_id), "op": "return_registration", "opinion": ""}
    )
    assert response.status_code == 200
    assert db.session.get(Registration, reg_id).status == RegistrationState.PENDING
    db.session.rollback()
    response = client.post(
        "/registrations/decide/",
        data={"rowid": str(reg_id), "op": "return_registration", "opinion": "照片不清晰"},
    )
    assert "成功 1 条" in _text(response)
    reg = db.session.get(Registration, reg_id)
    assert reg.status == RegistrationState.RETURNED and reg.return_reason == "照片不清晰"


@pytest.mark.parametrize("username", ["unit_a", "center", "yuzhong_hr"])
def test_who_may_not_decide_sees_no_decision_buttons(client, world, username):
    """The unit sees its registration waiting for the office, with its photo card but no 办理; nor do the
    center and the 区县 bureau (no transition of theirs starts at 待确认)."""
    reg_id = _registration_waiting_for_the_office(world)
    login(client, username)
    body = _page(client, f"/registrations/details/?id={reg_id}")
    assert 'id="candidate"' in body and 'id="transitions"' not in body
