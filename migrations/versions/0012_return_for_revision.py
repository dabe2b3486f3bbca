"""退回修改: the parts an application was returned for, and one row per round of return and resubmission

Revision ID: 0012
Revises: 0011

``application.return_parts`` holds the parts of the current round (comma-separated keys of
``admin_app.workflow.revisions.PARTS``) while the application is 退回修改; ``application_revision`` keeps every
round: who returned it at which step, the opinion, the parts, their content at the return (``before``) and at
the resubmission (``after``), as JSON text. Existing applications have never been returned: nothing to fill.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("application", sa.Column("return_parts", sa.String(length=100), nullable=True))
    op.create_table(
        "application_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("step_index", sa.Integer(), nullable=False),
        sa.Column("step_role", sa.String(length=20), nullable=False),
        sa.Column("parts", sa.String(length=100), nullable=False),
        sa.Column("opinion", sa.Text(), nullable=False),
        sa.Column("before", sa.Text(), nullable=False),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("returned_by_id", sa.Integer(), nullable=True),
        sa.Column("returned_at", sa.DateTime(), nullable=False),
        sa.Column("resubmitted_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name=op.f("fk_application_revision_application_id_application"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["returned_by_id"], ["app_user.id"], name=op.f("fk_application_revision_returned_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_revision")),
        sa.UniqueConstraint(
            "application_id", "round", name=op.f("uq_application_revision_application_id_round")
        ),
    )


def downgrade():
    op.drop_table("application_revision")
    op.drop_column("application", "return_parts")
