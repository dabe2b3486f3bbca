"""Configuration read from the environment.

Nothing secret lives in the code: in development a random SECRET_KEY is generated once into
``instance/secret_key``; in production (``APP_ENV=production``) a missing SECRET_KEY stops start-up.
"""

import os
import secrets
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from admin_app import limits


class ConfigError(RuntimeError):
    """Raised when the environment does not allow a safe start."""


def _normalise_database_url(url: str) -> str:
    # Heroku-style and plain URLs name no driver; we use psycopg 3.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _development_secret(instance_path: Path, name: str = "secret_key") -> str:
    key_file = instance_path / name
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def _int_env(env: dict, name: str, default: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def _bool_env(env: dict, name: str, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if raw == "":
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be 1 or 0, got {raw!r}")


def _days_env(env: dict, name: str, default: str) -> tuple[int, ...]:
    """A comma-separated list of whole days ≥ 0, e.g. ``7,3,1``."""
    raw = env.get(name) or default
    try:
        days = tuple(sorted({int(part) for part in raw.split(",") if part.strip()}, reverse=True))
    except ValueError as exc:
        raise ConfigError(f"{name} must be comma-separated whole days, got {raw!r}") from exc
    if any(day < 0 for day in days):
        raise ConfigError(f"{name} must not hold negative days, got {raw!r}")
    return days


def _time_env(env: dict, name: str, default: str) -> time:
    """A time of day written HH:MM."""
    raw = (env.get(name) or default).strip()
    try:
        return datetime.strptime(raw, "%H:%M").time()
    except ValueError as exc:
        raise ConfigError(f"{name} must be a time of day HH:MM, got {raw!r}") from exc


def load_config(instance_path: str, env: dict | None = None) -> dict:
    """Return the Flask config mapping for this process, built from ``env`` (default: os.environ)."""
    env = dict(os.environ if env is None else env)
    instance = Path(instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    app_env = env.get("APP_ENV", "development")

    secret = env.get("SECRET_KEY")
    if not secret:
        if app_env == "production":
            raise ConfigError(
                "SECRET_KEY is not set. In production export a long random SECRET_KEY "
                "(e.g. python -c 'import secrets; print(secrets.token_hex(32))')."
            )
        secret = _development_secret(instance)

    # The key of the certificates' QR links (services/certificate_links.py): its own, so that rotating the
    # session key does not void printed certificates (and the other way round).
    link_key = env.get("CERTIFICATE_LINK_KEY")
    if not link_key:
        if app_env == "production":
            raise ConfigError(
                "CERTIFICATE_LINK_KEY is not set. In production export a long random key of its own for the "
                "certificates' QR links (see docs/operations.md)."
            )
        link_key = _development_secret(instance, "certificate_link_key")

    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance / 'gongkao.db'}"
    upload_dir = env.get("UPLOAD_DIR") or str(instance / "uploads")
    upload_storage = env.get("UPLOAD_STORAGE", "local")
    if upload_storage not in ("local", "s3"):
        raise ConfigError(f"UPLOAD_STORAGE must be 'local' or 's3', got {upload_storage!r}")
    if upload_storage == "s3" and not env.get("S3_BUCKET"):
        raise ConfigError("UPLOAD_STORAGE=s3 needs S3_BUCKET (and S3_ENDPOINT_URL for MinIO or Ceph).")
    # Statistics and exports may read from a streaming replica (several app servers, one primary).
    replica_url = env.get("REPLICA_DATABASE_URL")
    binds = {"replica": _normalise_database_url(replica_url)} if replica_url else {}

    timezone = env.get("APP_TIMEZONE") or "Asia/Shanghai"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"APP_TIMEZONE {timezone!r} is not a known time zone (e.g. Asia/Shanghai)") from exc

    ratelimit_uri = env.get("RATELIMIT_STORAGE_URI", "memory://")
    # A Redis that does not answer must not hold a login for long before the in-memory fallback.
    ratelimit_options = (
        {"socket_connect_timeout": 1, "socket_timeout": 1} if ratelimit_uri.startswith("redis") else {}
    )

    return {
        "APP_ENV": app_env,
        # Business dates (deadlines, cutoffs) are dates in this zone: services/clock.py.
        "APP_TIMEZONE": timezone,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": _normalise_database_url(database_url),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SQLALCHEMY_BINDS": binds,
        "UPLOAD_DIR": upload_dir,
        "UPLOAD_STORAGE": upload_storage,
        "S3_BUCKET": env.get("S3_BUCKET", ""),
        "S3_PREFIX": env.get("S3_PREFIX", ""),
        "S3_ENDPOINT_URL": env.get("S3_ENDPOINT_URL", ""),
        "S3_REGION": env.get("S3_REGION", ""),
        "MAX_CONTENT_LENGTH": _int_env(env, "MAX_CONTENT_LENGTH", 25 * 1024 * 1024),
        # Spreadsheet imports (附表5): untrusted files are read within these bounds (services/spreadsheets.py).
        "IMPORT_MAX_MB": _int_env(env, "IMPORT_MAX_MB", 5),
        "IMPORT_MAX_ROWS": _int_env(env, "IMPORT_MAX_ROWS", limits.IMPORT_ROWS),
        "IMPORT_MAX_COLUMNS": _int_env(env, "IMPORT_MAX_COLUMNS", 30),
        "IMPORT_MAX_UNZIPPED_MB": _int_env(env, "IMPORT_MAX_UNZIPPED_MB", 64),
        "IMPORT_JOB_ROWS": _int_env(env, "IMPORT_JOB_ROWS", limits.IMPORT_JOB_ROWS),
        # Failed logins lock the (account, client address) pair after LOGIN_MAX_FAILURES, and the whole
        # address after LOGIN_ADDRESS_MAX_FAILURES, counted within LOGIN_FAILURE_WINDOW_MINUTES; a lock lasts
        # LOGIN_LOCK_MINUTES. Successful logins are not counted (200 clerks behind one NAT log in freely).
        "LOGIN_MAX_FAILURES": _int_env(env, "LOGIN_MAX_FAILURES", 5),
        "LOGIN_ADDRESS_MAX_FAILURES": _int_env(env, "LOGIN_ADDRESS_MAX_FAILURES", 30),
        "LOGIN_FAILURE_WINDOW_MINUTES": _int_env(env, "LOGIN_FAILURE_WINDOW_MINUTES", 15),
        "LOGIN_LOCK_MINUTES": _int_env(env, "LOGIN_LOCK_MINUTES", 15),
        # A session's "last seen" is written at most this often (not on every request).
        "SESSION_TOUCH_SECONDS": _int_env(env, "SESSION_TOUCH_SECONDS", 60),
        "PERMANENT_SESSION_LIFETIME": timedelta(minutes=_int_env(env, "SESSION_IDLE_MINUTES", 30)),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # HTTPS-only cookies in production unless explicitly turned off (SESSION_COOKIE_SECURE=0) for a
        # plain-HTTP intranet.
        "SESSION_COOKIE_SECURE": _bool_env(env, "SESSION_COOKIE_SECURE", app_env == "production"),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": timezone,
        "RATELIMIT_STORAGE_URI": ratelimit_uri,
        "RATELIMIT_STORAGE_OPTIONS": ratelimit_options,
        # Redis down: keep answering with per-process limits (Flask-Limiter logs a warning) instead of 500s.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_HEADERS_ENABLED": True,
        # A flood guard on login attempts per address (the failures are counted above): high enough for a
        # bureau's 200 clerks behind one NAT address at 9:00.
        "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT", "300 per minute"),
        "REGISTER_RATE_LIMIT": env.get("REGISTER_RATE_LIMIT", "10 per minute"),
        # Staff roles may log in only from these networks (the bureaus' 金保网 intranet); empty: anywhere.
        "STAFF_ALLOWED_NETWORKS": [
            n.strip() for n in env.get("STAFF_ALLOWED_NETWORKS", "").split(",") if n.strip()
        ],
        # Certificates (issue 18): the QR links' key, the office's signing key and certificate (PKCS#12, or
        # PEM key + certificate + chain; none in development: a self-signed one is made into instance/), the
        # public address printed in the QR code, the issuing office's name when the row names none, and the
        # public 证书查验's look-ups allowed per client address within a window.
        "CERTIFICATE_LINK_KEY": link_key,
        "CERTIFICATE_SIGNING_PKCS12": env.get("CERTIFICATE_SIGNING_PKCS12", ""),
        "CERTIFICATE_SIGNING_KEY": env.get("CERTIFICATE_SIGNING_KEY", ""),
        "CERTIFICATE_SIGNING_CERT": env.get("CERTIFICATE_SIGNING_CERT", ""),
        "CERTIFICATE_SIGNING_CHAIN": [
            p.strip() for p in env.get("CERTIFICATE_SIGNING_CHAIN", "").split(",") if p.strip()
        ],
        "CERTIFICATE_SIGNING_PASSPHRASE": env.get("CERTIFICATE_SIGNING_PASSPHRASE", ""),
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", "").rstrip("/"),
        "CERTIFICATE_ISSUER": env.get(
            "CERTIFICATE_ISSUER", "重庆市机关事业单位技术工人技术等级（岗位）考核办公室"
        ),
        "CERTIFICATE_LOOKUP_MAX": _int_env(env, "CERTIFICATE_LOOKUP_MAX", 30),
        "CERTIFICATE_LOOKUP_WINDOW_MINUTES": _int_env(env, "CERTIFICATE_LOOKUP_WINDOW_MINUTES", 10),
        # Background jobs (下载中心, services/jobs.py): RQ on this Redis, this queue (also the prefix of the
        # jobs' progress keys); an export of more than EXPORT_JOB_ROWS rows runs there instead of in the request;
        # a running job whose heartbeat is older than JOB_STALE_SECONDS is taken as dead (its worker killed).
        "JOBS_REDIS_URL": env.get("JOBS_REDIS_URL", "redis://127.0.0.1:6379/0"),
        "JOB_QUEUE": env.get("JOB_QUEUE", "gongkao"),
        "EXPORT_JOB_ROWS": _int_env(env, "EXPORT_JOB_ROWS", limits.EXPORT_JOB_ROWS),
        # an "all matching" decision of more than BULK_JOB_ROWS pinned rows runs as a job (views/bulk_pinned.py),
        # deciding BULK_JOB_CHUNK rows per engine call (read by the worker)
        "BULK_JOB_ROWS": _int_env(env, "BULK_JOB_ROWS", limits.BULK_JOB_ROWS),
        "BULK_JOB_CHUNK": _int_env(env, "BULK_JOB_CHUNK", limits.BULK_JOB_CHUNK),
        "JOB_STALE_SECONDS": _int_env(env, "JOB_STALE_SECONDS", 90),
        "JOB_TIMEOUT_SECONDS": _int_env(env, "JOB_TIMEOUT_SECONDS", 3 * 3600),
        "JOB_MAINTENANCE_SECONDS": _int_env(env, "JOB_MAINTENANCE_SECONDS", 60),
        # Reminders (services/reminders.py): run by the worker once a day from REMINDER_TIME (Beijing, HH:MM) or by
        # `flask reminders-run`; 申报截止 reminders REMINDER_DEADLINE_DAYS days before it (comma-separated), 查分
        # and 公示 ones when their window ends within REMINDER_WINDOW_DAYS days.
        "REMINDER_TIME": _time_env(env, "REMINDER_TIME", "08:00"),
        "REMINDER_DEADLINE_DAYS": _days_env(env, "REMINDER_DEADLINE_DAYS", "7,3,1"),
        "REMINDER_WINDOW_DAYS": _int_env(env, "REMINDER_WINDOW_DAYS", 2),
        # E-mail over SMTP and SMS through an HTTP gateway (services/channels.py): both off by default.
        "MAIL_ENABLED": _bool_env(env, "MAIL_ENABLED", False),
        "MAIL_HOST": env.get("MAIL_HOST", "localhost"),
        "MAIL_PORT": _int_env(env, "MAIL_PORT", 25),
        "MAIL_USERNAME": env.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD", ""),
        "MAIL_STARTTLS": _bool_env(env, "MAIL_STARTTLS", False),
        "MAIL_FROM": env.get("MAIL_FROM", "gongkao@localhost"),
        "MAIL_TIMEOUT": _int_env(env, "MAIL_TIMEOUT", 20),
        "SMS_ENABLED": _bool_env(env, "SMS_ENABLED", False),
        "SMS_GATEWAY": env.get("SMS_GATEWAY", "http-json"),
        "SMS_GATEWAY_URL": env.get("SMS_GATEWAY_URL", ""),
        "SMS_GATEWAY_TOKEN": env.get("SMS_GATEWAY_TOKEN", ""),
        "SMS_TIMEOUT": _int_env(env, "SMS_TIMEOUT", 10),
        # The outbox's sender: at most OUTBOX_MAX_ATTEMPTS tries, waiting OUTBOX_RETRY_SECONDS × 2^(n-1) after
        # the n-th failure; a message taken by a sender that died is taken again after OUTBOX_LEASE_SECONDS.
        "OUTBOX_MAX_ATTEMPTS": _int_env(env, "OUTBOX_MAX_ATTEMPTS", 5),
        "OUTBOX_RETRY_SECONDS": _int_env(env, "OUTBOX_RETRY_SECONDS", 60),
        "OUTBOX_LEASE_SECONDS": _int_env(env, "OUTBOX_LEASE_SECONDS", 300),
        # Behind a reverse proxy, trust this many X-Forwarded-For hops for the client address.
        "PROXY_FIX_HOPS": _int_env(env, "PROXY_FIX_HOPS", 0),
    }
