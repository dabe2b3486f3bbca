"""A 区县 bureau's 考试报名 and 成绩查询 at 10M (issue 16): the count of its current 批次 from one index

Revision ID: 0046
Revises: 0045

The bureau's list opens on the current 批次: ``jurisdiction_id IN (…) AND batch_id = …``, counted up to 10,001.
``ix_registration_jurisdiction_order`` (jurisdiction_id, id) INCLUDE (worker_id) did not carry the batch, so the
planner ANDed two bitmaps — the 区县's 110,528 entries and the batch's 867,143 — and read 6,682 table pages: 104.7
ms at 10M (EXPLAIN ANALYZE BUFFERS, gk_10m; 考试报名 page 1 of yuzhong_hr 72 / 76 ms through gunicorn; filtered by 等级,
工种 or 组织类别 140–181 ms). It now includes ``batch_id``, ``status``, ``applied_grade``, ``applied_trade_id`` and
``org_category`` (as ``ix_application_jurisdiction_order`` includes the application's): the count of the list as it
opens, and filtered by those columns, reads the 区县's range of the index alone, and the 成绩查询 condition (已报名) too. Same number of indexes;
a change of state rewrites every index entry of the row anyway (no update of ``status`` is HOT).
"""

from alembic import op

revision = "0046"
down_revision = "0045"
branch_labels = None
depends_on = None

NAME = "ix_registration_jurisdiction_order"


def _recreate(include):
    op.drop_index(NAME, table_name="registration")
    op.create_index(NAME, "registration", ["jurisdiction_id", "id"], postgresql_include=include)


def upgrade():
    _recreate(["worker_id", "batch_id", "status", "applied_grade", "applied_trade_id", "org_category"])


def downgrade():
    _recreate(["worker_id"])
