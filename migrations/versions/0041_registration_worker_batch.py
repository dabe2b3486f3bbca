"""A broad name search of 考试报名 and 成绩录入 at 1M (issue 16): ix_registration_worker_id is (worker_id, batch_id)

Revision ID: 0041
Revises: 0040

The search is the matching workers (a prefix range of the name index) → their registrations in the list's
批次. With (worker_id) alone the planner took the batch's 85,715 registrations into a hash join with the 1,942
workers of a 2-character prefix (44 ms, 6,334 buffers, for the count and again for the page; 150–210 ms
through gunicorn at load 5); with the batch in the index, one index probe per worker (25 ms cold, both
tables' pages read for the first time). Same number of indexes: a registration writes no more entries.
"""

from alembic import op

revision = "0041"
down_revision = "0040"
branch_labels = None
depends_on = None


def _worker_index(columns):
    op.drop_index("ix_registration_worker_id", table_name="registration")
    op.create_index("ix_registration_worker_id", "registration", columns)


def upgrade():
    _worker_index(["worker_id", "batch_id"])


def downgrade():
    _worker_index(["worker_id"])
