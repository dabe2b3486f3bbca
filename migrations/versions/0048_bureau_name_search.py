"""A 区县 bureau's list and name search at 10M (issue 16): the 区县's rows of one 批次 in id order, and the name's
statistics

Revision ID: 0048
Revises: 0047

A bureau's search of a 2-character name prefix (刘0: 20,026 workers citywide at 10M applications, 419 of them with
an application in the 区县's current 批次) took 142–150 ms a page (EXPLAIN ANALYZE BUFFERS, gk_10m):

- the planner expected 200 workers of the prefix, not 20,026: with the default statistics (100 histogram
  bounds) a 2-character prefix of 2M names falls between two bounds, and LIKE's estimate is the histogram's
  share. So it probed ``ix_application_worker_id`` once per worker: 20,026 probes, 95 ms. With 1,000 bounds
  (``SET STATISTICS 1000`` on ``worker.name``) it expects 20,020 and joins by hash instead;
- the hash join's other side was the 区县's whole range of ``ix_application_jurisdiction_order`` (257k entries of
  every 批次, 30 ms). ``ix_application_jurisdiction_batch_order`` (jurisdiction_id, batch_id, id) INCLUDE
  (worker_id, status) holds the 区县's 批次 (44,058 entries): 14–21 ms for the statement, the list's page ~30 ms;
  ``ix_registration_jurisdiction_batch_order`` the same for 考试报名 and 成绩查询 (21 → ~8 ms).

The same index counts the bureau's list as it opens (its current 批次, read in (batch_id, id) order:
``ApplicationView.count_order``): through ``ix_application_jurisdiction_order`` (jurisdiction_id, id) that order
read the 区县's older 批次 first, 207,265 entries filtered out before the 10,001 counted (22 ms); now a range of the
批次 alone (2.4 ms).

The registration index also holds the 准考证号, 成绩查询's order: a bureau's deep page (第 401 页 of its 批次, 14,685
rows sorted) was a BitmapAnd of ``ix_registration_jurisdiction_status`` (73,426 entries) and the 批次's 准考证号
(571,428), then 11,634 table pages for the numbers: 239 ms; now the 批次's range of this index alone, sorted: 9 ms.

(The worker side was a bitmap scan of 15,015 table pages, as the name was also looked for among the ID numbers:
``views.mixins.listing._PREFIX_ALPHABETS`` no longer does that.) A change of 状态 writes one more index entry per
row, in each table.
"""

import sqlalchemy as sa
from alembic import op

revision = "0048"
down_revision = "0047"
branch_labels = None
depends_on = None

TABLES = ("application", "registration")


INCLUDE = {"application": ["worker_id", "status"], "registration": ["worker_id", "status", "ticket_number"]}


def upgrade():
    for table in TABLES:
        op.create_index(
            f"ix_{table}_jurisdiction_batch_order",
            table,
            ["jurisdiction_id", "batch_id", "id"],
            postgresql_include=INCLUDE[table],
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text("ALTER TABLE worker ALTER COLUMN name SET STATISTICS 1000"))
        op.execute(sa.text("ANALYZE worker"))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text("ALTER TABLE worker ALTER COLUMN name SET STATISTICS -1"))
    for table in TABLES:
        op.drop_index(f"ix_{table}_jurisdiction_batch_order", table_name=table)
