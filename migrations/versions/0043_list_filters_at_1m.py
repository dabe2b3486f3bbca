"""Slow lists of the 2026-12-03 run at 1M (issue 16): 工勤人员 filters and sorts, an older 批次, 成绩查询 sorts

Revision ID: 0043
Revises: 0042

工勤人员 filtered or sorted (office, center, a 区县 bureau), 考试报名 of an explicit older 批次, 成绩查询 by 实际操作 ↑
and 成绩结果. Plans read with EXPLAIN (ANALYZE, BUFFERS) on gk_1m (200,000 workers, 428,572 registrations, load
3.2–7.2), count and page of each list before → after; bench/README.md has the table.

``worker`` (ten indexes before, with the key and the unique 身份证号, fifteen after; units edit their workers now
and then):

- ``ix_worker_unit_order`` (unit_id, id) INCLUDE the filtered columns: a 区县 bureau's 工勤人员 (26 units, 5,200
  workers) with a filter on 工种, 等级, 学历, 性别 or 参加工作时间 was counted by a sequential scan of the 200,000
  workers (3,340 buffers, 29–65 ms), 第 260 页 walked the primary key over all of them (7,375 buffers, 109 ms);
  now its units' index ranges alone, read without the table (47–141 buffers, 1–2 ms; the deep page 141
  buffers, 6.5 ms). The planner needs the bureau's 区县 as literal ids to see 26 units, not 513 (services/scope.py).
- ``ix_worker_trade_order`` (current_trade_id, id) INCLUDE (unit_id): 现工种 equals for the city-wide roles
  (the join on the 工种 name probes it; count 3,614 buffers, 49 ms → 79 buffers, 2 ms).
- ``ix_worker_grade_order`` (current_grade, id) INCLUDE (unit_id): 现等级 equals (count read from the index)
  and the 现等级 sort's groups: a grade no worker has (一级) was a sequential scan (3,279 buffers, 36 ms), now
  3 buffers.
- ``ix_worker_work_start_ties`` (work_start_date, id DESC) INCLUDE (unit_id): 参加工作时间 ↑ with the lists' tie
  order met the first date's 6,668 workers (incremental sort, 3,605 buffers, 15 ms), now 20 entries (64
  buffers); 参加工作时间 equals reads the date's workers from the index (3,360 → 89 buffers). The
  (work_start_date, id) index stays for ↓ (its backward walk is date ↓, id ↓).
- ``ix_worker_veteran`` (id) WHERE is_veteran: 退役士兵 equals (no veteran in the generated data) scanned every
  worker for the count and the page (3,279 buffers each, 28–42 ms); the partial index holds only veterans
  (1 buffer).

``registration`` (one index replaced, two partial ones added: the bulk approval's INSERTs write no more entries):

- ``ix_registration_batch_status`` (batch_id, status) becomes ``ix_registration_batch_order`` (batch_id, id)
  INCLUDE (status, applied_grade), as 0018 did for applications. 考试报名 filtered by the 2021 批次 (``WHERE
  batch_id = 1 ORDER BY id DESC``) walked the primary key back over the later batches' 342,855 rows (9,371
  buffers, 35–51 ms; 190 ms cold); now 20 index entries (4 buffers). The counts by 批次 and 状态 read the batch's
  range with the state in the index (56–83 buffers for the 10,001 of a capped count, as before 11–56); the lists
  filtered by 报名状态 use ``ix_registration_jurisdiction_status`` (15–30 buffers). The 等级 sort's groups check
  the grade in the index: a grade no candidate of the batch has (一级) costs the batch's index range (457
  buffers) where it cost a bitmap of the batch and its table pages (1,542 buffers). The old index served
  nothing else: 成绩发布's counts come from ``publication_tally`` (0042), the 首页 to-dos have partial indexes.
- ``ix_registration_batch_practice_ties`` (batch_id, practice_score, id DESC) WHERE practice_score IS NOT NULL:
  实际操作 ↑ with the lists' tie order; in the generated data every candidate of a batch has the same 实际操作
  score, so ``ix_registration_batch_practice`` (…, id) could not give id ↓ within it and the planner sorted the
  batch's 57,143 已报名 rows (1,518 buffers, 110–145 ms); now 20 entries (5 buffers). Partial: a new
  registration has no score, so the approval's INSERTs do not write it.
- ``ix_registration_batch_result`` (batch_id, score_result, id) WHERE score_result IS NOT NULL: 成绩结果 ↑/↓
  sorted the batch's 57,143 已报名 rows by a column of five values (bitmap and sort, 1,518 buffers, 69–95 ms).
  成绩录入 now reads it value by value (``ScoreView.column_sort_groups``, like 等级 and 状态), each value's rows
  newest first from this index; a value no candidate has (缺考, in the generated data) is answered from it at
  once (3 buffers), where the batch's id index would have read the whole batch (1,928 buffers, 46 ms). Partial
  (entered scores only): the approval's INSERTs do not write it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0043"
down_revision = "0042"
branch_labels = None
depends_on = None

WORKER = [
    (
        "ix_worker_unit_order",
        ["unit_id", "id"],
        {
            "postgresql_include": [
                "current_trade_id",
                "current_grade",
                "gender",
                "education",
                "work_start_date",
                "is_veteran",
            ]
        },
    ),
    ("ix_worker_trade_order", ["current_trade_id", "id"], {"postgresql_include": ["unit_id"]}),
    ("ix_worker_grade_order", ["current_grade", "id"], {"postgresql_include": ["unit_id"]}),
    (
        "ix_worker_work_start_ties",
        ["work_start_date", sa.literal_column("id").desc()],
        {"postgresql_include": ["unit_id"]},
    ),
    (
        "ix_worker_veteran",
        ["id"],
        {"postgresql_where": sa.text("is_veteran"), "sqlite_where": sa.text("is_veteran")},
    ),
]
# partial (batch_id, column, tie) WHERE column IS NOT NULL, as the batch's sort indexes of 0017
SCORES = [
    ("ix_registration_batch_practice_ties", "practice_score", sa.literal_column("id").desc()),
    ("ix_registration_batch_result", "score_result", "id"),
]


def upgrade():
    for name, columns, options in WORKER:
        op.create_index(name, "worker", columns, **options)
    op.drop_index("ix_registration_batch_status", table_name="registration")
    op.create_index(
        "ix_registration_batch_order",
        "registration",
        ["batch_id", "id"],
        postgresql_include=["status", "applied_grade"],
    )
    for name, column, tie in SCORES:
        where = sa.text(f"{column} IS NOT NULL")
        op.create_index(
            name, "registration", ["batch_id", column, tie], postgresql_where=where, sqlite_where=where
        )


def downgrade():
    for name, _column, _tie in reversed(SCORES):
        op.drop_index(name, table_name="registration")
    op.drop_index("ix_registration_batch_order", table_name="registration")
    op.create_index("ix_registration_batch_status", "registration", ["batch_id", "status"])
    for name, _columns, _options in reversed(WORKER):
        op.drop_index(name, table_name="worker")
