"""成绩发布 at 1M (issue 16): its counts per batch from a tally kept by the registration triggers

Revision ID: 0042
Revises: 0041

The 成绩发布 page (市职鉴中心) shows, for the latest five batches, how many 已报名 candidates have scores entered,
published and waiting. It counted them from the registrations: one GROUP BY over every registered candidate of
those batches (285,714 rows at 1M: 100 ms median, 119 ms p95 through gunicorn on 2026-12-03, the worst case of the
run; ten times that at 10M). ``publication_tally`` counts registrations by batch, 报名状态, 成绩结论 and 成绩发布,
kept exact by the same statement-level triggers as the other tallies (``services/tallies.py``): the page reads a
few dozen rows. Filled here from the rows (a second at 1M).
"""

import sqlalchemy as sa
from alembic import op

from admin_app.services import tallies

revision = "0042"
down_revision = "0041"
branch_labels = None
depends_on = None


def _key(name, type_=sa.Integer()):
    return sa.Column(name, type_, nullable=False, autoincrement=False)


def upgrade():
    op.create_table(
        "publication_tally",
        _key("batch_id"),
        _key("status", sa.String(20)),
        _key("score_result", sa.String(10)),
        _key("score_publication", sa.String(10)),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "batch_id", "status", "score_result", "score_publication", name="pk_publication_tally"
        ),
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":  # as the other tallies (0020): updated in place by every transition
        op.execute(
            "ALTER TABLE publication_tally SET (fillfactor = 70, autovacuum_vacuum_scale_factor = 0,"
            " autovacuum_vacuum_threshold = 5000)"
        )
    tallies.create_triggers(bind)
    tallies.rebuild(bind, [t for t in tallies.TALLIES if t not in tallies.FIRST])


def downgrade():
    tallies.create_triggers(op.get_bind(), tallies.FIRST)
    op.drop_table("publication_tally")
