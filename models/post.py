"""岗位设置 (附件4 备案表 numbers) per unit, batch and grade."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from admin_app.extensions import db
from models.dictionary import ExamBatch
from models.org import Organisation


class PostSetting(db.Model):
    __tablename__ = "post_setting"
    __table_args__ = (
        sa.UniqueConstraint("unit_id", "batch_id", "grade"),
        sa.CheckConstraint(
            "approved_posts >= 0 AND current_staff >= 0 AND special_posts >= 0", name="counts"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"))
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("exam_batch.id"))
    grade: Mapped[int] = mapped_column()
    approved_posts: Mapped[int] = mapped_column(default=0)  # 核准岗位数
    current_staff: Mapped[int] = mapped_column(default=0)  # 现聘人数
    special_posts: Mapped[int] = mapped_column(default=0)  # 特设岗位聘用人数

    unit: Mapped[Organisation] = relationship()
    batch: Mapped[ExamBatch] = relationship()

    @property
    def vacant_posts(self) -> int:
        """空缺岗位 = 核准 − 现聘 (never negative)."""
        return max(self.approved_posts - self.current_staff, 0)
