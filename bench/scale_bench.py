"""Timings at scale (issue 7), server side through the app (Flask test client, warm), on bench/gen_data.py's
database: medians and p95 of repeated requests per page and role, the same pages served by a stock
Flask-Admin ``ModelView`` over the same tables in the same run, and "all matching the filter" bulk approval.

Usage:  .venv/bin/python bench/scale_bench.py [--db gk_scale] [--repeat 20] [--no-bulk]
The bulk part approves applications (it changes the database: re-run gen_data.py to start again).
"""

import argparse
import gc
import json
import os
import re
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
PG = os.environ.get("BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
PASSWORD = "Passw0rd2021"


def filter_args(view, wanted: dict) -> dict:
    """URL arguments of a list's filters for {"table.column": value} (equality), the app's own way
    (SecureModelView.column_filters_for); also for the stock view, which lacks the method."""
    from views.base import SecureModelView

    return SecureModelView.filter_url_args(view, SecureModelView.column_filters_for(view, wanted))


def percentiles(samples):
    samples = sorted(samples)
    p95 = samples[min(len(samples) - 1, int(round(len(samples) * 0.95)) - 1)]
    return round(statistics.median(samples), 1), round(p95, 1)


def timed(client, url, args, repeat):
    """(median, p95) of the server-side time (the app's Server-Timing header, from before_request to
    after_request) and of the time seen by the test client, in ms, after two warm-up requests."""
    server, seen = [], []
    for _ in range(repeat + 2):
        start = time.perf_counter()
        response = client.get(url, query_string=args)
        seen.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, args, response.status_code)
        server.append(float(response.headers["Server-Timing"].split("dur=")[1]))
    return percentiles(server[2:]), percentiles(seen[2:])


def stock_view(app):
    """Stock Flask-Admin: a ModelView over the applications with our list's columns, filters and search,
    nothing else (no scope, no eager loading, Flask-Admin's COUNT, ILIKE search, no default order)."""
    from flask_admin import Admin
    from flask_admin.contrib.sqla import ModelView

    from admin_app.extensions import db
    from models import Application
    from views.application_area import ApplicationView

    class StockApplications(ModelView):
        column_list = ApplicationView.column_list
        column_labels = ApplicationView.column_labels
        column_filters = ApplicationView.column_filters
        column_searchable_list = ApplicationView.column_searchable_list
        can_view_details = True

    stock = Admin(app, name="stock", url="/stock", endpoint="stock")
    view = StockApplications(
        Application, db.session, endpoint="stock_applications", url="/stock/applications"
    )
    stock.add_view(view)
    return view


def bench_app(database: str):
    """The app on the bench database, and its views by endpoint."""
    from admin_app import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"{PG}/{database}",
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "LOGIN_RATE_LIMIT": "1000 per minute",
        }
    )
    return app, {v.endpoint: v for v in app.extensions["admin"][0]._views}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="gk_scale")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--no-bulk", action="store_true")
    args = parser.parse_args()
    import sqlalchemy as sa

    from admin_app.extensions import db
    from models import Application, Jurisdiction, Organisation, User, Worker

    app, views = bench_app(args.db)
    stock = stock_view(app)
    gc.freeze()  # as wsgi.py does after start-up
    wanted = {
        "jurisdiction.name": "渝中区",
        "application.status": "approved",
        "application.applied_grade": "3",
    }
    with app.test_request_context("/"):
        ours_flt = filter_args(views["applications"], wanted)
        stock_flt = filter_args(stock, wanted)
        yuzhong = db.session.scalar(sa.select(Jurisdiction.id).where(Jurisdiction.name == "渝中区"))
        unit = db.session.scalar(sa.select(User.organisation_id).where(User.username == "unit0000"))

        def sample(condition):
            row = db.session.execute(
                sa.select(Application.id, Worker.name, Worker.id_number)
                .join(Worker, Worker.id == Application.worker_id)
                .where(condition)
                .order_by(Application.id)
                .offset(777)
                .limit(1)
            ).one()
            return row

        samples = {
            "unit0000": sample(Application.unit_id == unit),
            "yuzhong_hr": sample(Application.jurisdiction_id == yuzhong),
            "office": sample(Application.id > 500_000),
        }
        assert db.session.get(Organisation, unit) is not None

    results = []

    def run(role, label, url, query, variant="ours"):
        (p50, p95), (c50, c95) = timed(client, url, query, args.repeat)
        results.append(
            {
                "variant": variant,
                "role": role,
                "page": label,
                "median_ms": p50,
                "p95_ms": p95,
                "client_median_ms": c50,
                "client_p95_ms": c95,
            }
        )
        print(json.dumps(results[-1], ensure_ascii=False), flush=True)

    for user in ("unit0000", "yuzhong_hr", "office"):
        client = app.test_client()
        assert client.post("/login", data={"username": user, "password": PASSWORD}).status_code == 302
        row = samples[user]
        deep = {"page": 400} if user == "office" else {"page": 15}

        def pages(base, flt, row=row, deep=deep):
            return {
                "page 1": (f"{base}/", {}),
                f"deep page ({deep['page']})": (f"{base}/", deep),
                "区县+状态+等级": (f"{base}/", flt),
                "name search": (f"{base}/", {"search": row.name}),
                "ID number lookup": (f"{base}/", {"search": row.id_number}),
                "details": (f"{base}/details/", {"id": row.id}),
            }

        for label, (url, query) in pages("/applications", ours_flt).items():
            run(user, label, url, query)
        if (
            user != "unit0000"
        ):  # 统计分析 of the latest batch with year on year (issue 8), in the user's scope
            run(user, "statistics", "/statistics/", {})
        if user == "office":
            for label, (url, query) in pages("/stock/applications", stock_flt).items():
                run(user, label, url, query, variant="stock")

    if not args.no_bulk:
        bulk(app, views, results)
    with open(os.path.join(HERE, "scale_results.json"), "w") as handle:
        json.dump(results, handle, ensure_ascii=False, indent=1)


def bulk(app, views, results):
    """市工考办 approves every application of a filter (batch year, status 待市工考办审核, grade: ~5,700
    rows) with "all matching the filter": ids, per-row scope/state checks, UPDATE, history and audit rows."""
    import sqlalchemy as sa

    from admin_app.extensions import db
    from models import Application, ExamBatch

    queue = views["review_queue"]
    client = app.test_client()
    client.post("/login", data={"username": "office", "password": PASSWORD})
    # Each run consumes what it approves: take, of the (batch year, grade) sets still waiting at the office
    # in batches that are not archived, the smallest, a middle and the largest (≈3,600 / 7,100 / 10,700).
    with app.app_context():
        waiting = db.session.execute(
            sa.select(ExamBatch.year, Application.applied_grade, sa.func.count())
            .join(ExamBatch, ExamBatch.id == Application.batch_id)
            .where(Application.status == "pending_office", ExamBatch.state != "archived")
            .group_by(ExamBatch.year, Application.applied_grade)
            .order_by(sa.func.count(), ExamBatch.year)
        ).all()
    if len(waiting) < 3:
        print("fewer than 3 sets left to approve: regenerate the data (bench/gen_data.py)")
        return
    chosen = [waiting[0], waiting[len(waiting) // 2], waiting[-1]]
    for year, grade, _count in chosen:
        grade = str(grade)
        with app.test_request_context("/"):
            flt = filter_args(queue, {"exam_batch.year": str(year), "application.applied_grade": grade})
        start = time.perf_counter()
        response = client.post(
            "/review_queue/decide/",
            query_string=flt,
            data={"op": "approve", "all_matching": "1", "opinion": "同意"},
        )
        seconds = time.perf_counter() - start
        assert response.status_code == 200, response.status_code
        html = response.get_data(as_text=True)
        done = int(re.search(r"成功 <strong[^>]*>(\d+)</strong>", html).group(1))
        assert done > 0, "nothing approved"
        with app.app_context():
            left = db.session.scalar(
                sa.select(sa.func.count())
                .select_from(Application)
                .where(Application.status == "pending_office")
            )
        results.append(
            {
                "variant": "ours",
                "role": "office",
                "page": f"bulk approve {year}/{grade}",
                "seconds": round(seconds, 3),
                "approved": done,
                "result_page_bytes": len(html),
                "pending_office_left": left,
            }
        )
        print(json.dumps(results[-1], ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
