"""成绩导入 at the centre's volume (issue 17: 10,000 rows in ≤ 5 s): a batch of N 已报名 candidates (one in five a
技师 with 综合评审, 5 % 缺考, 1 % 违纪), the template prefilled for the batch and filled in, then posted to
POST /scores/score-import/ through the app as 市职鉴中心 — read, every row checked, every row entered through the
engine (one transaction, an audit row each). Before each run the batch's scores are cleared, so each run is a
first entry of every row; a last run posts the same file with every 业务理论成绩 changed (all 更正).

Prints, per run, the request's time and the time of the read alone, then the median with the load average.

Usage:  .venv/bin/python bench/score_import_bench.py [--rows 10000] [--runs 3] [--database-url URL]
Default database: a fresh SQLite file (migrated, the test world's dictionaries and users).
"""

import argparse
import io
import os
import re
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)

from import_limits_bench import make_app, prepare  # noqa: E402 - after the path is set


def load() -> str:
    with open("/proc/loadavg") as handle:
        return " ".join(handle.read().split()[:3])


def candidates(rows: int) -> int:
    """Copies of one 已报名 candidate of unit A (worker, application, registration) with their own names, ID
    numbers and 准考证号, inserted in bulk; one in five of grade 2 (技师). Returns the batch id."""
    import sqlalchemy as sa

    from admin_app.extensions import db
    from admin_app.services.validators import resident_check_digit
    from admin_app.workflow.states import ApplicationState, RegistrationState
    from models import Application, ExamBatch, Organisation, Registration, Trade, Worker
    from tests import factories

    batch = db.session.scalar(sa.select(ExamBatch).where(ExamBatch.year == 2021))
    unit = db.session.scalar(sa.select(Organisation).where(Organisation.name == "甲单位（渝中）"))
    trade = db.session.scalar(sa.select(Trade).where(Trade.name == "电工"))
    worker = factories.add_worker(unit, "基准考生", 999, trade, batch)
    db.session.flush()
    app = factories.Application(
        **{**_fields(factories, batch, worker, unit, trade), "status": ApplicationState.APPROVED}
    )
    db.session.add(app)
    db.session.flush()
    reg = factories.add_registration(app)
    db.session.commit()

    def row_of(model, pk):
        table = model.__table__
        values = dict(db.session.execute(sa.select(table).where(table.c.id == pk)).mappings().one())
        values.pop("id")
        return table, values

    w_table, w_values = row_of(Worker, worker.id)
    a_table, a_values = row_of(Application, app.id)
    r_table, r_values = row_of(Registration, reg.id)
    start = db.session.scalar(sa.select(sa.func.max(Registration.id))) + 1
    for first in range(0, rows, 1000):
        numbers = range(first, min(first + 1000, rows))
        ids = []
        for n in numbers:
            birth = date(1965, 1, 1) + timedelta(days=n // 100)
            body = f"500103{birth:%Y%m%d}{n % 100:02d}{(n * 2 + 1) % 10}"
            new = {**w_values, "name": f"考生{n:05d}", "id_number": body + resident_check_digit(body)}
            ids.append(db.session.execute(sa.insert(w_table).values(new).returning(w_table.c.id)).scalar())
        grades = [2 if n % 5 == 0 else 4 for n in numbers]
        app_ids = [
            db.session.execute(
                sa.insert(a_table)
                .values({**a_values, "worker_id": wid, "applied_grade": g})
                .returning(a_table.c.id)
            ).scalar()
            for wid, g in zip(ids, grades, strict=True)
        ]
        db.session.execute(
            sa.insert(r_table),
            [
                {
                    **r_values,
                    "worker_id": wid,
                    "application_id": aid,
                    "applied_grade": g,
                    "status": RegistrationState.REGISTERED,
                    "ticket_number": f"2021{g}{start + n:06d}",
                }
                for n, wid, aid, g in zip(numbers, ids, app_ids, grades, strict=True)
            ],
        )
    db.session.commit()
    return batch.id


def _fields(factories, batch, worker, unit, trade) -> dict:
    return {
        "batch": batch,
        "worker": worker,
        "unit_id": unit.id,
        "jurisdiction_id": unit.jurisdiction_id,
        "org_category": unit.org_category,
        "applied_trade": trade,
        "applied_grade": 4,
        "publicity_start": date(2021, 6, 1),
        "publicity_end": date(2021, 6, 7),
        "publicity_result": "no_objection",
    }


def filled_file(batch_id: int, theory_shift: int = 0) -> tuple[bytes, float]:
    """The batch's template, downloaded as the centre would (its time), with every row filled in."""
    from admin_app.services import score_sheets

    started = time.perf_counter()
    title, rows = score_sheets.template_rows(batch_id)
    template_seconds = time.perf_counter() - started
    for n, values in enumerate(rows):
        if n % 20 == 7:
            values["缺考"] = "是"
        elif n % 100 == 3:
            values["违纪"], values["违纪原因"] = "是", "携带通讯工具"
        else:
            values["业务理论成绩"] = str(55 + (n + theory_shift) % 45)
            values["实际操作成绩"] = f"{60 + n % 40}.5"
            if values["_senior"]:
                values["综合评审成绩"] = "78"
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as handle:
        score_sheets.write_template(handle.name, title, rows)
        return open(handle.name, "rb").read(), template_seconds


def clear_scores(batch_id: int) -> None:
    """Bench setup only: the batch's rows back to 待录入 so that the next run enters every row again."""
    import sqlalchemy as sa

    from admin_app.extensions import db
    from models import Registration

    db.session.execute(
        sa.update(Registration)
        .where(Registration.batch_id == batch_id)
        .values(
            score_result=None,
            theory_score=None,
            practice_score=None,
            review_score=None,
            absent=False,
            misconduct_reason=None,
            misconduct_at=None,
            scores_entered_at=None,
            evaluation_status=None,
            recognition_status=None,
        )
    )
    db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="gk-score-import-bench-")
    database_url = args.database_url or f"sqlite:///{work}/bench.db"
    upload_dir = os.path.join(work, "uploads")
    prepare(database_url, upload_dir)
    app = make_app(database_url, upload_dir)
    from admin_app.services import score_import
    from tests import factories

    with app.app_context():
        batch_id = candidates(args.rows)
        data, template_seconds = filled_file(batch_id)
        changed, _ = filled_file(batch_id, theory_shift=1)
    client = app.test_client()
    client.post("/login", data={"username": "center", "password": factories.PASSWORD})
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average {load()}")
    print(f"# database {database_url.split('@')[-1]}, {args.rows:,} rows, file {len(data) // 1024:,} KB")
    print(f"# template for the batch (query + rows): {template_seconds:.2f} s")
    print("| run | what | request s | of which 录入成绩 (engine) s | read alone s | answer | load average |")
    print("|---|---|---|---|---|---|---|")
    engine_seconds = []
    enter_scores = score_import.enter_scores

    def timed_enter_scores(*args, **kwargs):  # the engine's share of the request
        started = time.perf_counter()
        try:
            return enter_scores(*args, **kwargs)
        finally:
            engine_seconds.append(time.perf_counter() - started)

    score_import.enter_scores = timed_enter_scores
    times = []
    for run in range(1, args.runs + 2):
        correction = run > args.runs
        with app.app_context():
            if not correction:
                clear_scores(batch_id)
            started = time.perf_counter()
            score_import.read_file(changed if correction else data)
            read_seconds = time.perf_counter() - started
        body = changed if correction else data
        started = time.perf_counter()
        response = client.post(
            "/scores/score-import/",
            data={"batch": str(batch_id), "file": (io.BytesIO(body), "成绩.xlsx")},
            content_type="multipart/form-data",
        )
        seconds = time.perf_counter() - started
        page = re.sub(r"\s+", " ", response.get_data(as_text=True))
        answer = re.search(r"新录入 \d+ 人，更正 \d+ 人，未变化 \d+ 人|共发现 \d+ 处问题", page)
        what = "all 更正" if correction else "first entry"
        in_engine = engine_seconds.pop() if engine_seconds else 0.0
        print(
            f"| {run} | {what} | {seconds:.2f} | {in_engine:.2f} | {read_seconds:.2f} | "
            f"{response.status_code}: {answer.group(0) if answer else page[-200:]} | {load()} |",
            flush=True,
        )
        if not correction:
            times.append(seconds)
    print(f"# median of {len(times)} first entries: {statistics.median(times):.2f} s (load average {load()})")


if __name__ == "__main__":
    main()
