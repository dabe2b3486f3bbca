"""What every GET endpoint of every model view hands each login, generated from the URL map (and every
download button that POSTs, as it may queue a 下载中心 job: 导出查询结果, 附表3, the batch PDFs): a download
endpoint gives a file with a safe Content-Type and Content-Disposition (spreadsheets as .xlsx attachments;
stored files inline only as JPEG/PNG/PDF, anything else an attachment) and ``nosniff``; every other endpoint
gives a page (or the pickers' JSON), never a file. Rows are those the login sees (``tests/scope_world.py``),
so each download is tried by every role that may have it, on rows inside its scope.
"""

import re

import pytest
from flask_admin.contrib.sqla import ModelView

from admin_app.extensions import db
from models import Job, Material, Registration, User
from tests.affairs_rows import add_finished_download
from tests.conftest import login, text_of
from tests.integration.test_candidate_import import upload, xlsx
from tests.integration.test_download_jobs import queue  # noqa: F401  (the fixture)
from tests.integration.test_scope_matrix import KNOWN_KINDS
from tests.scope_world import LISTS, USERNAMES, build_inscope_world, expected_ids, viewer
from views import summary_sheet

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
INLINE = {"image/jpeg", "image/png", "application/pdf"}
SPREADSHEETS = {"export_xlsx_view", "filing_view", "template_view", "import_report_view"}
SPREADSHEETS |= {"score_template_view", "score_import_report_view"}  # 成绩导入
SPREADSHEETS |= {"notice_xlsx_view"}  # 合格名单公示
SPREADSHEETS |= {"download_view"}  # 下载中心: the file of one of the user's own finished jobs
STORED_FILES = {"material_download_view", "file_view"}
ROW_PHOTOS = {"print_photo_view"}  # the 登记表's photo: a stored file when the row has one, else 404
PDFS = {"print_pdf_view", "prints_pdf_view"}  # 登记表 made on the server
PDFS |= {
    "ticket_pdf_view",
    "tickets_pdf_view",
    "sign_in_sheet_view",
    "door_sign_view",
}  # 准考证, 签到表, 门贴
PDFS |= {"certificate_pdf_view", "certificates_pdf_view"}  # 证书 (signed)
# A multi-sheet workbook (附表3) is always a 下载中心 job: the button sends the user there (test_summary_job.py)
QUEUED = {"summary_view"}
DOWNLOADS = SPREADSHEETS | STORED_FILES | ROW_PHOTOS | PDFS | QUEUED
PAGES_AS_JSON = {"ajax_lookup", "progress_view"}  # 下载中心's progress


@pytest.fixture
def inscope(world):
    built = build_inscope_world(world)
    for username in USERNAMES:  # each login has a finished 下载中心 export of its own
        add_finished_download(db.session.query(User).filter_by(username=username).one())
    return built


def assert_spreadsheet(response, what):
    assert response.mimetype == XLSX, f"{what}: {response.mimetype}"
    disposition = response.headers.get("Content-Disposition", "")
    assert disposition.startswith("attachment;") and disposition.endswith(".xlsx"), f"{what}: {disposition}"
    assert response.headers.get("X-Content-Type-Options") == "nosniff", what
    assert response.data[:2] == b"PK", what  # a real workbook (a zip), not an error page


def assert_stored_file(response, what):
    disposition = response.headers.get("Content-Disposition", "")
    kind = disposition.split(";")[0]
    assert kind in ("attachment", "inline"), f"{what}: {disposition}"
    if kind == "inline" or response.mimetype != "application/octet-stream":
        assert response.mimetype in INLINE, f"{what}: {response.mimetype} {disposition}"
    assert "html" not in disposition.lower() and "html" not in response.mimetype, f"{what}: {disposition}"
    assert response.headers.get("X-Content-Type-Options") == "nosniff", what


def test_download_kinds_are_known_kinds():
    assert DOWNLOADS <= KNOWN_KINDS and PAGES_AS_JSON <= KNOWN_KINDS


def _requests(view, kind, username) -> list[dict]:
    """The query strings to try: each file of a row the login sees, else one row it sees, else none."""
    rows = sorted(expected_ids(view.endpoint, username)) if view.endpoint in LISTS else []
    if kind == "download_view":  # the user's own finished jobs (another's: test_download_jobs.py)
        owner = db.session.query(User).filter_by(username=username).one()
        found = [{"id": job.id} for job in db.session.query(Job).filter_by(owner_id=owner.id)]
    elif kind == "material_download_view":
        found = [{"mid": m.id} for m in db.session.query(Material).filter(Material.application_id.in_(rows))]
    elif kind == "file_view":
        found = [
            {"id": r.id, "kind": kind_}
            for r in db.session.query(Registration).filter(Registration.id.in_(rows))
            for kind_, stored in (("photo", r.photo_stored), ("id_copy", r.id_copy_stored))
            if stored
        ]
    else:
        found = [{"id": rows[-1], "page_size": 100} if rows else {"page_size": 100}]
    db.session.rollback()
    return found


def _bad_import_report(client) -> str:
    """A 附表5 with a wrong row: the page offers the marked copy; its token."""
    body = upload(client, xlsx([{"序号": "1", "姓名": "某某", "身份证号码": "123"}])).get_data(as_text=True)
    return re.search(r"import/report\.xlsx\?token=([0-9a-f]+)", body).group(1)


@pytest.mark.usefixtures("queue")
@pytest.mark.parametrize("username", USERNAMES)
def test_every_get_endpoint_gives_a_safe_file_or_a_page(app, client, inscope, username):
    login(client, username)
    role = viewer(username).role
    served, offered = set(), set()
    for view in (v for v in app.extensions["admin"][0]._views if isinstance(v, ModelView)):
        if role not in view.read_roles:
            continue
        prefix = view.endpoint + "."
        for rule in app.url_map.iter_rules():
            kind = rule.endpoint[len(prefix) :] if rule.endpoint.startswith(prefix) else None
            if kind is None or "<" in rule.rule or not {"GET", "POST"} & rule.methods:
                continue
            if "GET" not in rule.methods and kind not in DOWNLOADS:
                continue  # a form's write (covered by test_scope_matrix.py), not a download
            method = "GET" if "GET" in rule.methods else "POST"
            tries = _requests(view, kind, username)
            if kind == "import_report_view" and role == "unit":
                tries = [{"token": _bad_import_report(client)}]
            if kind in STORED_FILES and tries:
                offered.add(kind)  # a file of a row this login sees: it must be served
            for args in tries:
                response = client.open(rule.rule, method=method, query_string=args)
                what = f"{username} {method} {rule.endpoint} {args}"
                assert response.status_code != 500, what
                if kind in QUEUED:  # queued, else back to the list: nothing of this login's to make
                    location = response.headers.get("Location", "")
                    if location.endswith("/downloads/"):
                        served.add(kind)
                    else:
                        assert summary_sheet.NO_ROWS in text_of(client.get(location)), what
                    continue
                if response.status_code != 200:
                    continue
                if kind in SPREADSHEETS:
                    assert_spreadsheet(response, what)
                elif kind in STORED_FILES | ROW_PHOTOS:
                    assert_stored_file(response, what)
                elif kind in PDFS:
                    assert response.mimetype == "application/pdf" and response.data[:5] == b"%PDF-", what
                    disposition = response.headers.get("Content-Disposition", "")
                    assert disposition.startswith("attachment;") and disposition.endswith(".pdf"), what
                    assert response.headers.get("X-Content-Type-Options") == "nosniff", what
                elif kind in PAGES_AS_JSON:
                    assert response.mimetype == "application/json", what
                else:
                    assert response.mimetype == "text/html", f"{what}: a file from a page endpoint"
                    assert "attachment" not in response.headers.get("Content-Disposition", ""), what
                served.add(kind)
    # Not vacuous: each login got the downloads its role has (every staff role and units get exports).
    assert "download_view" in served, (username, served)
    if role != "admin":
        assert {"export_xlsx_view", "template_view"} <= served, (username, served)
    assert offered <= served, (username, offered - served)
    if role in ("office", "center"):
        assert served >= STORED_FILES, (username, served)
    if role == "unit":
        assert {"summary_view", "filing_view", "import_report_view"} <= served, (username, served)


@pytest.mark.parametrize("username", ["unit_a", "office"])
def test_a_disguised_file_is_never_served_as_a_page(client, inscope, username):
    """PNG bytes stored under the name evil.html (A's material, B's photo): the stored type, nosniff, a name
    without .html."""
    login(client, username)
    material = db.session.query(Material).filter_by(original_name="evil.html").one()
    response = client.get(f"/applications/materials/download/?mid={material.id}")
    assert response.status_code == 200
    assert_stored_file(response, username)
    if username == "office":
        reg = db.session.query(Registration).filter_by(photo_name="evil.html").one()
        response = client.get(f"/registrations/file/?id={reg.id}&kind=photo")
        assert response.status_code == 200 and response.mimetype == "image/png"
        assert_stored_file(response, username)
    db.session.rollback()


@pytest.mark.parametrize("username", ["unit_a", "office", None], ids=lambda u: u or "anonymous")
def test_head_never_builds_a_file_and_never_fails(app, client, inscope, username):
    """HEAD on every GET endpoint of the URL map and every download that POSTs: a download is refused (405)
    before its file is built (no export audit row, no job); any other endpoint answers as its GET would, never
    a 500."""
    from models import AuditLog

    if username:
        login(client, username)
    downloads = 0
    for rule in app.url_map.iter_rules():
        download = rule.endpoint.rsplit(".", 1)[-1] in DOWNLOADS | {"export_view"}
        if "<" in rule.rule or not ("GET" in rule.methods or download):
            continue
        audit_rows = db.session.query(AuditLog).count()
        jobs = db.session.query(Job).count()
        db.session.rollback()
        response = client.head(rule.rule, query_string={"id": "1", "table": "all"})
        what = f"{username} HEAD {rule.endpoint}: {response.status_code}"
        assert response.status_code != 500, what
        if download:
            assert response.status_code == 405 and not response.data, what
            assert db.session.query(AuditLog).count() == audit_rows, what
            assert db.session.query(Job).count() == jobs, what
            db.session.rollback()
            downloads += 1
    assert downloads >= 20
