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
from admin_app.services import sessions
from admin_app.workflow.states import (
    ExamCategory,
    JobState,
)
from models import (
    Application,
    Job,
    Notification,
    Organisation,
    PostSetting,
    Registration,
    ScoreRecheck,
    UserSession,
    Worker,
    enums,
)
from tests.affairs_rows import add_affairs_rows, add_finished_download
from tests.conftest import login, snapshot_database
from tests.integration.test_download_jobs import queue  # noqa: F401  (the fixture)
from tests.reminder_rows import add_reminder_rows
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
# Endpoint kinds. Row pages show one row (id / mid); row forms read and write one row; list pages work on
# the (scoped) list; Flask-Admin's own endpoints keep their names.
ROW_PAGES = {
    "details_view",
    "print_view",
    "material_download_view",
    "ticket_view",
    "certificate_pdf_view",  # 证书 PDF (issue 18)
    "file_view",
    "filing_view",
    "print_pdf_view",
    "ticket_pdf_view",  # 准考证 PDF
    "sign_in_sheet_view",  # 考场签到表 PDF of a room
    "door_sign_view",  # 门贴 PDF of a room
    "notice_xlsx_view",  # 合格名单公示 as Excel
    "download_view",  # 下载中心: a job's file, its owner's alone
}
ROW_FILES = {"print_photo_view"}  # a row's stored file: 404 also when the row has none
ROW_FORMS = {"register_view", "score_view", "vote_view", "recheck_view", "correct_view"}  # 申请查分, 更正成绩
LIST_PAGES = {
    "index_view",
    "bulk_view",
    "score_grid_view",
    "vote_grid_view",
    "create_view",
    "export",
    "ajax_lookup",
    "export_xlsx_view",
    "summary_view",
    "prints_pdf_view",
    "template_view",
    "import_view",
    "import_report_view",
    "tickets_pdf_view",  # 准考证 PDF of the filter
    "certificates_pdf_view",  # 证书 PDF of the filter (资格认定)
    "score_template_view",  # 成绩导入 (市职鉴中心)
    "score_import_view",
    "score_import_report_view",
    "progress_view",  # 下载中心: the progress of the user's own jobs (JSON)
}
ROW_WRITES = {
    "edit_view",
    "delete_view",
    "ajax_update",
    "material_upload_view",
    "veteran_view",
    "objection_view",
}
LIST_WRITES = {"action_view", "decide_view", "read_all_view", "bulk_material_upload_view"}
LIST_FORMS = {"create_view", "score_grid_view", "vote_grid_view"}  # list pages that write as well
ROW_FORMS |= {"move_view"}  # 调整座位 (考场编排)
KNOWN_KINDS = ROW_PAGES | ROW_FILES | ROW_FORMS | LIST_PAGES | ROW_WRITES | LIST_WRITES


@pytest.fixture(autouse=True)
def _unit_b_is_logged_in(world):
    """Unit B is logged in somewhere: its session is the row tried in 在线用户."""
    sessions.start(world.users["unit_b"], "10.0.0.2", "matrix")


@pytest.fixture(autouse=True)
def _unit_b_has_a_download(world):
    """A finished 下载中心 export of unit B's user, its file stored: the row tried in 下载中心."""
    add_finished_download(world.users["unit_b"])


@pytest.fixture(autouse=True)
def _reminder_rows(world):
    """The seeded reminder templates and an e-mail of unit B's user in the outbox: the rows tried in 提醒模板
    and 邮件短信发送记录 (admin only)."""
    add_reminder_rows(world)


@pytest.fixture(autouse=True)
def _unit_b_in_the_affairs_lists(world):
    """查分, 考场编排, 公示异议 and 违纪通报 rows of unit B: the rows tried in those lists."""
    add_affairs_rows(world)


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
    if view.endpoint == "misconduct":
        return db.session.query(Registration).filter_by(misconduct_reason="替考").one()
    if view.model is Registration:
        return world.registrations["B"]
    if view.model is UserSession:
        return db.session.query(UserSession).filter_by(user_id=world.users["unit_b"].id).one()
    if view.model is ScoreRecheck:
        return db.session.query(ScoreRecheck).filter_by(unit_id=world.units["B"].id).one()
    if view.model is Notification:
        return db.session.query(Notification).filter_by(organisation_id=world.units["B"].id).one()
    if view.model is Job:
        return db.session.query(Job).filter_by(owner_id=world.users["unit_b"].id).one()
    return db.session.query(view.model).first()


def visible_to(role, view) -> bool:
    """Whether the role may read unit B's row through this view (SPEC §1)."""
    if role not in view.read_roles:
        return False
    if view.model is Application:
        # B's application waits at the 沙坪坝 bureau's step: no tested role has it in its queue.
        return not view.queue_only and role in enums.CITY_WIDE_ROLES
    if view.model in (Registration, ScoreRecheck):
        return role in enums.CITY_WIDE_ROLES
    if view.model is Job:
        return False  # a 下载中心 job is its owner's alone (unit B's user, not a role logged in here)
    if view.model is Notification:
        return (
            False  # 站内消息 are their organisation's alone, whatever the role (unit B is not logged in here)
        )
    if view.endpoint == "unitreview":
        # 单位信息审核 of B (区县属, 沙坪坝区) belongs to the 沙坪坝 bureau alone, not a role logged in here.
        return False
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


def _xlsx_rows(data: bytes) -> list[tuple]:
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    return list(sheet.iter_rows(min_row=2, values_only=True))


def _check_refused(response, role, what):
    if role is None:
        assert response.status_code == 302 and "/login" in response.headers["Location"], what
    else:
        assert response.status_code in (403, 404), f"{what}: {response.status_code}"


def _expected_refusal(view, kind, role, visible):
    """None when the role may use this endpoint on unit B's row; else the set of acceptable refusals."""
    if role not in view.read_roles:
        return "refused"
    if kind in view.endpoint_roles and role not in view.endpoint_roles[kind]:
        return {403}
    if kind in ("create_view", "edit_view", "delete_view", "ajax_update") and not (
        role in view.write_roles
        and getattr(view, "allow_" + kind.split("_")[0].replace("ajax", "edit"), True)
    ):
        return {403}
    if kind == "export":
        return {403}  # replaced by the streaming export (issue 5)
    if kind in ("bulk_view", "decide_view") and not view.allowed_operations_for(role):
        return {403}
    if kind in ROW_PAGES | ROW_FILES | ROW_FORMS | ROW_WRITES and not visible:
        return {404}
    return None


@pytest.mark.usefixtures("queue")
@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
def test_permission_matrix(app, client, world, role):
    if role is not None:
        assert login(client, world.users[role].username).status_code == 302
    before = snapshot_database()
    checked = 0
    for view in all_model_views(app):
        target = target_for(view, world)
        base = view.url.rstrip("/")
        visible = visible_to(role, view)
        tid = target.id
        for kind, (rule, methods) in view_endpoints(app, view).items():
            what = f"{role} {view.endpoint}.{kind}"
            url = base + rule.rule[len(base) :] if rule.rule.startswith(base) else rule.rule
            expected = _expected_refusal(view, kind, role, visible)
            ops = view.allowed_operations_for(role) if hasattr(view, "allowed_operations_for") else []
            op = ops[0].name if ops else "approve"
            args = {
                "id": tid,
                "name": "supervisor",
                "query": "乙",
                "op": op,
                "kind": "photo",
                "page_size": 100,
            }
            if kind == "material_download_view":
                args["mid"] = world.applications["B"].materials[0].id
            for method in sorted(methods & {"GET", "POST"}):
                writes = kind in ROW_WRITES | LIST_WRITES | ROW_FORMS | LIST_FORMS
                if method == "POST" and writes and expected is None and visible and role is not None:
                    continue  # a legitimate write on a row the role may change: covered by functional tests
                if kind == "export_xlsx_view":  # count first: the export itself adds an audit row
                    listing = client.get(url.replace("/export.xlsx", "/")).get_data(as_text=True)
                if method == "GET":
                    response = client.get(url, query_string=args)
                else:
                    data = {
                        "id": tid,
                        "list_form_pk": tid,
                        "name": "HACKED",
                        "action": "delete",
                        "rowid": tid,
                        "op": op,
                        "opinion": "越权",
                        "vote_expected": "9",
                        "vote_present": "9",
                        "vote_yes": "9",
                        "vote_no": "0",
                        "vote_abstain": "0",
                        "veteran_override": "越权",
                        "theory": "99",
                        "practice": "99",
                        "phone": "13800000000",
                        "exam_category": ExamCategory.BOTH,
                        "file": (io.BytesIO(b"%PDF-1.4 x"), "x.pdf"),
                    }
                    response = client.post(url, query_string=args, data=data)
                checked += 1
                if role is None or expected == "refused":
                    _check_refused(response, role, what)
                elif expected is not None:
                    assert response.status_code in expected, f"{what} {method}: {response.status_code}"
                elif method == "GET" and kind in ROW_PAGES:
                    assert response.status_code in (200, 302), f"{what}: {response.status_code}"
                elif kind == "export_xlsx_view" and not view.exportable:
                    assert response.status_code == 404, what  # 下载中心: nothing to export
                elif kind == "export_xlsx_view":  # a POST (it may queue a job): the form's query string
                    # The export holds exactly the rows the list counts (same scope), B's only if visible.
                    assert response.status_code == 200, what
                    shown = re.search(r"列表 \((\d+)\)", listing)
                    rows = _xlsx_rows(response.data)
                    if shown:
                        # 审计日志's own export is recorded before its rows are read: it holds that row too
                        own = 1 if view.endpoint == "auditlog" else 0
                        assert len(rows) == int(shown.group(1)) + own, what
                elif method == "GET" and kind == "index_view" and view.endpoint != "unitprofile":
                    assert response.status_code == 200, what
                    linked = re.search(
                        rf'{re.escape(base)}/(details|edit)/\?id={tid}[&"]', response.get_data(as_text=True)
                    )
                    assert bool(linked) == visible, (
                        f"{what}: row of unit B {'missing' if visible else 'listed'}"
                    )
                elif method == "POST" and kind == "decide_view":
                    # Allowed to decide, but B's row is not at this role's step or not in its scope.
                    body = response.get_data(as_text=True)
                    assert (
                        response.status_code == 200 and '成功 <strong class="text-success">0</strong>' in body
                    ), what
                else:
                    assert response.status_code in (200, 302, 403, 404), (
                        f"{what} {method}: {response.status_code}"
                    )
    assert checked > 100
    after = snapshot_database()
    for table in before:
        if table in ("worker", "post_setting", "application") and role == enums.UNIT:
            # unit A may create its own rows through create_view; unit B's rows must be untouched.
            assert set(before[table]) <= set(after[table]), table
        elif table == "notification" and role == enums.UNIT:
            # unit A may mark its own messages read (全部标为已读); B's stay as they were.
            other = [row for row in before[table] if row[1] != world.units["A"].id]
            assert other == [row for row in after[table] if row[1] != world.units["A"].id], table
            assert len(before[table]) == len(after[table]), table
        elif table == "job" and role is not None:
            # A button that queues a 下载中心 job (附表3, a batch PDF) adds the role's own 排队中 job; no other changes.
            assert set(before[table]) <= set(after[table]), table
            columns = [c.name for c in Job.__table__.columns]
            added = [dict(zip(columns, row, strict=True)) for row in set(after[table]) - set(before[table])]
            me = world.users[role].id
            assert all(j["owner_id"] == me and j["state"] == JobState.QUEUED for j in added), (role, added)
        else:
            assert before[table] == after[table], f"{role}: {table} changed"


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
def test_every_bulk_action_of_every_view(app, client, world, role):
    """Each declared bulk operation and Flask-Admin action, on unit B's row: refused unless the role may take
    it and sees the row (then the row is not at the role's step, or the test skips a legitimate change)."""
    if role is not None:
        assert login(client, world.users[role].username).status_code == 302
    before = snapshot_database()
    tried = 0
    for view in all_model_views(app):
        target = target_for(view, world)
        base = view.url.rstrip("/")
        visible = visible_to(role, view)
        names = {op.name for op in getattr(view, "bulk_operations", ())}
        for name in sorted(names | {n for n, _label in view._actions}):
            allowed = role in view.read_roles and view.is_action_allowed_for(name, role)
            if allowed and visible:
                continue  # a legitimate change; covered by the workflow tests
            data = {"op": name, "action": name, "rowid": target.id, "opinion": "越权", "receipt_number": "R"}
            data.update({k: "9" for k in ("vote_expected", "vote_present", "vote_yes")})
            data.update({"vote_no": "0", "vote_abstain": "0"})
            for endpoint in ("decide", "action"):
                if endpoint == "decide" and name not in names:
                    continue
                response = client.post(f"{base}/{endpoint}/", data=data)
                tried += 1
                what = f"{role} {view.endpoint}.{endpoint}:{name}"
                if role is None:
                    _check_refused(response, role, what)
                elif not allowed:
                    assert response.status_code == 403, f"{what}: {response.status_code}"
                else:
                    body = response.get_data(as_text=True)
                    assert response.status_code in (200, 302), what
                    if response.status_code == 200 and "成功" in body:
                        assert '成功 <strong class="text-success">0</strong>' in body, what
    assert tried > 10
    assert snapshot_database() == before


def test_unit_lists_count_only_its_own_rows(app, client, world):
    login(client, "unit_a")
    body = client.get("/workers/").get_data(as_text=True)
    assert "A工人" in body and "B工人" not in body and "P工人" not in body
    assert "列表 (2)" in body  # the count is scoped as well (A工人 and A考生)


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
