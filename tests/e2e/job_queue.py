"""Background jobs of the browser tests' server: a queue of the test's own on the tests' Redis, run by a real worker
process (``flask worker --burst``), and the file of a finished job downloaded from the 下载中心 by the browser."""

import contextlib
import os
import pathlib

from tests.processes import run_burst_worker

JOB_SETTINGS = ("JOB_QUEUE", "JOBS_REDIS_URL")


@contextlib.contextmanager
def own_queue(app, name: str, **config):
    """The server's jobs go to queue ``name`` (with ``config``: thresholds lowered for the test); afterwards the
    server's settings are as before and the queue's keys are gone."""
    from admin_app.services import jobs

    kept = {key: app.config.get(key) for key in (*JOB_SETTINGS, *config)}
    app.config.update(
        JOB_QUEUE=f"gk-e2e-{name}-{os.getpid()}",
        JOBS_REDIS_URL=os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14"),
        **config,
    )
    app.extensions.pop("gk_jobs_redis", None)
    try:
        yield
    finally:
        with app.app_context():
            connection = jobs.redis_connection()
            for key in connection.scan_iter(f"*{app.config['JOB_QUEUE']}*"):
                connection.delete(key)
        app.config.update(kept)
        app.extensions.pop("gk_jobs_redis", None)


def run_worker(app) -> None:
    """Every queued job of the server's queue, run to its end by a worker process."""
    worker = run_burst_worker(app)
    assert worker.returncode == 0, worker.stderr[-2000:]


def download_newest(page) -> tuple[str, bytes]:
    """On the 下载中心 page: wait for the newest job's 下载 button (the page reloads itself when the job ends),
    click it; (the file's name, its bytes)."""
    newest = page.locator("table.model-list tbody tr").first
    newest.locator(".gk-job-download").wait_for(timeout=30000)
    with page.expect_download() as info:
        newest.locator(".gk-job-download").click()
    download = info.value
    return download.suggested_filename, pathlib.Path(download.path()).read_bytes()
