"""What a submission needs besides the rules: the submission window of the batch and the review chain
(route) of an application, read from the route table that admins keep (data, copied onto the application
when it is submitted, so later edits of the table do not move applications in flight)."""

from datetime import date

import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.workflow.states import BatchState
from models import RouteRule


def submission_closed_reason(batch, today: date) -> str:
    """Why ``batch`` takes no submissions on ``today`` (call when ``batch.accepts_submissions`` is false)."""
    if batch.state != BatchState.OPEN:
        return f"考核批次“{batch}”{BatchState.label_of(batch.state)}，不在申报期内"
    grace = f"（含宽限期至{batch.last_submission_day.isoformat()}）" if batch.grace_days else ""
    return f"考核批次“{batch}”已于{batch.apply_deadline.isoformat()}截止申报{grace}，不能再提交"


def route_for(batch_id: int, org_category: str | None, grade: int) -> list[str] | None:
    """The review chain (roles, in order) for a 组织类别 and grade in a batch; None if no rule applies."""
    rules = db.session.scalars(
        sa.select(RouteRule).where(RouteRule.batch_id == batch_id, RouteRule.org_category == org_category)
    ).all()
    for rule in rules:
        if grade in rule.grade_list:
            return rule.step_list
    return None
