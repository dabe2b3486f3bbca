"""Test data builders. The test accounts share one precomputed password hash, made by scrypt at a lower cost
than the app's (N=1024 instead of werkzeug's 32768): a hash names its parameters, so each of the suite's
thousands of logins verifies it in ~3 ms instead of ~80 ms. Passwords the app sets itself (``set_password``:
sign-up, resets, the demo seed) keep the app's cost."""

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from werkzeug.security import generate_password_hash

from admin_app.extensions import db
from admin_app.services import audit, clock, unit_identity
from admin_app.services.validators import resident_check_digit
from admin_app.workflow.states import (
    ApplicationState,
    BatchState,
    EvaluationState,
    IdentityState,
    NoticeState,
    RecognitionState,
    RegistrationState,
    ScorePublication,
    ScoreResult,
    pending,
)
from models import (
    AnnualAssessment,
    Application,
    ExamBatch,
    Jurisdiction,
    Material,
    NoticeEntry,
    Organisation,
    PostSetting,
    Registration,
    ResultNotice,
    Trade,
    User,
    Worker,
    WorkerEducation,
    WorkHistory,
    enums,
)
from models.org import utcnow
from seed import dictionaries
from seed.demo import make_credit_code

PASSWORD = "Passw0rd2021"


@cache
def password_hash() -> str:
    return generate_password_hash(PASSWORD, method="scrypt:1024:8:1")


def make_id_number(area: str, birth: date, seq: int, gender: str = "M") -> str:
    sex = (seq * 2 + (1 if gender == "M" else 0)) % 10
    body = f"{area}{birth:%Y%m%d}{seq % 100:02d}{sex}"
    return body + resident_check_digit(body)


def add_user(username: str, org: Organisation, **kw) -> User:
    user = User(username=username, organisation=org, password_hash=password_hash(), full_name=username, **kw)
    db.session.add(user)
    return user


_code_seq = [0]


def credit_code(area="500103") -> str:
    import random

    _code_seq[0] += 1
    return make_credit_code(random.Random(_code_seq[0]), "12", area)


def add_unit(
    name: str, jurisdiction: Jurisdiction, category=enums.CAT_DISTRICT, supervisor=None, complete=True
):
    """A unit; a complete one is taken as confirmed by 单位信息审核 (tests about the review make their own)."""
    org = Organisation(
        name=name, kind=enums.UNIT, uscc=credit_code(), org_category=category, jurisdiction=jurisdiction
    )
    org.identity_status = IdentityState.CONFIRMED if complete else IdentityState.NEW
    if complete:
        org.address = "重庆市某区某路1号"
        org.postcode = "400010"
        org.contact_person = "联系人"
        org.contact_phone = "023-88152255"
        org.supervisor = supervisor
    db.session.add(org)
    return org


def add_worker(unit: Organisation, name: str, seq: int, trade: Trade, batch: ExamBatch) -> Worker:
    birth = date(1975, 3, 1 + seq % 27)
    worker = Worker(
        unit=unit,
        name=name,
        gender="M",
        id_number=make_id_number("500103", birth, seq),
        birth_date=birth,
        work_start_date=date(1995, 7, 1),
        current_trade=trade,
        current_grade=4,
        current_grade_date=date(2012, 5, 1),
        certificate_trade=trade,
        education="high_school",
    )
    worker.educations.append(WorkerEducation(level="high_school", school="重庆市第七中学"))
    worker.work_history.append(WorkHistory(start_month=date(1995, 7, 1), employer=unit.name))
    for year in batch.assessment_years:
        worker.assessments.append(AnnualAssessment(year=year, result="pass"))
    db.session.add(worker)
    return worker


@dataclass
class World:
    """Two 区县 with a unit each, a 党群 unit, every staff role, and one row of every entity per unit."""

    jurisdictions: dict
    batch: ExamBatch
    trade: Trade
    users: dict = field(default_factory=dict)
    units: dict = field(default_factory=dict)
    workers: dict = field(default_factory=dict)
    posts: dict = field(default_factory=dict)
    applications: dict = field(default_factory=dict)
    registrations: dict = field(default_factory=dict)


def build_world() -> World:
    dictionaries.load_all()
    js = {j.code: j for j in Jurisdiction.query.all()}
    batch = ExamBatch.query.filter_by(year=2021).one()
    # The world's batch is open for applications today (its 申报截止日 a month ahead).
    batch.apply_deadline = clock.today() + timedelta(days=30)
    trade = Trade.query.filter_by(name="电工").one()
    world = World(jurisdictions=js, batch=batch, trade=trade)

    staff = {
        enums.PARTY_ORG: "市委组织部干部一处",
        enums.CITY_HR: "市人力社保局事业处",
        enums.OFFICE: "市工考办",
        enums.CENTER: "市职鉴中心",
        enums.ADMIN: "系统管理",
    }
    for role, name in staff.items():
        org = Organisation(name=name, kind=role)
        db.session.add(org)
        world.users[role] = add_user(role, org)
    yz_hr = Organisation(name="渝中区人力社保局", kind=enums.DISTRICT_HR, jurisdiction=js["500103"])
    spb_hr = Organisation(name="沙坪坝区人力社保局", kind=enums.DISTRICT_HR, jurisdiction=js["500106"])
    lj_hr = Organisation(name="两江新区组织人事部", kind=enums.DISTRICT_HR, jurisdiction=js["LJXQ"])
    db.session.add_all([yz_hr, spb_hr, lj_hr])
    world.users[enums.DISTRICT_HR] = add_user("yuzhong_hr", yz_hr)
    world.users["district_hr_b"] = add_user("shapingba_hr", spb_hr)
    world.users["district_hr_lj"] = add_user("liangjiang_hr", lj_hr)

    world.units["A"] = add_unit("甲单位（渝中）", js["500103"])
    world.units["B"] = add_unit("乙单位（沙坪坝）", js["500106"])
    world.units["P"] = add_unit("丙单位（党群）", js["500103"], category=enums.CAT_CITY_PARTY)
    world.units["Y"] = add_unit("丁单位（原渝北区）", js["500112"])  # jurisdiction merged into 两江新区
    world.units["P"].is_supervisor = True  # the 主管部门 of the others
    for key, unit in world.units.items():
        if key != "P":
            unit.supervisor = world.units["P"]
    world.users[enums.UNIT] = add_user("unit_a", world.units["A"])
    world.users["unit_b"] = add_user("unit_b", world.units["B"])
    db.session.flush()
    for unit in world.units.values():
        unit_identity.record_confirmed(unit, "测试数据")
    for seq, (key, unit) in enumerate(world.units.items(), start=1):
        world.workers[key] = add_worker(unit, f"{key}工人", seq, trade, batch)
        world.posts[key] = PostSetting(unit=unit, batch=batch, grade=4, approved_posts=3, current_staff=1)
        db.session.add(world.posts[key])
    audit.record("world_built", object_type="World", object_id=0)
    db.session.flush()
    for key in world.units:
        world.applications[key] = add_application(world, world.workers[key])
    # B's application waits at its 区县 step (沙坪坝) with an uploaded material.
    b = world.applications["B"]
    b.status, b.route, b.step_index = pending(enums.DISTRICT_HR), enums.DISTRICT_HR, 0
    b.submitted_at = utcnow()
    add_material(b)
    # Each unit also has an approved application with its registration; B's has passed the exam and the
    # committee and awaits recognition, so it appears in every stage list.
    for seq, key in enumerate(world.units, start=200):
        worker = add_worker(world.units[key], f"{key}考生", seq, world.trade, world.batch)
        db.session.flush()
        approved = add_application(
            world, worker, grade=2 if key == "B" else 4, status=ApplicationState.APPROVED
        )
        world.registrations[key] = add_registration(
            approved, stage="awaiting_recognition" if key == "B" else "new"
        )
    db.session.flush()
    from admin_app.services import notify

    notify.notify("scores_published", [world.registrations["A"].id, world.registrations["B"].id])
    db.session.commit()
    return world


def add_registration(app: Application, stage: str = "new") -> Registration:
    reg = Registration(
        application_id=app.id,
        batch_id=app.batch_id,
        worker_id=app.worker_id,
        unit_id=app.unit_id,
        jurisdiction_id=app.jurisdiction_id,
        org_category=app.org_category,
        applied_trade_id=app.applied_trade_id,
        applied_grade=app.applied_grade,
        status=RegistrationState.UNREGISTERED,
    )
    if stage == "awaiting_recognition":
        reg.status = RegistrationState.REGISTERED
        reg.theory_score, reg.practice_score, reg.review_score = 80, 85, 90
        reg.score_result = ScoreResult.PASS
        reg.scores_entered_at = utcnow()
        reg.evaluation_status = EvaluationState.PASSED
        reg.vote_expected, reg.vote_present, reg.vote_yes, reg.vote_no, reg.vote_abstain = 9, 7, 6, 1, 0
        reg.recognition_status = RecognitionState.PENDING
        reg.score_publication, reg.scores_published_at = ScorePublication.PUBLISHED, utcnow()
        reg.photo_name, reg.photo_stored = "照片.png", store_test_file(f"photos/test/{app.id}.png", PNG)
        reg.photo_content_type = "image/png"
    db.session.add(reg)
    db.session.flush()
    if stage == "awaiting_recognition":
        put_on_ended_notice(reg)
    if reg.status == RegistrationState.REGISTERED:
        reg.ticket_number = f"2021{reg.applied_grade}{reg.id:06d}"
        db.session.flush()
    return reg


def add_batch(year: int, state: str = BatchState.NOT_OPEN) -> ExamBatch:
    """A batch of ``year`` with the notice's calendar moved to that year (no route table)."""
    batch = ExamBatch(
        year=year,
        name=f"{year}年度工勤人员技术等级（岗位）考核",
        doc_number=f"渝人工考〔{year}〕1号",
        cutoff_date=date(year - 1, 12, 31),
        apply_deadline=date(year, 7, 20),
        assessment_start_year=year - 5,
        assessment_end_year=year - 1,
        state=state,
    )
    db.session.add(batch)
    db.session.flush()
    return batch


def add_application(world: World, worker: Worker, grade: int = 3, **kw) -> Application:
    unit = worker.unit
    fields = {
        "batch": world.batch,
        "worker": worker,
        "unit_id": unit.id,
        "jurisdiction_id": unit.jurisdiction_id,
        "org_category": unit.org_category,
        "applied_trade": world.trade,
        "applied_grade": grade,
        "publicity_start": date(2021, 6, 1),
        "publicity_end": date(2021, 6, 7),
        "publicity_result": "no_objection",
        "status": ApplicationState.DRAFT,
    }
    app = Application(**{**fields, **kw})
    db.session.add(app)
    db.session.flush()
    return app


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def store_test_file(stored: str, content: bytes) -> str:
    from flask import current_app

    path = Path(current_app.config["UPLOAD_DIR"]) / stored
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return stored


def add_material(app: Application, content: bytes = b"%PDF-1.4 test") -> Material:

    stored = store_test_file(f"materials/test/{secrets.token_hex(8)}.pdf", content)
    material = Material(
        application_id=app.id,
        original_name="登记表扫描件.pdf",
        stored_name=stored,
        content_type="application/pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    db.session.add(material)
    db.session.flush()
    return material


def put_on_ended_notice(*registrations: Registration) -> ResultNotice:
    """List ``registrations`` (of one batch) on a published 合格名单公示 of their batch whose period ended
    yesterday, so that 资格认定 may follow (one such notice per batch, added to); their scores are published
    (a notice lists only published results)."""
    from admin_app.services import result_notices

    batch_id = registrations[0].batch_id
    title = "测试公示（已期满）"
    notice = ResultNotice.query.filter_by(batch_id=batch_id, title=title).one_or_none()
    if notice is None:
        yesterday = clock.today() - timedelta(days=1)
        notice = ResultNotice(
            batch_id=batch_id,
            title=title,
            state=NoticeState.PUBLISHED,
            published_at=utcnow() - timedelta(days=10),
            start_date=yesterday - timedelta(days=7),
            end_date=yesterday,
        )
        db.session.add(notice)
        db.session.flush()
    for reg in registrations:
        if reg.score_publication is None:
            reg.score_publication, reg.scores_published_at = ScorePublication.PUBLISHED, utcnow()
    seq = max((e.seq for e in notice.entries), default=0)
    values = result_notices.entry_values([r.id for r in registrations])
    for reg in registrations:
        seq += 1
        db.session.add(NoticeEntry(notice=notice, registration_id=reg.id, seq=seq, **values[reg.id]))
    db.session.flush()
    return notice
