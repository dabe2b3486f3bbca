"""The app's own processes in tests — `flask worker` and gunicorn — on the test session's database, uploads,
Redis database and queue."""

import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def app_env(app, **more) -> dict:
    """The environment of a process that must see what the test app sees."""
    return dict(
        os.environ,
        FLASK_APP="wsgi.py",
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        UPLOAD_DIR=app.config["UPLOAD_DIR"],
        JOBS_REDIS_URL=app.config["JOBS_REDIS_URL"],
        JOB_QUEUE=app.config["JOB_QUEUE"],
        SECRET_KEY=app.config["SECRET_KEY"],
        **more,
    )


def flask_command() -> str:
    return str(pathlib.Path(sys.executable).with_name("flask"))


def run_burst_worker(app, timeout: int = 120, **env) -> subprocess.CompletedProcess:
    """`flask worker --burst`: every queued job of the session's queue, then it exits (its output captured)."""
    return subprocess.run(
        [flask_command(), "worker", "--burst"],
        cwd=ROOT,
        env=app_env(app, **env),
        timeout=timeout,
        capture_output=True,
    )
