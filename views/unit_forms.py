"""What every form that edits an organisation's identity shares (单位基本信息, 机构管理): a name unique among
active organisations, the 单位信息审核 state kept in step, the 主管部门 picker, Chinese refusals."""

from flask import flash
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from wtforms.validators import DataRequired, Length, ValidationError

from admin_app.form_helpers import REQUIRED
from admin_app.services import unit_identity
from admin_app.services.unit_names import NAME_MAX_LENGTH, unit_name_filter
from admin_app.workflow.states import IdentityState
from models import Organisation, enums

# form_args of the name field: stored in its written form, checked after normalising.
NAME_FIELD_ARGS = {
    "validators": [
        DataRequired(REQUIRED),
        Length(max=NAME_MAX_LENGTH, message=f"单位名称不超过{NAME_MAX_LENGTH}个字"),
    ],
    "filters": [unit_name_filter],
}


def supervisor_candidates(query, exclude_id=None):
    """主管部门 candidates: active units the admin marked as able to be one (市级部门, 区县部门 …), never
    the organisation itself. Anything else posted is refused by the scoped picker."""
    query = query.filter(
        Organisation.kind == enums.UNIT,
        Organisation.active.is_(True),
        Organisation.is_supervisor.is_(True),
    )
    return query if exclude_id is None else query.filter(Organisation.id != exclude_id)


def own_supervisor_candidates(query):
    return supervisor_candidates(query, exclude_id=current_user.organisation_id)


class UnitIdentityFormMixin:
    """Mix into a SecureModelView of ``Organisation`` and call ``check_identity`` from ``before_save``."""

    def check_identity(self, model) -> None:
        """Refuse a name another active organisation has; then move the unit's 单位信息审核 state."""
        if model.active is not False and unit_identity.name_taken(model.name, model.id):
            raise ValidationError(unit_identity.NAME_TAKEN)
        model._identity_now_pending = unit_identity.profile_saved(model) == IdentityState.PENDING

    def after_model_change(self, form, model, is_created):
        super().after_model_change(form, model, is_created)
        if getattr(model, "_identity_now_pending", False):
            flash(
                f"单位基本信息已提交{unit_identity.reviewer_name(model)}审核，审核确认前不能提交考试资格申请",
                "info",
            )

    def handle_view_exception(self, exc):
        # A concurrent save took the name between the check and the commit: the index refused it.
        if isinstance(exc, IntegrityError) and unit_identity.is_name_conflict(exc):
            flash(unit_identity.NAME_TAKEN, "error")
            return True
        return super().handle_view_exception(exc)
