"""Migration 0011 on a database already in use: names cleaned and keyed, duplicates left for review."""

import os
import tempfile
import uuid

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from admin_app import create_app
from admin_app.extensions import db
from admin_app.workflow.states import IdentityState


@pytest.fixture
def scratch_url():
    """An empty database of the kind the suite runs on (its own, dropped afterwards)."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url or not url.startswith("postgresql"):
        yield f"sqlite:///{tempfile.mkdtemp(prefix='gk-mig-')}/scratch.db"
        return
    name = f"gk_mig_{uuid.uuid4().hex[:8]}"
    server = sa.create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    yield url.rsplit("/", 1)[0] + "/" + name
    with server.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    server.dispose()


def test_0011_cleans_names_and_leaves_duplicates_for_review(scratch_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": scratch_url, "SECRET_KEY": "x", "TESTING": True})
    with app.app_context():
        upgrade(revision="0010")
        insert = sa.text(
            "INSERT INTO organisation (id, name, kind, uscc, org_category, jurisdiction_id, supervisor_id, "
            "address, postcode, contact_person, contact_phone, active, self_registered, created_at) VALUES "
            "(:id, :name, :kind, :uscc, :cat, :j, :sup, :addr, '400010', '王明', '023-88152255', :active, "
            "true, CURRENT_TIMESTAMP)"
        )
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO jurisdiction (id, code, name, kind, active, sort_order) "
                    "VALUES (1, '500103', '渝中区', 'district', true, 1)"
                )
            )
            rows = [
                (1, "重庆市教育委员会", "unit", "U1", "city_other", 1, None, "人民路1号", True),
                (2, "重庆市教育委员会\u200b", "unit", "U2", "city_other", 1, 1, "人民路2号", True),  # twin
                (3, " 重庆市渝中区 某(小学) ", "unit", "U3", "district", 1, 1, "人民路3号", True),
                (4, "重庆市教育委员会", "unit", "U4", "city_other", 1, None, "人民路4号", False),  # inactive
                (5, "新注册单位", "unit", "U5", None, None, None, None, True),  # profile incomplete
                (6, "市工考办", "office", None, None, None, None, None, True),
            ]
            for id_, name, kind, uscc, cat, j, sup, addr, active in rows:
                conn.execute(
                    insert,
                    {
                        "id": id_,
                        "name": name,
                        "kind": kind,
                        "uscc": uscc,
                        "cat": cat,
                        "j": j,
                        "sup": sup,
                        "addr": addr,
                        "active": active,
                    },
                )
        upgrade()
        with db.engine.connect() as conn:
            found = {
                row.id: row
                for row in conn.execute(
                    sa.text(
                        "SELECT id, name, name_key, identity_status, is_supervisor, identity_confirmed "
                        "FROM organisation"
                    )
                )
            }
        db.session.remove()
        db.engine.dispose()
    assert found[1].name_key == "重庆市教育委员会" and found[1].identity_status == IdentityState.CONFIRMED
    assert found[1].is_supervisor  # already someone's 主管部门
    # The twin keeps its (cleaned) name, has no key and waits for its reviewer.
    assert found[2].name == "重庆市教育委员会" and found[2].name_key is None
    assert found[2].identity_status == IdentityState.PENDING and not found[2].is_supervisor
    assert found[3].name == "重庆市渝中区 某（小学）" and found[3].identity_status == IdentityState.CONFIRMED
    assert found[4].name_key == "重庆市教育委员会"  # inactive: the index ignores it
    assert found[5].identity_status == IdentityState.NEW
    assert found[6].identity_status is None and found[6].name_key == "市工考办"
