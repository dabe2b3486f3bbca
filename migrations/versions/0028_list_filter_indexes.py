"""list filters counted from an index (issue 16): three indexes of application carry the columns the lists
filter by, and three small partial indexes of registration hold the rows that meet a rare condition

Revision ID: 0028
Revises: 0026

No index is added to ``application`` (each is written again by every approval, none of them HOT: issue 14):

- ``uq_application_registration_key`` (the key the registration's foreign key refers to) is led by
  ``applied_trade_id, batch_id`` instead of ``id`` (a foreign key accepts its unique index's columns in any
  order) and includes ``status``: a list filtered by 申报工种 (and 批次) reads one range of it, its count from
  the index alone. EXPLAIN at 1M, the office's 申报工种 count: a parallel sequential scan of 616k rows,
  13.3k buffers, became an index-only scan of the trade's entries.
- ``ix_application_jurisdiction_order`` (a 区县's rows in id order) includes ``status, org_category,
  applied_trade_id`` beside ``worker_id``: the bureau's count filtered by 组织类别 or 申报工种 read the 26,000
  rows of its 区县 from the heap (bitmap heap scan, 18.4k buffers); now the index alone.
- ``ix_application_status_batch_submitted`` (the review queues) includes ``org_category, applied_trade_id,
  applied_grade``: a queue's count filtered by one of them (office 待我审核: 143k rows, 3.6k–18k heap buffers)
  reads the index alone.

``registration``: 缺考, 自愿参加培训 and an exact 成绩录入时间 are conditions few rows meet (none, in the
generated data); the filtered count read the stage's 286k–429k rows to find them. Partial indexes hold just
those rows (empty at insert: a registration or a score entry writes one entry more only for a row that meets
the condition).
"""

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0026"
branch_labels = None
depends_on = None

KEY_FK = "fk_registration_application_id_application"
COPIED = ["application_id", "batch_id", "worker_id", "unit_id", "applied_trade_id"]
OLD_KEY = ["id", "batch_id", "worker_id", "unit_id", "applied_trade_id"]
NEW_KEY = ["applied_trade_id", "batch_id", "id", "worker_id", "unit_id"]
PARTIAL = (
    ("ix_registration_absent", ["status", "id"], "absent"),
    ("ix_registration_voluntary_training", ["status", "id"], "voluntary_training"),
    ("ix_registration_scores_entered", ["scores_entered_at", "id"], "scores_entered_at IS NOT NULL"),
)
APPLICATION = {  # name: (columns, included columns before, included columns after)
    "ix_application_jurisdiction_order": (
        ["jurisdiction_id", "id"],
        ["worker_id"],
        ["worker_id", "status", "org_category", "applied_trade_id"],
    ),
    "ix_application_status_batch_submitted": (
        ["status", "batch_id", "submitted_at", "id"],
        [],
        ["org_category", "applied_trade_id", "applied_grade"],
    ),
}


def _registration_key(columns, include):
    """Replace the unique index the registration's foreign key refers to. PostgreSQL ties the key to the
    index: the key is dropped with it and made again (checking every registration); SQLite looks the index
    up when a row is written, so the index alone is replaced."""
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.drop_constraint(KEY_FK, "registration", type_="foreignkey")
    op.drop_index("uq_application_registration_key", table_name="application")
    op.create_index(
        "uq_application_registration_key",
        "application",
        columns,
        unique=True,
        postgresql_include=include,
    )
    if postgresql:
        op.create_foreign_key(KEY_FK, "registration", "application", COPIED, OLD_KEY, onupdate="CASCADE")


def _application_indexes(after: bool):
    for name, (columns, before_include, after_include) in APPLICATION.items():
        op.drop_index(name, table_name="application")
        op.create_index(
            name, "application", columns, postgresql_include=after_include if after else before_include
        )


def upgrade():
    _registration_key(NEW_KEY, ["status"])
    _application_indexes(after=True)
    for name, columns, where in PARTIAL:
        op.create_index(
            name,
            "registration",
            columns,
            postgresql_where=sa.text(where),
            sqlite_where=sa.text(where),
        )


def downgrade():
    for name, _columns, _where in PARTIAL:
        op.drop_index(name, table_name="registration")
    _application_indexes(after=False)
    _registration_key(OLD_KEY, [])
