"""证书查验 (issue 18): the random token behind each certificate's QR link, and the public look-ups counted per
client address for the rate limit

Revision ID: 0030
Revises: 0029
"""

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "certificate_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_certificate_link_registration_id_registration"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_link")),
        sa.UniqueConstraint("registration_id", name=op.f("uq_certificate_link_registration_id")),
        sa.UniqueConstraint("token", name=op.f("uq_certificate_link_token")),
    )
    op.create_table(
        "certificate_lookup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_lookup")),
    )
    op.create_index("ix_certificate_lookup_address", "certificate_lookup", ["address", "at"])
    op.create_index(op.f("ix_certificate_lookup_at"), "certificate_lookup", ["at"])


def downgrade():
    op.drop_index(op.f("ix_certificate_lookup_at"), table_name="certificate_lookup")
    op.drop_index("ix_certificate_lookup_address", table_name="certificate_lookup")
    op.drop_table("certificate_lookup")
    op.drop_table("certificate_link")
