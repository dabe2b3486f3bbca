"""已确认的记录集: the exact rows an "all matching the filter" confirmation page showed, pinned for its 确认."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from admin_app.extensions import db
from models.org import utcnow


class BulkPin(db.Model):
    """The ids a confirmation page listed (JSON array, at most ``limits.BULK``), for one user, list and
    operation. The page's form carries only ``token``; the decision reads the ids from here, so a row that
    arrived after the page was shown is never decided. Used once (``used_at``), valid until ``expires_at``;
    ``job_id`` is the background job that decides a large set."""

    __tablename__ = "bulk_pin"
    __table_args__ = (sa.Index("ix_bulk_pin_owner", "owner_id", "expires_at"),)  # a user's old pins, removed

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("app_user.id"))
    endpoint: Mapped[str] = mapped_column(sa.String(60))  # the list view
    operation: Mapped[str] = mapped_column(sa.String(60))  # the transition's name
    query: Mapped[str] = mapped_column(sa.Text, default="")  # the list's query string (to confirm again)
    ids: Mapped[str] = mapped_column(sa.Text)
    total: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
    job_id: Mapped[int | None] = mapped_column(sa.ForeignKey("job.id", ondelete="SET NULL"))
