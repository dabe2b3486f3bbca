"""Post settings (岗位设置) derived figures."""

import sqlalchemy as sa

from admin_app.extensions import db
from models import ExamBatch, PostSetting, enums


def highest_established_grade(unit_id: int, batch_id: int | None = None) -> int | None:
    """工勤岗位最高设置等级: the highest grade (smallest level number) with approved posts.

    Taken from the given batch, or else from the most recent batch the unit has post settings for.
    None when the unit has set up no posts.
    """
    if batch_id is None:
        batch_id = db.session.scalar(
            sa.select(PostSetting.batch_id)
            .join(ExamBatch, ExamBatch.id == PostSetting.batch_id)
            .where(PostSetting.unit_id == unit_id)
            .order_by(ExamBatch.year.desc())
            .limit(1)
        )
        if batch_id is None:
            return None
    return db.session.scalar(
        sa.select(sa.func.min(PostSetting.grade)).where(
            PostSetting.unit_id == unit_id, PostSetting.batch_id == batch_id, PostSetting.approved_posts > 0
        )
    )


def filing_figures(unit_id: int, batch_id: int) -> dict:
    """附件4 备案表 figures per grade (5…1): 核准, 现聘, 特设, 空缺 (derived), 当年申报 (submitted and not
    rejected), 其中 退二进一 and 不受岗位限额."""
    from admin_app.workflow.states import QUOTA_FREE_STATES
    from models import Application

    figures = {
        grade: {
            "approved": 0,
            "current": 0,
            "special": 0,
            "vacant": 0,
            "applied": 0,
            "two_in_one": 0,
            "exempt": 0,
        }
        for grade in enums.GRADE_ORDER
    }
    for setting in db.session.scalars(
        sa.select(PostSetting).where(PostSetting.unit_id == unit_id, PostSetting.batch_id == batch_id)
    ):
        row = figures[setting.grade]
        row.update(
            approved=setting.approved_posts,
            current=setting.current_staff,
            special=setting.special_posts,
            vacant=setting.vacant_posts,
        )
    counted = db.session.execute(
        sa.select(
            Application.applied_grade,
            sa.func.count(),
            sa.func.sum(sa.case((Application.retire_two_in_one.is_(True), 1), else_=0)),
            sa.func.sum(sa.case((Application.quota_exempt_reason.is_not(None), 1), else_=0)),
        )
        .where(
            Application.unit_id == unit_id,
            Application.batch_id == batch_id,
            Application.status.not_in(QUOTA_FREE_STATES),
        )
        .group_by(Application.applied_grade)
    ).all()
    for grade, applied, two_in_one, exempt in counted:
        figures[grade].update(applied=applied, two_in_one=int(two_in_one or 0), exempt=int(exempt or 0))
    return figures
