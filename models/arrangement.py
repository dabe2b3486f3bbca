"""考务编排 (市职鉴中心, SPEC §8.3): a batch's exam sessions, their rooms and each candidate's seat.

A session is one sitting (理论 or 实作) on one date, start–end, at one site; its rooms have a capacity; a seat
puts one registration in one room of one session. The arrangement of a session is re-run until it is
published (``state``, :class:`~admin_app.workflow.states.ArrangementState`), moved by hand afterwards with a
reason, and locked once published.
"""

from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from admin_app.extensions import db
from admin_app.workflow.states import ArrangementState, ExamKind
from models.dictionary import ExamBatch
from models.org import utcnow


class ExamSession(db.Model):
    """考试场次: 理论 or 实作, one date and time, one site."""

    __tablename__ = "exam_session"
    __table_args__ = (
        sa.CheckConstraint("end_time > start_time", name="session_times"),
        sa.Index("ix_exam_session_batch_date", "batch_id", "exam_date", "start_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("exam_batch.id"))
    name: Mapped[str] = mapped_column(sa.String(60))
    kind: Mapped[str] = mapped_column(sa.String(10))  # ExamKind
    exam_date: Mapped[date] = mapped_column()
    start_time: Mapped[time] = mapped_column()
    end_time: Mapped[time] = mapped_column()
    site: Mapped[str] = mapped_column(sa.String(100))
    address: Mapped[str] = mapped_column(sa.String(200))
    state: Mapped[str] = mapped_column(sa.String(12), default=ArrangementState.DRAFT)
    arranged_at: Mapped[datetime | None] = mapped_column()  # the last automatic run
    published_at: Mapped[datetime | None] = mapped_column()
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    batch: Mapped[ExamBatch] = relationship()
    rooms: Mapped[list["ExamRoom"]] = relationship(
        back_populates="session", order_by="ExamRoom.number", cascade="all, delete-orphan"
    )

    @property
    def kind_label(self) -> str:
        return ExamKind.label_of(self.kind)

    @property
    def locked(self) -> bool:
        return self.state == ArrangementState.PUBLISHED

    def __str__(self) -> str:
        return f"{self.name}（{self.exam_date:%Y-%m-%d} {self.start_time:%H:%M}-{self.end_time:%H:%M}）"


class ExamRoom(db.Model):
    """考场 of a session: its number (第01考场), where it is, and how many seats."""

    __tablename__ = "exam_room"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "number"),
        sa.CheckConstraint("capacity > 0", name="room_capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("exam_session.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()
    location: Mapped[str] = mapped_column(sa.String(100))
    capacity: Mapped[int] = mapped_column()

    session: Mapped[ExamSession] = relationship(back_populates="rooms")

    @property
    def label(self) -> str:
        return f"第{self.number:02d}考场"

    def __str__(self) -> str:
        return f"{self.label}（{self.location}）"


class SeatAssignment(db.Model):
    """One candidate's seat in one session: room and seat number; a candidate sits a session once and a seat
    holds one candidate."""

    __tablename__ = "seat_assignment"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "registration_id"),
        sa.UniqueConstraint("room_id", "seat_number"),
        sa.Index("ix_seat_assignment_registration", "registration_id"),
        sa.CheckConstraint("seat_number > 0", name="seat_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("exam_session.id", ondelete="CASCADE"))
    room_id: Mapped[int] = mapped_column(sa.ForeignKey("exam_room.id", ondelete="CASCADE"))
    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("registration.id"))
    seat_number: Mapped[int] = mapped_column()
    # a manual move after the automatic run: why (shown in the arrangement and audited)
    moved_reason: Mapped[str | None] = mapped_column(sa.String(200))
    moved_at: Mapped[datetime | None] = mapped_column()

    session: Mapped[ExamSession] = relationship()
    room: Mapped[ExamRoom] = relationship()
    registration = relationship("Registration")

    def __str__(self) -> str:
        return f"{self.room.label if self.room else ''} {self.seat_number:02d}号"
