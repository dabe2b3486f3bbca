"""考务 and results in the browser (issue 17), as the users click: three 已报名 candidates → 市职鉴中心 sets up a
理论 and a 实作 场次 with 考场 → 自动编排 → 发布编排 → the unit's 准考证 PDF → 考场签到表 and 门贴 PDFs → 成绩导入
(a refused file with its problems by row and column, then a good one) → 发布成绩 → the unit sees the scores and
asks for 查分 → the centre answers 更正成绩 → 市工考办 publishes the 合格名单公示, records an objection and keeps
the person (维持) → after the 公示期 资格认定. Screenshots in artifacts/, PDF page renders in docs/screenshots/."""

import io
import re

import sqlalchemy as sa
from openpyxl import load_workbook

from admin_app.workflow.states import ExamKind
from tests.e2e.affairs_helpers import (
    PREFIX,
    after_notice_period,
    body,
    compact,
    create_session,
    download,
    draft_notice,
    link_href,
    pdf_text,
    publish_notice,
    publish_scores,
    registered_candidates,
    render_first_page,
    session_ids,
    tick_and_act,
)
from tests.e2e.test_menus import login

NAMES = (f"{PREFIX}甲", f"{PREFIX}乙", f"{PREFIX}丙")
SCORES = {NAMES[0]: (82, 88), NAMES[1]: (75, 79), NAMES[2]: (55, 80)}  # 丙 fails 理论 until 查分


def fill_scores(data: bytes, scores: dict, bad_name: str | None = None) -> bytes:
    """The downloaded template with ``scores`` typed in (rows of other candidates removed); ``bad_name``: that
    row's 业务理论成绩 typed as text."""
    book = load_workbook(io.BytesIO(data))
    sheet = book.active
    header_row = next(r for r in range(1, 6) if sheet.cell(r, 2).value == "准考证号")
    col = {sheet.cell(header_row, c).value: c for c in range(1, sheet.max_column + 1)}
    for r in range(sheet.max_row, header_row, -1):
        name = sheet.cell(r, col["姓名"]).value
        if name not in scores:
            sheet.delete_rows(r)
            continue
        theory, practice = scores[name]
        sheet.cell(r, col["业务理论成绩"]).value = "八十" if name == bad_name else theory
        sheet.cell(r, col["实际操作成绩"]).value = practice
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_exam_affairs_from_arrangement_to_recognition(page, live_server, shots, tmp_path, monkeypatch):
    page.on("dialog", lambda dialog: dialog.accept())
    regs = registered_candidates(live_server.app, NAMES)
    batch_id = live_server.facts["batch_id"]

    # 1. 市职鉴中心: a 理论 场次 with two 考场 and a 实作 场次 with one.
    login(page, live_server, "center")
    create_session(
        page, live_server, batch_id, "考务理论一场", ExamKind.THEORY, "2026-12-19", "09:00", "11:00",
        [("综合楼301", 30), ("综合楼302", 30)],
    )  # fmt: skip
    create_session(
        page, live_server, batch_id, "考务实作一场", ExamKind.PRACTICE, "2026-12-20", "14:00", "17:00",
        [("实训车间A", 20)],
    )  # fmt: skip
    sessions = session_ids(live_server, PREFIX)
    assert len(sessions) == 2

    # 2. 自动编排, the seats, then 发布编排.
    page.goto(f"{live_server}/exam_sessions/")
    tick_and_act(page, sessions, "arrange")
    text = body(page)
    assert "已编排理论场次 1 个，共 3 名考生" in text and "已编排实作场次 1 个，共 3 名考生" in text, text[
        :600
    ]
    page.screenshot(path=str(shots / "affairs-1-sessions-arranged.png"), full_page=True)
    page.goto(f"{live_server}/seats/?search={PREFIX}")
    seats = page.inner_text("table.model-list")
    assert all(name in seats for name in NAMES) and "第01考场" in seats
    page.screenshot(path=str(shots / "affairs-2-seats.png"), full_page=True)
    page.goto(f"{live_server}/exam_sessions/")
    tick_and_act(page, sessions, "publish_arrangement")
    assert "已发布编排" in body(page), body(page)[:600]

    # 3. The unit opens its candidate's 准考证 and downloads the PDF.
    login(page, live_server, "unit_demo")
    first = regs[NAMES[0]]
    page.goto(f"{live_server}/registrations/ticket/?id={first}")
    assert "考务理论一场" in body(page) or "综合楼301" in body(page), body(page)[:600]
    page.screenshot(path=str(shots / "affairs-3-ticket.png"), full_page=True)
    ticket = download(page, link_href(page, "a[href*='ticket.pdf']"))
    assert ticket.headers["content-type"].startswith("application/pdf") and ticket.body()[:5] == b"%PDF-"
    text = pdf_text(ticket.body())
    assert NAMES[0] in text and "第01考场" in text and "综合楼301" in text and "实训车间A" in text, text
    render_first_page(ticket.body(), "e2e_ticket")

    # 4. The centre's 考场签到表 and 门贴 of the first 理论 考场.
    login(page, live_server, "center")
    page.goto(f"{live_server}/room_documents/")
    page.screenshot(path=str(shots / "affairs-4-room-documents.png"), full_page=True)
    room = "table.model-list tr:has-text('综合楼301')"
    sheet = download(page, link_href(page, f"{room} a[href*='sign-in.pdf']")).body()
    assert all(name in pdf_text(sheet) for name in NAMES) and "考务理论一场" in pdf_text(sheet)
    render_first_page(sheet, "e2e_sign_in_sheet")
    door = download(page, link_href(page, f"{room} a[href*='door-sign.pdf']")).body()
    first_ticket, last_ticket = sorted(_tickets(live_server, regs.values()))[::2]
    assert "第01考场" in pdf_text(door) and f"{first_ticket}—{last_ticket}" in pdf_text(door), pdf_text(door)
    render_first_page(door, "e2e_door_sign")

    # 5. 成绩导入: the template, a refused file (the problem by row and column), then the good file.
    page.goto(f"{live_server}/scores/score-import/?batch={batch_id}")
    template = download(page, link_href(page, "a:has-text('本批次全部已报名考生')")).body()
    bad, good = tmp_path / "成绩_有错.xlsx", tmp_path / "成绩.xlsx"
    bad.write_bytes(fill_scores(template, SCORES, bad_name=NAMES[1]))
    good.write_bytes(fill_scores(template, SCORES))
    page.set_input_files("input[name=file]", str(bad))
    page.click("button:has-text('导入成绩')")
    page.wait_for_load_state("networkidle")
    cells = page.eval_on_selector_all(
        "#problems tr:has(td)", "rows => rows.map(r => [...r.cells].map(c => c.textContent.trim()))"
    )
    assert "共发现 1 处问题，未导入任何成绩" in body(page)
    assert cells == [["4", "业务理论成绩", "业务理论成绩应为数字"]], cells  # 乙: the sheet's 4th row
    marked = load_workbook(io.BytesIO(download(page, link_href(page, "a:has-text('文件副本')")).body()))
    assert "错误说明" in [c.value for c in marked.active[2]]
    page.screenshot(path=str(shots / "affairs-5-score-import-refused.png"), full_page=True)
    page.set_input_files("input[name=file]", str(good))
    page.click("button:has-text('导入成绩')")
    page.wait_for_load_state("networkidle")
    assert "新录入 3 人" in body(page), body(page)[:600]
    page.screenshot(path=str(shots / "affairs-6-score-import-done.png"), full_page=True)

    # 6. The unit does not see them yet; the centre publishes them (发布成绩 of the 理论 场次).
    login(page, live_server, "unit_demo")
    page.goto(f"{live_server}/scores/?search={PREFIX}")
    assert NAMES[0] in body(page) and "82" not in page.inner_text("table.model-list")
    login(page, live_server, "center")
    publish_scores(page, live_server, session_id=sessions[0])  # the 理论 场次: its candidates' scores
    page.screenshot(path=str(shots / "affairs-7-scores-published.png"), full_page=True)
    assert "本次发布 3 人，此前已发布 0 人，未能发布 0 人" in body(page), body(page)[:600]

    # 7. The unit sees the scores and asks for 查分 for 丙.
    login(page, live_server, "unit_demo")
    page.goto(f"{live_server}/scores/?search={PREFIX}")
    listed = compact(page.inner_text("table.model-list"))
    assert "55" in listed and "82" in listed, listed
    page.screenshot(path=str(shots / "affairs-8-unit-scores.png"), full_page=True)
    failed = regs[NAMES[2]]
    page.goto(f"{live_server}/scores/recheck/?id={failed}")
    page.fill("#reason", "本人对业务理论成绩有疑问，申请复核。")
    page.click("button:has-text('提交查分申请')")
    page.wait_for_load_state("networkidle")
    assert "查分申请已提交" in body(page)
    recheck_id = re.search(r"id=(\d+)", page.url).group(1)

    # 8. The centre answers 更正成绩 with the corrected 理论 score.
    login(page, live_server, "center")
    page.goto(f"{live_server}/rechecks/correct/?id={recheck_id}")
    page.fill("input[name=theory]", "65")
    page.fill("#opinion", "复核试卷发现漏计10分，更正为65分。")
    page.screenshot(path=str(shots / "affairs-9-recheck-correct.png"), full_page=True)
    page.click("button:has-text('更正成绩并答复')")
    page.wait_for_load_state("networkidle")
    assert "成绩已更正" in body(page), body(page)[:600]
    login(page, live_server, "unit_demo")  # the unit reads the corrected score: now 合格
    page.goto(f"{live_server}/scores/?search={NAMES[2]}")
    row = compact(page.inner_text("table.model-list"))
    assert "65" in row and "合格" in row and "不合格" not in row, row

    # 9. 市工考办: the 公示 drafted, published; an objection recorded on 乙 and kept (维持).
    login(page, live_server, "office")
    notice_id = draft_notice(page, live_server, batch_id, "2021年度技术等级考核合格人员名单公示")
    assert all(name in body(page) for name in NAMES), body(page)[:800]
    publish_notice(page, live_server, notice_id)
    page.goto(f"{live_server}/result_notices/details/?id={notice_id}")
    entries = page.inner_text("body")
    seq = re.search(r"(\d+)\s+" + NAMES[1], entries).group(1)
    page.fill("#seq", seq)
    page.fill("#source", "来信（匿名）")
    page.fill("#text", "反映其实际操作考试时有他人协助。")
    page.click("button:has-text('记录异议')")
    page.wait_for_load_state("networkidle")
    assert f"已记录对“{NAMES[1]}”的异议" in body(page)
    page.screenshot(path=str(shots / "affairs-10-notice-objection.png"), full_page=True)
    notice_pdf = download(page, link_href(page, "a[href*='notice.pdf']")).body()
    assert all(name in pdf_text(notice_pdf) for name in NAMES)
    render_first_page(notice_pdf, "e2e_result_notice")
    page.goto(f"{live_server}/objections/")
    page.click("table.model-list a[href*='/objections/details/']")
    page.wait_for_load_state("networkidle")
    page.fill("#opinion", "经调查核实，考场监考记录无异常，维持合格结论。")
    page.click("#decide-form button:has-text('维持')")
    page.wait_for_load_state("networkidle")
    assert "成功 1 条" in body(page) or "已维持" in body(page), body(page)[:600]

    # 10. After the 公示期 (the app's clock moved past its last day), 资格认定 of the three.
    after_notice_period(monkeypatch, live_server, notice_id)
    login(page, live_server, "office")  # days later: the session of the 公示 day has expired
    page.goto(f"{live_server}/recognitions/?search={PREFIX}")
    tick_and_act(page, [regs[name] for name in NAMES], "recognise")
    page.click("button:has-text('确认资格认定')")
    page.wait_for_load_state("networkidle")
    assert "成功 3 条" in body(page), body(page)[:600]
    page.screenshot(path=str(shots / "affairs-11-recognised.png"), full_page=True)


def _tickets(live_server, ids):
    from admin_app.extensions import db
    from models import Registration

    with live_server.app.app_context():
        return list(db.session.scalars(sa.select(Registration.ticket_number).where(Registration.id.in_(ids))))
