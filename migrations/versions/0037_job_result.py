"""Background jobs of every kind (issue 19): a job's result (per-row decisions, an import's error table), JSON

Revision ID: 0037
Revises: 0036
"""

import sqlalchemy as sa
from alembic import op

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("job") as batch:
        batch.add_column(sa.Column("result", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("job") as batch:
        batch.drop_column("result")
