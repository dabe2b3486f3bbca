"""Authentication: Flask-Login wiring, the account pages and the gates every request passes."""

from flask import current_app, flash, redirect, request, session, url_for
from flask_login import current_user

from admin_app.extensions import login_manager
from admin_app.services import sessions
from models import enums

# Endpoints reachable before the password is changed / the unit profile is complete.
_ALWAYS_OPEN = {
    "auth.login",
    "auth.logout",
    "auth.register",
    "auth.change_password",
    "static",
    "admin.static",
}
_PROFILE_OPEN = _ALWAYS_OPEN | {"auth.verify", "auth.sessions_view", "auth.end_sessions"}


@login_manager.user_loader
def load_user(user_id: str):
    """Logged in only through an open server-side session (services/sessions): the signed cookie names it."""
    return sessions.resume(user_id, session.get(sessions.SESSION_KEY), sessions.Lifetime.of(current_app))


# Public pages (证书查验): the same for everyone, signed in or not; no account step stands in front of them.
PUBLIC_PREFIXES = ("verify.",)
SESSION_ENDED = "登录已失效（长时间未操作、已在其他地方退出或被管理员强制下线），请重新登录"


def gate():
    """before_request: a cookie of an ended session is told so once; then forced password change, then
    (units) 单位基本信息 completion."""
    if request.endpoint is None or request.endpoint.startswith(PUBLIC_PREFIXES):
        return None
    if not current_user.is_authenticated:
        if session.get(sessions.SESSION_KEY) and request.endpoint not in ("static", "admin.static"):
            session.pop(sessions.SESSION_KEY, None)
            flash(SESSION_ENDED, "warning")
        return None
    endpoint = request.endpoint
    if current_user.must_change_password and endpoint not in _ALWAYS_OPEN:
        flash("请先修改初始密码", "warning")
        return redirect(url_for("auth.change_password"))
    if (
        current_user.role == enums.UNIT
        and endpoint not in _PROFILE_OPEN
        and not endpoint.startswith("unitprofile.")
        and not current_user.organisation.profile_complete
    ):
        # No flash: the profile page names the missing fields and says the rest opens once they are saved.
        return redirect(url_for("unitprofile.index_view"))
    return None


def init_app(app) -> None:
    from admin_app.auth import routes

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录"
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "basic"
    routes.init_app(app)
    app.before_request(gate)
