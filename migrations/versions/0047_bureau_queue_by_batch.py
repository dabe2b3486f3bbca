"""A 区县 bureau's 待我审核 at 10M (issue 16): its queue of the current 批次 counted from one index

Revision ID: 0047
Revises: 0046

The queue is ``jurisdiction_id IN (…) AND status = 'pending_district_hr' AND batch_id = …``. With no index holding
the 区县, the state and the batch, the planner walked the 区县's whole range of ``ix_application_jurisdiction_order``
(256k entries at 10M, 7,255 heap fetches, two parallel workers) for the 5,546 rows waiting: 49.4 ms (EXPLAIN ANALYZE
BUFFERS, gk_10m; the page 63 / 67 ms through gunicorn). Filtered by 申报工种, the queue was a BitmapAnd of the
区县's waiting rows (27,720 entries, every batch) and the trade's 175,440, then 22,148 table pages for 490 rows: 191 ms
for the count and 148 again for the page (260 / 270 ms through gunicorn). ``ix_application_jurisdiction_status_grade``
(jurisdiction_id, status, applied_grade, id) now includes ``batch_id``, ``applied_trade_id``, ``org_category`` and
``submitted_at`` (the queue's order): the queue's count, and its count and page filtered by 批次, 申报工种 or 组织类别,
read the 区县's waiting rows from the index alone. Same number of indexes; no change of what a row's update writes.
"""

from alembic import op

revision = "0047"
down_revision = "0046"
branch_labels = None
depends_on = None

NAME = "ix_application_jurisdiction_status_grade"
COLUMNS = ["jurisdiction_id", "status", "applied_grade", "id"]


def _recreate(include):
    op.drop_index(NAME, table_name="application")
    op.create_index(NAME, "application", COLUMNS, postgresql_include=include)


def upgrade():
    _recreate(["batch_id", "applied_trade_id", "org_category", "submitted_at"])


def downgrade():
    _recreate([])
