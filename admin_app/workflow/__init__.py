"""The workflow: states (``states``), transitions as data (``table``), the one writer (``engine``) and one
module per stage on top of them. Importing the package registers every stage's transitions.

    from admin_app import workflow
    workflow.apply(actor, workflow.registrations.CONFIRM, ids)
"""

from admin_app.workflow import registrations  # noqa: F401  (registers the stage's transitions)
from admin_app.workflow.engine import (  # noqa: F401
    ARCHIVED,
    GROUP_FAILED,
    BulkResult,
    apply,
    archived_batch_ids,
    available_transitions,
    check,
)
from admin_app.workflow.registrations import (  # noqa: F401
    confirm_fees,
    confirm_registrations,
    register,
    register_imported,
    return_registrations,
)
from admin_app.workflow.table import MACHINES, for_role, transitions_of  # noqa: F401
