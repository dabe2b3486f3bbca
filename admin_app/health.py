"""``GET /healthz`` for load balancers: 200 when this server can do its work, 503 when it cannot.

It checks the database (one ``SELECT 1``), the job queue (JOBS_REDIS_URL: its length and the workers serving
it — ``queue: {"length", "workers"}``; ``workers: 0`` means jobs wait) and, when the rate limits are kept in
Redis, that Redis (one PING, 1 s timeout). A login page that renders says nothing about either, so it is no health check. The answer
names only which dependency failed, never an address or an error text.
"""

import logging

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify

from admin_app.extensions import db

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


def _database_ok() -> bool:
    try:
        db.session.execute(sa.text("SELECT 1"))
        db.session.rollback()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not healthy"; the cause goes to the log
        log.exception("health check: database unreachable")
        db.session.rollback()
        return False


def _redis_ok(uri: str) -> bool:
    import redis

    try:
        client = redis.Redis.from_url(uri, socket_connect_timeout=1, socket_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # noqa: BLE001
        log.warning("health check: Redis unreachable at the configured RATELIMIT_STORAGE_URI")
        return False


def _queue_report() -> dict | None:
    """The 下载中心's job queue: its length and the workers serving it; None when Redis does not answer."""
    from redis import RedisError
    from rq import Worker

    from admin_app.services import jobs

    try:
        queue = jobs.queue()
        return {"length": queue.count, "workers": Worker.count(queue=queue)}
    except RedisError:
        log.warning("health check: the job queue's Redis (JOBS_REDIS_URL) is unreachable")
        return None


@bp.route("/healthz", methods=["GET"])
def healthz():
    checks = {"database": "ok" if _database_ok() else "unavailable"}
    queue = _queue_report()
    checks["queue"] = "ok" if queue is not None else "unavailable"
    uri = current_app.config.get("RATELIMIT_STORAGE_URI", "")
    if uri.startswith(("redis://", "rediss://", "redis+")):
        checks["redis"] = "ok" if _redis_ok(uri) else "unavailable"
    # Without Redis the logins fall back to this process's own limits (admin_app/extensions.py): the server
    # still works, so it stays in rotation ("degraded"); without the database it does not ("unavailable").
    if checks["database"] != "ok":
        status, code = "unavailable", 503
    elif checks.get("redis", "ok") != "ok" or queue is None:  # without the queue only large exports wait
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    response = jsonify(status=status, checks=checks, queue=queue or {})
    response.status_code = code
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app) -> None:
    app.register_blueprint(bp)
