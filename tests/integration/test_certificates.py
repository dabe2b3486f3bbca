"""证书 PDFs (issue 18 points 1–3): the A4 certificate of one person and of the 资格认定 list's filter, scoped as
the list, only for 已认定 rows; its QR code carries a signed link to 证书查验 that says nothing and cannot be
forged; the file carries the office's signature, which validates and breaks when one byte changes. Both
databases."""

import re

import pypdfium2.raw as pdfium_c
import pytest
import sqlalchemy as sa

from admin_app import limits
from admin_app.config import ConfigError, load_config
from admin_app.extensions import db
from admin_app.services import certificate_links, certificate_signing, clock
from admin_app.workflow import certificates as certificate_flow
from admin_app.workflow.states import RecognitionState, ScorePublication, ScoreResult
from models import AuditLog, CertificateLink, Registration, enums
from tests.batch_pdfs import batch_pdf
from tests.certificate_helpers import pdf_text, qr_links, recognised, signature_status
from tests.conftest import login, text_of
from tests.integration.test_download_jobs import queue  # noqa: F401  (the fixture)
from tests.integration.test_registration_pdf import pages_of
from tests.scope_world import USERNAMES, build_inscope_world, expected_ids

A4_LANDSCAPE = (841.89, 595.28)


def _pdf(client, reg):
    return client.get(f"/recognitions/certificate.pdf?id={reg.id}")


def test_the_certificate_pdf_prints_the_person_and_a_qr_link_that_verifies(app, client, world):
    unit, application, reg = recognised(world, "cert1", 501)
    login(client, unit.users[0].username)
    response = _pdf(client, reg)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    data = response.data
    (page,) = pages_of(data)
    width, height = page.get_size()
    assert abs(width - A4_LANDSCAPE[0]) < 1 and abs(height - A4_LANDSCAPE[1]) < 1
    text = re.sub(r"\s+", "", pdf_text(data))
    person = application.worker
    day = clock.to_beijing(reg.recognised_at).date()
    for expected in (
        "技术等级（岗位）证书",
        reg.certificate_number,
        person.name,
        person.id_number,
        "电工",
        "五级（初级工）",
        f"{day.year}年{day.month}月{day.day}日",
        reg.recognised_by.name,  # the issuing office: here the 渝中区 bureau that recognised it
        unit.name,
    ):
        assert expected in text, expected
    images = list(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]))
    assert len(images) == 2  # the photo and the QR code
    (link,) = qr_links(data)
    assert link.startswith("http://localhost/verify/")
    token = link.rsplit("/", 1)[1]
    # The link names neither the number nor the person; its value is the random one kept for the certificate
    for secret in (reg.certificate_number, person.id_number[-6:], person.name):
        assert secret not in token
    stored = db.session.scalar(sa.select(CertificateLink).where(CertificateLink.registration_id == reg.id))
    assert token.split(".")[0] == stored.token
    client.post("/logout")
    page_text = text_of(client.get(link.removeprefix("http://localhost")))
    assert "有效" in page_text and person.name[0] + "*" in page_text and person.name not in page_text
    # A second PDF prints the same link (one random value per certificate)
    login(client, "office")
    assert qr_links(_pdf(client, reg).data) == [link]
    audit = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "export")).all()
    assert sum("证书PDF" in (row.detail or "") for row in audit) == 2


def test_the_office_signature_validates_and_one_changed_byte_breaks_it(app, client, world):
    _unit, _app, reg = recognised(world, "cert2", 502)
    login(client, "office")
    data = _pdf(client, reg).data
    status = signature_status(data, app)
    assert status.intact and status.valid and status.trusted and status.bottom_line, (
        status.pretty_print_details()
    )
    # One byte of the signed content (the producer's name in the document information) changed
    at = data.index(b"WeasyPrint")
    altered = data[:at] + b"X" + data[at + 1 :]
    assert len(altered) == len(data)
    broken = signature_status(altered, app)
    assert not broken.intact and not broken.bottom_line


def test_certificates_follow_the_row_scope_and_only_recognised_rows_have_one(app, client, world):
    unit, _app, reg = recognised(world, "cert3", 503)
    # The owner, the 渝中区 bureau and the office get it; another unit and another 区县's bureau get a 404
    for username, status in (
        (unit.users[0].username, 200),
        ("yuzhong_hr", 200),
        ("office", 200),
        ("unit_a", 404),
        ("liangjiang_hr", 404),
    ):
        login(client, username)
        assert _pdf(client, reg).status_code == status, username
    # A row that is not recognised: no certificate, the details page says why
    login(client, "office")
    pending = world.registrations["B"]
    response = client.get(f"/recognitions/certificate.pdf?id={pending.id}", follow_redirects=True)
    assert response.mimetype == "text/html"
    # Revoked (撤销认定): no certificate any more, neither alone nor in the filter's file
    assert certificate_flow.revoke(world.users[enums.OFFICE], [reg.id], "弄虚作假", "渝工考〔2026〕1号").done
    db.session.expire_all()
    response = _pdf(client, reg)
    assert response.status_code == 302
    assert "该证书已撤销" in text_of(client.get(response.headers["Location"]))
    response = client.post("/recognitions/certificates.pdf?all_batches=1", follow_redirects=True)
    assert response.mimetype == "text/html" and "当前查询没有已认定的证书" in text_of(response)


@pytest.mark.usefixtures("queue")
def test_the_filters_file_holds_every_recognised_row_of_the_scope_up_to_the_cap(
    app, client, world, monkeypatch
):
    first_unit, _a1, first = recognised(world, "cert4", 504)
    _u2, _a2, second = recognised(world, "cert5", 505)
    login(client, "yuzhong_hr")
    monkeypatch.setattr(limits, "PDF_CHUNK", 1)  # two WeasyPrint calls merged, then signed once
    data = batch_pdf(app, client, "/recognitions/certificates.pdf?all_batches=1", people=2)  # a 下载中心 job
    assert len(pages_of(data)) == 2
    text = pdf_text(data)
    assert first.certificate_number in text and second.certificate_number in text
    assert signature_status(data, app).intact
    # The unit's filter: its own certificate only (one: made in the request)
    login(client, first_unit.users[0].username)
    data = batch_pdf(app, client, "/recognitions/certificates.pdf?all_batches=1", people=1)
    assert len(pages_of(data)) == 1 and second.certificate_number not in pdf_text(data)
    # Another 区县's bureau: nothing of these
    login(client, "liangjiang_hr")
    response = client.post("/recognitions/certificates.pdf?all_batches=1", follow_redirects=True)
    assert response.mimetype == "text/html" and "当前查询没有已认定的证书" in text_of(response)
    # Above the cap: refused in Chinese, nothing made
    monkeypatch.setattr(limits, "CERTIFICATE_PDF_ROWS", 1)
    login(client, "office")
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog))
    response = client.post("/recognitions/certificates.pdf?all_batches=1", follow_redirects=True)
    assert response.mimetype == "text/html"
    assert "一次最多生成1份证书PDF" in text_of(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == before


def test_a_link_token_cannot_be_forged_altered_or_guessed(app, world):
    key = app.config["CERTIFICATE_LINK_KEY"]
    with app.test_request_context():
        _unit, _app, reg = recognised(world, "cert6", 506)
        token = certificate_links.token_for(key, reg.id)
        db.session.commit()
        assert certificate_links.registration_id_for(key, token) == reg.id
        value, signature = token.split(".")
        flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
        for wrong in (
            f"{value}.{flipped}",  # altered signature
            f"{value[:-1]}{'A' if value[-1] != 'A' else 'B'}.{signature}",  # altered value
            certificate_links.sign("another key", value),  # signed with another key
            certificate_links.sign(key, "A" * 24),  # a well-signed value no certificate has
            str(reg.id),
            reg.certificate_number,
            "",
            "." * 3,
            "x" * 500,
        ):
            assert certificate_links.registration_id_for(key, wrong) is None, wrong


def test_production_needs_a_link_key_and_never_makes_a_signing_key(tmp_path):
    with pytest.raises(ConfigError, match="CERTIFICATE_LINK_KEY"):
        load_config(str(tmp_path), {"APP_ENV": "production", "SECRET_KEY": "k" * 32})
    config = load_config(
        str(tmp_path), {"APP_ENV": "production", "SECRET_KEY": "k" * 32, "CERTIFICATE_LINK_KEY": "c" * 32}
    )
    with pytest.raises(certificate_signing.SigningUnavailable):
        certificate_signing.settings(config, str(tmp_path))
    assert not (tmp_path / certificate_signing.DEV_DIR).exists()
    # Development: one key made once, its own file (not the session key)
    dev = load_config(str(tmp_path / "dev"), {})
    assert dev["CERTIFICATE_LINK_KEY"] != dev["SECRET_KEY"]
    assert load_config(str(tmp_path / "dev"), {})["CERTIFICATE_LINK_KEY"] == dev["CERTIFICATE_LINK_KEY"]


def test_without_a_signing_key_no_certificate_is_made(app, client, world, monkeypatch):
    _unit, _app, reg = recognised(world, "cert7", 507)
    monkeypatch.setitem(app.config, "APP_ENV", "production")
    login(client, "office")
    response = _pdf(client, reg)
    assert response.status_code == 302
    assert "证书签名密钥未配置" in text_of(client.get(response.headers["Location"]))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CertificateLink)) == 0
    db.session.expire_all()
    kept = db.session.get(Registration, reg.id)
    assert (
        kept.recognition_status == reg.recognition_status
        and kept.certificate_number == reg.certificate_number
    )


# --- the generated matrix: every login × every certificate of the in-scope world -----------------------------


def _recognise_directly(registrations) -> list:
    """Rows waiting for recognition made 已认定 with a number and published results (who may download is what
    is tested here; the transition itself is tested above)."""
    from models.org import utcnow

    for reg in registrations:
        reg.recognition_status = RecognitionState.RECOGNISED
        reg.certificate_number = f"CQTEST{reg.id:06d}"
        reg.recognised_at = utcnow()
        reg.score_result = ScoreResult.PASS
        reg.score_publication, reg.scores_published_at = ScorePublication.PUBLISHED, utcnow()
    db.session.commit()
    return sorted(reg.id for reg in registrations)


@pytest.mark.usefixtures("queue")
@pytest.mark.parametrize("username", [*USERNAMES, None], ids=lambda u: u or "anonymous")
def test_certificate_downloads_follow_the_scope_of_every_login(app, client, world, username):
    build_inscope_world(world)
    waiting = db.session.scalars(
        sa.select(Registration).where(Registration.recognition_status.is_not(None))
    ).all()
    ids = _recognise_directly(waiting)
    assert len(ids) >= 3
    numbers = {reg.id: reg.certificate_number for reg in waiting}
    expected = expected_ids("recognitions", username) & set(ids) if username else set()
    if username:
        login(client, username)
    # One person's certificate: each row of the scope, and no other
    for pk in ids:
        response = client.get(f"/recognitions/certificate.pdf?id={pk}")
        what = f"{username} certificate of {pk}"
        if pk in expected:
            assert response.status_code == 200 and response.mimetype == "application/pdf", what
            assert numbers[pk] in pdf_text(response.data), what
        elif username is None:
            assert response.status_code == 302 and "/login" in response.headers["Location"], what
        else:
            assert response.status_code in (403, 404), f"{what}: {response.status_code}"
    # The filter's file (from the 下载中心 for more than one): exactly the certificates of the scope
    url = "/recognitions/certificates.pdf?all_batches=1"
    if expected:
        text = pdf_text(batch_pdf(app, client, url, people=len(expected)))
        assert {pk for pk in ids if numbers[pk] in text} == expected, username
    elif username is None:
        response = client.post(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    elif username == "admin":
        assert client.post(url).status_code == 403
    else:
        response = client.post(url)
        assert response.status_code == 302 and response.mimetype == "text/html", username
    db.session.rollback()
