"""Throughput (issue 16 §6) through gunicorn on bench/gen_data.py's database: requests per second of the
office's 考试资格申请 list, page 1 (``/applications/``), with 1, 4 and 16 concurrent connections, and a
stampede of 50 logins of 50 different accounts at once, for several gunicorn settings (workers × threads,
gthread or sync, ``--preload``), each run ``--rounds`` times, the settings interleaved within a round.

Every connection is a closed loop (send, read the whole page, send again) with its own logged-in session; a
level runs ``--warmup`` seconds (discarded) then ``--seconds`` seconds (counted). Latency is measured at the
client (request sent → page read); "server" is the app's Server-Timing (before_request → after_request).
Errors are answers other than 200 and requests that failed or timed out. Memory per worker: RSS and PSS
(proportional share of pages shared with the master and the other workers) after the run.

The login stampede: 50 clients fetch the login page (CSRF token) first, then all POST /login at once; each
answer is timed, and "all in" is the time from the start until the last answer. The accounts
(``clerk_nNN_XX`` of the 市工考办, password ``Passw0rd2021``) are created in the bench database on first use
with scrypt's N = 2**NN (r = 8, p = 1); ``--login-costs 14,15,16`` compares cheaper and dearer hashes than the
production one (werkzeug's default, 2**15) on the first setting.

Usage:  .venv/bin/python bench/throughput.py --db gk_h [--configs 2x8,2x4,1x8,3x2,4x1,4x1sync,2x4preload]
        [--rounds 2] [--seconds 15] [--warmup 3] [--levels 1,4,16] [--logins 50] [--login-costs 15]
Prints Markdown tables. It adds accounts and sessions to the database, nothing else.
"""

import argparse
import json
import os
import statistics
import sys
import threading
import time

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from bench.live_server import (  # noqa: E402
    CSRF,
    PASSWORD,
    PG,
    REQUEST_TIMEOUT,
    Client,
    Gunicorn,
    load_average,
)

PAGE = "/applications/"
PRODUCTION_COST = 15  # werkzeug's scrypt default, N = 2**15 (models/org.py: User.set_password)


def parse_config(text: str) -> dict:
    """``2x4`` → 2 workers × 4 threads, gthread; a ``sync`` suffix: sync workers; ``preload``: --preload."""
    name = text.strip()
    body = name.replace("preload", "").replace("sync", "")
    workers, threads = (int(x) for x in body.split("x"))
    return {
        "name": name,
        "workers": workers,
        "threads": threads,
        "worker_class": "sync" if "sync" in name else "gthread",
        "preload": "preload" in name,
    }


def percentile(samples, q):
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, int(round(len(ordered) * q)) - 1))]


def memory_mb(pid: int) -> tuple[float, float]:
    """(RSS, PSS) of a process in MB, from /proc."""
    with open(f"/proc/{pid}/smaps_rollup") as rollup:
        fields = dict(line.split(":", 1) for line in rollup if line.rstrip().endswith(" kB"))
    return tuple(round(int(fields[key].split()[0]) / 1024, 1) for key in ("Rss", "Pss"))


def ensure_clerks(database: str, costs, count: int) -> None:
    """``count`` accounts of the 市工考办 per scrypt cost, named ``clerk_n{cost}_{i:02d}``; existing ones are
    kept (their hash was made with the same cost)."""
    import sqlalchemy as sa
    from werkzeug.security import generate_password_hash

    from admin_app import create_app
    from admin_app.extensions import db
    from models import User

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"{PG}/{database}", "SECRET_KEY": "bench-setup"})
    with app.app_context():
        office = db.session.scalar(sa.select(User).where(User.username == "office"))
        existing = set(db.session.scalars(sa.select(User.username).where(User.username.like("clerk_n%"))))
        for cost in costs:
            method = f"scrypt:{2**cost}:8:1"
            for i in range(count):
                name = f"clerk_n{cost}_{i:02d}"
                if name not in existing:
                    hashed = generate_password_hash(PASSWORD, method=method)
                    db.session.add(
                        User(
                            username=name,
                            organisation_id=office.organisation_id,
                            password_hash=hashed,
                            must_change_password=False,
                        )
                    )
        db.session.commit()
        db.engine.dispose()


def run_level(clients, seconds: float, warmup: float) -> dict:
    """Each client in its own thread, a closed loop over PAGE for ``warmup`` + ``seconds`` seconds; the
    requests that started after the warm-up and ended before the deadline are counted."""
    start = time.monotonic()
    counted_from, deadline = start + warmup, start + warmup + seconds
    latencies, server, errors = [], [], []
    lock = threading.Lock()

    def loop(client):
        while (sent := time.monotonic()) < deadline:
            try:
                response = client.get(PAGE)
                ok = response.status_code == 200 and "考试资格申请" in response.text
                failure = None if ok else f"HTTP {response.status_code}"
            except requests.RequestException as exc:
                response, failure = None, type(exc).__name__
            done = time.monotonic()
            if sent < counted_from or done > deadline:
                continue
            with lock:
                if failure:
                    errors.append(failure)
                else:
                    latencies.append((done - sent) * 1000)
                    server.append(float(response.headers["Server-Timing"].split("dur=")[1]))

    cpu = time.process_time()
    threads = [threading.Thread(target=loop, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "rps": len(latencies) / seconds if seconds else 0.0,
        "median": statistics.median(latencies) if latencies else float("nan"),
        "p95": percentile(latencies, 0.95),
        "server_p95": percentile(server, 0.95),
        "errors": len(errors),
        "client_cpu": (time.process_time() - cpu) / (warmup + seconds),
    }


def login_stampede(base: str, cost: int, count: int) -> dict:
    """``count`` different accounts POST /login at the same moment; per-answer latency and the time until
    the last one is in (302 to the home page). Failures are counted, not retried."""
    sessions, tokens = [], []
    for _ in range(count):
        session = requests.Session()
        html = session.get(base + "/login", timeout=REQUEST_TIMEOUT).text
        token = next(m.group(1) for p in CSRF if (m := p.search(html)))
        sessions.append(session)
        tokens.append(token)
    barrier = threading.Barrier(count + 1)
    latencies, failures = [None] * count, []

    def login(i):
        barrier.wait()
        sent = time.monotonic()
        try:
            response = sessions[i].post(
                base + "/login",
                data={"username": f"clerk_n{cost}_{i:02d}", "password": PASSWORD, "csrf_token": tokens[i]},
                allow_redirects=False,
                timeout=REQUEST_TIMEOUT,
            )
            if response.status_code != 302 or "/login" in response.headers.get("Location", "/login"):
                failures.append(f"HTTP {response.status_code}")
        except requests.RequestException as exc:
            failures.append(type(exc).__name__)
        latencies[i] = (time.monotonic() - sent) * 1000

    threads = [threading.Thread(target=login, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.monotonic()
    for thread in threads:
        thread.join()
    all_in = time.monotonic() - started
    for session in sessions:
        session.close()
    return {
        "median": statistics.median(latencies),
        "p95": percentile(latencies, 0.95),
        "all_in": all_in,
        "errors": len(failures),
    }


def run_config(database: str, port: int, config: dict, args) -> dict:
    """One gunicorn setting: start it, log the connections in, measure each level, the memory and a login
    stampede at production cost; stop it."""
    env = {
        "GUNICORN_WORKER_CLASS": config["worker_class"],
        "GUNICORN_PRELOAD": "1" if config["preload"] else "0",
    }
    result = {"config": config["name"], "load_before": load_average()}
    with Gunicorn(database, port, workers=config["workers"], threads=config["threads"], **env) as server:
        clients = [Client(server.base, "office") for _ in range(max(args.levels))]
        run_level(clients, 0.0, args.warmup)  # every worker and thread has served once
        result["levels"] = {c: run_level(clients[:c], args.seconds, args.warmup) for c in args.levels}
        memory = [memory_mb(pid) for pid in server.worker_pids()]
        result["rss"] = statistics.mean(m[0] for m in memory)
        result["pss"] = statistics.mean(m[1] for m in memory)
        result["master_rss"], _ = memory_mb(server.process.pid)
        result["logins"] = login_stampede(server.base, PRODUCTION_COST, args.logins)
        for client in clients:
            client.session.close()
    result["load_after"] = load_average()
    return result


def login_costs(database: str, port: int, config: dict, costs, count: int) -> list[dict]:
    """The login stampede for each scrypt cost, on one setting (one server, the costs interleaved)."""
    env = {
        "GUNICORN_WORKER_CLASS": config["worker_class"],
        "GUNICORN_PRELOAD": "1" if config["preload"] else "0",
    }
    rows = []
    with Gunicorn(database, port, workers=config["workers"], threads=config["threads"], **env) as server:
        Client(server.base, "office").session.close()  # warm: the first login loads the hashing code
        for cost in costs:
            before = load_average()
            rows.append({"cost": cost, "load": before, **login_stampede(server.base, cost, count)})
    return rows


def fmt(x: float, digits: int = 1) -> str:
    return f"{x:,.{digits}f}"


def print_tables(results, cost_rows, args) -> None:
    levels = args.levels
    print(f"\n### {PAGE} page 1 as office: {args.seconds:g} s per level after {args.warmup:g} s warm-up\n")
    head = " | ".join(f"{c} conn: rps, median / p95 ms (server p95)" for c in levels)
    print(
        f"| setting | round | load before → after | {head} | errors | RSS / PSS per worker MB | "
        f"50 logins: p95 ms, all in s |"
    )
    print("|---" * (6 + len(levels)) + "|")
    for r in results:
        cells = " | ".join(
            f"**{fmt(lv['rps'])}**, {fmt(lv['median'])} / {fmt(lv['p95'])} ({fmt(lv['server_p95'])})"
            for lv in (r["levels"][c] for c in levels)
        )
        errors = sum(lv["errors"] for lv in r["levels"].values()) + r["logins"]["errors"]
        print(
            f"| {r['config']} | {r['round']} | {r['load_before']} → {r['load_after']} | {cells} | {errors} | "
            f"{fmt(r['rss'])} / {fmt(r['pss'])} | {fmt(r['logins']['p95'], 0)}, {fmt(r['logins']['all_in'], 2)} |"
        )
    cpu = max(lv["client_cpu"] for r in results for lv in r["levels"].values())
    print(f"\n(the client itself used up to {cpu:.2f} CPU cores of the machine's 2)")
    if cost_rows:
        print(f"\n### {args.logins} logins at once by scrypt cost (setting {args.configs[0]['name']})\n")
        print("| scrypt N | memory per hash | load before | median ms | p95 ms | all in s | errors |")
        print("|---|---|---|---|---|---|---|")
        for row in cost_rows:
            print(
                f"| 2^{row['cost']} | {128 * 2 ** row['cost'] * 8 // 2**20} MiB | {row['load']} | "
                f"{fmt(row['median'], 0)} | {fmt(row['p95'], 0)} | {fmt(row['all_in'], 2)} | {row['errors']} |"
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="gk_scale")
    parser.add_argument("--port", type=int, default=8761)
    parser.add_argument("--configs", default="2x8,2x4,1x8,3x2,4x1,4x1sync,2x4preload")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--levels", default="1,4,16")
    parser.add_argument("--logins", type=int, default=50)
    parser.add_argument("--login-costs", default=str(PRODUCTION_COST))
    args = parser.parse_args()
    args.configs = [parse_config(c) for c in args.configs.split(",")]
    args.levels = [int(c) for c in args.levels.split(",")]
    costs = sorted({int(c) for c in args.login_costs.split(",")} | {PRODUCTION_COST})
    ensure_clerks(args.db, costs, args.logins)

    results = []
    for round_no in range(1, args.rounds + 1):
        for config in args.configs:
            result = run_config(args.db, args.port, config, args)
            result["round"] = round_no
            results.append(result)
            print(f"# {config['name']} round {round_no}: {json.dumps(result)}", file=sys.stderr)
    cost_rows = []
    if costs != [PRODUCTION_COST]:
        for _ in range(args.rounds):
            cost_rows += login_costs(args.db, args.port, args.configs[0], costs, args.logins)
    print_tables(results, cost_rows, args)


if __name__ == "__main__":
    main()
