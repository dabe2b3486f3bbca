"""A registration's details page in the browser (manual 4.2, the second method): the unit fills the 报名表 with
a photo; 市工考办 opens the row and sees the photo inline beside the full ID number, and decides at the bottom
of the page. Screenshots in docs/screenshots/registration-details-*.png."""

import struct
import zlib
from datetime import date
from pathlib import Path

from tests.e2e.conftest import add_candidate
from tests.e2e.test_menus import login

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def portrait_png(width: int = 240, height: int = 320) -> bytes:
    """A passport-style placeholder photo (a grey head and shoulders on light blue), as a real PNG."""

    def pixel(x, y):
        head = ((x - width / 2) / (width * 0.22)) ** 2 + ((y - height * 0.38) / (height * 0.2)) ** 2 <= 1
        body = ((x - width / 2) / (width * 0.45)) ** 2 + ((y - height * 1.05) / (height * 0.42)) ** 2 <= 1
        return b"\x78\x7f\x8a" if head or body else b"\xd6\xe6\xf5"

    raw = b"".join(b"\x00" + b"".join(pixel(x, y) for x in range(width)) for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _unregistered(app) -> dict:
    """An approved application of a new worker of unit_demo's unit, its registration 未报名."""
    import sqlalchemy as sa

    from admin_app.extensions import db
    from models import ExamBatch, Trade, User

    with app.app_context():
        unit = db.session.scalar(sa.select(User).where(User.username == "unit_demo")).organisation
        batch = db.session.scalar(sa.select(ExamBatch).where(ExamBatch.year == 2021))
        trade = db.session.scalar(sa.select(Trade).where(Trade.name == "维修电工"))
        registration = add_candidate(
            unit,
            batch,
            trade,
            "赵照片",
            seq=61,
            birth=date(1978, 3, 12),
            worker={
                "work_start_date": date(1998, 7, 1),
                "current_grade": 5,
                "current_grade_date": date(2012, 1, 1),
            },
            grade=4,
        )
        worker, number = registration.worker, registration.worker.id_number
        db.session.commit()
        return {"id": registration.id, "number": number, "masked": worker.masked_id_number}


def _photo_shown(page) -> bool:
    return page.eval_on_selector(
        "#candidate-photo", "img => img.complete && img.naturalWidth === 240 && img.naturalHeight === 320"
    )


def test_photo_full_id_number_and_decisions_on_the_details_page(page, live_server, tmp_path):
    SCREENSHOTS.mkdir(exist_ok=True)
    reg = _unregistered(live_server.app)
    photo, id_copy = tmp_path / "赵照片.png", tmp_path / "身份证.pdf"
    photo.write_bytes(portrait_png())
    id_copy.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    page.on("dialog", lambda dialog: dialog.accept())

    # The unit fills the 报名表 with the photo; its own details page shows the photo and the full number,
    # and no decision of the 市工考办.
    login(page, live_server, "unit_demo")
    page.goto(f"{live_server}/registrations/register/?id={reg['id']}")
    page.set_input_files("#photo", str(photo))
    page.set_input_files("#id_copy", str(id_copy))
    page.fill("#phone", "13800138061")
    page.click('button:has-text("保存报名")')
    page.wait_for_load_state("networkidle")
    assert "报名成功" in page.inner_text("body")
    assert _photo_shown(page)
    assert page.inner_text("#candidate-worker-id_number").strip() == reg["number"]
    assert page.locator("#transitions").count() == 0

    # 市工考办: the photo inline beside the full ID number, the list masking it, the decisions at the bottom.
    login(page, live_server, "office")
    page.goto(f"{live_server}/registrations/?search=赵照片")
    listing = page.inner_text("table.model-list")
    assert reg["masked"] in listing and reg["number"] not in listing
    page.goto(f"{live_server}/registrations/details/?id={reg['id']}")
    assert _photo_shown(page)
    card = page.inner_text("#candidate")
    assert reg["number"] in card and "赵照片" in card and "待确认" in card
    assert reg["masked"] not in page.inner_text("body")
    buttons = page.inner_text("#transitions")
    assert "报名审核通过" in buttons and "退回报名" in buttons
    page.screenshot(path=str(SCREENSHOTS / "registration-details-1-office.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 620})
    page.screenshot(path=str(SCREENSHOTS / "registration-details-2-office-top.png"))

    page.click("#transitions button[value=confirm_registration]")
    page.wait_for_load_state("networkidle")
    assert "成功 1 条" in page.inner_text("body").replace("\n", " ").replace("  ", " ")
    page.goto(f"{live_server}/registrations/details/?id={reg['id']}")
    assert "待缴费确认" in page.inner_text("#candidate") and page.locator("#transitions").count() == 0

    # 市职鉴中心 sees the same photo and number, with its own decision (缴费确认).
    login(page, live_server, "center")
    page.goto(f"{live_server}/registrations/details/?id={reg['id']}")
    assert _photo_shown(page) and reg["number"] in page.inner_text("#candidate")
    assert "缴费确认" in page.inner_text("#transitions")
