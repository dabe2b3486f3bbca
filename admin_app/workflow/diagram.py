"""The state diagrams drawn from the table (``flask workflow-diagram``): one Mermaid ``stateDiagram-v2`` per
machine, states with their Chinese labels, one edge per (source, target) of every transition, labelled with
the transition's label and the roles that may take it. ``docs/architecture.md`` embeds the output between
``<!-- workflow-diagram:start -->`` and ``<!-- workflow-diagram:end -->``; a test keeps them equal
(``flask workflow-diagram --write docs/architecture.md`` refreshes it).
"""

from admin_app.workflow.states import MACHINE_STATES, step_role
from admin_app.workflow.table import MACHINES, Transition
from models import enums

START = "<!-- workflow-diagram:start -->"
END = "<!-- workflow-diagram:end -->"
EMPTY = "empty"  # the id of the NULL state (a column that starts empty)


def _role_label(role: str) -> str:
    return enums.ROLE_LABELS[role].split("（")[0]  # 单位用户（法人用户） → 单位用户


def _state_id(value) -> str:
    return EMPTY if value is None else str(value)


def _roles(t: Transition, source) -> str:
    """Who may take ``t`` from ``source``: at a 待…审核 step only that step's role (the engine's "at your own
    step" rule), elsewhere every role of the transition, in the order of ``enums.ROLE_LABELS``."""
    roles = t.roles
    own = step_role(source)
    if own in roles:
        roles = {own}
    return "、".join(_role_label(r) for r in enums.ROLE_LABELS if r in roles)


def _edges(t: Transition) -> list[tuple]:
    """(source, target) pairs of ``t`` in the order of the states (the same text on every run); a routed
    transition is drawn without loops (a correction that keeps the result is not an edge of its own)."""
    order = {value: index for index, value in enumerate(MACHINE_STATES[t.machine.name].labels())}
    in_order = lambda states: sorted(states, key=lambda s: order.get(s, len(order)))  # noqa: E731
    pairs = []
    for source in in_order(t.sources):
        for target in in_order(set(t.reachable())):
            if t.route is not None and target == source:
                continue
            pairs.append((source, target))
    return pairs


def machine_diagram(name: str) -> str:
    """One machine as a Mermaid block."""
    machine = MACHINES[name]
    states = machine.states
    lines = ["```mermaid", "stateDiagram-v2"]
    for value, label in states.labels().items():
        lines.append(f'    state "{label}" as {_state_id(value)}')
    for t in machine.transitions.values():
        for source, target in _edges(t):
            lines.append(
                f"    {_state_id(source)} --> {_state_id(target)} : {t.label}（{_roles(t, source)}）"
            )
    lines.append("```")
    return "\n".join(lines)


def markdown() -> str:
    """Every registered machine, in the order of ``states.MACHINE_STATES``, each under a heading."""
    import admin_app.workflow.api  # noqa: F401  (registers every stage's transitions)

    parts = []
    for name in MACHINE_STATES:
        if name in MACHINES:
            parts.append(f"#### {MACHINES[name].label}（`{name}`）\n\n{machine_diagram(name)}")
    return "\n\n".join(parts) + "\n"


def embedded(document: str) -> str:
    """The text between the markers of ``document`` (ValueError without them)."""
    start, end = document.index(START) + len(START), document.index(END)
    return document[start:end].strip("\n") + "\n"


def embed(document: str) -> str:
    """``document`` with the text between the markers replaced by :func:`markdown`."""
    start, end = document.index(START) + len(START), document.index(END)
    return f"{document[:start]}\n{markdown()}{document[end:]}"
