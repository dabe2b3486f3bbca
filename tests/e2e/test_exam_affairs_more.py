"""考务 and results in the browser, the paths the first flow (test_exam_affairs_flow.py) does not take: the
考场编排 exported to Excel; the unit's 准考证 of its whole filter as one PDF (two to a page, a 下载中心 job); a candidate marked 违纪
and the 违纪通报 list exported; a 查分 answered 维持原成绩; a 合格名单公示 exported to Excel and an objection
resolved 取消, which ends that person's 资格认定 for the batch. Every file is downloaded through the logged-in
browser session and opened (openpyxl, pypdfium2). Screenshots in docs/screenshots/affairs-more-*.png."""

import io
import re

import pypdfium2 as pdfium
from openpyxl import load_workbook

from admin_app.workflow.states import ExamKind
from tests.e2e.affairs_helpers import (
    SCREENSHOTS,
    body,
    clicked_download,
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
from tests.e2e.job_queue import download_newest, own_queue, run_worker
from tests.e2e.test_exam_affairs_flow import fill_scores
from tests.e2e.test_menus import login

PREFIX = "考二"  # this test's candidates and sessions (the other flow's are 考务…)
NAMES = (f"{PREFIX}甲", f"{PREFIX}乙", f"{PREFIX}丙")
SCORES = {NAMES[0]: (81, 86), NAMES[1]: (77, 70), NAMES[2]: (90, 91)}
MISCONDUCT = "携带手机进入考场并使用"


def sheet_of(data: bytes):
    """(header row, data rows) of the first sheet of a downloaded workbook."""
    rows = list(load_workbook(io.BytesIO(data), read_only=True).active.iter_rows(values_only=True))
    header = next(i for i, row in enumerate(rows) if row and "姓名" in row)
    return list(rows[header]), [list(r) for r in rows[header + 1 :] if any(v is not None for v in r)]


def shot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"affairs-more-{name}.png"), full_page=True)


def test_exports_batch_tickets_misconduct_upheld_recheck_and_cancelled_objection(page, live_server, tmp_path):
    page.on("dialog", lambda dialog: dialog.accept())
    regs = registered_candidates(live_server.app, NAMES, seq_from=700)
    batch_id = live_server.facts["batch_id"]

    # 1. 市职鉴中心: a 理论 and a 实作 场次, 自动编排, 发布编排; the seats exported to Excel.
    login(page, live_server, "center")
    create_session(
        page, live_server, batch_id, f"{PREFIX}理论场", ExamKind.THEORY, "2026-12-26", "09:00", "11:00",
        [("综合楼401", 30)],
    )  # fmt: skip
    create_session(
        page, live_server, batch_id, f"{PREFIX}实作场", ExamKind.PRACTICE, "2026-12-27", "14:00", "17:00",
        [("实训车间B", 20)],
    )  # fmt: skip
    sessions = session_ids(live_server, PREFIX)
    page.goto(f"{live_server}/exam_sessions/")
    tick_and_act(page, sessions, "arrange")
    page.goto(f"{live_server}/exam_sessions/")
    tick_and_act(page, sessions, "publish_arrangement")
    assert "已发布编排" in body(page), body(page)[:600]
    page.goto(f"{live_server}/seats/?search={PREFIX}")
    shot(page, "1-seats")
    header, rows = sheet_of(clicked_download(page, "button:has-text('导出查询结果')"))
    assert {"姓名", "准考证号"} <= set(header), header
    # every seat of the batch (the seats list has no search; the other flow's published seats are there too)
    mine = [r for r in rows if str(r[header.index("场次")]).startswith(PREFIX)]
    assert len(mine) == 6, rows  # three candidates × (理论, 实作)
    theory = [r for r in rows if r[header.index("场次")] == f"{PREFIX}理论场"]
    assert sorted(r[header.index("姓名")] for r in theory) == sorted(NAMES), rows
    first = next(r for r in theory if r[header.index("姓名")] == NAMES[0])
    assert "第01考场" in str(first[header.index("考场")]) and first[header.index("座位号")] in (1, 2, 3), (
        first
    )
    assert str(first[header.index("准考证号")]).startswith("20214"), first

    # 2. The unit: the 准考证 of its filter in one PDF — three candidates, two to an A4 page.
    # Three candidates: a 下载中心 job (more than one person), run by a worker, downloaded from the 下载中心.
    login(page, live_server, "unit_demo")
    page.goto(f"{live_server}/registrations/?search={PREFIX}")
    shot(page, "2-registrations")
    with own_queue(live_server.app, "tickets"):
        page.click("#tickets-pdf")
        page.wait_for_url("**/downloads/")
        assert "共3人，准考证PDF已转为后台任务" in body(page), body(page)[:600]
        run_worker(live_server.app)
        name, tickets = download_newest(page)
    assert name.startswith("准考证_3人_") and name.endswith(".pdf") and tickets.startswith(b"%PDF")
    document = pdfium.PdfDocument(tickets)
    assert len(document) == 2, len(document)
    text = pdf_text(tickets)
    assert all(name in text for name in NAMES) and "未能打印" not in text, text[:400]
    assert "综合楼401" in text and "实训车间B" in text
    render_first_page(tickets, "e2e_tickets_batch")

    # 3. 市职鉴中心 imports the scores, marks 丙 违纪 on the details page, publishes; 违纪通报 to Excel.
    login(page, live_server, "center")
    page.goto(f"{live_server}/scores/score-import/?batch={batch_id}")
    template = download(page, link_href(page, f"a[href*='score-template.xlsx?session={sessions[0]}']")).body()
    scores_file = tmp_path / "成绩.xlsx"
    scores_file.write_bytes(fill_scores(template, SCORES))
    page.set_input_files("input[name=file]", str(scores_file))
    page.click("button:has-text('导入成绩')")
    page.wait_for_load_state("networkidle")
    assert "新录入 3 人" in body(page), body(page)[:600]
    page.goto(f"{live_server}/scores/details/?id={regs[NAMES[2]]}")
    page.fill("#opinion", MISCONDUCT)
    page.click("#decide-form button:has-text('标记违纪')")
    page.wait_for_load_state("networkidle")
    assert "成功 1 条" in body(page), body(page)[:600]
    publish_scores(page, live_server, session_id=sessions[0])
    assert "本次发布 3 人" in body(page), body(page)[:600]
    page.goto(f"{live_server}/misconduct/?search={PREFIX}")
    shot(page, "3-misconduct")
    header, rows = sheet_of(clicked_download(page, "button:has-text('导出查询结果')"))
    assert "违纪原因" in header and "姓名" in header, header
    assert [r[header.index("姓名")] for r in rows] == [NAMES[2]], rows
    assert rows[0][header.index("违纪原因")] == MISCONDUCT

    # 4. The unit asks for 查分 of 乙; the centre answers 维持原成绩; the unit reads the answer and the score.
    login(page, live_server, "unit_demo")
    page.goto(f"{live_server}/scores/recheck/?id={regs[NAMES[1]]}")
    page.fill("#reason", "实际操作成绩低于预期，申请复核。")
    page.click("button:has-text('提交查分申请')")
    page.wait_for_load_state("networkidle")
    assert "查分申请已提交" in body(page)
    recheck_id = re.search(r"id=(\d+)", page.url).group(1)
    login(page, live_server, "center")
    page.goto(f"{live_server}/rechecks/details/?id={recheck_id}")
    page.fill("#opinion", "复核评分记录，各项得分无误，维持原成绩。")
    page.click("#decide-form button:has-text('维持原成绩')")
    page.wait_for_load_state("networkidle")
    assert "成功 1 条" in body(page), body(page)[:600]
    login(page, live_server, "unit_demo")
    page.goto(f"{live_server}/rechecks/details/?id={recheck_id}")
    answered = body(page)
    assert "维持原成绩" in answered and "各项得分无误" in answered, answered[:800]
    shot(page, "4-recheck-upheld")
    page.goto(f"{live_server}/scores/?search={NAMES[1]}")
    row = compact(page.inner_text("table.model-list"))
    assert "77" in row and "70" in row and "合格" in row, row

    # 5. 市工考办: the 公示 of 甲 and 乙 (丙 违纪 is not on it), to Excel; an objection on 甲 resolved 取消.
    login(page, live_server, "office")
    notice_id = draft_notice(page, live_server, batch_id, "考二合格人员名单公示")
    listed = body(page)
    assert NAMES[0] in listed and NAMES[1] in listed and NAMES[2] not in listed, listed[:800]
    publish_notice(page, live_server, notice_id)
    page.goto(f"{live_server}/result_notices/details/?id={notice_id}")
    header, rows = sheet_of(download(page, link_href(page, "a:has-text('下载公示名单Excel')")).body())
    assert header[:5] == ["序号", "姓名", "单位", "工种", "等级"], header
    by_name = {r[1]: r for r in rows}
    assert set(by_name) >= {NAMES[0], NAMES[1]} and NAMES[2] not in by_name, rows
    assert by_name[NAMES[0]][3] == "维修电工" and "中级工" in by_name[NAMES[0]][4], by_name[NAMES[0]]
    seq = re.search(r"(\d+)\s+" + NAMES[0], page.inner_text("body")).group(1)
    page.fill("#seq", seq)
    page.fill("#source", "电话举报")
    page.fill("#text", "反映其报名时提供的工作年限材料不实。")
    page.click("button:has-text('记录异议')")
    page.wait_for_load_state("networkidle")
    assert f"已记录对“{NAMES[0]}”的异议" in body(page)
    page.goto(f"{live_server}/objections/?search={NAMES[0]}")
    page.click("table.model-list a[href*='/objections/details/']")
    page.wait_for_load_state("networkidle")
    page.fill("#opinion", "经核查工作年限材料不实，取消其本批次认定资格。")
    page.click("#decide-form button:has-text('取消')")
    page.wait_for_load_state("networkidle")
    assert "成功 1 条" in body(page), body(page)[:600]
    shot(page, "5-objection-cancelled")
    page.goto(f"{live_server}/recognitions/?search={NAMES[0]}")
    row = compact(page.inner_text("table.model-list"))
    assert "已取消" in row, row
