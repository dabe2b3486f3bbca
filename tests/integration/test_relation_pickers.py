"""Relation pickers offer what their view declares in ``scoped_relations``, and a writable form with an
undeclared relation does not start (views/mixins/relations.py)."""

import re

import pytest

from admin_app.extensions import db
from admin_app.workflow.states import BatchState
from models import Jurisdiction, Trade, Worker
from tests.factories import add_batch
from views.base import SecureModelView


def offered(client, url: str, field: str) -> set[int]:
    """The ids a form's dropdown ``field`` offers (the blank choice left out)."""
    body = client.get(url).get_data(as_text=True)
    picker = re.search(rf'<select[^>]*name="{field}".*?</select>', body, re.S)
    assert picker, f"{url}: no picker {field}"
    return {int(pk) for pk in re.findall(r'value="(\d+)"', picker.group(0))}


def test_trade_pickers_offer_only_trades_in_use(client, world, login_as):
    retired = Trade(name="停用工种", category="技术工种", max_grade=1, active=False)
    db.session.add(retired)
    db.session.commit()
    in_use = {t.id for t in Trade.query.filter_by(active=True)}
    login_as("unit_a")
    for field in ("current_trade", "certificate_trade"):
        assert offered(client, "/workers/new/", field) == in_use
    assert offered(client, "/applications/new/", "applied_trade") == in_use


def test_batch_pickers_offer_open_batches_to_applications_and_unarchived_ones_to_settings(
    client, world, login_as
):
    later = add_batch(2031)  # not open yet
    add_batch(2019, state=BatchState.ARCHIVED)
    db.session.commit()
    login_as("unit_a")
    assert offered(client, "/applications/new/", "batch") == {world.batch.id}
    assert offered(client, "/posts/new/", "batch") == {world.batch.id, later.id}
    login_as("admin")
    assert offered(client, "/routes/new/", "batch") == {world.batch.id, later.id}


def test_jurisdiction_pickers_hide_merged_ones_from_units_not_from_the_admin(client, world, login_as):
    everything = {j.id for j in Jurisdiction.query}
    in_use = {j.id for j in Jurisdiction.query.filter_by(active=True)}
    assert in_use < everything  # 渝北区 merged into 两江新区
    login_as("unit_a")
    assert offered(client, f"/unitprofile/edit/?id={world.units['A'].id}", "jurisdiction") == in_use
    login_as("admin")
    assert offered(client, "/organisations/new/", "jurisdiction") == everything


def test_a_writable_form_with_an_undeclared_relation_does_not_start(app):
    class Careless(SecureModelView):
        read_roles = write_roles = frozenset({"unit"})
        form_columns = ["name", "current_trade"]

    with pytest.raises(TypeError, match="'current_trade' is not declared in scoped_relations"):
        Careless(Worker, db, endpoint="careless_workers")

    class Declared(Careless):
        scoped_relations = {"current_trade": lambda query: query.filter_by(active=True)}

    class ReadOnly(Careless):  # its form is never shown: nothing to declare
        write_roles = frozenset()

    Declared(Worker, db, endpoint="declared_workers")
    ReadOnly(Worker, db, endpoint="read_only_workers")
