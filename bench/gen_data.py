"""Fill a PostgreSQL database at a city's multi-year volume (issues 7 and 16), with COPY:
1,000 units, 200,000 workers, 1,000,000 applications over 5 batches in every state, their reviews,
registrations and scores, and one audit row (hash-chained, as the app writes them) per review step.
``--scale 10`` makes ten times as much: 10,000 units, 2,000,000 workers, 10,000,000 applications.

Usage:  .venv/bin/python bench/gen_data.py [--db gk_scale] [--scale 1] [--workers N] [--units N]
The database is dropped and created. Accounts (password Passw0rd2021), one for every role:
office (市工考办), center (考试中心), admin (系统管理员), city_hr (市人力社保局), party_org (市委组织部),
yuzhong_hr (渝中区人力社保局) and hr_<区县代码> for every other 区县 bureau, unit0000 … one per unit.
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
AREAS = ("500103", "500104", "500105", "500106", "500107", "500108", "500112", "500113", "500114", "500115")


def copy_registrations(cur, reg_rows) -> None:
    """The 考试报名 rows of the approved applications: two in three registered, with scores (published in the
    closed batches, before 2025; not yet in 2025's); one registered candidate in 500 a 违纪 (scores cancelled)."""
    from admin_app.workflow.states import ExamCategory, RegistrationState, ScorePublication, ScoreResult

    with cur.copy(
        "COPY registration (application_id, batch_id, worker_id, unit_id, jurisdiction_id, org_category,"
        " applied_trade_id, applied_grade, status, ticket_number, theory_score, practice_score, score_result,"
        " voluntary_training, exam_category, absent, score_publication, scores_published_at, version, created_at,"
        " updated_at, misconduct_reason, misconduct_at) FROM STDIN"
    ) as copy:
        for n, (aid, bid, wid, uid, jid, cat, tid, grade, year) in enumerate(reg_rows):
            registered = n % 3 != 0
            misconduct = registered and n % 500 == 7
            theory = 50 + n % 50 if registered else None
            if misconduct:
                result = ScoreResult.MISCONDUCT
            elif registered:
                result = ScoreResult.PASS if theory >= 60 else ScoreResult.FAIL
            else:
                result = None
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
                    result,
                    False,
                    ExamCategory.BOTH,
                    False,
                    ScorePublication.PUBLISHED if registered and year < 2025 else None,
                    datetime(year, 9, 1) if registered and year < 2025 else None,
                    1,
                    datetime(year, 8, 1),
                    datetime(year, 8, 1),
                    "考试中夹带资料" if misconduct else None,
                    datetime(year, 8, 20, 10, 0) if misconduct else None,
                )
            )


AUDIT_ACTIONS = {
    "submit": "application_submit",
    "approve": "application_approve",
    "reject": "application_reject",
}
OPINIONS = {"submit": None, "approve": "同意", "reject": "申报材料不全，不予通过"}


def copy_audit(cur, review_rows, chain: dict, audit) -> None:
    """One audit row per review step, as the workflow writes them (who, role, address, action, states,
    opinion), chained by hash from ``chain["prev"]`` exactly as ``services.audit`` does, so that
    ``flask audit-verify`` passes on the generated log."""
    columns = (*audit.HASHED_FIELDS, "prev_hash", "row_hash")
    prev = chain["prev"]
    with cur.copy(f"COPY audit_log ({', '.join(columns)}) FROM STDIN") as copy:
        for app_id, _step, _role, action, source, target, at, (
            user_id,
            username,
            org_id,
            role,
        ) in review_rows:
            values = {
                "created_at": at,
                "user_id": user_id,
                "username": username,
                "organisation_id": org_id,
                "role": role,
                "ip": f"10.{org_id % 250}.{user_id % 250}.{app_id % 250}",
                "action": AUDIT_ACTIONS[action],
                "object_type": "Application",
                "object_id": str(app_id),
                "from_state": source,
                "to_state": target,
                "opinion": OPINIONS[action],
                "detail": None,
            }
            values["prev_hash"] = prev
            values["row_hash"] = prev = audit.row_digest(values, prev)
            copy.write_row(tuple(values[c] for c in columns))
    chain["prev"] = prev


def accounts(db, enums, Organisation, User, jurisdictions, units, password) -> dict:
    """One account for every role, and one per unit (as many as the units), all with the same password.
    Returns who acts at each review step: {"office": (user_id, username, organisation_id, role), ...,
    ("district_hr", jurisdiction_id): (…), ("unit", organisation_id): (…)} for the audit rows."""
    import sqlalchemy as sa

    staff = [
        ("office", "市工考办", enums.OFFICE, None),
        ("center", "市人事考试中心", enums.CENTER, None),
        ("admin", "系统管理", enums.ADMIN, None),
        ("city_hr", "市人力社保局", enums.CITY_HR, None),
        ("party_org", "市委组织部", enums.PARTY_ORG, None),
    ]
    for j in jurisdictions:  # every 区县 has its bureau; 渝中区's account keeps its old name
        username = "yuzhong_hr" if j.code == "500103" else f"hr_{j.code}"
        staff.append((username, f"{j.name}人力社保局", enums.DISTRICT_HR, j.id))
    actors = {}
    for username, org_name, kind, jurisdiction_id in staff:
        org = Organisation(name=org_name, kind=kind, jurisdiction_id=jurisdiction_id)
        user = User(username=username, organisation=org, password_hash=password, must_change_password=False)
        db.session.add_all([org, user])
        db.session.flush()
        key = (kind, jurisdiction_id) if kind == enums.DISTRICT_HR else kind
        actors[key] = (user.id, username, org.id, kind)
    db.session.execute(
        sa.insert(User),
        [
            {
                "username": f"unit{u:04d}",
                "organisation_id": unit.id,
                "password_hash": password,
                "must_change_password": False,
                "active": True,
                "real_name_verified": False,
            }
            for u, unit in enumerate(units)
        ],
    )
    for user_id, username, org_id in db.session.execute(
        sa.select(User.id, User.username, User.organisation_id).where(User.username.like("unit%"))
    ):
        actors[(enums.UNIT, org_id)] = (user_id, username, org_id, enums.UNIT)
    db.session.commit()
    return actors


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="gk_scale")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies the units and workers")
    parser.add_argument("--units", type=int, help="default 1,000 × scale")
    parser.add_argument("--workers", type=int, help="default 200,000 × scale (5 applications each)")
    parser.add_argument(
        "--revision",
        default="head",
        help="migrate only this far (the later migrations run on the data afterwards)",
    )
    args = parser.parse_args()
    args.units = args.units or round(1000 * args.scale)
    args.workers = args.workers or round(200_000 * args.scale)
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
        from admin_app.services import audit, unit_identity
        from admin_app.workflow.states import (
            FINAL_STATES,
            ApplicationState,
            BatchState,
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
        upgrade(revision=args.revision)
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
        db.session.commit()
        hashed = password_hash()
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
        db.session.commit()
        actors = accounts(db, enums, Organisation, User, jurisdictions, units, hashed)
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
                    area = AREAS[w // 1_200_000]  # (birth date, sequence) repeats after 1.2 M workers
                    body = f"{area}{birth:%Y%m%d}{seq:02d}{sex_digit}"
                    trade = trades[w % len(trades)]
                    copy.write_row(
                        (
                            w + 1,
                            unit_rows[w % args.units][0],
                            # a name's digits drawn at random, as real names are not in the order the rows
                            # were entered (with ``w``, 吴0… was the first half of the ids)
                            f"{rng.choice('王李张刘陈杨黄赵吴周')}{rng.randrange(1_000_000):06d}",
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
            app_id = 0
            cur.execute("SELECT row_hash FROM audit_log ORDER BY id DESC LIMIT 1")
            head = cur.fetchone()  # rows the set-up above wrote, if any: the generated ones chain on
            chain = {"prev": head[0] if head else audit.GENESIS}
            for batch in batches:
                print(f"{batch.year}: applications, reviews, registrations, audit rows …", flush=True)
                reg_rows, review_rows = [], []
                with cur.copy(
                    "COPY application (id, batch_id, worker_id, unit_id, jurisdiction_id, org_category, applied_trade_id,"
                    " applied_grade, status, route, step_index, version, submitted_at, decided_at, created_at, updated_at,"
                    " certificate_class, retire_two_in_one, veteran, publicity_result) FROM STDIN"
                ) as copy:
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
                                    actors[(enums.UNIT, unit_id)],
                                )
                            )
                        if decided:
                            by = (
                                actors[(enums.DISTRICT_HR, jid)]
                                if steps[-1] == enums.DISTRICT_HR
                                else actors[steps[-1]]
                            )
                            review_rows.append(
                                (
                                    app_id,
                                    step,
                                    steps[-1],
                                    "approve" if status == ApplicationState.APPROVED else "reject",
                                    pending(steps[-1]),
                                    status,
                                    decided,
                                    by,
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
                    "COPY application_review (application_id, step_index, step_role, action, from_status, to_status,"
                    " created_at) FROM STDIN"
                ) as copy:
                    for row in review_rows:
                        copy.write_row(row[:7])
                copy_registrations(cur, reg_rows)
                copy_audit(cur, review_rows, chain, audit)
                del review_rows, reg_rows
            # 申报材料 of every submitted application (the first reviewer's approval requires them); the
            # files themselves are not written, only their rows.
            cur.execute(
                "INSERT INTO material (application_id, original_name, stored_name, content_type, size, sha256,"
                " uploaded_at) SELECT id, '申报材料.pdf', 'bench-' || id || '.pdf', 'application/pdf', 1024,"
                " repeat('0', 64), submitted_at FROM application WHERE status <> %s",
                (ApplicationState.DRAFT,),
            )
            for table in ("worker", "application", "application_review", "registration", "audit_log"):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}','id'), (SELECT max(id) FROM {table}))"
                )
            raw.commit()
    # As autovacuum would after a load: statistics, and the visibility map that lets counts and id lists
    # come from the indexes alone.
    with psycopg.connect(f"{admin_dsn}/{args.db}", autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        counts = {}
        for table in (
            "organisation",
            "worker",
            "application",
            "application_review",
            "registration",
            "audit_log",
        ):
            counts[table] = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    print({"seconds": round(time.time() - started), **counts})


if __name__ == "__main__":
    main()
