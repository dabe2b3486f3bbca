"""成绩发布 (市职鉴中心, SPEC §8.4): a registration's scores are 未发布 (empty) until the centre publishes them,
per batch or per exam session; from then on its unit and the bureaus of its scope see them
(``services.score_visibility``), and each unit is told once. Publication is final: a score corrected later stays
published (its unit is told of the correction, ``scores._notify``)."""

from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa

from admin_app.actor import Actor
from admin_app.extensions import db
from admin_app.services import notify
from admin_app.services.scope import registration_condition
from admin_app.services.validators import InvalidInput
from admin_app.workflow import engine
from admin_app.workflow.people import describe, person_rows
from admin_app.workflow.states import RegistrationState, ScorePublication
from admin_app.workflow.table import Machine, Transition, add, machine
from models import ExamBatch, ExamSession, Registration, SeatAssignment, enums

PUBLICATION = machine(
    Machine(
        name="score_publication",
        label="成绩发布",
        model=Registration,
        field="score_publication",
        states=ScorePublication,
        scope=registration_condition,
        select=person_rows(Registration, "score_publication"),
        describe=describe,
    )
)

NO_SCORES = "尚未录入成绩，不能发布"


def _columns():
    return (Registration.status.label("registration_status"), Registration.score_result)


def _has_scores(ctx, row):
    if row.registration_status != RegistrationState.REGISTERED or row.score_result is None:
        return NO_SCORES
    return None


def _still_scored(ctx):
    """In the UPDATE: the scores are still there (nothing takes them away today; cheap to be sure)."""
    return Registration.score_result.is_not(None)


def _tell_units(ctx, ids, step):
    notify.notify_units_of("scores_published", ids)


PUBLISH = add(
    Transition(
        PUBLICATION,
        "publish_scores",
        "发布成绩",
        sources=frozenset({None}),
        target=ScorePublication.PUBLISHED,
        roles=frozenset({enums.CENTER}),
        guards=(_has_scores,),
        conditions=(_still_scored,),
        columns=_columns,
        values=lambda ctx: {"scores_published_at": ctx.now},
        effects=(_tell_units,),
        together=True,
        bulk=False,
        wrong_state="不重复发布",  # 当前状态为“已发布”，不重复发布
        style="success",
    )
)


ALREADY_PUBLISHED = (
    f"当前状态为“{ScorePublication.PUBLISHED.label}”，不重复发布"  # the engine's wrong-state reason
)


@dataclass
class Publication:
    """What one 发布成绩 did: the engine's result, and its refusals counted by reason."""

    scope_label: str
    result: engine.BulkResult
    reasons: Counter = field(default_factory=Counter)

    @property
    def published(self) -> int:
        return len(self.result.done)

    @property
    def earlier(self) -> int:
        """Rows refused because they were published before (not a failure: the headline counts them apart)."""
        return self.reasons[ALREADY_PUBLISHED]

    @property
    def not_published(self) -> int:
        return len(self.result.refused) - self.earlier


def _registered(condition) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(Registration.id)
            .where(condition, Registration.status == RegistrationState.REGISTERED)
            .order_by(Registration.id)
        )
    )


def publish_batch(actor, batch_id: int) -> Publication:
    """发布成绩 of every 已报名 candidate of a batch.

    Guarantees: rows with scores entered and not yet published are published (with the time, audited through
    the engine, each unit told once), in one transaction; every other candidate is refused with its reason
    (尚未录入成绩 / 成绩已发布, an archived batch is read-only); nothing is told twice. Raises InvalidInput
    (Chinese) for a batch that does not exist or a role that may not publish."""
    actor = _centre(actor)
    batch = db.session.get(ExamBatch, batch_id) if batch_id else None
    if batch is None:
        raise InvalidInput("考核批次不存在")
    ids = _registered(Registration.batch_id == batch.id)
    return _publish(actor, ids, f"{batch.year}年度考核批次")


def publish_session(actor, session_id: int) -> Publication:
    """发布成绩 of the candidates seated in one exam session (``SeatAssignment``); the same guarantees as
    :func:`publish_batch`. A candidate who sits two sessions (理论, 实作) is published with the first of them:
    the scores are the person's, not the session's."""
    actor = _centre(actor)
    session = db.session.get(ExamSession, session_id) if session_id else None
    if session is None:
        raise InvalidInput("考试场次不存在")
    seated = sa.select(SeatAssignment.registration_id).where(SeatAssignment.session_id == session.id)
    ids = _registered(Registration.id.in_(seated))
    if not ids:
        raise InvalidInput("该场次尚未编排考生")
    return _publish(actor, ids, str(session))


def _centre(actor) -> Actor:
    actor = Actor.of(actor)
    if actor.role not in PUBLISH.roles:
        raise InvalidInput("只有市职鉴中心可以发布成绩")
    return actor


def _publish(actor, ids, label: str) -> Publication:
    if not ids:
        raise InvalidInput("没有已报名的考生")
    result = engine.apply(actor, PUBLISH, ids)
    return Publication(label, result, Counter(reason for _id, _label, reason in result.refused))
