"""考核批次: the checks a batch and its 审核流程 (route table) pass before they are saved, and making next
year's batch from this year's. (Opening, closing and archiving are workflow transitions.)"""

from datetime import date

import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.services import audit
from admin_app.services.validators import InvalidInput
from admin_app.workflow.states import BatchState
from models import ExamBatch, RouteRule, enums

# Copied as they are: the rule parameters of SPEC §5, the fee, the certificate pattern, the grace period.
COPIED = (
    "min_years_grade_4",
    "min_years_grade_3",
    "min_years_grade_2",
    "min_years_grade_1",
    "senior_min_education",
    "retirement_age_male",
    "retirement_age_female",
    "pass_line_theory",
    "pass_line_practice",
    "pass_line_review",
    "quorum_num",
    "quorum_den",
    "majority_num",
    "majority_den",
    "fee_amount",
    "certificate_pattern",
    "grace_days",
    "materials_at_submission",
)


def submission_closed_reason(batch, today: date) -> str:
    """Why ``batch`` takes no submissions on ``today`` (call when ``batch.accepts_submissions`` is false)."""
    if batch.state != BatchState.OPEN:
        return f"考核批次“{batch}”{BatchState.label_of(batch.state)}，不在申报期内"
    grace = f"（含宽限期至{batch.last_submission_day.isoformat()}）" if batch.grace_days else ""
    return f"考核批次“{batch}”已于{batch.apply_deadline.isoformat()}截止申报{grace}，不能再提交"


def current_batch(session=None) -> ExamBatch | None:
    """The batch the lists open on: the one 申报中, else the latest (by year) that has been opened, else the
    latest of all; None when there is no batch. (A 未开放 batch the admin prepared for next year has no
    applications yet: the lists stay on the batch still being worked on.)"""
    session = session or db.session
    order = (
        sa.case(
            (ExamBatch.state == BatchState.OPEN, 0), (ExamBatch.state != BatchState.NOT_OPEN, 1), else_=2
        ),
        ExamBatch.year.desc(),
    )
    return session.scalar(sa.select(ExamBatch).order_by(*order).limit(1))


def years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def copy_for_year(source: ExamBatch, year: int, state: str = BatchState.NOT_OPEN) -> tuple[ExamBatch, int]:
    """The batch of ``year`` made from ``source``: every rule parameter and the route table copied, the
    dates and the five assessment years moved by the difference in years, the year in its name and 文号
    replaced. Added to the session (not committed); returns it and the number of routes copied."""
    shift = year - source.year
    batch = ExamBatch(
        year=year,
        name=source.name.replace(str(source.year), str(year)),
        doc_number=source.doc_number.replace(str(source.year), str(year)),
        cutoff_date=years_later(source.cutoff_date, shift),
        apply_deadline=years_later(source.apply_deadline, shift),
        assessment_start_year=source.assessment_start_year + shift,
        assessment_end_year=source.assessment_end_year + shift,
        state=state,
        **{name: getattr(source, name) for name in COPIED},
    )
    db.session.add(batch)
    db.session.flush()
    rules = db.session.scalars(
        sa.select(RouteRule).where(RouteRule.batch_id == source.id).order_by(RouteRule.id)
    ).all()
    db.session.add_all(
        RouteRule(batch_id=batch.id, org_category=r.org_category, grades=r.grades, steps=r.steps, note=r.note)
        for r in rules
    )
    return batch, len(rules)


def next_year_from(actor, source: ExamBatch) -> ExamBatch:
    """Create the batch of ``source.year + 1`` from ``source`` (``copy_for_year``), state 未开放 (the admin
    checks it, then opens it). Refused if that year exists. Audited as ``actor`` (an ``Actor``, or a user
    from a command or test); commits."""
    year = source.year + 1
    if db.session.scalar(sa.select(ExamBatch.id).where(ExamBatch.year == year)):
        raise InvalidInput(f"{year}年度的考核批次已存在")
    batch, routes = copy_for_year(source, year)
    audit.record(
        "batch_created_from",
        batch,
        user=actor,
        detail={"from": source.id, "year": source.year, "routes": routes},
    )
    db.session.commit()
    return batch


CERTIFICATE_PATTERN_MAX = 40  # characters of a 证书编号 made from the pattern


def check_certificate_pattern(pattern: str | None, year: int) -> str:
    """The 证书编号 the pattern gives for the first certificate of ``year`` (a sample).

    Guarantees: a pattern that is accepted formats with ``{year}``, ``{grade}`` and ``{id}`` alone, names
    ``{id}`` (so two certificates never share a number) and gives at most 40 characters; otherwise
    ``InvalidInput`` with the Chinese reason, and nothing is saved.
    """
    try:
        sample = pattern.format(year=year, grade=enums.ENTRY_GRADE, id=1)
    except (KeyError, IndexError, ValueError, AttributeError):
        raise InvalidInput(
            "证书编号格式无效：可用 {year}、{grade}、{id}，如 CQGK{year}{grade}{id:06d}"
        ) from None
    if "{id" not in pattern or len(sample) > CERTIFICATE_PATTERN_MAX:
        raise InvalidInput(f"证书编号格式须包含 {{id}}（保证唯一），且不超过{CERTIFICATE_PATTERN_MAX}个字符")
    return sample


def check_batch(batch: ExamBatch) -> None:
    """The cross-field rules of a 考核批次 the admin creates or edits, checked before it is saved.

    Guarantees, else ``InvalidInput`` with the Chinese reason (nothing saved): the five assessment years
    run forwards; no ratio (法定人数, 通过票数) is above 1; the certificate pattern is valid
    (``check_certificate_pattern``); one batch per year. The caller saves and commits.
    """
    if batch.assessment_end_year < batch.assessment_start_year:
        raise InvalidInput("年度考核截止年不能早于起始年")
    if batch.quorum_num > batch.quorum_den or batch.majority_num > batch.majority_den:
        raise InvalidInput("比例的分子不能大于分母")
    check_certificate_pattern(batch.certificate_pattern, batch.year)
    clash = db.session.scalar(
        sa.select(ExamBatch.id).where(ExamBatch.year == batch.year, ExamBatch.id != (batch.id or 0))
    )
    if clash:
        raise InvalidInput("该年度的考核批次已存在")


def _items(text: str | None) -> list[str]:
    return [item.strip() for item in (text or "").replace("，", ",").split(",") if item.strip()]


def parse_grades(text: str | None) -> list[int]:
    """``"5,4，3"`` → ``[5, 4, 3]``: grade numbers (1 高级技师 … 5 初级工), comma-separated (either comma),
    each once; else ``InvalidInput``."""
    try:
        grades = [int(g) for g in _items(text)]
    except ValueError:
        raise InvalidInput("申报等级须为1至5的数字，用逗号分隔") from None
    if not grades or any(g not in enums.GRADE_NAMES for g in grades) or len(set(grades)) != len(grades):
        raise InvalidInput("申报等级须为1至5的数字，用逗号分隔，不能重复")
    return grades


def parse_steps(text: str | None) -> list[str]:
    """``"district_hr, office"`` → the review chain: reviewing roles (``enums.REVIEW_ROLES``), in order,
    each once; else ``InvalidInput``."""
    steps = _items(text)
    if not steps or any(s not in enums.REVIEW_ROLES for s in steps) or len(set(steps)) != len(steps):
        raise InvalidInput("审核环节只能是 district_hr、party_org、city_hr、office，且不能重复")
    return steps


def check_route_rule(rule: RouteRule) -> None:
    """A 审核流程 row (SPEC §4.1) the admin creates or edits, checked and written in its one form before it
    is saved.

    Guarantees, else ``InvalidInput`` with the Chinese reason (nothing saved): the grades and steps parse
    (``parse_grades``, ``parse_steps``); no grade of the rule has another rule in the same batch and
    组织类别 — so an application's chain is never ambiguous. On success the rule's text is normalised
    (``"5,4,3"``, ``"district_hr,office"``). The caller saves and commits.
    """
    grades, steps = parse_grades(rule.grades), parse_steps(rule.steps)
    batch_id = rule.batch.id if rule.batch is not None else rule.batch_id
    with db.session.no_autoflush:  # the rule being checked is not written first
        others = db.session.scalars(
            sa.select(RouteRule).where(
                RouteRule.batch_id == batch_id,
                RouteRule.org_category == rule.org_category,
                RouteRule.id != (rule.id or 0),
            )
        ).all()
    overlap = set(grades) & {g for other in others for g in other.grade_list}
    if overlap:
        names = "、".join(enums.GRADE_NAMES[g] for g in sorted(overlap))
        raise InvalidInput(f"该批次中该组织类别的{names}已有审核流程，同一等级只能有一条流程")
    rule.grades = ",".join(map(str, grades))
    rule.steps = ",".join(steps)
