"""What a user may do comes from the transition table: on one row (``available_transitions``, the details page's
buttons) and on a list (the 选中的 menu and the 全部符合筛选条件 buttons). The expected tables below are written
from the SPEC and the manual (who decides what, in which state), not read from the code.
"""

import json
import re

import pytest
import sqlalchemy as sa
from flask_admin.contrib.sqla import ModelView

from admin_app import workflow
from admin_app.extensions import db
from admin_app.services import records, result_notices
from admin_app.workflow.states import ApplicationState as A
from admin_app.workflow.states import ArrangementState as AR
from admin_app.workflow.states import BatchState as B
from admin_app.workflow.states import EvaluationState as E
from admin_app.workflow.states import IdentityState as I
from admin_app.workflow.states import NoticeState as N
from admin_app.workflow.states import ObjectionState as O
from admin_app.workflow.states import RecheckState as RK
from admin_app.workflow.states import RecognitionState as C
from admin_app.workflow.states import RegistrationState as R
from admin_app.workflow.states import ScorePublication as SP
from admin_app.workflow.states import ScoreResult as SR
from models import Objection, PostSetting, Registration, User, enums
from models.org import utcnow
from tests import factories
from tests.conftest import login

UNIT, DISTRICT, PARTY, CITY, OFFICE, CENTER, ADMIN = (
    enums.UNIT,
    enums.DISTRICT_HR,
    enums.PARTY_ORG,
    enums.CITY_HR,
    enums.OFFICE,
    enums.CENTER,
    enums.ADMIN,
)
ROLES = (UNIT, DISTRICT, PARTY, CITY, OFFICE, CENTER, ADMIN)
DECIDE = {"approve", "reject", "return_for_revision"}

# machine -> state -> {role: transitions open on the row built for that state}; a role not named may do nothing
# there. The unit is the row's own unit; the 区县 bureau is 渝中区's (unit A's 区县).
EXPECTED = {
    # 考试资格申请 (SPEC §4, §8.1): the unit submits a draft and may withdraw until the first decision; the
    # reviewer whose step it is approves, rejects or returns it for revision, which the unit resubmits
    # (市委组织部 reviews 市属党群 units' rows: unit P's row).
    "application": {
        A.DRAFT: {UNIT: {"submit"}},
        A.PENDING_DISTRICT_HR: {UNIT: {"withdraw"}, DISTRICT: DECIDE},
        A.PENDING_PARTY_ORG: {UNIT: {"withdraw"}, PARTY: DECIDE},
        A.PENDING_CITY_HR: {CITY: DECIDE},  # second step: the 区县 decided, no withdrawal
        A.PENDING_OFFICE: {UNIT: {"withdraw"}, OFFICE: DECIDE},
        A.RETURNED: {UNIT: {"resubmit"}},  # back to the step that returned it
        A.APPROVED: {},
        A.REJECTED: {},
    },
    # 考试报名 (manual 4.1-4.3): the unit fills the 报名表 or imports 附表5 for 未报名 and 已退回 candidates;
    # 市工考办 approves or returns what waits for confirmation; 市职鉴中心 confirms the fee.
    "registration": {
        R.UNREGISTERED: {UNIT: {"register", "register_imported"}},
        R.PENDING: {OFFICE: {"confirm_registration", "return_registration"}},
        R.RETURNED: {UNIT: {"register", "register_imported"}},
        R.FEE: {CENTER: {"confirm_fee"}},
        R.REGISTERED: {},
    },
    # 成绩录入 (SPEC §6): 市职鉴中心 enters and corrects the scores of 已报名 candidates until decided further on,
    # and marks a candidate 违纪 with the reason (SPEC §8.3); a 违纪 is corrected by entering scores again.
    "scores": {
        None: {CENTER: {"enter_scores", "mark_misconduct"}},
        SR.PASS: {CENTER: {"enter_scores", "mark_misconduct"}},
        SR.FAIL: {CENTER: {"enter_scores", "mark_misconduct"}},
        SR.ABSENT: {CENTER: {"enter_scores", "mark_misconduct"}},
        SR.MISCONDUCT: {CENTER: {"enter_scores"}},
    },
    # 考核评审 (技师、高级技师): 市工考办 records each candidate's committee vote, which decides.
    "evaluation": {
        E.PENDING: {OFFICE: {"evaluate"}},
        E.PASSED: {},
        E.FAILED: {},
    },
    # 资格认定: 市工考办; a 区县 bureau for the junior grades of its 区县属单位 (the row: 中级工 of unit A).
    "recognition": {
        # (on a 公示 whose period has ended: the row is put on one; 取消 only through an objection)
        C.PENDING: {OFFICE: {"recognise"}, DISTRICT: {"recognise"}},
        # 撤销认定 and 证书发放 (a record: the row stays 已认定): 市工考办 alone (issue 18)
        C.RECOGNISED: {OFFICE: {"revoke_recognition", "record_handover"}},
        C.CANCELLED: {},  # an objection resolved 取消: final for the batch
        C.REVOKED: {},  # reversed only by a new recognition in a later batch
    },
    # 合格名单公示: 市工考办 publishes a draft (with at least one person on it).
    "notice": {
        N.DRAFT: {OFFICE: {"publish_notice"}},
        N.PUBLISHED: {},
    },
    # An objection to a 公示 entry: 市工考办 resolves it 维持 or 取消 (the person still 待认定).
    "objection": {
        O.OPEN: {OFFICE: {"uphold_objection", "cancel_objection"}},
        O.UPHELD: {},
        O.CANCELLED: {},
    },
    # 查分: 市职鉴中心 answers a unit's request 维持 or 更正 (the corrected scores with it); answered is final.
    "recheck": {
        RK.REQUESTED: {CENTER: {"uphold_recheck", "correct_recheck"}},
        RK.UPHELD: {},
        RK.CORRECTED: {},
    },
    # 成绩发布: 市职鉴中心 publishes entered scores (per batch or session, the row: scores entered); final.
    "score_publication": {
        None: {CENTER: {"publish_scores"}},
        SP.PUBLISHED: {},
    },
    # 考核批次: the admin opens (one batch 申报中 at a time: 2021 is, so no other opens), closes, archives.
    "batch": {
        B.NOT_OPEN: {},
        B.OPEN: {ADMIN: {"close_batch"}},
        B.CLOSED: {ADMIN: {"archive_batch"}},
        B.ARCHIVED: {},
    },
    # 考场编排 (SPEC §8.3): 市职鉴中心 runs the arrangement of a 编排中 session (with rooms) and publishes it
    # (with seats); a published session is locked.
    "arrangement": {
        AR.DRAFT: {CENTER: {"arrange", "publish_arrangement"}},
        AR.PUBLISHED: {},
    },
    # 单位信息审核: a 区县 bureau confirms or returns its 区县属单位's profile (a unit of 渝中区 here).
    "identity": {
        I.NEW: {},
        I.PENDING: {DISTRICT: {"confirm", "return"}},
        I.CONFIRMED: {},
        I.RETURNED: {},
    },
}


def _person(world, key, seq, grade, status):
    """An approved or draft application of a new worker of unit ``key``."""
    worker = factories.add_worker(world.units[key], f"状态{seq}", seq, world.trade, world.batch)
    db.session.flush()
    return factories.add_application(world, worker, grade=grade, status=status)


def _registration(world, seq, grade=4, **values):
    registration = factories.add_registration(_person(world, "A", seq, grade, A.APPROVED))
    for name, value in values.items():
        setattr(registration, name, value)
    return registration


def _application_rows(world) -> dict:
    routes = {  # state -> (unit, route, step)
        A.DRAFT: ("A", None, 0),
        A.PENDING_DISTRICT_HR: ("A", "district_hr", 0),
        A.PENDING_PARTY_ORG: ("P", "party_org", 0),
        A.PENDING_CITY_HR: ("A", "district_hr,city_hr", 1),
        A.PENDING_OFFICE: ("A", "office", 0),
        A.RETURNED: ("A", "district_hr", 0),
        A.APPROVED: ("A", "district_hr", 0),
        A.REJECTED: ("A", "district_hr", 0),
    }
    # The draft: unit A's 高级工 application, eligible, with posts of its grade to hold it.
    db.session.add(
        PostSetting(unit=world.units["A"], batch=world.batch, grade=3, approved_posts=9, current_staff=0)
    )
    rows = {A.DRAFT: (world.applications["A"].id, "unit_a")}
    for seq, (state, (key, route, step)) in enumerate(routes.items(), start=500):
        if state == A.DRAFT:
            continue
        app = _person(world, key, seq, 4, state)  # 中级工: another grade than the draft's, no quota shared
        app.route, app.step_index, app.submitted_at = route, step, world.batch.cutoff_date
        factories.add_material(app)
        rows[state] = (app.id, {"A": "unit_a", "P": "unit_p"}[key])
    db.session.commit()
    return rows


def _registration_rows(world) -> dict:
    rows = {state: _registration(world, seq, status=state).id for seq, state in enumerate(R, start=400)}
    db.session.commit()
    return {state: (row_id, "unit_a") for state, row_id in rows.items()}


def _score_rows(world) -> dict:
    rows = {
        state: _registration(world, seq, status=R.REGISTERED, score_result=state).id
        for seq, state in enumerate([None, *SR], start=600)
    }
    db.session.commit()
    return {state: (row_id, "unit_a") for state, row_id in rows.items()}


def _publication_rows(world) -> dict:
    rows = {
        state: _registration(
            world, seq, status=R.REGISTERED, score_result=SR.PASS, score_publication=state
        ).id
        for seq, state in enumerate([None, *SP], start=650)
    }
    db.session.commit()
    return {state: (row_id, "unit_a") for state, row_id in rows.items()}


def _evaluation_rows(world) -> dict:
    rows = {
        state: _registration(
            world, seq, grade=2, status=R.REGISTERED, score_result=SR.PASS, evaluation_status=state
        ).id
        for seq, state in enumerate(E, start=700)
    }
    db.session.commit()
    return {state: (row_id, "unit_a") for state, row_id in rows.items()}


def _recognition_rows(world) -> dict:
    regs = {
        state: _registration(world, seq, status=R.REGISTERED, score_result=SR.PASS, recognition_status=state)
        for seq, state in enumerate(C, start=800)
    }
    factories.put_on_ended_notice(regs[C.PENDING])
    # the record kept at submission, which 撤销认定 restores the grade from (services/records.py)
    records.keep([regs[C.RECOGNISED].application_id], "submit", utcnow())
    rows = {state: reg.id for state, reg in regs.items()}
    db.session.commit()
    return {state: (row_id, "unit_a") for state, row_id in rows.items()}


def _batch_rows(world) -> dict:
    rows = {B.OPEN: world.batch.id}
    for year, state in ((2030, B.NOT_OPEN), (2029, B.CLOSED), (2028, B.ARCHIVED)):
        rows[state] = factories.add_batch(year, state).id
    db.session.commit()
    return {state: (row_id, "unit_a") for state, row_id in rows.items()}


def _identity_rows(world) -> dict:
    rows = {}
    for state in I:
        unit = factories.add_unit(f"{state.label}单位", world.jurisdictions["500103"])
        unit.identity_status = state
        db.session.flush()
        rows[state] = (unit.id, "unit_a")
    db.session.commit()
    return rows


def _notice_rows(world) -> dict:
    _registration(
        world,
        900,
        status=R.REGISTERED,
        score_result=SR.PASS,
        recognition_status=C.PENDING,
        score_publication=SP.PUBLISHED,
    )
    db.session.commit()
    draft = result_notices.create_draft(world.users[OFFICE], world.batch.id)
    listed = _registration(
        world, 901, status=R.REGISTERED, score_result=SR.PASS, recognition_status=C.PENDING
    )
    published = factories.put_on_ended_notice(listed)
    db.session.commit()
    return {N.DRAFT: (draft.id, "unit_a"), N.PUBLISHED: (published.id, "unit_a")}


def _objection_rows(world) -> dict:
    rows = {}
    for seq, state in enumerate(O, start=910):
        reg = _registration(
            world, seq, status=R.REGISTERED, score_result=SR.PASS, recognition_status=C.PENDING
        )
        notice = factories.put_on_ended_notice(reg)
        entry = next(e for e in notice.entries if e.registration_id == reg.id)
        objection = Objection(
            notice_id=notice.id,
            entry_id=entry.id,
            registration_id=reg.id,
            source="来信",
            text="异议",
            state=state,
        )
        db.session.add(objection)
        db.session.flush()
        rows[state] = (objection.id, "unit_a")
    db.session.commit()
    return rows


def _arrangement_rows(world) -> dict:
    from tests.arrangement_world import add_seat, add_session

    rows = {}
    for state in AR:
        session = add_session(world.batch, name=f"{state.label}场次", state=state)
        add_seat(session, world.registrations["A"])
        rows[state] = (session.id, "unit_a")
    db.session.commit()
    return rows


def _recheck_rows(world) -> dict:
    from models import ScoreRecheck

    reg = world.registrations["A"]
    rows = {}
    for state in RK:
        row = ScoreRecheck(
            registration_id=reg.id,
            batch_id=reg.batch_id,
            unit_id=reg.unit_id,
            jurisdiction_id=reg.jurisdiction_id,
            reason="成绩有疑问",
            state=state,
        )
        db.session.add(row)
        db.session.flush()
        rows[state] = (row.id, "unit_a")
    db.session.commit()
    return rows


ROWS = {
    "application": _application_rows,
    "registration": _registration_rows,
    "scores": _score_rows,
    "score_publication": _publication_rows,
    "evaluation": _evaluation_rows,
    "recognition": _recognition_rows,
    "batch": _batch_rows,
    "identity": _identity_rows,
    "recheck": _recheck_rows,
    "arrangement": _arrangement_rows,
    "notice": _notice_rows,
    "objection": _objection_rows,
}


def _player(world, role, owner):
    """Who plays ``role`` on a row: the row's own unit for the unit role."""
    return User.query.filter_by(username=owner).one() if role == UNIT else world.users[role]


def _ids(rows) -> dict:
    return {state: row_id for state, (row_id, _owner) in rows.items()}


def test_every_machine_has_an_expected_table():
    assert set(EXPECTED) == set(workflow.MACHINES), "a machine without (or with a stale) expected table"
    for name, table in EXPECTED.items():
        assert set(table) == set(workflow.MACHINES[name].states.labels()), f"{name}: every state has its row"


@pytest.mark.parametrize("machine", sorted(EXPECTED))
def test_available_transitions_per_role_and_state(world, machine):
    factories.add_user("unit_p", world.units["P"])
    db.session.commit()
    rows = ROWS[machine](world)
    for state, (row_id, owner) in rows.items():
        for role in ROLES:
            actor = _player(world, role, owner)
            found = {t.name for t in workflow.available_transitions(actor, machine, row_id)}
            label = workflow.MACHINES[machine].states.label_of(state)
            assert found == EXPECTED[machine][state].get(role, set()), f"{machine} {label} {role}"


def test_a_batch_opens_once_no_other_is_open(world):
    rows = _batch_rows(world)
    admin = world.users[ADMIN]
    assert workflow.change_batch_state(admin, [world.batch.id], "close_batch").done
    assert {t.name for t in workflow.available_transitions(admin, "batch", rows[B.NOT_OPEN][0])} == {
        "open_batch"
    }
    # 2021 itself may open again, but not be archived: B's application still waits in it.
    assert {t.name for t in workflow.available_transitions(admin, "batch", world.batch.id)} == {"open_batch"}


def test_a_row_of_another_unit_offers_the_unit_nothing(world):
    rows = _registration_rows(world)
    row_id = rows[R.UNREGISTERED][0]
    assert workflow.available_transitions(world.users["unit_b"], "registration", row_id) == []


# --- lists -----------------------------------------------------------------------------------------------
def table_views(app):
    return [
        v
        for v in app.extensions["admin"][0]._views
        if isinstance(v, ModelView) and getattr(v, "workflow_machine", None)
    ]


def _offered(html: str) -> tuple[set, set]:
    """(the 选中的 menu's operations, the 全部符合筛选条件 buttons' operations) of a list page."""
    menu = set(re.findall(r'data-gk-action="([^"]+)"', html)) - {"delete"}
    buttons = set(re.findall(r"/bulk/\?[^\"]*op=([a-z_]+)", html))
    return menu, buttons


def test_views_build_their_operations_from_the_table(app):
    views = table_views(app)
    assert {v.endpoint for v in views} == {
        "applications",
        "review_queue",
        "registrations",
        "scores",
        "evaluations",
        "recognitions",
        "unitreview",
        "rechecks",
        "result_notices",
        "objections",
    }
    with_operations = [v for v in app.extensions["admin"][0]._views if getattr(v, "bulk_operations", ())]
    assert all(v in views for v in with_operations), "operations declared outside the table"
    for view in views:
        for op in view.bulk_operations:
            t = op.transition
            assert t is not None and t.machine.name == view.workflow_machine, f"{view.endpoint}.{op.name}"
            assert (op.name, op.label, op.roles, op.style, op.confirmation) == (
                t.name,
                t.label,
                t.roles,
                t.style,
                t.confirmation,
            ), f"{view.endpoint}.{op.name} restates the table"
            if t.opinion:
                assert (op.opinion, op.requires_opinion, op.opinion_limit) == (
                    t.opinion.label,
                    t.opinion.required,
                    t.opinion.limit,
                )
            else:
                assert op.opinion is None


@pytest.mark.parametrize("role", ROLES)
def test_a_list_offers_exactly_the_roles_bulk_transitions_and_none_answers_403(app, client, world, role):
    login(client, world.users[role].username)
    for view in table_views(app):
        if role not in view.read_roles:
            continue
        base = view.url.rstrip("/")
        wanted = view.workflow_operations
        table = {
            t.name
            for t in workflow.for_role(view.workflow_machine, role)
            if t.bulk and (wanted is None or t.name in wanted)
        }
        page = client.get(f"{base}/")
        assert page.status_code == 200
        menu, buttons = _offered(page.get_data(as_text=True))
        assert menu == table and buttons == table, f"{role} {view.endpoint}: {menu} {buttons} != {table}"
        names = {t.name for t in workflow.transitions_of(view.workflow_machine)} | {"approve"}
        for name in sorted(names):
            what = f"{role} {view.endpoint}.{name}"
            confirm = client.get(f"{base}/bulk/", query_string={"op": name, "search": "无此人"})
            action = client.post(f"{base}/action/", data={"action": name, "rowid": "999999"})
            decide = client.post(f"{base}/decide/", data={"op": name, "rowid": "999999", "opinion": "意见"})
            if name in table:
                assert confirm.status_code == 200, what
                assert action.status_code in (200, 302), what
                assert decide.status_code == 200, what
            else:
                assert (confirm.status_code, action.status_code, decide.status_code) == (403, 403, 403), what


@pytest.mark.parametrize("role", ROLES)
def test_no_row_icon_or_list_button_answers_403(app, client, world, role):
    """Every link of the first row's icons and of the list's tools opens for the role that sees it."""
    _registration_rows(world)
    login(client, world.users[role].username)
    checked = 0
    for view in app.extensions["admin"][0]._views:
        if not isinstance(view, ModelView) or role not in getattr(view, "read_roles", ()):
            continue
        html = client.get(view.url.rstrip("/") + "/").get_data(as_text=True)
        row = re.search(r'<td class="list-buttons-column">(.*?)</td>', html, re.S)
        tools = re.search(r'<div class="mb-2 small no-print gk-list-tools">(.*?)</div>', html, re.S)
        links = re.findall(
            r'href="([^"#]+)"', (row.group(1) if row else "") + (tools.group(1) if tools else "")
        )
        # The tools' buttons that may queue a 下载中心 job are forms (POST, test_job_buttons_post.py)
        forms = re.findall(r'<form method="post" action="([^"#]+)"', tools.group(1) if tools else "")
        for method, href in [("GET", h) for h in links] + [("POST", a) for a in forms]:
            if "/export.xlsx" in href:
                continue  # a download of the whole list: covered by test_export
            response = client.open(href.replace("&amp;", "&"), method=method)
            checked += 1
            assert response.status_code != 403, f"{role} {view.endpoint}: {method} {href}"
    assert checked


def test_staff_see_no_register_or_score_entry_icons(app, client, world):
    _registration_rows(world)
    login(client, world.users[OFFICE].username)
    assert "/registrations/register/" not in client.get("/registrations/").get_data(as_text=True)
    center = world.users[CENTER].username
    # The unit: the 报名 icon on the rows it may register (未报名, 已退回), not on the others.
    login(client, world.users[UNIT].username)
    html = client.get("/registrations/").get_data(as_text=True)
    linked = {int(i) for i in re.findall(r'href="/registrations/register/\?id=(\d+)"', html)}
    mine = db.session.execute(
        sa.select(Registration.id, Registration.status).where(Registration.unit_id == world.units["A"].id)
    ).all()
    assert linked == {r.id for r in mine if r.status in (R.UNREGISTERED, R.RETURNED)}
    assert len(linked) == 3 and len(mine) == 6  # the world's own 未报名 row, and one of each state
    login(client, center)
    assert "/scores/score/" in client.get("/scores/").get_data(as_text=True)
    login(client, world.users[OFFICE].username)
    assert "/scores/score/" not in client.get("/scores/").get_data(as_text=True)


# --- details pages -----------------------------------------------------------------------------------------
def _buttons(html: str) -> dict:
    """The 办理 card of a details page: {operation: how} (direct button, confirmation page, or link)."""
    card = re.search(
        r'<div class="card border-primary mb-3 no-print" id="transitions">(.*?)</div></div>', html, re.S
    )
    if not card:
        return {}
    text = card.group(1)
    found = {name: "direct" for name in re.findall(r'name="op" value="([a-z_]+)"', text)}
    found.update({name: "page" for name in re.findall(r'name="action" value="([a-z_]+)"', text)})
    found.update(
        {
            label: "link"
            for label in re.findall(r'<a class="btn btn-primary[^"]*" href="[^"]+">([^<]+)</a>', text)
        }
    )
    return found


def test_registration_details_show_the_decisions_open_on_the_row(client, world):
    rows = _ids(_registration_rows(world))
    cases = [
        (OFFICE, R.PENDING, {"confirm_registration": "direct", "return_registration": "direct"}),
        (CENTER, R.FEE, {"confirm_fee": "page"}),
        (UNIT, R.UNREGISTERED, {"报名": "link"}),
        (UNIT, R.PENDING, {}),
        (DISTRICT, R.PENDING, {}),
        (OFFICE, R.FEE, {}),
    ]
    for role, state, expected in cases:
        login(client, world.users[role].username)
        html = client.get(f"/registrations/details/?id={rows[state]}").get_data(as_text=True)
        assert _buttons(html) == expected, f"{role} {state.label}"
    login(client, world.users[OFFICE].username)
    html = client.get(f"/registrations/details/?id={rows[R.PENDING]}").get_data(as_text=True)
    assert "退回原因（必填）" in html and 'maxlength="500"' in html


def test_a_details_button_decides_that_row(client, world):
    rows = _ids(_registration_rows(world))
    login(client, world.users[OFFICE].username)
    response = client.post(
        "/registrations/decide/", data={"op": "confirm_registration", "rowid": rows[R.PENDING]}
    )
    assert response.status_code == 200 and "成功 <strong" in response.get_data(as_text=True)
    assert db.session.get(Registration, rows[R.PENDING]).status == R.FEE
    db.session.rollback()
    history = client.get(f"/registrations/details/?id={rows[R.PENDING]}").get_data(as_text=True)
    history = history[
        history.index('id="history"') : history.index("</table>", history.index('id="history"'))
    ]
    assert "<td>报名审核通过</td>" in history  # the 办理记录 names the action with the table's label
    # 退回报名 without its reason: the confirmation page with the message, nothing changed.
    db.session.get(Registration, rows[R.PENDING]).status = R.PENDING
    db.session.commit()
    response = client.post(
        "/registrations/decide/", data={"op": "return_registration", "rowid": rows[R.PENDING]}
    )
    body = response.get_data(as_text=True)
    assert "退回报名须填写退回原因" in body and "退回报名：确认" in body
    db.session.rollback()
    assert db.session.get(Registration, rows[R.PENDING]).status == R.PENDING
    # 缴费确认 goes through its confirmation page (the receipt field) for that one row.
    login(client, world.users[CENTER].username)
    page = client.post("/registrations/action/", data={"action": "confirm_fee", "rowid": rows[R.FEE]})
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and 'name="receipt_number"' in body
    assert "选中的 1 条" in re.sub(r"<[^>]+>", "", body)


def test_details_pages_of_every_stage_show_the_decisions_open_on_the_row(client, world):
    factories.add_user("unit_p", world.units["P"])
    db.session.commit()
    rows = {machine: _ids(build(world)) for machine, build in ROWS.items()}
    page = "page"
    cases = [  # (list, machine, state, role, buttons; None: the row is not the role's to see)
        ("applications", "application", A.DRAFT, UNIT, {"submit": "direct"}),
        ("applications", "application", A.PENDING_DISTRICT_HR, UNIT, {"withdraw": "direct"}),
        ("applications", "application", A.PENDING_CITY_HR, UNIT, {}),
        ("applications", "application", A.RETURNED, UNIT, {"resubmit": "direct"}),
        (
            "review_queue",
            "application",
            A.PENDING_DISTRICT_HR,
            DISTRICT,
            {"approve": "direct", "reject": "direct", "return_for_revision": page},
        ),
        ("applications", "application", A.PENDING_DISTRICT_HR, OFFICE, {}),
        ("scores", "scores", None, CENTER, {"录入成绩": "link", "mark_misconduct": "direct"}),
        ("scores", "scores", SR.MISCONDUCT, CENTER, {"录入成绩": "link"}),
        ("scores", "scores", SR.PASS, OFFICE, {}),
        ("evaluations", "evaluation", E.PENDING, OFFICE, {"录入评审表决": "link"}),
        ("evaluations", "evaluation", E.PASSED, OFFICE, {}),
        ("recognitions", "recognition", C.PENDING, DISTRICT, {"recognise": "direct"}),
        ("recognitions", "recognition", C.PENDING, CENTER, {}),
        ("unitreview", "identity", I.PENDING, DISTRICT, {"confirm": "direct", "return": "direct"}),
        ("unitreview", "identity", I.PENDING, OFFICE, None),  # a 区县属单位: its bureau's to decide
    ]
    for endpoint, machine, state, role, expected in cases:
        user = "unit_a" if role == UNIT else world.users[role].username
        login(client, user)
        response = client.get(f"/{endpoint}/details/", query_string={"id": rows[machine][state]})
        what = f"{endpoint} {machine} {state} {role}"
        if expected is None:
            assert response.status_code == 404, what
            continue
        assert response.status_code == 200, what
        assert _buttons(response.get_data(as_text=True)) == expected, what


def test_the_batch_actions_are_the_batch_machines(client, world):
    login(client, world.users[ADMIN].username)
    html = client.get("/batches/").get_data(as_text=True)
    menu = dict(re.findall(r'data-gk-action="([^"]+)">([^<]+)</a>', html))
    questions = re.search(r'<div id="actions-confirmation-data" class="d-none">(.*?)</div>', html, re.S)
    questions = json.loads(questions.group(1))
    for t in workflow.transitions_of("batch"):
        assert (menu[t.name], questions[t.name]) == (t.label, t.confirmation)
    login(client, world.users[OFFICE].username)
    assert client.get("/batches/").status_code == 403
