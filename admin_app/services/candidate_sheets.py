"""The 附表5 files the platform writes: the template to fill in (optionally pre-filled), and the copy of an
upload with its problems marked. Reading and checking uploads is in ``candidate_import``."""

import io
from datetime import date, datetime

from admin_app.services.candidate_import import (
    COLUMNS,
    HEADERS,
    TEMPLATE_SHEET,
    ParsedFile,
    Problem,
    clean_text,
)
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
MAX_COMMENTS = 1000  # each comment is kept in memory until the copy is written; the 导入问题 column has all


def marked_copy(parsed: ParsedFile, problems: list[Problem]) -> bytes | None:
    """An .xlsx copy of the sheet that was read — whatever the upload's kind (.xlsx, .xls or .csv) — with the
    values as read, each problem cell filled red with its message as a comment (the first MAX_COMMENTS cells),
    and a last column 导入问题 listing every problem of the row. Written streaming (xlsxwriter constant_memory)
    from the rows kept by the read, so it costs no second read. Text is written as text (never as a formula);
    the original's formatting and drop-downs are not kept. None when there is no row to mark."""
    import xlsxwriter

    if not parsed.rows:
        return None
    by_row: dict[int, list[Problem]] = {}
    for problem in problems:
        by_row.setdefault(problem.row, []).append(problem)
    if not any(number > parsed.header_row for number in by_row):
        return None
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"constant_memory": True})
    sheet = book.add_worksheet((parsed.sheet_title or TEMPLATE_SHEET)[:31])
    bad = book.add_format({"bg_color": "#FFC7CE"})
    dated = book.add_format({"num_format": "yyyy-mm-dd"})
    bad_dated = book.add_format({"bg_color": "#FFC7CE", "num_format": "yyyy-mm-dd"})
    header = dict(parsed.sheet_rows).get(parsed.header_row, ())
    # The 导入问题 column goes right of the header's last text.
    problem_column = max([*parsed.columns.values(), *(c for c, v in enumerate(header, 1) if clean_text(v))])
    comments = 0
    for number, values in parsed.sheet_rows:
        row_problems = by_row.get(number, [])
        marked = {parsed.columns[p.column] for p in row_problems if p.column in parsed.columns}
        for col, value in enumerate(values, start=1):
            chosen = (bad, bad_dated) if col in marked else (None, dated)
            _write_value(sheet, number - 1, col - 1, value, *chosen)
        for col in sorted(marked):
            if col > len(values):  # an empty cell beyond the row's last value
                sheet.write_blank(number - 1, col - 1, None, bad)
            if comments < MAX_COMMENTS:
                text = "；".join(p.message for p in row_problems if parsed.columns.get(p.column) == col)
                sheet.write_comment(number - 1, col - 1, text, {"author": "工考管理平台"})
                comments += 1
        if number == parsed.header_row:
            sheet.write_string(number - 1, problem_column, "导入问题", bad)
        elif row_problems:
            summary = "；".join(f"{p.column or '整行'}：{p.message}" for p in row_problems)
            sheet.write_string(number - 1, problem_column, summary, bad)
    book.close()
    return out.getvalue()


def _write_value(sheet, row: int, col: int, value, cell_format, date_format) -> None:
    """Each value by its type; text always as text, so a '=…' from the upload never becomes a formula."""
    if value is None or value == "":
        if cell_format is not None:
            sheet.write_blank(row, col, None, cell_format)
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value, cell_format)
    elif isinstance(value, int | float):
        sheet.write_number(row, col, value, cell_format)
    elif isinstance(value, datetime | date):
        sheet.write_datetime(row, col, value, date_format)
    else:
        sheet.write_string(row, col, str(value)[:32767], cell_format)
