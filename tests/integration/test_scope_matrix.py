"""The walls, generated from the app's URL map: every SecureModelView endpoint, every role and anonymous.

For each view and role the test tries the rows of unit B (沙坪坝区, 区县属) — outside the scope of unit A,
of the 渝中区 bureau and of 市委组织部 — on every endpoint the view exposes, and checks the answer and
that the database did not change. A new view or endpoint is picked up from the URL map; an endpoint of
a kind the test does not know makes it fail, so nothing is left unchecked silently.
"""

import io
import re

import pytest
from flask_admin.contrib.sqla import ModelView

from admin_app.extensions import db
from models import Application, Organisation, PostSetting, Worker, enums
from tests.conftest import login, snapshot_database
from views.base import SecureModelView

ROLES = [
    enums.UNIT,
    enums.DISTRICT_HR,
    enums.PARTY_ORG,
    enums.CITY_HR,
    enums.OFFICE,
    enums.CENTER,
    enums.ADMIN,
    None,
]
GET_KINDS = {
    "index_view",
    "details_view",
    "edit_view",
    "create_view",
    "export",
    "ajax_lookup",
    "print_view",
    "material_download_view",
    "bulk_view",
}
POST_KINDS = {
    "edit_view",
    "create_view",
    "delete_view",
    "action_view",
    "ajax_update",
    "decide_view",
    "material_upload_view",
    "veteran_view",
}
# GET pages that show one row: 200 when visible, 404 otherwise.
ROW_PAGES = {"details_view", "print_view", "material_download_view"}
KNOWN_KINDS = GET_KINDS | POST_KINDS


def all_model_views(app):
    admin = app.extensions["admin"][0]
    return [v for v in admin._views if isinstance(v, ModelView)]


def target_for(view, world):
    """The row of unit B that this view's model holds (or any row for unscoped admin dictionaries)."""
    if view.model is Worker:
        return world.workers["B"]
    if view.model is PostSetting:
        return world.posts["B"]
    if view.model is Organisation:
        return world.units["B"]
    if view.model is Application:
        return world.applications["B"]
    return db.session.query(view.model).first()


def visible_to(role, view) -> bool:
    """Whether the role may read unit B's row through this view (SPEC §1)."""
    if role not in view.read_roles:
        return False
    if view.model is Application:
        # B's application waits at the 沙坪坝 bureau's step: no tested role has it in its queue.
        return not view.queue_only and role in enums.CITY_WIDE_ROLES
    if view.scope_column is None:
        return True
    return role in enums.CITY_WIDE_ROLES


def view_endpoints(app, view):
    prefix = view.endpoint + "."
    found = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(prefix) and not rule.endpoint.endswith(".static"):
            kind = rule.endpoint[len(prefix) :]
            found[kind] = (rule, rule.methods - {"HEAD", "OPTIONS"})
    return found


def test_every_model_view_uses_the_scoped_base(app):
    for view in all_model_views(app):
        assert isinstance(view, SecureModelView), f"{view.endpoint} bypasses the row scope"
        assert view.read_roles, f"{view.endpoint} declares no roles"
        assert view.write_roles <= view.read_roles, view.endpoint


def test_every_endpoint_is_of_a_known_kind(app):
    for view in all_model_views(app):
        unknown = set(view_endpoints(app, view)) - KNOWN_KINDS
        assert not unknown, f"{view.endpoint}: add {unknown} to the permission matrix"


def _check_refused(response, role, what):
    if role is None:
        assert response.status_code == 302 and "/login" in response.headers["Location"], what
    else:
        assert response.status_code in (403, 404), f"{what}: {response.status_code}"


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
def test_permission_matrix(app, client, world, role):
    if role is not None:
        assert login(client, world.users[role].username).status_code == 302
    before = snapshot_database()
    checked = 0
    for view in all_model_views(app):
        target = target_for(view, world)
        endpoints = view_endpoints(app, view)
        base = view.url.rstrip("/")
        allowed = role in view.read_roles
        visible = visible_to(role, view)
        writable = allowed and role in view.write_roles
        tid = target.id
        for kind, (rule, methods) in endpoints.items():
            what = f"{role} {view.endpoint}.{kind}"
            url = base + rule.rule[len(base) :] if rule.rule.startswith(base) else rule.rule
            if "GET" in methods and kind in GET_KINDS:
                args = {"id": tid, "name": "supervisor", "query": "乙", "op": "approve"}
                if kind == "material_download_view":
                    args["mid"] = world.applications["B"].materials[0].id
                response = client.get(url, query_string=args)
                checked += 1
                if not allowed:
                    _check_refused(response, role, what)
                elif kind in ROW_PAGES:
                    assert response.status_code == (200 if visible else 404), what
                elif kind == "bulk_view":
                    assert response.status_code == (200 if role in enums.REVIEW_ROLES else 403), what
                elif kind == "edit_view":
                    ok = visible and writable and view.allow_edit
                    assert response.status_code in ((200,) if ok else (403, 404)), what
                elif kind == "create_view":
                    assert response.status_code == (200 if writable and view.allow_create else 403), what
                elif kind == "export":
                    assert response.status_code == 403, what  # replaced by the streaming export (issue 5)
                elif kind == "index_view" and view.endpoint != "unitprofile":
                    assert response.status_code == 200, what
                    linked = re.search(
                        rf'{re.escape(base)}/(details|edit)/\?id={tid}[&"]', response.get_data(as_text=True)
                    )
                    assert bool(linked) == visible, (
                        f"{what}: row of unit B {'missing' if visible else 'listed'}"
                    )
            if "POST" in methods and kind in POST_KINDS:
                if writable and visible and view.scope_column is None:
                    continue  # the admin editing dictionaries is allowed; covered by test_admin_accounts
                data = {
                    "id": tid,
                    "list_form_pk": tid,
                    "name": "HACKED",
                    "action": "delete",
                    "rowid": tid,
                    "op": "approve",
                    "opinion": "越权",
                    "veteran_override": "越权",
                    "file": (io.BytesIO(b"%PDF-1.4 x"), "x.pdf"),
                }
                response = client.post(url, query_string={"id": tid}, data=data)
                checked += 1
                if role is None:
                    _check_refused(response, role, what)
                elif kind == "decide_view" and role in enums.REVIEW_ROLES:
                    body = response.get_data(as_text=True)
                    assert response.status_code == 200, what
                    assert '成功 <strong class="text-success">0</strong>' in body, what
                elif kind in ("material_upload_view", "veteran_view") and visible:
                    # Visible but not at this role's step: refused with a message; the snapshot proves no change.
                    assert response.status_code in (200, 302, 403), what
                elif kind == "action_view" and writable:
                    # The delete action is allowed to this role, but only within scope: B's row stays.
                    assert response.status_code in (302, 403, 404), what
                elif kind == "create_view" and writable and view.allow_create:
                    assert response.status_code in (200, 302), what  # a new own row, never B's
                else:
                    assert response.status_code in (403, 404), f"{what}: {response.status_code}"
    assert checked > 20
    after = snapshot_database()
    for table in before:
        if table in ("worker", "post_setting", "application") and role == enums.UNIT:
            # unit A may create its own rows through create_view; unit B's rows must be untouched.
            assert set(before[table]) <= set(after[table]), table
        else:
            assert before[table] == after[table], f"{role}: {table} changed"


def test_unit_lists_count_only_its_own_rows(app, client, world):
    login(client, "unit_a")
    body = client.get("/workers/").get_data(as_text=True)
    assert "A工人" in body and "B工人" not in body and "P工人" not in body
    assert "列表 (1)" in body  # the count is scoped as well


def test_district_sees_its_jurisdiction_only(app, client, world):
    login(client, "yuzhong_hr")
    body = client.get("/workers/").get_data(as_text=True)
    assert "A工人" in body and "P工人" in body and "B工人" not in body
    assert "丁单位" not in client.get("/units/").get_data(as_text=True)


def test_merged_jurisdiction_is_seen_by_its_successor(app, client, world):
    # 丁单位 is still registered under 渝北区, merged into 两江新区 in 2025-11.
    login(client, "liangjiang_hr")
    body = client.get("/workers/").get_data(as_text=True)
    assert "Y工人" in body and "A工人" not in body


def test_party_org_sees_party_units_only(app, client, world):
    login(client, "party_org")
    body = client.get("/workers/").get_data(as_text=True)
    assert "P工人" in body and "A工人" not in body and "B工人" not in body


def test_city_wide_roles_see_every_unit_but_cannot_edit(app, client, world):
    login(client, "office")
    body = client.get("/workers/").get_data(as_text=True)
    for key in "ABPY":
        assert f"{key}工人" in body
    assert client.get(f"/workers/edit/?id={world.workers['A'].id}").status_code == 403


def test_unit_delete_action_only_touches_own_rows(app, client, world):
    from tests.factories import add_worker

    spare = add_worker(world.units["A"], "甲无申请", 60, world.trade, world.batch)
    db.session.commit()
    login(client, "unit_a")
    own, applied, other = spare.id, world.workers["A"].id, world.workers["B"].id
    response = client.post(
        "/workers/action/", data={"action": "delete", "rowid": [own, applied, other]}, follow_redirects=True
    )
    assert "该人员已有考试资格申请记录，不能删除" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Worker, own) is None
    assert db.session.get(Worker, applied) is not None  # history refers to it
    assert db.session.get(Worker, other) is not None  # out of scope


def test_non_numeric_ids_are_rejected_not_crashing(app, client, world):
    login(client, "unit_a")
    assert client.get("/workers/details/?id=abc").status_code == 404
    assert (
        client.post("/workers/action/", data={"action": "delete", "rowid": ["1 OR 1=1"]}).status_code == 400
    )
    assert (
        client.post("/workers/action/", data={"action": "no_such_action", "rowid": ["1"]}).status_code == 403
    )
