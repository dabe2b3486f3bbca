"""List-page timings at scale (issue 7), server side through the app (test client), on bench/gen_data.py's
database: medians and p95 of repeated requests, per page and role.

Usage:  .venv/bin/python bench/scale_bench.py [--db gk_scale] [--repeat 20]
"""

import argparse
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
PG = os.environ.get("BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")


def filter_args(view, wanted: dict) -> dict:
    """URL arguments of Flask-Admin filters by (column label, operation text) → value."""
    args = {}
    position = 0
    for index, flt in enumerate(view._filters):
        key = (str(flt.name), str(flt.operation()))
        if key in wanted:
            args[f"flt{position}_{view.get_filter_arg(index, flt)}"] = wanted[key]
            position += 1
    return args


def timed(client, url, args, repeat):
    samples = []
    for _ in range(repeat + 2):
        start = time.perf_counter()
        response = client.get(url, query_string=args)
        samples.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, args, response.status_code)
    samples = sorted(samples[2:])  # the first two warm caches
    return round(statistics.median(samples) * 1000, 1), round(samples[int(len(samples) * 0.95) - 1] * 1000, 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="gk_scale")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    from admin_app import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"{PG}/{args.db}",
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "LOGIN_RATE_LIMIT": "1000 per minute",
        }
    )
    views = {v.endpoint: v for v in app.extensions["admin"][0]._views}
    apps = views["applications"]
    with app.app_context():
        import sqlalchemy as sa

        from admin_app.extensions import db
        from models import Application, Worker

        sample = db.session.execute(sa.select(Worker.name, Worker.id_number).where(Worker.id == 123456)).one()
        app_id = db.session.scalar(sa.select(Application.id).where(Application.worker_id == 123456).limit(1))
    flt = filter_args(
        apps, {("所在区县", "等于"): "渝中区", ("申报状态", "等于"): "approved", ("申报等级", "等于"): "3"}
    )
    results = []
    for user in ("unit0000", "yuzhong_hr", "office"):
        client = app.test_client()
        client.post("/login", data={"username": user, "password": "Passw0rd2021"})
        pages = {
            "page 1": ("/applications/", {}),
            "deep page (500)": ("/applications/", {"page": 500} if user == "office" else {"page": 20}),
            "区县+状态+等级": ("/applications/", flt),
            "name search": ("/applications/", {"search": sample.name}),
            "ID number lookup": ("/applications/", {"search": sample.id_number}),
        }
        if user == "office":
            pages["details"] = (f"/applications/details/?id={app_id}", {})
        for label, (url, query) in pages.items():
            p50, p95 = timed(client, url, query, args.repeat)
            results.append({"role": user, "page": label, "median_ms": p50, "p95_ms": p95})
            print(json.dumps(results[-1], ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
