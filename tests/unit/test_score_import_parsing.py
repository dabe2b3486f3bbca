"""Reading a 成绩导入 file (no database): the header found wherever it is and by its other spellings, blank and
note rows skipped, numbers as typed, CSV from Excel; what the 缺考 / 违纪 marks ask of the scores."""

import io
from decimal import Decimal
from types import SimpleNamespace

import pytest
from openpyxl import Workbook

from admin_app.services import score_import
from admin_app.services.score_import import ImportRefused, _marks_and_scores, _same_as_stored
from admin_app.workflow.score_values import ScoreEntry
from admin_app.workflow.states import ScoreResult


def book(rows, sheets=1) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for _ in range(sheets - 1):
        sheet.title = "说明"
        sheet.append(["本表为说明"])
        sheet = workbook.create_sheet("成绩")
    for r in rows:
        sheet.append(r)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_the_header_is_found_below_titles_on_a_later_sheet_in_any_order_and_spelling():
    data = book(
        [
            ["2021年度 第01考场 成绩登记"],
            [],
            ["实操成绩", "理论成绩", "身份证号码", "姓名", "准考证号 *", "缺考"],
            [90, 85.5, "500103197503010011", "张三", "20214000001", None],
            [None, None, None, None, None, None],  # blank
            [88, 77, "500103197503020012", "李四", 20214000002, "是"],
        ],
        sheets=2,
    )
    parsed = score_import.read_file(data)
    assert parsed.sheet_title == "成绩" and parsed.header_row == 3
    assert [r.row for r in parsed.rows] == [4, 6]
    first, second = (r.values for r in parsed.rows)
    assert (
        first["业务理论成绩"] == 85.5 and first["实际操作成绩"] == 90 and first["准考证号"] == "20214000001"
    )
    assert second["缺考"] == "是"
    assert score_import.ticket_of(parsed.rows[1]) == "20214000002"  # typed as a number


def test_note_rows_holding_only_the_seat_columns_are_skipped():
    header = ["序号", "准考证号", "姓名", "身份证号", "考场", "座位号", "业务理论成绩", "实际操作成绩"]
    parsed = score_import.read_file(book([header, ["1", "", "", "", "第01考场", "03", "", ""], ["以下空白"]]))
    assert parsed.rows == []


def test_a_gb18030_csv_from_excel_is_read():
    text = (
        "准考证号,姓名,身份证号,业务理论成绩,实际操作成绩\r\n20214000001,张三,500103197503010011,６０,70\r\n"
    )
    parsed = score_import.read_file(text.encode("gb18030"))
    assert parsed.kind == "csv" and parsed.rows[0].values["姓名"] == "张三"
    assert score_import.clean_text(parsed.rows[0].values["业务理论成绩"]) == "60"  # full-width digits folded


@pytest.mark.parametrize(
    "rows",
    [
        [["姓名", "身份证号码", "报考工种"], ["张三", "500103197503010011", "电工"]],  # 附表5, not scores
        [["准考证号", "姓名", "身份证号", "业务理论成绩"]],  # 实际操作成绩 missing
    ],
)
def test_a_file_without_the_score_headers_is_refused_in_chinese(rows):
    with pytest.raises(
        ImportRefused, match="没有找到包含“准考证号、姓名、身份证号、业务理论成绩、实际操作成绩”"
    ):
        score_import.read_file(book(rows))


def problems(marks, reason=None, theory="", practice="", review="", grade=None):
    registration = SimpleNamespace(applied_grade=grade) if grade else None
    typed = {"业务理论成绩": theory, "实际操作成绩": practice, "综合评审成绩": review}
    found = _marks_and_scores(
        7, {"缺考": "缺考" in marks, "违纪": "违纪" in marks}, reason, typed, registration
    )
    return {(p.column, p.message) for p in found}


def test_what_the_marks_ask_of_the_scores():
    assert problems("", theory="60", practice="70", grade=4) == set()
    assert problems("缺考") == set()
    assert problems("违纪", "作弊") == set()
    assert ("违纪", "不能同时标记缺考和违纪") in problems("缺考违纪", "作弊")
    assert ("业务理论成绩", "已标记缺考，不应填写成绩") in problems("缺考", theory="60")
    assert ("综合评审成绩", "已标记违纪（本次成绩作废），不应填写成绩") in problems(
        "违纪", "作弊", review="80"
    )
    assert ("违纪原因", "标记违纪须填写违纪原因") in problems("违纪")
    assert ("违纪", "填写了违纪原因，违纪列应填“是”") in problems("", "作弊", theory="60", practice="60")
    assert {c for c, _m in problems("", theory="60")} == {"实际操作成绩"}
    assert problems("", theory="60", practice="70", grade=2) == {
        ("综合评审成绩", "技师、高级技师须填写综合评审成绩")
    }
    assert problems("", theory="60", practice="70", review="80", grade=2) == set()
    assert problems("", theory="60", practice="70", review="80", grade=3) == {
        ("综合评审成绩", "初级工、中级工、高级工没有综合评审成绩，请留空")
    }


def stored(**kw):
    values = {
        "score_result": ScoreResult.PASS,
        "theory_score": Decimal("85.0"),
        "practice_score": Decimal("90.5"),
        "review_score": None,
        "absent": False,
        "misconduct_reason": None,
    }
    return SimpleNamespace(**{**values, **kw})


def test_a_row_equal_to_what_is_stored_is_unchanged_and_any_difference_is_not():
    entry = ScoreEntry(1, "85", "90.5", None, False)
    assert _same_as_stored(entry, stored())
    assert not _same_as_stored(entry, stored(score_result=None))  # never entered
    assert not _same_as_stored(ScoreEntry(1, "85.1", "90.5", None, False), stored())
    assert not _same_as_stored(ScoreEntry(1, None, None, None, True), stored())
    marked = stored(theory_score=None, practice_score=None, misconduct_reason="作弊")
    assert _same_as_stored(ScoreEntry(1, None, None, None, False, "作弊"), marked)
    assert not _same_as_stored(ScoreEntry(1, None, None, None, False, "替考"), marked)
