"""a 区县 bureau's 考试资格申请 counted from one index (issue 16): ``ix_application_jurisdiction_order`` includes
``batch_id``

Revision ID: 0033
Revises: 0032

The bureau's list as it opens is its 区县's applications of the current 批次. Its capped count combined two bitmaps
(the 区县's 26,000 entries and the batch's 200,000) and read the 4,457 rows from the heap: 4,449 buffers at 1M.
With ``batch_id`` among the included columns the 区县's range of ``ix_application_jurisdiction_order`` answers it
alone: an index-only scan of 201 buffers (EXPLAIN (ANALYZE, BUFFERS), bench/README.md), and a deep page of the
bureau's list (``ORDER BY id DESC OFFSET 4400``) 44 buffers. No index is added; the index grows by one integer per
entry, and an approval writes it as before (``status``, already included, makes its updates not HOT).
"""

from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

NAME = "ix_application_jurisdiction_order"
BEFORE = ["worker_id", "status", "org_category", "applied_trade_id"]


def _replace(include):
    op.drop_index(NAME, table_name="application")
    op.create_index(NAME, "application", ["jurisdiction_id", "id"], postgresql_include=include)


def upgrade():
    _replace([*BEFORE, "batch_id"])


def downgrade():
    _replace(BEFORE)
