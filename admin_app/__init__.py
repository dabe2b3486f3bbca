"""工考管理平台: the application factory."""

from flask import Flask

from admin_app.config import load_config
from admin_app.extensions import babel, csrf, db, limiter, migrate
from admin_app.services import commits


def create_app(config: dict | None = None) -> Flask:
    """Build the app. ``config`` overrides what the environment gives (tests pass their database here)."""
    app = Flask(__name__, instance_relative_config=True, static_url_path="/assets")
    app.config.update(load_config(app.instance_path))
    if config:
        app.config.update(config)

    import models  # noqa: F401  - every model registered on the metadata before anything uses it

    db.init_app(app)
    migrate.init_app(app, db, directory=_migrations_dir(app), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)
    if app.config["PROXY_FIX_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_FIX_HOPS"], x_proto=1)
    # Flask-Admin's shipped zh_Hans_CN catalog is found through the zh_CN locale (a bare 'zh' is not).
    babel.init_app(app, locale_selector=lambda: "zh_CN")

    from admin_app import auth, cli, health, request_guard, verification
    from admin_app.admin_registry import build_admin

    auth.init_app(app)
    request_guard.init_app(app)
    health.init_app(app)
    verification.init_app(app)  # 证书查验: public, no login
    build_admin(app)
    cli.init_app(app)
    _register_error_pages(app)
    commits.install()
    _security_headers(app)
    from admin_app.services import audit
    from views.actor import request_actor

    audit.default_actor = request_actor  # audit rows of callers without an actor name the request's user

    @app.context_processor
    def unread_messages():
        """``gk_unread()`` in templates: the organisation's unread 站内消息 (one COUNT, only where it is shown)."""

        def gk_unread() -> int:
            from flask_login import current_user

            from admin_app.services import notify

            return notify.unread_count(current_user) if current_user.is_authenticated else 0

        return {"gk_unread": gk_unread}

    app.add_url_rule("/favicon.ico", "favicon", lambda: ("", 204))
    from admin_app.services.clock import format_beijing

    app.jinja_env.filters["beijing"] = format_beijing
    from admin_app import limits

    # maxlength="{{ LIMITS.OPINION }}": the same limits as the services
    app.jinja_env.globals["LIMITS"] = limits
    from models import enums

    # A grade prints as 四级（中级工）, never as "4级"
    app.jinja_env.globals["grade_label"] = enums.grade_label
    from admin_app.workflow import states

    # Templates name states (``model.status == ApplicationState.DRAFT``), never write their values.
    app.jinja_env.globals.update({machine.__name__: machine for machine in states.MACHINE_STATES.values()})
    # An empty value prints as nothing, never as the word "None" (list cells of a column with choices, print
    # pages, forms): set before any template is compiled.
    app.jinja_env.finalize = _blank_none
    return app


def _blank_none(value):
    return "" if value is None else value


def _migrations_dir(app: Flask) -> str:
    import os

    return os.path.join(os.path.dirname(app.root_path), "migrations")


CSP = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def csp_nonce() -> str:
    """This request's nonce for inline scripts (Flask-Admin's filter and form set-up blocks)."""
    from flask import g

    if "csp_nonce" not in g:
        import secrets

        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def _security_headers(app: Flask) -> None:
    import time

    from flask import g

    @app.before_request
    def start_clock():
        g.gk_started = time.perf_counter()

    @app.after_request
    def headers(response):
        # Server-side time of the request (browser developer tools and bench/scale_bench.py read it).
        if "gk_started" in g:
            elapsed = (time.perf_counter() - g.gk_started) * 1000
            response.headers.setdefault("Server-Timing", f"app;dur={elapsed:.1f}")
        # Inline event handlers are gone from every template (templates/admin/*, static/gk.js): scripts
        # run only from our own files or with this request's nonce.
        response.headers.setdefault("Content-Security-Policy", CSP.format(nonce=csp_nonce()))
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def _register_error_pages(app: Flask) -> None:
    messages = {
        400: ("请求无效", "提交的数据不完整或格式有误，请返回重试。"),
        403: ("无权访问", "您的账号没有执行此操作的权限。"),
        404: ("记录不存在", "您要访问的页面或记录不存在，或不在您的权限范围内。"),
        405: ("请求方式不允许", "此地址不支持该请求方式。"),
        413: ("文件过大", "上传的内容超过了允许的大小。"),
        429: ("操作过于频繁", "短时间内尝试次数过多，请稍后再试。"),
        500: ("系统错误", "服务器处理请求时出错，已记录。请稍后重试。"),
        503: (
            "系统暂时无法访问",
            "数据库暂时无法连接，您的操作没有被保存。请稍后重试；如持续出现请联系系统管理员。",
        ),
    }

    from werkzeug.exceptions import HTTPException

    from admin_app import errors

    def handler(error):
        code = getattr(error, "code", 500) or 500
        title, text = messages.get(code, messages[500] if code >= 500 else messages[400])
        # A BadInput (request_guard) names what was wrong, in Chinese; Werkzeug's texts are English.
        text = getattr(error, "gk_text", None) or text
        if code == 500:
            errors.rollback_quietly()
        page = errors.render_error(code, title, text)
        allowed = getattr(error, "valid_methods", None)
        if code == 405 and allowed:  # the methods the address does take (a job's button: POST), as HTTP asks
            page = app.make_response(page)
            page.headers["Allow"] = ", ".join(allowed)
        return page

    for code in messages:
        app.register_error_handler(code, handler)
    app.register_error_handler(HTTPException, handler)  # 405, 414, 431 …: Chinese too

    def database_down() -> tuple[str, str]:
        # Connection refused / lost: tell the person in plain words what became of their work.
        title, text = messages[503]
        if commits.work_saved_in_this_request():
            # Never say "not saved" of saved work: the commit landed before the connection went away.
            text = "您的操作已经保存，但随后数据库连接中断，结果页面未能显示。请稍后刷新页面查看最新状态。"
        return title, text

    # Every database error class (SQLAlchemy's and psycopg's own): 503 / 400 / 409 / 500, never SQL.
    errors.register_database_errors(app, database_down)

    from flask_wtf.csrf import CSRFError

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return errors.render_error(400, "页面已过期", "表单校验失败（CSRF），请刷新页面后重新提交。")
