"""Reminders on a schedule (SPEC §8.6, issue 19 point 5): the admin's message templates, the key that makes each
reminder go out once, and the outbox of e-mails and SMS with every attempt to send them."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from admin_app.extensions import db
from admin_app.workflow.states import OutboxState
from models.org import Organisation, User, utcnow


class ReminderTemplate(db.Model):
    """The wording of one reminder kind (``services/reminder_templates.KINDS``): a title and a body with
    ``${placeholder}`` fields, edited by the admin; seeded with the defaults."""

    __tablename__ = "reminder_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(30), unique=True)
    title: Mapped[str] = mapped_column(sa.String(100))
    body: Mapped[str] = mapped_column(sa.String(1000))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __str__(self) -> str:
        return self.title


class ReminderSent(db.Model):
    """One reminder of one kind to one organisation on one business (Beijing) date. The unique key is what makes
    a second run that day — a restart, a second worker, ``flask reminders-run`` by hand — send nothing again."""

    __tablename__ = "reminder_sent"
    __table_args__ = (
        sa.UniqueConstraint("kind", "organisation_id", "business_date", name="uq_reminder_once"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(30))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"))
    business_date: Mapped[date] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship()


class ReminderDay(db.Model):
    """A business date whose reminders have all been run (the worker's beat then skips the selections)."""

    __tablename__ = "reminder_day"

    business_date: Mapped[date] = mapped_column(primary_key=True)
    finished_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxMessage(db.Model):
    """An e-mail or SMS to send (``OutboxState``): taken by one sender at a time through a conditional UPDATE
    (``services/outbox.py``), retried with exponential backoff, every attempt an ``OutboxAttempt`` row."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        sa.Index("ix_outbox_due", "state", "next_attempt_at"),  # the sender's due rows
        sa.Index("ix_outbox_user", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(10))  # email | sms
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id"))
    address: Mapped[str] = mapped_column(sa.String(120))  # the e-mail address or mobile number
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.String(2000))
    state: Mapped[str] = mapped_column(sa.String(10), default=OutboxState.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    sent_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reminder_id: Mapped[int | None] = mapped_column(sa.ForeignKey("reminder_sent.id"))

    user: Mapped[User | None] = relationship()
    attempt_log: Mapped[list["OutboxAttempt"]] = relationship(
        back_populates="message", order_by="OutboxAttempt.id", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        return self.subject


class OutboxAttempt(db.Model):
    """One try to send an outbox message, with its result (the server's answer or the error)."""

    __tablename__ = "outbox_attempt"
    __table_args__ = (sa.Index("ix_outbox_attempt_message", "message_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(sa.ForeignKey("outbox_message.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    ok: Mapped[bool] = mapped_column()
    detail: Mapped[str | None] = mapped_column(sa.String(500))

    message: Mapped[OutboxMessage] = relationship(back_populates="attempt_log")
