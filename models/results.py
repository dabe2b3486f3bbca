"""Results after the exam (SPEC §8.4): 查分 requests, the 合格名单公示 with its objections, and the working-day
calendar their deadlines are counted on."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from admin_app.extensions import db
from admin_app.workflow.states import NoticeState, ObjectionState, RecheckState
from models.dictionary import ExamBatch
from models.org import Organisation, User, utcnow


class CalendarDay(db.Model):
    """A day that differs from the weekly rule (Monday–Friday working): a public holiday on a weekday
    (``working`` false) or an adjusted working day on a weekend (调休上班, ``working`` true). Seeded per year,
    corrected by the admin."""

    __tablename__ = "calendar_day"

    id: Mapped[int] = mapped_column(primary_key=True)  # lists, forms and audit rows address rows by id
    day: Mapped[date] = mapped_column(unique=True)
    working: Mapped[bool] = mapped_column()
    note: Mapped[str] = mapped_column(sa.String(50), default="")

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {'上班' if self.working else '休息'} {self.note}".strip()


class ScoreRecheck(db.Model):
    """查分: a unit asks for its candidate's score to be checked again; the centre answers 维持 or 更正."""

    __tablename__ = "score_recheck"
    __table_args__ = (
        sa.Index("ix_score_recheck_state", "state", "id"),
        sa.Index("ix_score_recheck_unit", "unit_id", "id"),
        sa.Index("ix_score_recheck_jurisdiction", "jurisdiction_id", "id"),
        sa.Index("ix_score_recheck_registration", "registration_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("registration.id"))
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("exam_batch.id"))
    # the registration's scope, copied (the list is scoped like every other)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"))
    jurisdiction_id: Mapped[int | None] = mapped_column(sa.ForeignKey("jurisdiction.id"))
    reason: Mapped[str] = mapped_column(sa.String(500))
    state: Mapped[str] = mapped_column(sa.String(12), default=RecheckState.REQUESTED)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id"))
    answer: Mapped[str | None] = mapped_column(sa.String(500))
    answered_at: Mapped[datetime | None] = mapped_column()
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    registration = relationship("Registration")
    batch: Mapped[ExamBatch] = relationship()
    unit: Mapped[Organisation] = relationship()
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])

    def __str__(self) -> str:
        return f"查分申请 {self.id}"


class ResultNotice(db.Model):
    """合格名单公示 of a batch: the entries are fixed when it is published; it runs ``days`` working days."""

    __tablename__ = "result_notice"
    __table_args__ = (sa.Index("ix_result_notice_batch", "batch_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("exam_batch.id"))
    title: Mapped[str] = mapped_column(sa.String(100))
    state: Mapped[str] = mapped_column(sa.String(12), default=NoticeState.DRAFT)
    days: Mapped[int] = mapped_column(default=5)
    published_at: Mapped[datetime | None] = mapped_column()
    start_date: Mapped[date | None] = mapped_column()
    end_date: Mapped[date | None] = mapped_column()  # the last working day of the period (Beijing)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    batch: Mapped[ExamBatch] = relationship()
    entries: Mapped[list["NoticeEntry"]] = relationship(
        back_populates="notice", order_by="NoticeEntry.seq", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        return self.title


class NoticeEntry(db.Model):
    """One line of a published 公示 list, as published (序号, 姓名, 单位, 工种, 等级): never today's data."""

    __tablename__ = "notice_entry"
    __table_args__ = (
        sa.UniqueConstraint("notice_id", "registration_id"),
        sa.UniqueConstraint("notice_id", "seq"),
        sa.Index("ix_notice_entry_registration", "registration_id"),
        sa.Index("ix_notice_entry_unit", "unit_id", "id"),
        sa.Index("ix_notice_entry_jurisdiction", "jurisdiction_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("result_notice.id", ondelete="CASCADE"))
    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("registration.id"))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"))
    jurisdiction_id: Mapped[int | None] = mapped_column(sa.ForeignKey("jurisdiction.id"))
    seq: Mapped[int] = mapped_column()
    name: Mapped[str] = mapped_column(sa.String(50))
    unit_name: Mapped[str] = mapped_column(sa.String(200))
    trade_name: Mapped[str] = mapped_column(sa.String(100))
    grade_label: Mapped[str] = mapped_column(sa.String(20))
    # 评审通过 for 技师/高级技师, else 考试合格
    basis: Mapped[str] = mapped_column(sa.String(20))

    notice: Mapped[ResultNotice] = relationship(back_populates="entries")
    registration = relationship("Registration")

    def __str__(self) -> str:
        return f"{self.seq}. {self.name}"


class Objection(db.Model):
    """An objection to a 公示 entry: who raised it and what it says; the office resolves it 维持 or 取消."""

    __tablename__ = "notice_objection"
    __table_args__ = (
        sa.Index("ix_notice_objection_entry", "entry_id"),
        sa.Index("ix_notice_objection_state", "state", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("result_notice.id"))
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("notice_entry.id"))
    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("registration.id"))
    source: Mapped[str] = mapped_column(sa.String(100))  # 来信 / 来电 / 来访 … and who
    text: Mapped[str] = mapped_column(sa.String(1000))
    state: Mapped[str] = mapped_column(sa.String(12), default=ObjectionState.OPEN)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id"))
    resolution: Mapped[str | None] = mapped_column(sa.String(500))
    resolved_at: Mapped[datetime | None] = mapped_column()
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    notice: Mapped[ResultNotice] = relationship()
    entry: Mapped[NoticeEntry] = relationship()
    registration = relationship("Registration")
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])

    def __str__(self) -> str:
        return f"异议 {self.id}"
