"""two slow cases of the quiet re-run at 1M (issue 16): the application list's count index-only, 学历 by index

Revision ID: 0036
Revises: 0035

- ``ix_application_batch_order`` (batch_id, id) includes ``status``: 考试资格申请 as it opens is counted in that
  index's order (``ListingMixin.count_order``) with the condition ``status <> 'draft'``, which fetched each of
  the 10,001 counted rows from the heap (p95 34–40 ms through gunicorn on a quiet machine); with ``status`` in
  the index the count is an index-only scan. ``status`` is already in other indexes of application, so an
  approval's update was not HOT before either: the cost is the column's bytes per entry.
- ``ix_worker_education_order`` (education, id): 工勤人员 sorted by 学历 reads value by value; a rare value walked
  the id index past most of 200k workers (p95 101–136 ms); now each value is one index range.
"""

from alembic import op

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None

BATCH_ORDER = "ix_application_batch_order"


def _batch_order(include):
    op.drop_index(BATCH_ORDER, table_name="application")
    op.create_index(BATCH_ORDER, "application", ["batch_id", "id"], postgresql_include=include)


def upgrade():
    _batch_order(["status"])
    op.create_index("ix_worker_education_order", "worker", ["education", "id"])


def downgrade():
    op.drop_index("ix_worker_education_order", table_name="worker")
    _batch_order([])
