"""Excel benchmarks (issue 5), each variant measured side by side in the same run, each in its own process
so that peak RSS is its own:

  export-ours     POST /applications/export.xlsx as 市工考办 (joins, scope, masking, typed cells, streamed):
                  time to the first byte of the body (the WSGI iterator's first piece) and to the last
  export-stock    Flask-Admin's built-in xlsx export (tablib, in memory, every cell text) of the same rows
  export-floor    raw xlsxwriter constant_memory from a psycopg server-side cursor (the floor)
  import-10k      附表5 import of a 10,000-row file by a unit (read, check every cell, register, commit)

Usage:  .venv/bin/python bench/excel_bench.py [--rows 100000] [--import-rows 10000] [--db gk_bench]
            [--variants export-ours,export-floor] [--repeat 2] [--reuse] [--old-tree DIR]
--repeat runs the chosen variants in turn that many times (A/B/A/B, so that load changes hit them alike);
--reuse keeps the database of an earlier run; --old-tree DIR adds "export-ours-old": export-ours run on the
code of another checkout (e.g. `git worktree add DIR <commit>`), side by side with this one.
Needs the local PostgreSQL (the database, gk_bench by default, is created and dropped).
"""

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# The application measured: this checkout, or another one (--old-tree) for a side-by-side run.
ROOT = os.environ.get("BENCH_APP_ROOT") or os.path.dirname(HERE)
sys.path.insert(0, ROOT)
PG = os.environ.get("BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
DB = os.environ.get("BENCH_DB", "gk_bench")


def peak_rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def reset_peak() -> None:
    """Reset VmHWM (Linux ≥ 4.0) after set-up, so a variant's peak is that of its own work plus the
    resident app; the login's scrypt hash (32 MB by design) is not an export cost."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        pass


def make_app():
    from admin_app import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"{PG}/{DB}",
            "UPLOAD_DIR": "/tmp/gk-bench-uploads",
            "WTF_CSRF_ENABLED": False,
        }
    )


# --- data -------------------------------------------------------------------------------------------------
def prepare(rows: int, import_rows: int) -> None:
    import psycopg
    import sqlalchemy as sa
    from flask_migrate import upgrade

    with psycopg.connect(PG.replace("+psycopg", "") + "/test", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")
    app = make_app()
    with app.app_context():
        from admin_app.extensions import db
        from admin_app.workflow.states import ApplicationState, ExamCategory, RegistrationState, pending
        from models import ExamBatch, Jurisdiction, Organisation, Trade, User, enums
        from seed import dictionaries
        from tests.factories import make_id_number, password_hash

        upgrade()
        dictionaries.load_all()
        batch = db.session.scalar(sa.select(ExamBatch))
        trade = db.session.scalar(sa.select(Trade).where(Trade.name == "电工"))
        jurisdictions = db.session.scalars(sa.select(Jurisdiction).where(Jurisdiction.active.is_(True))).all()
        office = Organisation(name="市工考办", kind=enums.OFFICE)
        db.session.add(office)
        db.session.add(User(username="office", organisation=office, password_hash=password_hash()))
        units = []
        for i in range(100):
            unit = Organisation(
                name=f"测试单位{i:03d}",
                kind=enums.UNIT,
                uscc=f"BENCH{i:013d}",
                org_category=enums.CAT_DISTRICT,
                jurisdiction=jurisdictions[i % len(jurisdictions)],
                address="重庆",
                postcode="400000",
                contact_person="张三",
                contact_phone="023-88152255",
            )
            units.append(unit)
        db.session.add_all(units)
        db.session.add(User(username="importer", organisation=units[0], password_hash=password_hash()))
        db.session.commit()
        from datetime import date, timedelta

        # 100,000 applications in all; the import candidates' approved applications are part of them.
        total = rows
        worker_rows, app_rows = [], []
        for n in range(total):
            unit = units[0] if n >= rows - import_rows else units[n % 100]
            # 12,000 birth dates × 100 sequence numbers: unique ID numbers for up to 1.2 million people.
            birth = date(1960, 1, 1) + timedelta(days=n % 12000)
            number = make_id_number("500103", birth, (n // 12000) % 100, "M" if n % 2 else "F")
            # Distinct IDs: vary the sequence digits through the birth date as well.
            worker_rows.append(
                {
                    "id": n + 1,
                    "unit_id": unit.id,
                    "name": f"工人{n:06d}",
                    "gender": "M" if n % 2 else "F",
                    "id_number": number,
                    "birth_date": birth,
                    "education": "high_school",
                    "current_trade_id": trade.id,
                    "current_grade": 4,
                    "certificate_trade_id": trade.id,
                    "detained_or_probation": False,
                    "long_sick_leave_or_absence": False,
                    "holds_professional_title": False,
                    "is_veteran": False,
                    "created_at": date(2021, 1, 1),
                    "updated_at": date(2021, 1, 1),
                }
            )
        # make_id_number can repeat for the same (birth, seq, sex): keep the first of each.
        seen, unique = set(), []
        for w in worker_rows:
            if w["id_number"] not in seen:
                seen.add(w["id_number"])
                unique.append(w)
        worker_rows = unique
        from models import Application, Registration, Worker

        db.session.execute(sa.insert(Worker), worker_rows)
        cut = rows - import_rows
        import_workers = [w for w in worker_rows if w["id"] > cut]
        export_workers = [w for w in worker_rows if w["id"] <= cut]
        for w in export_workers + import_workers:
            app_rows.append(
                {
                    "id": w["id"],
                    "batch_id": batch.id,
                    "worker_id": w["id"],
                    "unit_id": w["unit_id"],
                    "jurisdiction_id": units[(w["id"] - 1) % 100].jurisdiction_id
                    if w["id"] <= rows
                    else units[0].jurisdiction_id,
                    "org_category": enums.CAT_DISTRICT,
                    "applied_trade_id": trade.id,
                    "applied_grade": 3,
                    "status": ApplicationState.APPROVED
                    if w["id"] > rows
                    else (
                        ApplicationState.DRAFT,
                        pending(enums.DISTRICT_HR),
                        ApplicationState.APPROVED,
                        ApplicationState.REJECTED,
                    )[w["id"] % 4],
                    "route": "district_hr",
                    "step_index": 0,
                    "version": 1,
                    "certificate_class": False,
                    "retire_two_in_one": False,
                    "veteran": False,
                    "publicity_result": "no_objection",
                    "created_at": date(2021, 6, 1),
                    "updated_at": date(2021, 6, 1),
                }
            )
        db.session.execute(sa.insert(Application), app_rows)
        assert import_workers, "no workers left for the import"
        db.session.execute(
            sa.insert(Registration),
            [
                {
                    "application_id": w["id"],
                    "batch_id": batch.id,
                    "worker_id": w["id"],
                    "unit_id": units[0].id,
                    "jurisdiction_id": units[0].jurisdiction_id,
                    "org_category": enums.CAT_DISTRICT,
                    "applied_trade_id": trade.id,
                    "applied_grade": 3,
                    "status": RegistrationState.UNREGISTERED,
                    "voluntary_training": False,
                    "exam_category": ExamCategory.BOTH,
                    "absent": False,
                    "version": 1,
                    "created_at": date(2021, 7, 1),
                    "updated_at": date(2021, 7, 1),
                }
                for w in import_workers
            ],
        )
        db.session.commit()
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
        print(
            json.dumps({"prepared": {"export_rows": len(export_workers), "import_rows": len(import_workers)}})
        )


# --- variants (each runs in a fresh process) -----------------------------------------------------------
def export_ours():
    """(seconds to the last byte, bytes, seconds to the first byte, rows exported)."""
    app = make_app()
    client = app.test_client()
    client.post("/login", data={"username": "office", "password": "Passw0rd2021"})
    reset_peak()
    status, elapsed, size, first_byte = read_download(client, "/applications/export.xlsx")
    assert status == 200, status
    return elapsed, size, first_byte, exported_rows(app)


def read_download(client, url: str, query: dict | None = None) -> tuple[int, float, int, float | None]:
    """POST to ``url`` (导出查询结果 is a form: it may queue a 下载中心 job; the bench apps run without CSRF, like
    their login) and read the body in pieces as the WSGI server would send them, rather than buffering it:
    (status, seconds to the last byte, bytes, seconds to the first byte)."""
    start = time.perf_counter()
    response = client.post(url, query_string=query or {}, buffered=False)
    size, first_byte = 0, None
    for piece in response.response:
        if piece and first_byte is None:
            first_byte = time.perf_counter() - start
        size += len(piece)
    response.close()
    return response.status_code, time.perf_counter() - start, size, first_byte


def exported_rows(app) -> int | None:
    """The rows of the last export, as its audit row records them (outside the timing)."""
    import sqlalchemy as sa

    from admin_app.extensions import db
    from models import AuditLog

    with app.app_context():
        detail = db.session.scalar(
            sa.select(AuditLog.detail)
            .where(AuditLog.action == "export")
            .order_by(AuditLog.id.desc())
            .limit(1)
        )
    if isinstance(detail, str):  # stored as JSON text
        detail = json.loads(detail)
    return (detail or {}).get("rows")


def export_stock():
    from flask import Flask
    from flask_admin import Admin
    from flask_admin.contrib.sqla import ModelView

    from admin_app.extensions import db
    from models import Application
    from views.application_area import ApplicationView

    app = Flask(__name__)
    app.config.update(SQLALCHEMY_DATABASE_URI=f"{PG}/{DB}", SECRET_KEY="bench")
    db.init_app(app)

    class StockView(ModelView):
        can_export = True
        export_types = ["xlsx"]
        column_list = column_export_list = ApplicationView.column_list  # the same columns as ours
        column_labels = ApplicationView.column_labels

    admin = Admin(app, url="/")
    admin.add_view(StockView(Application, db, endpoint="stock"))
    from flask_babel import Babel

    Babel(app, locale_selector=lambda: "zh_CN")
    client = app.test_client()
    reset_peak()
    start = time.perf_counter()
    response = client.get("/stock/export/xlsx/", buffered=False)
    size = sum(len(chunk) for chunk in response.response)
    response.close()
    elapsed = time.perf_counter() - start
    assert response.status_code == 200, (response.status_code, response.get_data()[:500])
    return elapsed, size


def export_floor():
    import psycopg
    import xlsxwriter

    from admin_app.workflow.states import ApplicationState
    from views.application_area import ApplicationView

    # The SQL below selects these columns of the list, in its order; the headers are the list's labels.
    selected = [
        "batch.year",
        "worker.name",
        "worker.id_number",
        "unit.name",
        "jurisdiction.name",
        "applied_trade.name",
        "applied_grade",
        "quota_exempt_reason",
        "status",
        "submitted_at",
    ]
    assert selected == ApplicationView.column_list, "the floor's SQL no longer selects the list's columns"
    headers = [ApplicationView.column_labels[name] for name in selected]
    path = "/tmp/gk-bench-floor.xlsx"
    start = time.perf_counter()
    workbook = xlsxwriter.Workbook(path, {"constant_memory": True})
    sheet = workbook.add_worksheet("考试资格申请")
    for c, h in enumerate(headers):
        sheet.write_string(0, c, h)
    sql = """
        SELECT b.year, w.name, w.id_number, o.name, j.name, t.name, a.applied_grade, a.quota_exempt_reason, a.status, a.submitted_at
        FROM application a JOIN worker w ON w.id = a.worker_id JOIN organisation o ON o.id = a.unit_id
        LEFT JOIN jurisdiction j ON j.id = a.jurisdiction_id JOIN trade t ON t.id = a.applied_trade_id
        JOIN exam_batch b ON b.id = a.batch_id
        WHERE a.status <> %s
        ORDER BY a.id DESC
    """  # the rows the office's list shows (its scope leaves out the units' drafts): the same rows as ours
    with psycopg.connect(PG.replace("+psycopg", "") + f"/{DB}") as conn, conn.cursor(name="floor") as cursor:
        cursor.itersize = 1000
        cursor.execute(sql, (ApplicationState.DRAFT.value,))
        r = 0
        for r, row in enumerate(cursor, start=1):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, int):
                    sheet.write_number(r, c, value)
                elif hasattr(value, "year"):
                    sheet.write_datetime(r, c, value)
                else:
                    sheet.write_string(r, c, str(value))
    workbook.close()
    elapsed = time.perf_counter() - start
    # xlsxwriter sends nothing before close(): its first byte is its last.
    return elapsed, os.path.getsize(path), elapsed, r


def import_10k():
    import io

    from openpyxl import Workbook

    app = make_app()
    with app.app_context():
        import sqlalchemy as sa

        from admin_app.extensions import db
        from admin_app.workflow.states import RegistrationState
        from models import Registration, Worker

        rows = db.session.execute(
            sa.select(Worker.name, Worker.gender, Worker.id_number, Worker.birth_date)
            .join(Registration, Registration.worker_id == Worker.id)
            .where(Registration.status == RegistrationState.UNREGISTERED)
        ).all()
    book = Workbook()
    sheet = book.active
    sheet.title = "考生信息"
    sheet.append(
        [
            "序号",
            "姓名",
            "性别",
            "身份证号码",
            "出生日期",
            "报考工种",
            "报考等级",
            "联系电话",
            "是否自愿参加培训",
            "考试类别",
        ]
    )
    for n, (name, gender, number, birth) in enumerate(rows, start=1):
        sheet.append(
            [
                n,
                name,
                "男" if gender == "M" else "女",
                number,
                birth.isoformat(),
                "电工",
                "三级（高级工）",
                "13800001111",
                "否",
                "理论和实作",
            ]
        )
    out = io.BytesIO()
    book.save(out)
    data = out.getvalue()
    client = app.test_client()
    client.post("/login", data={"username": "importer", "password": "Passw0rd2021"})
    reset_peak()
    start = time.perf_counter()
    response = client.post(
        "/registrations/import/",
        data={"file": (io.BytesIO(data), "附表5.xlsx")},
        content_type="multipart/form-data",
    )
    elapsed = time.perf_counter() - start
    body = response.get_data(as_text=True)
    assert f"已导入 {len(rows)} 名考生" in body, body[body.find("alert") : body.find("alert") + 300]
    return elapsed, len(rows)


VARIANTS = {
    "export-ours": export_ours,
    "export-stock": export_stock,
    "export-floor": export_floor,
    "import-10k": import_10k,
}


def run_variant(name: str, rows: int, old_tree: str | None = None) -> dict:
    env = dict(os.environ, BENCH_ROWS=str(rows), BENCH_DB=DB)
    variant, root = name, os.path.dirname(HERE)
    if name == "export-ours-old":
        variant, root = "export-ours", old_tree
        env["BENCH_APP_ROOT"] = old_tree
    env["PYTHONPATH"] = root
    out = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--variant", variant],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        timeout=900,
    )
    if out.returncode != 0:
        return {"variant": name, "error": out.stderr.strip().splitlines()[-1] if out.stderr else "failed"}
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["variant"] = name
    return result


def load_average() -> str:
    with open("/proc/loadavg") as handle:
        return " ".join(handle.read().split()[:3])


def main():
    global DB
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--import-rows", type=int, default=10_000)
    parser.add_argument("--db", default=DB)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="keep the database of an earlier run")
    parser.add_argument("--old-tree", help="another checkout: adds export-ours-old, run on its code")
    parser.add_argument("--variant")
    args = parser.parse_args()
    DB = args.db
    if args.variant:
        result = VARIANTS[args.variant]()
        elapsed, size = result[:2]
        extra = {"first_byte_s": round(result[2], 3), "rows": result[3]} if len(result) > 2 else {}
        print(
            json.dumps(
                {
                    "variant": args.variant,
                    "seconds": round(elapsed, 2),
                    **extra,
                    "peak_rss_mb": round(peak_rss_mb(), 1),
                    "size": size,
                }
            )
        )
        return
    if not args.reuse:
        prepare(args.rows, args.import_rows)
    names = args.variants.split(",") + (["export-ours-old"] if args.old_tree else [])
    for round_number in range(1, args.repeat + 1):
        results = []
        for name in names:
            before = load_average()
            result = run_variant(name, args.rows, args.old_tree)
            result.update({"round": round_number, "load_before": before, "load_after": load_average()})
            results.append(result)
        floor = next(
            (r["seconds"] for r in results if r["variant"] == "export-floor" and "seconds" in r), None
        )
        for r in results:
            if floor and r["variant"].startswith("export") and "seconds" in r:
                r["x_floor"] = round(r["seconds"] / floor, 2)
            print(json.dumps(r, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
