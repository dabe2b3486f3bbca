"""附表1 / 附表2 登记表 as the notice prints them (issue 15 point 2): the PDF made on the server is rendered to
images (page count, A4, nothing drawn in the outer margin band) and read back as text (the cover, 填表日期 =
the submission date, the scores and the vote entered, every opinion row of the notice in its order with the
real opinions), on both databases."""

import io
import re

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
import sqlalchemy as sa
from PIL import Image

from admin_app import workflow
from admin_app.extensions import db
from admin_app.services import clock
from admin_app.services.eligibility import Vote
from models import AuditLog, Registration, enums
from tests.batch_pdfs import batch_pdf
from tests.conftest import login, text_of
from tests.factories import add_material, put_on_ended_notice
from tests.integration.test_applications import fresh
from tests.integration.test_download_jobs import queue  # noqa: F401  (the fixture)
from tests.integration.test_exam_pipeline import register_and_pay, scores

A4 = (595.28, 841.89)  # points
BAND_MM = 10  # the outer band of every page that must stay blank (the @page margins are 14–16 mm)
PAGES_PER_FORM = 3  # cover + 填表说明, the person, the opinions and 考核记录

# The notice's opinion rows in order (附件1 / 附件2, reference lines 76–443).
JUNIOR_ROWS = [
    "单\n位\n推\n荐\n意\n见",
    "主\n管\n部\n门\n意\n见",
    "区县（自治县）人力资源和社会保障部门意见",
    "考 核 记 录",
    "鉴定（考核）",
    "区县（自治县）人力资源和社会保障部门意见",
    "市机关事业单位技术工人技术等级（岗位）考核办公室意见",
]
SENIOR_ROWS = [
    "单位推荐意见：",
    "主管部门审核意见：",
    "区县（自治县）人力社保部门意见：",
    "考 核 记 录",
    "实际操作考试",
    "鉴定（考核）",
    "市机关事业单位工勤人员技师高级技师评审委员会意见",
    "负责人签字",
    "市机关事业单位技术工人技术等级（岗位）考核办公室意见",
]


def real_photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 168), (40, 90, 160)).save(buffer, "PNG")
    return buffer.getvalue()


def through_the_chain(world, key, *, grade, seq, supervisor=None):
    """An application of a 区县属 unit (the unit's 主管部门 ``supervisor``) submitted and approved along its
    route with each reviewer's own opinion, registered with a real photo, fee confirmed."""
    unit, app = fresh(world, key, enums.CAT_DISTRICT, grade=grade, seq=seq)
    unit.supervisor = supervisor
    db.session.commit()
    assert workflow.submit(unit.users[0], [app.id]).done
    db.session.expire_all()
    opinions = {enums.DISTRICT_HR: "经审核，符合申报条件，同意上报。", enums.OFFICE: "同意申报技师。"}
    for role in app.route_steps:
        if app.step_index == 0 and not app.materials:
            add_material(app)
            db.session.commit()
        assert workflow.decide(world.users[role], [app.id], "approve", opinions[role]).done
        db.session.expire_all()
    reg = db.session.scalar(sa.select(Registration).where(Registration.application_id == app.id))
    register_and_pay(world, unit, reg, photo=real_photo())
    return unit, app, reg


def pages_of(data: bytes) -> list:
    document = pdfium.PdfDocument(data)
    return [document[i] for i in range(len(document))]


def text_of_pdf(data: bytes) -> str:
    return "\n".join(page.get_textpage().get_text_range() for page in pages_of(data)).replace("\r", "")


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def assert_well_printed(data: bytes, forms: int):
    """Page count as designed, every page A4, the outer band blank, every font embedded."""
    pages = pages_of(data)
    assert len(pages) == PAGES_PER_FORM * forms
    band = round(BAND_MM / 25.4 * 72)
    for number, page in enumerate(pages, start=1):
        width, height = page.get_size()
        assert abs(width - A4[0]) < 1 and abs(height - A4[1]) < 1, (number, width, height)
        image = page.render(scale=1, grayscale=True).to_pil().convert("L")
        w, h = image.size
        for box in ((0, 0, w, band), (0, h - band, w, h), (0, 0, band, h), (w - band, 0, w, h)):
            assert image.crop(box).getextrema()[0] > 245, f"page {number}: drawn in the margin band {box}"
        inked = image.crop((band, band, w - band, h - band)).getextrema()[0]
        assert inked < 100, f"page {number} is empty"
        texts = list(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_TEXT]))
        assert texts, f"page {number} has no text"
        for obj in texts:
            font = pdfium_c.FPDFTextObj_GetFont(obj.raw)
            assert pdfium_c.FPDFFont_GetIsEmbedded(font), f"page {number}: a font is not embedded"


def assert_in_order(text: str, labels: list[str]):
    at = 0
    for label in labels:
        found = text.find(flat(label), at)
        assert found >= 0, f"{label!r} missing or out of the notice's order"
        at = found + len(flat(label))


def submission_day(app) -> str:
    day = clock.to_beijing(app.submitted_at).date()
    return f"{day.year}年{day.month}月{day.day}日"


def test_senior_form_prints_the_whole_notice_form_with_scores_vote_and_opinions(world, client):
    unit, app, reg = through_the_chain(world, "pdf2", grade=2, seq=401, supervisor=world.units["P"])
    center, office = world.users[enums.CENTER], world.users[enums.OFFICE]
    assert workflow.enter_scores(center, [scores(reg.id, "88", "92.5", review="85")]) == {}
    assert workflow.evaluate(office, [reg.id], "pass", Vote(11, 9, 8, 1, 0)).done
    put_on_ended_notice(reg)
    assert workflow.recognise(office, [reg.id]).done
    db.session.expire_all()
    login(client, "office")
    response = client.get(f"/applications/print.pdf?id={app.id}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    data = response.data
    assert_well_printed(data, forms=1)
    pages = pages_of(data)
    assert list(pages[1].get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE])), (
        "the 报名表's photo is on the form"
    )
    text = flat(text_of_pdf(data))
    # The cover: 单位, 姓名, 申报工种, 申报等级, 填表日期 = the submission date, the maker line; 填表说明.
    assert_in_order(
        text,
        [
            "附件2",
            "单位：pdf2单位",
            "姓名：pdf2申报人",
            "申报工种：电工",
            "申报等级：技师",
            "填表日期：" + submission_day(app),
            "重庆市机关事业单位技术工人技术等级（岗位）考核办公室制",
            "填表说明",
            "本表填写一式三份",
        ],
    )
    # Every row of the form, then every opinion row of 附件2 in the notice's order.
    assert_in_order(
        text,
        [
            "身份证号码" + app.worker.id_number,
            "单位地址",
            "现工种/等级电工／三级（高级工）",  # as kept at submission, not the grade recognised since
            "申报工种/等级电工／技师",
            "学历毕业时间毕业院校所学专业证书编号",
            "年月至年月在何单位从事何工种",
            "何时何地受过何种奖励或处分",
            "主要专业技术业绩",
        ],
    )
    assert_in_order(text, SENIOR_ROWS)
    # The real opinions, organisations and dates; the scores; the committee's vote.
    assert_in_order(
        text,
        [
            "本单位有相应空岗。已于2021年06月01日至2021年06月07日在本单位公示，公示结果：无异议。",
            "pdf2单位（公章）" + submission_day(app),
            # 主管部门 is not on this route: its row names the unit's 主管部门, blank for its stamp and date.
            "主管部门审核意见：丙单位（党群）（公章）年月日",
            "区县（自治县）人力社保部门意见：审核通过。经审核，符合申报条件，同意上报。渝中区人力社保局（公章）",
            "88.092.585.0",
            "考核成绩合格。市职鉴中心",
            "应到人数实到人数表决结果同意人数不同意人数弃权人数119810",  # 11, 9, 8, 1, 0
            "表决结果：评审通过。负责人签字：",
            "审核通过。同意申报技师。资格认定：同意认定为二级（技师）（证书编号：",
        ],
    )
    audit = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "export")).all()
    assert any("登记表PDF" in (row.detail or "") and row.object_id == str(app.id) for row in audit)


def test_junior_form_before_and_after_the_district_recognises(world, client):
    unit, app, reg = through_the_chain(world, "pdf1", grade=5, seq=402, supervisor=world.units["P"])
    hr = world.users[enums.DISTRICT_HR]
    assert workflow.enter_scores(world.users[enums.CENTER], [scores(reg.id, "80", "75.5")]) == {}
    login(client, unit.users[0].username)
    before = client.get(f"/applications/print.pdf?id={app.id}").data
    assert_well_printed(before, forms=1)
    put_on_ended_notice(reg)
    assert workflow.recognise(hr, [reg.id]).done
    db.session.expire_all()
    after = client.get(f"/applications/print.pdf?id={app.id}").data
    assert_well_printed(after, forms=1)
    for data in (before, after):
        text = flat(text_of_pdf(data))
        assert_in_order(
            text, ["附件1", "申报等级：初级工", "填表日期：" + submission_day(app), "本表一式三份"]
        )
        assert_in_order(text, JUNIOR_ROWS)
        assert "现工种/等级电工／" in text and "申报工种/等级电工／初级工" in text
    before_text, after_text = flat(text_of_pdf(before)), flat(text_of_pdf(after))
    # Before 成绩发布 the unit's form leaves the 考核记录 blank; published (with the 公示), it prints them.
    assert "80.0" not in before_text and "考核成绩合格" not in before_text
    assert_in_order(after_text, ["80.075.5—", "考核成绩合格。市职鉴中心"])
    recognised = "资格认定：同意认定为五级（初级工）（证书编号："
    assert recognised not in before_text
    # The second 区县人社 row of 附件1 carries the bureau's recognition; the office's row stays blank.
    assert_in_order(
        after_text,
        [
            "区县（自治县）人力资源和社会保障部门意见审核通过。经审核，符合申报条件，同意上报。渝中区人力社保局（公章）",
            "鉴定（考核）",
            "区县（自治县）人力资源和社会保障部门意见" + recognised,
            "渝中区人力社保局",
            "市机关事业单位技术工人技术等级（岗位）考核办公室意见年月日",
        ],
    )
    # Only the outcome recorded since changed: the person's facts are the ones kept at submission.
    assert before_text.split("考核记录")[0] == after_text.split("考核记录")[0]


def test_browser_print_page_is_the_same_form(world, client):
    unit, app, reg = through_the_chain(world, "pdfb", grade=2, seq=403)
    login(client, "office")
    page = text_of(client.get(f"/applications/print/?id={app.id}"))
    assert "附件2" in page and "填表说明" in page and "评审委员会意见" in page
    assert f'href="/applications/print.pdf?id={app.id}"' in page
    assert f'src="/applications/print/photo/?id={app.id}"' in page
    photo = client.get(f"/applications/print/photo/?id={app.id}")
    assert photo.status_code == 200 and photo.mimetype == "image/png" and photo.data == real_photo()
    listing = client.get("/applications/?search=pdfb").get_data(as_text=True)
    assert 'action="/applications/prints.pdf?search=pdfb"' in listing  # a form: the POST may queue a job


@pytest.mark.usefixtures("queue")
def test_filter_pdf_has_one_form_per_row_and_the_cap_refuses(app, world, client, monkeypatch):
    apps = [through_the_chain(world, f"pdfm{i}", grade=5, seq=410 + i)[1] for i in range(3)]
    login(client, "office")
    data = batch_pdf(app, client, "/applications/prints.pdf?search=pdfm", people=3)  # the 下载中心's file
    assert_well_printed(data, forms=3)
    text = flat(text_of_pdf(data))
    assert text.count("附件1") == 3
    for application in apps:
        assert text.count("姓名：" + application.worker.name) == 1
    monkeypatch.setattr("admin_app.limits.PRINT_PDF_ROWS", 2)
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog))
    refused = client.post("/applications/prints.pdf?search=pdfm", follow_redirects=True)
    assert refused.status_code == 200 and refused.mimetype == "text/html"
    assert "一次最多生成2人的登记表PDF" in text_of(refused)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == before


def test_out_of_scope_forms_are_404(world, client):
    _unit, app, _reg = through_the_chain(world, "pdfs", grade=5, seq=420)
    login(client, "shapingba_hr")  # another 区县's bureau
    for url in ("print.pdf", "print/", "print/photo/"):
        assert client.get(f"/applications/{url}?id={app.id}").status_code == 404, url
    response = client.post("/applications/prints.pdf?search=pdfs", follow_redirects=True)
    assert response.mimetype == "text/html" and "当前查询没有可打印的申请" in text_of(response)
    login(client, "unit_b")
    assert client.get(f"/applications/print.pdf?id={app.id}").status_code == 404


def test_renderer_reads_only_its_own_files(app):
    """No network, no file:// outside the static folder: such resources are left out."""
    from admin_app.services.pdf import OwnFilesOnly

    fetcher = OwnFilesOnly(
        "http://localhost/static/", app.static_folder, {"http://localhost/p": (b"x", "image/png")}
    )
    assert fetcher.fetch("http://localhost/p").read() == b"x"
    assert fetcher.fetch("http://localhost/static/gk.js").read()
    for url in (
        "http://localhost/static/../config.py",
        "http://localhost/static/%2e%2e/__init__.py",
        "file:///etc/passwd",
        "http://example.com/a.png",
        "http://localhost/applications/",
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_long_text_flows_onto_more_pages_and_nothing_is_cut_off(world, client):
    """业绩 of the longest allowed length and a long 工作简历: the form goes on over more pages, every page keeps
    its margins, and every character is in the file."""
    from admin_app import limits
    from models import WorkHistory

    unit, app = fresh(world, "pdfl", enums.CAT_DISTRICT, grade=3, seq=430)
    app.achievements = ("主持配电房双电源自动切换改造，编写《安全用电操作规程》并培训本单位工勤人员。" * 200)[
        : limits.ACHIEVEMENTS
    ]
    for year in range(1996, 2021, 2):
        app.worker.work_history.append(
            WorkHistory(
                start_month=clock.today().replace(year=year, month=1, day=1), employer=f"第{year}项目部"
            )
        )
    db.session.commit()
    login(client, unit.users[0].username)
    data = client.get(f"/applications/print.pdf?id={app.id}").data
    pages = pages_of(data)
    assert len(pages) > PAGES_PER_FORM
    band = round(BAND_MM / 25.4 * 72)
    for number, page in enumerate(pages, start=1):
        image = page.render(scale=1, grayscale=True).to_pil().convert("L")
        w, h = image.size
        for box in ((0, 0, w, band), (0, h - band, w, h), (0, 0, band, h), (w - band, 0, w, h)):
            assert image.crop(box).getextrema()[0] > 245, f"page {number}: drawn in the margin band {box}"
    text = flat(text_of_pdf(data))
    assert flat(app.achievements) in text and "第2020项目部" in text


def test_a_draft_prints_without_a_filling_date(world, client):
    unit, app = fresh(world, "pdfd", enums.CAT_DISTRICT, grade=3, seq=431)
    login(client, unit.users[0].username)
    data = client.get(f"/applications/print.pdf?id={app.id}").data
    assert_well_printed(data, forms=1)
    text = flat(text_of_pdf(data))
    assert "填表日期：重庆市机关事业单位技术工人技术等级（岗位）考核办公室制" in text
    assert "（请说明有无相应空岗或不受岗位限额参评的情形）（公章）年月日" in text  # undecided: blank


def test_opinion_rows_follow_the_route_and_the_outcome(world):
    """市属单位（党群）: 主管部门意见 is 市委组织部干部一处's decision, the 区县 rows stay blank, 市工考办's is its own;
    a candidate absent from the exam: 缺考 in the scores and in the 鉴定机构's opinion."""
    from admin_app.services import registration_forms

    unit, app = fresh(world, "pdfp", enums.CAT_CITY_PARTY, grade=3, seq=432)
    assert workflow.submit(unit.users[0], [app.id]).done
    add_material(app)
    db.session.commit()
    assert workflow.decide(world.users[enums.PARTY_ORG], [app.id], "approve", "同意报送。").done
    assert workflow.decide(world.users[enums.OFFICE], [app.id], "reject", "近五年年度考核不全。").done
    db.session.expire_all()
    form = registration_forms.form_of(app)
    unit_row, supervisor, district = form.opinions
    assert unit_row.organisation == "pdfp单位" and unit_row.decided
    assert (supervisor.text, supervisor.organisation) == ("审核通过。同意报送。", "市委组织部干部一处")
    assert not district.decided and district.organisation is None
    assert (form.office.text, form.office.organisation) == ("审核不通过。近五年年度考核不全。", "市工考办")
    assert not form.center.decided and form.scores == registration_forms.Scores()
    assert not form.district_recognition.decided and form.committee is None

    _unit, absent_app, reg = through_the_chain(world, "pdfa", grade=2, seq=433)
    assert workflow.enter_scores(world.users[enums.CENTER], [scores(reg.id, None, None, absent=True)]) == {}
    db.session.expire_all()
    form = registration_forms.form_of(absent_app)
    assert form.scores == registration_forms.Scores("缺考", "缺考", "缺考")
    assert (form.center.text, form.center.organisation) == ("考生缺考。", "市职鉴中心")
    assert form.committee == registration_forms.Committee() and form.district_recognition is None


def test_a_photo_that_is_not_a_picture_is_left_out_quietly(world, client, caplog):
    import logging

    reg = world.registrations["B"]  # its stored "photo" is a PNG signature followed by zeros
    login(client, "office")
    with caplog.at_level(logging.WARNING):
        data = client.get(f"/applications/print.pdf?id={reg.application_id}").data
    assert_well_printed(data, forms=1)
    assert not list(pages_of(data)[1].get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]))
    assert "贴照片" in flat(text_of_pdf(data))
    assert not [r for r in caplog.records if r.name.startswith("weasyprint") and r.levelno >= logging.WARNING]
