"""查分: the unit's 申请查分 on its candidate's published scores (a page of the 成绩 list, ``RecheckRequestMixin``)
and the 查分申请 list (scoped as the registrations: a unit its own, a 区县 bureau its jurisdiction, the city-wide
roles all) where 市职鉴中心 answers 维持原成绩 (list or details page, with its opinion) or 更正成绩 (a form with the
corrected scores)."""

import sqlalchemy as sa
from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user

from admin_app.extensions import db
from admin_app.services import rechecks
from admin_app.services.scope import recheck_condition
from admin_app.services.validators import InvalidInput
from admin_app.workflow.recheck import CORRECT
from admin_app.workflow.states import RecheckState, ScorePublication, ScoreResult
from models import Registration, ScoreRecheck, Worker, enums
from views.actor import current_actor
from views.base import SecureModelView
from views.bulk import BulkWorkflowMixin
from views.mixins.links import RowLink

SCORE_FIELDS = ("theory", "practice", "review")


# --- 申请查分 (the unit, on a registration) ------------------------------------------------------------------
# The row icon on the 成绩 list: only on published scores (the page checks the period and everything else).
REQUEST_ACTION = RowLink(
    "fa fa-search",
    ".recheck_view",
    "申请查分",
    lambda row: row.score_publication == ScorePublication.PUBLISHED,
)
REQUEST_ENDPOINT_ROLES = {"recheck_view": rechecks.REQUEST_ROLES}


class RecheckRequestMixin:
    """The 申请查分 page of one registration of the list it is mixed into (its row scope: a unit its own)."""

    @expose("/recheck/", methods=("GET", "POST"))
    def recheck_view(self):
        reg = self.get_one(request.args.get("id"))
        if request.method == "POST":
            try:
                made = rechecks.request_recheck(current_actor(), reg.id, request.form.get("reason"))
            except InvalidInput as exc:
                flash(str(exc), "error")
            else:
                flash("查分申请已提交，等待市职鉴中心答复", "success")
                return redirect(url_for("rechecks.details_view", id=made.id))
        return self.render(
            "gk/recheck_request.html",
            reg=reg,
            window=rechecks.window_of(reg, reg.batch),
            pending=rechecks.open_request(reg.id),
            limit=rechecks.REASON_LIMIT,
            grade_label=enums.grade_label,
            form_values=request.form,
        )


# --- 查分申请 (the list, the centre's answers) ------------------------------------------------------------
LABELS = {
    "batch": "考核批次",
    "batch.year": "批次",
    "registration.worker.name": "姓名",
    "registration.applied_grade": "等级",
    "registration.ticket_number": "准考证号",
    "registration.theory_score": "业务理论（现）",
    "registration.practice_score": "实际操作（现）",
    "registration.review_score": "综合评审（现）",
    "registration.score_result": "成绩结果（现）",
    "unit": "单位",
    "unit.name": "单位",
    "reason": "查分理由",
    "state": "状态",
    "requested_at": "申请时间",
    "requested_by": "申请人",
    "answer": "答复意见",
    "answered_at": "答复时间",
    "answered_by": "答复人",
}
FORMATTERS = {
    "state": lambda v, c, m, n: RecheckState.label_of(m.state),
    "registration.applied_grade": lambda v, c, m, n: enums.grade_label(m.registration.applied_grade),
    "registration.score_result": lambda v, c, m, n: ScoreResult.labels().get(m.registration.score_result, ""),
}


class RecheckView(BulkWorkflowMixin, SecureModelView):
    """查分申请: every role reads the requests of its scope; 市职鉴中心 answers them."""

    read_roles = frozenset({enums.UNIT}) | enums.BUSINESS_STAFF_ROLES
    write_roles = frozenset()
    workflow_machine = "recheck"
    transition_links = {CORRECT.name: ".correct_view"}
    endpoint_roles = {"correct_view": CORRECT.roles}
    list_template = "gk/application_list.html"  # the bulk buttons ("全部符合筛选条件")
    details_template = "gk/recheck_details.html"
    column_labels = LABELS
    column_formatters = FORMATTERS
    column_choices = {"state": RecheckState.choices()}
    column_list = [
        "batch.year",
        "registration.worker.name",
        "unit.name",
        "registration.applied_grade",
        "reason",
        "state",
        "requested_at",
        "answered_at",
    ]
    column_sortable_list = [("batch.year", "batch.year"), "state", "requested_at", "answered_at"]
    column_filters = ["state", "unit.name", "requested_at", "answered_at"]
    column_default_sort = ("id", True)
    column_details_list = [
        "batch",
        "registration.worker.name",
        "registration.ticket_number",
        "unit",
        "registration.applied_grade",
        "registration.theory_score",
        "registration.practice_score",
        "registration.review_score",
        "registration.score_result",
        "reason",
        "requested_at",
        "state",
        "answer",
        "answered_at",
    ]
    column_extra_row_actions = [
        RowLink("fa fa-pencil", ".correct_view", CORRECT.label, lambda row: row.state in CORRECT.sources)
    ]

    def scope_condition(self):
        return recheck_condition(current_user)

    def confirm_rows(self, ids):
        rows = db.session.execute(
            sa.select(ScoreRecheck.id, Worker.name, ScoreRecheck.state)
            .join(Registration, Registration.id == ScoreRecheck.registration_id)
            .join(Worker, Worker.id == Registration.worker_id)
            .where(ScoreRecheck.id.in_(ids), self.scope_condition())
        )
        return [(r.id, r.name, RecheckState.label_of(r.state)) for r in rows]

    @expose("/correct/", methods=("GET", "POST"))
    def correct_view(self):
        """更正成绩: the corrected scores and the answer, saved together (``rechecks.answer_corrected``)."""
        recheck = self.get_one(request.args.get("id"))
        if recheck.state not in CORRECT.sources:
            flash(f"当前状态为“{RecheckState.label_of(recheck.state)}”，不能更正成绩", "warning")
            return redirect(self.get_url(".details_view", id=recheck.id))
        if request.method == "POST":
            values = {name: request.form.get(name) for name in SCORE_FIELDS}
            values["absent"] = request.form.get("absent") == "y"
            try:
                problems = rechecks.answer_corrected(
                    current_actor(), recheck.id, values, request.form.get("opinion")
                )
            except InvalidInput as exc:
                problems = {"opinion": str(exc)}
            if not problems:
                flash("成绩已更正，查分申请已答复", "success")
                return redirect(self.get_url(".details_view", id=recheck.id))
            flash(next(iter(problems.values())), "error")
        return self.render(
            "gk/recheck_correct.html",
            recheck=recheck,
            reg=recheck.registration,
            senior=recheck.registration.applied_grade in enums.SENIOR_GRADES,
            grade_label=enums.grade_label,
            opinion_limit=CORRECT.opinion.limit,
            form_values=request.form,
            posted=request.method == "POST",
        )
