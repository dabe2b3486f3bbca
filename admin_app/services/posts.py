"""Post settings (岗位设置) derived figures."""

import sqlalchemy as sa

from admin_app.extensions import db
from models import ExamBatch, PostSetting


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
