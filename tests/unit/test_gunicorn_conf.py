"""gunicorn.conf.py: its names are gunicorn settings, its environment variables take effect, and each worker's
database pool covers its threads (a thread that waits for a connection holds its request for up to 30 s)."""

import pathlib
import runpy

import pytest
from gunicorn.config import Config

from admin_app import create_app
from admin_app.extensions import db
from bench.throughput import parse_config

CONF = pathlib.Path(__file__).resolve().parents[2] / "gunicorn.conf.py"
VARIABLES = ("GUNICORN_WORKERS", "GUNICORN_THREADS", "GUNICORN_WORKER_CLASS", "GUNICORN_PRELOAD")


def _settings(monkeypatch, **env) -> dict:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    loaded = runpy.run_path(str(CONF))
    return {k: v for k, v in loaded.items() if not k.startswith("_") and k != "os"}


def _gunicorn(settings: dict) -> Config:
    config = Config()
    for name, value in settings.items():
        config.set(name, value)
    return config


def test_every_name_in_the_conf_is_a_gunicorn_setting(monkeypatch):
    settings = _settings(monkeypatch)
    unknown = set(settings) - set(Config().settings)
    assert not unknown  # gunicorn ignores unknown names silently


def test_the_default_is_two_gthread_workers_of_eight_threads_without_preload(monkeypatch):
    config = _gunicorn(_settings(monkeypatch))
    assert (config.workers, config.threads, config.worker_class_str, config.preload_app) == (
        2,
        8,
        "gthread",
        False,
    )


def test_the_environment_chooses_workers_threads_class_and_preload(monkeypatch):
    settings = _settings(
        monkeypatch,
        GUNICORN_WORKERS="4",
        GUNICORN_THREADS="1",
        GUNICORN_WORKER_CLASS="sync",
        GUNICORN_PRELOAD="1",
    )
    config = _gunicorn(settings)
    assert (config.workers, config.threads, config.worker_class_str, config.preload_app) == (
        4,
        1,
        "sync",
        True,
    )


def test_a_workers_database_pool_covers_its_threads(monkeypatch):
    threads = _gunicorn(_settings(monkeypatch)).threads
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none", "SECRET_KEY": "x"}
    )
    with app.app_context():
        pool = db.engine.pool  # made without connecting
        assert pool.size() + pool._max_overflow >= threads
        db.engine.dispose()


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2x4", (2, 4, "gthread", False)),
        ("4x1sync", (4, 1, "sync", False)),
        ("2x4preload", (2, 4, "gthread", True)),
    ],
)
def test_the_throughput_bench_reads_its_settings(text, expected):
    config = parse_config(text)
    assert (config["workers"], config["threads"], config["worker_class"], config["preload"]) == expected
