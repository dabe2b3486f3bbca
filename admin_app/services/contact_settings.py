"""消息设置: a user's e-mail address, mobile number and whether they want reminders by e-mail and SMS. The user
changes their own (``update_own``); the admin changes anyone's addresses in 账号管理 (checked by the same
validators). Opting out is the user's alone."""

from dataclasses import dataclass

from admin_app.actor import Actor
from admin_app.extensions import db
from admin_app.services import audit
from admin_app.services.validators import InvalidInput, validate_email, validate_mobile


@dataclass(frozen=True)
class ContactSettings:
    email: str | None
    mobile: str | None
    email_wanted: bool
    sms_wanted: bool


def update_own(actor: Actor, wanted: ContactSettings) -> list[str]:
    """Save the actor's own settings, or none of them: returns the Chinese problems (nothing saved) or [] (saved,
    audited, committed). An empty address is allowed (no reminders on that channel); a channel cannot be wanted
    without its address."""
    problems = []
    email = mobile = None
    try:
        email = validate_email(wanted.email) if (wanted.email or "").strip() else None
    except InvalidInput as exc:
        problems.append(str(exc))
    try:
        mobile = validate_mobile(wanted.mobile) if (wanted.mobile or "").strip() else None
    except InvalidInput as exc:
        problems.append(str(exc))
    if wanted.email_wanted and not email and not problems:
        problems.append("接收邮件提醒须先填写电子邮箱")
    if wanted.sms_wanted and not mobile and not problems:
        problems.append("接收短信提醒须先填写手机号码")
    if problems:
        return problems
    user = actor.user
    before = {
        "email": user.email,
        "mobile": user.mobile,
        "email_opt_out": user.email_opt_out,
        "sms_opt_out": user.sms_opt_out,
    }
    user.email, user.mobile = email, mobile
    user.email_opt_out, user.sms_opt_out = not wanted.email_wanted, not wanted.sms_wanted
    after = {
        "email": user.email,
        "mobile": user.mobile,
        "email_opt_out": user.email_opt_out,
        "sms_opt_out": user.sms_opt_out,
    }
    changed = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if changed:
        audit.record("contact_settings_changed", user, user=actor.user, detail=changed, ip=actor.ip)
    db.session.commit()
    return []
