"""The record kept at submission (SPEC §8.2): the 登记表, the details page and its rule check, 附表3 and the
exports of a submitted application read the person's and the unit's facts as they were when it was
submitted (or resubmitted); recognising the new grade, or editing the worker or the unit, later changes none
of them; a draft shows the live facts (both databases)."""

import io
import re
from datetime import date

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from admin_app import workflow
from admin_app.extensions import db
from admin_app.services import records
from models import Application, ApplicationRecord, Registration, Worker, WorkerEducation, enums
from models.worker import years_by_month
from tests.conftest import login, text_of
from tests.factories import add_application, add_worker, put_on_ended_notice
from tests.integration.test_applications import fresh, open_posts
from tests.integration.test_download_jobs import queue  # noqa: F401  (the fixture)
from tests.integration.test_exam_pipeline import registered, scores
from tests.integration.test_return_for_revision import submitted
from tests.integration.test_summary_job import job_workbook


def kept(app_id) -> list[ApplicationRecord]:
    return db.session.scalars(
        sa.select(ApplicationRecord)
        .where(ApplicationRecord.application_id == app_id)
        .order_by(ApplicationRecord.sequence)
    ).all()


def page_text(client, url) -> str:
    """The visible text of a page: tags and the print date (it is the day it is printed) removed."""
    html = client.get(url).get_data(as_text=True)
    text = re.sub(r"<script.*?</script>|<style.*?</style>", " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"打印日期\s*\d{4}-\d{2}-\d{2}", "打印日期", text)
    return re.sub(r"\s+", " ", text).strip()


def person_part(text: str) -> str:
    """The 登记表 up to 主要专业技术业绩: the person's and the unit's facts (no outcome is printed there)."""
    return text[: text.index("主要专业")]


# --- the 登记表 before and after recognition --------------------------------------------------------------
def test_registration_form_is_the_same_before_and_after_recognition(client, world):
    unit, app, reg = registered(world, "认定", grade=3, seq=500)
    worker = db.session.get(Worker, app.worker_id)
    old_grade, old_since = worker.current_grade, worker.current_grade_date
    cutoff = app.batch.cutoff_date
    years = years_by_month(old_since, cutoff)
    assert old_grade == 4 and years >= 5
    url = f"/applications/print/?id={app.id}"
    login(client, "office")
    at_submission = page_text(client, url)
    center = world.users[enums.CENTER]
    assert workflow.enter_scores(center, [scores(reg.id, "80", "85")]) == {}
    before = page_text(client, url)  # every outcome but the recognition recorded

    put_on_ended_notice(reg)
    assert workflow.recognise(world.users[enums.OFFICE], [reg.id], today=date(2026, 12, 2)).done
    db.session.expire_all()
    worker = db.session.get(Worker, app.worker_id)
    assert (worker.current_grade, worker.current_grade_date) == (3, date(2026, 12, 1))  # the live facts moved
    after = page_text(client, url)

    # The grade and the years at it are those he applied with, not the grade just recognised (nor 0 years).
    cell = re.search(r"现工种/等级 (.*?) 从事现工种 等级年限 (\d+)年", after)
    assert cell and enums.grade_label(old_grade) in cell.group(1) and int(cell.group(2)) == years
    live = records.build(db.session.get(Application, app.id))
    assert live.person.grade_label != enums.grade_label(old_grade)  # a form reading live facts would differ
    # The one outcome recorded since, the recognition in the 市工考办 row, masked: nothing else changed.
    db.session.expire_all()
    number = db.session.get(Registration, reg.id).certificate_number
    outcome = re.search(r"资格认定：[^。]*。 市工考办 \d{4}年\d{1,2}月\d{1,2}日", after)
    assert outcome and number in outcome.group(0) and number not in before
    assert after.replace(outcome.group(0), "年 月 日") == before
    # The person's part of the form is the one printed at submission.
    assert person_part(after) == person_part(at_submission)


def test_rule_check_and_details_read_the_kept_facts(client, world):
    unit, app = submitted(world, "规则", seq=510)
    worker = db.session.get(Worker, app.worker_id)
    old_name = worker.name
    # After submission: the unit's worker record changes (a later punishment, a new name, a new school) and
    # the unit moves.
    worker.name = "改名后"
    worker.discipline_until = date(2099, 1, 1)
    worker.educations[0].school = "后来的学校"
    unit.address = "新地址99号"
    db.session.commit()
    assert any(r.code == "R02" and not r.passed for r in _live_rules(app))  # live, the rule would now fail

    login(client, "yuzhong_hr")
    html = client.get(f"/applications/details/?id={app.id}").get_data(as_text=True)
    facts = html[html.index('id="record-person"') :]
    facts = facts[: facts.index("</table>")]
    assert old_name in facts and "改名后" not in html
    assert "重庆市第七中学" in facts and "后来的学校" not in html
    assert "重庆市某区某路1号" in facts and "新地址99号" not in html
    assert "处分期" not in html  # the rule check evaluates the facts kept at submission
    assert "提交时保存" in html


def _live_rules(app):
    from admin_app.services import applications as app_facts
    from admin_app.services import eligibility

    db.session.expire_all()
    app = db.session.get(Application, app.id)
    return [
        r
        for r in eligibility.evaluate(
            app_facts.worker_facts(records.build(app).person),
            app_facts.application_facts(app),
            app_facts.batch_rules(app.batch),
            app_facts.quota_facts(app),
            date(2021, 7, 1),
        )
        if not r.passed
    ]


def edited_after_submission(world, key, seq):
    """A submitted application whose worker and unit are then edited; (unit, app, old name, old unit name)."""
    unit, app = submitted(world, key, seq=seq)
    worker = db.session.get(Worker, app.worker_id)
    old_name, old_unit = worker.name, unit.name
    worker.name = "改名后"
    worker.birth_date = date(1980, 1, 1)
    worker.current_grade = 1
    unit.name = "改名单位"
    db.session.commit()
    return unit, app, old_name, old_unit


@pytest.mark.usefixtures("queue")
def test_summary_reads_the_kept_facts(client, world):
    unit, app, old_name, _old_unit = edited_after_submission(world, "汇总", 520)
    login(client, unit.users[0].username)
    book, _response = job_workbook(client, "/applications/summary.xlsx")
    rows = [[c.value for c in row] for sheet in book for row in sheet.iter_rows(min_row=6)]
    (row,) = [r for r in rows if r[1] in (old_name, "改名后")]
    # 姓名, 出生年月 and 现等级 as kept (中级工: the worker applied for 高级工 from it), not as edited.
    assert (row[1], row[3], row[7]) == (old_name, "1975.03", "中级工")


def exported(client, url) -> list[dict]:
    """The rows of an 导出查询结果 workbook as {header: value}."""
    book = load_workbook(io.BytesIO(client.post(url).data))
    header, *rows = [[c.value for c in row] for row in book.active.iter_rows()]
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_exports_read_the_kept_facts(client, world):
    unit, app, old_name, old_unit = edited_after_submission(world, "导出", 525)
    login(client, "yuzhong_hr")
    values = exported(client, "/applications/export.xlsx")
    (row,) = [r for r in values if r["身份证号码"] == app.worker.id_number]
    assert (row["姓名"], row["单位"]) == (old_name, old_unit)
    assert not any("改名" in str(v) for r in values for v in r.values())
    # A registration's export too (its application was submitted: the record kept then).
    _unit, reg_app, reg = registered(world, "报名导出", grade=3, seq=527)
    db.session.get(Worker, reg_app.worker_id).name = "报名后改名"
    db.session.commit()
    login(client, "office")
    values = exported(client, "/registrations/export.xlsx")
    (row,) = [r for r in values if r["身份证号码"] == reg_app.worker.id_number]
    assert row["姓名"] == "报名导出申报人" and "报名后改名" not in str(values)
    # And its details page names the candidate as kept.
    page = text_of(client.get(f"/registrations/details/?id={reg.id}"))
    assert "报名导出申报人" in page and "报名后改名" not in page


def test_a_draft_shows_the_live_facts_and_a_withdrawn_one_too(client, world):
    unit, app = fresh(world, "草稿", enums.CAT_DISTRICT, seq=530)
    worker = db.session.get(Worker, app.worker_id)
    worker.name = "草稿中改名"
    db.session.commit()
    assert records.record_of(db.session.get(Application, app.id)).live
    login(client, unit.users[0].username)
    html = client.get(f"/applications/details/?id={app.id}").get_data(as_text=True)
    assert "草稿中改名" in html and "当前信息" in html

    assert workflow.submit(unit.users[0], [app.id]).done
    assert workflow.withdraw(unit.users[0], [app.id]).done
    db.session.expire_all()
    worker = db.session.get(Worker, app.worker_id)
    worker.name = "撤回后改名"
    db.session.commit()
    app = db.session.get(Application, app.id)
    record = records.record_of(app)
    assert record.live and record.person.name == "撤回后改名"
    assert len(kept(app.id)) == 1  # the submission's record stays in the archive


def test_resubmission_after_return_keeps_a_new_record(world):
    unit, app = submitted(world, "退回", seq=540)
    (first,) = kept(app.id)
    assert (first.sequence, first.occasion) == (1, "submit")
    hr = world.users[enums.DISTRICT_HR]
    assert workflow.return_for_revision(hr, [app.id], "学历有误", ["education"]).done
    db.session.expire_all()
    worker = db.session.get(Worker, app.worker_id)
    worker.educations[0].school = "更正后的学校"
    db.session.commit()
    # While returned the unit is changing it: the live facts.
    assert (
        records.record_of(db.session.get(Application, app.id)).person.educations[0].school == "更正后的学校"
    )
    assert workflow.resubmit(unit.users[0], [app.id]).done
    db.session.expire_all()
    first, second = kept(app.id)
    assert (second.sequence, second.occasion) == (2, "resubmit")
    assert records.loads(first.data).person.educations[0].school == "重庆市第七中学"
    assert records.loads(second.data).person.educations[0].school == "更正后的学校"
    worker = db.session.get(Worker, app.worker_id)
    worker.educations.append(WorkerEducation(level="college", school="再后来"))
    db.session.commit()
    shown = records.record_of(db.session.get(Application, app.id))
    assert [e.school for e in shown.person.educations] == ["更正后的学校"] and not shown.live


def test_bulk_submission_keeps_one_record_per_row(world):
    unit, app = fresh(world, "批量", enums.CAT_DISTRICT, seq=550)
    open_posts(world, unit, approved=5, current=0)
    ids = [app.id]
    for seq in (551, 552):
        worker = add_worker(unit, f"批量{seq}", seq, world.trade, world.batch)
        worker.current_grade = 4
        db.session.flush()
        ids.append(add_application(world, worker, grade=3).id)
    db.session.commit()
    result = workflow.submit(unit.users[0], ids)
    assert sorted(i for i, _ in result.done) == sorted(ids), result.refused
    db.session.expire_all()
    rows = db.session.scalars(
        sa.select(ApplicationRecord).where(ApplicationRecord.application_id.in_(ids))
    ).all()
    assert sorted(r.application_id for r in rows) == sorted(ids)
    assert {r.sequence for r in rows} == {1} and {r.occasion for r in rows} == {"submit"}
    names = {r.application_id: records.loads(r.data).person.name for r in rows}
    apps = {a.id: a for a in db.session.scalars(sa.select(Application).where(Application.id.in_(ids)))}
    assert names == {i: apps[i].worker.name for i in ids}
    assert {records.loads(r.data).unit.name for r in rows} == {unit.name}
    # The bulk reader gives the same records in one go.
    assert {i: r.person.name for i, r in records.records_of(apps.values()).items()} == names


# --- migration 0015 on a database in use --------------------------------------------------------------------
def test_upgrade_keeps_a_record_of_every_submitted_application(world):
    """0015's data step on a database of before (submitted applications, no records): one record of each,
    with the facts of the upgrade's moment; none of a draft."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parents[2] / "migrations" / "versions" / "0015_application_record.py"
    spec = importlib.util.spec_from_file_location("migration_0015", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)

    submitted_ids = {world.applications["B"].id, *(r.application_id for r in world.registrations.values())}
    drafts = {world.applications[k].id for k in ("A", "P", "Y")}
    expected = {a.id: records.build(a) for a in db.session.scalars(sa.select(Application))}
    db.session.commit()
    with db.engine.begin() as conn:
        migration._keep_submitted(conn)
    rows = db.session.execute(sa.select(ApplicationRecord)).scalars().all()
    assert {r.application_id for r in rows} == submitted_ids and not drafts & {r.application_id for r in rows}
    assert {(r.sequence, r.occasion) for r in rows} == {(1, "upgrade")}
    for row in rows:
        record = records.loads(row.data)
        assert (record.person, record.unit) == (
            expected[row.application_id].person,
            expected[row.application_id].unit,
        )
        assert record.kept_at is not None and not record.live
    # What the forms of those applications show from now on.
    app = db.session.get(Application, world.applications["B"].id)
    assert records.record_of(app) == records.loads(next(r.data for r in rows if r.application_id == app.id))
