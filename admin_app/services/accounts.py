"""Account use cases: login with lockout, password change, staff accounts (checked before they are saved,
reset, disabled, enabled), organisations (credit-code uniqueness), unit self-registration."""

import re
import secrets
import string
from dataclasses import dataclass
from datetime import datetime
from functools import cache

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from admin_app.actor import Actor
from admin_app.extensions import db
from admin_app.limits import ADDRESS, USERNAME
from admin_app.services import audit, commits, login_throttle, sessions
from admin_app.services.validators import InvalidInput, password_problems, validate_credit_code
from admin_app.workflow.states import IdentityState
from models import Organisation, User, enums
from models.org import utcnow

DUPLICATE_CREDIT_CODE = "该统一社会信用代码已被注册，请使用本单位已注册的账号登录"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass
class LoginResult:
    user: User | None
    error: str | None = None


def staff_network_allowed(user: User, address: str | None, networks=()) -> bool:
    """Staff roles log in only from the ``networks`` (STAFF_ALLOWED_NETWORKS: 金保网) when any are given; units
    from anywhere."""
    import ipaddress

    if not networks or user.role == enums.UNIT:
        return True
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(n, strict=False) for n in networks)


# One answer for an unknown name, a wrong password and a locked login (no account enumeration).
LOGIN_FAILED = "用户名或密码错误（连续多次输错后将暂时无法登录，请稍后再试）"


@cache
def _dummy_hash() -> str:
    # Same method and parameters as every stored hash (User.set_password), so checking it costs the same.
    return generate_password_hash(secrets.token_hex(16), method="scrypt")


def _login_name(username: str | None) -> tuple[str, bool]:
    """The name to count failures under, and whether it may name an account at all: control characters
    (NUL included) are in no username, and PostgreSQL refuses NUL in a query."""
    typed = (username or "").strip()
    name = _CONTROL.sub("", typed)[:USERNAME]
    return name, bool(name) and name == typed


def authenticate(
    username: str,
    password: str,
    now: datetime | None = None,
    client_address: str | None = None,
    *,
    limits: login_throttle.Limits,
    staff_networks=(),
) -> LoginResult:
    """Check credentials, throttled per (name, client address) and per address (services/login_throttle,
    within ``limits``); staff log in only from ``staff_networks`` when any are given. The login view passes
    both from the configuration.

    Guarantees: an unknown name, a wrong password and a locked login get the same message
    (``LOGIN_FAILED``) after the same work — one scrypt check (of a dummy hash when there is no account or
    the login is locked) and one counted failure; a locked login never succeeds, even with the right
    password; another address is not locked by this one's failures; a success is never counted.
    """
    now = now or utcnow()
    name, may_exist = _login_name(username)
    address = _CONTROL.sub("", client_address or "")[:ADDRESS] or login_throttle.UNKNOWN_ADDRESS
    user = db.session.scalar(sa.select(User).where(User.username == name)) if may_exist else None
    throttle = login_throttle.check(name, address, now, limits)
    if user is not None and not throttle.locked:
        password_ok = user.check_password(password or "")
    else:
        check_password_hash(_dummy_hash(), password or "")
        password_ok = False
    if not password_ok:
        login_throttle.record_failure(name, address, throttle, now)
        with commits.bookkeeping():
            db.session.commit()
        return LoginResult(None, LOGIN_FAILED)
    if not user.is_active:
        return LoginResult(None, "账号已停用，请联系系统管理员")
    if not staff_network_allowed(user, client_address, staff_networks):
        audit.record("login_refused_network", user, user=user, detail={"ip": client_address})
        with commits.bookkeeping():
            db.session.commit()
        return LoginResult(None, "人力社保部门用户须通过金保网（内网）登录本系统")
    login_throttle.forget_failures(name, address)
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


def change_password(
    user: User, current_password: str, new_password: str, confirm: str, session_id: str | None = None
) -> list[str]:
    """Change the user's own password. Returns problems (nothing changed) or [] (changed, committed);
    on a change every other session of the user ends (the one named ``session_id`` stays)."""
    if not user.check_password(current_password or ""):
        return ["原密码不正确"]
    problems = check_new_password(user, new_password, confirm)
    if problems:
        return problems
    user.set_password(new_password)
    user.must_change_password = False
    ended = sessions.end_all_of(user, "password_changed", keep=session_id)
    audit.record("password_changed", user, user=user, detail={"sessions_ended": ended} if ended else None)
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
    """Set a fresh one-time password the user must change at next login; ends the user's sessions (not
    committed: the caller commits with its audit row)."""
    password = generate_initial_password()
    user.set_password(password)
    user.must_change_password = True
    if user.id is not None:
        sessions.end_all_of(user, "password_reset")
    return password


def prepare_account(user: User, is_created: bool) -> str | None:
    """An account the admin creates or edits (账号管理), before it is saved; the caller commits.

    Guarantees: the 账号 is unique (else ``InvalidInput("该账号已存在")``, nothing changed); a new account
    gets a one-time password, returned to be shown once, which must be changed at first login; moving an
    account to another organisation or disabling it ends every session of it at once. Returns None for an
    edit.
    """
    with db.session.no_autoflush:  # the account being edited is not written before it is checked
        clash = db.session.scalar(
            sa.select(User.id).where(User.username == user.username, User.id != (user.id or 0))
        )
    if clash:
        raise InvalidInput("该账号已存在")
    if is_created:
        return issue_one_time_password(user)
    changed = sa.inspect(user).attrs
    if changed.organisation.history.has_changes() or changed.organisation_id.history.has_changes():
        sessions.end_all_of(user, "account_moved")
    elif changed.active.history.has_changes() and not user.active:
        sessions.end_all_of(user, "account_disabled")
    return None


def reset_passwords(actor: Actor, users: list[User]) -> list[tuple[str, str]]:
    """重置密码: each account gets a fresh one-time password it must change at next login; every session of
    it ends; one audit row each; committed together. Returns (账号, password) pairs, to be shown once."""
    issued = []
    for user in users:
        issued.append((user.username, issue_one_time_password(user)))
        audit.record("password_reset", user, user=actor, object_type="User")
    db.session.commit()
    return issued


def disable_accounts(actor: Actor, users: list[User]) -> list[User]:
    """停用账号: every active account among ``users`` is disabled and all its sessions end at once (a copy of
    its cookie included); one audit row each; committed. Returns the accounts disabled (already disabled
    ones are left alone)."""
    disabled = [user for user in users if user.active]
    for user in disabled:
        user.active = False
        sessions.end_all_of(user, "account_disabled")
        audit.record("account_disabled", user, user=actor, object_type="User")
    db.session.commit()
    return disabled


def enable_accounts(actor: Actor, users: list[User]) -> list[User]:
    """启用账号: every disabled account among ``users`` may log in again; one audit row each; committed.
    Returns the accounts enabled."""
    enabled = [user for user in users if not user.active]
    for user in enabled:
        user.active = True
        audit.record("account_enabled", user, user=actor, object_type="User")
    db.session.commit()
    return enabled


def credit_code_taken(code: str, *, other_than: int | None = None) -> bool:
    """Whether an organisation (other than the one of id ``other_than``) holds the 统一社会信用代码 ``code``."""
    query = sa.select(Organisation.id).where(Organisation.uscc == code)
    if other_than is not None:
        query = query.where(Organisation.id != other_than)
    with db.session.no_autoflush:  # an organisation being edited is not written before it is checked
        return db.session.scalar(query.limit(1)) is not None


def check_organisation(org: Organisation) -> None:
    """An organisation the admin creates or edits (机构管理), before it is saved; the caller commits.

    Guarantees, else ``InvalidInput`` with the Chinese reason (nothing saved): a unit has a 统一社会信用代码
    and no other organisation has the same one (``DUPLICATE_CREDIT_CODE``; the unique index backs this
    when two saves race); a 区县人力社保局 has its 区县; an organisation is not its own 主管部门. Empty
    codes and categories are stored as NULL.
    """
    org.uscc = org.uscc or None
    org.org_category = org.org_category or None
    if org.kind == enums.UNIT and not org.uscc:
        raise InvalidInput("单位须填写统一社会信用代码")
    if org.kind == enums.DISTRICT_HR and org.jurisdiction is None:
        raise InvalidInput("区县人力社保局须选择所在区县")
    if org.supervisor is not None and org.supervisor.id == org.id:
        raise InvalidInput("主管部门不能是本机构")
    if org.uscc and credit_code_taken(org.uscc, other_than=org.id or 0):
        raise InvalidInput(DUPLICATE_CREDIT_CODE)


def register_unit(
    *, name: str, credit_code: str, username: str, password: str, contact_person: str, contact_phone: str
) -> User:
    """Self-registration of a unit (法人用户). Creates the organisation and its account, committed.

    Raises InvalidInput with the manual's hint when the credit code is already registered, and when an
    active organisation has the same name (as ``unit_names.unit_name_key`` compares names: invisible
    characters, full-width forms, spaces and case aside). The unit starts 待完善 (单位信息审核).
    """
    from admin_app.services import unit_identity

    code = validate_credit_code(credit_code)
    problems = password_problems(password)
    if problems:
        raise InvalidInput("；".join(problems))
    if credit_code_taken(code):
        raise InvalidInput(DUPLICATE_CREDIT_CODE)
    if db.session.scalar(sa.select(User.id).where(User.username == username)):
        raise InvalidInput("该登录账号已被使用，请换一个")
    if unit_identity.name_taken(name):
        raise InvalidInput(unit_identity.NAME_TAKEN_AT_REGISTRATION)
    org = Organisation(
        name=name,  # normalised by the model
        identity_status=IdentityState.NEW,
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
    except sa.exc.IntegrityError as exc:
        # A concurrent registration with the same code or name won the race.
        db.session.rollback()
        if unit_identity.is_name_conflict(exc):
            raise InvalidInput(unit_identity.NAME_TAKEN_AT_REGISTRATION) from None
        raise InvalidInput(DUPLICATE_CREDIT_CODE) from None
    audit.record("unit_registered", org, user=user, detail={"uscc": code})
    db.session.commit()
    return user
