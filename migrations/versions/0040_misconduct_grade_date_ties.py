"""Three slow lists of the quiet re-run at 1M (issue 16): 违纪通报, 工勤人员 by 现等级时间 ↑, a broad name search

Revision ID: 0040
Revises: 0039

- ``ix_registration_misconduct`` (misconduct_at, id) WHERE score_result = 'misconduct': 违纪通报 lists the few
  registrations whose scores were cancelled; its count and page read every registration (a sequential scan of
  429k rows, 61–63 ms each at 1M, p95 138 ms through gunicorn); the partial index holds only those rows (an
  index-only count, 0.02 ms). Rows enter it only when a misconduct is recorded.
- ``ix_worker_grade_date_ties`` (current_grade_date, id DESC): the lists break ties by id descending whatever
  the direction, and a batch is recognised on one date, so 现等级时间 ↑ met one date group of most workers
  (200,000 at 1M: a parallel sequential scan and a sort, 150–270 ms); with it, 21 index entries (0.17 ms). The
  (current_grade_date, id) index stays for ↓ (its backward scan is date ↓, id ↓).
- ``ix_application_worker_id`` includes ``batch_id`` and ``status``: a name search of 考试资格申请 is the matching
  workers (a prefix range of the name index) → their applications; the count (up to 1,001) checked each one's
  批次 and 状态 on its heap page, or the planner read the whole table instead (a parallel sequential scan, 302 ms
  from disk at 1M); with them in the index, index-only probes (5,866 buffers, 24–38 ms warm). Same number of
  indexes: an approval writes no more entries than before.
"""

import sqlalchemy as sa
from alembic import op

revision = "0040"
down_revision = "0039"
branch_labels = None
depends_on = None

MISCONDUCT = "score_result = 'misconduct'"


def upgrade():
    op.create_index(
        "ix_registration_misconduct",
        "registration",
        ["misconduct_at", "id"],
        postgresql_where=sa.text(MISCONDUCT),
        sqlite_where=sa.text(MISCONDUCT),
    )
    op.create_index(
        "ix_worker_grade_date_ties", "worker", ["current_grade_date", sa.literal_column("id").desc()]
    )
    _worker_index(["batch_id", "status"])


def _worker_index(include):
    op.drop_index("ix_application_worker_id", table_name="application")
    op.create_index("ix_application_worker_id", "application", ["worker_id"], postgresql_include=include)


def downgrade():
    _worker_index([])
    op.drop_index("ix_worker_grade_date_ties", table_name="worker")
    op.drop_index("ix_registration_misconduct", table_name="registration")
