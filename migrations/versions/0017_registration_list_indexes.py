"""准考证号 in byte order, one index for its prefix search and its sort; 考核评审 and 资格认定 by batch (issue 16)

Revision ID: 0017
Revises: 0016

成绩录入 opens sorted by 准考证号, and 考试报名/成绩录入 search it by prefix. The prefix index
(``text_pattern_ops``) serves the search but no ORDER BY, so the list over every batch sorted all 286k
registered rows for its first page. On PostgreSQL the column now compares in byte order (``COLLATE "C"``: a
准考证号 is digits, so its order is unchanged), and one plain index (ticket_number, id) serves both the
prefix search and the sort in either direction (ties by id, as the lists break them). It replaces the prefix
index. SQLite's LIKE does not use an index either way.

考核评审 and 资格认定 list the registrations that reached their stage (evaluation_status, recognition_status
not empty) of the current batch, newest first: the batch's 85k registrations were read to find them. A
partial index per stage, (batch_id, id) of the rows in the stage, makes that page an index range; a new
registration (the final approval's insert) is in neither, so the bulk approval writes no more index entries;
entering a vote or a recognition writes one entry more.

The lists' sorts by 报名时间 and by the three scores read a batch's rows that have a value in the column's
order, then the others (views.mixins.listing.page_groups): a partial index (batch_id, column, id) of the rows
with a value each. A new registration has none of these values, so the final approval's insert writes none
of them; registering writes one entry, entering scores three. ``registration``: ten indexes before, sixteen
after, six of them partial (empty until a row reaches the stage or gets the value).
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


# (index, stage column): a stage list's rows of a batch in id order
STAGES = [
    ("ix_registration_evaluation_order", "evaluation_status"),
    ("ix_registration_recognition_order", "recognition_status"),
]
# (index, column): a batch's rows that have a value, in the column's order (报名时间, the three scores)
SORTED = [
    ("ix_registration_batch_registered", "registered_at"),
    ("ix_registration_batch_theory", "theory_score"),
    ("ix_registration_batch_practice", "practice_score"),
    ("ix_registration_batch_review", "review_score"),
]


def _in_stage(column: str) -> dict:
    condition = sa.text(f"{column} IS NOT NULL")
    return {"postgresql_where": condition, "sqlite_where": condition}


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    op.drop_index("ix_registration_ticket_prefix", table_name="registration")
    if _postgresql():
        op.alter_column(
            "registration",
            "ticket_number",
            type_=sa.String(30, collation="C"),
            existing_type=sa.String(30),
            existing_nullable=True,
        )
    op.create_index("ix_registration_ticket_order", "registration", ["ticket_number", "id"])
    for name, column in STAGES:
        op.create_index(name, "registration", ["batch_id", "id"], **_in_stage(column))
    for name, column in SORTED:
        op.create_index(name, "registration", ["batch_id", column, "id"], **_in_stage(column))


def downgrade():
    for name, _column in STAGES + SORTED:
        op.drop_index(name, table_name="registration")
    op.drop_index("ix_registration_ticket_order", table_name="registration")
    if _postgresql():
        op.alter_column(
            "registration",
            "ticket_number",
            type_=sa.String(30),
            existing_type=sa.String(30, collation="C"),
            existing_nullable=True,
        )
    op.create_index(
        "ix_registration_ticket_prefix",
        "registration",
        ["ticket_number"],
        postgresql_ops={"ticket_number": "text_pattern_ops"},
    )
