"""Shared by the certificate tests: a recognised registration, its certificate PDF read back (text, the QR
code read from the rendered page), and the signature checked."""

import io

import pypdfium2 as pdfium
import zxingcpp
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from admin_app import workflow
from admin_app.extensions import db
from admin_app.services import certificate_signing
from models import enums
from tests.factories import put_on_ended_notice
from tests.integration.test_exam_pipeline import scores
from tests.integration.test_registration_pdf import through_the_chain


def recognised(world, key: str, seq: int, grade: int = 5):
    """An application of a fresh 区县属 unit (渝中区) through review, 报名 with a photo, scores, 公示 and 资格认定
    by the 区县 bureau: (unit, application, registration)."""
    unit, app, reg = through_the_chain(world, key, grade=grade, seq=seq, supervisor=world.units["P"])
    assert workflow.enter_scores(world.users[enums.CENTER], [scores(reg.id, "80", "75.5")]) == {}
    put_on_ended_notice(reg)
    assert workflow.recognise(world.users[enums.DISTRICT_HR], [reg.id]).done
    db.session.expire_all()
    return unit, app, reg


def pdf_text(data: bytes) -> str:
    document = pdfium.PdfDocument(data)
    return "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))


def qr_links(data: bytes, page: int = 0) -> list[str]:
    """The QR codes read from page ``page`` rendered at 200 dpi (as a phone camera would see the print)."""
    image = pdfium.PdfDocument(data)[page].render(scale=200 / 72).to_pil()
    return [
        found.text for found in zxingcpp.read_barcodes(image) if found.format == zxingcpp.BarcodeFormat.QRCode
    ]


def signature_status(data: bytes, app):
    """pyHanko's validation of the file's one signature against the configured (here: development) key."""
    material = certificate_signing.settings(app.config, app.instance_path)
    cert = certificate_signing.signer(material).signing_cert
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    (signature,) = reader.embedded_signatures
    return validate_pdf_signature(signature, ValidationContext(trust_roots=[cert]))
