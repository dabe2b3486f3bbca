"""Audit log: who did what to which object, when, from where. Append-only through the application."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from admin_app.extensions import db
from models.org import utcnow


class AuditLog(db.Model):
    __tablename__ = "audit_log"
    # The 审计日志 list is in 时间 order: each filter column leads an index followed by created_at, so that a
    # filter alone and 操作人 + 操作 (+ 时间) are index ranges in order (migration 0019); an object's history
    # and a 对象编号 alone use (object_id, object_type).
    __table_args__ = (
        sa.Index("ix_audit_log_username", "username", "created_at"),
        sa.Index("ix_audit_log_action", "action", "created_at"),
        sa.Index("ix_audit_log_username_action", "username", "action", "created_at"),
        sa.Index("ix_audit_log_object_type", "object_type", "created_at"),
        sa.Index("ix_audit_log_role", "role", "created_at"),
        sa.Index("ix_audit_log_object_id", "object_id", "object_type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column()
    username: Mapped[str | None] = mapped_column(sa.String(40))
    organisation_id: Mapped[int | None] = mapped_column()
    role: Mapped[str | None] = mapped_column(sa.String(20))
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    action: Mapped[str] = mapped_column(sa.String(40))
    object_type: Mapped[str | None] = mapped_column(sa.String(40))
    object_id: Mapped[str | None] = mapped_column(sa.String(40))
    from_state: Mapped[str | None] = mapped_column(sa.String(40))
    to_state: Mapped[str | None] = mapped_column(sa.String(40))
    opinion: Mapped[str | None] = mapped_column(sa.Text)
    detail: Mapped[str | None] = mapped_column(sa.Text)
    # Tamper evidence: each row's hash covers its content and the previous row's hash (see services/audit).
    prev_hash: Mapped[str | None] = mapped_column(sa.String(64))
    row_hash: Mapped[str | None] = mapped_column(sa.String(64))
