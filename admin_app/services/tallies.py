"""The tallies of 统计分析 (``models.statistics``): what each one counts, the database triggers that keep it
exact, and its rebuild from the rows.

Why triggers and not a call in the workflow: applications and registrations are also written by imports,
seeds, bulk COPY, the edits of 退回修改 and the foreign key's ON UPDATE CASCADE; a trigger sees every one of
them, in the writer's own transaction, so a tally changes exactly when the rows do (a rollback takes both back).

PostgreSQL: one statement-level trigger per operation with transition tables — a bulk UPDATE of 5,000 rows
folds them into the few thousand combinations they touch and upserts those (``n = n + delta``: exact whatever
the interleaving). An UPDATE that changes no counted fact (a ticket number,
a photo, ``updated_at``) does nothing. Before its first upsert a transaction takes the audit chain's advisory
lock (``audit.CHAIN_LOCK``), which every transition takes anyway for its audit rows: tally rows are then
only ever written under that lock, one transaction at a time, so no transaction waits for a tally row while
holding something another needs (without it, a final approval creating 考试报名 rows after its audit write and a unit's 报名 waiting
for the audit lock while holding a tally row would deadlock). SQLite (one writer at a time): row triggers
doing the same upsert per row.
"""

from dataclasses import dataclass

import sqlalchemy as sa

from admin_app.services.audit import CHAIN_LOCK
from models import ApplicationTally, ApplicationTradeTally, PublicationTally, RegistrationTally
from models.statistics import NO_ID, NO_TEXT


@dataclass(frozen=True)
class Tally:
    """A tally table counting rows of ``source`` by ``keys``: (column, what stands for NULL, None when the
    column is NOT NULL). The tally's key columns are named as the source's."""

    model: type
    source: str
    keys: tuple[tuple[str, object], ...]

    @property
    def table(self) -> sa.Table:
        return self.model.__table__

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.keys]

    def key_sql(self, row: str) -> list[str]:
        """The key expressions over a row alias (``NEW``, ``old_rows`` …), NULLs replaced."""
        return [
            f"{row}.{name}" if none is None else f"coalesce({row}.{name}, {_literal(none)})"
            for name, none in self.keys
        ]

    def definition(self) -> sa.Select:
        """The live GROUP BY over the source rows that the tally must always equal (rows with n ≠ 0)."""
        source = self.table.metadata.tables[self.source]
        columns = [
            (source.c[name] if none is None else sa.func.coalesce(source.c[name], none)).label(name)
            for name, none in self.keys
        ]
        return sa.select(*columns, sa.func.count().label("n")).group_by(*columns)


def _literal(value) -> str:
    return "''" if value == "" else str(int(value))


TALLIES = (
    Tally(
        ApplicationTally,
        "application",
        (
            ("batch_id", None),
            ("jurisdiction_id", NO_ID),
            ("org_category", NO_TEXT),
            ("applied_grade", None),
            ("status", None),
        ),
    ),
    Tally(
        ApplicationTradeTally,
        "application",
        (("batch_id", None), ("jurisdiction_id", NO_ID), ("applied_trade_id", None), ("status", None)),
    ),
    Tally(
        RegistrationTally,
        "registration",
        (
            ("batch_id", None),
            ("jurisdiction_id", NO_ID),
            ("org_category", NO_TEXT),
            ("status", None),
            ("score_result", NO_TEXT),
            ("evaluation_status", NO_TEXT),
            ("recognition_status", NO_TEXT),
        ),
    ),
    Tally(
        PublicationTally,
        "registration",
        (("batch_id", None), ("status", None), ("score_result", NO_TEXT), ("score_publication", NO_TEXT)),
    ),
)
# The tallies of migrations 0020–0041: a migration runs with today's code, so the earlier ones create the triggers
# of the tables they have (publication_tally came with 0042).
FIRST = TALLIES[:3]
SOURCES = ("application", "registration")


def _of(source: str, tallies=TALLIES) -> list[Tally]:
    return [t for t in tallies if t.source == source]


# PostgreSQL ------------------------------------------------------------------------------------------------


def _pg_upsert(tally: Tally, images: list[tuple[str, int]]) -> str:
    """Fold the rows of the transition tables ``images`` [(table, +1|-1)] into one upsert of the tally."""
    names = ", ".join(tally.names)
    rows = " UNION ALL ".join(
        f"SELECT {', '.join(tally.key_sql(image))}, {sign} FROM {image}" for image, sign in images
    )
    return (
        f"INSERT INTO {tally.table.name} AS t ({names}, n) "
        f"SELECT {names}, sum(d) FROM ({rows}) AS c({names}, d) "
        f"GROUP BY {names} HAVING sum(d) <> 0 "
        f"ON CONFLICT ({names}) DO UPDATE SET n = t.n + excluded.n;"
    )


def _pg_ddl(source: str, kept=TALLIES) -> list[str]:
    tallies = _of(source, kept)
    columns = sorted({name for t in tallies for name in t.names})

    names = ", ".join(columns)

    def body(images):
        return "\n    ".join(_pg_upsert(t, images) for t in tallies)

    function = f"""
CREATE OR REPLACE FUNCTION {source}_tallies() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN  -- nested: the query is planned only for an UPDATE, the one with both tables
    IF NOT EXISTS (  -- grouped, not joined: linear in the rows (the tables have no index to join on)
      SELECT 1 FROM (
        SELECT {names}, -1 FROM old_rows UNION ALL SELECT {names}, 1 FROM new_rows
      ) AS c({names}, d) GROUP BY {names} HAVING sum(d) <> 0
    ) THEN
      RETURN NULL;
    END IF;
  END IF;
  PERFORM pg_advisory_xact_lock({CHAIN_LOCK});
  IF TG_OP = 'INSERT' THEN
    {body([("new_rows", 1)])}
  ELSIF TG_OP = 'DELETE' THEN
    {body([("old_rows", -1)])}
  ELSIF TG_OP = 'UPDATE' THEN
    {body([("old_rows", -1), ("new_rows", 1)])}
  ELSE
    {" ".join(f"DELETE FROM {t.table.name};" for t in tallies)}
  END IF;
  RETURN NULL;
END $$"""
    trigger = "CREATE TRIGGER {name} AFTER {event} ON {source} {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {source}_tallies()"
    events = (
        ("insert", "INSERT", "REFERENCING NEW TABLE AS new_rows"),
        ("delete", "DELETE", "REFERENCING OLD TABLE AS old_rows"),
        ("update", "UPDATE", "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ("truncate", "TRUNCATE", ""),
    )
    return [
        function,
        *(
            trigger.format(name=f"{source}_tallies_{op}", event=event, source=source, referencing=ref)
            for op, event, ref in events
        ),
    ]


# SQLite ----------------------------------------------------------------------------------------------------


def _sqlite_upsert(tally: Tally, row: str, sign: int) -> str:
    names = ", ".join(tally.names)
    return (
        f"INSERT INTO {tally.table.name} ({names}, n) VALUES ({', '.join(tally.key_sql(row))}, {sign}) "
        f"ON CONFLICT ({names}) DO UPDATE SET n = n + excluded.n;"
    )


def _sqlite_ddl(source: str, kept=TALLIES) -> list[str]:
    tallies = _of(source, kept)
    columns = sorted({name for t in tallies for name in t.names})
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)

    def body(*images):
        return " ".join(_sqlite_upsert(t, row, sign) for row, sign in images for t in tallies)

    return [
        f"CREATE TRIGGER {source}_tallies_insert AFTER INSERT ON {source} BEGIN {body(('NEW', 1))} END",
        f"CREATE TRIGGER {source}_tallies_delete AFTER DELETE ON {source} BEGIN {body(('OLD', -1))} END",
        f"CREATE TRIGGER {source}_tallies_update AFTER UPDATE OF {', '.join(columns)} ON {source} "
        f"WHEN {changed} BEGIN {body(('OLD', -1), ('NEW', 1))} END",
    ]


# Both ------------------------------------------------------------------------------------------------------


def create_triggers(connection, kept=TALLIES) -> None:
    """Create (or re-create) the triggers that keep every tally of ``kept`` equal to its definition."""
    drop_triggers(connection)
    ddl = _pg_ddl if connection.dialect.name == "postgresql" else _sqlite_ddl
    for source in SOURCES:
        for statement in ddl(source, kept):
            connection.exec_driver_sql(statement)


def drop_triggers(connection) -> None:
    postgresql = connection.dialect.name == "postgresql"
    for source in SOURCES:
        for op in ("insert", "delete", "update", "truncate"):
            on = f" ON {source}" if postgresql else ""
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {source}_tallies_{op}{on}")
        if postgresql:
            connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS {source}_tallies()")


def rebuild(connection, kept=TALLIES) -> dict[str, int]:
    """Refill every tally of ``kept`` from the rows ({table: rows written}). On PostgreSQL the source tables are
    locked against writes (readers go on) until the caller's transaction ends, so no change is lost meanwhile."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"LOCK TABLE {', '.join(SOURCES)} IN SHARE MODE")
    written = {}
    for tally in kept:
        connection.execute(sa.delete(tally.table))
        rows = tally.definition()
        rows = rows.order_by(*list(rows.selected_columns)[:-1])  # a batch's rows on adjacent pages
        connection.execute(sa.insert(tally.table).from_select([*tally.names, "n"], rows))
        written[tally.table.name] = connection.scalar(sa.select(sa.func.count()).select_from(tally.table))
    return written


def differences(connection) -> dict[str, list]:
    """Per tally, the combinations whose count differs from the live GROUP BY: (key, tally n, live n).
    Empty lists when the tallies are exact."""
    out = {}
    for tally in TALLIES:
        kept = {
            tuple(row[:-1]): row[-1]
            for row in connection.execute(
                sa.select(*(tally.table.c[name] for name in tally.names), tally.table.c.n).where(
                    tally.table.c.n != 0
                )
            )
        }
        live = {tuple(row[:-1]): row[-1] for row in connection.execute(tally.definition())}
        out[tally.table.name] = sorted(
            (key, kept.get(key, 0), live.get(key, 0))
            for key in kept.keys() | live.keys()
            if kept.get(key, 0) != live.get(key, 0)
        )
    return out
