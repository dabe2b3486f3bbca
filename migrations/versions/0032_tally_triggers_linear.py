"""统计分析's tally triggers on PostgreSQL: the check "did a counted column change?" grouped, not joined

Revision ID: 0032
Revises: 0031

The statement-level trigger of ``application`` and ``registration`` first asks whether any counted column
changed, to skip the tally upsert (and its lock) for an update that counts nothing. It joined the two transition
tables on ``id``; those have no index and no statistics, and the planner chose a nested loop: 8,355 rows of one
set-based UPDATE (成绩导入's 更正) spent 12–14 s there. The check now groups both images by the counted columns
(``HAVING sum(d) <> 0``), linear in the rows: 7–10 ms for the same statement (EXPLAIN ANALYZE, bench/README.md).
The counts are the same either way, so the downgrade re-creates the triggers of the code it runs with.
"""

from alembic import op

from admin_app.services import tallies

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade():
    tallies.create_triggers(op.get_bind(), tallies.FIRST)


def downgrade():
    tallies.create_triggers(op.get_bind(), tallies.FIRST)
