"""Helpers of the 考务 and results browser test: the 已报名 candidates a unit would have registered through the
报名 form (photos included), downloads through the logged-in browser session, PDF text and page renders."""

import io
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pypdfium2 as pdfium
import sqlalchemy as sa
from PIL import Image

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PREFIX = "考务"  # every candidate of the test is named 考务… (the lists' search finds them alone)


def photo_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 420), (70, 110, 170)).save(buffer, "PNG")
    return buffer.getvalue()


def registered_candidates(app, names: tuple[str, ...], seq_from: int = 600) -> dict[str, int]:
    """``names`` as 已报名 candidates (理论和实作, 四级, 维修电工) of unit_demo's unit in the demo's open 2021 batch,
    each with a 准考证号 and a photo, as 报名 and 缴费确认 leave them: {name: registration id}. ``seq_from``: the
    people's numbers (and so ID numbers) start after it — another test of the same server takes others."""
    from admin_app.extensions import db
    from admin_app.workflow.states import ExamCategory, RegistrationState
    from models import ExamBatch, Trade, User
    from tests.e2e.conftest import add_candidate
    from tests.factories import store_test_file

    ids = {}
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "unit_demo"))
        batch = db.session.scalar(sa.select(ExamBatch).where(ExamBatch.year == 2021))
        trade = db.session.scalar(sa.select(Trade).where(Trade.name == "维修电工"))
        for n, name in enumerate(names, start=1):
            reg = add_candidate(
                user.organisation,
                batch,
                trade,
                name,
                seq=seq_from + n,
                birth=date(1985, 3 + (seq_from - 600) // 100, n),
                worker={"work_start_date": date(2005, 7, 1), "current_grade": 5},
                grade=4,
                status=RegistrationState.REGISTERED,
                exam_category=ExamCategory.BOTH,
                phone="1380013800" + str(n),
            )
            reg.ticket_number = f"20214{reg.id:06d}"
            reg.photo_name, reg.photo_content_type = "照片.png", "image/png"
            reg.photo_stored = store_test_file(f"photos/e2e/{reg.id}.png", photo_png())
            ids[name] = reg.id
        db.session.commit()
    return ids


def download(page, href: str):
    """GET ``href`` with the browser's cookies (the file a click on the link would save)."""
    base = page.url.split("/", 3)[:3]
    url = href if href.startswith("http") else "/".join(base) + href
    response = page.context.request.get(url)
    assert response.ok, f"{url}: {response.status}"
    return response


def clicked_download(page, selector: str) -> bytes:
    """Click the button ``selector`` (a POST form: 导出查询结果 and the other buttons that may queue a job) and
    return the file the browser saves."""
    with page.expect_download() as info:
        page.click(selector)
    return Path(info.value.path()).read_bytes()


def link_href(page, selector: str) -> str:
    return page.eval_on_selector(selector, "a => a.getAttribute('href')")


def pdf_text(data: bytes) -> str:
    """All pages' text, whitespace removed (CJK runs come back with spaces between glyphs)."""
    document = pdfium.PdfDocument(data)
    return "".join("".join(document[i].get_textpage().get_text_range().split()) for i in range(len(document)))


def render_first_page(data: bytes, name: str) -> Path:
    """Page 1 of the PDF as docs/screenshots/``name``.png (about 100 dpi)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    pdfium.PdfDocument(data)[0].render(scale=100 / 72).to_pil().save(path)
    return path


def set_select(page, selector: str, value) -> None:
    """Choose ``value`` in a <select> (select2 hides the element itself)."""
    page.eval_on_selector(
        selector,
        "(el, v) => { el.value = String(v); el.dispatchEvent(new Event('change', {bubbles: true})); }",
        value,
    )


def tick_and_act(page, ids, action: str) -> None:
    """Tick the rows ``ids`` on a list and choose ``action`` in the 选中的 menu."""
    for row_id in ids:
        page.check(f"input.action-checkbox[value='{row_id}']")
    page.click("text=选中的")
    page.click(f"a[data-gk-action='{action}']")
    page.wait_for_load_state("networkidle")


def compact(text):
    return re.sub(r"\s+", " ", text)


def body(page):
    return compact(page.inner_text("body"))


def create_session(page, live_server, batch_id, name, kind, day, start, end, rooms):
    """市职鉴中心's 考试场次 form: ``kind`` theory/practice, ``day`` YYYY-MM-DD, ``start``/``end`` HH:MM, ``rooms``
    [(考场位置, 座位数)] numbered 1, 2, …"""
    page.goto(f"{live_server}/exam_sessions/new/")
    set_select(page, "#batch", batch_id)
    page.fill("#name", name)
    set_select(page, "#kind", kind)
    page.fill("#exam_date", day)
    page.fill("#start_time", start)
    page.fill("#end_time", end)
    page.fill("#site", "重庆市职业技能鉴定中心")
    page.fill("#address", "重庆市渝中区长江一路1号")
    for i, (location, capacity) in enumerate(rooms):
        page.click("#rooms-button")
        page.fill(f"#rooms-{i}-number", str(i + 1))
        page.fill(f"#rooms-{i}-location", location)
        page.fill(f"#rooms-{i}-capacity", str(capacity))
    page.click("input[type=submit][value='保存']")
    page.wait_for_load_state("networkidle")
    assert "创建记录成功" in body(page), body(page)[:400]


def session_ids(live_server, prefix: str) -> list[int]:
    from admin_app.extensions import db
    from models import ExamSession

    with live_server.app.app_context():
        query = sa.select(ExamSession.id).where(ExamSession.name.startswith(prefix)).order_by(ExamSession.id)
        return list(db.session.scalars(query))


def publish_scores(page, live_server, batch_id=None, session_id=None) -> None:
    """成绩发布 (市职鉴中心): the button of the batch or of the exam session on the 成绩发布 page."""
    page.goto(f"{live_server}/score_publication/")
    where = f"#session-{session_id}" if session_id else f"#batch-{batch_id} .card-header"
    page.click(f"{where} button:has-text('发布本')")
    page.wait_for_load_state("networkidle")


def draft_notice(page, live_server, batch_id, title: str) -> int:
    """新建公示 (市工考办) of the batch; the browser left on its details page. The notice's id."""
    from admin_app.extensions import db
    from models import ResultNotice

    page.goto(f"{live_server}/result_notices/new/")
    set_select(page, "#batch_id", batch_id)
    page.fill("#title", title)
    page.click("input[type=submit][value='保存']")
    page.wait_for_load_state("networkidle")
    with live_server.app.app_context():
        notice_id = db.session.scalar(
            sa.select(ResultNotice.id).where(ResultNotice.title == title).order_by(ResultNotice.id.desc())
        )
    page.goto(f"{live_server}/result_notices/details/?id={notice_id}")
    return notice_id


def publish_notice(page, live_server, notice_id) -> None:
    """发布公示 on the notice's details page (its confirmation accepted by the page's dialog handler)."""
    page.goto(f"{live_server}/result_notices/details/?id={notice_id}")
    page.click("#publish_notice-form button")
    page.wait_for_load_state("networkidle")
    assert "成功 1 条" in body(page) or "已发布" in body(page), body(page)[:600]


def after_notice_period(monkeypatch, live_server, notice_id) -> None:
    """The app's one clock (``clock._instant``) moved to 10:00 Beijing on the day after the notice's last day."""
    from admin_app.extensions import db
    from admin_app.services import clock
    from models import ResultNotice

    with live_server.app.app_context():
        end = db.session.get(ResultNotice, notice_id).end_date
    moment = datetime(end.year, end.month, end.day, 10, tzinfo=clock.zone()) + timedelta(days=1)
    monkeypatch.setattr(clock, "_instant", lambda: moment)
