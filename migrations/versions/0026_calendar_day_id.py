"""calendar_day rows get an id (the admin's 工作日历 list, forms and audit rows address rows by id, as every
other list does); the day stays unique. The rows are copied over.

Revision ID: 0026
Revises: 0025
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

COPY = "INSERT INTO calendar_day_next (day, working, note) SELECT day, working, note FROM calendar_day ORDER BY day"
COPY_BACK = "INSERT INTO calendar_day_next (day, working, note) SELECT day, working, note FROM calendar_day"


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    if _postgresql():  # constraint names are index names, unique per schema: free the name first
        op.execute("ALTER TABLE calendar_day RENAME CONSTRAINT pk_calendar_day TO pk_calendar_day_old")
    op.create_table(
        "calendar_day_next",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("working", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=50), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_calendar_day"),
        sa.UniqueConstraint("day", name="uq_calendar_day_day"),
    )
    op.execute(COPY)
    op.drop_table("calendar_day")
    op.rename_table("calendar_day_next", "calendar_day")
    if _postgresql():
        op.execute("ALTER SEQUENCE calendar_day_next_id_seq RENAME TO calendar_day_id_seq")


def downgrade():
    if _postgresql():
        op.execute("ALTER TABLE calendar_day RENAME CONSTRAINT pk_calendar_day TO pk_calendar_day_old")
        op.execute(
            "ALTER TABLE calendar_day RENAME CONSTRAINT uq_calendar_day_day TO uq_calendar_day_day_old"
        )
    op.create_table(
        "calendar_day_next",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("working", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=50), nullable=False),
        sa.PrimaryKeyConstraint("day", name="pk_calendar_day"),
    )
    op.execute(COPY_BACK)
    op.drop_table("calendar_day")
    op.rename_table("calendar_day_next", "calendar_day")
