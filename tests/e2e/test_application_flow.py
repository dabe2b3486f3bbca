"""A unit creates and submits an application; the 区县 reviewer uploads materials and approves; the
市工考办 approves; the 登记表 prints. Screenshots in tests/e2e/artifacts/."""

from tests.e2e.test_menus import login

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def set_select(page, selector, value):
    page.eval_on_selector(
        selector, "(el, v) => { el.value = v; el.dispatchEvent(new Event('change')); }", str(value)
    )


def fill_application(page, live_server, facts):
    """The unit's 新增 form for 王技能's 技师 application, saved."""
    page.goto(f"{live_server}/applications/new/")
    set_select(page, "#batch", facts["batch_id"])
    set_select(page, "#worker", facts["worker_id"])
    set_select(page, "#applied_trade", facts["trade_id"])
    set_select(page, "#applied_grade", 2)
    page.fill("#publicity_start", "2021-06-01")
    page.fill("#publicity_end", "2021-06-07")
    set_select(page, "#publicity_result", "no_objection")
    page.fill("#achievements", "承担单位配电房改造，解决双电源切换故障；带徒3名。")
    page.click("input[type=submit][value='保存']")
    page.wait_for_load_state("networkidle")


def test_application_through_the_whole_chain(page, live_server, shots, tmp_path):
    facts = live_server.facts
    page.on("dialog", lambda dialog: dialog.accept())

    # 1. The unit adds the application and sees the rule results.
    login(page, live_server, "unit_demo")
    fill_application(page, live_server, facts)
    body = page.inner_text("body")
    assert "资格条件核对" in body and "不符合" not in body, body[:3000]
    page.screenshot(path=str(shots / "app-1-unit-form-rules.png"), full_page=True)
    app_id = page.url.split("id=")[1].split("&")[0]

    # 2. It ticks the row and submits (提交审核).
    page.goto(f"{live_server}/applications/?search=王技能")
    page.check(f"input.action-checkbox[value='{app_id}']")
    page.click("text=选中的")
    page.click("a[data-gk-action='submit']")
    page.wait_for_load_state("networkidle")
    assert "成功 1 条" in page.inner_text("body").replace("\n", " ").replace("  ", " ")
    page.screenshot(path=str(shots / "app-2-unit-submitted.png"), full_page=True)

    # 3. The 区县 reviewer finds it in 待我审核, uploads materials, approves.
    login(page, live_server, "yuzhong_hr")
    page.goto(f"{live_server}/review_queue/")
    assert "王技能" in page.inner_text("table.model-list")
    page.screenshot(path=str(shots / "app-3-district-queue.png"), full_page=True)
    page.goto(f"{live_server}/review_queue/details/?id={app_id}")
    pdf = tmp_path / "登记表扫描件.pdf"
    pdf.write_bytes(PDF)
    page.set_input_files("input[name=file]", str(pdf))
    page.click("button:has-text('上传申报材料')")
    page.wait_for_load_state("networkidle")
    assert "登记表扫描件.pdf" in page.inner_text("#materials")
    page.fill("#opinion", "经审核，符合申报条件，同意上报。")
    page.screenshot(path=str(shots / "app-4-district-details.png"), full_page=True)
    page.click("button[value=approve]")
    page.wait_for_load_state("networkidle")
    assert "成功" in page.inner_text("body")

    # 4. The 市工考办 approves: the flow ends at 审核已通过.
    login(page, live_server, "office")
    page.goto(f"{live_server}/review_queue/details/?id={app_id}")
    page.fill("#opinion", "同意。")
    page.click("button[value=approve]")
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server}/applications/details/?id={app_id}")
    details = page.inner_text("body")
    assert "审核已通过" in details and "同意上报" in details
    page.screenshot(path=str(shots / "app-5-approved-history.png"), full_page=True)

    # 5. The 登记表 (附表2 for 技师) prints with the opinions.
    page.goto(f"{live_server}/applications/print/?id={app_id}")
    sheet = page.inner_text("body")
    assert "附件2" in sheet and "王技能" in sheet and "同意上报" in sheet
    page.emulate_media(media="print")
    page.screenshot(path=str(shots / "app-6-print-form.png"), full_page=True)
