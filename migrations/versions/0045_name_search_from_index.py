"""A broad name search read from the index alone (issue 16): the matching workers' applications and
registrations of the list's 批次, with what the list's condition and page need

Revision ID: 0045
Revises: 0044

A name search is the workers of a name prefix (2,048 for a 2-character one at 1M) → their rows of the list's
批次 → the page's ids. ``ix_application_worker_id`` (worker_id) INCLUDE (batch_id, status) gave the probe five
entries per worker (one per batch) and the page needed each row's id and 区县 from the table: 16,384 buffers,
15.9 ms for a 区县 bureau's search (EXPLAIN ANALYZE BUFFERS, gk_1m). ``ix_registration_worker_id`` (worker_id,
batch_id) read each registration's 状态 from the table (7,029 buffers, 9 ms). Both become (worker_id, batch_id)
INCLUDE (status, jurisdiction_id, id): one entry per worker and batch, the scope's and the state's condition
and the id read from the index. Same number of indexes, each already written by a change of state (status
was included): a bulk approval writes no more entries.
"""

from alembic import op

revision = "0045"
down_revision = "0044"
branch_labels = None
depends_on = None

INCLUDE = ["status", "jurisdiction_id", "id"]


def _recreate(table, columns, include):
    name = f"ix_{table}_worker_id"
    op.drop_index(name, table_name=table)
    op.create_index(name, table, columns, postgresql_include=include)


def upgrade():
    _recreate("application", ["worker_id", "batch_id"], INCLUDE)
    _recreate("registration", ["worker_id", "batch_id"], INCLUDE)


def downgrade():
    _recreate("application", ["worker_id"], ["batch_id", "status"])
    _recreate("registration", ["worker_id", "batch_id"], [])
