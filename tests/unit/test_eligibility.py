"""Each rule of SPEC §5 with a passing and a failing case (plain values, no database)."""

from dataclasses import replace
from datetime import date

from admin_app.services import eligibility as el

RULES = el.BatchRules(
    cutoff_date=date(2020, 12, 31),
    assessment_years=(2016, 2017, 2018, 2019, 2020),
    min_years={4: 5, 3: 5, 2: 5, 1: 5},
)
WORKER = el.WorkerFacts(
    gender="M",
    birth_date=date(1975, 3, 1),
    current_grade=4,
    current_grade_date=date(2012, 5, 1),
    current_trade_id=7,
    certificate_trade_id=7,
    education="high_school",
    assessments={y: "pass" for y in range(2016, 2021)},
)
APP = el.ApplicationFacts(
    applied_grade=3,
    applied_trade_id=7,
    trade_max_grade=1,
    publicity_result="no_objection",
    publicity_start=date(2021, 6, 1),
    publicity_end=date(2021, 6, 7),
)
QUOTA = el.QuotaFacts(has_post_setting=True, vacant_posts=2, highest_grade=1, non_exempt_taken=0)
TODAY = date(2021, 7, 1)


def run(worker=WORKER, app=APP, rules=RULES, quota=QUOTA):
    return {r.code: r for r in el.evaluate(worker, app, rules, quota, TODAY)}


def test_a_clean_case_passes_every_rule():
    results = run()
    assert all(r.passed for r in results.values()), [r for r in results.values() if not r.passed]
    assert len(results) == 10


def test_r01_assessments():
    results = run(worker=replace(WORKER, assessments={**WORKER.assessments, 2018: "basic"}))
    assert results["R01"].blocking and "2018年基本合格" in results["R01"].message
    missing = {y: "pass" for y in (2016, 2017, 2018, 2019)}
    assert "缺少2020" in run(worker=replace(WORKER, assessments=missing))["R01"].message


def test_r02_exclusions():
    assert run(worker=replace(WORKER, discipline_until=date(2021, 12, 31)))["R02"].blocking
    assert run(worker=replace(WORKER, discipline_until=date(2021, 1, 1)))["R02"].passed  # period over
    for flag in ("detained_or_probation", "long_sick_leave_or_absence", "holds_professional_title"):
        assert run(worker=replace(WORKER, **{flag: True}))["R02"].blocking, flag
    assert "借调" in run(worker=replace(WORKER, other_exclusion="借调"))["R02"].message


def test_r03_grade_order():
    assert run(app=replace(APP, applied_grade=2))["R03"].blocking
    no_grade = replace(WORKER, current_grade=None, current_grade_date=None)
    assert run(worker=no_grade, app=replace(APP, applied_grade=5))["R03"].passed
    assert run(worker=no_grade, app=replace(APP, applied_grade=4))["R03"].blocking
    top = replace(WORKER, current_grade=1)
    assert "最高等级" in run(worker=top, app=replace(APP, applied_grade=1))["R03"].message


def test_r04_years_at_grade_counted_to_cutoff():
    # Counted by months from the month pay at the grade began: 2016-01 … 2020-12 = 60 months.
    assert run(worker=replace(WORKER, current_grade_date=date(2016, 1, 20)))["R04"].passed
    assert run(worker=replace(WORKER, current_grade_date=date(2016, 2, 1)))["R04"].blocking
    short = run(worker=replace(WORKER, current_grade_date=date(2016, 6, 1)))["R04"]
    assert short.blocking and "工作4年" in short.message
    custom = replace(RULES, min_years={**RULES.min_years, 3: 9})
    assert run(rules=custom)["R04"].blocking  # 8 years < 9, parameter read from the batch


def test_r05_trade_consistency():
    assert run(app=replace(APP, applied_trade_id=8))["R05"].blocking
    assert run(worker=replace(WORKER, certificate_trade_id=9))["R05"].blocking
    entry = replace(
        WORKER, current_grade=None, current_grade_date=None, current_trade_id=None, certificate_trade_id=None
    )
    assert run(worker=entry, app=replace(APP, applied_grade=5, applied_trade_id=8))["R05"].passed


def test_r06_senior_trade_and_education():
    senior_worker = replace(WORKER, current_grade=3)
    senior = replace(APP, applied_grade=2)
    assert run(worker=senior_worker, app=senior)["R06"].passed
    assert run(worker=senior_worker, app=replace(senior, trade_max_grade=3))["R06"].blocking
    low = replace(senior_worker, education="junior_or_below")
    assert "高中及以上" in run(worker=low, app=senior)["R06"].message
    assert run(worker=low, app=APP)["R06"].passed  # not a senior grade


def test_r07_age_is_a_warning():
    old = run(worker=replace(WORKER, birth_date=date(1960, 1, 1)))["R07"]
    assert not old.passed and not old.blocking and old.severity == el.WARN
    female = run(worker=replace(WORKER, gender="F", birth_date=date(1969, 1, 1)))["R07"]
    assert not female.passed  # 51 ≥ 50


def test_r08_quota_and_exemptions():
    full = replace(QUOTA, vacant_posts=1, non_exempt_taken=1)
    assert "超过1:1限额" in run(quota=full)["R08"].message
    excellent = replace(
        WORKER,
        assessments={2016: "excellent", 2017: "excellent", 2018: "excellent", 2019: "pass", 2020: "pass"},
    )
    assert run(worker=excellent, quota=full)["R08"].passed
    assert run(worker=replace(WORKER, competition_rank=6), quota=full)["R08"].passed
    assert run(worker=replace(WORKER, competition_rank=7), quota=full)["R08"].blocking
    assert run(worker=replace(WORKER, honour_title="national_technical_expert"), quota=full)["R08"].passed
    # Exempt or not, never above the unit's highest established grade.
    capped = replace(QUOTA, highest_grade=4)
    assert "最高设置等级" in run(worker=excellent, quota=capped)["R08"].message
    assert "岗位设置" in run(quota=replace(QUOTA, has_post_setting=False))["R08"].message


def test_r09_publicity():
    assert run(app=replace(APP, publicity_result="objection"))["R09"].blocking
    assert run(app=replace(APP, publicity_start=None))["R09"].blocking
    assert run(app=replace(APP, publicity_end=date(2021, 5, 1)))["R09"].blocking


def test_r10_veteran_relaxes_order_and_years_until_a_reviewer_decides():
    veteran = replace(WORKER, is_veteran=True, current_grade=None, current_grade_date=None)
    app = replace(APP, veteran=True)  # applies for 高级工 with no grade: 比照同等条件人员
    results = el.evaluate(veteran, app, RULES, QUOTA, TODAY)
    codes = {r.code: r for r in results}
    assert not codes["R03"].passed and not codes["R03"].blocking
    assert el.needs_veteran_decision(results)
    decided = el.evaluate(veteran, replace(app, veteran_override="比照同工龄人员"), RULES, QUOTA, TODAY)
    assert not el.needs_veteran_decision(decided)
    # Claiming veteran status without the worker's flag is blocking.
    assert run(app=app)["R10"].blocking


def test_quota_exemption_reason():
    assert el.quota_exemption(WORKER, RULES) is None
    three = {**WORKER.assessments, 2016: "excellent", 2018: "excellent", 2020: "excellent"}
    assert el.quota_exemption(replace(WORKER, assessments=three), RULES) == "three_excellent"
