"""drop ix_registration_unit_id: ix_registration_unit_order (unit_id, id) serves every lookup by unit, and
one index less is one less to write for each registration the final approval creates

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.drop_index("ix_registration_unit_id")


def downgrade():
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.create_index("ix_registration_unit_id", ["unit_id"], unique=False)
