"""Hostile spreadsheets against the 附表5 import (issue 13.1): each file of the issue is built, posted to
POST /registrations/import/ through the app as a logged-in unit user, and its time and extra memory printed.

Each file runs in its own process, after a warm-up import of a small valid file (so module imports and the
first request are not counted); "extra memory" is the process's peak RSS during the request (VmHWM, reset just
before it) minus its RSS before it. The last line is the worst legitimate-sized file: 20,000 filled rows none of which
match a candidate — every row checked, every problem listed, the marked copy written.

Usage:  .venv/bin/python bench/import_limits_bench.py [--runs 2] [--database-url URL] [--only TEXT]
Default database: a fresh SQLite file (migrated, the test world's dictionaries and users).
"""

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
MB = 1024 * 1024


def status_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def reset_peak() -> None:
    """Reset VmHWM to the current RSS (Linux ≥ 4.0)."""
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")


def make_app(database_url: str, upload_dir: str):
    from admin_app import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_DIR": upload_dir,
            "WTF_CSRF_ENABLED": False,
            "SECRET_KEY": "bench-only",
            "LOGIN_RATE_LIMIT": "100000 per minute",
        }
    )


def prepare(database_url: str, upload_dir: str) -> None:
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from admin_app.extensions import db
    from tests import factories

    app = make_app(database_url, upload_dir)
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
        factories.build_world()


def files() -> dict:
    from tests import hostile_spreadsheets as hostile

    named = {name: build for name, (build, _expected) in hostile.ATTACKS.items()}
    named["zip bomb (200 MB sheet)"] = lambda: hostile.zip_bomb(200)
    named["legitimate maximum: 20,000 rows, none matching"] = legitimate_maximum
    return named


def legitimate_maximum(rows: int = 20_000) -> bytes:
    """The largest file the limits let through, as Excel saves it (shared strings): 20,000 filled 附表5 rows
    whose ID numbers match no candidate of the unit, so every row is checked and reported."""
    import io

    from openpyxl import Workbook

    from tests.hostile_spreadsheets import HEADER

    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for n in range(1, rows + 1):
        sheet.append(
            [n, f"考生{n}", "男", "汉族", f"500103199001{n:06d}", "1990-01-01", "高中", "测试单位", "电工"]
            + ["五级（初级工）", f"138{n:08d}", "否", "理论和实作", ""]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run_one(name: str, database_url: str, upload_dir: str) -> dict:
    import io
    import re

    from tests import factories
    from tests.hostile_spreadsheets import many_rows

    app = make_app(database_url, upload_dir)
    client = app.test_client()
    client.post("/login", data={"username": "unit_a", "password": factories.PASSWORD})

    def post(data: bytes):
        return client.post(
            "/registrations/import/",
            data={"file": (io.BytesIO(data), "附表5.xlsx")},
            content_type="multipart/form-data",
        )

    post(many_rows(3))  # warm-up: imports, templates, first request
    data = files()[name]()
    gc.collect()
    before = status_mb("VmRSS")
    reset_peak()
    started = time.perf_counter()
    response = post(data)
    seconds = time.perf_counter() - started
    extra = status_mb("VmHWM") - before
    body = re.sub(r"\s+", " ", response.get_data(as_text=True))
    found = re.search(r'<table[^>]*id="problems".*?<td>(?:\d*)</td><td>[^<]*</td><td>([^<]*)</td>', body)
    count = re.search(r"共发现 (\d+) 处问题", body)
    return {
        "name": name,
        "kb": round(len(data) / 1024),
        "status": response.status_code,
        "seconds": round(seconds, 3),
        "extra_mb": round(extra, 1),
        "problems": int(count.group(1)) if count else 0,
        "message": found.group(1)[:70] if found else "",
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--database-url")
    parser.add_argument("--one")
    parser.add_argument("--upload-dir")
    parser.add_argument("--only", help="run only the files whose name contains this text")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.database_url, args.upload_dir), ensure_ascii=False))
        return
    work = tempfile.mkdtemp(prefix="gk-import-bench-")
    database_url = args.database_url or f"sqlite:///{work}/bench.db"
    upload_dir = os.path.join(work, "uploads")
    prepare(database_url, upload_dir)
    with open("/proc/loadavg") as load:
        print(
            f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average {load.read().split()[:3]}"
        )
    print(f"# database {database_url.split('@')[-1]}")
    print("| file | size | run | seconds | extra MB | answer |")
    print("|---|---|---|---|---|---|")
    for name in files():
        if args.only and args.only not in name:
            continue
        for run in range(1, args.runs + 1):
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--one",
                    name,
                    "--database-url",
                    database_url,
                    "--upload-dir",
                    upload_dir,
                ],
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
            if out.returncode:
                print(f"| {name} | | {run} | FAILED | | {out.stderr.strip().splitlines()[-1:]} |")
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            answer = r["message"] if r["problems"] <= 1 else f"{r['problems']} problems listed, marked copy"
            print(
                f"| {name} | {r['kb']:,} KB | {run} | {r['seconds']:.2f} | {r['extra_mb']:.1f} | "
                f"{r['status']}: {answer} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
