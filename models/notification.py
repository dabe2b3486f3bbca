"""站内消息: what a unit is told about its own rows (rejected, returned, scores, recognised)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from admin_app.extensions import db
from models.org import Organisation, User, utcnow


class Notification(db.Model):
    __tablename__ = "notification"
    # the unread badge on every page of a unit: its unread messages, newest first
    __table_args__ = (sa.Index("ix_notification_unit_read", "organisation_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"))
    kind: Mapped[str] = mapped_column(sa.String(30))
    title: Mapped[str] = mapped_column(sa.String(100))
    body: Mapped[str] = mapped_column(sa.String(1000))
    # the list whose record the message is about (a view endpoint) and the record's id
    target: Mapped[str | None] = mapped_column(sa.String(30))
    object_id: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column()
    read_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id"))

    organisation: Mapped[Organisation] = relationship()
    read_by: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return self.title
