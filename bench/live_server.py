"""The benchmarks' real server and HTTP client: gunicorn (``gunicorn.conf.py``) on a bench database, a
bounded wait until it answers, and a logged-in client that sends CSRF tokens like a browser.

Everything here is bounded: the start-up wait has a deadline, every request has a timeout, and a request
that times out raises ``requests.Timeout`` for the caller to count (the bench loops count it as an error
and go on; nothing waits forever on a slow, shared machine).
"""

import os
import re
import signal
import subprocess
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PG = os.environ.get("BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
PASSWORD = "Passw0rd2021"
# A first request on a cold worker (imports, templates, the first database connection) took over a second
# on a loaded 2-core machine; a bulk decision over thousands of rows takes seconds. Generous, but bounded.
REQUEST_TIMEOUT = float(os.environ.get("BENCH_REQUEST_TIMEOUT", "120"))
START_TIMEOUT = float(os.environ.get("BENCH_START_TIMEOUT", "120"))
CSRF = (
    re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"'),
    re.compile(r'value="([^"]+)" name="csrf_token"'),
)


def load_average() -> str:
    """The 1/5/15-minute load averages, as `uptime` prints them: every figure is reported with them."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


class Gunicorn:
    """gunicorn serving ``app`` (the production ``wsgi:app`` unless a bench names its own, e.g. an app factory
    ``"bench.scale_bench:stock_wsgi_app()"``) on ``database`` at 127.0.0.1:``port``; a context manager that
    stops it."""

    def __init__(
        self, database: str, port: int, workers: int = 2, threads: int = 4, app: str = "wsgi:app", **env
    ):
        self.base = f"http://127.0.0.1:{port}"
        self.app = app
        self.env = dict(
            os.environ,
            DATABASE_URL=f"{PG}/{database}",
            SECRET_KEY=env.pop("SECRET_KEY", "bench-" + database),
            GUNICORN_BIND=f"127.0.0.1:{port}",
            GUNICORN_WORKERS=str(workers),
            GUNICORN_THREADS=str(threads),
            GUNICORN_ACCESSLOG="/dev/null",
            LOGIN_RATE_LIMIT="100000 per minute",
            UPLOAD_DIR="/tmp/gk-bench-uploads",
            **env,
        )
        self.process = None

    def __enter__(self):
        self.process = subprocess.Popen(
            [os.path.join(ROOT, ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py", self.app],
            cwd=ROOT,
            env=self.env,
        )
        try:
            self.started_in = wait_until_ready(self.base, self.process)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]


def wait_until_ready(
    base: str, process=None, deadline: float = START_TIMEOUT, first_timeout: float = 5.0
) -> float:
    """Seconds until ``GET /login`` answered 200. Connection refusals and timeouts (a cold worker on a busy
    machine) are retried, each wait twice the last (from ``first_timeout``, at most 60 s), until ``deadline``
    seconds have passed — no attempt runs past it; then, or as soon as the server process exits,
    RuntimeError."""
    started = time.monotonic()
    timeout, last = first_timeout, None
    while (left := deadline - (time.monotonic() - started)) > 0:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode} before answering")
        try:
            response = requests.get(base + "/login", timeout=min(timeout, left))
            if response.status_code == 200:
                return time.monotonic() - started
            last = f"HTTP {response.status_code}"
        except requests.RequestException as exc:
            last = type(exc).__name__
            timeout = min(timeout * 2, 60.0)
        time.sleep(min(0.5, max(0.0, deadline - (time.monotonic() - started))))
    raise RuntimeError(f"server at {base} did not answer within {deadline:.0f} s (last: {last})")


class Client:
    """A logged-in user. Every request has ``timeout`` seconds; a login that times out or is answered by a
    busy server is retried within ``login_deadline`` seconds, then RuntimeError."""

    def __init__(self, base, username, timeout=REQUEST_TIMEOUT, login_deadline=START_TIMEOUT):
        self.base, self.username, self.timeout = base, username, timeout
        self.session = requests.Session()
        started, last = time.monotonic(), None
        while time.monotonic() - started < login_deadline:
            try:
                token = self.token("/login")[0]
                response = self.session.post(
                    f"{base}/login",
                    data={"username": username, "password": PASSWORD, "csrf_token": token},
                    allow_redirects=False,
                    timeout=timeout,
                )
                if response.status_code == 302:
                    return
                last = f"HTTP {response.status_code}"
            except (requests.RequestException, LookupError) as exc:
                last = type(exc).__name__
            time.sleep(1)
        raise RuntimeError(f"{username} could not log in within {login_deadline:.0f} s (last: {last})")

    def get(self, path, **kw):
        return self.session.get(self.base + path, timeout=self.timeout, **kw)

    def post(self, path, **kw):
        return self.session.post(self.base + path, timeout=self.timeout, **kw)

    def token(self, path, **kw):
        """(CSRF token, page HTML) of the page at ``path``; LookupError if the page has no token."""
        html = self.get(path, **kw).text
        for pattern in CSRF:
            if match := pattern.search(html):
                return match.group(1), html
        raise LookupError(f"no csrf_token on {path}")
