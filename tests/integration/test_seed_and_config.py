import pytest
import sqlalchemy as sa

from admin_app.config import ConfigError, load_config
from admin_app.extensions import db
from admin_app.services.validators import parse_resident_id, validate_credit_code
from admin_app.workflow.states import FINAL_STATES, ApplicationState
from models import Jurisdiction, Organisation, Trade, User, Worker, enums
from models.dictionary import Ethnicity
from seed import demo


def test_demo_seed_has_every_role_and_valid_data(app, ctx):
    demo.build()
    roles = {u.role for u in db.session.scalars(sa.select(User))}
    assert roles == set(enums.ROLE_LABELS)
    units = db.session.scalars(sa.select(Organisation).where(Organisation.kind == enums.UNIT)).all()
    assert len(units) >= 30
    assert {u.org_category for u in units if u.org_category} == set(enums.ORG_CATEGORY_LABELS)
    workers = db.session.scalars(sa.select(Worker)).all()
    assert len(workers) >= 300
    for worker in workers:
        parsed = parse_resident_id(worker.id_number)
        assert parsed.birth_date == worker.birth_date and parsed.gender == worker.gender
        assert {a.year for a in worker.assessments} == set(range(2016, 2021))
    for unit in units:
        validate_credit_code(unit.uscc)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ethnicity)) == 56
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Trade)) >= 50
    active = db.session.scalars(sa.select(Jurisdiction).where(Jurisdiction.active.is_(True))).all()
    kinds = [j.kind for j in active]
    assert (kinds.count("district"), kinds.count("county"), kinds.count("autonomous_county")) == (25, 8, 4)
    jiangbei = db.session.scalar(sa.select(Jurisdiction).where(Jurisdiction.name == "江北区"))
    assert not jiangbei.active and jiangbei.merged_into.name == "两江新区"
    assert len(demo.demo_accounts()) == 12


def test_production_requires_a_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config(str(tmp_path), {"APP_ENV": "production"})


def test_development_key_is_generated_once(tmp_path):
    first = load_config(str(tmp_path), {})["SECRET_KEY"]
    assert len(first) >= 32
    assert load_config(str(tmp_path), {})["SECRET_KEY"] == first


def test_database_url_gets_the_psycopg_driver(tmp_path):
    config = load_config(str(tmp_path), {"DATABASE_URL": "postgresql://u@h/db", "SECRET_KEY": "x"})
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"
    assert load_config(str(tmp_path), {})["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")


def test_every_demo_application_has_a_history_from_its_first_to_its_current_state(app, ctx):
    """Imported history batches included: the history chains 待提交 → … → the state the application holds."""
    from models import Application, ApplicationReview

    demo.build()
    reviews: dict = {}
    for review in db.session.scalars(sa.select(ApplicationReview).order_by(ApplicationReview.id)):
        reviews.setdefault(review.application_id, []).append(review)
    applications = db.session.scalars(sa.select(Application)).all()
    decided = [a for a in applications if a.status in FINAL_STATES]
    assert len(decided) >= 100
    for application in applications:
        chain = reviews.get(application.id, [])
        if application.status == ApplicationState.DRAFT:
            assert chain == [], application.id
            continue
        assert chain, f"application {application.id} ({application.status}) has no history"
        assert chain[0].from_status == ApplicationState.DRAFT and chain[0].action == "submit"
        for earlier, later in zip(chain, chain[1:], strict=False):
            assert earlier.to_status == later.from_status, application.id
        assert chain[-1].to_status == application.status, application.id


def test_the_real_name_page_opens_for_a_verified_unit_without_a_verification_time(client, world):
    """Found by the attack: /verify answered 500 for the demo unit, verified but with no verified_at."""
    from tests.conftest import login

    user = world.users[enums.UNIT]
    user.real_name_verified = True
    user.verified_name = "张红"
    user.verified_at = None
    db.session.commit()
    login(client, user.username)
    response = client.get("/verify")
    assert response.status_code == 200
    assert "完成实名认证（经办人：张红）" in response.get_data(as_text=True)
