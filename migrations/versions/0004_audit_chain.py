"""audit hash chain

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 02:58:18.010960

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

IMMUTABLE = """
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
"""


def upgrade():
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('row_hash', sa.String(length=64), nullable=True))

    # Chain the rows that exist already, in id order, with the same digest the application uses.
    from admin_app.services.audit import GENESIS, HASHED_FIELDS, row_digest

    bind = op.get_bind()
    types = {'created_at': sa.DateTime(), 'user_id': sa.Integer(), 'organisation_id': sa.Integer()}
    table = sa.table('audit_log', sa.column('id', sa.Integer()), sa.column('prev_hash', sa.String()),
                     sa.column('row_hash', sa.String()),
                     *[sa.column(f, types.get(f, sa.String())) for f in HASHED_FIELDS])
    prev = GENESIS
    for row in bind.execute(sa.select(table).order_by(table.c.id)).mappings().all():
        digest = row_digest(dict(row), prev)
        bind.execute(table.update().where(table.c.id == row['id']).values(prev_hash=prev, row_hash=digest))
        prev = digest

    if bind.dialect.name == 'postgresql':
        op.execute(IMMUTABLE)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_column('row_hash')
        batch_op.drop_column('prev_hash')
