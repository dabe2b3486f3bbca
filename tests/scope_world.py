"""A world with rows *inside* each bureau's scope, and who should see which row, worked out here in plain
Python from the rows themselves — never through ``services/scope.py`` — so that a wrong scope in the app
cannot also be wrong in the expectation.

On top of ``factories.build_world`` (A and P in 渝中区, B in 沙坪坝区, Y in 渝北区 merged into 两江新区):

- 戊单位（渝中）E: a draft, an application the unit withdrew (撤回: back to 待提交, with its history and the
  material the bureau had uploaded), an application waiting at the 渝中 bureau (with its material), a
  registration waiting for recognition (四级, 区县属: a 区县 bureau may recognise it) and one 已报名 in the exam
  stage; drafts are the unit's own business, seen by no staff role;
- 己单位（迁出渝中）M: moved to 沙坪坝区 after its application was submitted in 渝中区, so the application
  (a snapshot of 区县) stays with 渝中 while the unit, its workers and posts are 沙坪坝's;
- rows that only the scope keeps out of reach: B's 四级 registration waiting for recognition, an application
  of the 区县属 unit A standing at the 党群 step, an application at B waiting at the 市工考办 step.
"""

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.workflow.states import (
    ApplicationState,
    IdentityState,
    NoticeState,
    RegistrationState,
    ScorePublication,
    ScoreResult,
    pending,
    step_role,
)
from models import (
    Application,
    ApplicationReview,
    AuditLog,
    CalendarDay,
    Ethnicity,
    ExamBatch,
    ExamRoom,
    Job,
    Jurisdiction,
    Notification,
    Objection,
    Organisation,
    OutboxMessage,
    PostSetting,
    Registration,
    ReminderTemplate,
    ResultNotice,
    RouteRule,
    ScoreRecheck,
    Trade,
    User,
    UserSession,
    Worker,
    enums,
)
from models.org import utcnow
from tests.arrangement_world import ARRANGEMENT_LISTS
from tests.factories import (
    PNG,
    add_application,
    add_material,
    add_registration,
    add_unit,
    add_user,
    add_worker,
    store_test_file,
)

# Logins of the world, one per role and one more per 区县 (沙坪坝, 两江) and unit (B).
USERNAMES = (
    "unit_a",
    "unit_b",
    "yuzhong_hr",
    "shapingba_hr",
    "liangjiang_hr",
    "party_org",
    "city_hr",
    "office",
    "center",
    "admin",
)


def _submitted(app: Application, role: str) -> Application:
    """Submitted on a one-step route, waiting at ``role``'s step."""
    app.status, app.route, app.step_index, app.submitted_at = pending(role), role, 0, utcnow()
    return app


def _withdrawn(world, app: Application) -> Application:
    """An application submitted to the 渝中 bureau, given its material by the bureau, then withdrawn by the
    unit (撤回): 待提交 again, its history kept (as ``workflow.withdraw`` leaves it)."""
    submitted, bureau = utcnow() - timedelta(days=1), world.users[enums.DISTRICT_HR]
    add_material(app).uploaded_by_id = bureau.id
    for action, source, target, when in (
        ("submit", ApplicationState.DRAFT, pending(enums.DISTRICT_HR), submitted),
        ("withdraw", pending(enums.DISTRICT_HR), ApplicationState.DRAFT, utcnow()),
    ):
        db.session.add(
            ApplicationReview(
                application_id=app.id,
                step_index=0,
                action=action,
                organisation_id=app.unit_id,
                role=enums.UNIT,
                from_status=source,
                to_status=target,
                created_at=when,
            )
        )
    return app


def build_inscope_world(world):
    js = world.jurisdictions
    e = world.units["E"] = add_unit("戊单位（渝中）", js["500103"])
    m = world.units["M"] = add_unit("己单位（迁出渝中）", js["500103"])
    e.supervisor = m.supervisor = world.units["P"]
    world.users["unit_e"] = add_user("unit_e", e)
    db.session.flush()
    seq = 400
    rows = {}
    for key, name in (
        ("E", "戊草稿"),
        ("E", "戊撤回"),
        ("E", "戊待审"),
        ("E", "戊待认定"),
        ("E", "戊已报名"),
        ("M", "己待审"),
    ):
        seq += 1
        worker = add_worker(world.units[key], name, seq, world.trade, world.batch)
        db.session.flush()
        rows[name] = worker
    for key in ("E", "M"):
        db.session.add(PostSetting(unit=world.units[key], batch=world.batch, grade=3, approved_posts=2))
    add_application(world, rows["戊草稿"])
    _withdrawn(world, add_application(world, rows["戊撤回"]))
    add_material(_submitted(add_application(world, rows["戊待审"]), enums.DISTRICT_HR))
    moved = _submitted(add_application(world, rows["己待审"]), enums.DISTRICT_HR)
    add_material(moved)
    ready = add_registration(
        add_application(world, rows["戊待认定"], grade=4, status=ApplicationState.APPROVED),
        "awaiting_recognition",
    )
    ready.id_copy_name, ready.id_copy_content_type = "身份证.pdf", "application/pdf"
    ready.id_copy_stored = store_test_file(f"id/test/{ready.id}.pdf", b"%PDF-1.4 id")
    done = add_registration(
        add_application(world, rows["戊已报名"], grade=4, status=ApplicationState.APPROVED)
    )
    done.status, done.ticket_number = RegistrationState.REGISTERED, f"20214{done.id:06d}"

    b_worker = add_worker(world.units["B"], "乙待认定", seq + 1, world.trade, world.batch)
    a_worker = add_worker(world.units["A"], "甲党群步", seq + 2, world.trade, world.batch)
    b_office = add_worker(world.units["B"], "乙待办", seq + 3, world.trade, world.batch)
    db.session.flush()
    disguised = add_registration(
        add_application(world, b_worker, grade=4, status=ApplicationState.APPROVED), "awaiting_recognition"
    )
    disguised.photo_name = "evil.html"  # PNG bytes under a page's name: served as what it is, never as a page
    evil = add_material(world.registrations["A"].application, PNG)  # A's approved one: the office sees it
    evil.original_name, evil.content_type = "evil.html", "image/png"
    add_material(_submitted(add_application(world, a_worker), enums.PARTY_ORG))
    add_material(_submitted(add_application(world, b_office), enums.OFFICE))
    # 单位信息审核 waiting: a 区县属 unit in 渝中区 and one in 沙坪坝区 (their bureaus'), a 市属 one (the office's).
    for name, code, category in (
        ("庚单位（渝中待审）", "500103", enums.CAT_DISTRICT),
        ("辛单位（沙坪坝待审）", "500106", enums.CAT_DISTRICT),
        ("壬单位（市属待审）", "500103", enums.CAT_CITY_OTHER),
    ):
        add_unit(name, js[code], category=category).identity_status = IdentityState.PENDING
    # 己单位 moves to 沙坪坝区 after submitting: its application keeps 渝中区 (the snapshot).
    m.jurisdiction = js["500106"]
    db.session.commit()
    from tests.affairs_rows import add_finished_download

    for key in ("unit", "unit_b", "office"):  # 下载中心: each sees its own export alone
        add_finished_download(world.users[key])
    return world


# --- who should see what, from the rows themselves ------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    role: str
    organisation_id: int
    jurisdictions: frozenset  # a 区县 bureau's own and those merged into it
    units: frozenset  # ids of the units this user should see
    user_id: int = 0  # 下载中心: a user sees its own jobs alone


def viewer(username: str) -> Viewer:
    user = db.session.query(User).filter_by(username=username).one()
    org = user.organisation
    own = org.jurisdiction_id
    merged = {j.id for j in db.session.query(Jurisdiction).all() if own and j.merged_into_id == own}
    jurisdictions = frozenset({own} | merged) if user.role == enums.DISTRICT_HR and own else frozenset()
    units = frozenset(
        o.id
        for o in db.session.query(Organisation).all()
        if o.kind == enums.UNIT
        and (
            (user.role == enums.UNIT and o.id == org.id)
            or (user.role == enums.DISTRICT_HR and o.jurisdiction_id in jurisdictions)
            or (user.role == enums.PARTY_ORG and o.org_category == enums.CAT_CITY_PARTY)
            or user.role in (enums.CITY_HR, enums.OFFICE, enums.CENTER)
        )
    )
    found = Viewer(user.role, org.id, jurisdictions, units, user.id)
    db.session.rollback()
    return found


def sees_snapshot(v: Viewer, row) -> bool:
    """An application or registration by the 区县 and 组织类别 it carries (taken at submission)."""
    if v.role == enums.UNIT:
        return row.unit_id == v.organisation_id
    if v.role == enums.DISTRICT_HR:
        return row.jurisdiction_id in v.jurisdictions
    if v.role == enums.PARTY_ORG:
        return row.org_category == enums.CAT_CITY_PARTY
    return v.role in (enums.CITY_HR, enums.OFFICE, enums.CENTER)


def sees_application(v: Viewer, row) -> bool:
    """An application: by its snapshot, and a 待提交 one (a draft, or withdrawn) by its own unit alone."""
    return sees_snapshot(v, row) and (v.role == enums.UNIT or row.status != ApplicationState.DRAFT)


def _everything(v, row) -> bool:
    return v.role == enums.ADMIN


def sees_result(v: Viewer, row) -> bool:
    """A registration's result: the centre and the office always, everyone else once published."""
    return v.role in (enums.OFFICE, enums.CENTER) or row.score_publication == ScorePublication.PUBLISHED


def sees_misconduct(v: Viewer, row) -> bool:
    """违纪通报: the registrations marked 违纪 in the viewer's snapshot scope, as a result."""
    return sees_snapshot(v, row) and row.score_result == ScoreResult.MISCONDUCT and sees_result(v, row)


def sees_recheck(v: Viewer, row) -> bool:
    """查分申请: by the unit and 区县 the request copied, 市委组织部 by its registration's 组织类别."""
    if v.role == enums.UNIT:
        return row.unit_id == v.organisation_id
    if v.role == enums.DISTRICT_HR:
        return row.jurisdiction_id in v.jurisdictions
    if v.role == enums.PARTY_ORG:
        return row.registration.org_category == enums.CAT_CITY_PARTY
    return v.role in (enums.CITY_HR, enums.OFFICE, enums.CENTER)


IDENTITY_LISTED = {IdentityState.PENDING, IdentityState.CONFIRMED, IdentityState.RETURNED}


def reviews_identity(v: Viewer, org) -> bool:
    """单位信息审核: a 区县 bureau its 区县属单位, the 市工考办 every other unit; only profiles submitted."""
    if org.kind != enums.UNIT or org.identity_status not in IDENTITY_LISTED:
        return False
    if v.role == enums.DISTRICT_HR:
        return org.id in v.units and org.org_category == enums.CAT_DISTRICT
    return v.role == enums.OFFICE and org.org_category != enums.CAT_DISTRICT


def live_session(v: Viewer, row) -> bool:
    """在线用户 (admin): sessions not ended and seen within the idle timeout (30 minutes)."""
    return (
        v.role == enums.ADMIN
        and row.ended_at is None
        and row.last_seen_at >= utcnow() - timedelta(minutes=30)
    )


# list endpoint -> (model, does this viewer see this row). A list view missing here fails the tests.
LISTS = {
    "downloads": (Job, lambda v, r: r.owner_id == v.user_id),
    "workers": (Worker, lambda v, r: r.unit_id in v.units),
    "posts": (PostSetting, lambda v, r: r.unit_id in v.units),
    "units": (Organisation, lambda v, r: r.kind == enums.UNIT and r.id in v.units),
    "unitprofile": (Organisation, lambda v, r: v.role == enums.UNIT and r.id == v.organisation_id),
    # 站内消息: the viewer's own organisation's, whatever the role (staff bodies get reminders)
    "messages": (Notification, lambda v, r: r.organisation_id == v.organisation_id),
    "applications": (Application, sees_application),
    "review_queue": (Application, lambda v, r: sees_application(v, r) and step_role(r.status) == v.role),
    "registrations": (Registration, sees_snapshot),
    "scores": (Registration, lambda v, r: sees_snapshot(v, r) and r.status == RegistrationState.REGISTERED),
    "evaluations": (Registration, lambda v, r: sees_snapshot(v, r) and r.evaluation_status is not None),
    "recognitions": (Registration, lambda v, r: sees_snapshot(v, r) and r.recognition_status is not None),
    "unitreview": (Organisation, reviews_identity),
    "online": (UserSession, live_session),
    "users": (User, _everything),
    "organisations": (Organisation, _everything),
    "jurisdictions": (Jurisdiction, _everything),
    "trades": (Trade, _everything),
    "batches": (ExamBatch, _everything),
    "routes": (RouteRule, _everything),
    "ethnicities": (Ethnicity, _everything),
    "auditlog": (AuditLog, _everything),
    "reminder_templates": (ReminderTemplate, _everything),
    "outbox": (OutboxMessage, _everything),
    # 合格名单公示: published notices are posted for everyone; drafts and objections are the office's
    "result_notices": (ResultNotice, lambda v, r: v.role == enums.OFFICE or r.state == NoticeState.PUBLISHED),
    "objections": (Objection, lambda v, r: v.role in (enums.OFFICE, enums.CENTER)),
    **ARRANGEMENT_LISTS,
    "room_documents": (ExamRoom, lambda v, r: v.role in (enums.OFFICE, enums.CENTER)),
    "calendar": (CalendarDay, _everything),
    "rechecks": (ScoreRecheck, sees_recheck),
    "misconduct": (Registration, sees_misconduct),
}


def expected_ids(endpoint: str, username: str) -> set[int]:
    """Ids of the rows of list ``endpoint`` that ``username`` should see (every row read and judged here)."""
    model, sees = LISTS[endpoint]
    v = viewer(username)
    ids = {row.id for row in db.session.query(model).all() if sees(v, row)}
    db.session.rollback()
    return ids


def _bookkeeping(table_name: str) -> bool:
    """Tables a sign-in or any request writes by design (sessions, throttling, the audit log)."""
    # 证书查验's look-ups, counted for its limit; the rows a bulk confirmation page pinned
    if table_name in ("audit_log", "certificate_lookup", "bulk_pin"):
        return True
    return any(w in table_name for w in ("session", "login", "throttle"))


def business_snapshot() -> dict:
    """Every row of every table but the bookkeeping ones: compare before/after to prove nothing changed."""
    rows = {}
    for table in db.metadata.sorted_tables:
        if not _bookkeeping(table.name):
            order = list(table.primary_key.columns)
            rows[table.name] = [tuple(r) for r in db.session.execute(sa.select(table).order_by(*order))]
    db.session.rollback()
    return rows
