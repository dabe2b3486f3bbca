"""Bounded load test (issue 6): gunicorn + PostgreSQL on loopback. 20 reviewers of the 市工考办 approve from
one shared queue while 5 units submit their drafts, for --seconds; then every application's history is
checked (no lost or doubled transitions) and the audit hash chain verified.

Usage:  .venv/bin/python bench/load_test.py [--seconds 120] [--reviewers 20] [--units 5]
Only 127.0.0.1 is contacted; every loop is bounded in time.
"""

import argparse
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
PG = os.environ.get("BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
DB = "gk_load"
PASSWORD = "Passw0rd2021"
ROWID = re.compile(r'<input[^>]*name="rowid"[^>]*value="(\d+)"')


def prepare(reviewers: int, units: int, pending: int, drafts: int) -> None:
    import psycopg
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from admin_app import create_app

    with psycopg.connect(PG.replace("+psycopg", "") + "/test", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"{PG}/{DB}", "SECRET_KEY": "load", "UPLOAD_DIR": "/tmp/gk-load"}
    )
    with app.app_context():
        from datetime import date

        from admin_app.extensions import db
        from admin_app.services import workflow
        from models import Material, Organisation, PostSetting, User, enums
        from seed import dictionaries
        from tests import factories

        upgrade()
        world = factories.World(jurisdictions={}, batch=None, trade=None)
        dictionaries.load_all()
        from models import ExamBatch, Jurisdiction, Trade

        world.batch = db.session.scalar(sa.select(ExamBatch))
        world.trade = db.session.scalar(sa.select(Trade).where(Trade.name == "电工"))
        office = Organisation(name="市工考办", kind=enums.OFFICE)
        db.session.add(office)
        for i in range(reviewers):
            factories.add_user(f"reviewer{i:02d}", office)
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
                    PostSetting(
                        unit=unit, batch=world.batch, grade=grade, approved_posts=100000, current_staff=0
                    )
                )
        db.session.flush()
        submitters = {}
        for u, unit in enumerate(unit_orgs):
            for n in range(pending + drafts):
                seq += 1
                worker = factories.add_worker(unit, f"工人{u}-{n}", seq, world.trade, world.batch)
                worker.id_number = factories.make_id_number(
                    "500103", date(1960, 1, 1).fromordinal(date(1960, 1, 1).toordinal() + seq), seq % 100
                )
                worker.birth_date = date(1960, 1, 1).fromordinal(date(1960, 1, 1).toordinal() + seq)
                db.session.flush()
                app_row = factories.add_application(world, worker)
                if n < pending:
                    submitters.setdefault(unit.id, []).append(app_row.id)
        db.session.commit()
        for unit in unit_orgs:
            user = db.session.scalar(sa.select(User).where(User.organisation_id == unit.id))
            result = workflow.submit(user, submitters[unit.id], today=date(2021, 7, 1))
            assert not result.refused, result.refused[:3]
        # Materials for every application, drafts included (the 市工考办 is the first step of this route).
        ids = db.session.scalars(sa.select(factories.Application.id)).all()
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
        print(
            json.dumps(
                {
                    "prepared": {
                        "applications": len(ids),
                        "submitted": units * pending,
                        "drafts": units * drafts,
                    }
                }
            )
        )


class Client:
    def __init__(self, base, username):
        self.base, self.session = base, requests.Session()
        token = self.token("/login")
        response = self.session.post(
            f"{base}/login",
            data={"username": username, "password": PASSWORD, "csrf_token": token},
            allow_redirects=False,
        )
        assert response.status_code == 302, (username, response.status_code)

    def token(self, path):
        html = self.session.get(self.base + path).text
        match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html) or re.search(
            r'value="([^"]+)" name="csrf_token"', html
        )
        return match.group(1), html

    def token_only(self, path):
        return self.token(path)[0]


def guarded(loop):
    def run(base, name, stop, stats):
        try:
            loop(base, name, stop, stats)
        except Exception as exc:  # noqa: BLE001 - reported in the summary
            stats["errors"].append(f"{name}: {exc!r}"[:200])

    return run


@guarded
def reviewer_loop(base, name, stop, stats):
    client = Client(base, name)
    while time.time() < stop:
        (token, html) = client.token("/review_queue/?page_size=20")
        ids = ROWID.findall(html)[:10]
        if not ids:
            time.sleep(0.2)
            continue
        started = time.perf_counter()
        response = client.session.post(
            f"{base}/review_queue/decide/",
            data={"op": "approve", "rowid": ids, "opinion": "压力测试", "csrf_token": token},
        )
        stats["latency"].append(time.perf_counter() - started)
        body = response.text
        done = re.search(r'成功 <strong class="text-success">(\d+)</strong>', body)
        refused = re.search(r'未处理 <strong class="text-danger">(\d+)</strong>', body)
        stats["status"][response.status_code] += 1
        stats["done"] += int(done.group(1)) if done else 0
        stats["refused"] += int(refused.group(1)) if refused else 0


@guarded
def unit_loop(base, name, stop, stats):
    client = Client(base, name)
    while time.time() < stop:
        (token, html) = client.token("/applications/?page_size=20&search=工人")
        drafts = [
            m.group(1) for row in html.split("<tr")[1:] if "待提交" in row and (m := ROWID.search(row))
        ][:5]
        if not drafts:
            time.sleep(0.5)
            continue
        response = client.session.post(
            f"{base}/applications/action/", data={"action": "submit", "rowid": drafts, "csrf_token": token}
        )
        stats["submit_status"][response.status_code] += 1
        done = re.search(r'成功 <strong class="text-success">(\d+)</strong>', response.text)
        stats["submitted"] += int(done.group(1)) if done else 0
        time.sleep(0.2)


def check_consistency() -> dict:
    import sqlalchemy as sa

    from admin_app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"{PG}/{DB}", "SECRET_KEY": "load"})
    with app.app_context():
        from admin_app.extensions import db
        from admin_app.services import audit
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
            if app_row.status == "draft":
                if history:
                    problems.append((app_row.id, "draft with history"))
                continue
            if not history or history[0].action != "submit" or history[0].from_status != "draft":
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
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--reviewers", type=int, default=20)
    parser.add_argument("--units", type=int, default=5)
    parser.add_argument("--pending", type=int, default=400, help="submitted applications per unit at start")
    parser.add_argument("--drafts", type=int, default=200, help="drafts per unit to submit during the run")
    args = parser.parse_args()
    prepare(args.reviewers, args.units, args.pending, args.drafts)
    port = 8700 + secrets.randbelow(200)
    env = dict(
        os.environ,
        DATABASE_URL=f"{PG}/{DB}",
        SECRET_KEY=secrets.token_hex(16),
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_ACCESSLOG="/dev/null",
        LOGIN_RATE_LIMIT="1000 per minute",
        UPLOAD_DIR="/tmp/gk-load",
    )
    server = subprocess.Popen(
        [os.path.join(ROOT, ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT, env=env
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                requests.get(base + "/login", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        stats = {
            "latency": [],
            "status": Counter(),
            "submit_status": Counter(),
            "done": 0,
            "refused": 0,
            "submitted": 0,
            "errors": [],
        }
        stop = time.time() + args.seconds
        threads = [
            threading.Thread(target=reviewer_loop, args=(base, f"reviewer{i:02d}", stop, stats))
            for i in range(args.reviewers)
        ]
        threads += [
            threading.Thread(target=unit_loop, args=(base, f"unit{u}", stop, stats))
            for u in range(args.units)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=args.seconds + 60)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    latencies = sorted(stats["latency"])
    summary = {
        "seconds": args.seconds,
        "decide_requests": len(latencies),
        "decide_status": dict(stats["status"]),
        "approved_rows": stats["done"],
        "refused_rows_already_decided": stats["refused"],
        "approved_per_second": round(stats["done"] / args.seconds, 1),
        "decide_p50_ms": round(latencies[len(latencies) // 2] * 1000) if latencies else None,
        "decide_p95_ms": round(latencies[int(len(latencies) * 0.95)] * 1000) if latencies else None,
        "submitted_rows": stats["submitted"],
        "submit_status": dict(stats["submit_status"]),
        "client_errors": stats["errors"][:5],
    }
    summary.update(check_consistency())
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
