"""考核批次: making next year's batch from this year's. (Opening, closing and archiving are workflow
transitions: admin_app/services/workflow.py, BATCH_TRANSITIONS.)"""

from datetime import date

import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.services import audit
from admin_app.services.validators import InvalidInput
from admin_app.workflow.states import BatchState
from models import ExamBatch, RouteRule

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
)


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


def next_year_from(user, source: ExamBatch) -> ExamBatch:
    """Create the batch of ``source.year + 1`` from ``source`` (``copy_for_year``), state 未开放 (the admin
    checks it, then opens it). Refused if that year exists. Audited; commits."""
    year = source.year + 1
    if db.session.scalar(sa.select(ExamBatch.id).where(ExamBatch.year == year)):
        raise InvalidInput(f"{year}年度的考核批次已存在")
    batch, routes = copy_for_year(source, year)
    audit.record(
        "batch_created_from",
        batch,
        user=user,
        detail={"from": source.id, "year": source.year, "routes": routes},
    )
    db.session.commit()
    return batch
