"""Stored files are served only as the type detected at upload — a JPEG named ``evil.html`` never becomes a page —
on every file endpoint, for the unit and the office (both databases)."""

import importlib.util
import io
import re
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.services import uploads
from admin_app.workflow.states import EvaluationState, ExamCategory, RecognitionState, RegistrationState
from models import Material, Registration
from tests.conftest import login, text_of
from tests.integration.test_candidate_import import HEADER, xlsx

# Bytes that a browser sniffing the content would render as HTML, behind real magic numbers.
PAGE = b"<html><body><script>alert(document.cookie)</script><form>phishing</form></body></html>"
JPEG_PAGE = b"\xff\xd8\xff\xe0" + PAGE
PDF_PAGE = b"%PDF-1.4\n" + PAGE

# Names that say "a stored file is served here". A new endpoint matching them must be added to a test below.
FILE_WORDS = re.compile(r"(?<![a-z])(file|download|photo|material|report|attachment)s?(?![a-z])")


def file_endpoints(app) -> set[str]:
    return {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and rule.endpoint.split(".")[0] not in ("static", "admin")
        if FILE_WORDS.search(rule.endpoint) or FILE_WORDS.search(rule.rule)
    }


def assert_served_as(response, content_type, disposition, ext, body):
    """The stored type (never the name's), the disposition, a safe name with the type's extension, nosniff."""
    assert response.status_code == 200, response.status_code
    assert response.mimetype == content_type
    header = response.headers["Content-Disposition"]
    assert header.split(";")[0] == disposition, header
    assert "html" not in header.lower() and f'.{ext}"' in header and header.endswith(f".{ext}"), header
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.data == body


def test_every_file_endpoint_is_walked_by_these_tests(app):
    walked = {
        *(f"{view}.file_view" for view in ("registrations", "scores", "evaluations", "recognitions")),
        "applications.material_download_view",
        "review_queue.material_download_view",
        "registrations.import_report_view",
        # 成绩导入's marked copy: walked in tests/integration/test_score_import.py (served as below)
        "scores.score_import_report_view",
        *(f"{view}.print_photo_view" for view in ("applications", "review_queue")),
        # a page that takes files (批量上传申报材料), walked below: it serves none
        "review_queue.bulk_material_upload_view",
        # 下载中心 (its URL says download: every endpoint matches): the file of a finished job is walked in
        # test_scope_matrix_downloads.py and test_download_jobs.py (xlsx attachment, nosniff, the owner alone);
        # the others are its pages and Flask-Admin's refused ones
        *(endpoint for endpoint in file_endpoints(app) if endpoint.startswith("downloads.")),
    }
    assert file_endpoints(app) == walked


def test_disguised_photo_and_id_copy_are_served_as_detected_on_every_stage(app, client, world):
    reg = world.registrations["A"]  # unit_a's, waiting for 报名
    login(client, "unit_a")
    response = client.post(
        f"/registrations/register/?id={reg.id}",
        data={
            "phone": "13800001111",
            "exam_category": ExamCategory.BOTH,
            "photo": (io.BytesIO(JPEG_PAGE), "evil.html"),
            "id_copy": (io.BytesIO(PDF_PAGE), "身份证复印件.html"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, text_of(response)[:500]
    db.session.expire_all()
    assert (reg.photo_content_type, reg.id_copy_content_type) == ("image/jpeg", "application/pdf")
    # Into every stage list (test data only), so that each list's file endpoint serves it.
    db.session.execute(
        sa.update(Registration)
        .where(Registration.id == reg.id)
        .values(
            status=RegistrationState.REGISTERED,
            evaluation_status=EvaluationState.PENDING,
            recognition_status=RecognitionState.PENDING,
        )
    )
    db.session.commit()

    endpoints = sorted(e for e in file_endpoints(app) if e.endswith(".file_view"))
    assert len(endpoints) == 4
    for username in ("unit_a", "office"):
        login(client, username)
        for endpoint in endpoints:
            url = f"/{endpoint.split('.')[0]}/file/?id={reg.id}"
            photo = client.get(f"{url}&kind=photo")
            assert_served_as(photo, "image/jpeg", "inline", "jpg", JPEG_PAGE)
            assert 'filename="evil.jpg"' in photo.headers["Content-Disposition"]
            copy = client.get(f"{url}&kind=id_copy")
            assert_served_as(copy, "application/pdf", "attachment", "pdf", PDF_PAGE)
            assert "filename*=UTF-8''%E8%BA%AB%E4%BB%BD%E8%AF%81" in copy.headers["Content-Disposition"]
    # The 登记表 shows the same photo, served as detected, within the application's scope only.
    for username in ("unit_a", "office"):
        login(client, username)
        photo = client.get(f"/applications/print/photo/?id={reg.application_id}")
        assert_served_as(photo, "image/jpeg", "inline", "jpg", JPEG_PAGE)
    # 待我审核 serves it only for a row at the reviewer's own step (this one is decided).
    assert client.get(f"/review_queue/print/photo/?id={reg.application_id}").status_code == 404
    # Another unit reaches neither file.
    login(client, "unit_b")
    assert client.get(f"/registrations/file/?id={reg.id}&kind=photo").status_code == 404
    assert client.get(f"/applications/print/photo/?id={reg.application_id}").status_code == 404


def test_the_bulk_materials_page_takes_files_and_serves_none(client, world):
    login(client, "yuzhong_hr")
    page = client.get("/review_queue/materials/bulk/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "Content-Disposition" not in page.headers and 'type="file"' in page.get_data(as_text=True)


def test_a_stored_type_outside_the_allowed_list_is_never_inline(client, world):
    reg = world.registrations["B"]  # has a photo (PNG)
    for recorded in ("text/html", "image/svg+xml", None):
        db.session.execute(
            sa.update(Registration).where(Registration.id == reg.id).values(photo_content_type=recorded)
        )
        db.session.commit()
        login(client, "office")
        response = client.get(f"/recognitions/file/?id={reg.id}&kind=photo")
        assert_served_as(
            response, "application/octet-stream", "attachment", "bin", response.data
        )  # bytes as stored
        assert response.data.startswith(b"\x89PNG")


def test_disguised_material_is_an_attachment_of_its_detected_type_for_everyone_who_sees_it(client, world):
    app_b = world.applications["B"]  # waits at 沙坪坝's step
    login(client, "shapingba_hr")
    client.post(
        f"/review_queue/materials/upload/?id={app_b.id}",
        data={"file": (io.BytesIO(JPEG_PAGE), "evil.html")},
        follow_redirects=True,
    )
    material = db.session.scalar(
        sa.select(Material).where(Material.application_id == app_b.id).order_by(Material.id.desc())
    )
    assert (material.content_type, material.original_name) == ("image/jpeg", "evil.html")
    for username, view in [
        ("shapingba_hr", "review_queue"),
        ("shapingba_hr", "applications"),
        ("unit_b", "applications"),
        ("office", "applications"),
    ]:
        login(client, username)
        response = client.get(f"/{view}/materials/download/?mid={material.id}")
        assert_served_as(response, "image/jpeg", "attachment", "jpg", JPEG_PAGE)
    login(client, "office")  # not the office's step: the queue does not hold it
    assert client.get(f"/review_queue/materials/download/?mid={material.id}").status_code == 404


def test_import_report_is_a_spreadsheet_attachment_never_a_page(client, world):
    login(client, "unit_a")
    body = text_of(
        client.post(
            "/registrations/import/",
            data={"file": (io.BytesIO(xlsx([dict.fromkeys(HEADER, "<b>x</b>")])), "evil.html")},
            content_type="multipart/form-data",
        )
    )
    token = body.split("import/report.xlsx?token=")[1].split('"')[0]
    response = client.get(f"/registrations/import/report.xlsx?token={token}")
    assert_served_as(response, uploads.XLSX_TYPE, "attachment", "xlsx", response.data)
    assert response.data.startswith(b"PK")


@pytest.mark.parametrize(
    ("name", "content_type", "expected"),
    [
        ("evil.html", "image/jpeg", "inline; filename=\"evil.jpg\"; filename*=UTF-8''evil.jpg"),
        ("照片.png", "image/png", "inline; filename=\"file.png\"; filename*=UTF-8''%E7%85%A7%E7%89%87.png"),
        (
            'a";b\r\nX: y.pdf',
            "application/pdf",
            "inline; filename=\"a_bX__y.pdf\"; filename*=UTF-8''a_bX_%20y.pdf",
        ),
        ("../../etc/passwd", None, "inline; filename=\"passwd.bin\"; filename*=UTF-8''passwd.bin"),
        (None, "text/html", "inline; filename=\"file.bin\"; filename*=UTF-8''" + quote("未命名文件.bin")),
    ],
)
def test_download_names_are_safe_and_carry_the_served_types_extension(name, content_type, expected):
    assert uploads.content_disposition("inline", name, content_type) == expected


def test_the_migration_backfills_types_from_the_generated_stored_names(world):
    path = Path(__file__).parents[2] / "migrations/versions/0010_upload_content_types.py"
    spec = importlib.util.spec_from_file_location("migration_0010", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    rows = {"A": ("photos/1/a.JPG", "idcopies/1/a.pdf"), "B": ("photos/1/b.png", "idcopies/1/b.html")}
    for key, (photo, copy) in rows.items():
        db.session.execute(
            sa.update(Registration)
            .where(Registration.id == world.registrations[key].id)
            .values(
                photo_stored=photo, id_copy_stored=copy, photo_content_type=None, id_copy_content_type=None
            )
        )
    conn = db.session.connection()
    migration.backfill(conn, "photo_stored", "photo_content_type", migration.PHOTO_TYPES)
    migration.backfill(conn, "id_copy_stored", "id_copy_content_type", migration.ID_COPY_TYPES)
    found = {
        row.id: (row.photo_content_type, row.id_copy_content_type)
        for row in db.session.execute(
            sa.select(Registration.id, Registration.photo_content_type, Registration.id_copy_content_type)
        )
    }
    assert found[world.registrations["A"].id] == ("image/jpeg", "application/pdf")
    assert found[world.registrations["B"].id] == (
        "image/png",
        None,
    )  # not an allowed type: served as a download
    assert found[world.registrations["P"].id] == (None, None)  # no files
