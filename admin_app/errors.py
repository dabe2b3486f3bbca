"""Error pages that cannot fail into English, and database errors named for what they are.

Guarantees:

- every error answers a Chinese page; if the page template itself cannot be rendered, a static Chinese
  page is sent instead (never Werkzeug's bare English "Internal Server Error");
- no database error text (SQL, driver messages) reaches a user: it goes to the log only;
- a database that cannot be reached (SQLAlchemy's OperationalError / InterfaceError, a connection
  invalidated, psycopg's own OperationalError / InterfaceError raised outside SQLAlchemy, e.g. during COPY)
  answers 503; a value the database refuses (DataError: a NUL byte, a number out of range) answers 400,
  a constraint violation 409, anything else 500 — each with the open transaction rolled back.
"""

import logging

from flask import Flask, Response, render_template
from markupsafe import escape
from sqlalchemy import exc as sa_exc

from admin_app.extensions import db

log = logging.getLogger(__name__)

try:  # the PostgreSQL driver; a SQLite-only installation may lack it
    import psycopg
except ImportError:  # pragma: no cover - psycopg is in requirements.txt
    psycopg = None

UNAVAILABLE, DATA, CONFLICT, FAILURE = "unavailable", "data", "conflict", "failure"

# code -> (title, text) for database errors that are not "unavailable" (the app's own 503 text is used).
DATABASE_PAGES = {
    DATA: (400, "请求无效", "提交的数据格式有误或超出允许的范围，没有保存任何内容。请检查后重试。"),
    CONFLICT: (409, "数据冲突", "与已有记录冲突（重复或仍被其他记录引用），没有保存任何内容。请刷新后重试。"),
    FAILURE: (500, "系统错误", "服务器处理请求时出错，已记录。请稍后重试。"),
}

# Sent when even the error template cannot be rendered (no url_for, no template, no database).
STATIC_PAGE = (
    '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="UTF-8"><title>{title} - 工考管理平台</title>'
    '</head><body><h1>{code} · {title}</h1><p>{text}</p><p><a href="/">返回首页</a></p></body></html>'
)


def database_error_kind(error: BaseException) -> str | None:
    """UNAVAILABLE, DATA, CONFLICT or FAILURE for an error raised by the database layer; None otherwise."""
    original = getattr(error, "orig", None)
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated or isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError):
            return UNAVAILABLE
        if isinstance(error, sa_exc.DataError):
            return DATA
        if isinstance(error, sa_exc.IntegrityError):
            return CONFLICT
        return _driver_kind(original) or FAILURE
    if isinstance(error, sa_exc.TimeoutError | sa_exc.DisconnectionError):
        return UNAVAILABLE  # no connection free in the pool / connection lost
    if isinstance(error, OverflowError) and "SQLite" in str(error):
        return DATA  # sqlite3 refuses to bind an integer over 64 bits (not wrapped by SQLAlchemy)
    return _driver_kind(error)


def _driver_kind(error) -> str | None:
    if psycopg is None or not isinstance(error, psycopg.Error):
        return None
    if isinstance(error, psycopg.OperationalError | psycopg.InterfaceError):
        return UNAVAILABLE
    if isinstance(error, psycopg.DataError):
        return DATA
    if isinstance(error, psycopg.IntegrityError):
        return CONFLICT
    return FAILURE


def render_error(code: int, title: str, text: str):
    """The Chinese error page; a static Chinese page if rendering fails for any reason."""
    try:
        return render_template("gk/error.html", code=code, title=title, text=text), code
    except Exception:  # noqa: BLE001 - the last resort must not raise
        log.exception("error page %s could not be rendered", code)
        body = STATIC_PAGE.format(code=code, title=escape(title), text=escape(text))
        return Response(body, status=code, mimetype="text/html")


def rollback_quietly() -> None:
    """Roll the request's transaction back; a lost connection must not turn the error page into another."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001
        log.warning("rollback after an error failed", exc_info=True)


def register_database_errors(app: Flask, unavailable) -> None:
    """Handlers for every database error class; ``unavailable()`` gives the (title, text) of the 503 page."""

    def database_error(error):
        kind = database_error_kind(error) or FAILURE
        rollback_quietly()
        if kind == UNAVAILABLE:
            log.error("database unavailable: %s", error.__class__.__name__, exc_info=error)
            return render_error(503, *unavailable())
        code, title, text = DATABASE_PAGES[kind]
        level = logging.ERROR if kind == FAILURE else logging.WARNING
        log.log(level, "database refused the request: %s", error.__class__.__name__, exc_info=error)
        return render_error(code, title, text)

    classes = [sa_exc.DBAPIError, sa_exc.TimeoutError, sa_exc.DisconnectionError]
    if psycopg is not None:
        classes.append(psycopg.Error)
    for error_class in classes:
        app.register_error_handler(error_class, database_error)

    @app.errorhandler(OverflowError)
    def overflow(error):
        if database_error_kind(error) is None:
            raise error  # not the database's: the 500 page (and the log) as for any other crash
        return database_error(error)
