"""Every list view's column headers and filter names are Chinese (generated over all model views)."""

import json
import re

from flask_admin.contrib.sqla import ModelView

from models import enums
from tests.conftest import login

CJK = re.compile(r"[\u4e00-\u9fff]")
USER_FOR_ROLE = {enums.UNIT: "unit_a", enums.DISTRICT_HR: "yuzhong_hr", enums.ADMIN: "admin"}


def test_list_headers_and_filters_are_chinese(app, client, world):
    checked = 0
    for view in app.extensions["admin"][0]._views:
        if not isinstance(view, ModelView) or view.endpoint == "unitprofile":
            continue
        role = next(r for r in (enums.UNIT, enums.DISTRICT_HR, enums.ADMIN) if r in view.read_roles)
        login(client, USER_FOR_ROLE[role])
        html = client.get(view.url + "/").get_data(as_text=True)
        filter_names = [json.loads(f'"{n}"') for n in re.findall(r'"((?:[^"\\]|\\.)+)": \[\{"arg"', html)]
        headers = re.findall(r'<th class="column-header[^"]*">\s*(?:<a[^>]*>)?\s*([^<]+?)\s*<', html)
        assert headers, view.endpoint
        for text in filter_names + headers:
            assert CJK.search(text), f"{view.endpoint}: untranslated label {text!r}"
        checked += 1
    assert checked >= 9
