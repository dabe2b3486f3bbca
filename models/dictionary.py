"""Dictionaries kept by admins: trades, ethnic groups and exam batches with their rule parameters."""

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from admin_app.extensions import db
from admin_app.workflow.states import BatchState


class Trade(db.Model):
    """工种. ``max_grade`` is the highest grade the trade allows (渝人社〔2017〕59号): 1 = 高级技师."""

    __tablename__ = "trade"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(50), unique=True)
    category: Mapped[str] = mapped_column(sa.String(20))
    max_grade: Mapped[int] = mapped_column(default=3)
    active: Mapped[bool] = mapped_column(default=True)

    def __str__(self) -> str:
        return self.name


class Ethnicity(db.Model):
    """民族 (the 56 recognised groups), seeded from seed/data/ethnicities.csv."""

    __tablename__ = "ethnicity"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(2), unique=True)
    name: Mapped[str] = mapped_column(sa.String(20), unique=True)

    def __str__(self) -> str:
        return self.name


class ExamBatch(db.Model):
    """考核批次: one per notice. Every date-dependent rule is computed at ``cutoff_date``."""

    __tablename__ = "exam_batch"
    __table_args__ = (
        sa.CheckConstraint("assessment_end_year >= assessment_start_year", name="assessment_years"),
        sa.CheckConstraint("quorum_den > 0 AND majority_den > 0", name="fractions"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    doc_number: Mapped[str] = mapped_column(sa.String(50))
    cutoff_date: Mapped[date] = mapped_column()
    apply_deadline: Mapped[date] = mapped_column()
    assessment_start_year: Mapped[int] = mapped_column()
    assessment_end_year: Mapped[int] = mapped_column()
    state: Mapped[str] = mapped_column(sa.String(12), default=BatchState.NOT_OPEN)
    # 宽限期: days after 申报截止日 during which units may still submit (0: none).
    grace_days: Mapped[int] = mapped_column(default=0, server_default="0")

    # Rule parameters (SPEC §5), per batch.
    min_years_grade_4: Mapped[int] = mapped_column(default=5)
    min_years_grade_3: Mapped[int] = mapped_column(default=5)
    min_years_grade_2: Mapped[int] = mapped_column(default=5)
    min_years_grade_1: Mapped[int] = mapped_column(default=5)
    senior_min_education: Mapped[str] = mapped_column(sa.String(30), default="high_school")
    retirement_age_male: Mapped[int] = mapped_column(default=60)
    retirement_age_female: Mapped[int] = mapped_column(default=50)
    pass_line_theory: Mapped[float] = mapped_column(sa.Numeric(4, 1), default=60)
    pass_line_practice: Mapped[float] = mapped_column(sa.Numeric(4, 1), default=60)
    pass_line_review: Mapped[float] = mapped_column(sa.Numeric(4, 1), default=60)
    quorum_num: Mapped[int] = mapped_column(default=2)
    quorum_den: Mapped[int] = mapped_column(default=3)
    majority_num: Mapped[int] = mapped_column(default=2)
    majority_den: Mapped[int] = mapped_column(default=3)
    fee_amount: Mapped[float] = mapped_column(sa.Numeric(10, 2), default=0)
    # Certificate numbers: str.format fields year, grade, id (the registration id keeps them unique).
    certificate_pattern: Mapped[str] = mapped_column(sa.String(60), default="CQGK{year}{grade}{id:06d}")
    # 单位提交时上传申报材料: units attach the 申报材料 to their drafts and cannot submit without them.
    materials_at_submission: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # 查分: working days after 成绩发布 during which units may ask for a re-check (SPEC §8.4)
    recheck_days: Mapped[int] = mapped_column(default=10, server_default="10")
    # 合格名单公示: working days the list is posted
    notice_days: Mapped[int] = mapped_column(default=5, server_default="5")

    @property
    def assessment_years(self) -> list[int]:
        return list(range(self.assessment_start_year, self.assessment_end_year + 1))

    @property
    def last_submission_day(self) -> date:
        """The last day units may submit: 申报截止日 plus the grace period."""
        return self.apply_deadline + timedelta(days=self.grace_days or 0)

    def accepts_submissions(self, today: date) -> bool:
        return self.state == BatchState.OPEN and today <= self.last_submission_day

    @property
    def read_only(self) -> bool:
        """An archived batch and everything in it is read-only for everyone."""
        return self.state == BatchState.ARCHIVED

    @property
    def state_label(self) -> str:
        return BatchState.label_of(self.state)

    def __str__(self) -> str:
        return f"{self.year}年度（{self.doc_number}）"
