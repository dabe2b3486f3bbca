"""Where the time of one "all matching the filter" approval goes, and how long it takes through HTTP.

The 市工考办 approves, in the 待我审核 queue filtered by 批次, 等级 and 提交时间, the first ``--rows``
applications of a (year, grade) set waiting at the office. Consumes the rows it approves: run it on a fresh
copy of the generated database (``CREATE DATABASE … TEMPLATE``), and pick another set for the next run.

In process (default): every SQL statement with its duration, and what is left for Python and the page.
  ``--python [tottime|cumulative]``: also where the Python time goes (cProfile, top 30);
  ``--explain``: ``EXPLAIN (ANALYZE, BUFFERS, WAL)`` of every statement on the applications (row check, UPDATE,
  INSERT … SELECT), with the foreign-key trigger times (PostgreSQL; each then runs twice).
Through HTTP (``--http``): gunicorn (gunicorn.conf.py) on the database; each worker first draws a result page
(an id that does not exist: refused, nothing changed), then one approval per set of ``--sets``: the
confirmation page, then the POST, timed from sending it to having read the result page (and the app's
Server-Timing). One JSON line per approval, with the load average.

Usage:  .venv/bin/python bench/bulk_profile.py --db gk_copy --year 2023 --grade 1 [--rows 5000]
            [--python [cumulative]] [--explain]
        .venv/bin/python bench/bulk_profile.py --db gk_copy --http --sets 2023/1 2023/2 [--rows 5000]
"""

import argparse
import json
import os
import re
import sys
import time
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from bench.live_server import PASSWORD, PG, Client, Gunicorn, load_average  # noqa: E402

DONE = re.compile(r"成功 <strong[^>]*>(\d+)</strong>")
PIN = re.compile(
    r'name="pin" value="([^"]+)"'
)  # the rows the confirmation page pinned (views/bulk_pinned.py)
IN_REQUEST = "20000"  # BULK_JOB_ROWS for this bench: the decision is measured in the request, not as a job


def bench_app(database: str):
    from admin_app import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"{PG}/{database}",
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "LOGIN_RATE_LIMIT": "100000 per minute",
            "BULK_JOB_ROWS": int(IN_REQUEST),
        }
    )


def queue_view(app):
    return next(view for view in app.extensions["admin"][0]._views if view.endpoint == "review_queue")


def set_filter(app, year, grade, rows: int | None) -> dict:
    """URL arguments of the queue for (batch of ``year``, ``grade``) and, with ``rows``, 提交时间 before the
    (``rows`` + 1)th application of the set waiting at the office (rows of one minute share a time, so a
    few fewer may match)."""
    import sqlalchemy as sa

    from admin_app.extensions import db
    from admin_app.workflow.states import ApplicationState
    from models import Application, ExamBatch

    queue = queue_view(app)
    with app.test_request_context("/"):
        batch = db.session.scalar(sa.select(ExamBatch.id).where(ExamBatch.year == int(year)))
        filters = queue.column_filters_for(
            {"application.batch_id": batch, "application.applied_grade": grade}
        )
        if rows:
            limit = db.session.scalar(
                sa.select(Application.submitted_at)
                .where(
                    Application.status == ApplicationState.PENDING_OFFICE,
                    Application.batch_id == batch,
                    Application.applied_grade == int(grade),
                )
                .order_by(Application.submitted_at)
                .offset(rows)
                .limit(1)
            )
            index = next(
                i
                for i, f in enumerate(queue._filters)
                if type(f).__name__ == "DateTimeSmallerFilter" and f.column.key == "submitted_at"
            )
            filters.append((index, "", limit.strftime("%Y-%m-%d %H:%M:%S")))
        return queue.filter_url_args(filters)


def in_process(args):
    import sqlalchemy as sa

    from admin_app.extensions import db

    app = bench_app(args.db)
    client = app.test_client()
    client.post("/login", data={"username": "office", "password": PASSWORD})
    flt = set_filter(app, args.year, args.grade, args.rows)
    # The result page drawn once before (an id that does not exist: refused, nothing changed), so that the
    # timing does not include compiling its template, as in a server's warm worker.
    client.post("/review_queue/decide/", data={"op": "approve", "rowid": "2000000000", "opinion": "同意"})
    timings = defaultdict(lambda: [0, 0.0])
    started, plans = {}, []
    with app.app_context():
        engine = db.engine

    @sa.event.listens_for(engine, "before_cursor_execute")
    def before(conn, cursor, statement, parameters, context, executemany):
        if args.explain and not executemany and explainable(statement):
            plans.append(explained(cursor, statement, parameters))
        started[id(cursor)] = time.perf_counter()

    @sa.event.listens_for(engine, "after_cursor_execute")
    def after(conn, cursor, statement, parameters, context, executemany):
        key = " ".join(statement.split())[:90]
        timings[key][0] += 1
        timings[key][1] += time.perf_counter() - started.pop(id(cursor))

    profiler = None
    if args.python:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    confirm = client.get("/review_queue/bulk/", query_string={**flt, "op": "approve"}).get_data(as_text=True)
    pin = PIN.search(confirm).group(1)
    print(json.dumps({"load_average": load_average()}))
    start = time.perf_counter()
    response = client.post("/review_queue/decide/", data={"op": "approve", "pin": pin, "opinion": "同意"})
    total = time.perf_counter() - start
    if profiler:
        import pstats

        profiler.disable()
        pstats.Stats(profiler).sort_stats(args.python).print_stats(30)
    done = DONE.search(response.get_data(as_text=True))
    server = response.headers["Server-Timing"].split("dur=")[1]
    print(f"approved {done.group(1) if done else '?'} rows in {total:.3f} s (Server-Timing {server} ms)")
    sql = 0.0
    for key, (count, seconds) in sorted(timings.items(), key=lambda kv: -kv[1][1]):
        sql += seconds
        if seconds > 0.005:
            print(f"{seconds * 1000:8.1f} ms  ×{count:<4} {key}")
    print(f"SQL {sql:.3f} s, the rest (Python, rendering) {total - sql:.3f} s")
    for plan in plans:
        print("\n" + plan)


def explainable(statement: str) -> bool:
    """The statements of the approval itself: reads and writes of applications and their new rows."""
    words = statement.split()
    return (
        words[0] in ("UPDATE", "INSERT", "SELECT") and "application" in statement and "pg_" not in statement
    )


def explained(cursor, statement, parameters) -> str:
    """EXPLAIN (ANALYZE, BUFFERS, WAL) of a statement, run first inside a savepoint that is rolled back, so
    that the statement itself then runs as usual (on a table holding the rolled-back row versions: its own
    timing is then not comparable; the plan's is)."""
    cursor.execute("SAVEPOINT bulk_profile_explain")
    try:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, WAL) " + statement, parameters)
        lines = [row[0] for row in cursor.fetchall()]
    finally:
        cursor.execute("ROLLBACK TO SAVEPOINT bulk_profile_explain")
    arrays = re.compile(r"'\{[0-9,]{60,}\}'")  # the 5,000 ids of an ANY(…), shortened
    return "\n".join([" ".join(statement.split())[:300], *(arrays.sub("'{…}'", line) for line in lines)])


def over_http(args):
    import secrets

    app = bench_app(args.db)
    sets = [(year, grade, set_filter(app, year, grade, args.rows)) for year, grade in args.sets]
    with Gunicorn(args.db, 8700 + secrets.randbelow(90), BULK_JOB_ROWS=IN_REQUEST) as server:
        client = Client(server.base, "office")
        token, _page = client.token("/review_queue/")
        for _ in range(6):  # both workers have drawn the queue and a result page
            client.get("/review_queue/")
            warm = client.post(
                "/review_queue/decide/",
                data={"op": "approve", "rowid": "2000000000", "opinion": "同意", "csrf_token": token},
            )
            assert warm.status_code == 200 and "成功" in warm.text, warm.status_code
        for year, grade, flt in sets:
            token, confirm = client.token("/review_queue/bulk/", params={"op": "approve", **flt})
            matching = re.search(r"全部 (\d+) 条", confirm)
            load = load_average()
            start = time.perf_counter()
            pin = PIN.search(confirm).group(1)
            response = client.post(
                "/review_queue/decide/",
                data={"op": "approve", "pin": pin, "opinion": "同意", "csrf_token": token},
            )
            seconds = time.perf_counter() - start
            assert response.status_code == 200, response.status_code
            print(
                json.dumps(
                    {
                        "set": f"{year}/{grade}",
                        "matching": int(matching.group(1)) if matching else None,
                        "approved": int(DONE.search(response.text).group(1)),
                        "seconds": round(seconds, 3),
                        "server_seconds": round(
                            float(response.headers["Server-Timing"].split("dur=")[1]) / 1000, 3
                        ),
                        "load_average": load,
                    },
                    ensure_ascii=False,
                ),
                flush=True,
            )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--year", type=int)
    parser.add_argument("--grade", default="4")
    parser.add_argument("--rows", type=int)
    parser.add_argument("--python", nargs="?", const="tottime", choices=("tottime", "cumulative"))
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--http", action="store_true")
    parser.add_argument("--sets", nargs="*", default=(), type=lambda s: tuple(s.split("/")))
    args = parser.parse_args()
    if args.http:
        over_http(args)
    else:
        in_process(args)


if __name__ == "__main__":
    main()
