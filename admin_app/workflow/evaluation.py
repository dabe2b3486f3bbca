"""考核评审 (技师、高级技师; 市工考办): 待评审 (the scores passed) → 评审通过 (then 待认定) / 评审未通过.

The committee votes per person and its vote decides (附表2: 应到, 实到, 同意, 不同意, 弃权, stored on that
person's row): a tally that reaches the batch's quorum and majority is 评审通过, one that reaches the quorum
only is 评审未通过, one without a quorum decides nothing (the meeting could not vote). The office records the
tallies of many candidates at once, each its own, all or nothing (``record_votes``, the vote grid)."""

import json
import re
from dataclasses import astuple, dataclass

from admin_app import limits
from admin_app.actor import Actor
from admin_app.extensions import db
from admin_app.services import eligibility
from admin_app.services.scope import registration_condition
from admin_app.services.validators import InvalidInput, normalise_code
from admin_app.workflow import engine
from admin_app.workflow.people import describe, person_rows
from admin_app.workflow.states import EvaluationState as S
from admin_app.workflow.states import RecognitionState
from admin_app.workflow.table import Machine, Step, Transition, add, machine
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

# The form fields of one tally, in 附表2's order, and the part of ``eligibility.Vote`` each one holds.
VOTE_FIELDS = ("vote_expected", "vote_present", "vote_yes", "vote_no", "vote_abstain")
PART_FIELDS = dict(zip(eligibility.VOTE_LABELS, VOTE_FIELDS, strict=True))
FIELD_LABELS = {field: eligibility.VOTE_LABELS[part] for part, field in PART_FIELDS.items()}


@dataclass(frozen=True)
class VoteEntry:
    """One candidate's tally as typed (text, or whole numbers from a script)."""

    registration_id: int
    expected: str | int | None
    present: str | int | None
    yes: str | int | None
    no: str | int | None
    abstain: str | int | None

    @classmethod
    def of(cls, registration_id: int, vote: eligibility.Vote) -> "VoteEntry":
        return cls(registration_id, *astuple(vote))

    def is_blank(self) -> bool:
        return all(normalise_code(str(v) if v is not None else "") == "" for v in astuple(self)[1:])


@dataclass(frozen=True)
class VoteProblem:
    """What is wrong with a row's tally: the message and the cells (``VOTE_FIELDS``) it is about; no cells
    for the row as a whole (its state changed, it is out of scope …)."""

    message: str
    cells: tuple = ()


def parse_vote(entry: VoteEntry) -> tuple[eligibility.Vote | None, list[VoteProblem]]:
    """The tally of ``entry`` as a Vote, or None and every problem of its cells (blank, not a whole number,
    too large) and of the tally (实到 > 应到, 同意+不同意+弃权 ≠ 实到 …)."""
    numbers, problems = {}, []
    for part, field in PART_FIELDS.items():
        raw = getattr(entry, part)
        text = normalise_code(str(raw) if raw is not None else "")
        label = eligibility.VOTE_LABELS[part]
        if text == "":
            problems.append(VoteProblem(f"请填写{label}", (field,)))
        elif not re.fullmatch(r"[0-9]+", text):
            problems.append(VoteProblem(f"{label}应为不小于0的整数", (field,)))
        elif len(text.lstrip("0")) > len(str(limits.COMMITTEE)) or int(text) > limits.COMMITTEE:
            problems.append(VoteProblem(f"{label}不能超过{limits.COMMITTEE}", (field,)))
        else:
            numbers[part] = int(text)
    if problems:
        return None, problems
    vote = eligibility.Vote(**numbers)
    for parts, message in eligibility.vote_problems(vote):
        problems.append(VoteProblem(message, tuple(PART_FIELDS[p] for p in parts)))
    return (None if problems else vote), problems


def tally_text(vote: eligibility.Vote) -> str:
    """How a tally reads in the 办理记录 (the audit row's opinion)."""
    return f"应到{vote.expected} 实到{vote.present} 同意{vote.yes} 不同意{vote.no} 弃权{vote.abstain}"


def _batch(ctx, batch_id) -> ExamBatch:
    batches = ctx.cache.setdefault("batches", {})
    if batch_id not in batches:
        batches[batch_id] = db.session.get(ExamBatch, batch_id)
    return batches[batch_id]


def batch_rules(batch: ExamBatch) -> tuple[tuple[int, int], tuple[int, int]]:
    """(quorum, majority) of a batch, as fractions."""
    return (batch.quorum_num, batch.quorum_den), (batch.majority_num, batch.majority_den)


# --- guard, route and what is written -------------------------------------------------------------------
def _valid(ctx, row):
    """The row's tally is consistent and reaches its batch's quorum (and, when a decision is expected, gives
    it). The problems are kept for the grid (``ctx.cache["problems"]``); the reason joins them."""
    entry = ctx.inputs.get("votes", {}).get(row.id)
    if entry is None:  # no tally given: only asked whether the row could take one
        return None
    vote, problems = parse_vote(entry)
    if vote is not None:
        quorum, majority = batch_rules(_batch(ctx, row.batch_id))
        lacking = eligibility.quorum_problem(vote, quorum)
        if lacking:
            problems.append(VoteProblem(lacking, ("vote_expected", "vote_present")))
        else:
            passing, explanation = eligibility.vote_passes(vote, quorum, majority)
            expected = ctx.inputs.get("expect")
            if expected is not None and expected != passing:
                problems.append(VoteProblem(f"表决结果与所选决定不一致：{explanation}"))
            ctx.cache[row.id] = (vote, passing, explanation)
    if problems:
        ctx.inputs.get("problems", {})[row.id] = problems
        return "；".join(p.message for p in problems)
    return None


def _outcome(ctx, row) -> Step:
    """评审通过 (and 待认定) or 评审未通过, as the row's own tally gives."""
    if row.id not in ctx.cache:  # no tally given (see _valid): any target answers "may it move"
        return Step(S.PASSED)
    _vote, passing, _explanation = ctx.cache[row.id]
    if passing:
        return Step(S.PASSED, values=(("recognition_status", RecognitionState.PENDING),))
    return Step(S.FAILED, values=(("recognition_status", None),))


def _row_vote(ctx, row) -> dict:
    vote = ctx.cache[row.id][0]
    return {field: getattr(vote, part) for part, field in PART_FIELDS.items()}


PASS_ACTION, FAIL_ACTION = "evaluate_pass", "evaluate_fail"


def _audit(ctx, step, rows) -> dict:
    """Each row's audit entry: 评审通过 / 评审不通过 with its own tally as the opinion, and the rule applied."""
    action = PASS_ACTION if step.target == S.PASSED else FAIL_ACTION
    out = {}
    for row in rows:
        vote, _passing, explanation = ctx.cache[row.id]
        detail = {"vote": dict(zip(VOTE_FIELDS, astuple(vote), strict=True)), "result": explanation}
        out[row.id] = {
            "action": action,
            "opinion": tally_text(vote),
            "detail": json.dumps(detail, ensure_ascii=False),
        }
    return out


EVALUATE = add(
    Transition(
        EVALUATION,
        "evaluate",
        "录入评审表决",
        sources=frozenset({S.PENDING}),
        route=_outcome,
        targets=(S.PASSED, S.FAILED),
        roles=frozenset({enums.OFFICE}),
        guards=(_valid,),
        values=lambda ctx: {"evaluated_at": ctx.now},
        row_values=_row_vote,
        audit_detail=_audit,
        audit_labels=((PASS_ACTION, "评审通过"), (FAIL_ACTION, "评审不通过")),
        atomic=True,
        bulk=False,
    )
)


# --- use cases ------------------------------------------------------------------------------------------
def record_votes(actor, entries: list[VoteEntry]) -> dict[int, list[VoteProblem]]:
    """市工考办 records each candidate's own committee vote, all or nothing.

    Every tally is checked on its own against its batch's rules: consistent (同意+不同意+弃权 = 实到 ≤ 应到,
    应到 > 0, whole numbers) and with a quorum; the vote then decides 评审通过 (the row becomes 待认定) or
    评审未通过. Returns {registration_id: [problems]} and changes nothing if any row is wrong, out of the
    actor's scope or no longer 待评审; else {} and every row is decided in one transaction, its tally stored
    on it and audited (评审通过 / 评审不通过, the tally as the opinion)."""
    actor = Actor.of(actor)
    if actor.role not in EVALUATE.roles:
        raise InvalidInput("只有市工考办可以录入评审表决")
    by_id = {entry.registration_id: entry for entry in entries}
    found: dict = {}  # the guard's problems per row, with their cells
    result = engine.apply(actor, EVALUATE, list(by_id), votes=by_id, problems=found)
    return {row_id: found.get(row_id) or [VoteProblem(reason)] for row_id, _label, reason in result.refused}


def evaluate(actor, ids, decision: str, vote: eligibility.Vote) -> engine.BulkResult:
    """The same tally for each of ``ids`` (one candidate's vote from a script or a test), ``decision`` (pass /
    fail) being the one it must give: as ``record_votes``, all or nothing, the reasons in ``refused``."""
    entries = {row_id: VoteEntry.of(row_id, vote) for row_id in ids}
    return engine.apply(actor, EVALUATE, list(entries), votes=entries, expect=decision == "pass")
