"""Every list view's column headers and filter names are Chinese (generated over all model views)."""

import json
import re

from flask_admin.contrib.sqla import ModelView

from models import enums
from tests.affairs_rows import add_affairs_rows
from tests.conftest import login
from tests.reminder_rows import add_reminder_rows

CJK = re.compile(r"[\u4e00-\u9fff]")
USER_FOR_ROLE = {
    enums.UNIT: "unit_a",
    enums.DISTRICT_HR: "yuzhong_hr",
    enums.ADMIN: "admin",
    enums.OFFICE: "office",
    enums.CENTER: "center",
}


def test_list_headers_and_filters_are_chinese(app, client, world):
    checked = 0
    for view in app.extensions["admin"][0]._views:
        if not isinstance(view, ModelView) or view.endpoint == "unitprofile":
            continue
        role = next(
            r for r in (enums.UNIT, enums.DISTRICT_HR, enums.ADMIN, enums.CENTER) if r in view.read_roles
        )
        login(client, USER_FOR_ROLE[role])
        html = client.get(view.url + "/").get_data(as_text=True)
        filter_names = [json.loads(f'"{n}"') for n in re.findall(r'"((?:[^"\\]|\\.)+)": \[\{"arg"', html)]
        headers = re.findall(r'<th class="column-header[^"]*">\s*(?:<a[^>]*>)?\s*([^<]+?)\s*<', html)
        assert headers, view.endpoint
        for text in filter_names + headers:
            assert CJK.search(text), f"{view.endpoint}: untranslated label {text!r}"
        checked += 1
    assert checked >= 9


def test_compiled_catalog_matches_its_source():
    from pathlib import Path

    from babel.messages.mofile import read_mo
    from babel.messages.pofile import read_po

    folder = Path(__file__).parents[2] / "admin_app/translations/zh_Hans_CN/LC_MESSAGES"
    with open(folder / "admin.po", "rb") as po_file, open(folder / "admin.mo", "rb") as mo_file:
        po = {m.id: m.string for m in read_po(po_file) if m.id}
        mo = {m.id: m.string for m in read_mo(mo_file) if m.id}
    assert po == mo, "run `make translations`"


def test_failed_save_message_is_chinese(client, world):
    login(client, "unit_a")
    body = client.post("/workers/new/", data={"name": ""}).get_data(as_text=True)
    assert "保存失败，请根据提示修改后重新提交。" in body and "Failed to create record" not in body


def test_every_details_page_has_chinese_labels_only(app, client, world):
    add_affairs_rows(world)  # the 考务 and results lists have a row to open
    add_reminder_rows(world)  # 提醒模板, 邮件短信发送记录
    checked = 0
    for view in app.extensions["admin"][0]._views:
        if not isinstance(view, ModelView) or not view.can_view_details or view.endpoint == "unitprofile":
            continue
        if getattr(view, "queue_only", False):
            continue  # same class and details as the applications view, checked there
        found = None
        for role in (r for r in USER_FOR_ROLE if r in view.read_roles):
            login(client, USER_FOR_ROLE[role])
            listing = client.get(view.url + "/").get_data(as_text=True)
            found = re.search(rf"{re.escape(view.url)}/details/\?id=(\d+)", listing)
            if found:
                break
        assert found, f"{view.endpoint}: no row to open"
        body = client.get(f"{view.url}/details/?id={found.group(1)}").get_data(as_text=True)
        labels = re.findall(r"<td>\s*<b>([^<]+)</b>\s*</td>", body)
        assert labels, view.endpoint
        for label in labels:
            assert CJK.search(label), f"{view.endpoint}: untranslated detail label {label!r}"
        assert ">None<" not in re.sub(r"\s+", "", body), f"{view.endpoint}: a value shows as None"
        checked += 1
    assert checked >= 9
