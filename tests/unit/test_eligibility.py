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


def refused(code, **given):
    """The result of rule ``code`` for the given facts, asserted to block a submission."""
    result = run(**given)[code]
    assert result.blocking, result
    return result


def allowed(code, **given):
    result = run(**given)[code]
    assert result.passed, result
    return result


FULL = replace(QUOTA, vacant_posts=1, non_exempt_taken=1)  # one vacant post, already taken by another
EXCELLENT = replace(
    WORKER, assessments={2016: "excellent", 2017: "excellent", 2018: "excellent", 2019: "pass", 2020: "pass"}
)
SENIOR_WORKER = replace(WORKER, current_grade=3)  # 高级工, applying for 技师
SENIOR = replace(APP, applied_grade=2)
NO_GRADE = replace(WORKER, current_grade=None, current_grade_date=None)


def test_a_worker_meeting_every_condition_passes_all_eleven_rules():
    results = run()
    assert all(r.passed for r in results.values()), [r for r in results.values() if not r.passed]
    assert len(results) == 11


# --- R01 年度考核 ---------------------------------------------------------------------------------
def test_a_worker_is_refused_when_one_assessment_year_is_below_pass():
    result = refused("R01", worker=replace(WORKER, assessments={**WORKER.assessments, 2018: "basic"}))
    assert result.message == "2016－2020年年度考核须均为合格及以上：2018年基本合格"


def test_a_worker_is_refused_when_an_assessment_year_is_missing():
    missing = {y: "pass" for y in (2016, 2017, 2018, 2019)}
    result = refused("R01", worker=replace(WORKER, assessments=missing))
    assert result.message == "缺少2020年度考核结果（须2016－2020年连续合格及以上）"


# --- R02 不得参加考核的情形 --------------------------------------------------------------------------
def test_a_worker_is_refused_while_under_discipline():
    result = refused("R02", worker=replace(WORKER, discipline_until=date(2021, 12, 31)))
    assert result.message == "处分期至2021-12-31，仍在处分期内"


def test_a_worker_may_apply_when_the_discipline_period_is_over():
    allowed("R02", worker=replace(WORKER, discipline_until=date(2021, 1, 1)))


def test_a_worker_is_refused_when_detained_on_long_leave_or_holding_a_professional_title():
    for flag in ("detained_or_probation", "long_sick_leave_or_absence", "holds_professional_title"):
        assert run(worker=replace(WORKER, **{flag: True}))["R02"].blocking, flag


def test_a_worker_is_refused_for_another_exclusion_named_by_the_unit():
    result = refused("R02", worker=replace(WORKER, other_exclusion="借调"))
    assert result.message == "其他不符合申报条件的情形：借调"


# --- R03 依次等级 --------------------------------------------------------------------------------
def test_a_worker_is_refused_when_skipping_a_grade():
    result = refused("R03", app=replace(APP, applied_grade=2))
    assert result.message == "现等级为四级（中级工），应申报三级（高级工），不能申报二级（技师）"


def test_a_worker_without_a_grade_may_apply_for_the_entry_grade():
    allowed("R03", worker=NO_GRADE, app=replace(APP, applied_grade=5))


def test_a_worker_without_a_grade_is_refused_above_the_entry_grade():
    result = refused("R03", worker=NO_GRADE, app=replace(APP, applied_grade=4))
    assert result.message == "现等级为无，应申报五级（初级工），不能申报四级（中级工）"


def test_a_worker_is_refused_when_already_at_the_highest_grade():
    result = refused("R03", worker=replace(WORKER, current_grade=1), app=replace(APP, applied_grade=1))
    assert result.message == "已取得最高等级（高级技师），无更高等级可申报"


# --- R04 本等级工作年限 (counted by months from the month pay at the grade began, to the cut-off) ----------
def test_a_worker_may_apply_with_exactly_the_required_years_counted_by_month():
    allowed(
        "R04", worker=replace(WORKER, current_grade_date=date(2016, 1, 20))
    )  # 2016-01 … 2020-12: 60 months


def test_a_worker_is_refused_one_month_short_of_the_required_years():
    result = refused("R04", worker=replace(WORKER, current_grade_date=date(2016, 2, 1)))
    assert result.message == "截至2020年12月31日本等级工作4年，申报须满5年"


def test_a_worker_is_refused_when_short_of_the_years_the_batch_requires():
    custom = replace(RULES, min_years={**RULES.min_years, 3: 9})  # the parameter is read from the batch
    result = refused("R04", rules=custom)
    assert result.message == "截至2020年12月31日本等级工作8年，申报须满9年"


# --- R05 工种一致 --------------------------------------------------------------------------------
def test_a_worker_is_refused_when_the_applied_trade_is_not_the_current_trade():
    assert refused("R05", app=replace(APP, applied_trade_id=8)).message == "申报工种须与现从事工种一致"


def test_a_worker_is_refused_when_the_applied_trade_is_not_the_certificate_trade():
    result = refused("R05", worker=replace(WORKER, certificate_trade_id=9))
    assert result.message == "申报工种须与已获等级证书所列工种一致"


def test_a_worker_applying_for_the_entry_grade_may_choose_any_trade():
    entry = replace(NO_GRADE, current_trade_id=None, certificate_trade_id=None)
    allowed("R05", worker=entry, app=replace(APP, applied_grade=5, applied_trade_id=8))


# --- R06 技师/高级技师 -----------------------------------------------------------------------------
def test_a_worker_may_apply_for_a_senior_grade_the_trade_allows():
    allowed("R06", worker=SENIOR_WORKER, app=SENIOR)


def test_a_worker_is_refused_a_senior_grade_above_the_trade_maximum():
    result = refused("R06", worker=SENIOR_WORKER, app=replace(SENIOR, trade_max_grade=3))
    assert result.message == "该工种最高只能申报三级（高级工）（渝人社〔2017〕59号工种目录）"


def test_a_worker_is_refused_a_senior_grade_below_high_school_education():
    low = replace(SENIOR_WORKER, education="junior_or_below")
    assert refused("R06", worker=low, app=SENIOR).message == "申报技师、高级技师学历须为高中及以上"


def test_a_worker_below_high_school_education_may_apply_for_a_non_senior_grade():
    allowed("R06", worker=replace(SENIOR_WORKER, education="junior_or_below"), app=APP)


# --- R07 年龄 (a warning, never a refusal) ----------------------------------------------------------
def test_a_man_of_retirement_age_is_warned_not_refused():
    old = run(worker=replace(WORKER, birth_date=date(1960, 1, 1)))["R07"]
    assert not old.passed and not old.blocking and old.severity == el.WARN
    assert old.message == "截至2020-12-31已满60周岁，达到退休年龄（60岁）"


def test_a_woman_is_warned_from_fifty():
    female = run(worker=replace(WORKER, gender="F", birth_date=date(1969, 1, 1)))["R07"]
    assert not female.passed and not female.blocking
    assert female.message == "截至2020-12-31已满51周岁，达到退休年龄（50岁）"


# --- R08 岗位限额 --------------------------------------------------------------------------------
def test_a_worker_is_refused_beyond_the_one_to_one_quota():
    assert refused("R08", quota=FULL).message == "三级（高级工）空缺岗位1个，已申报1人，超过1:1限额"


def test_a_worker_with_three_excellent_years_may_apply_beyond_the_quota():
    allowed("R08", worker=EXCELLENT, quota=FULL)


def test_a_worker_placed_sixth_in_a_competition_may_apply_beyond_the_quota():
    allowed("R08", worker=replace(WORKER, competition_rank=6), quota=FULL)


def test_a_worker_placed_seventh_in_a_competition_is_refused_beyond_the_quota():
    refused("R08", worker=replace(WORKER, competition_rank=7), quota=FULL)


def test_a_national_technical_expert_may_apply_beyond_the_quota():
    allowed("R08", worker=replace(WORKER, honour_title="national_technical_expert"), quota=FULL)


def test_an_exempt_worker_is_refused_above_the_units_highest_established_grade():
    result = refused("R08", worker=EXCELLENT, quota=replace(QUOTA, highest_grade=4))
    assert result.message == "申报等级不得超过本单位工勤岗位最高设置等级（四级（中级工））"


def test_a_worker_is_refused_when_the_unit_has_no_post_setting():
    result = refused("R08", quota=replace(QUOTA, has_post_setting=False))
    assert result.message == "请先在“岗位设置”中填写本批次三级（高级工）的岗位数"


# --- R09 公示 ------------------------------------------------------------------------------------
def test_a_worker_is_refused_when_the_publicity_drew_an_objection():
    assert refused("R09", app=replace(APP, publicity_result="objection")).message == "公示结果须为无异议"


def test_a_worker_is_refused_without_publicity_dates():
    assert refused("R09", app=replace(APP, publicity_start=None)).message == "请填写公示起止日期"


def test_a_worker_is_refused_when_the_publicity_ends_before_it_starts():
    result = refused("R09", app=replace(APP, publicity_end=date(2021, 5, 1)))
    assert result.message == "公示结束日期不能早于开始日期"


# --- R10 退役士兵 --------------------------------------------------------------------------------
def test_a_veteran_may_skip_grade_order_only_after_a_reviewer_decides():
    veteran = replace(WORKER, is_veteran=True, current_grade=None, current_grade_date=None)
    app = replace(APP, veteran=True)  # applies for 高级工 with no grade: 比照同等条件人员
    results = el.evaluate(veteran, app, RULES, QUOTA, TODAY)
    codes = {r.code: r for r in results}
    assert not codes["R03"].passed and not codes["R03"].blocking
    assert el.needs_veteran_decision(results)
    decided = el.evaluate(veteran, replace(app, veteran_override="比照同工龄人员"), RULES, QUOTA, TODAY)
    assert not el.needs_veteran_decision(decided)


def test_a_worker_is_refused_when_claiming_veteran_status_the_record_lacks():
    assert refused("R10", app=replace(APP, veteran=True)).message == "人员信息中未标记为退役士兵"


# --- R11 上一批次考试违纪 ------------------------------------------------------------------------------
def test_a_worker_marked_misconduct_in_the_batch_before_is_refused_naming_the_batch_and_the_reason():
    cheated = replace(WORKER, previous_misconduct=el.Misconduct(2020, "理论考试携带手机"))
    result = refused("R11", worker=cheated)
    assert result.title == "上一批次考试违纪"
    assert result.message == "在2020年度考核中违纪（理论考试携带手机），不得参加本批次考核"
    others = [r for r in run(worker=cheated).values() if r.code != "R11"]
    assert all(r.passed for r in others), "the 违纪 is its own rule"


def test_a_worker_without_misconduct_in_the_batch_before_passes_the_misconduct_rule():
    assert allowed("R11").message == "上一批次考核无违纪记录"


# --- the quota exemption's reason --------------------------------------------------------------------
def test_a_worker_without_excellent_years_competition_or_honour_has_no_quota_exemption():
    assert el.quota_exemption(WORKER, RULES) is None


def test_a_worker_with_three_excellent_years_is_exempt_for_that_reason():
    three = {**WORKER.assessments, 2016: "excellent", 2018: "excellent", 2020: "excellent"}
    assert el.quota_exemption(replace(WORKER, assessments=three), RULES) == "three_excellent"
