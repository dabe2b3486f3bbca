"""Account use cases: login with lockout, password change, staff accounts, unit self-registration."""

import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from admin_app.extensions import db
from admin_app.services import audit
from admin_app.services.clock import format_beijing
from admin_app.services.validators import InvalidInput, password_problems, validate_credit_code
from models import Organisation, User, enums
from models.org import utcnow

DUPLICATE_CREDIT_CODE = "该统一社会信用代码已被注册，请使用本单位已注册的账号登录"


@dataclass
class LoginResult:
    user: User | None
    error: str | None = None


def staff_network_allowed(user: User, address: str | None) -> bool:
    """Staff roles log in only from the configured networks (金保网); units from anywhere."""
    import ipaddress

    networks = current_app.config.get("STAFF_ALLOWED_NETWORKS") or []
    if not networks or user.role == enums.UNIT:
        return True
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(n, strict=False) for n in networks)


def authenticate(
    username: str, password: str, now: datetime | None = None, client_address: str | None = None
) -> LoginResult:
    """Check credentials. Failures are counted in the database; the Nth failure locks the account.

    Guarantees: a locked or disabled account never logs in, even with the right password; the same
    message is given for an unknown user and a wrong password (no account enumeration).
    """
    now = now or utcnow()
    max_failures = current_app.config["LOGIN_MAX_FAILURES"]
    lock_minutes = current_app.config["LOGIN_LOCK_MINUTES"]
    user = db.session.scalar(sa.select(User).where(User.username == (username or "").strip()))
    if user is None:
        return LoginResult(None, "用户名或密码错误")
    if user.locked_until and user.locked_until > now:
        return LoginResult(None, f"账号已锁定，请于 {format_beijing(user.locked_until, '%H:%M')} 后再试")
    if not user.check_password(password or ""):
        # Count in SQL so that concurrent attempts are all counted.
        db.session.execute(
            sa.update(User).where(User.id == user.id).values(failed_logins=User.failed_logins + 1)
        )
        db.session.refresh(user)
        if user.failed_logins >= max_failures:
            user.locked_until = now + timedelta(minutes=lock_minutes)
            user.failed_logins = 0
            audit.record("account_locked", user, user=user)
            db.session.commit()
            return LoginResult(None, f"连续{max_failures}次密码错误，账号已锁定{lock_minutes}分钟")
        db.session.commit()
        left = max_failures - user.failed_logins
        return LoginResult(None, f"用户名或密码错误（再错{left}次将锁定账号）")
    if not user.is_active:
        return LoginResult(None, "账号已停用，请联系系统管理员")
    if not staff_network_allowed(user, client_address):
        audit.record("login_refused_network", user, user=user, detail={"ip": client_address})
        db.session.commit()
        return LoginResult(None, "人力社保部门用户须通过金保网（内网）登录本系统")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    audit.record("login", user, user=user)
    db.session.commit()
    return LoginResult(user)


def check_new_password(user: User, new_password: str, confirm: str) -> list[str]:
    problems = password_problems(new_password)
    if new_password != confirm:
        problems.append("两次输入的新密码不一致")
    if not problems and user.check_password(new_password):
        problems.append("新密码不能与原密码相同")
    return problems


def change_password(user: User, current_password: str, new_password: str, confirm: str) -> list[str]:
    """Change the user's own password. Returns problems (nothing changed) or [] (changed, committed)."""
    if not user.check_password(current_password or ""):
        return ["原密码不正确"]
    problems = check_new_password(user, new_password, confirm)
    if problems:
        return problems
    user.set_password(new_password)
    user.must_change_password = False
    audit.record("password_changed", user, user=user)
    db.session.commit()
    return []


def generate_initial_password() -> str:
    """A one-time password that satisfies the policy (letters and digits, 12 characters)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(12))
        if not password_problems(candidate):
            return candidate


def issue_one_time_password(user: User) -> str:
    """Set a fresh one-time password the user must change at next login; ends the user's sessions."""
    password = generate_initial_password()
    user.set_password(password)
    user.must_change_password = True
    user.failed_logins = 0
    user.locked_until = None
    return password


def register_unit(
    *, name: str, credit_code: str, username: str, password: str, contact_person: str, contact_phone: str
) -> User:
    """Self-registration of a unit (法人用户). Creates the organisation and its account, committed.

    Raises InvalidInput with the manual's hint when the credit code is already registered.
    """
    code = validate_credit_code(credit_code)
    problems = password_problems(password)
    if problems:
        raise InvalidInput("；".join(problems))
    if db.session.scalar(sa.select(Organisation.id).where(Organisation.uscc == code)):
        raise InvalidInput(DUPLICATE_CREDIT_CODE)
    if db.session.scalar(sa.select(User.id).where(User.username == username)):
        raise InvalidInput("该登录账号已被使用，请换一个")
    org = Organisation(
        name=name.strip(),
        kind=enums.UNIT,
        uscc=code,
        contact_person=contact_person,
        contact_phone=contact_phone,
        self_registered=True,
    )
    user = User(username=username, organisation=org, full_name=contact_person, phone=contact_phone)
    user.set_password(password)
    db.session.add_all([org, user])
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        # A concurrent registration with the same code or name won the race.
        db.session.rollback()
        raise InvalidInput(DUPLICATE_CREDIT_CODE) from None
    audit.record("unit_registered", org, user=user, detail={"uscc": code})
    db.session.commit()
    return user
