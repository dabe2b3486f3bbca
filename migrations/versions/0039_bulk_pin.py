"""Pinned bulk sets (issue 19 point 4): the rows an "all matching" confirmation page showed, decided on 确认

Revision ID: 0039
Revises: 0038
"""

import sqlalchemy as sa
from alembic import op

revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "bulk_pin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("endpoint", sa.String(length=60), nullable=False),
        sa.Column("operation", sa.String(length=60), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("ids", sa.Text(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["owner_id"], ["app_user.id"], name=op.f("fk_bulk_pin_owner_id_app_user")),
        sa.ForeignKeyConstraint(
            ["job_id"], ["job.id"], name=op.f("fk_bulk_pin_job_id_job"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_pin")),
        sa.UniqueConstraint("token", name=op.f("uq_bulk_pin_token")),
    )
    op.create_index("ix_bulk_pin_owner", "bulk_pin", ["owner_id", "expires_at"])


def downgrade():
    op.drop_index("ix_bulk_pin_owner", table_name="bulk_pin")
    op.drop_table("bulk_pin")
