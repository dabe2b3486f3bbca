"""per batch: units attach the 申报材料 when they submit (单位提交时上传申报材料)

Revision ID: 0016
Revises: 0015

Off for every existing batch (the first reviewer uploads them, as before); an admin turns it on per batch.
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN with a server default: SQLite takes it without copying the table.
    op.add_column(
        "exam_batch",
        sa.Column("materials_at_submission", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade():
    with op.batch_alter_table("exam_batch", schema=None) as batch_op:
        batch_op.drop_column("materials_at_submission")
