"""首页 to-do counts and 审计日志 filters as index ranges; autovacuum settings of the hot tables (issue 16)

Revision ID: 0019
Revises: 0018

首页: to-do counts read every registration or 10,000 applications for a handful of rows (待评审, 待认定
and 待录入成绩 have no index on their state, 待确认的报名 and 待缴费确认 walked the whole (batch_id, status)
index; 市委组织部's 待我审核 checks 组织类别 on the heap). Each now has a partial index holding only the rows
in that state: a row costs it something only while it waits there.

审计日志 (append-only, millions of rows): the list is in 时间 order and offers only equality filters and
time ranges; one index per filter column, led by that column and followed by created_at, gives every
filter alone and 操作人 + 操作 (+ 时间) as an index range already in order. The indexes carry no id, so
B-tree deduplication packs the rows of one bulk decision (same column values, same created_at): each is
about a tenth of the size of one with the id. (object_type, object_id) becomes (object_id, object_type):
one index for a 对象编号 alone and for an object's history. The price is paid by every audit row: the
5,000 rows of one bulk decision touch 111 k index buffers instead of 36 k and write 4.8 MB of WAL instead
of 2.7 MB (+80–170 ms on the shared 2-core machine at load 19; bench/README.md).

Autovacuum (PostgreSQL only; docs/operations.md explains each value): the defaults wait for 20 % of a table
to change (200,000 rows of a million) before vacuuming, so after a bulk of 21,000 approvals the visibility
map stayed cleared and index-only counts read the heap until much later; insert-only tables (审计日志, the
review history, the records at submission) were vacuumed only after 20 % new rows, leaving the newest rows
— those every list shows first — out of the visibility map.
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# (name, table, columns, predicate): partial indexes of the 首页 to-dos
PARTIAL_INDEXES = (
    (
        "ix_registration_recognition_pending",
        "registration",
        ["jurisdiction_id", "id"],
        "recognition_status = 'pending'",
    ),
    (
        "ix_registration_evaluation_pending",
        "registration",
        ["jurisdiction_id", "id"],
        "evaluation_status = 'pending'",
    ),
    (
        "ix_registration_waiting",
        "registration",
        ["status", "id"],
        "status IN ('pending_confirm', 'pending_fee')",
    ),
    (
        "ix_registration_scores_missing",
        "registration",
        ["id"],
        "status = 'registered' AND score_result IS NULL",
    ),
    (
        "ix_application_party_org_pending",
        "application",
        ["org_category", "id"],
        "status = 'pending_party_org'",
    ),
)
AUDIT_INDEXES = (
    ("ix_audit_log_username", ["username", "created_at"]),
    ("ix_audit_log_action", ["action", "created_at"]),
    ("ix_audit_log_username_action", ["username", "action", "created_at"]),
    ("ix_audit_log_object_type", ["object_type", "created_at"]),
    ("ix_audit_log_role", ["role", "created_at"]),
    ("ix_audit_log_object_id", ["object_id", "object_type"]),
)

# Rows changed in place by the workflow (a bulk decision updates thousands at once): vacuum and analyze
# after 1 % of the table (+1,000 rows) instead of 20 % / 10 %; new rows (imports) likewise.
UPDATED = {
    "autovacuum_vacuum_scale_factor": 0.01,
    "autovacuum_vacuum_threshold": 1000,
    "autovacuum_vacuum_insert_scale_factor": 0.01,
    "autovacuum_vacuum_insert_threshold": 1000,
    "autovacuum_analyze_scale_factor": 0.01,
    "autovacuum_analyze_threshold": 1000,
}
# Rows only ever added: vacuum (sets the visibility map, freezes) every 10,000 new rows whatever the size
# of the table; analyze after 2 % so that the newest created_at values are in the statistics.
APPEND_ONLY = {
    "autovacuum_vacuum_insert_scale_factor": 0,
    "autovacuum_vacuum_insert_threshold": 10000,
    "autovacuum_analyze_scale_factor": 0.02,
    "autovacuum_analyze_threshold": 1000,
}
AUTOVACUUM = {
    "application": UPDATED,
    "registration": UPDATED,
    "material": UPDATED,
    "application_review": APPEND_ONLY,
    "application_record": APPEND_ONLY,
    "audit_log": APPEND_ONLY,
}


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    for name, table, columns, predicate in PARTIAL_INDEXES:
        where = sa.text(predicate)
        op.create_index(name, table, columns, postgresql_where=where, sqlite_where=where)
    op.drop_index("ix_audit_log_object", table_name="audit_log")
    for name, columns in AUDIT_INDEXES:
        op.create_index(name, "audit_log", columns)
    if _postgresql():
        for table, settings in AUTOVACUUM.items():
            values = ", ".join(f"{key} = {value}" for key, value in settings.items())
            op.execute(f"ALTER TABLE {table} SET ({values})")


def downgrade():
    if _postgresql():
        for table, settings in AUTOVACUUM.items():
            op.execute(f"ALTER TABLE {table} RESET ({', '.join(settings)})")
    for name, _columns in reversed(AUDIT_INDEXES):
        op.drop_index(name, table_name="audit_log")
    op.create_index("ix_audit_log_object", "audit_log", ["object_type", "object_id"])
    for name, table, _columns, _predicate in reversed(PARTIAL_INDEXES):
        op.drop_index(name, table_name=table)
