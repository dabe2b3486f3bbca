"""Where the time of one "all matching the filter" approval goes: every SQL statement with its duration,
and what is left for Python. Consumes the rows it approves (pick another year/grade for the next run).

Usage:  .venv/bin/python bench/bulk_profile.py --year 2023 --grade 4 [--db gk_scale] [--rows 5000] [--python]
``--rows N``: the first N rows of the set by 提交时间 (as scale_bench's bulk part); ``--python``: also the
functions where the Python time goes (cProfile, top 25 by own time).
"""

import argparse
import os
import sys
import time
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from scale_bench import PASSWORD, bench_app, filter_args  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="gk_scale")
    parser.add_argument("--year", type=int, required=True)
    parser.add_argument("--grade", default="4")
    parser.add_argument("--rows", type=int)
    parser.add_argument("--python", action="store_true")
    args = parser.parse_args()
    import sqlalchemy as sa

    from admin_app.extensions import db

    app, views = bench_app(args.db)
    client = app.test_client()
    client.post("/login", data={"username": "office", "password": PASSWORD})
    queue = views["review_queue"]
    with app.test_request_context("/"):
        flt = filter_args(queue, {"exam_batch.year": str(args.year), "application.applied_grade": args.grade})
    if args.rows:
        from scale_bench import submitted_before

        with app.test_request_context("/"):
            flt.update(submitted_before(queue, args.year, args.grade, args.rows))
    timings = defaultdict(lambda: [0, 0.0])
    started = {}
    with app.app_context():
        engine = db.engine

    @sa.event.listens_for(engine, "before_cursor_execute")
    def before(conn, cursor, statement, parameters, context, executemany):
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
    start = time.perf_counter()
    response = client.post(
        "/review_queue/decide/",
        query_string=flt,
        data={"op": "approve", "all_matching": "1", "opinion": "同意"},
    )
    total = time.perf_counter() - start
    if profiler:
        import pstats

        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    import re

    done = re.search(r"成功 <strong[^>]*>(\d+)</strong>", response.get_data(as_text=True))
    print(f"approved {done.group(1) if done else '?'} rows in {total:.3f} s")
    sql = 0.0
    for key, (count, seconds) in sorted(timings.items(), key=lambda kv: -kv[1][1]):
        sql += seconds
        if seconds > 0.005:
            print(f"{seconds * 1000:8.1f} ms  ×{count:<4} {key}")
    print(f"SQL {sql:.3f} s, the rest (Python, rendering) {total - sql:.3f} s")


if __name__ == "__main__":
    main()
