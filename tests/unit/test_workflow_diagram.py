"""The state diagrams of docs/architecture.md are the output of ``flask workflow-diagram``, drawn from the table."""

from pathlib import Path

from click.testing import CliRunner

from admin_app import workflow
from admin_app.cli import workflow_diagram_command
from admin_app.workflow import diagram
from admin_app.workflow.states import RegistrationState

ARCHITECTURE = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"
REFRESH = "flask workflow-diagram --write docs/architecture.md"


def test_architecture_embeds_the_commands_diagram():
    printed = CliRunner().invoke(workflow_diagram_command).output
    embedded = diagram.embedded(ARCHITECTURE.read_text(encoding="utf-8"))
    assert embedded == printed, (
        f"docs/architecture.md's state diagrams differ from the workflow table; refresh them with `{REFRESH}`"
    )


def test_every_state_and_transition_is_drawn():
    printed = diagram.markdown()
    for name, machine in workflow.MACHINES.items():
        block = diagram.machine_diagram(name)
        assert block in printed
        for value, label in machine.states.labels().items():
            assert f'state "{label}" as {diagram._state_id(value)}' in block
        for t in machine.transitions.values():
            assert f" : {t.label}（" in block, f"{name}.{t.name} not drawn"


def test_a_route_transition_draws_every_reachable_target():
    registration = workflow.MACHINES["registration"]
    confirm = registration.transitions["confirm_registration"]
    block = diagram.machine_diagram("registration")
    assert "pending_confirm --> pending_fee : 报名审核通过（市工考办）" in block
    assert "unregistered --> pending_confirm : 报名（单位用户）" in block
    for t in (t for m in workflow.MACHINES.values() for t in m.transitions.values() if t.route):
        for source, target in diagram._edges(t):
            assert source != target and target in t.reachable()
    assert confirm.reachable() == (RegistrationState.FEE,)


def test_embed_replaces_only_the_marked_text():
    document = f"before\n{diagram.START}\nold\n{diagram.END}\nafter\n"
    refreshed = diagram.embed(document)
    assert refreshed.startswith("before\n") and refreshed.endswith(f"{diagram.END}\nafter\n")
    assert diagram.embedded(refreshed) == diagram.markdown()
