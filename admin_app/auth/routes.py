"""Login, logout, password change, unit self-registration, 实名认证 and 消息设置."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from admin_app.actor import Actor
from admin_app.auth.forms import (
    ChangePasswordForm,
    ContactSettingsForm,
    LoginForm,
    RealNameForm,
    RegisterForm,
)
from admin_app.extensions import db, limiter
from admin_app.request_guard import parse_pk
from admin_app.services import accounts, audit, login_throttle, sessions
from admin_app.services import contact_settings as contact_settings_service
from admin_app.services.validators import InvalidInput, parse_resident_id
from models import enums
from models.org import utcnow

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    # Only same-site relative paths; never redirect to another host.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("admin.index")


def _login_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("admin.index"))
    form = LoginForm()
    if form.validate_on_submit():
        result = accounts.authenticate(
            form.username.data,
            form.password.data,
            client_address=request.remote_addr,
            limits=login_throttle.Limits.from_config(current_app.config),
            staff_networks=current_app.config["STAFF_ALLOWED_NETWORKS"],
        )
        if result.user is None:
            flash(result.error, "error")
        else:
            _begin_session(result.user)
            if result.user.must_change_password:
                flash("首次登录或密码已被重置，请先修改密码", "warning")
                return redirect(url_for("auth.change_password"))
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


def _begin_session(user) -> None:
    """A fresh cookie (no data carried over from before the login) naming a new server-side session."""
    session.clear()
    session.permanent = True
    session[sessions.SESSION_KEY] = sessions.start(user, request.remote_addr, request.user_agent.string)
    login_user(user)


@bp.route("/logout", methods=["POST"])
def logout():
    # The server-side session ends: a copy of this cookie opens nothing afterwards.
    sessions.end_current(session.get(sessions.SESSION_KEY))
    if current_user.is_authenticated:
        audit.record("logout", current_user, user=current_user)
    db.session.commit()
    logout_user()
    session.clear()
    flash("您已安全退出", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        problems = accounts.change_password(
            current_user,
            form.current_password.data,
            form.new_password.data,
            form.confirm.data,
            session_id=session.get(sessions.SESSION_KEY),
        )
        if problems:
            for problem in problems:
                flash(problem, "error")
        else:
            flash("密码修改成功，您在其他地方的登录已全部结束", "success")
            return redirect(url_for("admin.index"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REGISTER_RATE_LIMIT"], methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("admin.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = accounts.register_unit(
                name=form.name.data,
                credit_code=form.credit_code.data,
                username=form.username.data.strip(),
                password=form.password.data,
                contact_person=form.contact_person.data.strip(),
                contact_phone=form.contact_phone.data,
            )
        except InvalidInput as exc:
            flash(str(exc), "error")
        else:
            _begin_session(user)
            flash("注册成功。您可以现在进行实名认证（可选），以提升账号安全系数。", "success")
            return redirect(url_for("auth.verify"))
    return render_template("auth/register.html", form=form)


@bp.route("/verify", methods=["GET", "POST"])
@login_required
def verify():
    if current_user.role != enums.UNIT:
        return redirect(url_for("admin.index"))
    form = RealNameForm()
    if form.validate_on_submit():
        parsed = parse_resident_id(form.verified_id_number.data)
        user = current_user._get_current_object()
        user.verified_name = form.verified_name.data.strip()
        user.verified_id_number = parsed.number
        user.real_name_verified = True
        user.verified_at = utcnow()
        audit.record("real_name_verified", user, user=user)
        db.session.commit()
        flash("实名认证成功", "success")
        return redirect(url_for("admin.index"))
    return render_template("auth/verify.html", form=form)


@bp.route("/sessions", methods=["GET"])
@login_required
def sessions_view():
    """登录会话: the user's own open sessions, the current one marked."""
    current = sessions.digest(session.get(sessions.SESSION_KEY) or "")
    rows = sessions.open_sessions_of(current_user, sessions.Lifetime.of(current_app))
    return render_template("auth/sessions.html", rows=rows, current=current)


@bp.route("/sessions/end", methods=["POST"])
@login_required
def end_sessions():
    """End one of the user's other sessions (``session``) or all of them (``others``); never another
    user's, never the current one (that is 退出)."""
    current = sessions.digest(session.get(sessions.SESSION_KEY) or "")
    lifetime = sessions.Lifetime.of(current_app)
    open_rows = sessions.open_sessions_of(current_user, lifetime)
    others = [row.id for row in open_rows if row.token_hash != current]
    if request.form.get("others"):
        wanted = others
    else:
        chosen = parse_pk(request.form.get("session", ""))  # bounded: a 5,000-digit id is no id, not a 500
        wanted = [chosen] if chosen in others else []
        if not wanted:
            flash("该会话不存在、已结束或是当前会话（结束当前会话请点“退出”）", "error")
            return redirect(url_for("auth.sessions_view"))
    ended = sessions.end_selected(wanted, "ended_by_user", owner=current_user)
    flash(f"已结束 {len(ended)} 个其他会话", "success")
    return redirect(url_for("auth.sessions_view"))


@bp.route("/contact", methods=["GET", "POST"])
@login_required
def contact_settings():
    """消息设置: the user's own e-mail, mobile number and whether reminders come by e-mail / SMS."""
    user = current_user._get_current_object()
    form = ContactSettingsForm()
    if request.method == "GET":
        form.email.data, form.mobile.data = user.email, user.mobile
        form.email_wanted.data, form.sms_wanted.data = not user.email_opt_out, not user.sms_opt_out
    elif form.validate_on_submit():
        wanted = contact_settings_service.ContactSettings(
            form.email.data, form.mobile.data, form.email_wanted.data, form.sms_wanted.data
        )
        problems = contact_settings_service.update_own(Actor(user, request.remote_addr), wanted)
        if not problems:
            flash("消息设置已保存", "success")
            return redirect(url_for("auth.contact_settings"))
        for problem in problems:
            flash(problem, "error")
    channels = {"mail": current_app.config["MAIL_ENABLED"], "sms": current_app.config["SMS_ENABLED"]}
    return render_template("auth/contact_settings.html", form=form, channels=channels)


def init_app(app) -> None:
    app.register_blueprint(bp)
