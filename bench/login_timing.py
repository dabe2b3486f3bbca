"""Login timing by outcome (issue 13 §5): an unknown name, a wrong password and a locked login must cost the
same, so that the answer's time does not tell whether an account exists.

Each attempt is a POST /login through the Flask test client (the whole request: form, rate limit, user
lookup, lock check, one scrypt check, the counted failure and its commit, the rendered page). The three kinds
are interleaved round-robin so that a change of machine load affects them alike. Wrong passwords and
unknown names come from a fresh client address each time (so they stay "wrong", not "locked"); the locked
login is a real account locked from its address, tried with the right password.

Usage:  .venv/bin/python bench/login_timing.py [--rounds 40] [--database-url postgresql+psycopg://…]
(default: a temporary SQLite file; the database is migrated from empty, so give an empty one).
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
PASSWORD = "Bench2026pass"


def make_app(database_url: str):
    from flask_migrate import upgrade

    from admin_app import create_app
    from admin_app.extensions import db

    tmp = tempfile.mkdtemp(prefix="gk-login-bench-")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url or f"sqlite:///{tmp}/bench.db",
            "UPLOAD_DIR": os.path.join(tmp, "uploads"),
            "WTF_CSRF_ENABLED": False,
            "LOGIN_RATE_LIMIT": "1000000 per minute",  # the limiter's cost is the same for every kind
        }
    )
    with app.app_context():
        upgrade()
        from models import Organisation, User, enums

        office = Organisation(name="市工考办", kind=enums.OFFICE)
        for name in ("bench_user", "bench_locked"):
            user = User(username=name, organisation=office, full_name=name)
            user.set_password(PASSWORD)  # a real scrypt hash, as in production
            db.session.add(user)
        db.session.commit()
    return app


def lock(client) -> None:
    for _ in range(5):
        client.post(
            "/login",
            data={"username": "bench_locked", "password": "wrong-pass1"},
            environ_base={"REMOTE_ADDR": "10.99.0.1"},
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""))
    args = parser.parse_args()
    app = make_app(args.database_url)
    client = app.test_client()
    lock(client)
    kinds = {
        "unknown user": lambda i: (f"nobody{i}", "wrong-pass1", f"10.98.{i // 250}.{i % 250 + 1}"),
        "wrong password": lambda i: ("bench_user", "wrong-pass1", f"10.97.{i // 250}.{i % 250 + 1}"),
        "locked (right password)": lambda i: ("bench_locked", PASSWORD, "10.99.0.1"),
    }
    times: dict[str, list[float]] = {kind: [] for kind in kinds}
    expected = "用户名或密码错误"
    for i in range(args.rounds + 3):
        for kind, make in kinds.items():
            username, password, address = make(i)
            started = time.perf_counter()
            response = client.post(
                "/login",
                data={"username": username, "password": password},
                environ_base={"REMOTE_ADDR": address},
            )
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200 and expected in response.get_data(as_text=True), kind
            if i >= 3:  # the first rounds warm the caches (templates, the dummy hash)
                times[kind].append(elapsed)
    with open("/proc/loadavg") as handle:
        load = " ".join(handle.read().split()[:3])
    dialect = "PostgreSQL" if args.database_url.startswith("postgresql") else "SQLite"
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}  {dialect}  load average {load}")
    print(f"{'outcome':26} {'n':>4} {'median ms':>10} {'p95 ms':>8} {'min ms':>8} {'max ms':>8}")
    for kind, values in times.items():
        values.sort()
        p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
        print(
            f"{kind:26} {len(values):4d} {statistics.median(values):10.1f} {p95:8.1f}"
            f" {values[0]:8.1f} {values[-1]:8.1f}"
        )


if __name__ == "__main__":
    main()
