"""成绩发布: the registrations whose scores are entered and not yet published, as a partial index (issue 17)

Revision ID: 0025
Revises: 0022

The centre's 首页 to-do 待发布成绩 counts them, and 统计分析 takes them out of the pass counts a unit or bureau
sees (services.statistics): both read only the rows waiting for publication, which leave the index when they
are published (as the to-do indexes of migration 0019). Nothing else changes; the new columns came with 0022.
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0022"
branch_labels = None
depends_on = None

NAME = "ix_registration_scores_unpublished"
WHERE = sa.text("status = 'registered' AND score_result IS NOT NULL AND score_publication IS NULL")


def upgrade():
    op.create_index(NAME, "registration", ["batch_id", "id"], postgresql_where=WHERE, sqlite_where=WHERE)


def downgrade():
    op.drop_index(NAME, table_name="registration")
