"""统计分析: the assessment in numbers, in the user's own scope (a 区县 bureau sees its jurisdiction only).

Read from the tallies (``models.statistics``): counts per combination of batch, 区县, 组织类别, 等级 / 工种 and
state, kept exact by database triggers on every write of an application or a registration. A page reads a
few thousand tally rows (about 1,300 and 14,000 for one batch city-wide at 1M applications), not the
applications themselves, so its cost does not grow with the data. The tables are folded from those rows in
Python. Each table knows its columns, their kinds (for Excel) and how it is charted.

Only facts of the application rows are counted, none of the person or the unit: 区县 and 组织类别 are copied onto
the application at submission (``routing.first_step``), 申报工种/等级 and the outcomes are the rows' own, so a
unit that moves or a worker recognised later does not move a submitted application between rows of a table
(the record kept at submission, ``services.records``, holds the rest).
"""

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa

from admin_app.services import score_visibility
from admin_app.services.scope import snapshot_condition
from admin_app.workflow.states import (
    PENDING_STATES,
    ApplicationState,
    BatchState,
    EvaluationState,
    RecognitionState,
    RegistrationState,
    ScoreResult,
)
from models import (
    ApplicationTally,
    ApplicationTradeTally,
    ExamBatch,
    Jurisdiction,
    Trade,
    enums,
)
from models.statistics import NO_ID, NO_TEXT

# Application states folded into three columns (the review chain's steps, and 退回修改, are one "审核中"). No
# 待提交: drafts are the units' own business, outside every staff scope (services.scope.application_condition).
IN_REVIEW = "in_review"
BUCKETS = (
    (IN_REVIEW, "审核中"),
    (ApplicationState.APPROVED, "审核通过"),
    (ApplicationState.REJECTED, "审核未通过"),
)
BUCKET_HEADERS = ["合计", *(label for _, label in BUCKETS), "审核通过率"]
NO_JURISDICTION = "市属单位（不分区县）"
# The exam's results that are not a pass: 违纪 cancels the scores (notice §2(三))
NOT_PASSED = (ScoreResult.FAIL, ScoreResult.ABSENT, ScoreResult.MISCONDUCT)


def bucket_of(status: str) -> str:
    if status in PENDING_STATES or status == ApplicationState.RETURNED:
        return IN_REVIEW
    return status


def rate(part: int, whole: int) -> float | None:
    """part / whole, None when nothing was decided (shown as "—", not as 0 %)."""
    return part / whole if whole else None


@dataclass
class Table:
    key: str
    title: str
    headers: list[str]
    kinds: list[str]  # per column: text / number / percent
    rows: list[list] = field(default_factory=list)
    chart: dict | None = None  # {"type": stacked|bar|pie|line|rate, "columns": [column indexes]}
    note: str = ""
    # Drill-down: the applications list filter ("table.column") a row's value is, and each row's value
    # (TOTAL for the 合计 row: the batch only). None: rows do not link.
    filter_column: str | None = None
    keys: list = field(default_factory=list)

    def as_chart_data(self) -> dict:
        return {"key": self.key, "headers": self.headers, "rows": self.rows, "chart": self.chart}


def _bucket_row(label: str, counts: dict) -> list:
    values = [counts.get(key, 0) for key, _ in BUCKETS]
    approved, rejected = counts.get(ApplicationState.APPROVED, 0), counts.get(ApplicationState.REJECTED, 0)
    return [label, sum(values), *values, rate(approved, approved + rejected)]


TOTAL = "total"


def _bucket_table(
    key: str, title: str, dimension: str, grouped: dict, order, label, chart, filter_column, filter_value
) -> Table:
    table = Table(
        key,
        title,
        [dimension, *BUCKET_HEADERS],
        ["text", *(["number"] * (len(BUCKET_HEADERS) - 1)), "percent"],
        chart=chart,
        filter_column=filter_column,
    )
    for value in order(grouped):
        table.rows.append(_bucket_row(label(value), grouped[value]))
        table.keys.append(filter_value(value))
    if table.rows:
        table.keys.append(TOTAL)
        totals: dict = defaultdict(int)
        for counts in grouped.values():
            for bucket, n in counts.items():
                totals[bucket] += n
        table.rows.append(_bucket_row("合计", totals))
    return table


STACKED = {"type": "stacked", "columns": list(range(2, 2 + len(BUCKETS)))}


def tally_scope(user, tally) -> sa.ColumnElement[bool]:
    """The tally rows ``user`` may count: every row for the city-wide roles, a 区县 bureau's jurisdiction and
    those merged into it — the rows ``services.scope.snapshot_condition`` gives them, as the tallies keep the
    row's own 区县. The tallies are not kept per unit, so any other role (none has 统计分析) counts nothing."""
    if user.role not in enums.CITY_WIDE_ROLES and user.role != enums.DISTRICT_HR:
        return sa.false()
    return snapshot_condition(user, tally)


def _submitted(user, tally, *conditions) -> list:
    """Counted rows of an application tally: in scope, not 待提交 (drafts are outside every staff scope,
    ``services.scope.application_condition``), and not a combination whose count went back to 0."""
    return [tally_scope(user, tally), tally.status != ApplicationState.DRAFT, tally.n != 0, *conditions]


def _application_counts(session, user, batch_id: int) -> list:
    """(区县 id or None, 组织类别 or None, 申报等级, state, count) of the batch's submitted applications."""
    t = ApplicationTally
    rows = session.execute(
        sa.select(t.jurisdiction_id, t.org_category, t.applied_grade, t.status, t.n).where(
            *_submitted(user, t, t.batch_id == batch_id)
        )
    )
    return [
        (None if j == NO_ID else j, None if c == NO_TEXT else c, grade, status, n)
        for j, c, grade, status, n in rows
    ]


def _trade_counts(session, user, batch_id: int) -> list:
    """(申报工种 id, state, count) of the batch's submitted applications."""
    t = ApplicationTradeTally
    return session.execute(
        sa.select(t.applied_trade_id, t.status, sa.func.sum(t.n))
        .where(*_submitted(user, t, t.batch_id == batch_id))
        .group_by(t.applied_trade_id, t.status)
    ).all()


def _registrations(tally, *conditions) -> sa.ColumnElement:
    """How many registrations of the rows read of ``tally`` (``score_visibility.registration_tally``) match
    ``conditions`` (0, not NULL, when none). PostgreSQL sums a bigint count as numeric; the cast keeps it an
    integer on both databases."""
    return sa.cast(sa.func.coalesce(sa.func.sum(tally.n).filter(*conditions), 0), sa.BigInteger)


def batch_tables(session, user, batch_id: int) -> list[Table]:
    """The tables of one batch: by 区县, 组织类别, 工种, 等级 and 状态, and the pass rate of each stage."""
    by: dict = {name: defaultdict(lambda: defaultdict(int)) for name in ("j", "c", "t", "g")}
    by_status: dict = defaultdict(int)
    for jurisdiction_id, category, grade, status, n in _application_counts(session, user, batch_id):
        bucket = bucket_of(status)
        for name, value in (("j", jurisdiction_id), ("c", category), ("g", grade)):
            by[name][value][bucket] += n
        by_status[status] += n
    for trade_id, status, n in _trade_counts(session, user, batch_id):
        by["t"][trade_id][bucket_of(status)] += n

    jurisdictions = {
        j.id: (j.sort_order, str(j), j.name)
        for j in session.scalars(sa.select(Jurisdiction).where(Jurisdiction.id.in_(list(by["j"]) or [0])))
    }
    trades = {
        trade.id: trade.name
        for trade in session.execute(
            sa.select(Trade.id, Trade.name).where(Trade.id.in_(list(by["t"]) or [0]))
        )
    }
    categories = list(enums.ORG_CATEGORY_LABELS)

    def total(group):
        return lambda value: -sum(group[value].values())

    tables = [
        _bucket_table(
            "by_jurisdiction",
            "按区县",
            "区县",
            by["j"],
            lambda g: sorted(g, key=lambda j: jurisdictions.get(j, (-1, ""))[:2]),
            lambda j: jurisdictions[j][1] if j in jurisdictions else NO_JURISDICTION,
            STACKED,
            "jurisdiction.name",
            lambda j: jurisdictions[j][2] if j in jurisdictions else None,
        ),
        _bucket_table(
            "by_category",
            "按组织类别",
            "组织类别",
            by["c"],
            lambda g: sorted(g, key=lambda c: categories.index(c) if c in categories else len(categories)),
            lambda c: enums.ORG_CATEGORY_LABELS.get(c, "未分类"),
            {"type": "pie", "columns": [1]},
            "application.org_category",
            lambda c: c,
        ),
        _bucket_table(
            "by_trade",
            "按工种",
            "工种",
            by["t"],
            lambda g: sorted(g, key=lambda t: (total(g)(t), trades.get(t, ""))),
            lambda t: trades.get(t, "—"),
            {"type": "bar", "columns": [1], "limit": 15},
            "trade.name",
            lambda t: trades.get(t),
        ),
        _bucket_table(
            "by_grade",
            "按申报等级",
            "申报等级",
            by["g"],
            lambda g: [grade for grade in enums.GRADE_ORDER if grade in g],
            enums.grade_label,
            STACKED,
            "application.applied_grade",
            lambda g: g,
        ),
    ]
    status_table = Table(
        "by_status",
        "按状态",
        ["状态", "人数", "占比"],
        ["text", "number", "percent"],
        filter_column="application.status",
    )
    whole = sum(by_status.values())
    for status in ApplicationState:
        label = status.label
        if by_status.get(status):
            status_table.rows.append([label, by_status[status], rate(by_status[status], whole)])
            status_table.keys.append(status)
    if status_table.rows:
        status_table.rows.append(["合计", whole, rate(whole, whole)])
        status_table.keys.append(TOTAL)
    status_table.chart = {"type": "pie", "columns": [1]}
    tables.append(status_table)
    tables.append(_stage_table(session, user, batch_id, by_status))
    from admin_app.services.misconduct_counts import misconduct_table  # it reads this module's Table

    tables.append(misconduct_table(session, user, batch_id))
    tables.append(recheck_table(user, batch_id))
    return tables


def _stage_table(session, user, batch_id: int, by_status: dict) -> Table:
    """各环节通过率: of those a stage has decided, how many passed it."""
    r = score_visibility.registration_tally(user)  # for units and bureaus: published scores only
    row = session.execute(
        sa.select(
            _registrations(r, r.status.in_([RegistrationState.FEE, RegistrationState.REGISTERED])),
            _registrations(r, r.status == RegistrationState.RETURNED),
            _registrations(r, r.score_result == ScoreResult.PASS),
            _registrations(r, r.score_result.in_(NOT_PASSED)),
            _registrations(r, r.evaluation_status == EvaluationState.PASSED),
            _registrations(r, r.evaluation_status == EvaluationState.FAILED),
            _registrations(r, r.recognition_status == RecognitionState.RECOGNISED),
        ).where(r.batch_id == batch_id, tally_scope(user, r))
    ).one()
    confirmed_n, returned, passed, failed, evaluated_yes, evaluated_no, recognised = row
    approved, rejected = (
        by_status.get(ApplicationState.APPROVED, 0),
        by_status.get(ApplicationState.REJECTED, 0),
    )
    submitted = sum(by_status.values())  # the scope holds submitted applications only
    table = Table(
        "pass_rates",
        "各环节通过率",
        ["环节", "已办结人数", "通过", "未通过", "通过率"],
        ["text", "number", "number", "number", "percent"],
        chart={"type": "rate", "columns": [4]},
        note="已办结：该环节已作出结论的人数（待审、待录入的不计）；考试未通过含缺考、违纪；"
        "总体为已提交申请中取得等级的比例。",
    )
    for label, yes, no in (
        ("资格审核", approved, rejected),
        ("报名确认", confirmed_n, returned),
        ("考试（理论、实作）", passed, failed),
        ("考核评审（技师、高级技师）", evaluated_yes, evaluated_no),
    ):
        table.rows.append([label, yes + no, yes, no, rate(yes, yes + no)])
    table.rows.append(["总体：提交申请→取得等级", submitted, recognised, None, rate(recognised, submitted)])
    return table


def year_on_year(session, user) -> Table:
    """历年对比: every batch with applications in the user's scope, oldest first, with the change in
    applications against the year before."""
    t, r = ApplicationTally, score_visibility.registration_tally(user)
    apps = session.execute(
        sa.select(t.batch_id, t.status, sa.func.sum(t.n))
        .where(*_submitted(user, t))
        .group_by(t.batch_id, t.status)
    ).all()
    regs = session.execute(
        sa.select(
            r.batch_id,
            _registrations(r, r.score_result == ScoreResult.PASS),
            _registrations(r, r.score_result != NO_TEXT),
            _registrations(r, r.recognition_status == RecognitionState.RECOGNISED),
        )
        .where(tally_scope(user, r))
        .group_by(r.batch_id)
    ).all()
    per_batch: dict = defaultdict(lambda: defaultdict(int))
    for batch_id, status, n in apps:
        per_batch[batch_id][bucket_of(status)] += n
    exams = {batch_id: (passed, scored, recognised) for batch_id, passed, scored, recognised in regs}
    batches = session.scalars(
        sa.select(ExamBatch).where(ExamBatch.id.in_(list(per_batch) or [0])).order_by(ExamBatch.year)
    ).all()
    table = Table(
        "year_on_year",
        "历年对比",
        ["年度", "提交申请", "审核通过", "考试合格", "取得等级", "审核通过率", "考试合格率", "申请较上年"],
        ["text", "number", "number", "number", "number", "percent", "percent", "percent"],
        chart={"type": "line", "columns": [1, 2, 3, 4]},
        note="提交申请不含待提交的；申请较上年为提交申请数与上一批次相比的增减；进行中的批次数字仍在变化。",
    )
    previous = None
    for batch in batches:
        counts = per_batch[batch.id]
        submitted = sum(counts.values())
        passed, scored, recognised = exams.get(batch.id, (0, 0, 0))
        approved, rejected = (
            counts.get(ApplicationState.APPROVED, 0),
            counts.get(ApplicationState.REJECTED, 0),
        )
        change = (submitted - previous) / previous if previous else None
        table.rows.append(
            [
                f"{batch.year}年度"
                + ("（进行中）" if batch.state in (BatchState.NOT_OPEN, BatchState.OPEN) else ""),
                submitted,
                approved,
                passed,
                recognised,
                rate(approved, approved + rejected),
                rate(passed, scored),
                change,
            ]
        )
        previous = submitted
    return table


def all_tables(session, user, batch_id: int | None) -> list[Table]:
    return [*(batch_tables(session, user, batch_id) if batch_id else []), year_on_year(session, user)]


def recheck_table(user, batch_id: int) -> Table:
    """查分: the batch's requests within the user's scope, by state (待复核, 维持原成绩, 已更正) and in all."""
    from admin_app.services import rechecks

    by_state = rechecks.counts(user, batch_id)
    whole = sum(by_state.values())
    table = Table(
        "rechecks",
        "查分",
        ["状态", "件数", "占比"],
        ["text", "number", "percent"],
        note="成绩发布后单位提出的查分申请；已更正：市职鉴中心答复更正并已更正成绩。",
    )
    for state, n in by_state.items():
        table.rows.append([state.label, n, rate(n, whole)])
    table.rows.append(["合计", whole, rate(whole, whole)])
    return table
