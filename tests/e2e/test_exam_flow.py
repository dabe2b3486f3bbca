"""From an approved application to a printed certificate, in the browser: 报名 → 市工考办确认 → 缴费确认 →
考场编排 → 准考证 → 成绩录入 (grid) → 成绩发布 → 考核评审 with the committee vote → 合格名单公示 → after the
公示期 资格认定 → 证书. Screenshots in artifacts/."""

import re

from admin_app.workflow.states import ApplicationState, ExamKind
from tests.e2e.affairs_helpers import (
    after_notice_period,
    create_session,
    download,
    draft_notice,
    pdf_text,
    publish_notice,
    publish_scores,
    session_ids,
    tick_and_act,
)
from tests.e2e.test_application_flow import fill_application
from tests.e2e.test_menus import login

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
    b"\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82"
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def compact(text):
    return re.sub(r"\s+", " ", text)


def approved_application(page, live_server, tmp_path):
    """Take 王技能's 技师 application through unit → 区县 → 市工考办 (as in test_application_flow)."""
    facts = live_server.facts
    login(page, live_server, "unit_demo")
    page.goto(f"{live_server}/applications/?search=王技能")
    if "王技能" not in page.inner_text("body"):
        fill_application(page, live_server, facts)
    app_id = _first_id(page, live_server, "/applications/?search=王技能", "/applications/details/")
    with live_server.app.app_context():
        from admin_app.extensions import db
        from models import Application

        status = db.session.get(Application, int(app_id)).status
    if status == ApplicationState.DRAFT:
        page.goto(f"{live_server}/applications/?search=王技能")
        page.check(f"input.action-checkbox[value='{app_id}']")
        page.click("text=选中的")
        page.click("a[data-gk-action='submit']")
        page.wait_for_load_state("networkidle")
        status = ApplicationState.PENDING_DISTRICT_HR
    if status == ApplicationState.PENDING_DISTRICT_HR:
        login(page, live_server, "yuzhong_hr")
        page.goto(f"{live_server}/review_queue/details/?id={app_id}")
        pdf = tmp_path / "材料.pdf"
        pdf.write_bytes(PDF)
        page.set_input_files("input[name=file]", str(pdf))
        page.click("button:has-text('上传申报材料')")
        page.wait_for_load_state("networkidle")
        page.click("button[value=approve]")
        page.wait_for_load_state("networkidle")
        status = ApplicationState.PENDING_OFFICE
    if status == ApplicationState.PENDING_OFFICE:
        login(page, live_server, "office")
        page.goto(f"{live_server}/review_queue/details/?id={app_id}")
        page.click("button[value=approve]")
        page.wait_for_load_state("networkidle")
    return app_id


def _first_id(page, live_server, list_url, link):
    page.goto(live_server + list_url)
    href = page.eval_on_selector(f"table.model-list a[href*='{link}']", "a => a.getAttribute('href')")
    return re.search(r"id=(\d+)", href).group(1)


def test_exam_pipeline_to_printed_certificate(page, live_server, shots, tmp_path, monkeypatch):
    page.on("dialog", lambda dialog: dialog.accept())
    approved_application(page, live_server, tmp_path)

    # 1. The unit sees 未报名 and fills the 报名表.
    login(page, live_server, "unit_demo")
    reg_id = _first_id(page, live_server, "/registrations/?search=王技能", "/registrations/details/")
    assert "未报名" in page.inner_text("table.model-list")
    page.screenshot(path=str(shots / "exam-1-unit-unregistered.png"), full_page=True)
    page.goto(f"{live_server}/registrations/register/?id={reg_id}")
    photo, copy = tmp_path / "照片.png", tmp_path / "身份证.pdf"
    photo.write_bytes(PNG)
    copy.write_bytes(PDF)
    page.set_input_files("#photo", str(photo))
    page.set_input_files("#id_copy", str(copy))
    page.fill("#phone", "13800138000")
    page.check("#voluntary_training")
    page.screenshot(path=str(shots / "exam-2-registration-form.png"), full_page=True)
    page.click("button:has-text('保存报名')")
    page.wait_for_load_state("networkidle")
    assert "报名成功" in page.inner_text("body")

    # 2. 市工考办 confirms (ticked row → confirmation page).
    login(page, live_server, "office")
    page.goto(f"{live_server}/registrations/?search=王技能")
    page.check(f"input.action-checkbox[value='{reg_id}']")
    page.click("text=选中的")
    page.click("a[data-gk-action='confirm_registration']")
    page.wait_for_load_state("networkidle")
    page.click("button:has-text('确认报名审核通过')")
    page.wait_for_load_state("networkidle")
    assert "成功 1 条" in compact(page.inner_text("body"))

    # 3. 市职鉴中心 confirms the fee; the 准考证 prints.
    login(page, live_server, "center")
    page.goto(f"{live_server}/registrations/?search=王技能")
    page.check(f"input.action-checkbox[value='{reg_id}']")
    page.click("text=选中的")
    page.click("a[data-gk-action='confirm_fee']")
    page.wait_for_load_state("networkidle")
    page.fill("#receipt_number", "SJ20210801")
    page.click("button:has-text('缴费确认')")
    page.wait_for_load_state("networkidle")
    assert "成功 1 条" in compact(page.inner_text("body"))
    # 市职鉴中心 arranges a 理论 and a 实作 场次 and publishes them: the 准考证 prints from then on.
    batch_id = live_server.facts["batch_id"]
    for name, kind, day, start, end, room in (
        ("流程理论场", ExamKind.THEORY, "2026-12-26", "09:00", "11:00", "教学楼101"),
        ("流程实作场", ExamKind.PRACTICE, "2026-12-27", "09:00", "12:00", "实训楼201"),
    ):
        create_session(page, live_server, batch_id, name, kind, day, start, end, [(room, 30)])
    sessions = session_ids(live_server, "流程")
    page.goto(f"{live_server}/exam_sessions/")
    tick_and_act(page, sessions, "arrange")
    page.goto(f"{live_server}/exam_sessions/")
    tick_and_act(page, sessions, "publish_arrangement")
    assert "已发布编排" in compact(page.inner_text("body"))
    page.goto(f"{live_server}/registrations/ticket/?id={reg_id}")
    assert "准　考　证" in page.inner_text("body") and "王技能" in page.inner_text("body")
    page.screenshot(path=str(shots / "exam-3-ticket.png"), full_page=True)

    # 4. Scores through the grid over the filtered rows.
    page.goto(f"{live_server}/scores/grid/?search=王技能")
    page.fill(f"input[name=theory-{reg_id}]", "86.5")
    page.fill(f"input[name=practice-{reg_id}]", "90")
    page.fill(f"input[name=review-{reg_id}]", "88")
    page.screenshot(path=str(shots / "exam-4-score-grid.png"), full_page=True)
    page.click("button:has-text('保存成绩')")
    page.wait_for_load_state("networkidle")
    assert "已保存 1 人的成绩" in page.inner_text("body")
    page.screenshot(path=str(shots / "exam-5-scores-list.png"), full_page=True)
    publish_scores(page, live_server, live_server.facts["batch_id"])
    assert "本次发布 1 人" in compact(page.inner_text("body"))

    # 5. 市工考办 records the committee vote in the vote grid; the vote decides: 评审通过.
    login(page, live_server, "office")
    page.goto(f"{live_server}/evaluations/votes/?search=王技能")
    for name, value in (
        ("vote_expected", "9"),
        ("vote_present", "8"),
        ("vote_yes", "7"),
        ("vote_no", "1"),
        ("vote_abstain", "0"),
    ):
        page.fill(f"#{name}-{reg_id}", value)
    page.screenshot(path=str(shots / "exam-6-vote.png"), full_page=True)
    page.click("button:has-text('保存评审表决')")
    page.wait_for_load_state("networkidle")
    assert "已保存 1 人的评审表决：评审通过 1 人" in compact(page.inner_text("body"))

    # 6. The 合格名单公示, and after its period 资格认定 and the certificate.
    notice_id = draft_notice(page, live_server, live_server.facts["batch_id"], "技师考评合格人员名单公示")
    assert "王技能" in page.inner_text("body")
    publish_notice(page, live_server, notice_id)
    after_notice_period(monkeypatch, live_server, notice_id)
    login(page, live_server, "office")  # days later: a new login
    page.goto(f"{live_server}/recognitions/?search=王技能")
    page.check(f"input.action-checkbox[value='{reg_id}']")
    page.click("text=选中的")
    page.click("a[data-gk-action='recognise']")
    page.wait_for_load_state("networkidle")
    page.click("button:has-text('确认资格认定')")
    page.wait_for_load_state("networkidle")
    assert "成功 1 条" in compact(page.inner_text("body"))
    certificate = download(page, f"/recognitions/certificate.pdf?id={reg_id}")
    assert certificate.headers["content-type"] == "application/pdf"
    text = pdf_text(certificate.body())
    assert "技术等级（岗位）证书" in text and "王技能" in text and "二级（技师）" in text
    assert "评审委员会评审通过" in text  # 技师: passed the committee's evaluation

    # 7. The worker's record now shows the new grade.
    login(page, live_server, "unit_demo")
    page.goto(f"{live_server}/workers/?search=王技能")
    assert "二级（技师）" in page.inner_text("table.model-list")
