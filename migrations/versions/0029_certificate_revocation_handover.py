"""证书撤销 and 发放 (issue 18): a recognised grade can be revoked (已撤销, with its time, reason and 文号) and a
certificate's handover recorded (date and recipient); a partial index holds the rows still to hand over

Revision ID: 0029
Revises: 0028

The recognition machine gains the state ``revoked`` (a value of the existing ``recognition_status`` column,
which fits its 12 characters). The office's 首页 to-do 待发放证书 counts the recognised rows without a handover
date: the partial index holds only them, and a row leaves it when its handover is recorded or it is revoked.
"""

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

NAME = "ix_registration_handover_pending"
WHERE = sa.text("recognition_status = 'recognised' AND handed_over_on IS NULL")


def upgrade():
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revoked_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("revoke_reason", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("revoke_document", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("handed_over_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("handover_recipient", sa.String(length=50), nullable=True))
    op.create_index(
        NAME, "registration", ["jurisdiction_id", "id"], postgresql_where=WHERE, sqlite_where=WHERE
    )


def downgrade():
    op.drop_index(NAME, table_name="registration")
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.drop_column("handover_recipient")
        batch_op.drop_column("handed_over_on")
        batch_op.drop_column("revoke_document")
        batch_op.drop_column("revoke_reason")
        batch_op.drop_column("revoked_at")
