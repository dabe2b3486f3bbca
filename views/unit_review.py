"""单位信息审核: the authority that reviews a unit's applications confirms who the unit says it is."""

import sqlalchemy as sa
from flask_login import current_user
from markupsafe import Markup, escape

from admin_app.extensions import db
from admin_app.services import unit_identity
from admin_app.services.scope import identity_review_condition
from admin_app.workflow.states import IdentityState
from models import Organisation, enums
from views.base import SecureModelView
from views.bulk import BulkWorkflowMixin
from views.unit_area import ORG_LABELS, ORG_PROFILE_COLUMNS

REVIEWERS = unit_identity.REVIEWER_ROLES


def _status(view, context, model, name):
    return IdentityState.labels().get(model.identity_status, "")


def _category(view, context, model, name):
    return enums.ORG_CATEGORY_LABELS.get(model.org_category or "", "")


def _waiting(view, context, model, name):
    """Which fields wait: "首次审核" for a unit never confirmed, else the changed fields (no query)."""
    if model.identity_status != IdentityState.PENDING:
        return ""
    if not model.identity_confirmed:
        return "首次审核"
    return "、".join(unit_identity.changed_fields(model)) or "重新提交"


def _waiting_detail(view, context, model, name):
    """Before → after of every field changed since the last confirmation."""
    if not model.identity_confirmed:
        return "首次审核（尚无已确认的信息）"
    rows = unit_identity.changes(model)
    if not rows:
        return "无变更"
    return Markup("<br>").join(
        Markup("{}：{} → <strong>{}</strong>").format(escape(label), escape(before), escape(after))
        for label, before, after in rows
    )


class UnitIdentityReviewView(BulkWorkflowMixin, SecureModelView):
    """单位信息审核: a 区县 bureau confirms the profiles of its 区县属单位, the 市工考办 those of every other
    unit (``scope.identity_review_condition``: list, details, export and both decisions). Read-only rows;
    decisions are the identity machine's transitions (审核通过, 退回), on the list and on the details page."""

    read_roles = REVIEWERS
    write_roles = frozenset()
    allow_create = allow_edit = allow_delete = False
    workflow_machine = "identity"
    confirm_name_label = "单位名称"
    list_template = "gk/application_list.html"  # the bulk buttons ("全部符合筛选条件")
    details_template = "gk/transition_details.html"
    export_name = "单位信息审核"

    column_list = [
        "name",
        "uscc",
        "org_category",
        "jurisdiction.name",
        "supervisor",
        "identity_status",
        "identity_changes",
        "identity_submitted_at",
    ]
    column_labels = ORG_LABELS
    column_formatters = {
        "org_category": _category,
        "identity_status": _status,
        "identity_changes": _waiting,
    }
    column_choices = {
        "org_category": enums.choices(enums.ORG_CATEGORY_LABELS),
        "identity_status": IdentityState.choices(),
    }
    column_filters = ["identity_status", "org_category", "jurisdiction.name", "name"]
    column_searchable_list = ["name", "uscc"]
    column_sortable_list = ["name", "identity_submitted_at"]
    column_default_sort = ("identity_submitted_at", True)
    column_details_list = [
        *ORG_PROFILE_COLUMNS,
        "self_registered",
        "created_at",
        "identity_status",
        "identity_changes",
        "identity_submitted_at",
        "identity_decided_by",
        "identity_decided_at",
        "identity_opinion",
    ]
    column_formatters_detail = {
        "org_category": _category,
        "identity_status": _status,
        "identity_changes": _waiting_detail,
    }

    def scope_condition(self):
        return identity_review_condition(current_user)

    def confirm_rows(self, ids):
        rows = db.session.execute(
            sa.select(Organisation.id, Organisation.name, Organisation.identity_status).where(
                Organisation.id.in_(ids), self.scope_condition()
            )
        ).all()
        return [(r.id, r.name, IdentityState.labels().get(r.identity_status, "")) for r in rows]
