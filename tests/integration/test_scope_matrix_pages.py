"""The pages outside the model views, generated from the URL map: 首页, 统计分析 (page and export) and every
account page, for every role and anonymous, with every method each allows and one it does not; and every
endpoint of the app answering a method it does not allow with a Chinese 405, never a 500.

An endpoint that is neither a model view's (``test_scope_matrix.py``) nor listed here fails
``test_every_endpoint_is_in_a_matrix``: classify it, don't leave it unchecked.
"""

import io
import re

import pytest
from flask_admin.contrib.sqla import ModelView
from openpyxl import load_workbook

from admin_app.extensions import db, limiter
from admin_app.services import clock, sessions
from admin_app.verification import NOT_FOUND as VERIFY_NOT_FOUND
from admin_app.workflow.states import (
    ApplicationState,
    EvaluationState,
    IdentityState,
    NoticeState,
    ObjectionState,
    RecheckState,
    RecognitionState,
    RegistrationState,
)
from models import (
    Application,
    NoticeEntry,
    Objection,
    Organisation,
    Registration,
    ScoreRecheck,
    UserSession,
    enums,
)
from tests.conftest import login
from tests.integration.test_download_jobs import queue  # noqa: F401  (the fixture)
from tests.integration.test_summary_job import job_workbook
from tests.scope_world import (
    USERNAMES,
    build_inscope_world,
    business_snapshot,
    reviews_identity,
    sees_application,
    sees_snapshot,
    viewer,
)

ANONYMOUS = None
LOGINS = [*USERNAMES, ANONYMOUS]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STATISTICS_ROLES = {enums.OFFICE, enums.CITY_HR, enums.DISTRICT_HR}  # SPEC: 统计分析 is for these three
# Endpoints that serve files to anyone, signed in or not (the login page needs its styles).
PUBLIC_FILES = {"static", "admin.static", "favicon"}
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def inscope(world):
    return build_inscope_world(world)


def _to_login(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers["Location"]


def _home(response) -> bool:
    return response.status_code == 302 and response.headers["Location"].rstrip("/") in (
        "",
        "http://localhost",
    )


def _page(response, *texts) -> bool:
    body = response.get_data(as_text=True)
    return response.status_code == 200 and response.mimetype == "text/html" and all(t in body for t in texts)


# endpoint -> method -> (what is sent, role -> is the answer right). ANONYMOUS is the role None.
PAGES = {
    "auth.login": {
        "GET": ({}, lambda role, r: _page(r, "登录") if role is None else _home(r)),
        # An unknown account: the neutral message for anonymous; a signed-in user is sent home.
        "POST": (
            {"username": "nobody_here", "password": "Wrong0pass"},
            lambda role, r: _page(r, "用户名或密码错误") if role is None else _home(r),
        ),
    },
    "auth.change_password": {
        "GET": ({}, lambda role, r: _to_login(r) if role is None else _page(r, "修改密码")),
        "POST": (
            {"current_password": "Wrong0pass", "new_password": "Newpass2026", "confirm": "Newpass2026"},
            lambda role, r: _to_login(r) if role is None else _page(r, "原密码不正确"),
        ),
    },
    "auth.register": {
        "GET": ({}, lambda role, r: _page(r, "注册") if role is None else _home(r)),
        "POST": (
            {"name": "", "username": ""},
            lambda role, r: _page(r, "注册") if role is None else _home(r),
        ),
    },
    "auth.verify": {
        "GET": (
            {},
            lambda role, r: (
                _to_login(r) if role is None else _page(r, "实名认证") if role == enums.UNIT else _home(r)
            ),
        ),
        "POST": (
            {"verified_name": "张三", "verified_id_number": "500103197503010000"},  # a wrong check digit
            lambda role, r: (
                _to_login(r) if role is None else _page(r, "实名认证") if role == enums.UNIT else _home(r)
            ),
        ),
    },
    "auth.sessions_view": {
        "GET": ({}, lambda role, r: _to_login(r) if role is None else _page(r, "登录会话"))
    },
    # Ending a session that is not one of the user's own (another user's: see below) ends nothing.
    "auth.end_sessions": {
        "POST": (
            {"session": "OTHER_SESSION"},
            lambda role, r: (
                _to_login(r) if role is None else r.headers.get("Location", "").endswith("/sessions")
            ),
        )
    },
    # 消息设置: one's own e-mail, mobile and opt-outs; a wrong address saves nothing (test_reminder_pages.py)
    "auth.contact_settings": {
        "GET": ({}, lambda role, r: _to_login(r) if role is None else _page(r, "消息设置", "接收邮件提醒")),
        "POST": (
            {"email": "不是邮箱", "mobile": "", "email_wanted": "y"},
            lambda role, r: _to_login(r) if role is None else _page(r, "电子邮箱格式不正确"),
        ),
    },
    "health.healthz": {
        "GET": (
            {},
            lambda role, r: r.status_code == 200 and r.is_json and r.json["status"] in ("ok", "degraded"),
        )
    },
    # Logout is tried last (it ends the session the other pages ran in).
    "auth.logout": {"POST": ({}, lambda role, r: _to_login(r))},
    "admin.index": {"GET": ({}, lambda role, r: _to_login(r) if role is None else _page(r, "欢迎"))},
    "statistics.index": {
        "GET": (
            {},
            lambda role, r: (
                _to_login(r)
                if role is None
                else _page(r, "统计范围")
                if role in STATISTICS_ROLES
                else r.status_code == 403
            ),
        )
    },
    # 成绩发布: the centre's page; a POST naming no batch or session publishes nothing (back to the page).
    "score_publication.index": {
        "GET": (
            {},
            lambda role, r: (
                _to_login(r)
                if role is None
                else _page(r, "成绩发布后")
                if role == enums.CENTER
                else r.status_code == 403
            ),
        )
    },
    "score_publication.publish_view": {
        "POST": (
            {"batch": "abc"},
            lambda role, r: (
                _to_login(r)
                if role is None
                else r.status_code == 302 and r.headers["Location"].endswith("/score_publication/")
                if role == enums.CENTER
                else r.status_code == 403
            ),
        )
    },
    # 证书查验: public, the same for everyone (no login step in front of it); wrong input gets the neutral
    # message (test_certificate_verification.py walks every login over a real certificate).
    "verify.form_view": {
        "GET": ({}, lambda role, r: _page(r, "证书查验", "身份证号码后六位")),
        "POST": ({"number": "CQGK0", "id_tail": "000000"}, lambda role, r: _page(r, VERIFY_NOT_FOUND)),
    },
    "verify.token_view": {"GET": ({}, lambda role, r: _page(r, VERIFY_NOT_FOUND))},
    # One table, made in the request (every table, a job: test_statistics_job.py); a POST, as its button is a form
    # (``?table=all`` queues a job), with the table in the query string (QUERY_STRINGS).
    "statistics.export_view": {
        "POST": (
            {},
            lambda role, r: (
                _to_login(r)
                if role is None
                else (r.mimetype == XLSX and r.headers["Content-Disposition"].startswith("attachment"))
                if role in STATISTICS_ROLES
                else r.status_code == 403
            ),
        )
    },
}


# The query string of a page's POST (what its form's action URL carries), beside the form data.
QUERY_STRINGS = {"statistics.export_view": {"table": "by_jurisdiction"}}


def model_view_endpoints(app) -> set[str]:
    views = [v for v in app.extensions["admin"][0]._views if isinstance(v, ModelView)]
    prefixes = tuple(v.endpoint + "." for v in views)
    return {r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith(prefixes)}


def test_every_endpoint_is_in_a_matrix(app):
    known = model_view_endpoints(app) | set(PAGES) | PUBLIC_FILES
    unknown = {r.endpoint for r in app.url_map.iter_rules()} - known
    assert not unknown, f"add {unknown} to a permission matrix (test_scope_matrix_pages.PAGES)"


def test_every_method_of_every_account_page_is_in_the_matrix(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PAGES:
            methods = rule.methods - {"HEAD", "OPTIONS"}
            assert methods == set(PAGES[rule.endpoint]), f"{rule.endpoint}: {methods}"


def _someone_elses_session(world) -> int:
    """The id of a live session of another account (unit_e, logged in by none of the tests here)."""
    token = sessions.start(world.users["unit_e"], "10.0.0.9", "elsewhere")
    found = db.session.query(UserSession).filter_by(token_hash=sessions.digest(token)).one().id
    db.session.rollback()
    return found


def _urls(app) -> dict:
    return {r.endpoint: r.rule for r in app.url_map.iter_rules() if r.endpoint in PAGES}


@pytest.mark.parametrize("username", LOGINS, ids=lambda u: u or "anonymous")
def test_account_pages_home_and_statistics(app, client, inscope, username):
    """Each page, each method it allows, as this login: the expected answer, and nothing of the business
    data changed (the account's own row included: a wrong current password changes nothing)."""
    role = viewer(username).role if username else None
    limiter.reset()  # 注册 is throttled per address; this test posts it once per login
    if username:
        assert login(client, username).status_code == 302
    other = _someone_elses_session(inscope)
    before = business_snapshot()
    urls = _urls(app)
    for endpoint in sorted(PAGES, key=lambda e: e == "auth.logout"):
        for method, (data, right) in PAGES[endpoint].items():
            if method == "GET":
                response = client.get(urls[endpoint], query_string=data)
            else:
                data = {k: str(other) if v == "OTHER_SESSION" else v for k, v in data.items()}
                response = client.post(urls[endpoint], query_string=QUERY_STRINGS.get(endpoint), data=data)
            what = (
                f"{username} {method} {endpoint}: {response.status_code} {response.headers.get('Location')}"
            )
            assert right(role, response), what
            assert response.status_code != 500, what
            if endpoint == "auth.end_sessions" and role is not None:  # the current session goes on
                assert client.get("/").status_code == 200, what
    assert business_snapshot() == before
    assert db.session.get(UserSession, other).ended_at is None, "another user's session was ended"
    db.session.rollback()
    # Logout ended the session: the next request is a stranger's.
    assert _to_login(client.get("/"))


@pytest.mark.parametrize("username", LOGINS, ids=lambda u: u or "anonymous")
def test_every_endpoint_refuses_a_method_it_does_not_allow_in_chinese(app, client, world, username):
    if username:
        assert login(client, username).status_code == 302
    checked = 0
    for rule in app.url_map.iter_rules():
        url = re.sub(r"<(?:[^:>]+:)?([^>]+)>", "x", rule.rule)
        for method in ("PUT", "DELETE", "PATCH", "POST", "GET"):
            if method not in rule.methods:
                break
        else:
            continue
        response = client.open(url, method=method)
        body = response.get_data(as_text=True)
        what = f"{username} {method} {rule.endpoint}"
        assert response.status_code == 405, f"{what}: {response.status_code}"
        assert CHINESE.search(body) and "Traceback" not in body and "Method Not Allowed" not in body, what
        checked += 1
    assert checked > 200


# --- numbers of 首页 and 统计分析 against the rows, counted here ----------------------------------------------


def _count(model, username, where) -> int:
    v = viewer(username)
    found = sum(1 for row in db.session.query(model).all() if where(v, row))
    db.session.rollback()
    return found


def _notice_ended(row) -> bool:
    """On a published 公示, every one of which ended before today, and no objection waiting (as 资格认定)."""
    entries = db.session.query(NoticeEntry).filter_by(registration_id=row.id).all()
    notices = [e.notice for e in entries if e.notice.state == NoticeState.PUBLISHED]
    waiting = db.session.query(Objection).filter_by(registration_id=row.id, state=ObjectionState.OPEN).count()
    return bool(notices) and all(n.end_date < clock.today() for n in notices) and not waiting


def _status(value):
    return lambda v, row: sees_snapshot(v, row) and row.status == value


def _stage(column, value):
    return lambda v, row: sees_snapshot(v, row) and getattr(row, column) == value


def _identity_pending(v, org) -> bool:
    return reviews_identity(v, org) and org.identity_status == IdentityState.PENDING


# The to-dos each role should find on 首页, counted from the rows (label as shown).
TODOS = {
    enums.UNIT: {
        "待提交的申请": (Application, _status(ApplicationState.DRAFT)),
        "退回修改的申请": (Application, _status(ApplicationState.RETURNED)),
        "审核未通过的申请": (Application, _status(ApplicationState.REJECTED)),
        "待报名": (Registration, _status(RegistrationState.UNREGISTERED)),
        "已退回的报名": (Registration, _status(RegistrationState.RETURNED)),
    },
    enums.DISTRICT_HR: {
        "待我审核": (Application, _status(ApplicationState.PENDING_DISTRICT_HR)),
        "待审核的单位信息": (Organisation, _identity_pending),
        "待认定": (Registration, _stage("recognition_status", RecognitionState.PENDING)),
    },
    enums.PARTY_ORG: {"待我审核": (Application, _status(ApplicationState.PENDING_PARTY_ORG))},
    enums.CITY_HR: {"待我审核": (Application, _status(ApplicationState.PENDING_CITY_HR))},
    enums.OFFICE: {
        "待我审核": (Application, _status(ApplicationState.PENDING_OFFICE)),
        "待审核的单位信息": (Organisation, _identity_pending),
        "待确认的报名": (Registration, _status(RegistrationState.PENDING)),
        "待评审": (Registration, _stage("evaluation_status", EvaluationState.PENDING)),
        "待认定": (Registration, _stage("recognition_status", RecognitionState.PENDING)),
        "公示期满待认定": (
            Registration,
            lambda v, r: _stage("recognition_status", RecognitionState.PENDING)(v, r) and _notice_ended(r),
        ),
        "待处理公示异议": (Objection, lambda v, r: r.state == ObjectionState.OPEN),
        "待发放证书": (
            Registration,
            lambda v, r: (
                _stage("recognition_status", RecognitionState.RECOGNISED)(v, r) and r.handed_over_on is None
            ),
        ),
    },
    enums.CENTER: {
        "待缴费确认": (Registration, _status(RegistrationState.FEE)),
        "待录入成绩": (
            Registration,
            lambda v, r: _status(RegistrationState.REGISTERED)(v, r) and r.score_result is None,
        ),
        "待发布成绩": (
            Registration,
            lambda v, r: (
                _status(RegistrationState.REGISTERED)(v, r)
                and r.score_result is not None
                and r.score_publication is None
            ),
        ),
        "待复核查分": (ScoreRecheck, lambda v, r: r.state == RecheckState.REQUESTED),
    },
    enums.ADMIN: {},
}
TODO = re.compile(r'data-todo="([^"]+)">.*?gk-todo-count">([^<]+)<', re.S)


@pytest.mark.parametrize("username", USERNAMES)
def test_home_counts_exactly_the_rows_of_the_scope(client, inscope, username):
    if username == "office":  # 待发放证书 not vacuous: a 待认定 row recognised (test data), not handed over
        row = db.session.query(Registration).filter_by(recognition_status=RecognitionState.PENDING).first()
        row.recognition_status = RecognitionState.RECOGNISED
        db.session.commit()
    login(client, username)
    shown = dict(TODO.findall(client.get("/").get_data(as_text=True)))
    wanted = TODOS[viewer(username).role]
    assert set(shown) == set(wanted), username
    for label, (model, where) in wanted.items():
        assert int(shown[label]) == _count(model, username, where), f"{username} {label}"
    if username == "yuzhong_hr":  # not vacuous: 戊待审 and the moved unit's 己待审; 庚单位; 戊待认定
        assert (shown["待我审核"], shown["待审核的单位信息"], shown["待认定"]) == ("2", "1", "1")
    if username == "office":
        assert shown["待发放证书"] == "1"


def _sheet_rows(data: bytes, title: str) -> dict:
    sheet = load_workbook(io.BytesIO(data), read_only=True)[title]
    return {row[0]: row[1:] for row in sheet.iter_rows(min_row=3, values_only=True) if row[0] is not None}


@pytest.mark.usefixtures("queue")
@pytest.mark.parametrize("username", ["yuzhong_hr", "shapingba_hr", "liangjiang_hr", "city_hr", "office"])
def test_statistics_count_exactly_the_applications_of_the_scope(client, inscope, username):
    """The page's chart data and the Excel export of every table (the login's 下载中心 job): per 区县 and in
    total, the applications of the batch that this login should see (submitted ones: no unit's draft), counted
    here from the rows."""
    import json

    login(client, username)
    batch = inscope.batch.id
    total = _count(Application, username, lambda v, a: sees_application(v, a) and a.batch_id == batch)
    v = viewer(username)
    per_jurisdiction = {}
    for app in db.session.query(Application).filter_by(batch_id=batch):
        if sees_application(v, app):
            name = app.jurisdiction.name if app.jurisdiction else None
            per_jurisdiction[name] = per_jurisdiction.get(name, 0) + 1
    db.session.rollback()
    assert total and total == sum(per_jurisdiction.values())

    page = client.get(f"/statistics/?batch={batch}").get_data(as_text=True)
    charts = json.loads(re.search(r'id="gk-stats-data">(.*?)</script>', page, re.S).group(1))
    by_status = next(c for c in charts if c["key"] == "by_status")
    assert sum(row[1] for row in by_status["rows"] if row[0] != "合计") == total, username

    _book, export = job_workbook(client, f"/statistics/export/?batch={batch}&table=all")
    by_j = _sheet_rows(export.data, "按区县")
    assert by_j.pop("合计")[0] == total, username
    shown = {name: values[0] for name, values in by_j.items()}
    assert sorted(shown.values()) == sorted(per_jurisdiction.values()), (username, shown)
    for label in shown:  # each row is one of this login's 区县 (a merged one is labelled 已撤销)
        assert any(label.startswith(name) for name in per_jurisdiction if name), (username, label)
    assert _sheet_rows(export.data, "按状态")["合计"][0] == total, username
