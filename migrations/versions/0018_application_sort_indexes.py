"""indexes for the 考试资格申请 / 待我审核 sorts and the 批次 condition at scale (issue 16)

Revision ID: 0018
Revises: 0017

On ``application`` (ten indexes before, eleven after): (batch_id, status) becomes (batch_id, id) — a batch's
rows in id order: the default order within a 批次 condition, a sort by 批次 read batch by batch — and
(batch_id, submitted_at, id) — a batch's list sorted by 提交时间; (status, submitted_at, id) becomes
(status, batch_id, submitted_at, id) — a review queue of one batch by 提交时间, and still every count by
state or by state and batch. On ``worker``, (name): a list sorted by 姓名 walks the names in order (the
prefix index's ``text_pattern_ops`` do not sort).
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# (name, table, columns, options): created by upgrade, dropped by downgrade
NEW = [
    ("ix_application_batch_order", "application", ["batch_id", "id"], {}),
    ("ix_application_batch_submitted", "application", ["batch_id", "submitted_at", "id"], {}),
    (
        "ix_application_status_batch_submitted",
        "application",
        ["status", "batch_id", "submitted_at", "id"],
        {},
    ),
    ("ix_worker_name", "worker", ["name"], {}),
]
# dropped by upgrade, created again by downgrade
OLD = [
    ("ix_application_batch_status", "application", ["batch_id", "status"], {}),
    ("ix_application_status_submitted", "application", ["status", "submitted_at", "id"], {}),
]


def upgrade():
    for name, table, _columns, _options in OLD:
        op.drop_index(name, table_name=table)
    for name, table, columns, options in NEW:
        op.create_index(name, table, columns, **options)


def downgrade():
    for name, table, _columns, _options in reversed(NEW):
        op.drop_index(name, table_name=table)
    for name, table, columns, options in OLD:
        op.create_index(name, table, columns, **options)
