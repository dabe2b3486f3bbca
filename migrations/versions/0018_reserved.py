"""indexes and queries for the 考试资格申请 / 待我审核 sorts and year filters (issue 16)

Revision ID: 0018
Revises: 0017
"""

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
