"""Worker records (工勤人员) of a unit, with the sub-records of 附表1/附表2."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from admin_app.extensions import db
from models import enums
from models.dictionary import Ethnicity, Trade
from models.org import Organisation, utcnow


def full_years_between(start: date | None, end: date) -> int | None:
    """Whole years from ``start`` to ``end`` (None when start is unknown)."""
    if start is None:
        return None
    years = end.year - start.year - ((end.month, end.day) < (start.month, start.day))
    return max(years, 0)


def years_by_month(start: date | None, cutoff: date) -> int:
    """Whole years of a period counted by months, both the start month and the cutoff month included
    (本等级工作年限 counts from the month pay at the grade began: 2016-01 … 2020-12 is 60 months = 5 years)."""
    if start is None or start > cutoff:
        return 0
    months = (cutoff.year - start.year) * 12 + (cutoff.month - start.month) + 1
    return months // 12


def mask_id_number(value: str | None) -> str:
    """220106********006X style: keep the first 6 and the last 4 characters."""
    if not value:
        return ""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


class Worker(db.Model):
    __tablename__ = "worker"
    __table_args__ = (
        sa.Index("ix_worker_unit_name", "unit_id", "name"),
        # name and ID number searched by prefix (views.base.PREFIX_SEARCH_COLUMNS), whatever the collation
        # (the name search's ids read from the index alone: INCLUDE id, migration 0035); on PostgreSQL the
        # name keeps 1,000 histogram bounds, so that a 2-character prefix's count is estimated (migration 0048)
        sa.Index(
            "ix_worker_name_prefix",
            "name",
            postgresql_ops={"name": "text_pattern_ops"},
            postgresql_include=["id"],
        ),
        sa.Index("ix_worker_id_number_prefix", "id_number", postgresql_ops={"id_number": "text_pattern_ops"}),
        # A list sorted by 姓名 walks the names in order (the prefix index's operators do not sort).
        sa.Index("ix_worker_name", "name"),
        # 工勤人员 sorted by 参加工作时间 or 现等级时间: the dates in order, the empty ones apart (migration 0035)
        sa.Index("ix_worker_work_start_order", "work_start_date", "id"),
        sa.Index("ix_worker_grade_date_order", "current_grade_date", "id"),
        # 现等级时间 ↑ with the lists' tie order (id descending): a whole batch is recognised on one date, so
        # the first date can hold most workers (migration 0040)
        sa.Index("ix_worker_grade_date_ties", "current_grade_date", sa.literal_column("id").desc()),
        # 工勤人员 sorted by 学历: each value's workers newest first (its sort groups, migration 0036)
        sa.Index("ix_worker_education_order", "education", "id"),
        # 工勤人员 filtered or sorted at 1M (migration 0043): a 区县 bureau reads its units' workers (with the
        # filtered columns, so its counts read no table page); the city-wide roles a 工种 or 等级 (its sort
        # groups) newest first, a date's workers by the lists' tie order (参加工作时间 ↑), the rare 退役士兵.
        sa.Index(
            "ix_worker_unit_order",
            "unit_id",
            "id",
            postgresql_include=[
                "current_trade_id",
                "current_grade",
                "gender",
                "education",
                "work_start_date",
                "is_veteran",
            ],
        ),
        sa.Index("ix_worker_trade_order", "current_trade_id", "id", postgresql_include=["unit_id"]),
        sa.Index("ix_worker_grade_order", "current_grade", "id", postgresql_include=["unit_id"]),
        sa.Index(
            "ix_worker_work_start_ties",
            "work_start_date",
            sa.literal_column("id").desc(),
            postgresql_include=["unit_id"],
        ),
        sa.Index(
            "ix_worker_veteran",
            "id",
            postgresql_where=sa.text("is_veteran"),
            sqlite_where=sa.text("is_veteran"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"))
    name: Mapped[str] = mapped_column(sa.String(40))
    gender: Mapped[str] = mapped_column(sa.String(1))
    ethnicity_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ethnicity.id"))
    id_number: Mapped[str] = mapped_column(sa.String(18), unique=True)
    birth_date: Mapped[date] = mapped_column()
    work_start_date: Mapped[date | None] = mapped_column()
    phone: Mapped[str | None] = mapped_column(sa.String(30))
    education: Mapped[str | None] = mapped_column(sa.String(30))  # highest 学历
    current_trade_id: Mapped[int | None] = mapped_column(sa.ForeignKey("trade.id"))
    current_grade: Mapped[int | None] = mapped_column()
    current_grade_date: Mapped[date | None] = mapped_column()  # month pay at this grade started
    certificate_number: Mapped[str | None] = mapped_column(sa.String(50))
    certificate_trade_id: Mapped[int | None] = mapped_column(sa.ForeignKey("trade.id"))
    years_in_trade: Mapped[int | None] = mapped_column()  # 从事现工种年限, from the personnel file
    rewards_punishments: Mapped[str | None] = mapped_column(sa.Text)

    # Status flags of SPEC §5 (exclusions and quota exemptions).
    discipline_until: Mapped[date | None] = mapped_column()  # end of a 严重警告/记过-or-heavier period
    detained_or_probation: Mapped[bool] = mapped_column(default=False)
    long_sick_leave_or_absence: Mapped[bool] = mapped_column(default=False)
    holds_professional_title: Mapped[bool] = mapped_column(default=False)
    other_exclusion: Mapped[str | None] = mapped_column(sa.String(200))
    is_veteran: Mapped[bool] = mapped_column(default=False)
    competition_rank: Mapped[int | None] = mapped_column()  # 市级一类技能竞赛 名次
    honour_title: Mapped[str | None] = mapped_column(sa.String(40))

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    unit: Mapped[Organisation] = relationship()
    ethnicity: Mapped[Ethnicity | None] = relationship()
    current_trade: Mapped[Trade | None] = relationship(foreign_keys=[current_trade_id])
    certificate_trade: Mapped[Trade | None] = relationship(foreign_keys=[certificate_trade_id])
    educations: Mapped[list["WorkerEducation"]] = relationship(
        back_populates="worker", cascade="all, delete-orphan", order_by="WorkerEducation.graduated_on"
    )
    work_history: Mapped[list["WorkHistory"]] = relationship(
        back_populates="worker", cascade="all, delete-orphan", order_by="WorkHistory.start_month"
    )
    assessments: Mapped[list["AnnualAssessment"]] = relationship(
        back_populates="worker", cascade="all, delete-orphan", order_by="AnnualAssessment.year"
    )

    def seniority_years(self, at: date) -> int | None:
        """工龄 at a date."""
        return full_years_between(self.work_start_date, at)

    def years_at_grade(self, at: date) -> int | None:
        """本等级工作年限: from the month pay at the current grade began, counted by months."""
        return years_by_month(self.current_grade_date, at) if self.current_grade_date else None

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def grade_label(self) -> str:
        return enums.grade_label(self.current_grade)

    def __str__(self) -> str:
        return f"{self.name}（{self.masked_id_number}）"


class WorkerEducation(db.Model):
    __tablename__ = "worker_education"

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("worker.id", ondelete="CASCADE"), index=True)
    level: Mapped[str] = mapped_column(sa.String(30))
    graduated_on: Mapped[date | None] = mapped_column()
    school: Mapped[str | None] = mapped_column(sa.String(100))
    major: Mapped[str | None] = mapped_column(sa.String(100))
    certificate_number: Mapped[str | None] = mapped_column(sa.String(50))

    worker: Mapped[Worker] = relationship(back_populates="educations")

    def __str__(self) -> str:
        return enums.EDUCATION_LABELS.get(self.level, self.level)


class WorkHistory(db.Model):
    __tablename__ = "work_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("worker.id", ondelete="CASCADE"), index=True)
    start_month: Mapped[date] = mapped_column()
    end_month: Mapped[date | None] = mapped_column()
    employer: Mapped[str] = mapped_column(sa.String(100))
    trade_text: Mapped[str | None] = mapped_column(sa.String(50))

    worker: Mapped[Worker] = relationship(back_populates="work_history")

    def __str__(self) -> str:
        return f"{self.start_month:%Y.%m} {self.employer}"


class AnnualAssessment(db.Model):
    """年度考核 result of one year."""

    __tablename__ = "annual_assessment"
    __table_args__ = (sa.UniqueConstraint("worker_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("worker.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column()
    result: Mapped[str] = mapped_column(sa.String(20))

    worker: Mapped[Worker] = relationship(back_populates="assessments")

    def __str__(self) -> str:
        return f"{self.year}：{enums.ASSESSMENT_LABELS.get(self.result, self.result)}"
