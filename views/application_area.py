"""考试资格申请: the units' applications, the reviewers' queue, decisions, materials and the 登记表."""

import sqlalchemy as sa
from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_admin.model.template import EndpointLinkRowAction
from flask_login import current_user
from wtforms import SelectField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from admin_app import limits, workflow
from admin_app.extensions import db
from admin_app.form_helpers import REQUIRED, form_error, strip_filter
from admin_app.request_guard import download, parse_pk
from admin_app.services import applications as app_facts
from admin_app.services import audit, clock, eligibility, materials, records, score_visibility
from admin_app.services.scope import application_condition
from admin_app.services.validators import InvalidInput
from admin_app.workflow import applications as application_stage
from admin_app.workflow import revisions
from admin_app.workflow.states import ApplicationState, pending, step_role
from models import Application, ApplicationTally, Material, enums
from models.worker import mask_id_number
from views import files, pickers, summary_sheet
from views.actor import current_actor
from views.base import SecureModelView
from views.bulk import BulkWorkflowMixin, name_rows
from views.bulk_materials import BulkMaterialsMixin, MaterialFilter, material_column
from views.mixins.batches import BatchFilter, batch_ids_by_year, batch_label, grade_groups, state_groups
from views.mixins.listing import SortGroups

APPLICATION_LABELS = {
    "batch": "考核批次",
    "batch.year": "批次",
    "worker": "申报人员",
    "worker.name": "姓名",
    "worker.id_number": "身份证号码",
    "unit": "单位",
    "unit.name": "单位",
    "jurisdiction": "所在区县",
    "jurisdiction.name": "所在区县",
    "org_category": "组织类别",
    "applied_trade": "申报工种",
    "applied_trade.name": "申报工种",
    "applied_grade": "申报等级",
    "achievements": "主要专业技术业绩",
    "publicity_start": "公示开始日期",
    "publicity_end": "公示结束日期",
    "publicity_result": "公示结果",
    "quota_exempt_reason": "不受岗位限额",
    "certificate_class": "证书班",
    "retire_two_in_one": "退二进一",
    "veteran": "退役士兵",
    "veteran_override": "退役士兵认定意见",
    "remarks": "备注",
    "status": "申报状态",
    "submitted_at": "提交时间",
    "decided_at": "办结时间",
    "created_at": "创建时间",
}


def _masked_id(view, context, model, name):
    return model.worker.masked_id_number


def _grade(view, context, model, name):
    return enums.grade_label(model.applied_grade)


def _kept(context, model):
    record = context.get("record") if context is not None else None
    return record or records.record_of(model)


def _kept_person(view, context, model, name):
    """申报人员 of the details page: as kept at submission (services/records.py)."""
    person = _kept(context, model).person
    return f"{person.name}（{mask_id_number(person.id_number)}）"


def _kept_unit(view, context, model, name):
    return _kept(context, model).unit.name


def _status(view, context, model, name):
    return ApplicationState.labels().get(model.status, model.status)


def _quota_exempt(view, context, model, name):
    return enums.QUOTA_EXEMPT_LABELS.get(model.quota_exempt_reason or "", "否")


REVIEWERS = frozenset(enums.REVIEW_ROLES)


def _return_for_revision(actor, ids, form):
    """退回修改 reads the ticked parts (one field sent several times)."""
    return revisions.return_for_revision(actor, ids, form.get("opinion"), form.getlist("parts"))


class ApplicationView(BulkWorkflowMixin, SecureModelView):
    """考试资格申请. Units add, edit and delete while 待提交 and submit; reviewers read their jurisdiction."""

    count_order = ("batch_id", "id")  # the current batch's rows are the last of the heap: read them by index

    read_roles = frozenset({enums.UNIT}) | enums.BUSINESS_STAFF_ROLES
    write_roles = frozenset({enums.UNIT})
    queue_only = False  # the 待我审核 view sets this
    workflow_machine = "application"
    bulk_fields = {"return_for_revision": "gk/_return_parts_field.html"}
    bulk_runs = {"return_for_revision": _return_for_revision}

    list_template = "gk/application_list.html"
    details_template = "gk/application_details.html"
    create_template = "gk/application_edit.html"
    edit_template = "gk/application_edit.html"

    column_list = [
        "batch.year",
        "worker.name",
        "worker.id_number",
        "unit.name",
        "jurisdiction.name",
        "applied_trade.name",
        "applied_grade",
        "quota_exempt_reason",
        "status",
        "submitted_at",
    ]
    column_labels = APPLICATION_LABELS
    column_formatters = {
        "batch.year": lambda v, c, m, n: batch_label(m.batch),
        "worker.id_number": _masked_id,
        "applied_grade": _grade,
        "status": _status,
        "quota_exempt_reason": _quota_exempt,
    }
    column_choices = {
        "org_category": enums.choices(enums.ORG_CATEGORY_LABELS),
        "status": ApplicationState.choices(),
        "applied_grade": enums.GRADE_CHOICES,
        "quota_exempt_reason": enums.choices(enums.QUOTA_EXEMPT_LABELS),
        "publicity_result": enums.choices(enums.PUBLICITY_LABELS),
    }
    column_filters = [
        BatchFilter(Application.__table__.c.batch_id),
        "jurisdiction.name",
        "unit.name",
        "org_category",
        "applied_trade.name",
        "applied_grade",
        "status",
        "submitted_at",
    ]
    column_searchable_list = ["worker.name", "worker.id_number"]
    column_sortable_list = [
        ("batch.year", "batch.year"),
        "submitted_at",
        "applied_grade",
        "status",
        ("worker.name", "worker.name"),
    ]
    column_default_sort = ("id", True)
    # 批次, 申报等级 and 申报状态 have few values: a page sorted by one of them is read value by value
    # (ListingMixin.page_ids), each an index range, not a sort of the whole scope.
    column_sort_groups = {
        "batch.year": SortGroups(Application.batch_id, batch_ids_by_year, ordered=True),
        "applied_grade": grade_groups(Application.applied_grade),
        "status": state_groups(Application.status, ApplicationState, ApplicationTally.status),
    }
    column_details_list = [
        "batch",
        "worker",
        "unit",
        "jurisdiction",
        "org_category",
        "applied_trade",
        "applied_grade",
        "achievements",
        "publicity_start",
        "publicity_end",
        "publicity_result",
        "quota_exempt_reason",
        "certificate_class",
        "retire_two_in_one",
        "veteran",
        "veteran_override",
        "remarks",
        "status",
        "submitted_at",
        "decided_at",
        "created_at",
    ]
    column_formatters_detail = {
        "worker": _kept_person,
        "unit": _kept_unit,
        "applied_grade": _grade,
        "status": _status,
        "quota_exempt_reason": _quota_exempt,
    }
    column_extra_row_actions = [
        EndpointLinkRowAction("fa fa-print", ".print_view", title="打印登记表"),
        EndpointLinkRowAction("fa fa-file-pdf-o", ".print_pdf_view", title="下载登记表PDF"),
    ]

    form_columns = [
        "batch",
        "worker",
        "applied_trade",
        "applied_grade",
        "achievements",
        "publicity_start",
        "publicity_end",
        "publicity_result",
        "certificate_class",
        "retire_two_in_one",
        "veteran",
        "remarks",
    ]
    form_overrides = {"applied_grade": SelectField, "publicity_result": SelectField}
    form_args = {
        "batch": {"validators": [DataRequired(REQUIRED)], "blank_text": "请选择考核批次"},
        "worker": {"validators": [DataRequired(REQUIRED)], "blank_text": "请选择本单位人员"},
        "applied_trade": {"validators": [DataRequired(REQUIRED)], "blank_text": "请选择申报工种"},
        "applied_grade": {
            "choices": enums.GRADE_FORM_CHOICES,
            "coerce": int,
            "validators": [InputRequired(REQUIRED)],
        },
        "publicity_result": {
            "choices": [("", "请选择")] + enums.choices(enums.PUBLICITY_LABELS),
            "validators": [Optional()],
        },
        "achievements": {
            "validators": [Length(max=limits.ACHIEVEMENTS, message=f"不超过{limits.ACHIEVEMENTS}字")],
            "filters": [strip_filter],
        },
        "remarks": {
            "validators": [Length(max=limits.REMARKS, message=f"不超过{limits.REMARKS}字")],
            "filters": [strip_filter],
        },
    }
    form_widget_args = {"achievements": {"rows": 6}}
    scoped_relations = {
        "batch": pickers.open_batches,
        "worker": pickers.own_workers,
        "applied_trade": pickers.active_trades,
    }

    # --- scope ---------------------------------------------------------------------------------------
    def scope_condition(self):
        condition = application_condition(current_user)
        if (
            self.queue_only
        ):  # 待我审核: the rows at the user's own step (none for a role that reviews nothing)
            if current_user.role not in enums.REVIEW_ROLES:
                return sa.false()
            condition = sa.and_(condition, Application.status == pending(current_user.role))
        return condition

    def row_lock_reason(self, obj) -> str | None:
        if reason := super().row_lock_reason(obj):
            return reason
        if obj.status not in (ApplicationState.DRAFT, ApplicationState.RETURNED):
            return "已提交的申请不能修改或删除"
        return None

    def delete_lock_reason(self, obj) -> str | None:
        if obj.status == ApplicationState.RETURNED:
            return "已提交的申请不能修改或删除"
        return self.row_lock_reason(obj)

    def editable_columns(self, obj) -> set | None:
        """The form's columns the unit may change now: all (None) for a draft, those of the returned parts
        for an application returned for revision."""
        if obj is None or obj.status != ApplicationState.RETURNED:
            return None
        return {c for part in revisions.parts_of(obj) for c in revisions.APPLICATION_FIELDS.get(part, ())}

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        editable = self.editable_columns(obj)
        if editable is not None:  # 退回修改: only the returned parts are on the form
            for name in [f.name for f in form if f.name in self.form_columns and f.name not in editable]:
                del form[name]
        return form

    def _returned_change_refusal(self, model) -> str | None:
        """Why a save of a returned application is refused: a column outside the returned parts was sent or
        changed (the form holds only the returned ones; this also covers a hand-made request)."""
        editable = self.editable_columns(model)
        sent = {name for name in request.form if name in self.form_columns}
        state = sa.inspect(model)
        changed = {
            attr.key.removesuffix("_id")
            for attr in state.mapper.column_attrs
            if state.attrs[attr.key].history.has_changes()
        }
        refused = sorted((sent | changed) & set(self.form_columns) - editable, key=self.form_columns.index)
        if not refused:
            return None
        allowed = revisions.labels_of(revisions.parts_of(model))
        names = "、".join(APPLICATION_LABELS.get(name, name) for name in refused)
        return f"退回修改的申请只能修改退回的部分（{allowed}），不能修改：{names}"

    # --- forms ---------------------------------------------------------------------------------------
    def before_save(self, form, model, is_created):
        if not is_created and model.status == ApplicationState.RETURNED:
            # The submission window does not apply: the reviewer asked for the change (revisions.resubmit).
            if reason := self._returned_change_refusal(model):
                raise ValidationError(reason)
            self._check_publicity(model)
            return
        with form_error():  # a draft: one per worker and batch, the unit's own worker, the window open
            app_facts.check_draft(current_actor(), model, is_created)

    @staticmethod
    def _check_publicity(model):
        with form_error():
            app_facts.check_publicity(model)

    def get_save_return_url(self, model, is_created=False):
        # Back to the form: the rule results are shown there after saving.
        return self.get_url(".edit_view", id=model.id)

    def delete_model(self, model):
        try:
            workflow.delete_draft(current_actor(), model)
        except InvalidInput as exc:
            flash(str(exc), "error")
            return False
        return True

    def render(self, template, **kwargs):
        model = kwargs.get("model")
        if template in (self.edit_template, self.details_template) and model is not None:
            # The person's facts as kept at submission (the live ones for a draft or a returned one).
            record = kwargs["record"] = records.record_of(model)
            kwargs["rule_results"] = app_facts.evaluate(model, record=record)
            kwargs["exemption"] = app_facts.exemption(model, record=record)
            kwargs["id_number_shown"] = mask_id_number(record.person.id_number)
            kwargs["assessment_labels"] = enums.ASSESSMENT_LABELS
        if template == self.details_template and model is not None:
            kwargs["state_labels"] = ApplicationState.labels()
            kwargs["action_labels"] = {
                t.name: t.label for t in application_stage.APPLICATION.transitions.values()
            }
            kwargs["role_labels"] = enums.ROLE_LABELS
            kwargs["may_decide"] = step_role(model.status) == current_user.role
            kwargs["may_attach"] = materials.may_attach(current_user, model)
            kwargs["veteran_pending"] = eligibility.needs_veteran_decision(kwargs["rule_results"])
        if template == self.details_template and model is not None:
            kwargs.update(self._revision_context(model))
        if template == self.edit_template and model is not None and self.editable_columns(model) is not None:
            kwargs["returned_parts_label"] = revisions.labels_of(revisions.parts_of(model))
        kwargs["return_parts"] = revisions.PARTS  # the parts' checkboxes of 退回修改
        kwargs["queue_only"] = self.queue_only
        return super().render(template, **kwargs)

    def _revision_context(self, model) -> dict:
        """退回修改 on the details page: the latest round, what changed in it, every round."""
        from views.unit_area import WORKER_LABELS

        revision = revisions.latest_round(model)
        items = {f"worker.{k}": v for k, v in WORKER_LABELS.items() if "." not in k}
        items.update({k: v for k, v in APPLICATION_LABELS.items() if "." not in k})
        items.update(
            {
                "worker.ethnicity_id": WORKER_LABELS.get("ethnicity", "民族"),
                "worker.current_trade_id": WORKER_LABELS.get("current_trade", "现工种"),
                "worker.certificate_trade_id": WORKER_LABELS.get("certificate_trade", "证书工种"),
                "materials": "申报材料",
            }
        )
        return {
            "revision": revision,
            "revision_changes": revisions.changes(revision) if revision else [],
            "revision_parts_label": revisions.labels_of(revisions.parts_of(revision.parts))
            if revision
            else "",
            "revision_item_labels": items,
            "part_labels": lambda text: revisions.labels_of(revisions.parts_of(text)),
            "returned_state": ApplicationState.RETURNED,
            "role_labels": enums.ROLE_LABELS,
        }

    def export_rows(self, rows):
        return records.shown(rows)  # the kept person and unit, as export_expression

    def export_expression(self, name, column):
        """A submitted application's person and unit as kept at submission; a draft's or a returned one's
        as they are now (services/records.py)."""
        path = records.KEPT_COLUMNS.get(name)
        if path is None:
            return column
        kept = sa.func.coalesce(records.kept_text(Application.id, *path), column)
        return sa.case((Application.status.in_(sorted(records.LIVE_STATES)), column), else_=kept)

    def confirm_rows(self, ids):
        return name_rows(
            Application, ids, self.scope_condition(), Application.status, ApplicationState.labels()
        )

    # --- 附表3 汇总表 ---------------------------------------------------------------------------------
    @expose("/summary.xlsx", methods=("POST",))
    @download
    def summary_view(self):
        """附表3 of the one batch the list's 批次 condition chooses, one sheet per 申报工种: always a 下载中心 job
        (views/summary_sheet.py: which rows; imported with this module, so a worker knows the job's kind)."""
        return summary_sheet.summary_response(self)

    # --- detail page helpers -----------------------------------------------------------------------
    @expose("/veteran/", methods=("POST",))
    def veteran_view(self):
        app = self.get_one(request.args.get("id"))
        try:
            workflow.record_veteran_decision(current_actor(), app, request.form.get("veteran_override"))
            flash("已记录退役士兵认定意见", "success")
        except InvalidInput as exc:
            flash(str(exc), "error")
        return redirect(self.get_url(".details_view", id=app.id))

    @expose("/materials/upload/", methods=("POST",))
    def material_upload_view(self):
        app = self.get_one(request.args.get("id"))
        try:
            material = materials.attach(current_actor(), app, request.files.get("file"))
            flash(f"已上传：{material.original_name}", "success")
        except InvalidInput as exc:
            flash(str(exc), "error")
        return redirect(self.get_url(".details_view", id=app.id))

    @expose("/materials/download/", methods=("GET",))
    @download
    def material_download_view(self):
        material_id = parse_pk(request.args.get("mid", ""))
        if material_id is None:
            abort(404)
        material = db.session.get(Material, material_id)
        if material is None:
            abort(404)
        self.get_one(material.application_id)  # 404 unless the application is within the user's scope
        return files.send_stored(
            material.stored_name, content_type=material.content_type, download_name=material.original_name
        )

    # --- 附表1 / 附表2 登记表: browser print and PDF ---------------------------------------------------------
    def _registration_page(self, forms, photo_urls: dict, *, toolbar: bool) -> str:
        """The 登记表 page of ``forms`` (one form each, in this order), the photo of a form's application at
        ``photo_urls[id]`` (none drawn for the others): the browser's print page and the PDF's source alike."""
        pdf_url = self.get_url(".print_pdf_view", id=forms[0].app.id) if toolbar and len(forms) == 1 else None
        return self.render(
            "gk/print_registration.html", forms=forms, photo_urls=photo_urls, toolbar=toolbar, pdf_url=pdf_url
        )

    def registration_pdf(self, apps) -> bytes:
        """The PDF of the 登记表 of ``apps`` (made on the server, as the current user sees them). A photo that
        cannot be read or is not a picture is left out (the form keeps its 贴照片 frame)."""
        from flask import current_app

        from admin_app.services import pdf, registration_forms

        base_url = request.host_url.rstrip("/")
        forms = registration_forms.forms_of(apps, score_visibility.sees_unpublished(current_user))
        photo_urls, photos = {}, {}
        for form in forms:
            data = registration_forms.photo_bytes(form)
            if data is not None:
                url = photo_urls[form.app.id] = base_url + self.get_url(".print_photo_view", id=form.app.id)
                photos[url] = (data, form.photo[1])
        return pdf.html_to_pdf(
            self._registration_page(forms, photo_urls, toolbar=False),
            base_url=base_url + "/",
            static_url=base_url + current_app.static_url_path + "/",
            static_root=current_app.static_folder,
            files=photos,
        )

    def _pdf_response(self, apps, download_name: str):
        """The PDF of the 登记表 of ``apps`` (``registration_pdf``), audited as a download."""
        from views.exam_documents import pdf_attachment

        data = self.registration_pdf(apps)
        audit.record(
            "export",
            user=current_actor(),
            object_type="Application",
            object_id=apps[0].id if len(apps) == 1 else None,
            detail={"form": "登记表PDF", "rows": len(apps), "ids": [a.id for a in apps][:50]},
        )
        db.session.commit()
        return pdf_attachment(data, download_name)

    @expose("/print/", methods=("GET",))
    def print_view(self):
        from admin_app.services import registration_forms

        app = self.get_one(request.args.get("id"))
        forms = registration_forms.forms_of([app], score_visibility.sees_unpublished(current_user))
        photo_urls = {f.app.id: self.get_url(".print_photo_view", id=f.app.id) for f in forms if f.photo}
        return self._registration_page(forms, photo_urls, toolbar=True)

    @expose("/print/photo/", methods=("GET",))
    @download
    def print_photo_view(self):
        """The 报名表's photo on the 登记表 (404 when there is none)."""
        from admin_app.services import registration_forms

        app = self.get_one(request.args.get("id"))
        reg = registration_forms.registration_of(app)
        if reg is None or not reg.photo_stored:
            abort(404)
        return files.send_stored(
            reg.photo_stored, content_type=reg.photo_content_type, download_name=reg.photo_name, inline=True
        )

    @expose("/print.pdf", methods=("GET",))
    @download
    def print_pdf_view(self):
        app = self.get_one(request.args.get("id"))
        form = "附表2" if app.applied_grade in enums.SENIOR_GRADES else "附表1"
        return self._pdf_response([app], f"{form}_登记表_{app.worker.name}.pdf")

    @expose("/prints.pdf", methods=("POST",))
    @download
    def prints_pdf_view(self):
        """One PDF of the 登记表 of every row of the current 组合查询 (list order): made here up to
        ``limits.PDF_DIRECT_DOCUMENTS`` people, else a 下载中心 job (views/document_jobs.py); above
        ``limits.PRINT_PDF_ROWS`` a Chinese message and nothing is made."""
        from views import document_jobs

        back = redirect(self.get_url(".index_view", **request.args.to_dict(flat=True)))
        apps = document_jobs.batch_or_job(self, document_jobs.REGISTRATIONS, back)
        if not isinstance(apps, list):
            return apps
        return self._pdf_response(apps, f"登记表_{len(apps)}人_{clock.today():%Y%m%d}.pdf")


class ReviewQueueView(BulkMaterialsMixin, ApplicationView):
    """待我审核: applications waiting at the user's own step, in the user's jurisdiction; whether each has
    申报材料 (column and condition), and 批量上传申报材料."""

    count_order = ()  # its state's index (status, batch) counts the queue without reading in batch order
    read_roles = REVIEWERS
    write_roles = frozenset()
    queue_only = True
    column_default_sort = ("submitted_at", False)
    column_list = [*ApplicationView.column_list, "has_material"]
    column_labels = {**ApplicationView.column_labels, "has_material": "申报材料"}
    column_formatters = {**ApplicationView.column_formatters, "has_material": material_column}
    column_filters = [*ApplicationView.column_filters, MaterialFilter()]
    endpoint_roles = {"bulk_material_upload_view": REVIEWERS}
