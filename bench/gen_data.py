"""Fill a PostgreSQL database at a city's multi-year volume (issue 7), with COPY:
1,000 units, 200,000 workers, 1,000,000 applications over 5 batches in every state, their reviews,
registrations and scores.

Usage:  .venv/bin/python bench/gen_data.py [--db gk_scale] [--workers 200000] [--units 1000]
The database is dropped and created. Accounts (password Passw0rd2021): office, yuzhong_hr, unit0000.
"""

import argparse
import os
import random
import sys
import time
from datetime import date, datetime, timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
PG = os.environ.get("BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
CATEGORIES = ["city_party", "city_other", "district", "district", "district", "institution", "soe", "central"]
ROUTES = {"city_party": "party_org,office", "city_other": "city_hr,office", "district": "district_hr"}
# Applications cycle through these: 待提交, waiting at the first or the last step of the route, 审核已通过
# (three times as often) and 审核未通过 (the two steps are placeholders resolved per route).
FIRST_STEP, LAST_STEP = "at the first step", "at the last step"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="gk_scale")
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=200_000)
    args = parser.parse_args()
    started = time.time()
    import psycopg
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from admin_app import create_app

    admin_dsn = PG.replace("+psycopg", "")
    with psycopg.connect(admin_dsn + "/test", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {args.db} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {args.db}")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"{PG}/{args.db}", "SECRET_KEY": "gen"})
    with app.app_context():
        from admin_app.extensions import db
        from admin_app.services import unit_identity
        from admin_app.workflow.states import (
            FINAL_STATES,
            ApplicationState,
            BatchState,
            ExamCategory,
            RegistrationState,
            ScoreResult,
            pending,
        )
        from models import ExamBatch, Jurisdiction, Organisation, Trade, User, enums
        from seed import dictionaries
        from tests.factories import password_hash

        states = [
            ApplicationState.DRAFT,
            FIRST_STEP,
            LAST_STEP,
            *[ApplicationState.APPROVED] * 3,
            ApplicationState.REJECTED,
        ]
        upgrade()
        dictionaries.load_all()
        first = db.session.scalar(sa.select(ExamBatch))
        first.state = BatchState.CLOSED  # history: one batch at a time is 申报中 (2025's, below)
        batches = [first]
        for year in range(2022, 2026):
            batch = ExamBatch(
                year=year,
                name=f"{year}年度考核",
                doc_number=f"渝人工考〔{year}〕1号",
                cutoff_date=date(year - 1, 12, 31),
                apply_deadline=date(year, 7, 23),
                assessment_start_year=year - 5,
                assessment_end_year=year - 1,
                # past batches: submission closed, work goes on
                state=BatchState.CLOSED if year < 2025 else BatchState.OPEN,
            )
            db.session.add(batch)
            batches.append(batch)
        jurisdictions = db.session.scalars(sa.select(Jurisdiction).where(Jurisdiction.active.is_(True))).all()
        office = Organisation(name="市工考办", kind=enums.OFFICE)
        yuzhong = next(j for j in jurisdictions if j.code == "500103")
        district = Organisation(name="渝中区人力社保局", kind=enums.DISTRICT_HR, jurisdiction=yuzhong)
        db.session.add_all([office, district])
        db.session.add(User(username="office", organisation=office, password_hash=password_hash()))
        db.session.add(User(username="yuzhong_hr", organisation=district, password_hash=password_hash()))
        db.session.commit()
        trades = db.session.scalars(sa.select(Trade.id)).all()
        rng = random.Random(7)
        # The units and their one account through the models (their defaults and name normalisation apply);
        # the bulk tables below by COPY.
        units = [
            Organisation(
                name=f"单位{u:04d}",
                kind=enums.UNIT,
                uscc=f"SCALE{u:013d}",
                org_category=CATEGORIES[u % len(CATEGORIES)],
                jurisdiction_id=jurisdictions[u % len(jurisdictions)].id,
                address="重庆",
                postcode="400000",
                contact_person="联系人",
                contact_phone="023-88152255",
                created_at=datetime(2021, 1, 1),
            )
            for u in range(args.units)
        ]
        db.session.add_all(units)
        db.session.flush()
        for unit in units:  # confirmed when they joined (单位信息审核), as the demo's units
            unit_identity.record_confirmed(unit, "基准数据")
        db.session.add(
            User(
                username="unit0000",
                organisation=units[0],
                password_hash=password_hash(),
                must_change_password=False,
            )
        )
        db.session.commit()
        unit_rows = [(u.id, u.org_category, u.jurisdiction_id) for u in units]
        with db.engine.raw_connection() as raw:
            cur = raw.cursor()
            from admin_app.services.validators import resident_check_digit

            print("workers …", flush=True)
            with cur.copy(
                "COPY worker (id, unit_id, name, gender, id_number, birth_date, work_start_date, education, current_trade_id,"
                " current_grade, current_grade_date, certificate_trade_id, detained_or_probation, long_sick_leave_or_absence,"
                " holds_professional_title, is_veteran, created_at, updated_at) FROM STDIN"
            ) as copy:
                for w in range(args.workers):
                    birth = date(1960, 1, 1) + timedelta(days=w % 12000)
                    gender = "M" if w % 3 else "F"
                    seq = (w // 12000) % 100
                    sex_digit = (seq * 2 + (1 if gender == "M" else 0)) % 10
                    body = f"500103{birth:%Y%m%d}{seq:02d}{sex_digit}"
                    trade = trades[w % len(trades)]
                    copy.write_row(
                        (
                            w + 1,
                            unit_rows[w % args.units][0],
                            f"{rng.choice('王李张刘陈杨黄赵吴周')}{w:06d}",
                            gender,
                            body + resident_check_digit(body),
                            birth,
                            date(1985 + w % 30, 7, 1),
                            "high_school",
                            trade,
                            5 - w % 4,
                            date(2010, 1, 1),
                            trade,
                            False,
                            False,
                            False,
                            False,
                            datetime(2021, 1, 1),
                            datetime(2021, 1, 1),
                        )
                    )
            print("applications, reviews, registrations …", flush=True)
            app_id = 0
            reg_rows, review_rows = [], []
            with cur.copy(
                "COPY application (id, batch_id, worker_id, unit_id, jurisdiction_id, org_category, applied_trade_id,"
                " applied_grade, status, route, step_index, version, submitted_at, decided_at, created_at, updated_at,"
                " certificate_class, retire_two_in_one, veteran, publicity_result) FROM STDIN"
            ) as copy:
                for batch in batches:
                    for w in range(args.workers):
                        app_id += 1
                        u = w % args.units
                        unit_id, category, jid = unit_rows[u]
                        route = ROUTES.get(category, "office")
                        steps = route.split(",")
                        state = states[(w + batch.year) % len(states)]
                        step = 0
                        if state == FIRST_STEP:
                            status = pending(steps[0])
                        elif state == LAST_STEP:
                            status, step = pending(steps[-1]), len(steps) - 1
                        else:
                            status = state
                        submitted = (
                            None
                            if status == ApplicationState.DRAFT
                            else datetime(batch.year, 6, 1) + timedelta(minutes=w % 40000)
                        )
                        decided = submitted + timedelta(days=10) if status in FINAL_STATES else None
                        copy.write_row(
                            (
                                app_id,
                                batch.id,
                                w + 1,
                                unit_id,
                                jid,
                                category,
                                trades[w % len(trades)],
                                max(1, 4 - w % 4),
                                status,
                                None if status == ApplicationState.DRAFT else route,
                                step,
                                1,
                                submitted,
                                decided,
                                datetime(batch.year, 5, 1),
                                datetime(batch.year, 5, 1),
                                False,
                                False,
                                False,
                                "no_objection",
                            )
                        )
                        if submitted:
                            review_rows.append(
                                (
                                    app_id,
                                    0,
                                    None,
                                    "submit",
                                    ApplicationState.DRAFT,
                                    pending(steps[0]),
                                    submitted,
                                )
                            )
                        if decided:
                            review_rows.append(
                                (
                                    app_id,
                                    step,
                                    steps[-1],
                                    "approve" if status == ApplicationState.APPROVED else "reject",
                                    pending(steps[-1]),
                                    status,
                                    decided,
                                )
                            )
                        if status == ApplicationState.APPROVED:
                            reg_rows.append(
                                (
                                    app_id,
                                    batch.id,
                                    w + 1,
                                    unit_id,
                                    jid,
                                    category,
                                    trades[w % len(trades)],
                                    max(1, 4 - w % 4),
                                    batch.year,
                                )
                            )
            with cur.copy(
                "COPY application_review (application_id, step_index, step_role, action, from_status, to_status, created_at)"
                " FROM STDIN"
            ) as copy:
                for row in review_rows:
                    copy.write_row(row)
            with cur.copy(
                "COPY registration (application_id, batch_id, worker_id, unit_id, jurisdiction_id, org_category,"
                " applied_trade_id, applied_grade, status, ticket_number, theory_score, practice_score, score_result,"
                " voluntary_training, exam_category, absent, version, created_at, updated_at) FROM STDIN"
            ) as copy:
                for n, (aid, bid, wid, uid, jid, cat, tid, grade, year) in enumerate(reg_rows):
                    registered = n % 3 != 0
                    theory = 50 + n % 50 if registered else None
                    copy.write_row(
                        (
                            aid,
                            bid,
                            wid,
                            uid,
                            jid,
                            cat,
                            tid,
                            grade,
                            RegistrationState.REGISTERED if registered else RegistrationState.UNREGISTERED,
                            f"{year}{grade}{aid:07d}" if registered else None,
                            theory,
                            70 if registered else None,
                            (ScoreResult.PASS if theory >= 60 else ScoreResult.FAIL) if registered else None,
                            False,
                            ExamCategory.BOTH,
                            False,
                            1,
                            datetime(year, 8, 1),
                            datetime(year, 8, 1),
                        )
                    )
            # 申报材料 of every submitted application (the first reviewer's approval requires them); the
            # files themselves are not written, only their rows.
            cur.execute(
                "INSERT INTO material (application_id, original_name, stored_name, content_type, size, sha256,"
                " uploaded_at) SELECT id, '申报材料.pdf', 'bench-' || id || '.pdf', 'application/pdf', 1024,"
                " repeat('0', 64), submitted_at FROM application WHERE status <> %s",
                (ApplicationState.DRAFT,),
            )
            for table in ("worker", "application", "application_review", "registration"):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}','id'), (SELECT max(id) FROM {table}))"
                )
            raw.commit()
    # As autovacuum would after a load: statistics, and the visibility map that lets counts and id lists
    # come from the indexes alone.
    with psycopg.connect(f"{admin_dsn}/{args.db}", autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        counts = {}
        for table in ("organisation", "worker", "application", "application_review", "registration"):
            counts[table] = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    print({"seconds": round(time.time() - started), **counts})


if __name__ == "__main__":
    main()
