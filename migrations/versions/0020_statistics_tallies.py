"""统计分析: tallies of applications and registrations, kept exact by triggers (issue 16)

Revision ID: 0020
Revises: 0019

Three small tables count the rows by the facts the statistics group by (batch, 区县, 组织类别, 等级 / 工种,
state, outcomes); triggers on ``application`` and ``registration`` keep them in step with every write, and
they are filled here from the rows (a few seconds at 1M applications). ``flask statistics-rebuild`` refills
them at any time.
"""

import sqlalchemy as sa
from alembic import op

from admin_app.services import tallies

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def _key(name, type_=sa.Integer()):
    return sa.Column(name, type_, nullable=False, autoincrement=False)


def _count():
    return sa.Column("n", sa.Integer(), nullable=False)


def upgrade():
    op.create_table(
        "application_tally",
        _key("batch_id"),
        _key("jurisdiction_id"),
        _key("org_category", sa.String(20)),
        _key("applied_grade"),
        _key("status", sa.String(30)),
        _count(),
        sa.PrimaryKeyConstraint(
            "batch_id",
            "jurisdiction_id",
            "org_category",
            "applied_grade",
            "status",
            name="pk_application_tally",
        ),
    )
    op.create_table(
        "application_trade_tally",
        _key("batch_id"),
        _key("jurisdiction_id"),
        _key("applied_trade_id"),
        _key("status", sa.String(30)),
        _count(),
        sa.PrimaryKeyConstraint(
            "batch_id", "jurisdiction_id", "applied_trade_id", "status", name="pk_application_trade_tally"
        ),
    )
    op.create_table(
        "registration_tally",
        _key("batch_id"),
        _key("jurisdiction_id"),
        _key("org_category", sa.String(20)),
        _key("status", sa.String(20)),
        _key("score_result", sa.String(10)),
        _key("evaluation_status", sa.String(10)),
        _key("recognition_status", sa.String(12)),
        _count(),
        sa.PrimaryKeyConstraint(
            "batch_id",
            "jurisdiction_id",
            "org_category",
            "status",
            "score_result",
            "evaluation_status",
            "recognition_status",
            name="pk_registration_tally",
        ),
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # Every transition updates tally rows in place (a 5,000-row approval: ~3,000 of them), leaving as many
        # dead versions, which slow the next upserts and reads until vacuumed (5× after ten approvals here).
        # Room on each page keeps the updates HOT (no new index entry); vacuum after 5,000 dead rows, not
        # after 20 % of the table.
        for name in ("application_tally", "application_trade_tally", "registration_tally"):
            op.execute(
                f"ALTER TABLE {name} SET (fillfactor = 70, autovacuum_vacuum_scale_factor = 0,"
                " autovacuum_vacuum_threshold = 5000)"
            )
    tallies.create_triggers(bind, tallies.FIRST)  # the tables created here (later ones: their migration)
    tallies.rebuild(bind, tallies.FIRST)


def downgrade():
    tallies.drop_triggers(op.get_bind())
    for name in ("registration_tally", "application_trade_tally", "application_tally"):
        op.drop_table(name)
