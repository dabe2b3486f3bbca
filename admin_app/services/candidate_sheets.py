"""The 附表5 files the platform writes: the template to fill in (optionally pre-filled), and the copy of an
upload with its problems marked. Reading and checking uploads is in ``candidate_import``."""

from datetime import date, datetime

from admin_app.services import sheet_import
from admin_app.services.candidate_import import COLUMNS, HEADERS, TEMPLATE_SHEET, ParsedFile, Problem
from models import enums


# --- the template ------------------------------------------------------------------------------------------
def write_template(
    path: str, trades: list[str], ethnicities: list[str], prefill: list[dict] | None = None
) -> None:
    """附表5 template: headers (protected), drop-downs, ID column as text, an instructions sheet; optionally
    pre-filled with candidates (dicts keyed by header) for the unit to complete and import back."""
    import xlsxwriter

    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet(TEMPLATE_SHEET)
    lists = book.add_worksheet("字典")
    guide = book.add_worksheet("填写说明")
    header = book.add_format(
        {"bold": True, "bg_color": "#FCE4D6", "border": 1, "locked": True, "align": "center"}
    )
    unlocked_text = book.add_format({"locked": False, "num_format": "@"})
    unlocked_date = book.add_format({"locked": False, "num_format": "yyyy-mm-dd"})
    unlocked = book.add_format({"locked": False})
    widths = [6, 10, 6, 10, 22, 12, 12, 24, 16, 16, 14, 14, 12, 20]
    for col, (name, required, key) in enumerate(COLUMNS):
        fmt = (
            unlocked_text
            if key in ("id_number", "phone", "seq")
            else unlocked_date
            if key == "birth_date"
            else unlocked
        )
        sheet.set_column(col, col, widths[col], fmt)
        sheet.write_string(0, col, name + (" *" if required else ""), header)
    sheet.freeze_panes(1, 0)
    for row, values in enumerate(prefill or [], start=1):
        for col, name in enumerate(HEADERS):
            value = values.get(name)
            if isinstance(value, date):
                sheet.write_datetime(row, col, datetime(value.year, value.month, value.day), unlocked_date)
            elif value not in (None, ""):
                sheet.write_string(row, col, str(value), unlocked_text)
    # Dictionary lists on their own (hidden) sheet: Excel limits inline lists to 255 characters.
    dictionaries = {
        "民族": ethnicities,
        "学历": list(enums.EDUCATION_LABELS.values()),
        "报考工种": trades,
        "报考等级": [enums.GRADE_LABELS[g] for g in enums.GRADE_ORDER],
        "考试类别": ["理论和实作", "仅理论", "仅实作"],
    }
    refs = {}
    for col, (name, items) in enumerate(dictionaries.items()):
        lists.write_string(0, col, name)
        for row, item in enumerate(items, start=1):
            lists.write_string(row, col, item)
        letter = chr(ord("A") + col)
        refs[name] = f"=字典!${letter}$2:${letter}${len(items) + 1}"
    lists.hide()
    last = 10000
    index = {name: i for i, name in enumerate(HEADERS)}
    sheet.data_validation(1, index["性别"], last, index["性别"], {"validate": "list", "source": ["男", "女"]})
    sheet.data_validation(
        1,
        index["是否自愿参加培训"],
        last,
        index["是否自愿参加培训"],
        {"validate": "list", "source": ["是", "否"]},
    )
    for name, ref in refs.items():
        sheet.data_validation(1, index[name], last, index[name], {"validate": "list", "source": ref})
    sheet.data_validation(
        1,
        index["身份证号码"],
        last,
        index["身份证号码"],
        {"validate": "length", "criteria": "==", "value": 18, "error_message": "身份证号码应为18位"},
    )
    sheet.protect(
        "",
        {
            "format_columns": True,
            "select_locked_cells": True,
            "select_unlocked_cells": True,
            "insert_rows": True,
            "delete_rows": True,
            "sort": True,
            "autofilter": True,
        },
    )
    lines = [
        "附表5 考生信息电子录入数据模板 填写说明",
        "1. 每行填写一名考生，从第2行开始；表头（第1行）已保护，请勿修改。带 * 的列为必填。",
        "2. 身份证号码须为18位（末位可为X），系统按身份证号码匹配本单位考试资格审核已通过、尚未报名的人员。",
        "3. 性别、出生日期须与身份证号码一致；出生日期可不填，也可填年月（如 1972-08、1972.8、1972年8月、1972/8）或完整日期（如 1972-08-08）。",
        "4. 报考工种、报考等级须与考试资格申请一致，请从下拉列表选择。",
        "5. 导入时只要有一处错误，全部不导入；系统会列出出错的行、列和原因，并可下载标出错误单元格的文件副本。",
        "6. 导入成功后报名状态为“待确认”，由市工考办审核；电子照片和身份证复印件可在报名表中补传或现场提供。",
    ]
    guide.set_column(0, 0, 110)
    for row, line in enumerate(lines):
        guide.write_string(row, 0, line)
    book.close()


# --- the copy with bad cells marked ----------------------------------------------------------------------
def marked_copy(parsed: ParsedFile, problems: list[Problem]) -> bytes | None:
    """The upload's sheet with the problem cells marked and a last column 导入问题 (services/sheet_import)."""
    return sheet_import.marked_copy(parsed, problems, TEMPLATE_SHEET, "导入问题")
