"""the record kept at submission: one row per 提交审核 and 重新提交 with the person's and the unit's facts

Revision ID: 0015
Revises: 0014

``application_record`` keeps, at each submission and resubmission of an application, every fact of the
person and the unit that the rules and the forms use (JSON text of ``admin_app.services.records.Record``);
the forms, 附表3, the details page and the exports of a submitted application read the latest (SPEC §8.2).

Existing rows: every application already submitted (any state but 待提交 and 退回修改, which show the live
facts) gets one record (``occasion`` "upgrade", sequence 1) holding the facts as they are at the upgrade —
not as they were at its submission, which nothing stored. From then on a recognition or an edit no longer
changes them. (An application recognised before the upgrade keeps the grade it was recognised with.)
"""

from collections import defaultdict

import sqlalchemy as sa
from alembic import op

from admin_app.services import clock, records

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

CHUNK = 1000
LIVE = ("draft", "returned")  # records.LIVE_STATES, as stored


# Dates typed (SQLite hands back text otherwise); everything else as stored.
DATES = frozenset(
    {
        "birth_date",
        "work_start_date",
        "current_grade_date",
        "discipline_until",
        "graduated_on",
        "start_month",
        "end_month",
    }
)


def _table(name, *columns):
    return sa.table(name, *(sa.column(c, sa.Date()) if c in DATES else sa.column(c) for c in columns))


APPLICATION = _table("application", "id", "batch_id", "worker_id", "unit_id", "status")
BATCH = _table("exam_batch", "id", "assessment_start_year", "assessment_end_year")
WORKER = _table(
    "worker",
    "id",
    "name",
    "gender",
    "id_number",
    "birth_date",
    "ethnicity_id",
    "work_start_date",
    "phone",
    "education",
    "current_trade_id",
    "current_grade",
    "current_grade_date",
    "certificate_number",
    "certificate_trade_id",
    "years_in_trade",
    "rewards_punishments",
    "discipline_until",
    "detained_or_probation",
    "long_sick_leave_or_absence",
    "holds_professional_title",
    "other_exclusion",
    "is_veteran",
    "competition_rank",
    "honour_title",
)
ETHNICITY = _table("ethnicity", "id", "name")
TRADE = _table("trade", "id", "name")
EDUCATION = _table(
    "worker_education", "worker_id", "level", "graduated_on", "school", "major", "certificate_number"
)
JOB = _table("work_history", "worker_id", "start_month", "end_month", "employer", "trade_text")
ASSESSMENT = _table("annual_assessment", "worker_id", "year", "result")
UNIT = _table(
    "organisation",
    "id",
    "name",
    "address",
    "postcode",
    "contact_phone",
    "org_category",
    "supervisor_id",
    "jurisdiction_id",
)
JURISDICTION = _table("jurisdiction", "id", "name")


def upgrade():
    op.create_table(
        "application_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("occasion", sa.String(length=20), nullable=False),
        sa.Column("kept_at", sa.DateTime(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name=op.f("fk_application_record_application_id_application"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_record")),
        sa.UniqueConstraint(
            "application_id", "sequence", name=op.f("uq_application_record_application_id_sequence")
        ),
    )
    _keep_submitted(op.get_bind())


def downgrade():
    op.drop_table("application_record")


def _keep_submitted(conn) -> None:
    """One record of every submitted application, from the live rows now, CHUNK applications at a time."""
    now = clock.utcnow()  # naive UTC, as every stored moment
    years = {
        b.id: set(range(b.assessment_start_year, b.assessment_end_year + 1))
        for b in conn.execute(sa.select(BATCH))
    }
    ids = conn.scalars(
        sa.select(APPLICATION.c.id).where(APPLICATION.c.status.not_in(LIVE)).order_by(APPLICATION.c.id)
    ).all()
    target = sa.table(
        "application_record",
        *(sa.column(c) for c in ("application_id", "sequence", "occasion", "kept_at", "data")),
    )
    for start in range(0, len(ids), CHUNK):
        apps = conn.execute(
            sa.select(APPLICATION).where(APPLICATION.c.id.in_(ids[start : start + CHUNK]))
        ).all()
        people = _people(conn, {a.worker_id for a in apps})
        units = _units(conn, {a.unit_id for a in apps})
        rows = []
        for app in apps:
            worker, sub = people[app.worker_id]
            person = records.person_of(worker, **sub, years=years.get(app.batch_id))
            record = records.Record(person=person, unit=units[app.unit_id], kept_at=now)
            rows.append(
                {
                    "application_id": app.id,
                    "sequence": 1,
                    "occasion": "upgrade",
                    "kept_at": now,
                    "data": records.dumps(record),
                }
            )
        if rows:
            conn.execute(target.insert(), rows)


def _people(conn, worker_ids) -> dict:
    """{worker id: (row, the keyword arguments of records.person_of but years)}."""
    ids = sorted(worker_ids)
    rows = conn.execute(
        sa.select(WORKER, ETHNICITY.c.name.label("ethnicity_name"), TRADE.c.name.label("trade_name"))
        .select_from(
            WORKER.outerjoin(ETHNICITY, ETHNICITY.c.id == WORKER.c.ethnicity_id).outerjoin(
                TRADE, TRADE.c.id == WORKER.c.current_trade_id
            )
        )
        .where(WORKER.c.id.in_(ids))
    ).all()
    lists = {}
    for key, table, order in (
        ("educations", EDUCATION, EDUCATION.c.graduated_on),
        ("work_history", JOB, JOB.c.start_month),
        ("assessments", ASSESSMENT, ASSESSMENT.c.year),
    ):
        grouped = defaultdict(list)
        for row in conn.execute(sa.select(table).where(table.c.worker_id.in_(ids)).order_by(order)):
            grouped[row.worker_id].append(row)
        lists[key] = grouped
    return {
        w.id: (
            w,
            {
                "ethnicity": w.ethnicity_name,
                "current_trade": w.trade_name,
                **{key: grouped.get(w.id, []) for key, grouped in lists.items()},
            },
        )
        for w in rows
    }


def _units(conn, unit_ids) -> dict:
    supervisor = UNIT.alias("supervisor")
    rows = conn.execute(
        sa.select(
            UNIT, supervisor.c.name.label("supervisor_name"), JURISDICTION.c.name.label("jurisdiction_name")
        )
        .select_from(
            UNIT.outerjoin(supervisor, supervisor.c.id == UNIT.c.supervisor_id).outerjoin(
                JURISDICTION, JURISDICTION.c.id == UNIT.c.jurisdiction_id
            )
        )
        .where(UNIT.c.id.in_(sorted(unit_ids)))
    ).all()
    return {
        u.id: records.unit_of(u, supervisor=u.supervisor_name, jurisdiction=u.jurisdiction_name) for u in rows
    }
