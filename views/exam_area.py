"""考试报名, 成绩录入, 考核评审, 资格认定: lists over ``Registration`` rows, one per approved application."""

import sqlalchemy as sa
from flask import abort, current_app, flash, g, redirect, request
from flask_admin import expose
from flask_login import current_user

from admin_app import limits, workflow
from admin_app.extensions import db
from admin_app.request_guard import download
from admin_app.services import arrangement, clock, exam_documents, records, uploads
from admin_app.services.scope import registration_condition
from admin_app.services.validators import InvalidInput
from admin_app.workflow import evaluation, registrations, scores
from admin_app.workflow.states import (
    EvaluationState,
    ExamCategory,
    RecognitionState,
    RegistrationState,
    ScorePublication,
    ScoreResult,
)
from models import AuditLog, Registration, RegistrationTally, enums
from views import certificate_records, document_jobs, files
from views.base import SecureModelView, send_temporary_file
from views.bulk import BulkWorkflowMixin, TransitionRowAction, history_labels, name_rows
from views.certificate_pdfs import CertificateListMixin, CertificateRowMixin
from views.exam_documents import ticket_response
from views.mixins.batches import BatchFilter, batch_ids_by_year, batch_label, grade_groups, state_groups
from views.mixins.links import RowLink
from views.mixins.listing import SortGroups
from views.recheck import REQUEST_ACTION, REQUEST_ENDPOINT_ROLES, RecheckRequestMixin
from views.result_notice import NoticeStageFilter
from views.role_name import RoleName
from views.score_import import ENDPOINT_ROLES as SCORE_IMPORT_ROLES
from views.score_import import ScoreImportMixin
from views.score_publication import ScoreVisibilityMixin
from views.vote_grid import VoteGridMixin

UNIT = frozenset({enums.UNIT})


def _printable(rows) -> dict:
    """{id: whether the row's 准考证 can be printed}: a 准考证号, a photo, and a published seat of every kind of
    session the candidate sits (one look-up for a page of rows; the ticket page checks the photo itself)."""
    candidates = [row.id for row in rows if row.ticket_number and row.photo_stored]
    arranged = arrangement.arranged_ids(candidates)
    return {row.id: row.id in arranged for row in rows}


def _ticket_shown(row) -> bool:
    known = g.setdefault("printable_tickets", {})
    if row.id not in known:  # a details page, or a row the list did not look up
        known.update(_printable([row]))
    return known[row.id]


# The 准考证 icon, on rows whose 准考证 can be printed (the page refuses the others with the reason).
TICKET_ACTION = RowLink("fa fa-id-card-o", ".ticket_view", "准考证", _ticket_shown)

LABELS = {
    "batch": "考核批次",
    "batch.year": "批次",
    "worker": "姓名",
    "worker.name": "姓名",
    "worker.id_number": "身份证号码",
    "unit": "单位",
    "unit.name": "单位",
    "jurisdiction": "所在区县",
    "jurisdiction.name": "所在区县",
    "org_category": "组织类别",
    "applied_trade": "工种",
    "applied_trade.name": "工种",
    "applied_grade": "等级",
    "status": "报名状态",
    "phone": "联系电话",
    "voluntary_training": "自愿参加培训",
    "exam_category": "考试类别",
    "remarks": "备注",
    "registered_at": "报名时间",
    "return_reason": "退回原因",
    "fee_amount": "费用（元）",
    "receipt_number": "收据号",
    "fee_confirmed_at": "缴费确认时间",
    "ticket_number": "准考证号",
    "theory_score": "业务理论",
    "practice_score": "实际操作",
    "review_score": "综合评审",
    "absent": "缺考",
    "score_result": "成绩结果",
    "scores_entered_at": "成绩录入时间",
    "score_publication": "成绩发布",
    "scores_published_at": "成绩发布时间",
    "evaluation_status": "评审状态",
    "vote_expected": "应到人数",
    "vote_present": "实到人数",
    "vote_yes": "同意",
    "vote_no": "不同意",
    "vote_abstain": "弃权",
    "evaluated_at": "评审时间",
    "recognition_status": "认定状态",
    "certificate_number": "证书编号",
    "recognised_at": "认定时间",
    "recognised_by": "认定机构",
    "photo_name": "电子照片",
    "id_copy_name": "身份证复印件",
    **certificate_records.LABELS,
}


def _label_of(mapping):
    return lambda v, c, m, n: mapping.get(getattr(m, n), "" if getattr(m, n) is None else getattr(m, n))


FORMATTERS = {
    "batch.year": lambda v, c, m, n: batch_label(m.batch),
    "worker.id_number": lambda v, c, m, n: m.worker.masked_id_number,
    "applied_grade": lambda v, c, m, n: enums.grade_label(m.applied_grade),
    "status": _label_of(RegistrationState.labels()),
    "score_result": lambda v, c, m, n: ScoreResult.labels().get(m.score_result, ""),
    "score_publication": _label_of(ScorePublication.labels()),
    "evaluation_status": _label_of(EvaluationState.labels()),
    "recognition_status": _label_of(RecognitionState.labels()),
    "exam_category": _label_of(ExamCategory.labels()),
    "org_category": _label_of(enums.ORG_CATEGORY_LABELS),
}
# The details page shows the full ID number to whoever may open the row (its unit, the staff of its scope), as
# a worker's details page, the 报名表 and the 准考证 do; lists keep it masked (SPEC §3).
DETAIL_FORMATTERS = {**FORMATTERS, "worker.id_number": lambda v, c, m, n: m.worker.id_number}
# Shown beside the photo at the top of the details page (the table below lists the rest).
CANDIDATE_COLUMNS = ("worker.name", "worker.id_number", "unit", "applied_trade", "applied_grade", "status")
CHOICES = {
    "status": RegistrationState.choices(),
    "evaluation_status": EvaluationState.choices(),
    "recognition_status": RecognitionState.choices(),
    "score_result": ScoreResult.choices(),
    "score_publication": ScorePublication.choices(),
    "org_category": enums.choices(enums.ORG_CATEGORY_LABELS),
    "applied_grade": enums.GRADE_CHOICES,
    "exam_category": ExamCategory.choices(),
}
COMMON_FILTERS = [
    BatchFilter(Registration.__table__.c.batch_id),
    "jurisdiction.name",
    "unit.name",
    "org_category",
    "applied_trade.name",
    "applied_grade",
]
COMMON_COLUMNS = [
    "batch.year",
    "worker.name",
    "worker.id_number",
    "unit.name",
    "jurisdiction.name",
    "applied_trade.name",
    "applied_grade",
]


def sortable(columns: list[str]) -> list:
    """Flask-Admin's default (the row's own columns) plus 批次 (by year)."""
    return [("batch.year", "batch.year")] + [c for c in columns if "." not in c]


# Sort columns of few values that no row leaves empty, paged one value at a time on a long list
# (ListingMixin.page_ids): each value's rows newest first, instead of sorting a batch's 85k rows.
SORT_GROUPS = {
    "batch.year": SortGroups(Registration.batch_id, batch_ids_by_year, ordered=True),
    "applied_grade": grade_groups(Registration.applied_grade),
    "status": state_groups(Registration.status, RegistrationState, RegistrationTally.status),
    "absent": SortGroups(Registration.absent, lambda: [False, True], ordered=True),
}


class RegistrationStageView(CertificateRowMixin, ScoreVisibilityMixin, BulkWorkflowMixin, SecureModelView):
    """Common ground of the four stage lists: roles, scope (the row's snapshot), filters, details page."""

    def get_list(self, *args, **kwargs):
        count, data = super().get_list(*args, **kwargs)
        if request.endpoint == f"{self.endpoint}.index_view":  # the 准考证 icons of the page (not an export)
            g.setdefault("printable_tickets", {}).update(_printable(data))
        return count, data

    def ticket_printable(self, row) -> bool:
        """Whether the details page offers 打印准考证 (as the list's icon)."""
        return _ticket_shown(row)

    def export_rows(self, rows):
        return records.shown(rows, application_id=lambda row: row.application_id)  # as export_expression

    def export_expression(self, name, column):
        """导出查询结果: the person and the unit as kept when the application was submitted (every registration's
        application was; services/records.py)."""
        path = records.KEPT_COLUMNS.get(name)
        if path is None:
            return super().export_expression(name, column)  # a score column: ScoreVisibilityMixin
        return sa.func.coalesce(records.kept_text(Registration.application_id, *path), column)

    read_roles = UNIT | enums.BUSINESS_STAFF_ROLES
    write_roles = frozenset()
    column_sort_groups = SORT_GROUPS
    list_template = "gk/application_list.html"
    details_template = "gk/registration_details.html"
    column_labels = LABELS
    column_formatters = FORMATTERS
    column_formatters_detail = DETAIL_FORMATTERS
    column_choices = CHOICES
    column_searchable_list = ["worker.name", "worker.id_number", "ticket_number"]
    column_details_list = [
        "batch",
        "worker.name",
        "worker.id_number",
        "unit",
        "jurisdiction",
        "applied_trade",
        "applied_grade",
        "status",
        "phone",
        "voluntary_training",
        "exam_category",
        "remarks",
        "registered_at",
        "return_reason",
        "fee_amount",
        "receipt_number",
        "fee_confirmed_at",
        "ticket_number",
        "theory_score",
        "practice_score",
        "review_score",
        "absent",
        "score_result",
        "score_publication",
        "scores_published_at",
        "evaluation_status",
        "vote_expected",
        "vote_present",
        "vote_yes",
        "vote_no",
        "vote_abstain",
        "evaluated_at",
        "recognition_status",
        "certificate_number",
        "recognised_at",
        "recognised_by",
        *certificate_records.DETAIL_COLUMNS,
    ]
    column_extra_row_actions = [TICKET_ACTION]

    def stage_condition(self):
        return None

    def scope_condition(self):
        condition = registration_condition(current_user)
        stage = self.stage_condition()
        return condition if stage is None else condition & stage

    def confirm_rows(self, ids):
        return name_rows(
            Registration, ids, self.scope_condition(), Registration.status, RegistrationState.labels()
        )

    def render(self, template, **kwargs):
        model = kwargs.get("model")
        if template == self.details_template and model is not None:
            kwargs["history"] = (
                db.session.query(AuditLog)
                .filter(AuditLog.object_type == "Registration", AuditLog.object_id == str(model.id))
                .order_by(AuditLog.id)
                .all()
            )
            kwargs["candidate_columns"] = CANDIDATE_COLUMNS
            # Who the candidate is, as kept when the application was submitted (services/records.py).
            kept = records.record_of(model.application)
            kwargs["candidate_kept"] = {
                "worker.name": kept.person.name,
                "worker.id_number": kept.person.id_number,
                "unit": kept.unit.name,
            }
            kwargs["action_labels"] = {
                **history_labels("registration", "scores", "evaluation", "recognition"),
                "scores_corrected": "更正成绩",  # 录入成绩 on a row that had scores (workflow/scores.py)
            }
        return super().render(template, **kwargs)

    # --- pages of one row, shared by all four lists --------------------------------------------------
    @expose("/ticket/", methods=("GET",))
    def ticket_view(self):
        """The 准考证's preview (the document is ``ticket_pdf_view``): only once it may be printed, else the
        reason on the details page."""
        reg = self.get_one(request.args.get("id"))
        tickets, refused = exam_documents.tickets_of([reg])
        if refused:
            flash(f"不能打印准考证：{refused[0].reason}", "warning")
            return redirect(self.get_url(".details_view", id=reg.id))
        return self.render(
            "gk/ticket.html",
            ticket=tickets[0],
            photo_url=self.get_url(".file_view", id=reg.id, kind="photo"),
            pdf_url=self.get_url(".ticket_pdf_view", id=reg.id),
        )

    @expose("/ticket.pdf", methods=("GET",))
    @download
    def ticket_pdf_view(self):
        """One candidate's 准考证 as an A4 PDF; refused with the reason until arranged and with a photo."""
        reg = self.get_one(request.args.get("id"))
        response = ticket_response(
            self, [reg], f"准考证_{reg.ticket_number or reg.id}.pdf", refused_first=False
        )
        return response or redirect(self.get_url(".details_view", id=reg.id))

    @expose("/file/", methods=("GET",))
    @download
    def file_view(self):
        reg = self.get_one(request.args.get("id"))
        kind = request.args.get("kind")
        stored, name, content_type = {
            "photo": (reg.photo_stored, reg.photo_name, reg.photo_content_type),
            "id_copy": (reg.id_copy_stored, reg.id_copy_name, reg.id_copy_content_type),
        }.get(kind, (None, None, None))
        if not stored:
            abort(404)
        # The photo is shown inline (准考证 <img>) — send_stored grants that only to an image/PDF type.
        return files.send_stored(
            stored, content_type=content_type, download_name=name, inline=kind == "photo"
        )


class _ImportMixin:
    """附表5: the template for everyone who sees the list; the import for units."""

    @expose("/template.xlsx", methods=("GET",))
    @download
    def template_view(self):
        import sqlalchemy as sa

        from admin_app.services import candidate_import, candidate_sheets, excel
        from models import Ethnicity, Trade

        path = excel.temporary_path()
        trades = list(
            db.session.scalars(
                sa.select(Trade.name).where(Trade.active.is_(True)).order_by(Trade.category, Trade.name)
            )
        )
        ethnicities = list(db.session.scalars(sa.select(Ethnicity.name).order_by(Ethnicity.code)))
        prefill = None
        if request.args.get("prefill") and current_user.role == enums.UNIT:
            prefill = candidate_import.prefill_rows(current_user)
        candidate_sheets.write_template(path, trades, ethnicities, prefill)

        return send_temporary_file(path, "附表5_考生信息电子录入数据模板.xlsx")

    @expose("/import/", methods=("GET", "POST"))
    def import_view(self):
        from admin_app.services import candidate_import, candidate_sheets
        from admin_app.services.import_jobs import CANDIDATES
        from admin_app.services.spreadsheets import SheetLimits
        from views.import_jobs import queue_if_large

        problems, imported, report = [], None, None
        limits = SheetLimits.from_config(current_app.config)  # IMPORT_MAX_MB, IMPORT_MAX_ROWS …
        if request.method == "POST":
            upload = request.files.get("file")
            data = upload.stream.read(limits.max_bytes + 1) if upload and upload.filename else b""
            try:
                if not data:
                    raise candidate_import.ImportRefused("请选择要导入的文件")
                queued = queue_if_large(self, CANDIDATES, data, limits, upload.filename)
                if queued is not None:  # above IMPORT_JOB_ROWS: a background job, followed in 下载中心
                    return queued
                parsed = candidate_import.read_file(data, limits)
                entries, problems = candidate_import.check_rows(current_user, parsed)
                if problems:
                    report = _store_report(candidate_sheets.marked_copy(parsed, problems))
                else:
                    imported = workflow.register_imported(current_user, entries)
                    flash(f"已导入 {imported} 名考生，报名状态为“待确认”", "success")
            except (candidate_import.ImportRefused, InvalidInput) as exc:
                problems = [candidate_import.Problem(0, "", str(exc))]
        return self.render(
            "gk/import.html", problems=problems, imported=imported, report=report, limits=limits
        )

    @expose("/import/report.xlsx", methods=("GET",))
    @download
    def import_report_view(self):
        return send_report(request.args.get("token", ""), "附表5_导入错误标注.xlsx")


def _store_report(content: bytes | None) -> str | None:
    """Keep the marked copy for its uploader only (token in the session)."""
    import secrets

    from flask import session

    if content is None:
        return None
    token = secrets.token_hex(16)
    try:
        uploads.storage().save(f"import-reports/{token}.xlsx", content, uploads.XLSX_TYPE)
    except uploads.StorageFailed as exc:  # the problems are still listed on the page; only the copy is lost
        flash(f"标注错误的文件未能保存：{exc}", "error")
        return None
    session["import_reports"] = (session.get("import_reports", []) + [token])[-5:]
    return token


def send_report(token: str, download_name: str):
    """The marked copy kept by :func:`_store_report`, to its uploader only (404 for any other token)."""
    from flask import session

    if token not in session.get("import_reports", []):
        abort(404)
    return files.send_stored(
        f"import-reports/{token}.xlsx", content_type=uploads.XLSX_TYPE, download_name=download_name, max_age=0
    )


class RegistrationView(_ImportMixin, RegistrationStageView):
    """考试报名: units fill the 报名表 (or import 附表5); 市工考办 confirms or returns; 市职鉴中心 confirms the fee."""

    list_template = "gk/registration_list.html"
    workflow_machine = "registration"
    bulk_fields = {"confirm_fee": "gk/_receipt_field.html"}
    transition_links = {"register": ".register_view"}
    endpoint_roles = {
        "register_view": registrations.REGISTER.roles,
        "import_view": registrations.REGISTER_IMPORTED.roles,
        "import_report_view": registrations.REGISTER_IMPORTED.roles,
    }
    column_list = COMMON_COLUMNS + ["status", "registered_at", "ticket_number"]
    column_sortable_list = sortable(column_list)
    column_filters = COMMON_FILTERS + ["status", "registered_at", "voluntary_training", "exam_category"]
    column_default_sort = ("id", True)
    column_extra_row_actions = [
        TransitionRowAction("fa fa-pencil-square-o", ".register_view", registrations.REGISTER),
        TICKET_ACTION,
    ]

    @expose("/register/", methods=("GET", "POST"))
    def register_view(self):
        reg = self.get_one(request.args.get("id"))
        if reg.status not in registrations.REGISTER.sources:
            flash(f"当前状态为“{RegistrationState.label_of(reg.status)}”，不能报名", "warning")
            return redirect(self.get_url(".details_view", id=reg.id))
        if request.method == "POST":
            try:
                workflow.register(
                    current_user,
                    reg,
                    phone=request.form.get("phone"),
                    voluntary_training=request.form.get("voluntary_training") == "y",
                    exam_category=request.form.get("exam_category"),
                    remarks=request.form.get("remarks"),
                    photo=request.files.get("photo"),
                    id_copy=request.files.get("id_copy"),
                )
            except InvalidInput as exc:
                flash(str(exc), "error")
            else:
                flash("报名成功，等待市工考办审核", "success")
                return redirect(self.get_url(".details_view", id=reg.id))
        return self.render(
            "gk/registration_form.html",
            reg=reg,
            categories=ExamCategory.labels(),
            form_values=request.form,
        )

    @expose("/tickets.pdf", methods=("POST",))
    @download
    def tickets_pdf_view(self):
        """One PDF of the 准考证 of every candidate of the current 组合查询 (filters, search and scope of this
        list; in list order): made here up to ``limits.PDF_DIRECT_DOCUMENTS`` candidates, else a 下载中心 job
        (views/document_jobs.py); above ``limits.TICKET_PDF_PAGES`` pages of tickets a Chinese message and
        nothing is made. Candidates who get none are listed with the reason on a first page."""
        back = redirect(self.get_url(".index_view", **request.args.to_dict(flat=True)))
        regs = document_jobs.batch_or_job(self, document_jobs.TICKETS, back)
        if not isinstance(regs, list):
            return regs
        response = ticket_response(
            self, regs, f"准考证_{len(regs)}人_{clock.today():%Y%m%d}.pdf", refused_first=True
        )
        return response or back


# The centre, which enters scores, reads 成绩录入; units and bureaus (who only read them) 成绩查询.
SCORE_LIST_NAME = RoleName("成绩查询", ("成绩录入", scores.ENTER.roles))


class ScoreView(RecheckRequestMixin, ScoreImportMixin, RegistrationStageView):
    """成绩录入 / 成绩查询 (``SCORE_LIST_NAME``): 已报名 candidates. The center enters scores per row or in a grid over
    the filtered rows; the others read the published ones."""

    list_template = "gk/score_list.html"
    workflow_machine = "scores"
    transition_links = {"enter_scores": ".score_view"}
    endpoint_roles = {
        "score_view": scores.ENTER.roles,
        "score_grid_view": scores.ENTER.roles,
        **SCORE_IMPORT_ROLES,
        **REQUEST_ENDPOINT_ROLES,
    }
    column_list = COMMON_COLUMNS + [
        "ticket_number",
        "theory_score",
        "practice_score",
        "review_score",
        "absent",
        "score_result",
    ]
    column_sortable_list = sortable(column_list)
    # 成绩结果 (few values, empty until entered) read value by value, each by the batch's id index, instead of
    # sorting the batch's 57k 已报名 rows (migration 0043)
    column_sort_groups = {
        **SORT_GROUPS,
        "score_result": state_groups(
            Registration.score_result, ScoreResult, RegistrationTally.score_result, nullable=True
        ),
    }
    column_filters = COMMON_FILTERS + ["score_result", "absent", "scores_entered_at", "score_publication"]
    column_default_sort = ("ticket_number", False)
    column_extra_row_actions = [
        TransitionRowAction("fa fa-pencil", ".score_view", scores.ENTER),
        TICKET_ACTION,
        REQUEST_ACTION,
    ]

    def stage_condition(self):
        return Registration.status == RegistrationState.REGISTERED

    @expose("/score/", methods=("GET", "POST"))
    def score_view(self):
        reg = self.get_one(request.args.get("id"))
        problems = {}
        if request.method == "POST":
            entry = workflow.ScoreEntry(
                reg.id,
                request.form.get("theory"),
                request.form.get("practice"),
                request.form.get("review"),
                request.form.get("absent") == "y",
            )
            problems = workflow.enter_scores(current_user, [entry])
            if not problems:
                flash("成绩已保存", "success")
                return redirect(self.get_url(".index_view"))
            flash(problems.get(reg.id, "保存失败"), "error")
        return self.render(
            "gk/score_grid.html",
            rows=[reg],
            problems=problems,
            single=True,
            form_values=request.form,
            senior_grades=enums.SENIOR_GRADES,
        )

    @expose("/grid/", methods=("GET", "POST"))
    def score_grid_view(self):
        """An editable grid over the rows of the current filter (at most ``limits.GRID`` at a time), all or
        nothing."""
        ids = self.matching_ids()[: limits.GRID]
        rows = self.get_query().filter(Registration.id.in_(ids)).order_by(Registration.ticket_number).all()
        problems = {}
        if request.method == "POST":
            entries = [
                workflow.ScoreEntry(
                    r.id,
                    request.form.get(f"theory-{r.id}"),
                    request.form.get(f"practice-{r.id}"),
                    request.form.get(f"review-{r.id}"),
                    request.form.get(f"absent-{r.id}") == "y",
                )
                for r in rows
                if f"row-{r.id}" in request.form
            ]
            problems = workflow.enter_scores(current_user, entries)
            if not problems:
                flash(f"已保存 {len(entries)} 人的成绩", "success")
                return redirect(
                    self.get_url(".index_view")
                    + ("?" + request.query_string.decode() if request.query_string else "")
                )
            flash(f"有 {len(problems)} 行需要修改，全部未保存", "error")
        return self.render(
            "gk/score_grid.html",
            rows=rows,
            problems=problems,
            single=False,
            form_values=request.form,
            senior_grades=enums.SENIOR_GRADES,
        )


class EvaluationView(VoteGridMixin, RegistrationStageView):
    """考核评审: 技师/高级技师 whose scores passed; 市工考办 records each candidate's own committee vote, which
    decides (the vote grid over the filtered 待评审 rows, or one row from its details page)."""

    workflow_machine = "evaluation"
    results_stage = True  # a row is here because its scores passed: published rows only for units, bureaus
    list_template = "gk/evaluation_list.html"
    transition_links = {"evaluate": ".vote_view"}
    endpoint_roles = {
        "vote_view": evaluation.EVALUATE.roles,
        "vote_grid_view": evaluation.EVALUATE.roles,
    }
    column_extra_row_actions = [
        TransitionRowAction("fa fa-gavel", ".vote_view", evaluation.EVALUATE),
        TICKET_ACTION,
    ]
    column_list = COMMON_COLUMNS + [
        "theory_score",
        "practice_score",
        "review_score",
        "evaluation_status",
        "vote_yes",
    ]
    column_sortable_list = sortable(column_list)
    column_sort_groups = {
        **SORT_GROUPS,  # a row of this list always has its 评审状态 (stage_condition)
        "evaluation_status": state_groups(
            Registration.evaluation_status, EvaluationState, RegistrationTally.evaluation_status
        ),
    }
    column_filters = COMMON_FILTERS + ["evaluation_status", "evaluated_at"]

    def stage_condition(self):
        return Registration.evaluation_status.is_not(None)

    def confirm_rows(self, ids):
        return name_rows(
            Registration,
            ids,
            self.scope_condition(),
            Registration.evaluation_status,
            EvaluationState.labels(),
        )


class RecognitionView(
    CertificateListMixin, certificate_records.CertificateRecordsMixin, RegistrationStageView
):
    """资格认定: passed 初/中/高级工 and 评审通过 技师/高级技师; certificate numbers and the worker's new grade;
    撤销认定 and 证书发放 (views/certificate_records.py)."""

    workflow_machine = "recognition"
    results_stage = True  # a row is here because its scores passed: published rows only for units, bureaus
    column_list = COMMON_COLUMNS + [
        "score_result",
        "evaluation_status",
        "recognition_status",
        "certificate_number",
        *certificate_records.LIST_COLUMNS,
    ]
    column_sortable_list = sortable(column_list)
    column_sort_groups = {
        **SORT_GROUPS,  # a row of this list always has its 认定状态 (stage_condition)
        "recognition_status": state_groups(
            Registration.recognition_status, RecognitionState, RegistrationTally.recognition_status
        ),
    }
    column_filters = COMMON_FILTERS + [
        "recognition_status",
        "recognised_at",
        NoticeStageFilter(),
        certificate_records.HandoverFilter(),
        "handed_over_on",
    ]
    column_extra_row_actions = [
        RowLink(
            "fa fa-certificate",
            ".certificate_pdf_view",
            "证书PDF",
            lambda row: row.recognition_status == RecognitionState.RECOGNISED,
        )
    ]

    def stage_condition(self):
        return Registration.recognition_status.is_not(None)

    def confirm_rows(self, ids):
        return name_rows(
            Registration,
            ids,
            self.scope_condition(),
            Registration.recognition_status,
            RecognitionState.labels(),
        )
