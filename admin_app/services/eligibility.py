"""Eligibility rules of SPEC §5 as plain functions over plain values (no Flask, no database).

Each rule returns a ``RuleResult`` with a code, a severity and a Chinese message. Parameters come from the
batch (``BatchRules``). ``evaluate`` runs them all; blocking failures refuse a submission.
"""

from dataclasses import dataclass, field
from datetime import date

from models import enums
from models.worker import years_by_month

BLOCK = "block"
WARN = "warn"


@dataclass(frozen=True)
class BatchRules:
    cutoff_date: date
    assessment_years: tuple[int, ...]
    min_years: dict  # target grade -> years at current grade required
    senior_min_education: str = "high_school"
    retirement_age_male: int = 60
    retirement_age_female: int = 50


@dataclass(frozen=True)
class Misconduct:
    """A 违纪 in an earlier batch (notice §2(三)): the batch's year and the reason recorded."""

    year: int
    reason: str


@dataclass(frozen=True)
class WorkerFacts:
    gender: str
    birth_date: date
    current_grade: int | None
    current_grade_date: date | None
    current_trade_id: int | None
    certificate_trade_id: int | None
    education: str | None
    assessments: dict = field(default_factory=dict)  # year -> result key
    discipline_until: date | None = None
    detained_or_probation: bool = False
    long_sick_leave_or_absence: bool = False
    holds_professional_title: bool = False
    other_exclusion: str | None = None
    is_veteran: bool = False
    competition_rank: int | None = None
    honour_title: str | None = None
    # 违纪 in the batch immediately before this one: read from the registrations, not from the kept record
    previous_misconduct: Misconduct | None = None


@dataclass(frozen=True)
class ApplicationFacts:
    applied_grade: int
    applied_trade_id: int
    trade_max_grade: int  # the applied trade's highest allowed grade (1 = 高级技师)
    publicity_result: str | None
    publicity_start: date | None
    publicity_end: date | None
    veteran: bool = False
    veteran_override: str | None = None


@dataclass(frozen=True)
class QuotaFacts:
    has_post_setting: bool
    vacant_posts: int
    highest_grade: int | None  # unit's highest established grade (1 = 高级技师), None: no posts
    non_exempt_taken: int  # other submitted, non-exempt applications of the unit, batch and grade


@dataclass(frozen=True)
class RuleResult:
    code: str
    title: str
    severity: str
    passed: bool
    message: str

    @property
    def blocking(self) -> bool:
        return not self.passed and self.severity == BLOCK


def _ok(code, title, message="符合", severity=BLOCK):
    return RuleResult(code, title, severity, True, message)


def _fail(code, title, message, severity=BLOCK):
    return RuleResult(code, title, severity, False, message)


def years_between(start: date | None, end: date) -> int:
    if start is None:
        return 0
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


def expected_grade(current_grade: int | None) -> int:
    """依次等级: the grade directly above the current one (初级工 for someone without a grade)."""
    return enums.ENTRY_GRADE if current_grade is None else current_grade - 1


def quota_exemption(worker: WorkerFacts, rules: BatchRules) -> str | None:
    """The notice's reason for 不受岗位设置数限制, computed from the record, or None."""
    excellent = sum(1 for y in rules.assessment_years if worker.assessments.get(y) == "excellent")
    if excellent >= 3:
        return "three_excellent"
    if worker.competition_rank is not None and 1 <= worker.competition_rank <= 6:
        return "competition"
    if worker.honour_title in enums.HONOUR_LABELS:
        return "honour"
    return None


# --- the rules ------------------------------------------------------------------------------------------
def rule_assessments(w: WorkerFacts, a: ApplicationFacts, r: BatchRules, **_) -> RuleResult:
    title = "年度考核"
    span = f"{r.assessment_years[0]}－{r.assessment_years[-1]}年"
    missing = [y for y in r.assessment_years if y not in w.assessments]
    bad = [
        y
        for y in r.assessment_years
        if y in w.assessments and w.assessments[y] not in enums.ASSESSMENT_PASSING
    ]
    if missing:
        return _fail(
            "R01", title, f"缺少{'、'.join(map(str, missing))}年度考核结果（须{span}连续合格及以上）"
        )
    if bad:
        detail = "、".join(
            f"{y}年{enums.ASSESSMENT_LABELS.get(w.assessments[y], w.assessments[y])}" for y in bad
        )
        return _fail("R01", title, f"{span}年度考核须均为合格及以上：{detail}")
    return _ok("R01", title, f"{span}年度考核均为合格及以上")


def rule_exclusions(w: WorkerFacts, a: ApplicationFacts, r: BatchRules, today: date, **_) -> RuleResult:
    title = "不得参加考核的情形"
    reasons = []
    if w.discipline_until and w.discipline_until >= today:
        reasons.append(f"处分期至{w.discipline_until:%Y-%m-%d}，仍在处分期内")
    if w.detained_or_probation:
        reasons.append("在被羁押、拘役、判处徒刑宣告缓刑期间")
    if w.long_sick_leave_or_absence:
        reasons.append("一年中累计病假超过3个月或因故未上班超过1个月")
    if w.holds_professional_title:
        reasons.append("已评聘专业技术职务并兑现专业技术职务工资")
    if w.other_exclusion:
        reasons.append(f"其他不符合申报条件的情形：{w.other_exclusion}")
    if reasons:
        return _fail("R02", title, "；".join(reasons))
    return _ok("R02", title, "无不得参加考核的情形")


def rule_grade_order(w: WorkerFacts, a: ApplicationFacts, r: BatchRules, **_) -> RuleResult:
    title = "依次等级申报"
    expected = expected_grade(w.current_grade)
    severity = WARN if a.veteran and w.is_veteran else BLOCK
    if expected < 1:
        return _fail("R03", title, "已取得最高等级（高级技师），无更高等级可申报", severity)
    if a.applied_grade != expected:
        current = enums.grade_label(w.current_grade)
        message = f"现等级为{current}，应申报{enums.grade_label(expected)}，不能申报{enums.grade_label(a.applied_grade)}"
        if severity == WARN:
            message += "（退役士兵比照同等条件人员确定申报等级，须审核人员认定）"
        return _fail("R03", title, message, severity)
    return _ok("R03", title, f"申报{enums.grade_label(a.applied_grade)}，符合依次等级")


def rule_years_at_grade(w: WorkerFacts, a: ApplicationFacts, r: BatchRules, **_) -> RuleResult:
    title = "本等级工作年限"
    required = r.min_years.get(a.applied_grade, 0)
    if a.applied_grade == enums.ENTRY_GRADE or not required:
        return _ok("R04", title, "申报初级工不要求本等级年限")
    severity = WARN if a.veteran and w.is_veteran else BLOCK
    if w.current_grade_date is None:
        return _fail("R04", title, "未填写现等级取得时间", severity)
    years = years_by_month(w.current_grade_date, r.cutoff_date)
    if years < required:
        return _fail(
            "R04",
            title,
            f"截至{r.cutoff_date:%Y年%m月%d日}本等级工作{years}年，申报须满{required}年",
            severity,
        )
    return _ok("R04", title, f"截至{r.cutoff_date:%Y年%m月%d日}本等级工作{years}年（须满{required}年）")


def rule_trade_consistency(w: WorkerFacts, a: ApplicationFacts, r: BatchRules, **_) -> RuleResult:
    title = "工种一致"
    if a.applied_grade == enums.ENTRY_GRADE:
        return _ok("R05", title, "申报初级工不要求工种一致")
    if a.applied_trade_id != w.current_trade_id:
        return _fail("R05", title, "申报工种须与现从事工种一致")
    if w.certificate_trade_id is not None and a.applied_trade_id != w.certificate_trade_id:
        return _fail("R05", title, "申报工种须与已获等级证书所列工种一致")
    if w.certificate_trade_id is None:
        return _fail("R05", title, "未填写等级证书所列工种")
    return _ok("R05", title, "申报工种、现工种与证书工种一致")


def rule_senior(w: WorkerFacts, a: ApplicationFacts, r: BatchRules, **_) -> RuleResult:
    title = "技师/高级技师条件"
    if a.applied_grade not in enums.SENIOR_GRADES:
        return _ok("R06", title, "不适用")
    if a.applied_grade < a.trade_max_grade:
        return _fail(
            "R06",
            title,
            f"该工种最高只能申报{enums.grade_label(a.trade_max_grade)}（渝人社〔2017〕59号工种目录）",
        )
    need = enums.EDUCATION_RANK.get(r.senior_min_education, 0)
    have = enums.EDUCATION_RANK.get(w.education or "", 0)
    if have < need:
        label = enums.EDUCATION_LABELS.get(r.senior_min_education, r.senior_min_education)
        return _fail("R06", title, f"申报技师、高级技师学历须为{label}及以上")
    return _ok("R06", title, "工种目录与学历符合")


def rule_age(w: WorkerFacts, a: ApplicationFacts, r: BatchRules, **_) -> RuleResult:
    title = "年龄"
    limit = r.retirement_age_male if w.gender == "M" else r.retirement_age_female
    age = years_between(w.birth_date, r.cutoff_date)
    if age >= limit:
        return _fail(
            "R07", title, f"截至{r.cutoff_date:%Y-%m-%d}已满{age}周岁，达到退休年龄（{limit}岁）", WARN
        )
    return _ok("R07", title, f"截至{r.cutoff_date:%Y-%m-%d}为{age}周岁", WARN)


def rule_quota(w: WorkerFacts, a: ApplicationFacts, r: BatchRules, quota: QuotaFacts, **_) -> RuleResult:
    title = "岗位限额"
    grade = enums.grade_label(a.applied_grade)
    if not quota.has_post_setting:
        return _fail("R08", title, f"请先在“岗位设置”中填写本批次{grade}的岗位数")
    if quota.highest_grade is None or a.applied_grade < quota.highest_grade:
        highest = enums.grade_label(quota.highest_grade) if quota.highest_grade else "未设置"
        return _fail("R08", title, f"申报等级不得超过本单位工勤岗位最高设置等级（{highest}）")
    exemption = quota_exemption(w, r)
    if exemption:
        return _ok("R08", title, f"不受岗位设置数限制：{enums.QUOTA_EXEMPT_LABELS[exemption]}")
    if quota.non_exempt_taken + 1 > quota.vacant_posts:
        return _fail(
            "R08",
            title,
            f"{grade}空缺岗位{quota.vacant_posts}个，已申报{quota.non_exempt_taken}人，超过1:1限额",
        )
    return _ok(
        "R08",
        title,
        f"{grade}空缺岗位{quota.vacant_posts}个，已申报{quota.non_exempt_taken}人（含本人将为{quota.non_exempt_taken + 1}人）",
    )


def rule_publicity(w: WorkerFacts, a: ApplicationFacts, r: BatchRules, **_) -> RuleResult:
    title = "公示"
    if not a.publicity_start or not a.publicity_end:
        return _fail("R09", title, "请填写公示起止日期")
    if a.publicity_end < a.publicity_start:
        return _fail("R09", title, "公示结束日期不能早于开始日期")
    if a.publicity_result != "no_objection":
        return _fail("R09", title, "公示结果须为无异议")
    return _ok("R09", title, f"{a.publicity_start:%Y-%m-%d}至{a.publicity_end:%Y-%m-%d}公示无异议")


def rule_veteran(w: WorkerFacts, a: ApplicationFacts, r: BatchRules, **_) -> RuleResult:
    title = "退役士兵"
    if not a.veteran:
        return _ok("R10", title, "不适用", WARN)
    if not w.is_veteran:
        return _fail("R10", title, "人员信息中未标记为退役士兵", BLOCK)
    if a.veteran_override:
        return _ok("R10", title, f"已认定比照同等条件人员：{a.veteran_override}", WARN)
    return _fail("R10", title, "退役士兵比照同等条件人员确定申报等级，须由审核人员填写认定意见", WARN)


def rule_misconduct(w: WorkerFacts, a: ApplicationFacts, r: BatchRules, **_) -> RuleResult:
    """Notice §2(三), §4(三): whoever was marked 违纪 in the batch immediately before this one (by year) may
    not apply in this one; the batch after that is open again."""
    title = "上一批次考试违纪"
    m = w.previous_misconduct
    if m is not None:
        return _fail("R11", title, f"在{m.year}年度考核中违纪（{m.reason}），不得参加本批次考核")
    return _ok("R11", title, "上一批次考核无违纪记录")


RULES = (
    rule_assessments,
    rule_exclusions,
    rule_grade_order,
    rule_years_at_grade,
    rule_trade_consistency,
    rule_senior,
    rule_age,
    rule_quota,
    rule_publicity,
    rule_veteran,
    rule_misconduct,
)


def evaluate(
    worker: WorkerFacts, application: ApplicationFacts, rules: BatchRules, quota: QuotaFacts, today: date
) -> list[RuleResult]:
    """Run every rule; the order is the notice's."""
    return [rule(worker, application, rules, quota=quota, today=today) for rule in RULES]


def blocking(results: list[RuleResult]) -> list[RuleResult]:
    return [r for r in results if r.blocking]


def needs_veteran_decision(results: list[RuleResult]) -> bool:
    """A veteran whose grade order or years rule was relaxed to a warning and who has no reviewer's
    认定 yet: approval must wait for it (SPEC §5.10)."""
    waived = any(r.code in ("R03", "R04") and not r.passed and r.severity == WARN for r in results)
    undecided = any(r.code == "R10" and not r.passed for r in results)
    return waived and undecided


# --- 考核评审 committee vote (SPEC §4.4) -------------------------------------------------------------------
@dataclass(frozen=True)
class Vote:
    expected: int  # 应到人数
    present: int  # 实到人数
    yes: int
    no: int
    abstain: int


VOTE_LABELS = {
    "expected": "应到人数",
    "present": "实到人数",
    "yes": "同意人数",
    "no": "不同意人数",
    "abstain": "弃权人数",
}


def vote_problems(vote: Vote) -> list[tuple[tuple[str, ...], str]]:
    """Consistency of 附表2's vote: whole numbers ≥ 0, 同意+不同意+弃权 = 实到 ≤ 应到, 应到 > 0. Each problem
    names the parts of the vote it is about (``Vote``'s field names), so a grid can mark those cells."""
    problems = []
    for name, label in VOTE_LABELS.items():
        if getattr(vote, name) < 0:
            problems.append(((name,), f"{label}不能为负数"))
    if problems:
        return problems
    if vote.expected <= 0:
        problems.append((("expected",), "应到人数须大于0"))
    if vote.present > vote.expected:
        problems.append((("present",), f"实到人数（{vote.present}）不能多于应到人数（{vote.expected}）"))
    if vote.yes + vote.no + vote.abstain != vote.present:
        problems.append(
            (
                ("yes", "no", "abstain"),
                f"同意、不同意、弃权人数之和（{vote.yes + vote.no + vote.abstain}）须等于实到人数（{vote.present}）",
            )
        )
    return problems


def quorum_problem(vote: Vote, quorum: tuple[int, int]) -> str | None:
    """Why the meeting could not vote (实到 < q·应到, fractions exact), or None: without a quorum the vote
    decides nothing, neither 通过 nor 不通过."""
    q_num, q_den = quorum
    if vote.present * q_den < vote.expected * q_num:
        return f"实到{vote.present}人，未达到应到{vote.expected}人的{q_num}/{q_den}，表决无效"
    return None


def vote_passes(vote: Vote, quorum: tuple[int, int], majority: tuple[int, int]) -> tuple[bool, str]:
    """The outcome the batch's rules give: quorum 实到 ≥ q·应到 (see ``quorum_problem``), pass when
    同意 ≥ m·实到 (fractions exact)."""
    m_num, m_den = majority
    problem = quorum_problem(vote, quorum)
    if problem:
        return False, problem
    if vote.yes * m_den < vote.present * m_num:
        return False, f"同意{vote.yes}人，未达到实到{vote.present}人的{m_num}/{m_den}，不通过"
    return True, f"实到{vote.present}/{vote.expected}人，同意{vote.yes}人，达到{m_num}/{m_den}，通过"
