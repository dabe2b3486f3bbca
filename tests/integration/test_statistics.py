"""统计分析: the numbers against rows set up here, per role and scope; Excel export of every table; access;
reading from the replica when one is configured."""

import io
import re

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from admin_app import create_app
from admin_app.extensions import db
from admin_app.services import statistics
from admin_app.workflow.states import (
    ApplicationState,
    BatchState,
    EvaluationState,
    RecognitionState,
    RegistrationState,
    ScorePublication,
    ScoreResult,
)
from tests.conftest import IsolatedClient, login
from tests.factories import add_application, add_batch, add_registration, add_worker


def _approved(world, unit_key, grade, seq, **registration):
    worker = add_worker(world.units[unit_key], f"{unit_key}统计{seq}", 300 + seq, world.trade, world.batch)
    db.session.flush()
    app = add_application(world, worker, grade=grade, status=ApplicationState.APPROVED)
    reg = add_registration(app)
    for name, value in registration.items():
        setattr(reg, name, value)
    if reg.score_result:  # this world's scores are published (成绩发布): every role counts them
        reg.score_publication = ScorePublication.PUBLISHED
    return app


@pytest.fixture
def data(world):
    """On top of the world (2021: drafts at A, P, Y; B's waiting at 沙坪坝; one approved each, B's through
    the exam and the committee): two rejected at B, five more approved with their registrations at every
    stage, and an archived 2020 batch with four applications at A."""
    for seq in (1, 2):
        worker = add_worker(world.units["B"], f"B驳回{seq}", 280 + seq, world.trade, world.batch)
        db.session.flush()
        add_application(world, worker, grade=3, status=ApplicationState.REJECTED)
    _approved(world, "A", 3, 1, status=RegistrationState.REGISTERED, score_result=ScoreResult.FAIL)
    _approved(
        world, "A", 3, 2, status=RegistrationState.REGISTERED, score_result=ScoreResult.ABSENT, absent=True
    )
    _approved(
        world,
        "A",
        5,
        3,
        status=RegistrationState.FEE,
        score_result=ScoreResult.PASS,
        recognition_status=RecognitionState.RECOGNISED,
    )
    _approved(world, "B", 4, 4, status=RegistrationState.RETURNED, return_reason="照片不清晰")
    _approved(
        world,
        "B",
        1,
        5,
        status=RegistrationState.REGISTERED,
        score_result=ScoreResult.PASS,
        evaluation_status=EvaluationState.FAILED,
    )
    old = add_batch(2020, state=BatchState.ARCHIVED)
    outcomes = [
        (ApplicationState.APPROVED, ScoreResult.PASS, RecognitionState.RECOGNISED),
        (ApplicationState.APPROVED, ScoreResult.PASS, RecognitionState.RECOGNISED),
        (ApplicationState.APPROVED, ScoreResult.FAIL, None),
    ]
    for seq, (status, result, recognition) in enumerate(
        [*outcomes, (ApplicationState.REJECTED, None, None)], start=10
    ):
        worker = add_worker(world.units["A"], f"A往年{seq}", 300 + seq, world.trade, world.batch)
        db.session.flush()
        app = add_application(world, worker, grade=4, status=status, batch=old)
        if status == ApplicationState.APPROVED:
            reg = add_registration(app)
            reg.status, reg.score_result, reg.recognition_status = (
                RegistrationState.REGISTERED,
                result,
                recognition,
            )
            reg.score_publication = ScorePublication.PUBLISHED
    db.session.commit()
    return world


def _tables(user, batch) -> dict:
    return {t.key: t for t in statistics.all_tables(db.session, user, batch.id)}


def _rows(table) -> dict:
    return {row[0]: row[1:] for row in table.rows}


def test_office_sees_the_whole_city(data):
    tables = _tables(data.users["office"], data.batch)
    # 合计, 审核中, 审核通过, 审核未通过, 审核通过率: the drafts (A, P, Y) are the units' own, counted nowhere
    by_j = _rows(tables["by_jurisdiction"])
    assert tables["by_jurisdiction"].headers == [
        "区县",
        "合计",
        "审核中",
        "审核通过",
        "审核未通过",
        "审核通过率",
    ]
    assert by_j["渝中区"] == [5, 0, 5, 0, 1.0]
    assert by_j["沙坪坝区"] == [6, 1, 3, 2, 0.6]
    assert by_j["渝北区（已撤销）"] == [1, 0, 1, 0, 1.0]
    assert by_j["合计"] == [12, 1, 9, 2, 9 / 11]
    assert list(by_j)[:-1] == ["渝中区", "沙坪坝区", "渝北区（已撤销）"]  # the dictionary's order

    by_grade = _rows(tables["by_grade"])
    assert [label for label in by_grade] == [
        "五级（初级工）",
        "四级（中级工）",
        "三级（高级工）",
        "二级（技师）",
        "一级（高级技师）",
        "合计",
    ]
    assert by_grade["三级（高级工）"][:4] == [5, 1, 2, 2]
    assert _rows(tables["by_category"])["市属单位（党群系统）"][:1] == [1]
    assert _rows(tables["by_trade"])["电工"][0] == 12

    by_status = _rows(tables["by_status"])
    assert "待提交" not in by_status
    assert by_status["待区县人力社保局审核"] == [1, 1 / 12]
    assert by_status["审核已通过"] == [9, 9 / 12] and by_status["审核未通过"] == [2, 2 / 12]

    stages = _rows(tables["pass_rates"])  # 已办结, 通过, 未通过, 通过率
    assert stages["资格审核"] == [11, 9, 2, 9 / 11]
    assert stages["报名确认"] == [6, 5, 1, 5 / 6]
    assert stages["考试（理论、实作）"] == [5, 3, 2, 3 / 5]
    assert stages["考核评审（技师、高级技师）"] == [2, 1, 1, 0.5]
    assert stages["总体：提交申请→取得等级"] == [12, 1, None, 1 / 12]

    years = _rows(tables["year_on_year"])  # 提交, 通过, 合格, 取得等级, 通过率, 合格率, 较上年
    assert list(years) == ["2020年度", "2021年度（进行中）"]  # 2021 is still open
    assert years["2020年度"] == [4, 3, 2, 2, 0.75, 2 / 3, None]
    assert years["2021年度（进行中）"] == [12, 9, 3, 1, 9 / 11, 3 / 5, 2.0]


def test_a_district_bureau_counts_its_jurisdiction_only(data):
    tables = _tables(data.users["district_hr"], data.batch)  # 渝中区
    assert list(_rows(tables["by_jurisdiction"])) == ["渝中区", "合计"]
    assert _rows(tables["by_status"])["合计"][0] == 5  # A's draft is A's own
    stages = _rows(tables["pass_rates"])
    assert stages["报名确认"] == [3, 3, 0, 1.0]
    assert stages["考试（理论、实作）"] == [3, 1, 2, 1 / 3]
    years = _rows(tables["year_on_year"])
    assert years["2021年度（进行中）"][0] == 5 and years["2021年度（进行中）"][-1] == 0.25

    b_tables = _tables(data.users["district_hr_b"], data.batch)  # 沙坪坝区
    assert list(_rows(b_tables["by_jurisdiction"])) == ["沙坪坝区", "合计"]
    assert list(_rows(b_tables["year_on_year"])) == ["2021年度（进行中）"]  # no 2020 rows in 沙坪坝


def test_a_batch_without_rows_gives_empty_tables_not_errors(data):
    empty = add_batch(2022)
    db.session.commit()
    tables = _tables(data.users["office"], empty)
    assert tables["by_jurisdiction"].rows == [] and tables["by_status"].rows == []
    assert _rows(tables["pass_rates"])["资格审核"] == [0, 0, 0, None]


@pytest.mark.parametrize(
    ("username", "allowed"),
    [
        ("office", True),
        ("city_hr", True),
        ("yuzhong_hr", True),
        ("unit_a", False),
        ("party_org", False),
        ("center", False),
        ("admin", False),
    ],
)
def test_who_may_see_statistics(client, data, username, allowed):
    login(client, username)
    # One table's export is a form's POST (the same endpoint queues 「导出全部」)
    export = f"/statistics/export/?batch={data.batch.id}&table=by_jurisdiction"
    for method, url in (("GET", "/statistics/"), ("POST", export)):
        response = client.open(url, method=method)
        assert response.status_code == (200 if allowed else 403), (username, url)
    if not allowed:  # 「导出全部」 (a 下载中心 job for the others: test_statistics_job.py) queues nothing
        assert client.post(f"/statistics/export/?batch={data.batch.id}&table=all").status_code == 403
    menu = client.get("/").get_data(as_text=True)
    assert ("统计分析" in menu) is allowed


def test_anonymous_is_sent_to_login(client, data):
    response = client.get("/statistics/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_page_shows_tables_and_chart_data_from_our_static_files(client, data):
    login(client, "office")
    page = client.get(f"/statistics/?batch={data.batch.id}").get_data(as_text=True)
    for title in ("按区县", "按组织类别", "按工种", "按申报等级", "按状态", "各环节通过率", "历年对比"):
        assert title in page
    assert "81.8%" in page  # 9 of 11 approved
    scripts = re.findall(r'<script[^>]* src="([^"]+)"', page)
    assert "/assets/vendor/echarts/echarts.common.min.js" in scripts
    assert all(src.startswith("/") and not src.startswith("//") for src in scripts)  # nothing from a CDN
    assert 'id="gk-stats-data"' in page
    assert client.get("/assets/vendor/echarts/echarts.common.min.js").status_code == 200
    # the default batch is the latest with applications
    assert "selected>2021年度" in client.get("/statistics/").get_data(as_text=True)


def test_bad_parameters_are_not_found(client, data):
    login(client, "office")
    assert client.get("/statistics/?batch=abc").status_code == 404
    assert client.get("/statistics/?batch=99999").status_code == 404
    assert client.post(f"/statistics/export/?batch={data.batch.id}&table=nope").status_code == 404


def _sheets(data_bytes) -> dict:
    workbook = load_workbook(io.BytesIO(data_bytes))
    return {ws.title: ws for ws in workbook.worksheets}


def test_one_table_exports_to_excel_at_once(client, data):
    """One table is one sheet, sent in the request (every table: test_statistics_job.py)."""
    login(client, "yuzhong_hr")
    one = client.post(f"/statistics/export/?batch={data.batch.id}&table=year_on_year")
    assert one.status_code == 200
    assert one.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheets = _sheets(one.data)
    assert list(sheets) == ["历年对比"]
    assert [c.value for c in sheets["历年对比"][3]][:5] == ["2020年度", 4, 3, 2, 2]
    assert re.search(r"filename\*=UTF-8''", one.headers["Content-Disposition"])


def test_statistics_and_exports_read_from_the_replica_when_configured(app, data):
    """With REPLICA_DATABASE_URL set (here the same database under a second engine), the business queries of
    the statistics page and of a list export go to the replica engine and none to the primary."""
    replica_app = create_app(
        {
            **{k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "UPLOAD_DIR", "SECRET_KEY")},
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "LOGIN_RATE_LIMIT": "100000 per minute",
            "SQLALCHEMY_BINDS": {"replica": app.config["SQLALCHEMY_DATABASE_URI"]},
        }
    )
    replica_app.test_client_class = IsolatedClient
    client = replica_app.test_client()
    login(client, "office")
    seen = {"primary": [], "replica": []}
    with replica_app.app_context():
        engines = {"primary": db.engines[None], "replica": db.engines["replica"]}

    def listener(name):
        def record(conn, cursor, statement, *args):
            seen[name].append(statement)

        return record

    for name, engine in engines.items():
        sa.event.listen(engine, "before_cursor_execute", listener(name))
    page = client.get(f"/statistics/?batch={data.batch.id}").get_data(as_text=True)
    assert "81.8%" in page
    assert any("FROM application" in s for s in seen["replica"])
    assert not any("FROM application" in s or "FROM registration" in s for s in seen["primary"])

    # 导出查询结果 of a list reads its rows there too; only the audit row goes to the primary
    for statements in seen.values():
        statements.clear()
    export = client.post("/registrations/export.xlsx")
    assert export.status_code == 200 and len(_sheets(export.data)["考试报名"]["A"]) > 2
    assert any("FROM registration" in s for s in seen["replica"])
    assert not any("FROM registration" in s for s in seen["primary"])
    assert any("INSERT INTO audit_log" in s for s in seen["primary"])
    with replica_app.app_context():
        for engine in engines.values():
            engine.dispose()


LINK = re.compile(r'<a class="gk-stats-link" href="([^"]+)" title="查看这些申请">(\d+)</a>')


@pytest.mark.parametrize("username", ["office", "yuzhong_hr", "shapingba_hr"])
def test_each_row_links_to_the_applications_it_counts(client, data, username):
    import html as htmllib

    login(client, username)
    page = client.get(f"/statistics/?batch={data.batch.id}").get_data(as_text=True)
    links = [(htmllib.unescape(url), int(count)) for url, count in LINK.findall(page)]
    # 区县, 组织类别, 工种, 等级 and 状态 rows, each table with its 合计
    assert len(links) >= 10, links
    for url, count in links:
        shown = re.search(r"列表 \(([^)]+)\)", client.get(url).get_data(as_text=True))
        assert (int(shown.group(1)) if shown else 0) == count, (username, url, count)
