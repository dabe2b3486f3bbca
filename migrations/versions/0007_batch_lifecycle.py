"""batch lifecycle: a grace period after 申报截止日; route rules belong to a batch (copied with it)

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("exam_batch", schema=None) as batch_op:
        batch_op.add_column(sa.Column("grace_days", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("route_rule", schema=None) as batch_op:
        batch_op.add_column(sa.Column("batch_id", sa.Integer(), nullable=True))

    # The route table was one for all batches: give every existing batch its own copy of it.
    conn = op.get_bind()
    batches = [row[0] for row in conn.execute(sa.text("SELECT id FROM exam_batch ORDER BY year"))]
    rules = conn.execute(sa.text("SELECT org_category, grades, steps, note FROM route_rule")).all()
    if batches:
        conn.execute(sa.text("UPDATE route_rule SET batch_id = :batch"), {"batch": batches[0]})
        insert = sa.text(
            "INSERT INTO route_rule (batch_id, org_category, grades, steps, note) "
            "VALUES (:batch, :org_category, :grades, :steps, :note)"
        )
        for batch in batches[1:]:
            for rule in rules:
                conn.execute(insert, {"batch": batch, **rule._mapping})
    else:
        conn.execute(sa.text("DELETE FROM route_rule"))  # no batch to belong to; seeded again per batch

    with op.batch_alter_table("route_rule", schema=None) as batch_op:
        batch_op.alter_column("batch_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f("ix_route_rule_batch_id"), ["batch_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_route_rule_batch_id_exam_batch"), "exam_batch", ["batch_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("route_rule", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_route_rule_batch_id_exam_batch"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_route_rule_batch_id"))
    conn = op.get_bind()
    first = conn.execute(sa.text("SELECT id FROM exam_batch ORDER BY year DESC LIMIT 1")).scalar()
    conn.execute(sa.text("DELETE FROM route_rule WHERE batch_id <> :batch"), {"batch": first})
    with op.batch_alter_table("route_rule", schema=None) as batch_op:
        batch_op.drop_column("batch_id")
    with op.batch_alter_table("exam_batch", schema=None) as batch_op:
        batch_op.drop_column("grace_days")
