"""违纪通报 (notice §2(三), §4(三)): the candidates marked 违纪, with the reason and the date — in every role's own
scope (市职鉴中心 and 市工考办 all; a 区县 bureau its jurisdiction; a unit its own; for units and bureaus once the
scores are published), filtered by batch and 区县, and
exported to Excel through the list's streamed export. Marking and correcting are on 成绩录入 (workflow/scores.py)."""

import sqlalchemy as sa
from flask_login import current_user

from admin_app.services import records, score_visibility
from admin_app.services.scope import registration_condition
from admin_app.workflow.states import ScoreResult
from models import Registration, enums
from views.base import SecureModelView
from views.exam_area import DETAIL_FORMATTERS, FORMATTERS, LABELS
from views.mixins.batches import BatchFilter

COLUMNS = [
    "batch.year",
    "worker.name",
    "worker.id_number",
    "unit.name",
    "jurisdiction.name",
    "applied_trade.name",
    "applied_grade",
    "ticket_number",
    "misconduct_reason",
    "misconduct_at",
]


class MisconductView(SecureModelView):
    """违纪通报: registrations whose result is 违纪 (read only)."""

    read_roles = frozenset({enums.UNIT}) | enums.BUSINESS_STAFF_ROLES
    write_roles = frozenset()
    can_create = can_edit = can_delete = False
    column_list = COLUMNS
    column_details_list = COLUMNS
    column_labels = {**LABELS, "misconduct_reason": "违纪原因", "misconduct_at": "违纪认定时间"}
    column_formatters = FORMATTERS
    column_formatters_detail = DETAIL_FORMATTERS
    column_choices = {"applied_grade": enums.GRADE_CHOICES}
    column_filters = [BatchFilter(Registration.__table__.c.batch_id), "jurisdiction.name"]
    column_searchable_list = ["worker.name", "worker.id_number", "ticket_number"]
    column_sortable_list = [("batch.year", "batch.year"), "misconduct_at", "ticket_number"]
    column_default_sort = ("misconduct_at", True)
    export_name = "违纪通报"

    def scope_condition(self):
        """The user's registrations marked 违纪 — for units and bureaus once the scores are published (a 违纪
        is a result: ``services.score_visibility``)."""
        condition = registration_condition(current_user) & (
            Registration.score_result == ScoreResult.MISCONDUCT
        )
        visible = score_visibility.visible_condition(current_user)
        return condition if visible is None else condition & visible

    def export_expression(self, name, column):
        """The person and the unit as kept when the application was submitted (services/records.py), as the
        other lists of candidates export them."""
        path = records.KEPT_COLUMNS.get(name)
        if path is None:
            return column
        return sa.func.coalesce(records.kept_text(Registration.application_id, *path), column)
