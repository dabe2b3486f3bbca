"""准考证, 考场签到表 and 门贴 (issue 17 point 2), on both databases: the PDFs made on the server are read back as
text (pypdfium2). A ticket is refused until its candidate is arranged (every kind in a published session) and
has a photo; the batch PDF of a filter (a 下载中心 job for more than one candidate) lists the others on a first
未能打印 page; the 签到表 is in seat order and the 门贴 names the ticket range; units reach only their own candidates
and no room."""

import io
from datetime import date, time

import pypdfium2 as pdfium
import pytest
from PIL import Image

from admin_app import limits
from admin_app.extensions import db
from admin_app.services import exam_documents
from admin_app.workflow.states import ArrangementState, ExamCategory, ExamKind
from models import AuditLog
from tests import arrangement_world
from tests.batch_pdfs import batch_pdf
from tests.conftest import login
from tests.factories import PNG, store_test_file
from tests.integration.test_download_jobs import queue  # noqa: F401  (the fixture)
from tests.integration.test_exam_pipeline import approved, register_and_pay

SEARCH = "票"  # every candidate of this module is named 票…申报人 (the list's search finds them alone)


def real_photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (600, 840), (40, 90, 160)).save(buffer, "PNG")
    return buffer.getvalue()


def pdf_text(data: bytes) -> list[str]:
    """The text of each page (whitespace removed: CJK runs come back with spaces between glyphs)."""
    document = pdfium.PdfDocument(data)
    pages = []
    for i in range(len(document)):
        text = document[i].get_textpage().get_text_range()
        pages.append("".join(text.split()))
    return pages


def page_size(data: bytes) -> tuple[float, float]:
    width, height = pdfium.PdfDocument(data)[0].get_size()
    return round(width), round(height)


def add_session(world, name, kind, day, start, state=ArrangementState.PUBLISHED):
    """A session of the world's batch with one room of 30 seats (第01考场 at 教学楼01室), two hours long."""
    end = time(start.hour + 2, start.minute)
    return arrangement_world.add_session(
        world.batch, kind, (30,), name=name, day=day, start=start, end=end, state=state
    )


def seat(session, reg, number):
    arrangement_world.add_seat(session, reg, number)


@pytest.fixture
def arranged(world):
    """票1 (理论和实作, both seated, published, real photo), 票2 (实作 not seated), 票3 (仅理论, seated, a photo
    that does not decode), 票4 (仅理论, seated in a session still 编排中); units of 渝中区, one each."""
    regs, units = {}, {}
    for n in range(1, 5):
        unit, _app, reg = approved(world, f"票{n}", grade=4, seq=400 + n)
        register_and_pay(world, unit, reg, photo=PNG if n == 3 else real_photo())
        regs[n], units[n] = reg, unit
    for n in (3, 4):
        regs[n].exam_category = ExamCategory.THEORY
    theory = add_session(world, "第一场理论考试", ExamKind.THEORY, date(2026, 12, 19), time(9, 0))
    practice = add_session(world, "第二场实作考试", ExamKind.PRACTICE, date(2026, 12, 20), time(14, 0))
    draft = add_session(
        world, "第三场理论考试", ExamKind.THEORY, date(2026, 12, 21), time(9, 0), ArrangementState.DRAFT
    )
    seat(theory, regs[1], 2)
    seat(theory, regs[2], 1)
    seat(theory, regs[3], 3)
    seat(practice, regs[1], 7)
    seat(draft, regs[4], 1)
    db.session.commit()
    return {"regs": regs, "units": units, "theory": theory, "practice": practice, "draft": draft}


def username(arranged, n):
    return arranged["units"][n].users[0].username


def test_ticket_pdf_shows_every_sitting_after_publication(client, arranged):
    reg = arranged["regs"][1]
    login(client, username(arranged, 1))
    response = client.get(f"/registrations/ticket.pdf?id={reg.id}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert page_size(response.data) == (595, 842)  # A4 portrait
    (text,) = pdf_text(response.data)
    for shown in ("准考证", reg.ticket_number, "票1申报人", reg.worker.id_number, "票1单位"):
        assert shown in text, shown
    # one row per sitting, in date order: 科目, date, time, site and address, room and location, seat
    place = "重庆市职业技能鉴定中心重庆市渝中区测试路1号第01考场教学楼01室"
    theory = f"理论2026年12月19日09:00–11:00{place}02"
    practice = f"实作2026年12月20日14:00–16:00{place}07"
    assert theory in text and practice in text
    assert text.index(theory) < text.index(practice)
    assert "另行通知" not in text
    audit = db.session.query(AuditLog).filter_by(action="export", object_type="Registration").one()
    assert "准考证PDF" in audit.detail and audit.object_id == str(reg.id)


def test_the_preview_shows_the_ticket_and_links_the_pdf(client, arranged):
    reg = arranged["regs"][1]
    login(client, username(arranged, 1))
    body = client.get(f"/registrations/ticket/?id={reg.id}").get_data(as_text=True)
    assert "教学楼01室" in body and f"/registrations/ticket.pdf?id={reg.id}" in body
    assert "另行通知" not in body


@pytest.mark.parametrize(
    ("n", "reason"),
    [(2, "实作尚未编排考场"), (3, "电子照片无法读取"), (4, "理论考场编排尚未发布")],
)
def test_ticket_refused_until_arranged_and_with_a_photo(client, arranged, n, reason):
    reg = arranged["regs"][n]
    login(client, username(arranged, n))
    for endpoint in ("ticket.pdf", "ticket/"):
        response = client.get(f"/registrations/{endpoint}?id={reg.id}", follow_redirects=True)
        assert response.mimetype == "text/html", endpoint
        assert reason in response.get_data(as_text=True), endpoint
    assert not db.session.query(AuditLog).filter_by(action="export").count()


def test_ticket_refused_without_any_photo(arranged):
    reg = arranged["regs"][1]
    reg.photo_stored = None
    db.session.flush()
    tickets, refused = exam_documents.tickets_of([reg])
    assert not tickets and refused[0].reason == "没有电子照片，请先上传"
    db.session.rollback()


@pytest.mark.usefixtures("queue")
def test_batch_pdf_of_the_filter_lists_the_unprintable_first(app, client, world, arranged, monkeypatch):
    """Four candidates: a 下载中心 job, drawn one candidate per WeasyPrint call (three chunks draw no ticket), the
    未能打印 page put first."""
    monkeypatch.setattr(limits, "PDF_CHUNK", 1)
    login(client, "office")
    pages = pdf_text(batch_pdf(app, client, f"/registrations/tickets.pdf?search={SEARCH}", people=4))
    assert len(pages) == 2
    refused, tickets = pages
    assert refused.startswith("未能打印（3人）")
    for n, reason in (
        (2, "实作尚未编排考场"),
        (3, "电子照片无法读取，请重新上传"),
        (4, "理论考场编排尚未发布"),
    ):
        assert f"票{n}申报人票{n}单位{reason}" in refused, n  # 姓名, 单位, 原因 of one row
    assert "票1申报人" not in refused and "已生成准考证1人" in refused
    assert "票1申报人" in tickets and arranged["regs"][1].ticket_number in tickets


def test_batch_pdf_is_scoped_to_the_unit(app, client, arranged):
    login(client, username(arranged, 1))
    pages = pdf_text(
        batch_pdf(app, client, f"/registrations/tickets.pdf?search={SEARCH}", people=1)
    )  # in the request
    assert len(pages) == 1 and "票1申报人" in pages[0]  # the others are not this unit's: not even listed
    assert not any("票2" in page or "未能打印" in page for page in pages)


def test_batch_pdf_above_the_limit_is_refused(client, arranged, monkeypatch):
    monkeypatch.setattr("admin_app.limits.TICKET_PDF_PAGES", 1)  # two tickets
    login(client, "office")
    response = client.post(
        "/registrations/tickets.pdf", query_string={"search": SEARCH}, follow_redirects=True
    )
    assert response.mimetype == "text/html"
    assert "一次最多生成2人的准考证PDF" in response.get_data(as_text=True)
    assert not db.session.query(AuditLog).filter_by(action="export").count()


def test_unit_cannot_print_another_units_ticket(client, arranged):
    login(client, username(arranged, 2))
    assert client.get(f"/registrations/ticket.pdf?id={arranged['regs'][1].id}").status_code == 404


def room_of(session, number=1):
    return next(r for r in session.rooms if r.number == number)


def test_sign_in_sheet_rows_in_seat_order(client, arranged):
    login(client, "center")
    room = room_of(arranged["theory"])
    response = client.get(f"/room_documents/sign-in.pdf?id={room.id}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert page_size(response.data) == (595, 842)
    (text,) = pdf_text(response.data)
    for shown in (
        "考场签到表",
        "第一场理论考试（理论）",
        "2026年12月19日09:00–11:00",
        "第01考场（教学楼01室）",
        "考生签名",
    ):
        assert shown in text, shown
    regs = arranged["regs"]
    positions = [text.index(f"票{n}申报人") for n in (2, 1, 3)]  # seats 01, 02, 03
    assert positions == sorted(positions)
    assert regs[2].worker.id_number in text  # the full ID number (the centre's own sheet)
    assert "票4申报人" not in text


def test_sign_in_sheet_repeats_its_header_on_each_page(client, world, arranged):
    room = room_of(arranged["practice"])
    for n in range(1, 15):
        _unit, _app, reg = approved(world, f"票x{n}", grade=4, seq=500 + n)
        seat(arranged["practice"], reg, 10 + n)
    db.session.commit()
    login(client, "center")
    pages = pdf_text(client.get(f"/room_documents/sign-in.pdf?id={room.id}").data)
    assert len(pages) == 2
    assert all("第二场实作考试（实作）" in page and "考生签名" in page for page in pages)


def test_door_sign_names_the_ticket_range(client, arranged):
    login(client, "office")
    room = room_of(arranged["theory"])
    response = client.get(f"/room_documents/door-sign.pdf?id={room.id}")
    assert response.status_code == 200
    assert page_size(response.data) == (842, 595)  # A4 landscape
    (text,) = pdf_text(response.data)
    numbers = sorted(arranged["regs"][n].ticket_number for n in (1, 2, 3))
    assert f"准考证号：{numbers[0]}—{numbers[-1]}" in text
    assert "本考场考生3人" in text and "第01考场" in text and "教学楼01室" in text


def test_room_documents_wait_for_publication(client, arranged):
    login(client, "center")
    room = room_of(arranged["draft"])
    for endpoint in ("sign-in.pdf", "door-sign.pdf"):
        response = client.get(f"/room_documents/{endpoint}?id={room.id}", follow_redirects=True)
        assert response.mimetype == "text/html"
        assert "考场编排尚未发布" in response.get_data(as_text=True)


@pytest.mark.parametrize("user", ["unit_a", "yuzhong_hr", "party_org", "city_hr", "admin"])
def test_only_the_centre_and_the_office_print_room_documents(client, arranged, user):
    login(client, user)
    room = room_of(arranged["theory"])
    for endpoint in ("sign-in.pdf", "door-sign.pdf", ""):
        assert client.get(f"/room_documents/{endpoint}?id={room.id}").status_code == 403, endpoint


def test_room_list_links_both_documents(client, arranged):
    login(client, "center")
    body = client.get("/room_documents/").get_data(as_text=True)
    room = room_of(arranged["theory"])
    assert f"/room_documents/sign-in.pdf?id={room.id}" in body
    assert f"/room_documents/door-sign.pdf?id={room.id}" in body


def test_bureau_prints_its_jurisdictions_tickets(client, arranged):
    login(client, "shapingba_hr")  # the candidates' units are in 渝中区
    assert client.get(f"/registrations/ticket.pdf?id={arranged['regs'][1].id}").status_code == 404
    login(client, "yuzhong_hr")
    assert client.get(f"/registrations/ticket.pdf?id={arranged['regs'][1].id}").status_code == 200


def test_room_over_capacity_is_refused(arranged):
    room = room_of(arranged["theory"])
    room.capacity = 2
    db.session.flush()
    assert "超过容量（2人）" in exam_documents.room_documents(room)
    db.session.rollback()


def test_photos_are_shrunk_before_they_go_into_a_pdf(arranged):
    big = io.BytesIO()
    Image.new("RGB", (3000, 4200), (200, 10, 10)).save(big, "JPEG")
    stored = store_test_file("photos/test/big.jpg", big.getvalue())
    data = exam_documents.photo_jpeg(stored)
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG" and image.size[0] <= exam_documents.PHOTO_PIXELS[0]
    assert exam_documents.photo_jpeg(store_test_file("photos/test/fake.png", PNG)) is None


def test_a_room_above_the_seat_limit_is_refused_reading_one_row_more(arranged, monkeypatch):
    """A room made before the bound (its capacity above ``limits.ROOM_SEATS``) holding more seats than the bound:
    refused with the reason, not drawn."""
    monkeypatch.setattr(limits, "ROOM_SEATS", 2)
    room = room_of(arranged["theory"])  # capacity 30, three seats taken
    assert (
        exam_documents.room_documents(room)
        == "一个考场最多2个座位，该考场安排的考生超过此数，请拆分考场后再打印"
    )
    monkeypatch.setattr(limits, "ROOM_SEATS", 3)
    docs = exam_documents.room_documents(room)
    assert [row.seat for row in docs.rows] == [1, 2, 3]


def test_sign_in_sheet_photos_are_the_frames_size_in_seat_order(arranged):
    """The 签到表's photos are shrunk to its small frame on worker threads, each in its own row; a photo that does
    not decode leaves its frame empty."""
    docs = exam_documents.room_documents(room_of(arranged["theory"]))
    regs = arranged["regs"]
    assert [row.registration_id for row in docs.rows] == [regs[2].id, regs[1].id, regs[3].id]
    for row in docs.rows[:2]:
        with Image.open(io.BytesIO(row.photo)) as image:
            assert image.format == "JPEG"
            assert image.size[0] <= exam_documents.SHEET_PHOTO_PIXELS[0] < exam_documents.PHOTO_PIXELS[0]
    assert docs.rows[2].photo is None  # 票3's PNG that does not decode
    names = [regs[1].photo_stored, None, "photos/none/missing.jpg", regs[2].photo_stored]
    shrunk = exam_documents.sheet_photos(names)
    assert shrunk[1] is None and shrunk[2] is None and shrunk[0] and shrunk[3]
