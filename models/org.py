"""Organisations, their jurisdictions and the user accounts that belong to them."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates
from werkzeug.security import check_password_hash, generate_password_hash

from admin_app.extensions import db
from admin_app.services import clock
from admin_app.services.unit_names import normalise_unit_name, unit_name_key
from models import enums

NAME_KEY_INDEX = "uq_organisation_name_key_active"


def utcnow() -> datetime:
    """Now as stored: naive UTC, from the one clock."""
    return clock.utcnow()


class Jurisdiction(db.Model):
    """区县: a reporting jurisdiction. Never deleted; a merged one points at its successor."""

    __tablename__ = "jurisdiction"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(12), unique=True)
    name: Mapped[str] = mapped_column(sa.String(40), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    active: Mapped[bool] = mapped_column(default=True)
    sort_order: Mapped[int] = mapped_column(default=0)
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("jurisdiction.id"))
    note: Mapped[str | None] = mapped_column(sa.String(200))

    merged_into: Mapped["Jurisdiction | None"] = relationship(remote_side=[id])

    def __str__(self) -> str:
        return self.name if self.active else f"{self.name}（已撤销）"


# The one set of labels of an organisation's fields: lists, exports, forms, details and the checks' messages.
ORGANISATION_LABELS = {
    "name": "单位名称",
    "uscc": "统一社会信用代码",
    "kind": "机构类型",
    "org_category": "组织类别",
    "jurisdiction": "所在区县",
    "jurisdiction.name": "所在区县",
    "supervisor": "主管部门",
    "address": "单位地址",
    "postcode": "邮编",
    "contact_person": "联系人",
    "contact_phone": "联系电话",
    "active": "启用",
    "self_registered": "自行注册",
    "created_at": "创建时间",
    "is_supervisor": "可作为主管部门",
    "identity_status": "信息审核状态",
    "identity_submitted_at": "提交审核时间",
    "identity_decided_at": "审核时间",
    "identity_decided_by": "审核机构",
    "identity_opinion": "审核意见",
    "identity_changes": "待审核内容",
}


class Organisation(db.Model):
    """机构: a unit (法人单位) or a staff body. Its ``kind`` is the role of all its users."""

    __tablename__ = "organisation"
    __table_args__ = (
        sa.Index("ix_organisation_kind_jurisdiction", "kind", "jurisdiction_id"),
        sa.Index("ix_organisation_kind_category", "kind", "org_category"),
        # One active organisation per name (as unit_names.unit_name_key folds it); a deactivated one
        # frees its name. Partial index: PostgreSQL and SQLite both take the WHERE.
        sa.Index(
            NAME_KEY_INDEX,
            "name_key",
            unique=True,
            postgresql_where=sa.text("active"),
            sqlite_where=sa.text("active"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    uscc: Mapped[str | None] = mapped_column(sa.String(18), unique=True)
    org_category: Mapped[str | None] = mapped_column(sa.String(20))
    jurisdiction_id: Mapped[int | None] = mapped_column(sa.ForeignKey("jurisdiction.id"))
    supervisor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisation.id"))
    address: Mapped[str | None] = mapped_column(sa.String(200))
    postcode: Mapped[str | None] = mapped_column(sa.String(6))
    contact_person: Mapped[str | None] = mapped_column(sa.String(40))
    contact_phone: Mapped[str | None] = mapped_column(sa.String(30))
    active: Mapped[bool] = mapped_column(default=True)
    self_registered: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # --- identity (issue 13 §6): set through ``name`` / admin_app/services/unit_identity.py only ---
    name_key: Mapped[str | None] = mapped_column(sa.String(200))  # unit_names.unit_name_key(name)
    # offered as 主管部门 in the pickers; set by the admin
    is_supervisor: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # 单位信息审核 (IdentityState); None for staff bodies. Units submit only when confirmed.
    identity_status: Mapped[str | None] = mapped_column(sa.String(20))
    identity_submitted_at: Mapped[datetime | None] = mapped_column()
    identity_decided_at: Mapped[datetime | None] = mapped_column()
    identity_decided_by: Mapped[str | None] = mapped_column(sa.String(100))  # the authority's name
    identity_opinion: Mapped[str | None] = mapped_column(sa.String(500))
    # The identity fields as last confirmed (shown to the reviewer of a change as before → after).
    identity_confirmed: Mapped[dict | None] = mapped_column(sa.JSON)

    jurisdiction: Mapped[Jurisdiction | None] = relationship()
    supervisor: Mapped["Organisation | None"] = relationship(remote_side=[id])
    users: Mapped[list["User"]] = relationship(back_populates="organisation")

    @validates("name")
    def _normalise_name(self, _key, value):
        # Every assignment (registration, profile, admin, seed, tests) stores the one written form.
        written = normalise_unit_name(value)
        self.name_key = unit_name_key(written)
        return written

    def missing_profile_fields(self) -> list[str]:
        """Chinese names of the 单位基本信息 fields still empty (units only; staff bodies need none)."""
        if self.kind != enums.UNIT:
            return []
        # 主管部门 is not required: a unit that is itself a 主管部门 (市教委, 区教委 …) has none above it.
        required = (
            "name",
            "uscc",
            "org_category",
            "jurisdiction",
            "address",
            "postcode",
            "contact_person",
            "contact_phone",
        )
        return [
            ORGANISATION_LABELS[name]
            for name in required
            if not getattr(self, f"{name}_id" if name == "jurisdiction" else name)
        ]

    @property
    def profile_complete(self) -> bool:
        return not self.missing_profile_fields()

    def __str__(self) -> str:
        return self.name


class User(db.Model):
    """An account. Its role is its organisation's kind. Its logins are ``UserSession`` rows (models/session.py)
    and its login failures are counted per client address (services/login_throttle.py)."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(40), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    full_name: Mapped[str | None] = mapped_column(sa.String(40))
    phone: Mapped[str | None] = mapped_column(sa.String(30))
    # Reminders by e-mail and SMS (services/reminders.py): the addresses, and the user's own choice to receive
    # none on a channel (the channels themselves are off unless MAIL_ENABLED / SMS_ENABLED).
    email: Mapped[str | None] = mapped_column(sa.String(120))
    mobile: Mapped[str | None] = mapped_column(sa.String(11))
    email_opt_out: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    sms_opt_out: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    active: Mapped[bool] = mapped_column(default=True)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    last_login_at: Mapped[datetime | None] = mapped_column()
    password_changed_at: Mapped[datetime | None] = mapped_column()
    real_name_verified: Mapped[bool] = mapped_column(default=False)
    verified_name: Mapped[str | None] = mapped_column(sa.String(40))
    verified_id_number: Mapped[str | None] = mapped_column(sa.String(18))
    verified_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="users")

    # --- Flask-Login protocol ---
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return bool(self.active and self.organisation and self.organisation.active)

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        # The login itself is the server-side UserSession named in the signed cookie (auth.load_user).
        return str(self.id)

    # --- domain ---
    @property
    def role(self) -> str:
        return self.organisation.kind

    @property
    def role_label(self) -> str:
        return enums.ROLE_LABELS.get(self.role, self.role)

    def set_password(self, password: str) -> None:
        """Hash (scrypt) and store. The callers end the account's sessions (services/accounts)."""
        self.password_hash = generate_password_hash(password, method="scrypt")
        self.password_changed_at = utcnow()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def __str__(self) -> str:
        return self.username
