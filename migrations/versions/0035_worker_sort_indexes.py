"""工勤人员 at scale (issue 16): its date sorts by index, its name search from the index alone

Revision ID: 0035
Revises: 0034

- ``ix_worker_work_start_order`` (参加工作时间, id) and ``ix_worker_grade_date_order`` (现等级时间, id): a page of the
  office's 工勤人员 sorted by either date read every worker in scope and sorted them (a parallel sequential scan of
  200k workers, 3,367 buffers, 97 ms at 1M); with the index, newest first, an index-only scan of 20 entries
  (4 buffers), oldest first an incremental sort of the first date's entries (26 buffers, 2 ms), and a deep page
  (offset 8,000) 26 buffers. The empty dates are read apart (``ListingMixin.page_groups``).
- ``ix_worker_name_prefix`` includes ``id``: the broad name search (a prefix matching thousands of workers) reads
  the matching workers' ids from the index alone instead of fetching each row (1,713 of the search count's 1,916
  buffers at 1M were those fetches).
Workers are written by units one at a time; the write cost of the indexes is one entry each.
"""

from alembic import op

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None

PREFIX = "ix_worker_name_prefix"


def _prefix(include):
    op.drop_index(PREFIX, table_name="worker")
    op.create_index(
        PREFIX, "worker", ["name"], postgresql_ops={"name": "text_pattern_ops"}, postgresql_include=include
    )


def upgrade():
    op.create_index("ix_worker_work_start_order", "worker", ["work_start_date", "id"])
    op.create_index("ix_worker_grade_date_order", "worker", ["current_grade_date", "id"])
    _prefix(["id"])


def downgrade():
    _prefix([])
    op.drop_index("ix_worker_grade_date_order", table_name="worker")
    op.drop_index("ix_worker_work_start_order", table_name="worker")
