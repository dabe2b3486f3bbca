"""Everything the rest of the code uses from the workflow, in one namespace; importing it registers every
stage's transitions. ``admin_app.workflow`` forwards attribute access here (see ``__init__``)."""

from admin_app.services.batches import submission_closed_reason  # noqa: F401
from admin_app.workflow import (  # noqa: F401  (register the stages)
    applications,
    arrangement,
    batches,
    certificates,
    evaluation,
    identity,
    notice,
    publication,
    recheck,
    recognition,
    registrations,
    revisions,
    scores,
)
from admin_app.workflow.applications import (  # noqa: F401
    decide,
    delete_draft,
    record_veteran_decision,
    submit,
    withdraw,
)
from admin_app.workflow.batches import BATCH_TRANSITIONS, change_batch_state, ensure_writable  # noqa: F401
from admin_app.workflow.certificates import record_handover, revoke  # noqa: F401
from admin_app.workflow.engine import (  # noqa: F401
    ARCHIVED,
    GROUP_FAILED,
    BulkResult,
    apply,
    archived_batch_ids,
    available_transitions,
    check,
)
from admin_app.workflow.evaluation import VoteEntry, VoteProblem, evaluate, record_votes  # noqa: F401
from admin_app.workflow.publication import publish_batch, publish_session  # noqa: F401
from admin_app.workflow.recognition import JUNIOR_GRADES, recognise  # noqa: F401
from admin_app.workflow.registrations import (  # noqa: F401
    confirm_fees,
    confirm_registrations,
    register,
    register_imported,
    return_registrations,
)
from admin_app.workflow.revisions import resubmit, return_for_revision  # noqa: F401
from admin_app.workflow.routing import route_for  # noqa: F401
from admin_app.workflow.score_values import ScoreEntry, parse_score, score_outcome  # noqa: F401
from admin_app.workflow.scores import enter_scores  # noqa: F401
from admin_app.workflow.states import *  # noqa: F401,F403
from admin_app.workflow.table import MACHINES, for_role, transitions_of  # noqa: F401
