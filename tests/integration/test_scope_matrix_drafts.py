"""Staff never see drafts: a 待提交 application — never submitted, or withdrawn (撤回) by its unit — is the
unit's own business. Generated from the URL map: for every staff login, every GET endpoint of the views over
applications, tried with each draft's id and its material's id, neither opens the draft nor shows it (pages,
Excel exports, 附表3, material downloads, 登记表); a decision posted on a draft changes nothing; 首页 and 统计分析
count none. Its unit still sees, opens and exports it. (Lists, counts and details of every login against the
rows are in ``test_scope_matrix_inscope.py``, where ``scope_world.sees_application`` says the same.)
"""

import io
import re
import zipfile

import pytest
from flask_admin.contrib.sqla import ModelView
from openpyxl import load_workbook

from admin_app.extensions import db
from admin_app.services import statistics
from admin_app.workflow.states import ApplicationState
from models import Application, User
from tests.conftest import login
from tests.scope_world import USERNAMES, build_inscope_world, business_snapshot, viewer

STAFF = [u for u in USERNAMES if u not in ("unit_a", "unit_b", "admin")]
OVER_APPLICATIONS = ("applications", "review_queue")


@pytest.fixture
def inscope(world):
    return build_inscope_world(world)


def drafts() -> dict:
    """id -> (worker's name, ids of its materials) of every 待提交 application of the world."""
    found = {
        app.id: (app.worker.name, [m.id for m in app.materials])
        for app in db.session.query(Application).filter_by(status=ApplicationState.DRAFT)
    }
    db.session.rollback()
    return found


def readable(response) -> str:
    """What a response shows: a page's text, or every cell of a workbook."""
    if response.data[:2] == b"PK" and zipfile.is_zipfile(io.BytesIO(response.data)):
        book = load_workbook(io.BytesIO(response.data), read_only=True)
        return " ".join(
            str(v) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for v in row if v
        )
    return response.get_data(as_text=True) if response.mimetype.startswith("text/") else ""


def application_views(app):
    return [
        v
        for v in app.extensions["admin"][0]._views
        if isinstance(v, ModelView) and v.endpoint in OVER_APPLICATIONS
    ]


def get_rules(app, view):
    prefix = view.endpoint + "."
    return [
        r
        for r in app.url_map.iter_rules()
        if r.endpoint.startswith(prefix) and "GET" in r.methods and "<" not in r.rule
    ]


def test_the_world_has_drafts_in_every_staff_scope(inscope):
    """Not vacuous: a never-submitted draft and a withdrawn one (with its history and the bureau's material) in
    渝中区, drafts of 市属 and merged-区县 units, each inside the scope some staff login has for its rows."""
    found = drafts()
    names = {name for name, _ in found.values()}
    assert {"戊草稿", "戊撤回", "A工人", "P工人", "Y工人"} <= names
    withdrawn = db.session.query(Application).join(Application.worker).filter_by(name="戊撤回").one()
    assert [r.action for r in withdrawn.reviews] == ["submit", "withdraw"] and withdrawn.materials
    db.session.rollback()


@pytest.mark.parametrize("username", STAFF)
def test_no_staff_login_reaches_a_draft_on_any_get_path(app, client, inscope, username):
    login(client, username)
    role = viewer(username).role
    found = drafts()
    names = {name for name, _ in found.values()}
    tried = 0
    for view in application_views(app):
        if role not in view.read_roles:
            continue
        for rule in get_rules(app, view):
            for draft_id, (_name, materials) in found.items():
                for args in [{"id": draft_id, "page_size": 100}] + [{"mid": m} for m in materials]:
                    response = client.get(rule.rule, query_string=args)
                    what = f"{username} {rule.endpoint} {args}: {response.status_code}"
                    assert response.status_code in (200, 302, 403, 404), what
                    shown = readable(response) if response.status_code == 200 else ""
                    assert not [n for n in names if n in shown], f"{what} shows a draft"
                    tried += 1
        # Searching by a draft's person finds nothing either.
        for name in names:
            page = client.get(view.url, query_string={"search": name}).get_data(as_text=True)
            assert re.search(r"列表 \(0\)", page) or name not in page, (username, view.endpoint, name)
    assert tried, username


@pytest.mark.parametrize("username", ["yuzhong_hr", "party_org", "liangjiang_hr", "office", "city_hr"])
def test_a_decision_posted_on_a_draft_changes_nothing(app, client, inscope, username):
    """Every operation the login has on the applications' lists, posted on every draft's id: refused as not
    found (as any row outside the scope), nothing of the business data changed."""
    login(client, username)
    role = viewer(username).role
    before = business_snapshot()
    posted = 0
    for view in application_views(app):
        for op in view.allowed_operations_for(role):
            for draft_id in drafts():
                form = {"op": op.name, "rowid": str(draft_id), "opinion": "越权", "parts": "basic"}
                response = client.post(f"{view.url.rstrip('/')}/decide/", data=form)
                body = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))
                assert response.status_code == 200, (username, op.name, draft_id)
                assert "成功 0 条" in body and "不在您的审核范围内" in body, (username, op.name, draft_id)
                posted += 1
    assert posted, username
    assert business_snapshot() == before


def test_statistics_count_no_draft_and_have_no_draft_column(inscope):
    office = db.session.query(User).filter_by(username="office").one()
    tables = {t.key: t for t in statistics.all_tables(db.session, office, inscope.batch.id)}
    assert "待提交" not in tables["by_jurisdiction"].headers
    assert "待提交" not in {row[0] for row in tables["by_status"].rows}
    submitted = (
        db.session.query(Application)
        .filter(Application.batch_id == inscope.batch.id, Application.status != ApplicationState.DRAFT)
        .count()
    )
    assert tables["by_status"].rows[-1][:2] == ["合计", submitted]
    db.session.rollback()


def test_the_unit_sees_opens_and_exports_its_own_drafts(client, inscope):
    login(client, "unit_e")
    listing = client.get("/applications/?page_size=100").get_data(as_text=True)
    assert "戊草稿" in listing and "戊撤回" in listing
    withdrawn = db.session.query(Application).join(Application.worker).filter_by(name="戊撤回").one()
    app_id, material_id = withdrawn.id, withdrawn.materials[0].id
    db.session.rollback()
    details = client.get(f"/applications/details/?id={app_id}")
    assert details.status_code == 200 and "撤回" in details.get_data(as_text=True)
    assert client.get(f"/applications/materials/download/?mid={material_id}").status_code == 200
    exported = readable(client.post("/applications/export.xlsx"))
    assert "戊草稿" in exported and "戊撤回" in exported


def test_a_withdrawal_takes_the_application_out_of_the_bureaus_sight(client, inscope):
    """戊待审 waits at the 渝中 bureau: the bureau lists and opens it; the unit withdraws it (撤回); the bureau's
    list, count, 待我审核, details page and material download no longer have it; the unit's list does."""
    app = db.session.query(Application).join(Application.worker).filter_by(name="戊待审").one()
    app_id, material_id = app.id, app.materials[0].id
    assert app.status == ApplicationState.PENDING_DISTRICT_HR
    db.session.rollback()
    urls = {
        "details": f"/applications/details/?id={app_id}",
        "queue": f"/review_queue/details/?id={app_id}",
        "material": f"/applications/materials/download/?mid={material_id}",
        "print": f"/applications/print/?id={app_id}",
    }

    def bureau_sees() -> dict:
        login(client, "yuzhong_hr")
        seen = {name: client.get(url).status_code == 200 for name, url in urls.items()}
        listing = client.get("/applications/?page_size=100").get_data(as_text=True)
        seen["list"] = "戊待审" in listing
        seen["home"] = re.search(
            r'data-todo="待我审核">.*?gk-todo-count">(\d+)<', client.get("/").get_data(as_text=True), re.S
        ).group(1)
        return seen

    before = bureau_sees()
    assert all(before[k] for k in ("details", "queue", "material", "print", "list")) and before["home"] == "2"

    login(client, "unit_e")
    response = client.post("/applications/decide/", data={"op": "withdraw", "rowid": str(app_id)})
    assert "成功 1 条" in re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))
    assert db.session.get(Application, app_id).status == ApplicationState.DRAFT
    db.session.rollback()
    assert "戊待审" in client.get("/applications/?page_size=100").get_data(as_text=True)

    after = bureau_sees()
    assert not any(after[k] for k in ("details", "queue", "material", "print", "list")), after
    assert after["home"] == "1"  # only the moved unit's 己待审 is left
    login(client, "office")
    assert client.get(urls["details"]).status_code == 404
