"""Bounded load test (issue 6): gunicorn + PostgreSQL on loopback. 20 reviewers of the 市工考办 approve from
one shared queue while 5 units submit their drafts, for --seconds; then every application's history is
checked (no lost or doubled transitions) and the audit hash chain verified.

Usage:  .venv/bin/python bench/load_test.py [--seconds 120] [--reviewers 20] [--units 5] [--db gk_load]
Only 127.0.0.1 is contacted; every loop is bounded in time and every request has a timeout. A request that
fails or times out is counted (``errors``/``timeouts`` in the summary) and the client carries on.
"""

import argparse
import json
import os
import re
import secrets
import sys
import threading
import time
from collections import Counter

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from bench.live_server import PG, REQUEST_TIMEOUT, Client, Gunicorn, load_average  # noqa: E402

ROWID = re.compile(r'<input[^>]*name="rowid"[^>]*value="(\d+)"')
DONE = re.compile(r'成功 <strong class="text-success">(\d+)</strong>')
REFUSED = re.compile(r'未处理 <strong class="text-danger">(\d+)</strong>')


def open_batch_for_today(admin):
    """A batch that accepts submissions today, made the app's own way: the seeded 2021 batch copied to the
    first year whose 申报截止日 is not past (``batches.copy_for_year``: rules, routes, dates moved), then the
    2021 batch closed and the new one opened by the workflow's batch transitions (audited)."""
    import sqlalchemy as sa

    from admin_app import workflow
    from admin_app.extensions import db
    from admin_app.services import batches, clock
    from models import ExamBatch

    seeded = db.session.scalar(sa.select(ExamBatch).where(ExamBatch.year == 2021))
    today = clock.today()
    year = today.year
    if batches.years_later(seeded.last_submission_day, year - seeded.year) < today:
        year += 1
    batch, _routes = batches.copy_for_year(seeded, year)
    db.session.commit()
    for name, batch_id in (("close_batch", seeded.id), ("open_batch", batch.id)):
        result = workflow.change_batch_state(admin, [batch_id], name)
        assert not result.refused, result.refused
    assert db.session.get(ExamBatch, batch.id).accepts_submissions(today)
    return db.session.get(ExamBatch, batch.id)


def prepare(database: str, reviewers: int, units: int, pending: int, drafts: int) -> dict:
    """A fresh ``database``: an open batch, ``reviewers`` accounts of the 市工考办, ``units`` units each with
    ``pending`` submitted applications and ``drafts`` drafts (all eligible, materials attached). Returns the
    list URL arguments of a unit's drafts (the 状态 filter, built the app's own way)."""
    import psycopg
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from admin_app import create_app

    with psycopg.connect(PG.replace("+psycopg", "") + "/test", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {database}")
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"{PG}/{database}", "SECRET_KEY": "load", "UPLOAD_DIR": "/tmp/gk-load"}
    )
    with app.app_context():
        from datetime import date, timedelta

        from admin_app import workflow
        from admin_app.extensions import db
        from admin_app.workflow.states import ApplicationState
        from models import Application, Jurisdiction, Material, Organisation, PostSetting, Trade, User, enums
        from seed import dictionaries
        from tests import factories

        upgrade()
        dictionaries.load_all()
        admin_org = Organisation(name="系统管理", kind=enums.ADMIN)
        office = Organisation(name="市工考办", kind=enums.OFFICE)
        db.session.add_all([admin_org, office])
        admin = factories.add_user("bench_admin", admin_org)
        for i in range(reviewers):
            factories.add_user(f"reviewer{i:02d}", office)
        db.session.commit()
        batch = open_batch_for_today(admin)
        trade = db.session.scalar(sa.select(Trade).where(Trade.name == "电工"))
        jurisdiction = db.session.scalar(sa.select(Jurisdiction).where(Jurisdiction.code == "500103"))
        seq = 0
        unit_orgs = []
        for u in range(units):
            unit = factories.add_unit(f"国企{u}", jurisdiction, category=enums.CAT_SOE)
            unit_orgs.append(unit)
            db.session.flush()
            factories.add_user(f"unit{u}", unit)
            for grade in range(1, 6):
                db.session.add(
                    PostSetting(unit=unit, batch=batch, grade=grade, approved_posts=100000, current_staff=0)
                )
        db.session.flush()
        submitters = {}
        for u, unit in enumerate(unit_orgs):
            workers = []
            for n in range(pending + drafts):
                seq += 1
                worker = factories.add_worker(unit, f"工人{u}-{n}", seq, trade, batch)
                # One birth date per worker keeps the ID numbers unique (born 1970-1978: below 60 at the
                # batch's cutoff whatever year it is).
                worker.birth_date = date(1970, 1, 1) + timedelta(days=seq)
                worker.id_number = factories.make_id_number("500103", worker.birth_date, seq % 100)
                workers.append(worker)
            # As factories.add_application makes them, but one flush per unit (one per row took minutes
            # for 6,000 rows on a busy machine).
            rows = [
                Application(
                    batch=batch,
                    worker=worker,
                    unit_id=unit.id,
                    jurisdiction_id=unit.jurisdiction_id,
                    org_category=unit.org_category,
                    applied_trade=trade,
                    applied_grade=3,
                    publicity_start=date(2021, 6, 1),
                    publicity_end=date(2021, 6, 7),
                    publicity_result="no_objection",
                    status=ApplicationState.DRAFT,
                )
                for worker in workers
            ]
            db.session.add_all(rows)
            db.session.flush()
            submitters[unit.id] = [row.id for row in rows[:pending]]
        db.session.commit()
        # Materials for every application, drafts included (the 市工考办 is the first step of this route).
        ids = db.session.scalars(sa.select(Application.id)).all()
        db.session.execute(
            sa.insert(Material),
            [
                {
                    "application_id": i,
                    "original_name": "材料.pdf",
                    "stored_name": f"load/{i}.pdf",
                    "content_type": "application/pdf",
                    "size": 10,
                    "sha256": "0" * 64,
                }
                for i in ids
            ],
        )
        db.session.commit()
        for unit in unit_orgs:
            if not submitters.get(unit.id):
                continue
            user = db.session.scalar(sa.select(User).where(User.organisation_id == unit.id))
            result = workflow.submit(user, submitters[unit.id])
            assert not result.refused, result.refused[:3]
        view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "applications")
        with app.test_request_context("/"):
            drafts_query = view.filter_url_args(
                view.column_filters_for({"application.status": ApplicationState.DRAFT})
            )
        prepared = {
            "batch": str(batch),
            "applications": len(ids),
            "submitted": units * pending,
            "drafts": units * drafts,
        }
        print(json.dumps({"prepared": prepared}, ensure_ascii=False), flush=True)
        return drafts_query


def counted(loop):
    """Run a client loop; a failed login ends only that client, and is reported in the summary."""

    def run(base, name, stop, stats, *args):
        try:
            loop(base, name, stop, stats, *args)
        except Exception as exc:  # noqa: BLE001 - reported in the summary
            stats["errors"].append(f"{name}: {exc!r}"[:200])

    return run


def attempt(stats, request, *args, **kw):
    """``request(*args, **kw)``; a timeout or connection error is counted and answered with None (the loop
    goes on)."""
    try:
        return request(*args, **kw)
    except requests.Timeout:
        stats["timeouts"] += 1
    except (requests.RequestException, LookupError) as exc:
        stats["request_errors"][type(exc).__name__] += 1
    time.sleep(0.5)
    return None


@counted
def reviewer_loop(base, name, stop, stats):
    client = Client(base, name)
    while time.time() < stop:
        page = attempt(stats, client.token, "/review_queue/?page_size=20")
        if page is None:
            continue
        token, html = page
        ids = ROWID.findall(html)[:10]
        if not ids:
            time.sleep(0.2)
            continue
        started = time.perf_counter()
        response = attempt(
            stats,
            client.post,
            "/review_queue/decide/",
            data={"op": "approve", "rowid": ids, "opinion": "压力测试", "csrf_token": token},
        )
        if response is None:
            continue
        stats["latency"].append(time.perf_counter() - started)
        stats["status"][response.status_code] += 1
        stats["done"] += int(done.group(1)) if (done := DONE.search(response.text)) else 0
        stats["refused"] += int(refused.group(1)) if (refused := REFUSED.search(response.text)) else 0


@counted
def unit_loop(base, name, stop, stats, drafts_query):
    client = Client(base, name)
    while time.time() < stop:
        page = attempt(stats, client.token, "/applications/", params=drafts_query)
        if page is None:
            continue
        token, html = page
        drafts = ROWID.findall(html)[:5]
        if not drafts:
            time.sleep(0.5)
            continue
        started = time.perf_counter()
        response = attempt(
            stats,
            client.post,
            "/applications/action/",
            data={"action": "submit", "rowid": drafts, "csrf_token": token},
        )
        if response is None:
            continue
        stats["submit_latency"].append(time.perf_counter() - started)
        stats["submit_status"][response.status_code] += 1
        stats["submitted"] += int(done.group(1)) if (done := DONE.search(response.text)) else 0
        stats["submit_refused"] += int(refused.group(1)) if (refused := REFUSED.search(response.text)) else 0
        time.sleep(0.2)


def percentile_ms(samples, fraction):
    samples = sorted(samples)
    return round(samples[min(len(samples) - 1, int(len(samples) * fraction))] * 1000) if samples else None


def check_consistency(database: str) -> dict:
    """Every application's history chains from 待提交 to its current status with no doubled transition;
    history rows and audit rows agree per action; the audit hash chain is intact."""
    import sqlalchemy as sa

    from admin_app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"{PG}/{database}", "SECRET_KEY": "load"})
    with app.app_context():
        from admin_app.extensions import db
        from admin_app.services import audit
        from admin_app.workflow.states import ApplicationState
        from models import Application, ApplicationReview, AuditLog

        problems = []
        reviews = (
            db.session.execute(
                sa.select(ApplicationReview).order_by(ApplicationReview.application_id, ApplicationReview.id)
            )
            .scalars()
            .all()
        )
        by_app = {}
        for r in reviews:
            by_app.setdefault(r.application_id, []).append(r)
        for app_row in db.session.scalars(sa.select(Application)):
            history = by_app.get(app_row.id, [])
            if app_row.status == ApplicationState.DRAFT:
                if history:
                    problems.append((app_row.id, "draft with history"))
                continue
            if (
                not history
                or history[0].action != "submit"
                or history[0].from_status != ApplicationState.DRAFT
            ):
                problems.append((app_row.id, "no submit"))
            for before, after in zip(history, history[1:], strict=False):
                if before.to_status != after.from_status:
                    problems.append((app_row.id, "broken chain"))
            if history and history[-1].to_status != app_row.status:
                problems.append((app_row.id, "status differs from history"))
            actions = Counter(h.action for h in history)
            if actions["submit"] > 1 or actions["approve"] > len(app_row.route_steps):
                problems.append((app_row.id, "doubled transition"))
        audit_counts = dict(
            db.session.execute(sa.select(AuditLog.action, sa.func.count()).group_by(AuditLog.action)).all()
        )
        review_counts = Counter(r.action for r in reviews)
        checked, broken = audit.verify_chain()
        return {
            "applications_checked": len(by_app),
            "history_problems": problems[:10],
            "review_vs_audit": {
                a: (review_counts[a], audit_counts.get(f"application_{a}", 0)) for a in ("submit", "approve")
            },
            "audit_rows": checked,
            "audit_chain_broken_at": broken,
        }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="gk_load")
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--reviewers", type=int, default=20)
    parser.add_argument("--units", type=int, default=5)
    parser.add_argument("--pending", type=int, default=1000, help="submitted applications per unit at start")
    parser.add_argument("--drafts", type=int, default=400, help="drafts per unit to submit during the run")
    args = parser.parse_args()
    drafts_query = prepare(args.db, args.reviewers, args.units, args.pending, args.drafts)
    stats = {
        "latency": [],
        "submit_latency": [],
        "status": Counter(),
        "submit_status": Counter(),
        "request_errors": Counter(),
        "timeouts": 0,
        "done": 0,
        "refused": 0,
        "submitted": 0,
        "submit_refused": 0,
        "errors": [],
    }
    load_before = load_average()
    with Gunicorn(args.db, 8700 + secrets.randbelow(200)) as server:
        stop = time.time() + args.seconds
        threads = [
            threading.Thread(target=reviewer_loop, args=(server.base, f"reviewer{i:02d}", stop, stats))
            for i in range(args.reviewers)
        ]
        threads += [
            threading.Thread(target=unit_loop, args=(server.base, f"unit{u}", stop, stats, drafts_query))
            for u in range(args.units)
        ]
        for t in threads:
            t.start()
        for t in threads:  # each loop ends at `stop`, plus at most one request's timeout
            t.join(timeout=max(0.0, stop - time.time()) + REQUEST_TIMEOUT + 10)
    summary = {
        "load_average_before": load_before,
        "load_average_after": load_average(),
        "server_ready_after_s": round(server.started_in, 1),
        "seconds": args.seconds,
        "decide_requests": len(stats["latency"]),
        "decide_status": dict(stats["status"]),
        "approved_rows": stats["done"],
        "refused_rows_already_decided": stats["refused"],
        "approved_per_second": round(stats["done"] / args.seconds, 1),
        "decide_p50_ms": percentile_ms(stats["latency"], 0.5),
        "decide_p95_ms": percentile_ms(stats["latency"], 0.95),
        "submit_requests": len(stats["submit_latency"]),
        "submit_status": dict(stats["submit_status"]),
        "submitted_rows": stats["submitted"],
        "submit_refused_rows": stats["submit_refused"],
        "submit_p50_ms": percentile_ms(stats["submit_latency"], 0.5),
        "submit_p95_ms": percentile_ms(stats["submit_latency"], 0.95),
        "timeouts": stats["timeouts"],
        "request_errors": dict(stats["request_errors"]),
        "client_errors": stats["errors"][:5],
    }
    summary.update(check_consistency(args.db))
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
