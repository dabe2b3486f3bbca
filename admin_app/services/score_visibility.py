"""成绩发布 (SPEC §8.4, issue 17): who sees a registration's scores, and from when.

Until the 市职鉴中心 publishes them (``Registration.score_publication``, the ``score_publication`` machine), a
registration's scores and everything that follows from them — 业务理论, 实际操作, 综合评审, 缺考, 成绩结果, the 违纪
reason, the 考核评审 and 资格认定 that the result opened — are seen by the centre and the 市工考办 only. Units and
bureaus (区县人力社保局, 市委组织部, 市人力社保局) see them once published. One rule here, read by every path that
shows them: the stage lists (columns, filters, sorts, the 考核评审 and 资格认定 lists' rows), details pages and
their 办理记录, 导出查询结果, the 登记表, the 资格认定 transition's rows and 统计分析.
"""

import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.services.scope import registration_condition
from admin_app.services.sql import among
from admin_app.workflow.states import RegistrationState, ScorePublication
from models import Registration, RegistrationTally, enums
from models.statistics import NO_ID, NO_TEXT

# The roles that see scores before they are published: the centre enters them, the office organises the
# 考核评审 on them.
SEES_UNPUBLISHED = frozenset({enums.CENTER, enums.OFFICE})

# What a score column shows to the others before publication (an empty cell for the other columns).
UNPUBLISHED = ScorePublication.label_of(None)

# The exam's scores and what follows from them (Registration columns; relations by their name).
SCORE_COLUMNS = frozenset(
    {
        "theory_score",
        "practice_score",
        "review_score",
        "absent",
        "score_result",
        "scores_entered_at",
        "misconduct_reason",
        "misconduct_at",
    }
)
RESULT_COLUMNS = SCORE_COLUMNS | frozenset(
    {
        "evaluation_status",
        "vote_expected",
        "vote_present",
        "vote_yes",
        "vote_no",
        "vote_abstain",
        "evaluated_at",
        "recognition_status",
        "certificate_number",
        "recognised_at",
        "recognised_by",
        "recognised_by_id",
    }
)


def _role(who) -> str | None:
    return who if isinstance(who, str) or who is None else getattr(who, "role", None)


def sees_unpublished(who) -> bool:
    """Whether ``who`` (a user, an actor or a role) sees scores before they are published."""
    return _role(who) in SEES_UNPUBLISHED


def is_result_column(name: str) -> bool:
    """Whether a list or details column (``recognised_by.name`` too) shows a score or what follows from it."""
    return name.split(".", 1)[0] in RESULT_COLUMNS


def published(model=Registration) -> sa.ColumnElement[bool]:
    """The rows whose scores are published."""
    return model.score_publication == ScorePublication.PUBLISHED


def visible_condition(who) -> sa.ColumnElement[bool] | None:
    """The registrations whose scores ``who`` sees: None (all) for the centre and the office, else the
    published ones."""
    return None if sees_unpublished(who) else published()


def result_scope(user) -> sa.ColumnElement[bool]:
    """A stage that exists only once the scores passed (资格认定): its rows in ``user``'s scope that ``user``
    may know of — for units and bureaus the published ones, so a 待认定 row never tells a pass before the
    scores are out."""
    condition = registration_condition(user)
    shown = visible_condition(user)
    return condition if shown is None else condition & shown


def shows(who, registration) -> bool:
    """Whether ``who`` sees the scores (and results) of ``registration``."""
    return sees_unpublished(who) or registration.score_publication == ScorePublication.PUBLISHED


def shown_expression(who, column):
    """``column`` as ``who`` may read it in SQL: itself, or NULL on rows not published (exports)."""
    if sees_unpublished(who):
        return column
    return sa.case((published(), column), else_=sa.null())


def published_ids(ids) -> list[int]:
    """Those of the registrations ``ids`` whose scores are published."""
    ids = list(ids)
    if not ids:
        return []
    return list(
        db.session.scalars(sa.select(Registration.id).where(among(Registration.id, ids), published()))
    )


TALLY_OUTCOMES = ("score_result", "evaluation_status", "recognition_status")


def registration_tally(user):
    """The registration tally (``models.RegistrationTally``) as ``user`` may count it in 统计分析.

    The centre and the office count the tally itself. For the others a registration whose scores are entered
    but not published counts as not yet scored: its tally row is moved, within the query, from its outcomes
    (成绩结论, 评审结论, 认定状态) to the empty ones, so every count stays exact for what they may know (报名 counts
    unchanged, 考试合格 counts only published rows). The moved rows are read from those waiting for
    publication alone (the partial index of migration 0025), never from the whole table."""
    if sees_unpublished(user):
        return RegistrationTally
    t, r = RegistrationTally.__table__, Registration
    keys = (
        r.batch_id,
        sa.func.coalesce(r.jurisdiction_id, NO_ID),
        sa.func.coalesce(r.org_category, NO_TEXT),
        r.status,
    )
    outcomes = tuple(sa.func.coalesce(getattr(r, name), NO_TEXT) for name in TALLY_OUTCOMES)
    waiting = (
        r.status == RegistrationState.REGISTERED,
        r.score_result.is_not(None),
        r.score_publication.is_(None),
        registration_condition(user),
    )
    empty = (sa.literal(NO_TEXT),) * len(outcomes)
    moved_out = sa.select(*keys, *outcomes, -sa.func.count()).where(*waiting).group_by(*keys, *outcomes)
    moved_in = sa.select(*keys, *empty, sa.func.count()).where(*waiting).group_by(*keys)
    names = ("batch_id", "jurisdiction_id", "org_category", "status", *TALLY_OUTCOMES, "n")
    counted = sa.union_all(sa.select(*(t.c[name] for name in names)), moved_out, moved_in)
    return sa.orm.aliased(RegistrationTally, counted.subquery("registration_tally_shown"))
