"""A unit is who it says it is: one active unit per name, and 单位信息审核.

A unit's 名称, 统一社会信用代码, 组织类别, 所在区县 and 主管部门 decide who reviews its applications, so they are
confirmed by that authority — the unit's 区县人力社保局 for a 区县属单位, the 市工考办 for every other unit —
before the unit's first submission, and again after any change of them. While a confirmation waits the unit
cannot submit (the values waiting are the ones routing would use; there is no second, "last confirmed"
route), and it cannot change those fields again: the reviewer always decides on exactly what it sees.

States (``workflow.states.IdentityState``): the unit's moves are made here, the reviewer's decisions are the
transitions of ``workflow.identity``:
  待完善 --save a complete profile--> 待审核 --通过--> 已确认 --change of a field--> 待审核
                                        \\--退回 (opinion)--> 已退回 --save--> 待审核
"""

import sqlalchemy as sa

from admin_app import limits
from admin_app.extensions import db
from admin_app.services import audit
from admin_app.services.unit_names import unit_name_key
from admin_app.workflow.states import IdentityState
from models import Jurisdiction, Organisation, enums
from models.org import NAME_KEY_INDEX, ORGANISATION_LABELS, utcnow

# The fields the reviewing authority confirms (attribute -> label); nothing else needs confirmation.
IDENTITY_FIELDS = {
    attr: ORGANISATION_LABELS[attr.removesuffix("_id")]
    for attr in ("name", "uscc", "org_category", "jurisdiction_id", "supervisor_id")
}
# The form fields a unit may not change while its confirmation waits (relations by their form names).
LOCKED_FORM_FIELDS = ("name", "org_category", "jurisdiction", "supervisor")
REVIEWER_ROLES = frozenset({enums.DISTRICT_HR, enums.OFFICE})
OPINION_MAX = limits.REASON  # 单位信息审核's opinion (a 退回's reason)

NAME_TAKEN_AT_REGISTRATION = "该单位名称已被注册，请核对单位全称；如本单位已注册，请使用已注册的账号登录"
NAME_TAKEN = "该单位名称已被其他单位使用，请核对单位全称"
LOCKED_WHILE_PENDING = "单位信息正在审核中，审核完成前不能修改单位名称、组织类别、所在区县和主管部门"


# --- names ----------------------------------------------------------------------------------------------
def name_taken(name: str | None, exclude_id: int | None = None) -> bool:
    """Whether another active organisation already has this name (as ``unit_name_key`` compares names)."""
    key = unit_name_key(name)
    if key is None:
        return False
    return (
        db.session.scalar(
            sa.select(Organisation.id)
            .where(
                Organisation.name_key == key,
                Organisation.active.is_(True),
                Organisation.id != (exclude_id or 0),
            )
            .limit(1)
        )
        is not None
    )


def is_name_conflict(error: Exception) -> bool:
    """Whether a database error is the unique name index refusing a row (a concurrent save won)."""
    text = str(getattr(error, "orig", error))
    return NAME_KEY_INDEX in text or "organisation.name_key" in text


# --- who confirms ---------------------------------------------------------------------------------------
def reviewer_role(org: Organisation) -> str:
    return enums.DISTRICT_HR if org.org_category == enums.CAT_DISTRICT else enums.OFFICE


def reviewer_name(org: Organisation) -> str:
    """The authority that confirms ``org``'s profile, by name (the bureau of its 区县, or of the 区县 that
    a merged one went into; else 市工考办)."""
    if reviewer_role(org) == enums.OFFICE:
        return enums.ROLE_LABELS[enums.OFFICE]
    jurisdiction = db.session.get(Jurisdiction, org.jurisdiction_id) if org.jurisdiction_id else None
    if jurisdiction is None:
        return "所在区县人力社保局"
    target = jurisdiction.merged_into_id or jurisdiction.id
    bureau = db.session.scalar(
        sa.select(Organisation.name)
        .where(Organisation.kind == enums.DISTRICT_HR, Organisation.jurisdiction_id == target)
        .order_by(Organisation.id)
        .limit(1)
    )
    return bureau or f"{jurisdiction.name}人力社保局"


# --- what changed ---------------------------------------------------------------------------------------
def identity_values(org: Organisation) -> dict:
    return {attr: getattr(org, attr) for attr in IDENTITY_FIELDS}


def changed_fields(org: Organisation) -> list[str]:
    """Labels of the identity fields that differ from what was last confirmed (all of them if never)."""
    confirmed = org.identity_confirmed or {}
    if not confirmed:
        return list(IDENTITY_FIELDS.values())
    return [label for attr, label in IDENTITY_FIELDS.items() if confirmed.get(attr) != getattr(org, attr)]


def describe(attr: str, value) -> str:
    """A field's value as people read it (names of 区县 and 主管部门, the label of a 组织类别)."""
    if value in (None, ""):
        return "（空）"
    if attr == "org_category":
        return enums.ORG_CATEGORY_LABELS.get(value, value)
    if attr == "jurisdiction_id":
        return str(db.session.get(Jurisdiction, value) or value)
    if attr == "supervisor_id":
        return str(db.session.get(Organisation, value) or value)
    return str(value)


def changes(org: Organisation) -> list[tuple[str, str, str]]:
    """(label, confirmed value, value waiting) of every identity field that changed since confirmation."""
    confirmed = org.identity_confirmed or {}
    return [
        (label, describe(attr, confirmed.get(attr)), describe(attr, getattr(org, attr)))
        for attr, label in IDENTITY_FIELDS.items()
        if confirmed and confirmed.get(attr) != getattr(org, attr)
    ]


# --- the unit's side ------------------------------------------------------------------------------------
def changed_identity_attributes(org: Organisation) -> set[str]:
    """The identity attributes a form changed on ``org`` (not yet flushed). The form sets relations
    (``jurisdiction``, ``supervisor``); their id columns are brought in line first so that both agree."""
    for relation in ("jurisdiction", "supervisor"):
        target = getattr(org, relation)
        column = f"{relation}_id"
        if getattr(org, column) != (target.id if target is not None else None):
            setattr(org, column, target.id if target is not None else None)
    state = sa.inspect(org)
    return {attr for attr in IDENTITY_FIELDS if state.attrs[attr].history.has_changes()}


def profile_saved(org: Organisation) -> str | None:
    """After a form (the unit's profile, the admin's 机构管理) changed ``org`` — not yet flushed, inside
    the form's transaction — put it where 单位信息审核 requires. Returns the new state when the profile
    now waits for confirmation, else None.

    Guarantees: a staff body has no state; an incomplete unit is 待完善; a unit that was never confirmed,
    or was returned, waits again on any save; a confirmed one waits again exactly when an identity field
    changed; the change and its new state are saved together or not at all (the caller's commit)."""
    if org.kind != enums.UNIT:
        org.identity_status = None
        return None
    before = org.identity_status
    identity_changed = bool(changed_identity_attributes(org))
    if not org.profile_complete:
        org.identity_status = IdentityState.NEW
        return None
    if before == IdentityState.CONFIRMED and not identity_changed:
        return None
    if before == IdentityState.PENDING and not identity_changed:
        return None
    org.identity_status = IdentityState.PENDING
    org.identity_submitted_at = utcnow()
    org.identity_opinion = None
    audit.record(
        "unit_identity_submitted",
        org,
        from_state=before,
        to_state=IdentityState.PENDING,
        detail={"fields": changed_fields(org), "reviewer": reviewer_name(org)},
    )
    return IdentityState.PENDING


def submission_block_reason(org: Organisation) -> str | None:
    """Why ``org`` may not submit applications now (its profile is not confirmed), in Chinese; None if it
    may. Names what waits and for whom."""
    status = org.identity_status
    if status == IdentityState.CONFIRMED:
        return None
    if status == IdentityState.PENDING:
        waiting = "、".join(changed_fields(org))
        return f"单位基本信息（{waiting}）正待{reviewer_name(org)}审核确认，确认后方可提交考试资格申请"
    if status == IdentityState.RETURNED:
        opinion = f"（审核意见：{org.identity_opinion}）" if org.identity_opinion else ""
        return (
            f"单位基本信息已被{org.identity_decided_by or reviewer_name(org)}退回{opinion}，"
            "请在“单位基本信息”中修改并保存，经审核确认后方可提交考试资格申请"
        )
    return "单位基本信息尚未提交审核，请先在“单位基本信息”中完善并保存，经审核确认后方可提交考试资格申请"


def record_confirmed(org: Organisation, authority: str) -> None:
    """Mark ``org`` (flushed, with its final values) as confirmed by ``authority`` without a review: only
    for data set up outside the application (the demo seed, test data). Not committed here."""
    org.identity_status = IdentityState.CONFIRMED
    org.identity_decided_by = authority
    org.identity_decided_at = utcnow()
    org.identity_confirmed = identity_values(org)
