"""考试报名 and 成绩录入 filtered by 工种 (issue 16): an index of registration by (applied_trade_id, id)

Revision ID: 0034
Revises: 0033

Both lists filter 工种 as a join on the trade's name. Without an index by trade, the count read every registration
(a parallel sequential scan of 429k rows, 8,193 buffers, 144 ms at 1M) to find one trade's 7,516. With it the
count is a nested loop from the one trade row into an index-only range (25 buffers, 2.3 ms), and the page of
20, newest first, 34 buffers (EXPLAIN (ANALYZE, BUFFERS), bench/README.md). Its write cost: one entry per
registration made (confirmations and the approvals that create registrations); the trade never changes.
"""

from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None

NAME = "ix_registration_trade_order"


def upgrade():
    op.create_index(NAME, "registration", ["applied_trade_id", "id"])


def downgrade():
    op.drop_index(NAME, table_name="registration")
