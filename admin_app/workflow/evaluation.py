"""考核评审 (技师、高级技师; 市工考办): 待评审 (the scores passed) → 评审通过 (then 待认定) / 评审未通过, with the
committee's vote (附表2: 应到, 实到, 同意, 不同意, 弃权) recorded on the row."""

import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.services import eligibility
from admin_app.services.scope import registration_condition
from admin_app.services.validators import InvalidInput
from admin_app.workflow import engine
from admin_app.workflow.people import describe, person_rows
from admin_app.workflow.states import EvaluationState as S
from admin_app.workflow.states import RecognitionState
from admin_app.workflow.table import Machine, Transition, add, machine
from models import ExamBatch, Registration, enums

EVALUATION = machine(
    Machine(
        name="evaluation",
        label="考核评审",
        model=Registration,
        field="evaluation_status",
        states=S,
        scope=registration_condition,
        select=person_rows(Registration, "evaluation_status"),
        describe=describe,
    )
)


VOTE_FIELDS = ("vote_expected", "vote_present", "vote_yes", "vote_no", "vote_abstain")


def vote_from(form) -> eligibility.Vote:
    """The vote typed on the confirmation page (the form fields ``VOTE_FIELDS``); raises InvalidInput."""
    try:
        return eligibility.Vote(*(int(form.get(name)) for name in VOTE_FIELDS))
    except (TypeError, ValueError):
        raise InvalidInput("请完整填写应到、实到、同意、不同意、弃权人数（整数）") from None


def _vote_matches(passing: bool):
    """``prepare``: the vote (given, or typed in ``VOTE_FIELDS``) is consistent, and the batch rules (quorum,
    majority) of every row asked for give the decision taken — else InvalidInput, before any row is read.
    The vote becomes the audit's opinion."""

    def prepare(ctx):
        vote = ctx.inputs["vote"] = ctx.inputs.get("vote") or vote_from(ctx.inputs)
        problems = eligibility.vote_problems(vote)
        if problems:
            raise InvalidInput("；".join(problems))
        batch_ids = sa.select(Registration.batch_id).where(Registration.id.in_(ctx.ids)).distinct()
        for batch in db.session.scalars(sa.select(ExamBatch).where(ExamBatch.id.in_(batch_ids))):
            passes, explanation = eligibility.vote_passes(
                vote, (batch.quorum_num, batch.quorum_den), (batch.majority_num, batch.majority_den)
            )
            if passes != passing:
                raise InvalidInput(f"表决结果与所选决定不一致：{explanation}")
        ctx.opinion = (
            f"应到{vote.expected} 实到{vote.present} 同意{vote.yes} 不同意{vote.no} 弃权{vote.abstain}"
        )

    return prepare


def _vote_values(passing: bool):
    def values(ctx):
        vote = ctx.inputs["vote"]
        return {
            "vote_expected": vote.expected,
            "vote_present": vote.present,
            "vote_yes": vote.yes,
            "vote_no": vote.no,
            "vote_abstain": vote.abstain,
            "evaluated_at": ctx.now,
            "recognition_status": RecognitionState.PENDING if passing else None,
        }

    return values


def _decision(name, label, target, passing, style):
    return add(
        Transition(
            EVALUATION,
            name,
            label,
            sources=frozenset({S.PENDING}),
            target=target,
            roles=frozenset({enums.OFFICE}),
            prepare=_vote_matches(passing),
            values=_vote_values(passing),
            inputs=VOTE_FIELDS,
            style=style,
        )
    )


PASS = _decision("evaluate_pass", "评审通过", S.PASSED, True, "success")
FAIL = _decision("evaluate_fail", "评审不通过", S.FAILED, False, "danger")
DECISIONS = {"pass": PASS, "fail": FAIL}


def evaluate(actor, ids, decision: str, vote) -> engine.BulkResult:
    """市工考办 records the committee vote and decides 评审通过 / 评审不通过 (``decision``: pass / fail) for
    待评审 rows in its scope.

    Guarantees: the vote must be consistent and the decision must be the one the batch's quorum and majority
    give for it — otherwise InvalidInput and nothing changes; the vote is stored on every decided row and
    audited as its opinion; 评审通过 makes the row 待认定. Other rows are refused with their reason."""
    return engine.apply(actor, DECISIONS[decision], ids, vote=vote)
