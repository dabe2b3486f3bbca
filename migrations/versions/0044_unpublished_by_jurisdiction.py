"""统计分析 of a 区县 bureau or a unit at scale (issue 16): its registrations waiting for score publication
read from one partial index

Revision ID: 0044
Revises: 0043

For every role but the centre and the office, 统计分析 counts a registration whose scores are entered and not
yet published as not yet scored (``services.score_visibility.registration_tally``): the waiting rows of the
user's scope are read twice per tally query, three queries per page. They were found by a BitmapAnd of
``ix_registration_jurisdiction_order`` (the 区县's 11,142 rows) and ``ix_registration_scores_unpublished``
(all 57,143 waiting rows of the city), then 1,174 table pages for yuzhong_hr's 1,486 rows: 7.2 + 3.9 ms at 1M
for one query (EXPLAIN ANALYZE BUFFERS, gk_1m), ten times that at 10M (统计分析 314 / 354 ms for the bureau).
``ix_registration_unpublished_jurisdiction`` (jurisdiction_id, batch_id) INCLUDE every column the tally
groups by, WHERE the row waits for publication: the 区县's waiting rows alone, from the index (an index-only
scan once vacuumed). Written only when a row enters or leaves 待发布成绩 (score entry, publication).
``ix_registration_scores_unpublished`` (batch_id, id) stays: the centre's 待发布成绩 and 成绩发布 read a batch's.
"""

import sqlalchemy as sa
from alembic import op

revision = "0044"
down_revision = "0043"
branch_labels = None
depends_on = None

NAME = "ix_registration_unpublished_jurisdiction"
WHERE = sa.text("status = 'registered' AND score_result IS NOT NULL AND score_publication IS NULL")
INCLUDE = ["org_category", "status", "score_result", "evaluation_status", "recognition_status"]


def upgrade():
    op.create_index(
        NAME,
        "registration",
        ["jurisdiction_id", "batch_id"],
        postgresql_include=INCLUDE,
        postgresql_where=WHERE,
        sqlite_where=WHERE,
    )


def downgrade():
    op.drop_index(NAME, table_name="registration")
