"""The application workflow: its states and transitions, declared once, and the only code that changes
an application's status. Views call these functions; they never assign ``status`` themselves.

Every transition writes an ``ApplicationReview`` row (the history shown on the detail page) and an audit
row, in the same transaction as the change. Bulk work is set-based: rows are grouped by the status they
move to, and each group is changed by one ``UPDATE … WHERE id IN (…) AND status = … AND <scope>
RETURNING id`` so that a row that has moved on, or left the user's scope, is never touched; it is
reported as refused instead. Two people deciding the same application: the second UPDATE finds the
status changed and the second person is told.
"""

from dataclasses import dataclass, field

from admin_app.workflow.states import RegistrationState
from models import enums


# --- transitions ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    roles: frozenset
    sources: frozenset
    requires_opinion: bool = False
    guard: str = ""  # the condition, in words, checked by the function that takes the transition


TRANSITIONS: dict = {}  # the application machine's rows are added at the bottom (admin_app.workflow.applications)


@dataclass
class BulkResult:
    """What a bulk transition did: rows done and rows refused (with the reason), for the result page."""

    action: str
    done: list = field(default_factory=list)  # (id, label)
    refused: list = field(default_factory=list)  # (id, label, reason)

    def refuse(self, app_id, label, reason):
        self.refused.append((app_id, label, reason))


def _label(row) -> str:
    return f"{row.worker_name}（{enums.grade_label(row.applied_grade)}）"


# =========================================================================================================
# 考试报名 → 缴费确认 → 成绩 → 考核评审 → 资格认定 (SPEC §4.2–§4.5), on ``Registration`` rows created when an
# application reaches 审核已通过. Each stage has its own state column; these functions are the only code
# that changes them, with the same conditional-UPDATE pattern and an audit row per change.
# =========================================================================================================
TRANSITIONS.update(
    {
        "register": Transition(
            "register",
            "报名",
            frozenset({enums.UNIT}),
            frozenset({RegistrationState.UNREGISTERED, RegistrationState.RETURNED}),
            guard="本单位审核已通过的人员；电子照片（JPEG/PNG）与身份证复印件",
        ),
        "confirm_registration": Transition(
            "confirm_registration",
            "报名审核通过",
            frozenset({enums.OFFICE}),
            frozenset({RegistrationState.PENDING}),
        ),
        "return_registration": Transition(
            "return_registration",
            "退回报名",
            frozenset({enums.OFFICE}),
            frozenset({RegistrationState.PENDING}),
            requires_opinion=True,
        ),
        "confirm_fee": Transition(
            "confirm_fee", "缴费确认", frozenset({enums.CENTER}), frozenset({RegistrationState.FEE})
        ),
    }
)


from admin_app.services.batches import submission_closed_reason  # noqa: E402,F401
from admin_app.workflow.applications import (  # noqa: E402,F401
    APPROVE,
    REJECT,
    SUBMIT,
    WITHDRAW,
    decide,
    delete_draft,
    record_veteran_decision,
    submit,
    withdraw,
)
from admin_app.workflow.engine import GROUP_FAILED  # noqa: E402,F401
from admin_app.workflow.registrations import (  # noqa: E402,F401
    confirm_fees,
    confirm_registrations,
    register,
    register_imported,
    return_registrations,
)
from admin_app.workflow.routing import route_for  # noqa: E402,F401
from admin_app.workflow.states import FINAL_STATES, PENDING_STATES, ApplicationState  # noqa: E402,F401
from admin_app.workflow.states import pending as _pending  # noqa: E402


def pending(role: str):
    """待{step}审核 of a reviewing role; None for any other role (no application waits at its step)."""
    return _pending(role) if role in enums.REVIEW_ROLES else None


DRAFT, APPROVED, REJECTED = ApplicationState.DRAFT, ApplicationState.APPROVED, ApplicationState.REJECTED
STATE_LABELS = ApplicationState.labels()
TRANSITIONS.update({t.name: t for t in (SUBMIT, APPROVE, REJECT, WITHDRAW)})

# 考试成绩, 考核评审, 资格认定, 考核批次 and 单位信息审核 are stages of the workflow package now.
from admin_app.workflow.batches import (  # noqa: E402,F401
    BATCH_TRANSITIONS,
    change_batch_state,
    ensure_writable,
)
from admin_app.workflow.engine import ARCHIVED, archived_batch_ids  # noqa: E402,F401
from admin_app.workflow.evaluation import FAIL as _EVALUATE_FAIL  # noqa: E402
from admin_app.workflow.evaluation import PASS as _EVALUATE_PASS  # noqa: E402
from admin_app.workflow.evaluation import evaluate  # noqa: E402,F401
from admin_app.workflow.recognition import JUNIOR_GRADES, recognise  # noqa: E402,F401
from admin_app.workflow.recognition import RECOGNISE as _RECOGNISE  # noqa: E402
from admin_app.workflow.scores import ENTER as _ENTER_SCORES  # noqa: E402
from admin_app.workflow.scores import (  # noqa: E402,F401
    ScoreEntry,
    enter_scores,
    parse_score,
    score_outcome,
)

TRANSITIONS.update({t.name: t for t in (_ENTER_SCORES, _EVALUATE_PASS, _EVALUATE_FAIL, _RECOGNISE)})
