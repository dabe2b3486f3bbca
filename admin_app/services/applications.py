"""考试资格申请 outside the workflow: the checks a unit's draft passes before it is saved (one per worker and
batch, within the submission window), and loading the facts the eligibility rules need, from the database."""

from datetime import date

import sqlalchemy as sa

from admin_app.actor import Actor
from admin_app.extensions import db
from admin_app.services import clock, eligibility, posts, records
from admin_app.services.sql import among
from admin_app.services.validators import InvalidInput
from admin_app.workflow.states import QUOTA_FREE_STATES, ApplicationState, ScoreResult
from models import Application, ExamBatch, PostSetting, Registration

# Applications that hold a post under the 1:1 quota once submitted.


def check_publicity(app: Application) -> None:
    """The 公示 dates run forwards (else ``InvalidInput``); an empty 公示结果 is stored as NULL."""
    app.publicity_result = app.publicity_result or None
    if app.publicity_start and app.publicity_end and app.publicity_end < app.publicity_start:
        raise InvalidInput("公示结束日期不能早于开始日期")


def check_draft(actor: Actor, app: Application, is_created: bool) -> None:
    """A unit's 考试资格申请 created or edited as a draft (待提交), before it is saved; the caller commits.

    Guarantees, else ``InvalidInput`` with the Chinese reason (nothing saved):
    - a new application belongs to the actor's unit and keeps the unit's 区县 and 组织类别 of now (the
      snapshot reviewers' scope reads, so a unit that moves later does not carry it to another bureau);
    - the worker is one of the actor's unit;
    - the batch takes submissions on the actor's business date (open, and not past its 申报截止日 plus
      grace days): the submission window;
    - the 公示 dates run forwards (``check_publicity``); a veteran's application is for a worker marked as
      退役士兵;
    - one application per worker and batch: another one, unless 审核未通过, refuses this one.
    """
    from admin_app.services.batches import submission_closed_reason

    unit_id = actor.organisation_id
    if is_created:
        unit = actor.user.organisation
        app.unit_id = unit.id
        app.jurisdiction_id = unit.jurisdiction_id
        app.org_category = unit.org_category  # status: the model's default, 待提交
    if app.worker is None or app.worker.unit_id != unit_id:
        raise InvalidInput("只能为本单位人员申报")
    if not app.batch.accepts_submissions(actor.today):
        raise InvalidInput(submission_closed_reason(app.batch, actor.today))
    check_publicity(app)
    if app.veteran and not app.worker.is_veteran:
        raise InvalidInput("该人员未在人员信息中标记为退役士兵")
    with db.session.no_autoflush:  # the draft is not written before it is checked
        clash = db.session.scalar(
            sa.select(Application.id).where(
                Application.worker_id == app.worker.id,
                Application.batch_id == app.batch.id,
                Application.status != ApplicationState.REJECTED,
                Application.id != (app.id or 0),
            )
        )
    if clash:
        raise InvalidInput("该人员在本批次已有申请，不能重复申报")


def batch_rules(batch: ExamBatch) -> eligibility.BatchRules:
    return eligibility.BatchRules(
        cutoff_date=batch.cutoff_date,
        assessment_years=tuple(batch.assessment_years),
        min_years={
            4: batch.min_years_grade_4,
            3: batch.min_years_grade_3,
            2: batch.min_years_grade_2,
            1: batch.min_years_grade_1,
        },
        senior_min_education=batch.senior_min_education,
        retirement_age_male=batch.retirement_age_male,
        retirement_age_female=batch.retirement_age_female,
    )


def previous_misconduct(batch: ExamBatch, worker_ids) -> dict[int, eligibility.Misconduct]:
    """{worker id: the 违纪} of those of ``worker_ids`` marked 违纪 in the batch immediately before ``batch`` (the
    latest year before its year), from the registrations as they are now (a 违纪 corrected away no longer
    counts). One query for any number of workers (by the registrations' worker index)."""
    ids = sorted(set(worker_ids))
    if not ids:
        return {}
    previous_year = (
        sa.select(sa.func.max(ExamBatch.year)).where(ExamBatch.year < batch.year).scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(Registration.worker_id, ExamBatch.year, Registration.misconduct_reason)
        .join(ExamBatch, ExamBatch.id == Registration.batch_id)
        .where(
            among(Registration.worker_id, ids),
            Registration.score_result == ScoreResult.MISCONDUCT,
            ExamBatch.year == previous_year,
        )
        .order_by(Registration.id)
    )
    return {worker_id: eligibility.Misconduct(year, reason or "") for worker_id, year, reason in rows}


def worker_facts(
    person: records.Person, misconduct: eligibility.Misconduct | None = None
) -> eligibility.WorkerFacts:
    """The rules' facts of a person: those kept at submission or the live ones (``records.record_of``), and
    a 违纪 of the batch before (``previous_misconduct``)."""
    return eligibility.WorkerFacts(
        gender=person.gender,
        birth_date=person.birth_date,
        current_grade=person.current_grade,
        current_grade_date=person.current_grade_date,
        current_trade_id=person.current_trade_id,
        certificate_trade_id=person.certificate_trade_id,
        education=person.education,
        assessments=dict(person.assessments),
        discipline_until=person.discipline_until,
        detained_or_probation=person.detained_or_probation,
        long_sick_leave_or_absence=person.long_sick_leave_or_absence,
        holds_professional_title=person.holds_professional_title,
        other_exclusion=person.other_exclusion,
        is_veteran=person.is_veteran,
        competition_rank=person.competition_rank,
        honour_title=person.honour_title,
        previous_misconduct=misconduct,
    )


def application_facts(app: Application) -> eligibility.ApplicationFacts:
    return eligibility.ApplicationFacts(
        applied_grade=app.applied_grade,
        applied_trade_id=app.applied_trade_id,
        trade_max_grade=app.applied_trade.max_grade if app.applied_trade else 1,
        publicity_result=app.publicity_result,
        publicity_start=app.publicity_start,
        publicity_end=app.publicity_end,
        veteran=app.veteran,
        veteran_override=app.veteran_override,
    )


def non_exempt_taken(unit_id: int, batch_id: int, grade: int, exclude_id: int | None = None) -> int:
    """Submitted (or approved) applications of the unit, batch and grade that count against the quota."""
    query = sa.select(sa.func.count()).where(
        Application.unit_id == unit_id,
        Application.batch_id == batch_id,
        Application.applied_grade == grade,
        Application.status.not_in(QUOTA_FREE_STATES),
        Application.quota_exempt_reason.is_(None),
    )
    if exclude_id is not None:
        query = query.where(Application.id != exclude_id)
    return db.session.scalar(query) or 0


def quota_facts(app: Application, already_taken: int | None = None) -> eligibility.QuotaFacts:
    setting = db.session.scalar(
        sa.select(PostSetting).where(
            PostSetting.unit_id == app.unit_id,
            PostSetting.batch_id == app.batch_id,
            PostSetting.grade == app.applied_grade,
        )
    )
    taken = already_taken
    if taken is None:
        taken = non_exempt_taken(app.unit_id, app.batch_id, app.applied_grade, exclude_id=app.id)
    return eligibility.QuotaFacts(
        has_post_setting=setting is not None,
        vacant_posts=setting.vacant_posts if setting else 0,
        highest_grade=posts.highest_established_grade(app.unit_id, app.batch_id),
        non_exempt_taken=taken,
    )


def evaluate(
    app: Application,
    today: date | None = None,
    already_taken: int | None = None,
    record=None,
    misconduct: dict | None = None,
):
    """The rule results of SPEC §5 for this application: the person's facts as kept at its submission
    (``records.record_of``: the live ones for a draft or an application returned for revision), a 违纪 in
    the batch before (``previous_misconduct``), the application, the batch's rules and the post quota as
    stored now. ``record``: one already read; ``misconduct``: ``previous_misconduct`` already read for the
    workers of a request (else read for this worker)."""
    if misconduct is None:
        misconduct = previous_misconduct(app.batch, [app.worker_id])
    return eligibility.evaluate(
        worker_facts((record or records.record_of(app)).person, misconduct.get(app.worker_id)),
        application_facts(app),
        batch_rules(app.batch),
        quota_facts(app, already_taken),
        today or clock.today(),
    )


def exemption(app: Application, record=None) -> str | None:
    """不受岗位限额 as the person's facts give it (the kept ones once submitted, as ``evaluate``)."""
    person = (record or records.record_of(app)).person
    return eligibility.quota_exemption(worker_facts(person), batch_rules(app.batch))
