"""附表1 and 附表2 登记表 in the browser before and after 资格认定, and the server's PDF of each rendered to
images; every screenshot in docs/screenshots/ (forms-*.png), to be looked at beside the notice's 附件1/附件2."""

import io
from datetime import date
from pathlib import Path

import pypdfium2 as pdfium

from tests.e2e.test_menus import login

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _portrait() -> bytes:
    """A small 二寸-shaped photo (PNG)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (330, 480), (222, 233, 245))
    draw = ImageDraw.Draw(image)
    draw.ellipse((105, 70, 225, 210), fill=(238, 205, 180))
    draw.rectangle((70, 240, 260, 480), fill=(40, 60, 110))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _through_the_chain(app) -> dict:
    """Two workers of unit_demo's unit (区县属, 渝中区): 赵附表 applies for 高级工 (附表1, the 区县 bureau decides
    and recognises), 钱附表 for 技师 (附表2, the bureau then 市工考办; the committee votes). Both are submitted,
    approved with the reviewers' opinions, registered with a photo, fee confirmed and scored; not recognised."""
    import sqlalchemy as sa

    from admin_app import workflow
    from admin_app.extensions import db
    from admin_app.services.eligibility import Vote
    from admin_app.workflow.states import ExamCategory
    from models import (
        AnnualAssessment,
        Application,
        ExamBatch,
        Registration,
        Trade,
        User,
        Worker,
        WorkerEducation,
        WorkHistory,
        enums,
    )
    from tests.factories import add_material, make_id_number
    from tests.integration.test_exam_pipeline import Upload

    found = {}
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "unit_demo"))
        unit = user.organisation
        batch = db.session.scalar(sa.select(ExamBatch).where(ExamBatch.year == 2021))
        trade = db.session.scalar(sa.select(Trade).where(Trade.name == "维修电工"))
        staff = {
            name: db.session.scalar(sa.select(User).where(User.username == name))
            for name in ("yuzhong_hr", "office", "center")
        }
        for seq, (name, grade, current, since) in enumerate(
            (("赵附表", 3, 4, date(2013, 3, 1)), ("钱附表", 2, 3, date(2009, 9, 1))), start=61
        ):
            worker = Worker(
                unit_id=unit.id,
                name=name,
                gender="M",
                id_number=make_id_number("500103", date(1974, 4, 4), seq),
                birth_date=date(1974, 4, 4),
                work_start_date=date(1994, 8, 1),
                education="high_school",
                current_trade=trade,
                certificate_trade=trade,
                current_grade=current,
                current_grade_date=since,
                certificate_number=f"CQ{since.year}0{seq}",
                years_in_trade=26,
                rewards_punishments="2018年获本单位先进个人",
            )
            worker.educations.append(
                WorkerEducation(
                    level="high_school",
                    school="重庆市第七中学",
                    graduated_on=date(1993, 7, 1),
                    major="普通高中",
                )
            )
            worker.work_history.append(
                WorkHistory(start_month=date(1994, 8, 1), employer=unit.name, trade_text="维修电工")
            )
            for year in batch.assessment_years:
                worker.assessments.append(AnnualAssessment(year=year, result="pass"))
            db.session.add(worker)
            db.session.flush()
            application = Application(
                batch_id=batch.id,
                worker_id=worker.id,
                unit_id=unit.id,
                jurisdiction_id=unit.jurisdiction_id,
                org_category=unit.org_category,
                applied_trade_id=trade.id,
                applied_grade=grade,
                achievements="负责单位配电房及办公楼电气线路维护；完成双电源自动切换改造；带徒2名。",
                publicity_start=date(2021, 6, 1),
                publicity_end=date(2021, 6, 7),
                publicity_result="no_objection",
            )
            db.session.add(application)
            db.session.commit()
            assert workflow.submit(user, [application.id]).done, name
            add_material(application)
            db.session.commit()
            opinions = {"yuzhong_hr": "经审核，符合申报条件，同意上报。", "office": "同意申报。"}
            for step in application.route_steps:
                reviewer = staff["office" if step == enums.OFFICE else "yuzhong_hr"]
                assert workflow.decide(
                    reviewer, [application.id], "approve", opinions[reviewer.username]
                ).done
            reg = db.session.scalar(
                sa.select(Registration).where(Registration.application_id == application.id)
            )
            workflow.register(
                user,
                reg,
                phone="13800001111",
                voluntary_training=True,
                exam_category=ExamCategory.BOTH,
                remarks=None,
                photo=Upload(_portrait(), "照片.png"),
                id_copy=Upload(b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF", "身份证.pdf"),
            )
            assert workflow.confirm_registrations(staff["office"], [reg.id]).done
            assert workflow.confirm_fees(staff["center"], [reg.id], f"SJ{seq}").done
            review = "86" if grade in enums.SENIOR_GRADES else None
            entry = workflow.ScoreEntry(reg.id, "82.5", "91", review, False)
            assert workflow.enter_scores(staff["center"], [entry]) == {}
            if grade in enums.SENIOR_GRADES:
                assert workflow.evaluate(staff["office"], [reg.id], "pass", Vote(11, 9, 8, 1, 0)).done
            found[name] = (application.id, reg.id)
    return found


def _recognise(app, found):
    import sqlalchemy as sa

    from admin_app import workflow
    from admin_app.extensions import db
    from models import Registration, User
    from tests.factories import put_on_ended_notice

    with app.app_context():
        hr, office = (
            db.session.scalar(sa.select(User).where(User.username == name))
            for name in ("yuzhong_hr", "office")
        )
        # scores published and a 合格名单公示 whose period ended: what 资格认定 waits for
        for name in ("赵附表", "钱附表"):
            put_on_ended_notice(db.session.get(Registration, found[name][1]))
        db.session.commit()
        assert workflow.recognise(hr, [found["赵附表"][1]]).done
        assert workflow.recognise(office, [found["钱附表"][1]]).done


def _shoot_form(page, live_server, app_id, name):
    page.goto(f"{live_server}/applications/print/?id={app_id}")
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    return page.inner_text("body")


def _shoot_pdf(page, live_server, app_id, name) -> int:
    response = page.request.get(f"{live_server}/applications/print.pdf?id={app_id}")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    document = pdfium.PdfDocument(response.body())
    for number in range(len(document)):
        image = document[number].render(scale=1.5).to_pil()
        image.save(SCREENSHOTS / f"{name}-page{number + 1}.png")
    return len(document)


def test_forms_before_and_after_recognition(page, live_server):
    SCREENSHOTS.mkdir(exist_ok=True)
    found = _through_the_chain(live_server.app)
    junior, senior = found["赵附表"][0], found["钱附表"][0]
    login(page, live_server, "office")

    page.goto(f"{live_server}/applications/")  # newest first: the two rows made above lead the list
    tools = page.inner_text(".gk-list-tools")
    assert "下载登记表PDF（全部符合筛选条件）" in tools
    assert "赵附表" in page.inner_text("table.model-list") and "钱附表" in page.inner_text("table.model-list")
    page.screenshot(path=str(SCREENSHOTS / "forms-0-list-pdf-button.png"), full_page=True)

    text = _shoot_form(page, live_server, junior, "forms-1-fubiao1-before-recognition")
    assert "附件1" in text and "填表说明" in text and "82.5" in text and "考核成绩合格" in text
    assert "资格认定" not in text
    text = _shoot_form(page, live_server, senior, "forms-2-fubiao2-before-recognition")
    assert "附件2" in text and "评审通过" in text and "资格认定" not in text
    assert page.locator("img[alt='照片']").count() == 1
    assert page.evaluate("document.querySelector(\"img[alt='照片']\").naturalWidth") > 0

    _recognise(live_server.app, found)
    text = _shoot_form(page, live_server, junior, "forms-3-fubiao1-after-recognition")
    assert "资格认定：同意认定为三级（高级工）" in text and "现工种/等级" in text
    text = _shoot_form(page, live_server, senior, "forms-4-fubiao2-after-recognition")
    assert "资格认定：同意认定为二级（技师）" in text
    assert _shoot_pdf(page, live_server, junior, "forms-5-fubiao1-pdf") == 3
    assert _shoot_pdf(page, live_server, senior, "forms-6-fubiao2-pdf") == 3
