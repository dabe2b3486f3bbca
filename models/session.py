"""Login sessions kept on the server, and the failed logins that throttle an account or an address.

A browser holds only a random session id in its signed cookie; the row here decides whether that id still
opens anything (ended by logout, by the user, by an admin, by a password change or when idle).
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from admin_app.extensions import db
from models.org import User, utcnow

# Why a session ended (UserSession.end_reason) and how it is shown.
END_REASON_LABELS = {
    "logout": "用户退出",
    "ended_by_user": "用户本人结束",
    "forced": "管理员强制下线",
    "password_changed": "密码已修改",
    "password_reset": "密码已重置",
    "account_disabled": "账号已停用",
    "account_moved": "账号调整了所属机构",
    "expired": "长时间未操作",
}


class UserSession(db.Model):
    """One login of one user in one browser. Only the SHA-256 of the session id is stored."""

    __tablename__ = "user_session"
    __table_args__ = (
        # 在线用户 and "my sessions": the open sessions, most recently active first
        sa.Index("ix_user_session_open", "ended_at", "last_seen_at"),
        sa.Index("ix_user_session_user", "user_id", "ended_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    user_agent: Mapped[str | None] = mapped_column(sa.String(200))
    ended_at: Mapped[datetime | None] = mapped_column()
    end_reason: Mapped[str | None] = mapped_column(sa.String(20))

    user: Mapped[User] = relationship()

    def __str__(self) -> str:
        return f"{self.user.username}（{self.ip or '未知地址'}）"


class LoginFailure(db.Model):
    """One refused login: the name that was typed (existing or not) and the client address."""

    __tablename__ = "login_failure"
    __table_args__ = (
        sa.Index("ix_login_failure_pair", "username", "address", "failed_at"),
        sa.Index("ix_login_failure_address", "address", "failed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(40))
    address: Mapped[str] = mapped_column(sa.String(45))
    failed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class LoginLock(db.Model):
    """A lock on logins of ``username`` from ``address`` — or, with no username, of every account from
    ``address`` — until ``locked_until``, unless an admin lifted it earlier."""

    __tablename__ = "login_lock"
    __table_args__ = (
        sa.Index("ix_login_lock_address", "address", "locked_until"),
        sa.Index("ix_login_lock_username", "username", "locked_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str | None] = mapped_column(sa.String(40))
    address: Mapped[str] = mapped_column(sa.String(45))
    locked_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime] = mapped_column()
    lifted_at: Mapped[datetime | None] = mapped_column()
    lifted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("app_user.id"))

    @property
    def ends_at(self) -> datetime:
        """When the lock stopped (or will stop) applying."""
        return min(self.locked_until, self.lifted_at) if self.lifted_at else self.locked_until
