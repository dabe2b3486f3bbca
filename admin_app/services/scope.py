"""The one row-level scope: which units a user may see. Every view and export builds on this.

The rule (SPEC §1): a unit sees itself; a 区县 bureau sees units whose 所在区县 is its own (or a
jurisdiction merged into its own); 市委组织部干部一处 sees 市属单位（党群系统）; the city-wide roles see all
units; the admin sees no business data.
"""

import sqlalchemy as sa

from admin_app.workflow.states import ApplicationState, IdentityState
from models import Jurisdiction, Organisation, enums


def unit_condition(user) -> sa.ColumnElement[bool]:
    """A WHERE condition on ``Organisation`` selecting the units ``user`` may see."""
    role = user.role
    is_unit = Organisation.kind == enums.UNIT
    if role == enums.UNIT:
        return Organisation.id == user.organisation_id
    if role == enums.DISTRICT_HR:
        if user.organisation.jurisdiction_id is None:
            return sa.false()
        # literal ids, as in snapshot_condition: with ``own OR IN (merged)`` the planner took a bureau's 26
        # units for 513 and walked all 200k workers by id instead of its units' (migration 0043)
        return sa.and_(is_unit, Organisation.jurisdiction_id.in_(jurisdiction_ids(user)))
    if role == enums.PARTY_ORG:
        return sa.and_(is_unit, Organisation.org_category == enums.CAT_CITY_PARTY)
    if role in enums.CITY_WIDE_ROLES:
        return is_unit
    return sa.false()


def identity_review_condition(user) -> sa.ColumnElement[bool]:
    """A WHERE condition on ``Organisation`` selecting the units whose 单位信息审核 ``user`` decides: a 区县
    bureau its 区县属单位 (in its jurisdiction or one merged into it), the 市工考办 every other unit, nobody
    else any. Units that never saved a complete profile (待完善) are in no one's list."""
    submitted = Organisation.identity_status.in_(
        (IdentityState.PENDING, IdentityState.CONFIRMED, IdentityState.RETURNED)
    )
    if user.role == enums.DISTRICT_HR:
        return sa.and_(unit_condition(user), Organisation.org_category == enums.CAT_DISTRICT, submitted)
    if user.role == enums.OFFICE:
        not_district = sa.or_(
            Organisation.org_category.is_(None), Organisation.org_category != enums.CAT_DISTRICT
        )
        return sa.and_(Organisation.kind == enums.UNIT, not_district, submitted)
    return sa.false()


def visible_unit_ids(user) -> sa.Select:
    """SELECT of the ids of the units ``user`` may see, for ``column.in_(...)`` conditions."""
    return sa.select(Organisation.id).where(unit_condition(user))


def owned_by_visible_unit(column, user) -> sa.ColumnElement[bool]:
    """Condition for rows whose ``column`` (a unit id) points at a unit ``user`` may see."""
    if user.role == enums.UNIT:
        return column == user.organisation_id
    return column.in_(visible_unit_ids(user))


def jurisdiction_ids(user) -> list[int]:
    """A 区县 bureau's jurisdiction and those merged into it, as literal ids (so that the planner sees
    ``jurisdiction_id = 3`` and uses the index, not a subquery); looked up once per transaction of the
    database session (a page is one), forgotten at its commit or rollback so a merge made meanwhile is seen.
    """
    from admin_app.extensions import db

    own = user.organisation.jurisdiction_id
    cache = db.session.info.setdefault(_JURISDICTION_CACHE, {})
    if own not in cache:
        cache[own] = sorted(
            db.session.scalars(
                sa.select(Jurisdiction.id).where(
                    sa.or_(Jurisdiction.id == own, Jurisdiction.merged_into_id == own)
                )
            )
        )
    return cache[own]


_JURISDICTION_CACHE = "gk_jurisdiction_ids"


def _forget_jurisdictions(session, *args):
    session.info.pop(_JURISDICTION_CACHE, None)


for _event in ("after_commit", "after_rollback", "after_soft_rollback"):
    sa.event.listen(sa.orm.Session, _event, _forget_jurisdictions)


def snapshot_condition(user, model) -> sa.ColumnElement[bool]:
    """Which rows of an application-like ``model`` (Application, Registration) ``user`` may see. Uses the
    row's own snapshot of the unit's 区县 and 组织类别 (taken at submission), so a unit that later moves
    does not carry its history to another bureau."""
    role = user.role
    if role == enums.UNIT:
        return model.unit_id == user.organisation_id
    if role == enums.DISTRICT_HR:
        if user.organisation.jurisdiction_id is None:
            return sa.false()
        return model.jurisdiction_id.in_(jurisdiction_ids(user))
    if role == enums.PARTY_ORG:
        return model.org_category == enums.CAT_CITY_PARTY
    if role in enums.CITY_WIDE_ROLES:
        return sa.true()
    return sa.false()


def application_condition(user) -> sa.ColumnElement[bool]:
    """Which applications ``user`` may see: by the row's snapshot (``snapshot_condition``), and for every role
    but the unit only submitted ones. A 待提交 application (a draft, or one the unit withdrew: 撤回 takes it
    back to 待提交) is the unit's own business: no staff list, count, details page, export, statistics or
    附表3 holds it; its unit sees it as before."""
    from models import Application

    condition = snapshot_condition(user, Application)
    if user.role == enums.UNIT:
        return condition
    return sa.and_(condition, Application.status != ApplicationState.DRAFT)


def registration_condition(user) -> sa.ColumnElement[bool]:
    from models import Registration

    return snapshot_condition(user, Registration)


def recheck_condition(user) -> sa.ColumnElement[bool]:
    """Which 查分 requests ``user`` may see: those of the registrations ``user`` may see (the request copies its
    registration's unit and 区县; 市委组织部's by the registration's own 组织类别)."""
    from models import Registration, ScoreRecheck

    role = user.role
    if role == enums.UNIT:
        return ScoreRecheck.unit_id == user.organisation_id
    if role == enums.DISTRICT_HR:
        if user.organisation.jurisdiction_id is None:
            return sa.false()
        return ScoreRecheck.jurisdiction_id.in_(jurisdiction_ids(user))
    if role == enums.PARTY_ORG:
        party = sa.select(Registration.id).where(Registration.org_category == enums.CAT_CITY_PARTY)
        return ScoreRecheck.registration_id.in_(party)
    if role in enums.CITY_WIDE_ROLES:
        return sa.true()
    return sa.false()
