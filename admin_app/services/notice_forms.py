"""The notice's own spreadsheets: 附表3 汇总表 (per 工种) and 附件4 备案表 (per unit and batch)."""

import re
from itertools import groupby

import xlsxwriter

from admin_app.services.clock import to_beijing
from models import enums

SUMMARY_TITLE = "重庆市机关事业单位工勤人员技术等级晋升申报汇总表"
FILING_TITLE = "重庆市机关事业单位工勤岗位使用情况备案表"


def _sheet_name(name: str, used: set) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "", name)[:28] or "工种"
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base}{n}", n + 1
    used.add(candidate)
    return candidate


def application_remarks(app) -> str:
    """备注 of 附表3: 证书班, 三年优秀, 退二进一, 退役士兵."""
    marks = []
    if app.certificate_class:
        marks.append("证书班")
    if app.quota_exempt_reason == "three_excellent":
        marks.append("三年优秀")
    if app.retire_two_in_one:
        marks.append("退二进一")
    if app.veteran:
        marks.append("退役士兵")
    return "、".join(marks)


def write_summary(path: str, rows, header: dict) -> int:
    """附表3: one sheet per 申报工种, ``rows`` (application, record) pairs ordered by trade (the person's facts as
    kept at submission: ``records.paired``). Returns the number of rows."""
    # Not constant_memory: the two-row merged header writes row 5 before row 4 is complete.
    workbook = xlsxwriter.Workbook(path, {"strings_to_formulas": False, "strings_to_urls": False})
    title = workbook.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"})
    subtitle = workbook.add_format({"font_size": 12, "align": "center"})
    info = workbook.add_format({"font_size": 10})
    head = workbook.add_format(
        {"bold": True, "align": "center", "valign": "vcenter", "border": 1, "text_wrap": True}
    )
    cell = workbook.add_format({"border": 1, "valign": "vcenter"})
    center = workbook.add_format({"border": 1, "align": "center", "valign": "vcenter"})
    note = workbook.add_format({"font_size": 9})
    widths = [5, 9, 5, 10, 11, 9, 14, 10, 11, 9, 9, 18]
    used: set = set()
    total = 0
    for trade_name, group in groupby(rows, key=lambda pair: pair[0].applied_trade.name):
        sheet = workbook.add_worksheet(_sheet_name(trade_name, used))
        sheet.set_landscape()
        sheet.set_paper(9)  # A4
        sheet.fit_to_pages(1, 0)
        for i, w in enumerate(widths):
            sheet.set_column(i, i, w)
        sheet.set_row(0, 30)
        sheet.merge_range(0, 0, 0, 11, SUMMARY_TITLE, title)
        sheet.merge_range(1, 0, 1, 11, f"{header.get('batch', '')}（{trade_name}工种）", subtitle)
        sheet.merge_range(2, 0, 2, 3, f"主管部门（章）：{header.get('supervisor', '')}", info)
        sheet.merge_range(2, 4, 2, 6, f"填报单位（章）：{header.get('unit', '')}", info)
        sheet.merge_range(2, 7, 2, 8, f"填报人：{header.get('person', '')}", info)
        sheet.merge_range(2, 9, 2, 11, f"联系电话（手机）：{header.get('phone', '')}", info)
        for col, label in enumerate(["序号", "姓 名", "性别", "出生年月", "参加工作时间", "学历"]):
            sheet.merge_range(3, col, 4, col, label, head)
        sheet.merge_range(3, 6, 3, 8, "现职业技术工种", head)
        for col, label in ((9, "申报等级"), (10, "公示结果"), (11, "备注")):
            sheet.merge_range(3, col, 4, col, label, head)
        for col, label in ((6, "名称"), (7, "等级"), (8, "获得时间")):
            sheet.write_string(4, col, label, head)
        sheet.freeze_panes(5, 0)
        row = 5
        for number, (app, record) in enumerate(group, start=1):
            person = record.person
            values = [
                (str(number), center),
                (person.name, cell),
                (person.gender_label, center),
                (f"{person.birth_date:%Y.%m}", center),
                (f"{person.work_start_date:%Y.%m}" if person.work_start_date else "", center),
                (person.education_label, center),
                (person.current_trade or "", cell),
                (enums.GRADE_NAMES.get(person.current_grade, "无") if person.current_grade else "无", center),
                (f"{person.current_grade_date:%Y.%m}" if person.current_grade_date else "", center),
                (enums.GRADE_NAMES[app.applied_grade], center),
                (enums.PUBLICITY_LABELS.get(app.publicity_result or "", ""), center),
                (application_remarks(app), cell),
            ]
            for col, (value, fmt) in enumerate(values):
                sheet.write_string(row, col, value, fmt)
            row += 1
            total += 1
        notes = [
            "备注：1.本表填写同一工种不同等级的所有人员信息；",
            "2.备注栏中标注证书班、三年优秀、退二进一、退役士兵等特殊情况；",
            "3.本表一式三份，市工考办审核签章后留存一份，考试报名时市职业技能鉴定指导中心留存一份，本单位存档一份。",
        ]
        for line in notes:
            sheet.merge_range(row, 0, row, 11, line, note)
            row += 1
    if not used:
        sheet = workbook.add_worksheet("汇总表")
        sheet.write_string(0, 0, "当前查询没有申请")
    workbook.close()
    return total


def write_filing(
    path: str, unit_name: str, figures: dict, person: str, phone: str, filled_at, batch: str = ""
) -> None:
    """附件4 备案表 of one unit and batch (``batch``: its name on the sheet, "2021年度"), laid out as the
    notice's grid."""
    workbook = xlsxwriter.Workbook(path, {"strings_to_formulas": False})
    sheet = workbook.add_worksheet("备案表")
    sheet.set_landscape()
    sheet.set_paper(9)
    title = workbook.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"})
    head = workbook.add_format(
        {"bold": True, "align": "center", "valign": "vcenter", "border": 1, "text_wrap": True}
    )
    cell = workbook.add_format({"align": "center", "valign": "vcenter", "border": 1})
    left = workbook.add_format({"valign": "vcenter", "border": 1, "text_wrap": True})
    plain = workbook.add_format({"font_size": 10})
    sheet.set_column(0, 0, 8)
    sheet.set_column(1, 1, 30)
    sheet.set_column(2, 6, 16)
    sheet.set_row(0, 32)
    sheet.merge_range(0, 0, 0, 6, FILING_TITLE, title)
    sheet.merge_range(1, 0, 1, 4, f"填报单位（盖章）：{unit_name}", plain)
    sheet.merge_range(1, 5, 1, 6, f"考核批次：{batch}", plain)
    sheet.fit_to_pages(1, 1)
    sheet.write_string(2, 1, "等级", head)
    grades = enums.GRADE_ORDER[::-1]  # the notice's 附件4 lists 一级（高级技师） first
    for col, grade in enumerate(grades, start=2):
        sheet.write_string(2, col, enums.GRADE_LABELS[grade], head)
    post_rows = [
        ("核准岗位数", "approved"),
        ("现聘人数", "current"),
        ("特设岗位聘用人数", "special"),
        ("空缺岗位", "vacant"),
    ]
    # As on the notice: one 岗位情况 cell spans the header row and the four post rows.
    sheet.merge_range(2, 0, 6, 0, "岗位情况", head)
    for offset, (label, key) in enumerate(post_rows):
        sheet.write_string(3 + offset, 1, label, left)
        for col, grade in enumerate(grades, start=2):
            sheet.write_number(3 + offset, col, figures[grade][key], cell)
    application_rows = [
        ("当年岗位申报数量", "applied"),
        ("其中：符合“退二进一”申报条件的", "two_in_one"),
        ("　　　符合不受岗位限额申报条件的", "exempt"),
    ]
    for offset, (label, key) in enumerate(application_rows):
        r = 7 + offset
        sheet.merge_range(r, 0, r, 1, label, left)
        for col, grade in enumerate(grades, start=2):
            sheet.write_number(r, col, figures[grade][key], cell)
    sheet.set_row(10, 60)
    sheet.merge_range(10, 0, 10, 1, "主管部门备案意见", left)
    sheet.merge_range(10, 2, 10, 3, "", left)
    sheet.merge_range(10, 4, 10, 5, "同级事业单位人事综合管理部门备案意见", left)
    sheet.write_string(10, 6, "", left)
    when = to_beijing(filled_at)
    sheet.merge_range(
        11, 0, 11, 6, f"填报人：{person}　　　　联系电话：{phone}　　　　填报时间：{when:%Y年%m月%d日}", plain
    )
    sheet.merge_range(
        12,
        0,
        12,
        6,
        "备注：1.市级机关及市属事业单位填写表格后，报市级事业单位人事综合管理部门审核岗位；2.区县级事业单位人事综合管理部门填写表格后，报市工考办备案。",
        plain,
    )
    workbook.close()
