"""Load the dictionaries of seed/data/*.csv. Idempotent: existing rows (by code or name) are kept."""

import csv
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.workflow.states import BatchState
from models import Ethnicity, ExamBatch, Jurisdiction, RouteRule, Trade

DATA = Path(__file__).parent / "data"


def _rows(name: str) -> list[dict]:
    with open(DATA / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load_jurisdictions() -> int:
    existing = {j.code: j for j in db.session.scalars(sa.select(Jurisdiction))}
    added = 0
    rows = _rows("jurisdictions.csv")
    for order, row in enumerate(rows, start=1):
        if row["code"] in existing:
            continue
        j = Jurisdiction(
            code=row["code"],
            name=row["name"],
            kind=row["kind"],
            active=row["active"] == "1",
            sort_order=order,
            note=row["note"] or None,
        )
        db.session.add(j)
        existing[j.code] = j
        added += 1
    db.session.flush()
    for row in rows:
        if row["merged_into"]:
            existing[row["code"]].merged_into = existing[row["merged_into"]]
    return added


def load_ethnicities() -> int:
    known = set(db.session.scalars(sa.select(Ethnicity.code)))
    new = [
        Ethnicity(code=r["code"], name=r["name"]) for r in _rows("ethnicities.csv") if r["code"] not in known
    ]
    db.session.add_all(new)
    return len(new)


def load_trades() -> int:
    known = set(db.session.scalars(sa.select(Trade.name)))
    new = [
        Trade(name=r["name"], category=r["category"], max_grade=int(r["max_grade"]))
        for r in _rows("trades.csv")
        if r["name"] not in known
    ]
    db.session.add_all(new)
    return len(new)


def load_routes(batch: ExamBatch) -> int:
    """The route table of SPEC §4.1 for ``batch``, only if it has none (admins own it afterwards; the next
    year's batch copies it)."""
    if db.session.scalar(sa.select(sa.func.count()).where(RouteRule.batch_id == batch.id)):
        return 0
    rows = _rows("routes.csv")
    db.session.add_all(
        RouteRule(
            batch_id=batch.id,
            org_category=r["org_category"],
            grades=r["grades"],
            steps=r["steps"],
            note=r["note"],
        )
        for r in rows
    )
    return len(rows)


def ensure_batch_2021() -> ExamBatch:
    """The batch of the 2021 notice (渝人工考〔2021〕1号), open for applications."""
    batch = db.session.scalar(sa.select(ExamBatch).where(ExamBatch.year == 2021))
    if batch is None:
        batch = ExamBatch(
            year=2021,
            name="2021年度全市机关事业单位工勤人员技术等级（岗位）考核",
            doc_number="渝人工考〔2021〕1号",
            cutoff_date=date(2020, 12, 31),
            apply_deadline=date(2021, 7, 23),
            assessment_start_year=2016,
            assessment_end_year=2020,
            state=BatchState.OPEN,
        )
        db.session.add(batch)
        db.session.flush()
    return batch


def load_all() -> dict:
    """Load every dictionary; returns how many rows of each were added. Commits."""
    counts = {
        "区县": load_jurisdictions(),
        "民族": load_ethnicities(),
        "工种": load_trades(),
    }
    counts["审核流程"] = load_routes(ensure_batch_2021())
    from seed.calendar import load_calendar  # imports DATA from here

    counts["工作日历"] = load_calendar()
    from admin_app.services.reminder_templates import seed_defaults

    counts["提醒模板"] = seed_defaults()  # the defaults of the kinds that have no template yet
    db.session.commit()
    return counts
