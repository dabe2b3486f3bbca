"""Small SQL helpers shared by the set-based services."""

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from admin_app.extensions import db


def among(column, ids) -> sa.ColumnElement[bool]:
    """``column IN ids`` for a bulk operation's thousands of ids. On PostgreSQL one array parameter
    (``= ANY(%s)``) instead of one bound parameter per id: less to compile, send and parse (measured in
    bench/README.md, "Bulk approval")."""
    ids = list(ids)
    if db.session.get_bind().dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam(None, ids, type_=postgresql.ARRAY(column.type)))
    return column.in_(ids)


def looked_up(key, ids) -> sa.ColumnElement[bool]:
    """``key IN ids`` for thousands of ids of the key a table is read by (its primary key): the same rows as
    :func:`among`, written on PostgreSQL as ``key IN (SELECT unnest(:ids))`` so that the planner looks each id
    up in the key's index (a nested loop). With ``key = ANY(:ids)`` it estimated a few hundred rows and
    preferred, for 5,000 ids, to intersect them with a bitmap of the state index (143,000 entries read) and
    to hash-join the whole worker table (bulk approval at 1M applications, issue 14)."""
    ids = list(ids)
    if db.session.get_bind().dialect.name == "postgresql":
        array = sa.bindparam(None, ids, type_=postgresql.ARRAY(key.type))
        return key.in_(sa.select(sa.func.unnest(array)))
    return key.in_(ids)


def insert_rows(table, rows: list[dict]) -> None:
    """Insert many rows (all with the same keys) in the session's transaction: PostgreSQL's COPY (one
    stream, no statement per row), elsewhere an executemany."""
    if not rows:
        return
    if db.session.get_bind().dialect.name != "postgresql":
        db.session.execute(table.insert(), rows)
        return
    columns = list(rows[0])
    quoted = ", ".join(f'"{name}"' for name in columns)
    connection = db.session.connection().connection.driver_connection
    with connection.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([row[name] for name in columns])
