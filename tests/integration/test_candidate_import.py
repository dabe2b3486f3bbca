"""附表5 template and import: what real files contain, each error kind, all or nothing (both databases)."""

import io
from datetime import datetime

import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from admin_app.extensions import db
from admin_app.workflow.states import RegistrationState
from models import Registration, enums
from tests.conftest import login, text_of
from tests.hostile_spreadsheets import HEADER  # the notice's 附表5 header, written once for the tests
from tests.integration.test_exam_pipeline import approved


def candidates(world, n=2):
    """n approved applications of one unit, waiting for 报名."""
    regs = []
    unit = None
    for i in range(n):
        u, _app, reg = approved(world, f"imp{i}", seq=600 + i)
        regs.append(reg)
        if unit is None:
            unit = u
        else:  # same unit for all: move the application and its registration (test data only)
            reg.application.unit_id = reg.unit_id = unit.id
            reg.worker.unit_id = unit.id
    db.session.commit()
    return unit, regs


def row_for(reg, **overrides):
    w = reg.worker
    values = {
        "序号": "1",
        "姓名": w.name,
        "性别": "男" if w.gender == "M" else "女",
        "民族": "汉族",
        "身份证号码": w.id_number,
        "出生日期": w.birth_date.strftime("%Y-%m-%d"),
        "学历": "高中",
        "工作单位": "",
        "报考工种": reg.applied_trade.name,
        "报考等级": enums.GRADE_LABELS[reg.applied_grade],
        "联系电话": "13800001111",
        "是否自愿参加培训": "是",
        "考试类别": "理论和实作",
        "备注": "",
    }
    values.update(overrides)
    return values


def xlsx(rows, header=HEADER, title=None, extra_sheet=False):
    book = Workbook()
    if extra_sheet:
        book.active.title = "说明"
        book.active["A1"] = "这是一个多余的工作表"
        sheet = book.create_sheet("考生信息")
    else:
        sheet = book.active
    if title:
        sheet.append([title])
    sheet.append(header)
    for r in rows:
        sheet.append([r.get(h, "") for h in header])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, data, name="附表5.xlsx"):
    return client.post(
        "/registrations/import/", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )


def status_of(reg):
    return db.session.scalar(sa.select(Registration.status).where(Registration.id == reg.id))


def test_template_has_dropdowns_protection_and_instructions(client, world):
    login(client, "unit_a")
    response = client.get("/registrations/template.xlsx")
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["考生信息", "字典", "填写说明"]
    sheet = book["考生信息"]
    assert [c.value for c in sheet[1]][:5] == ["序号", "姓名 *", "性别 *", "民族", "身份证号码 *"]
    assert sheet.protection.sheet is True
    sources = {str(v.sqref).split(":")[0]: v.formula1 for v in sheet.data_validations.dataValidation}
    assert (
        sources["C2"] == '"男,女"'
        and "字典" in sources["D2"]
        and "字典" in sources["I2"]
        and "字典" in sources["J2"]
    )
    assert book["字典"].sheet_state == "hidden" and "附表5" in book["填写说明"]["A1"].value


def test_round_trip_template_filled_and_imported(client, world):
    unit, regs = candidates(world, 2)
    login(client, unit.users[0].username)
    book = load_workbook(io.BytesIO(client.get("/registrations/template.xlsx").data))
    sheet = book["考生信息"]
    for r, reg in enumerate(regs, start=2):
        values = row_for(reg)
        for c, h in enumerate(HEADER, start=1):
            sheet.cell(r, c, values[h])
    out = io.BytesIO()
    book.save(out)
    body = text_of(upload(client, out.getvalue()))
    assert "已导入 2 名考生" in body
    db.session.expire_all()
    assert [status_of(r) for r in regs] == [RegistrationState.PENDING] * 2
    assert regs[0].registered_at is not None and regs[0].voluntary_training is True


def test_real_file_quirks_are_coped_with(client, world):
    unit, regs = candidates(world, 2)
    login(client, unit.users[0].username)
    first, second = regs
    fullwidth = (
        " ".join(first.worker.id_number[i : i + 6] for i in range(0, 18, 6))
        .translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
        .lower()
    )
    rows = [
        row_for(first, 身份证号码=fullwidth, 出生日期=first.worker.birth_date.strftime("%Y年%m月%d日")),
        {},  # blank row
        row_for(second, 出生日期=datetime.combine(second.worker.birth_date, datetime.min.time())),
    ]
    header = list(reversed(HEADER))  # wrong column order
    data = xlsx(rows, header=header, title="附表5 考生信息（某单位）", extra_sheet=True)
    # A merged note row and a formula cell with its saved value.
    book = load_workbook(io.BytesIO(data))
    sheet = book["考生信息"]
    sheet.append(["以下空白"] + [None] * 13)
    last = sheet.max_row
    sheet.merge_cells(start_row=last, start_column=1, end_row=last, end_column=14)
    out = io.BytesIO()
    book.save(out)
    body = text_of(upload(client, out.getvalue()))
    assert "已导入 2 名考生" in body, body[body.find("problems") - 200 :][:2000]


def test_each_error_kind_is_reported_and_nothing_is_imported(client, world):
    unit, regs = candidates(world, 2)
    login(client, unit.users[0].username)
    good, other = regs
    rows = [
        row_for(good),
        row_for(
            other,
            姓名="张冠李戴",
            性别="女",
            出生日期="1999-13-01",
            报考工种="木工",
            报考等级="高级技师",
            联系电话="123",
            是否自愿参加培训="也许",
            考试类别="口试",
        ),
        row_for(good),  # duplicate
        row_for(good, 身份证号码="500103197006151230"),
        row_for(good, 身份证号码=world.workers["B"].id_number),
    ]
    response = upload(client, xlsx(rows))
    body = text_of(response)
    assert "未导入任何数据" in body
    for text in [
        "姓名与身份证号码对应的人员",
        "性别与身份证号码不一致",
        "月份应在1到12之间",
        "报考工种应为",
        "报考等级应为",
        "联系电话格式不正确",
        "应填“是”或“否”",
        "考试类别应为",
        "与第2行重复",
        "校验位",
        "本单位没有该身份证号码的待报名考生",
    ]:
        assert text in body, text
    db.session.expire_all()
    assert status_of(good) == RegistrationState.UNREGISTERED  # all or nothing
    # The marked copy highlights the bad cells with comments.
    token = body.split("import/report.xlsx?token=")[1].split('"')[0]
    marked = load_workbook(
        io.BytesIO(client.get(f"/registrations/import/report.xlsx?token={token}").data)
    ).active
    bad_name = marked.cell(3, HEADER.index("姓名") + 1)
    assert bad_name.fill.fgColor.rgb.endswith("FFC7CE") and "不一致" in bad_name.comment.text
    # Another session cannot fetch the report.
    other_client = client.application.test_client()
    login(other_client, unit.users[0].username)
    assert other_client.get(f"/registrations/import/report.xlsx?token={token}").status_code == 404


def test_xls_and_csv_renamed_xlsx_are_read(client, world):
    import xlwt

    unit, regs = candidates(world, 2)
    login(client, unit.users[0].username)
    book = xlwt.Workbook()
    sheet = book.add_sheet("考生信息")
    for c, h in enumerate(HEADER):
        sheet.write(0, c, h)
    values = row_for(regs[0])
    for c, h in enumerate(HEADER):
        sheet.write(1, c, values[h])
    out = io.BytesIO()
    book.save(out)
    assert "已导入 1 名考生" in text_of(upload(client, out.getvalue(), "旧格式.xlsx"))
    csv_text = ",".join(HEADER) + "\n" + ",".join(str(row_for(regs[1])[h]) for h in HEADER) + "\n"
    assert "已导入 1 名考生" in text_of(upload(client, csv_text.encode("gb18030"), "导出.xlsx"))
    db.session.expire_all()
    assert [status_of(r) for r in regs] == [RegistrationState.PENDING] * 2


def test_unreadable_oversized_and_wrong_files_are_refused(client, world):
    unit, regs = candidates(world, 1)
    login(client, unit.users[0].username)
    assert "超过5MB" in text_of(upload(client, b"PK\x03\x04" + b"0" * (5 * 1024 * 1024 + 10)))
    assert "无法读取该Excel文件" in text_of(upload(client, b"PK\x03\x04 not really a zip"))
    assert "无法识别文件内容" in text_of(upload(client, b"\x89PNG\r\n\x1a\n\x00\x00binary"))
    assert "没有找到包含" in text_of(upload(client, xlsx([{"a": 1}], header=["甲", "乙"])))
    assert "没有需要导入的考生数据" in text_of(upload(client, xlsx([])))
    db.session.expire_all()
    assert status_of(regs[0]) == RegistrationState.UNREGISTERED


def test_only_units_import(client, world):
    login(client, "office")
    assert client.get("/registrations/import/").status_code == 403
    assert client.get("/registrations/template.xlsx").status_code == 200


def test_export_import_round_trip_with_the_prefilled_template(client, world):
    unit, regs = candidates(world, 3)
    regs[0].worker.phone = "13911112222"
    db.session.commit()
    login(client, unit.users[0].username)
    data = client.get("/registrations/template.xlsx?prefill=1").data
    sheet = load_workbook(io.BytesIO(data))["考生信息"]
    names = {sheet.cell(r, 2).value for r in range(2, 5)}
    assert names == {r.worker.name for r in regs}
    # Phones missing for two of them: the import names exactly those cells, and imports nothing.
    body = text_of(upload(client, data))
    assert body.count("联系电话格式不正确") == 2 and "未导入任何数据" in body
    book = load_workbook(io.BytesIO(data))
    sheet = book["考生信息"]
    for r in range(2, 5):
        sheet.cell(r, HEADER.index("联系电话") + 1, "023-88152255")
    out = io.BytesIO()
    book.save(out)
    assert "已导入 3 名考生" in text_of(upload(client, out.getvalue()))
    db.session.expire_all()
    assert {status_of(r) for r in regs} == {RegistrationState.PENDING}
