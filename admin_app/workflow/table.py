"""The workflow as data: machines (which column of which table, who sees which rows) and their transitions
(from which states, to which, who may take them, the guards that must pass, the opinion, the side effects).

Stage modules (``applications``, ``registrations``, ``scores``, ``evaluation``, ``recognition``,
``batches``, ``identity``) declare their rows here with :func:`add`; :mod:`engine` is the only code that
carries a transition out; views read :func:`transitions_of` to build their buttons and bulk operations; the
diagram (``flask workflow-diagram``) is drawn from the same rows.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from admin_app import limits
from admin_app.services.validators import InvalidInput


@dataclass(frozen=True)
class Opinion:
    """The text a decision carries: its label, whether it is required and its length limit."""

    label: str = "审核意见"
    required: bool = False
    limit: int = limits.OPINION

    def clean(self, text, action_label: str) -> str | None:
        text = (text or "").strip() or None
        if self.required and not text:
            raise InvalidInput(f"{action_label}须填写{self.label}")
        if text and len(text) > self.limit:
            raise InvalidInput(f"{self.label}不能超过{self.limit}字")
        return text


@dataclass(frozen=True)
class Step:
    """Where a row goes: the target state, the other columns set with it (``values``) and equality
    conditions re-checked in the UPDATE (``where``); rows with equal steps move in one statement."""

    target: str
    values: tuple = ()  # ((column, value), …)
    where: tuple = ()  # ((column, value), …)


@dataclass(frozen=True)
class Machine:
    """One state machine: the ``field`` of ``model`` holding a value of ``states``.

    ``select(columns)`` gives the statement that reads rows for a transition (columns ``id``, ``state``,
    ``batch_id`` when there is a batch, and what ``describe`` needs); ``scope(user)`` the rows a user may
    act on, applied when rows are read and again in the UPDATE; ``history`` writes the machine's own
    history rows (the applications' 审核记录) beside the audit rows every transition writes.
    """

    name: str
    label: str
    model: type
    field: str
    states: type
    scope: Callable
    select: Callable
    describe: Callable
    missing: str = "记录不存在或不在您的权限范围内"
    batch_column: str | None = "batch_id"
    audit_type: str | None = None
    history: Callable | None = None
    transitions: dict = field(default_factory=dict, compare=False, hash=False, repr=False)


@dataclass(frozen=True)
class Transition:
    """One edge (or fan of edges) of a machine, as data.

    ``target`` is fixed, or ``route(ctx, row) -> Step`` computes it per row (review chains); ``targets``
    lists what ``route`` can reach, for the diagram. ``guards`` are ``(ctx, row) -> reason | None``, checked
    in order after the source state; ``conditions`` are ``ctx -> SQL`` re-checked in the UPDATE itself (what
    another request could change between reading and writing). ``prepare(ctx)`` validates the inputs and may
    lock what the transition reads, before any row is looked at. ``values(ctx)`` are columns set on every
    row, ``row_values(ctx, row)`` columns that differ per row; ``effects`` are ``(ctx, ids, step)`` run after the rows moved, in the same transaction. ``atomic``:
    all rows or none (one transaction); ``together``: the rows that pass move in one transaction; otherwise every
    group of rows moving together is its own.
    """

    machine: Machine = field(repr=False)
    name: str
    label: str
    sources: frozenset
    roles: frozenset
    target: str | None = None
    route: Callable | None = None
    targets: tuple = ()
    guards: tuple = ()
    conditions: tuple = ()
    columns: Callable | None = None
    prepare: Callable | None = None
    opinion: Opinion | None = None
    values: Callable | None = None
    row_values: Callable | None = None  # (ctx, row) -> columns of that row alone (one executemany)
    effects: tuple = ()
    # (ctx, step, rows moved) -> {id: {column: value}} added to each row's audit entry: a ``detail`` (JSON
    # text), or an ``action`` of its own (录入 / 更正成绩); called after the UPDATE, before the effects
    audit_detail: Callable | None = None
    atomic: bool = False
    audit_action: str | None = None
    # ((audit action, label), …): the actions ``audit_detail`` writes per row besides its own (a row's 办理记录
    # names them: 评审通过 / 评审不通过 of one 录入评审表决)
    audit_labels: tuple = ()
    inputs: tuple = ()  # names of the form fields besides the opinion that the transition reads
    bulk: bool = True  # offered on lists (ticked rows, all matching); False: only from a form of its own
    style: str = "primary"  # the button's colour: primary, success, danger, warning
    confirmation: str | None = None  # ticked rows run at once after this question (no confirmation page)
    missing: str | None = None  # reason for a row not found or out of scope, if not the machine's
    wrong_state: str | None = None  # "当前状态为“…”，<this>" for a row in another state (default 不能<label>)
    together: bool = False  # all groups in one transaction (what guards counted across rows, under a lock
    #                         taken in ``prepare``, holds until the commit); unlike ``atomic``, rows refused
    #                         by a guard do not stop the others

    def reachable(self) -> tuple:
        return (self.target,) if self.target is not None else tuple(self.targets)


MACHINES: dict[str, Machine] = {}


def machine(m: Machine) -> Machine:
    """Register a machine (once per stage module)."""
    MACHINES[m.name] = m
    return m


def add(t: Transition) -> Transition:
    """Register a transition on its machine; names are unique within a machine."""
    if t.name in t.machine.transitions:
        raise ValueError(f"duplicate transition {t.machine.name}.{t.name}")
    if t.target is None and t.route is None:
        raise ValueError(f"{t.machine.name}.{t.name}: a target or a route")
    t.machine.transitions[t.name] = t
    return t


def machines() -> dict[str, Machine]:
    """MACHINES, once every stage module has registered its rows (importing ``api`` imports them all)."""
    import importlib

    importlib.import_module("admin_app.workflow.api")
    return MACHINES


def transitions_of(machine_name: str) -> list[Transition]:
    return list(machines()[machine_name].transitions.values())


def for_role(machine_name: str, role) -> list[Transition]:
    """The transitions of a machine that ``role`` may take at all (a list's bulk operations)."""
    return [t for t in transitions_of(machine_name) if role in t.roles]
