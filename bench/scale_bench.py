"""Timings at scale (issue 7) on bench/gen_data.py's database.

In process (Flask test client, warm): medians and p95 of repeated requests per list page and role, the same
pages served by a stock Flask-Admin ``ModelView`` over the same tables, and 统计分析 (Server-Timing).
Through HTTP (gunicorn with gunicorn.conf.py, real CSRF): 统计分析 timed end to end at the client, and
"all matching the filter" bulk approvals of ~5,000 rows, from sending the POST to having read the result page.
The load average is recorded before and after each part (the machine may be shared).

Usage:  .venv/bin/python bench/scale_bench.py [--db gk_scale] [--repeat 30] [--no-bulk | --only bulk]
        [--bulk-sets 3] [--bulk-rows 5000]
``--only bulk`` runs the bulk approvals alone (gunicorn, no list or statistics timings); ``--only lists`` the
in-process part alone. The bulk part approves applications (it changes the database: re-run gen_data.py, or
copy the database from a template made right after it, to start again).
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
from bench.live_server import PASSWORD, PG, Client, Gunicorn, load_average  # noqa: E402


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
    parser.add_argument("--only", choices=("lists", "bulk"))
    parser.add_argument("--bulk-sets", type=int, default=3)
    parser.add_argument("--bulk-rows", type=int, default=5000)
    parser.add_argument("--out", default=os.path.join(HERE, "scale_results.json"))
    args = parser.parse_args()
    import sqlalchemy as sa

    from admin_app.extensions import db
    from admin_app.workflow.states import ApplicationState
    from models import Application, Jurisdiction, Organisation, User, Worker

    app, views = bench_app(args.db)
    if args.only == "bulk":
        results = []
        results.append({"load_average": load_average(), "at": "before HTTP"})
        print(json.dumps(results[-1]), flush=True)
        over_http(args.db, app, views, results, args)
        results.append({"load_average": load_average(), "at": "after HTTP"})
        print(json.dumps(results[-1]), flush=True)
        with open(args.out, "w") as handle:
            json.dump(results, handle, ensure_ascii=False, indent=1)
        return
    stock = stock_view(app)
    gc.freeze()  # as wsgi.py does after start-up
    wanted = {
        "jurisdiction.name": "渝中区",
        "application.status": ApplicationState.APPROVED,
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

    def mark(moment):
        results.append({"load_average": load_average(), "at": moment})
        print(json.dumps(results[-1]), flush=True)

    mark("before in-process")

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

    mark("after in-process, before HTTP")
    if args.only != "lists":
        over_http(args.db, app, views, results, args)
        mark("after HTTP")
    with open(args.out, "w") as handle:
        json.dump(results, handle, ensure_ascii=False, indent=1)


def statistics_over_http(client, results, repeat):
    """统计分析 as the logged-in user sees it: ``repeat`` GETs of /statistics/ after two warm-ups, timed end
    to end at the client (request sent → whole page received) and by the app's Server-Timing header."""
    seen, server = [], []
    for _ in range(repeat + 2):
        start = time.perf_counter()
        response = client.get("/statistics/")
        seen.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
        server.append(float(response.headers["Server-Timing"].split("dur=")[1]))
    (c50, c95), (s50, s95) = percentiles(seen[2:]), percentiles(server[2:])
    results.append(
        {
            "variant": "http",
            "role": client.username,
            "page": "statistics",
            "requests": repeat,
            "median_ms": c50,
            "p95_ms": c95,
            "server_median_ms": s50,
            "server_p95_ms": s95,
        }
    )
    print(json.dumps(results[-1], ensure_ascii=False), flush=True)


def submitted_at_filter(queue, limit: str) -> dict:
    """URL arguments of the queue's 提交时间 "before" filter (in a request context)."""
    from views.base import SecureModelView

    index = next(
        i
        for i, f in enumerate(queue._filters)
        if type(f).__name__ == "DateTimeSmallerFilter" and f.column.key == "submitted_at"
    )
    return SecureModelView.filter_url_args(queue, [(index, "", limit)])


def first_rows_limit(year, grade, rows: int) -> str:
    """The 提交时间 of the (``rows`` + 1)th application waiting at the 市工考办 in (year, grade) (in an app
    context): filtering on "before it" takes the first ``rows`` (rows of one minute share a time)."""
    import sqlalchemy as sa

    from admin_app.extensions import db
    from admin_app.workflow.states import ApplicationState
    from models import Application, ExamBatch

    limit = db.session.scalar(
        sa.select(Application.submitted_at)
        .join(ExamBatch, ExamBatch.id == Application.batch_id)
        .where(
            Application.status == ApplicationState.PENDING_OFFICE,
            ExamBatch.year == int(year),
            Application.applied_grade == int(grade),
        )
        .order_by(Application.submitted_at)
        .offset(rows)
        .limit(1)
    )
    return limit.strftime("%Y-%m-%d %H:%M:%S")


def submitted_before(queue, year, grade, rows: int) -> dict:
    """URL arguments taking the first ``rows`` applications of (year, grade) waiting at the 市工考办."""
    return submitted_at_filter(queue, first_rows_limit(year, grade, rows))


def bulk_sets(app, rows: int, count: int) -> list[tuple[int, str, str]]:
    """``count`` filters of ~``rows`` applications waiting at the 市工考办, each in a different (batch year,
    grade) set of a batch that is not archived: (year, grade, submitted_at limit). The 提交时间 filter takes
    the rows submitted before the (``rows`` + 1)th of the set (rows of one minute share a time, so a few fewer may match)."""
    import sqlalchemy as sa

    from admin_app.extensions import db
    from admin_app.workflow.states import ApplicationState, BatchState
    from models import Application, ExamBatch

    with app.app_context():
        waiting = db.session.execute(
            sa.select(ExamBatch.year, Application.applied_grade, sa.func.count())
            .join(ExamBatch, ExamBatch.id == Application.batch_id)
            .where(
                Application.status == ApplicationState.PENDING_OFFICE, ExamBatch.state != BatchState.ARCHIVED
            )
            .group_by(ExamBatch.year, Application.applied_grade)
            .having(sa.func.count() >= rows)
            .order_by(ExamBatch.year.desc(), Application.applied_grade)
        ).all()
        chosen = [
            (year, str(grade), first_rows_limit(year, grade, rows)) for year, grade, _count in waiting[:count]
        ]
    return chosen


def bulk_over_http(client, queue, app, results, rows, count):
    """市工考办 approves "all matching the filter" (batch year, grade, 提交时间 ≤ limit: ~``rows`` rows) through
    gunicorn, as the browser does: the confirmation page (count, CSRF token), then the POST, timed from
    sending it to having read the whole result page. Per row: scope and state checked in the UPDATE, one
    history and one audit row, and (final step) the 考试报名 row. Consumes what it approves.

    Before the timed requests, each worker has drawn a result page: an approval of an id that does not
    exist (refused, nothing changed) is sent six times, so that no timing includes compiling the template."""
    token, _page = client.token("/review_queue/")
    for _ in range(6):
        warm = client.post(
            "/review_queue/decide/",
            data={"op": "approve", "rowid": "2000000000", "opinion": "同意", "csrf_token": token},
        )
        assert warm.status_code == 200 and "成功" in warm.text, warm.status_code
    for year, grade, limit in bulk_sets(app, rows, count):
        with app.test_request_context("/"):
            flt = filter_args(queue, {"exam_batch.year": year, "application.applied_grade": grade})
            flt.update(submitted_at_filter(queue, limit))
        token, confirm = client.token("/review_queue/bulk/", params={"op": "approve", **flt})
        matching = re.search(r"全部 (\d+) 条", confirm)
        start = time.perf_counter()
        response = client.post(
            "/review_queue/decide/",
            params=flt,
            data={"op": "approve", "all_matching": "1", "opinion": "同意", "csrf_token": token},
        )
        seconds = time.perf_counter() - start
        assert response.status_code == 200, response.status_code
        done = int(re.search(r"成功 <strong[^>]*>(\d+)</strong>", response.text).group(1))
        assert done > 0, "nothing approved"
        results.append(
            {
                "variant": "http",
                "role": "office",
                "page": f"bulk approve {year}/{grade}/提交时间<{limit}",
                "matching_on_confirmation_page": int(matching.group(1)) if matching else None,
                "approved": done,
                "seconds": round(seconds, 3),
                "server_seconds": round(float(response.headers["Server-Timing"].split("dur=")[1]) / 1000, 3),
                "result_page_bytes": len(response.content),
            }
        )
        print(json.dumps(results[-1], ensure_ascii=False), flush=True)


def over_http(database, app, views, results, args):
    """The HTTP part: gunicorn (gunicorn.conf.py: 2 workers × 4 threads) on the bench database."""
    import secrets

    with Gunicorn(database, 8600 + secrets.randbelow(90)) as server:
        if args.only == "bulk":
            client = Client(server.base, "office")
            for _ in range(6):  # both workers have served the queue
                client.get("/review_queue/")
            bulk_over_http(client, views["review_queue"], app, results, args.bulk_rows, args.bulk_sets)
            return
        for user in ("office", "yuzhong_hr"):
            client = Client(server.base, user)
            for _ in range(6):  # both workers have served the list, the queue and a statistics page
                client.get("/review_queue/")
            statistics_over_http(client, results, args.repeat)
        if not args.no_bulk:
            bulk_over_http(
                Client(server.base, "office"),
                views["review_queue"],
                app,
                results,
                args.bulk_rows,
                args.bulk_sets,
            )


if __name__ == "__main__":
    main()
