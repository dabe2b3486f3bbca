"""附表5 import: 出生日期 written as a month, every problem of every row listed, a CSV upload's marked copy
(both databases)."""

import html
import io
import re
from datetime import datetime

from openpyxl import load_workbook

from admin_app.extensions import db
from admin_app.workflow.states import RegistrationState
from tests.conftest import login, text_of
from tests.hostile_spreadsheets import HEADER
from tests.integration.test_candidate_import import candidates, row_for, status_of, upload, xlsx


def problems_listed(body: str) -> set[tuple[str, str, str]]:
    """(row, column, message) of every line of the page's problem table."""
    table = body.split('id="problems"', 1)[1].split("</table>", 1)[0]
    cells = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", table)
    return {tuple(html.unescape(c).strip() for c in cell) for cell in cells}


def test_birth_written_as_a_month_of_the_id_number_is_imported(client, world):
    unit, regs = candidates(world, 3)
    login(client, unit.users[0].username)
    born = [r.worker.birth_date for r in regs]
    rows = [
        row_for(regs[0], 出生日期=f"{born[0].year}年{born[0].month}月"),  # 1995年6月
        # Excel turns 1995-06 typed into a cell into the date 1995-06-01.
        row_for(regs[1], 出生日期=datetime(born[1].year, born[1].month, 1)),
        row_for(regs[2], 出生日期=f"{born[2].year}.{born[2].month}"),
    ]
    body = text_of(upload(client, xlsx(rows)))
    assert "已导入 3 名考生" in body, body[body.find("problems") - 200 :][:2000]
    db.session.expire_all()
    assert [status_of(r) for r in regs] == [RegistrationState.PENDING] * 3


def test_a_birth_month_the_id_number_denies_or_an_unreadable_one_is_listed(client, world):
    unit, regs = candidates(world, 2)
    login(client, unit.users[0].username)
    born = regs[0].worker.birth_date
    other_month = 1 if born.month != 1 else 2
    rows = [
        row_for(regs[0], 出生日期=f"{born.year}年{other_month}月"),
        row_for(regs[1], 出生日期="六月份"),
    ]
    body = text_of(upload(client, xlsx(rows)))
    listed = problems_listed(body)
    assert ("2", "出生日期", f"出生年月与身份证号码不一致（身份证为{born:%Y.%m}）") in listed
    assert (
        "3",
        "出生日期",
        "年月格式不正确，可填 1970-09、1970.9、1970年9月、1970/9 或完整日期 1970-09-15",
    ) in listed
    db.session.expire_all()
    assert [status_of(r) for r in regs] == [RegistrationState.UNREGISTERED] * 2


def test_every_problem_of_every_row_is_listed(client, world):
    unit, regs = candidates(world, 2)
    login(client, unit.users[0].username)
    first, second = regs
    rows = [
        row_for(first, 性别="未知", 出生日期="六月", 联系电话="123"),
        # A wrong ID number does not hide what else is wrong on its row.
        row_for(
            second, 身份证号码="500103197006151230", 报考等级="九级", 考试类别="口试", 是否自愿参加培训="也许"
        ),
        row_for(first, 民族="火星族", 学历="博士后"),  # a repeated ID number, and more
        row_for(second),  # a good row: nothing imported all the same
    ]
    body = text_of(upload(client, xlsx(rows)))
    assert "未导入任何数据" in body
    listed = {(row, column) for row, column, _message in problems_listed(body)}
    assert {
        ("2", "性别"),
        ("2", "出生日期"),
        ("2", "联系电话"),
        ("3", "身份证号码"),
        ("3", "报考等级"),
        ("3", "是否自愿参加培训"),
        ("3", "考试类别"),
        ("4", "身份证号码"),
        ("4", "民族"),
        ("4", "学历"),
    } == listed
    assert "共发现 10 处问题" in body
    db.session.expire_all()
    assert [status_of(r) for r in regs] == [RegistrationState.UNREGISTERED] * 2


def test_a_csv_upload_gets_its_marked_copy(client, world):
    unit, regs = candidates(world, 2)
    login(client, unit.users[0].username)
    rows = [row_for(regs[0]), row_for(regs[1], 联系电话="123", 出生日期="1975年13月")]
    text = ",".join(HEADER) + "\n" + "".join(",".join(str(r[h]) for h in HEADER) + "\n" for r in rows)
    body = text_of(upload(client, text.encode("gb18030"), "附表5.csv"))
    assert "未导入任何数据" in body
    token = body.split("import/report.xlsx?token=")[1].split('"')[0]
    response = client.get(f"/registrations/import/report.xlsx?token={token}")
    assert response.status_code == 200
    marked = load_workbook(io.BytesIO(response.data)).active
    assert [marked.cell(1, c + 1).value for c in range(len(HEADER))] == HEADER
    assert marked.cell(1, len(HEADER) + 1).value == "导入问题"
    phone = marked.cell(3, HEADER.index("联系电话") + 1)
    birth = marked.cell(3, HEADER.index("出生日期") + 1)
    assert phone.value == "123" and phone.fill.fgColor.rgb.endswith("FFC7CE")
    assert "联系电话格式不正确" in phone.comment.text
    assert birth.value == "1975年13月" and "月份应在1到12之间" in birth.comment.text
    summary = marked.cell(3, len(HEADER) + 1).value
    assert "联系电话" in summary and "出生日期" in summary
    # The good row is copied unmarked.
    assert marked.cell(2, HEADER.index("联系电话") + 1).fill.fgColor.rgb != phone.fill.fgColor.rgb
    assert marked.cell(2, len(HEADER) + 1).value is None
    db.session.expire_all()
    assert [status_of(r) for r in regs] == [RegistrationState.UNREGISTERED] * 2
