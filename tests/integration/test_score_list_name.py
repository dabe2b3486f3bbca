"""The score list is 成绩录入 for the 市职鉴中心, which enters scores, and 成绩查询 for every role that only reads
them (units, 区县 bureaus, 市委组织部, 市人力社保局, 市工考办): in the menu, the page title, the list and details
headings, the 首页's menu, the export's file and sheet name and the unit's 站内消息."""

import io
import re
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook

from admin_app import workflow
from admin_app.extensions import db
from models import Notification
from tests.conftest import login
from tests.integration.test_score_publication import _scored

ENTERS = "成绩录入"
READS = "成绩查询"
# username → the name its score list must carry
NAMES = {
    "unit_a": READS,
    "yuzhong_hr": READS,
    "party_org": READS,
    "city_hr": READS,
    "office": READS,
    "center": ENTERS,
}


def _menu_names(body: str) -> list[str]:
    """The names of the menu's links to the list (the menu is the page's navigation bar)."""
    body = body.split("</nav>")[0]
    return [
        re.sub(r"<[^>]+>|\s+", "", m)
        for m in re.findall(r'<a[^>]*href="/scores/"[^>]*>(.*?)</a>', body, re.S)
    ]


def _file_name(response) -> str:
    return unquote(response.headers["Content-Disposition"].split("filename*=UTF-8''")[1])


@pytest.mark.parametrize("username", sorted(NAMES))
def test_score_list_is_named_for_what_the_role_does_with_scores(client, world, username):
    wanted = NAMES[username]
    other = ENTERS if wanted == READS else READS
    reg = _scored(world, "A", "甲名称", 371)
    login(client, username)
    for path in ("/scores/?all_batches=1", "/", f"/scores/details/?id={reg.id}"):
        response = client.get(path)
        if path.startswith("/scores/details") and username == "party_org":
            continue  # a 区县属 unit's candidate is not in 市委组织部's scope
        assert response.status_code == 200, (username, path)
        body = response.get_data(as_text=True)
        assert _menu_names(body) == [wanted], (username, path)
        if path != "/":
            title = re.search(r"<title>(.*?)</title>", body, re.S).group(1)
            assert wanted in title and other not in title, (username, title)
            heading = re.search(r'<h4 class="mb-4">(.*?)</h4>', body, re.S).group(1)
            assert wanted in heading and other not in heading, (username, heading)

    response = client.post("/scores/export.xlsx?all_batches=1")
    assert response.status_code == 200, username
    assert _file_name(response).startswith(f"{wanted}_"), _file_name(response)
    assert load_workbook(io.BytesIO(response.data), read_only=True).sheetnames == [wanted]


def test_the_unit_is_sent_to_the_list_it_sees(world):
    """The message of a publication names the unit's list: 成绩查询, never the centre's 成绩录入."""
    _scored(world, "A", "甲消息", 372)
    workflow.publish_batch(world.users["center"], world.batch.id)
    messages = db.session.query(Notification).filter_by(organisation_id=world.units["A"].id).all()
    bodies = [m.body for m in messages if "甲消息" in m.body]
    assert len(bodies) == 1 and all("“成绩查询”" in b and ENTERS not in b for b in bodies), bodies
