"""证书 in the browser (issue 18, "How it is shown"): 市工考办 recognises a candidate whose 公示 has ended →
downloads the certificate PDF → its page is rendered to an image and the QR code read from it (zxing-cpp) →
the link opened on a phone-sized screen (390×844) → 有效 → 撤销认定 → the same link → 已撤销. Screenshots of the
PDF page and of the verification page in docs/screenshots/."""

from datetime import date

import pypdfium2 as pdfium
import sqlalchemy as sa
import zxingcpp

from admin_app.workflow.states import ExamCategory, RecognitionState, RegistrationState, ScoreResult
from tests.e2e.affairs_helpers import (
    SCREENSHOTS,
    body,
    download,
    link_href,
    pdf_text,
    render_first_page,
    tick_and_act,
)
from tests.e2e.test_menus import login

NAME = "证书甲"
PHONE = {"width": 390, "height": 844}


def passed_candidate(app) -> int:
    """A 四级 candidate of unit_demo's unit with published passing scores on a 公示 that ended yesterday (资格认定
    may follow), with a photo: its registration id."""
    from admin_app.extensions import db
    from admin_app.services import records
    from models import ExamBatch, Trade, User
    from models.org import utcnow
    from tests.e2e.affairs_helpers import photo_png
    from tests.e2e.conftest import add_candidate
    from tests.factories import put_on_ended_notice, store_test_file

    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "unit_demo"))
        batch = db.session.scalar(sa.select(ExamBatch).where(ExamBatch.year == 2021))
        trade = db.session.scalar(sa.select(Trade).where(Trade.name == "维修电工"))
        reg = add_candidate(
            user.organisation,
            batch,
            trade,
            NAME,
            seq=701,
            birth=date(1984, 6, 1),
            worker={"work_start_date": date(2004, 7, 1), "current_grade": 5},
            grade=4,
            status=RegistrationState.REGISTERED,
            exam_category=ExamCategory.BOTH,
            phone="13800138701",
            theory_score=86,
            practice_score=90,
            score_result=ScoreResult.PASS,
            recognition_status=RecognitionState.PENDING,
        )
        reg.ticket_number = f"20214{reg.id:06d}"
        reg.photo_name, reg.photo_content_type = "照片.png", "image/png"
        reg.photo_stored = store_test_file(f"photos/e2e/{reg.id}.png", photo_png())
        db.session.flush()
        # the record kept when the application was submitted (撤销 restores the grade it names)
        records.keep([reg.application_id], "submit", utcnow())
        put_on_ended_notice(reg)
        db.session.commit()
        return reg.id


def read_qr(data: bytes) -> str:
    image = pdfium.PdfDocument(data)[0].render(scale=200 / 72).to_pil()
    (found,) = [r for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]
    return found.text


def test_recognise_download_scan_verify_revoke(page, browser, live_server):
    page.on("dialog", lambda dialog: dialog.accept())
    reg_id = passed_candidate(live_server.app)

    # 1. 市工考办 recognises the candidate on the 资格认定 list.
    login(page, live_server, "office")
    page.goto(f"{live_server}/recognitions/?search={NAME}")
    tick_and_act(page, [reg_id], "recognise")
    page.click("button:has-text('确认资格认定')")
    page.wait_for_load_state("networkidle")
    assert "成功 1 条" in body(page), body(page)[:600]

    # 2. The certificate PDF from the row's details page.
    page.goto(f"{live_server}/recognitions/details/?id={reg_id}")
    href = link_href(page, "a:has-text('下载证书PDF')")
    response = download(page, href)
    assert response.headers["content-type"] == "application/pdf"
    data = response.body()
    text = pdf_text(data)
    assert NAME in text and "四级（中级工）" in text and "维修电工" in text
    render_first_page(data, "e2e_certificate_pdf")

    # 3. The QR code read from the rendered page: an absolute link to 证书查验 on this server.
    link = read_qr(data)
    assert link.startswith(f"{live_server}/verify/"), link

    # 4. Opened on a phone, without logging in: 有效, the name masked.
    phone = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    try:
        mobile = phone.new_page()
        violations = []
        mobile.on(
            "console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None
        )
        opened = mobile.goto(link)
        assert "script-src 'self' 'nonce-" in opened.headers["content-security-policy"]
        status = mobile.inner_text("#verify-status")
        assert status.strip() == "有效", status
        shown = body(mobile)
        assert "证*" in shown and NAME not in shown and "维修电工" in shown
        # nothing wider than the phone's screen
        assert mobile.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        mobile.screenshot(path=str(SCREENSHOTS / "e2e_certificate_verify_valid.png"), full_page=True)

        # 5. 撤销认定 by 市工考办, then the same link says 已撤销 with the date.
        revoke(page, live_server, reg_id)
        mobile.goto(link)
        status = mobile.inner_text("#verify-status")
        assert status.startswith("已撤销（") and status.strip().endswith("撤销）"), status
        mobile.screenshot(path=str(SCREENSHOTS / "e2e_certificate_verify_revoked.png"), full_page=True)

        # 6. The form on the phone: number + last 6 of the ID number.
        number, id_tail = certificate_facts(live_server.app, reg_id)
        mobile.goto(f"{live_server}/verify/")
        mobile.fill("#number", number)
        mobile.fill("#id_tail", id_tail)
        mobile.click("button:has-text('查验')")
        mobile.wait_for_load_state("networkidle")
        assert mobile.inner_text("#verify-status").startswith("已撤销")
        mobile.goto(f"{live_server}/verify/")
        mobile.fill("#number", number)
        mobile.fill("#id_tail", "000000")
        mobile.click("button:has-text('查验')")
        mobile.wait_for_load_state("networkidle")
        assert "未查询到相符的证书信息" in mobile.inner_text("#verify-message")
        mobile.screenshot(path=str(SCREENSHOTS / "e2e_certificate_verify_form.png"), full_page=True)
        assert violations == [], (
            violations
        )  # the public page runs under the app's CSP (no inline style/script)
    finally:
        phone.close()


def revoke(page, live_server, reg_id: int) -> None:
    """撤销认定 as the office does it: the 资格认定 list's 选中的 menu, with the reason and the 文号."""
    page.goto(f"{live_server}/recognitions/?search={NAME}")
    tick_and_act(page, [reg_id], "revoke_recognition")
    page.fill("#opinion", "经查实，申报材料弄虚作假")
    page.fill("input[name='revoke_document']", "渝工考〔2026〕9号")
    page.click("button:has-text('确认撤销认定')")
    page.wait_for_load_state("networkidle")
    assert "成功 1 条" in body(page), body(page)[:600]


def certificate_facts(app, reg_id: int) -> tuple[str, str]:
    from admin_app.extensions import db
    from models import Registration

    with app.app_context():
        reg = db.session.get(Registration, reg_id)
        return reg.certificate_number, reg.worker.id_number[-6:]
