"""The one writer of every state: :func:`apply` carries out a transition of the table on many rows.

For each transition it reads the rows within the actor's scope, refuses (with a Chinese reason) every row
that is missing, archived, in another state or fails a guard, groups the rest by where they go, and moves
each group with one ``UPDATE … WHERE id IN (…) AND <state> = <source> AND <scope> AND <conditions>
RETURNING id`` — so a row someone else moved meanwhile, or that left the actor's scope, is reported, never
overwritten (two people on one row: exactly one wins). History, audit rows (COPY on PostgreSQL) and side
effects are written in the same transaction as the change.

Commit policy, the same for every stage: each group of rows that move together (same source, same
:class:`~admin_app.workflow.table.Step`) is one transaction. A failure while writing a group rolls back that
group alone and reports its rows as not saved; groups already committed stay, so a clerk deciding 5,000 rows
keeps what succeeded and retries the rest. A transition marked ``atomic`` (an import: all or nothing) is one
transaction for all its rows, and moves none unless every row can move. A transition marked ``together`` (提交审核:
the post quota is counted across the rows of one request under a lock of the unit's row, which a commit would
release) moves the rows that pass its guards in one transaction; a failure there leaves all of them unsaved.
A database error before any group of the call was committed is raised (the 503 page then says truthfully that
nothing was saved); after that, it is reported on the rows of the failing group.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa

from admin_app.actor import Actor
from admin_app.extensions import db
from admin_app.services import audit
from admin_app.services.sql import among, update_rows
from admin_app.workflow.states import BatchState
from admin_app.workflow.table import Step, Transition, machines

log = logging.getLogger(__name__)

ARCHIVED = "考核批次已归档，只读"
GROUP_FAILED = "处理时发生错误，本条未保存（其余已处理的不受影响），请稍后重试"
CHANGED = "该记录已被他人处理或状态已变化，请刷新后查看"
NOT_KEPT = "其他记录的状态已变化，本条未保存，请刷新后重试"  # an atomic transition's rows that did not change


@dataclass
class BulkResult:
    """What a transition did: rows done and rows refused (with the reason), for the result page."""

    action: str
    label: str = ""
    done: list = field(default_factory=list)  # (id, label)
    refused: list = field(default_factory=list)  # (id, label, reason)

    def refuse(self, row_id, label, reason):
        self.refused.append((row_id, label, reason))


@dataclass
class Context:
    """What guards, routes and effects of one ``apply`` see: who acts, the cleaned inputs, a scratch dict,
    and the ids asked for (``prepare`` may read what they share, e.g. their batches' rules)."""

    actor: Actor
    transition: Transition
    inputs: dict
    opinion: str | None = None
    cache: dict = field(default_factory=dict)
    ids: list = field(default_factory=list)

    @property
    def user(self):
        return self.actor.user

    @property
    def now(self):
        return self.actor.now


def archived_batch_ids() -> set[int]:
    from models import ExamBatch

    return set(db.session.scalars(sa.select(ExamBatch.id).where(ExamBatch.state == BatchState.ARCHIVED)))


def _unique(ids) -> list:
    seen, out = set(), []
    for row_id in ids:
        if row_id not in seen:
            seen.add(row_id)
            out.append(row_id)
    return out


def _context(actor, t: Transition, inputs: dict, ids=()) -> Context:
    inputs = dict(inputs)
    opinion = t.opinion.clean(inputs.pop("opinion", None), t.label) if t.opinion else None
    ctx = Context(Actor.of(actor), t, inputs, opinion, ids=list(ids))
    if t.prepare:
        t.prepare(ctx)  # raises InvalidInput before any row is read
    return ctx


def _sort(ctx: Context, ids, result: BulkResult) -> dict:
    """Read the rows, refuse those that cannot move; {(source, step): [rows]} of the others."""
    t, m = ctx.transition, ctx.transition.machine
    extra = list(t.columns()) if t.columns else []
    rows = db.session.execute(m.select(extra).where(among(m.model.id, ids), m.scope(ctx.user))).all()
    found = {row.id for row in rows}
    for row_id in ids:
        if row_id not in found:
            result.refuse(row_id, "", t.missing or m.missing)
    archived = archived_batch_ids() if m.batch_column else set()
    groups: dict = defaultdict(list)
    for row in sorted(rows, key=lambda r: r.id):
        label = m.describe(row)
        if m.batch_column and getattr(row, m.batch_column) in archived:
            result.refuse(row.id, label, ARCHIVED)
            continue
        if row.state not in t.sources:
            current = m.states.label_of(row.state)
            result.refuse(row.id, label, f"当前状态为“{current}”，{t.wrong_state or '不能' + t.label}")
            continue
        reason = next((r for guard in t.guards if (r := guard(ctx, row))), None)
        if reason:
            result.refuse(row.id, label, reason)
            continue
        step = t.route(ctx, row) if t.route else Step(t.target)
        if isinstance(step, str):  # a route may refuse the row with a reason
            result.refuse(row.id, label, step)
            continue
        groups[(row.state, step)].append(row)
    return groups


def _move(ctx: Context, source, step: Step, members) -> set:
    """One conditional UPDATE for a group, then history, audit and effects (not committed here)."""
    t, m = ctx.transition, ctx.transition.machine
    model = m.model
    column = getattr(model, m.field)
    ids = [row.id for row in members]
    values = {m.field: step.target, **dict(step.values)}
    if t.values:
        values.update(t.values(ctx))
    if "version" in model.__table__.c:
        values["version"] = model.version + 1
    if "updated_at" in model.__table__.c:
        values["updated_at"] = ctx.now
    where = [
        among(model.id, ids),
        column.is_(None) if source is None else column == source,
        m.scope(ctx.user),
        *(getattr(model, name) == value for name, value in step.where),
        *(condition(ctx) for condition in t.conditions),
    ]
    if t.row_values:
        landed = _move_each(ctx, model, column, step, members, where, values)
    else:
        stmt = (
            sa.update(model)
            .where(*where)
            .values(**values)
            .returning(model.id)
            .execution_options(synchronize_session=False)
        )
        landed = set(db.session.scalars(stmt))
    done = sorted(landed)
    if not done:
        return landed
    if m.history:
        m.history(ctx, source, step, done, members)
    extra = t.audit_detail(ctx, step, [row for row in members if row.id in landed]) if t.audit_detail else {}
    audit.record_many(
        t.audit_action or t.name,
        m.audit_type or model.__name__,
        [
            {
                "object_id": i,
                "from_state": source,
                "to_state": step.target,
                "opinion": ctx.opinion,
                **extra.get(i, {}),
            }
            for i in done
        ],
        user=ctx.user,
        ip=ctx.actor.ip,
    )
    for effect in t.effects:
        effect(ctx, done, step)
    return landed


def _move_each(ctx, model, column, step, members, where, values) -> set:
    """Rows with values of their own. PostgreSQL: one set-based UPDATE from the rows' values
    (``sql.update_rows``), returning the ids that moved. SQLite (in process, row-level triggers): one
    executemany UPDATE, then the rows that moved are read back (stamped with this call's ``now``; RETURNING is
    not available for executemany) — an ``UPDATE … FROM (VALUES …)`` and one statement per row were both
    measured slower there (bench/README.md, 成绩导入)."""
    per_row = [{"id": row.id, **ctx.transition.row_values(ctx, row)} for row in members]
    table = model.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        return update_rows(table, per_row, where[1:], values)
    names = [name for name in per_row[0] if name != "id"]
    stmt = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("_row_id"), *where[1:])
        .values(**values, **{name: sa.bindparam(f"_row_{name}") for name in names})
    )
    db.session.execute(
        stmt, [{"_row_id": row["id"], **{f"_row_{name}": row[name] for name in names}} for row in per_row]
    )
    ids = [row.id for row in members]
    return set(
        db.session.scalars(
            sa.select(model.id).where(
                among(model.id, ids), column == step.target, model.updated_at == ctx.now
            )
        )
    )


def _begin(actor, t: Transition, ids, inputs: dict):
    """(ids without repeats, the result, the context — None when the actor's role may not take ``t``, every
    row then refused)."""
    ids = _unique(ids)
    result = BulkResult(t.name, t.label)
    actor = Actor.of(actor)
    if actor.role not in t.roles:
        for row_id in ids:
            result.refuse(row_id, "", f"无权{t.label}")
        return ids, result, None
    return ids, result, _context(actor, t, inputs, ids)


def apply(actor, transition: Transition, ids, **inputs) -> BulkResult:
    """Carry out ``transition`` on the rows ``ids`` for ``actor`` (an :class:`Actor` or a user).

    Guarantees: only rows within the actor's scope, in a source state and passing every guard move, each
    checked again in the UPDATE; every other row is in ``refused`` with its reason; history, audit and
    effects are committed with the change (see the commit policy above). Raises ``InvalidInput`` (Chinese)
    for a missing or too long opinion or bad inputs, before anything is read or changed.
    """
    t = transition
    ids, result, ctx = _begin(actor, t, ids, inputs)
    if ctx is None:
        return result
    groups = _sort(ctx, ids, result)
    if t.atomic and result.refused:
        db.session.rollback()
        return result
    together = t.atomic or t.together
    batches = [list(groups.items())] if together else [[item] for item in groups.items()]
    committed = False
    for batch in batches:
        landed: set = set()
        try:
            for (source, step), members in batch:
                moved = _move(ctx, source, step, members)
                if t.atomic and len(moved) != len(members):
                    raise _Changed({row.id for row in members} - moved)
                landed |= moved
            db.session.commit()
            committed = True
        except _Changed as changed:
            db.session.rollback()
            for (_source, _step), members in batch:
                for row in members:
                    reason = CHANGED if row.id in changed.ids else NOT_KEPT
                    result.refuse(row.id, t.machine.describe(row), reason)
            continue
        except Exception as exc:
            db.session.rollback()
            if isinstance(exc, sa.exc.DBAPIError) and not committed:
                # The database failed before anything of this call was saved: the error page (503) says
                # exactly that; a result page would have nothing to show but the failure.
                raise
            log.exception("%s.%s failed for a group", t.machine.name, t.name)
            for (_source, _step), members in batch:
                for row in members:
                    result.refuse(row.id, t.machine.describe(row), GROUP_FAILED)
            continue
        for (_source, _step), members in batch:
            for row in members:
                if row.id in landed:
                    result.done.append((row.id, t.machine.describe(row)))
                else:
                    result.refuse(row.id, t.machine.describe(row), CHANGED)
    db.session.expire_all()
    return result


class _Changed(Exception):
    """A row of an atomic transition moved meanwhile (``ids``): nothing of the transition is kept."""

    def __init__(self, ids):
        super().__init__(ids)
        self.ids = ids


def check(actor, transition: Transition, ids, **inputs) -> BulkResult:
    """What :func:`apply` would do, without changing anything: ``done`` lists the rows that would move."""
    t = transition
    ids, result, ctx = _begin(actor, t, ids, inputs)
    if ctx is None:
        return result
    for (_source, _step), members in _sort(ctx, ids, result).items():
        result.done.extend((row.id, t.machine.describe(row)) for row in members)
    db.session.rollback()
    return result


def available_transitions(actor, machine_name: str, row_id) -> list[Transition]:
    """The transitions ``actor`` may take on one row now (role, scope, source state and every guard that
    needs no input): the buttons of a details page."""
    actor = Actor.of(actor)
    out = []
    for t in machines()[machine_name].transitions.values():
        if actor.role not in t.roles:
            continue
        ctx = Context(actor, t, {}, ids=[row_id])
        result = BulkResult(t.name, t.label)
        if _sort(ctx, [row_id], result):
            out.append(t)
    return out


def apply_all(actor, steps) -> BulkResult | None:
    """Carry out several transitions in ONE transaction, all or nothing (a decision that moves two machines:
    查分 更正 corrects the scores and answers the request). ``steps`` are ``(transition, ids, inputs)``.

    Guarantees: every row of every step is read, scoped and guarded before anything is written, and moved by
    its conditional UPDATE; if any row of any step is refused or moved meanwhile, nothing of any step is kept
    and the :class:`BulkResult` of that step is returned with the reasons. Returns None once everything
    moved and was committed with its history, audit rows and effects. Raises ``InvalidInput`` as
    :func:`apply` does, before anything is read; a database error is raised after the rollback."""
    prepared = []
    for t, ids, inputs in steps:
        ids, result, ctx = _begin(actor, t, ids, inputs)
        groups = _sort(ctx, ids, result) if ctx is not None else {}
        if result.refused:
            db.session.rollback()
            return result
        prepared.append((ctx, result, groups))
    try:
        for ctx, result, groups in prepared:
            for (source, step), members in groups.items():
                moved = _move(ctx, source, step, members)
                if len(moved) != len(members):
                    describe = ctx.transition.machine.describe
                    for row in members:
                        result.refuse(row.id, describe(row), NOT_KEPT if row.id in moved else CHANGED)
                    raise _Changed({row.id for row in members} - moved)
        db.session.commit()
    except _Changed:
        db.session.rollback()
        return result
    except Exception:
        db.session.rollback()
        raise
    finally:
        db.session.expire_all()
    return None


def apply_inside(actor, transition: Transition, ids, **inputs) -> BulkResult:
    """Carry out ``transition`` on ``ids`` inside the caller's transaction, all or nothing, committing nothing:
    the effect of another transition that must move with it (an objection's 取消 ends that person's 资格认定).

    Guarantees: the same reading, scope, guards, conditional UPDATE, history and audit as :func:`apply`; the
    returned result has every row in ``done``, or the refusals — and then nothing of this call was written
    (the caller must roll back its own transaction: the rows it moved itself are not undone here)."""
    t = transition
    ids, result, ctx = _begin(actor, t, ids, inputs)
    if ctx is None:
        return result
    groups = _sort(ctx, ids, result)
    if result.refused:
        return result
    for (source, step), members in groups.items():
        moved = _move(ctx, source, step, members)
        for row in members:
            if row.id in moved:
                result.done.append((row.id, t.machine.describe(row)))
            else:
                result.refuse(row.id, t.machine.describe(row), CHANGED)
    return result
